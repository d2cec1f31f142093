/**
 * A cap on the fields a document selects, fragments counted wherever they are spread. The token limit bounds what a
 * client writes; this bounds what validation and execution walk, which fragments multiply: 300 spreads of a fragment of
 * 300 fields is 90,000 fields in 2 KB. Each fragment is counted once (memoised), so the count is linear in the
 * document, and it stops as soon as the cap is passed.
 */
import { GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode, type ValidationRule } from 'graphql';

/** Fields one document may select, spreads expanded. The dashboard selects 20; the console's largest page about 150. */
export const MAX_SELECTIONS = 2000;

/** The fields the document's largest operation selects, counted up to just past `max`. */
export function selectionCount(document: DocumentNode, max: number): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const counted = new Map<string, number>();
  const counting = new Set<string>();
  const count = (selectionSet: SelectionSetNode): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) total += 1 + (selection.selectionSet ? count(selection.selectionSet) : 0);
      else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet);
      else total += fragmentCount(selection.name.value);
      if (total > max) return total;
    }
    return total;
  };
  const fragmentCount = (name: string): number => {
    const known = counted.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    // An unknown or cyclic spread is validation's to refuse.
    if (!fragment || counting.has(name)) return 0;
    counting.add(name);
    const total = count(fragment.selectionSet);
    counting.delete(name);
    counted.set(name, total);
    return total;
  };
  let largest = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) largest = Math.max(largest, count(definition.selectionSet));
    if (largest > max) break;
  }
  return largest;
}

/** Refuses a document that selects more than `max` fields, as the other limits refuse (GRAPHQL_VALIDATION_FAILED). */
export function selectionLimitRule(max: number): ValidationRule {
  return (context) => ({
    Document(document) {
      const found = selectionCount(document, max);
      if (found <= max) return;
      context.reportError(
        new GraphQLError(`Selection limit of ${max} exceeded, found more than ${max} fields (selections): a fragment counts wherever it is spread. Spread fewer fragments, or select fewer fields.`, {
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'selections', max },
        }),
      );
    },
  });
}
