import { IsOptional, Max, Min } from 'class-validator';
import { ArgsType, Directive, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { INHERIT_HINT } from './cache-control.js';

import { DEFAULT_FIRST, MAX_FIRST } from './limits.js';

export { DEFAULT_FIRST, MAX_FIRST };

@ObjectType()
@Directive(INHERIT_HINT)
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => Boolean)
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor?: string;

  @Field(() => String, { nullable: true })
  endCursor?: string;
}

@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_FIRST, description: `How many items, 0 to ${MAX_FIRST}.` })
  @IsOptional()
  @Min(0)
  @Max(MAX_FIRST)
  first?: number | null = DEFAULT_FIRST;

  @Field(() => String, { nullable: true, description: 'Start after this cursor (opaque; from edges or pageInfo).' })
  after?: string;

  @Field(() => Int, { nullable: true, description: 'Skip this many items (after the cursor, if one is given).' })
  @IsOptional()
  @Min(0)
  offset?: number;
}

/** A connection type `<Name>Connection` with its `<Name>Edge`. */
export function Connection<TNode extends object>(Node: ClassType<TNode>, name: string) {
  @ObjectType(`${name}Edge`)
  @Directive(INHERIT_HINT)
  class Edge {
    @Field(() => String)
    cursor!: string;

    @Field(() => Node)
    node!: TNode;
  }

  // Not referenced by any resolver, so type-graphql does not emit this base; only the named subclasses.
  @ObjectType()
  abstract class ConnectionType {
    @Field(() => Int, { description: 'Items in the whole list, as the platform counts them.' })
    totalCount!: number;

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => [Node])
    nodes!: TNode[];
  }
  return ConnectionType;
}
