/**
 * @skip and @include at a subscription's root, refused before graphql-js's rules see the document. Its rule that a
 * subscription selects one root field (SingleFieldSubscriptionsRule) evaluates these directives with no variables
 * and throws, rather than reports, when it cannot (`@skip(if: $var)`, no `if`, a wrong one): Apollo answered 500 and
 * graphql-ws closed the client's whole socket (4500). A root field skipped by a literal leaves a subscription without
 * one, which graphql-js's execution throws on (the socket closed again). The GraphQL spec forbids both directives
 * at a subscription's root (graphql-spec#860), as graphql-js 17 does.
 */
import { GraphQLError, Kind, OperationTypeNode, type DirectiveNode, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

/** One error per subscription of the document that has @skip or @include in its top level selection. */
export function subscriptionRootDirectiveErrors(document: DocumentNode): GraphQLError[] {
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const errors: GraphQLError[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION || definition.operation !== OperationTypeNode.SUBSCRIPTION) continue;
    const found: DirectiveNode[] = [];
    const spread = new Set<string>();
    // The top level is what fragments spread at the root select too (each looked at once: cycles end).
    const collect = (selectionSet: SelectionSetNode) => {
      for (const selection of selectionSet.selections) {
        found.push(...(selection.directives ?? []).filter((d) => d.name.value === 'skip' || d.name.value === 'include'));
        if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet);
        if (selection.kind !== Kind.FRAGMENT_SPREAD || spread.has(selection.name.value)) continue;
        spread.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) collect(fragment.selectionSet);
      }
    };
    collect(definition.selectionSet);
    if (found.length === 0) continue;
    const name = definition.name ? `Subscription "${definition.name.value}"` : 'Anonymous Subscription';
    errors.push(new GraphQLError(`${name} must not use @skip or @include in its top level selection: its one root field is chosen before any variable is known.`, { nodes: found }));
  }
  return errors;
}
