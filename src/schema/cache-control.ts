/**
 * Apollo cache hints (`@cacheControl`), so clients and CDNs can cache what does not change: reference data
 * (devices, packages, groups) for as long as the gateway itself keeps it, ended tasks for an hour, and nothing
 * that still runs. Embedded types (stats, targets, connections) take their parent's hint.
 */
import { maybeCacheControlFromInfo } from '@apollo/cache-control-types';
import { DirectiveLocation, GraphQLBoolean, GraphQLDirective, GraphQLEnumType, GraphQLInt, type GraphQLResolveInfo } from 'graphql';

export const CacheControlScope = new GraphQLEnumType({ name: 'CacheControlScope', values: { PUBLIC: {}, PRIVATE: {} } });

/** The directive Apollo Server's cache-control plugin reads (declared, as Apollo documents, for code-first schemas). */
export const cacheControlDirective = new GraphQLDirective({
  name: 'cacheControl',
  locations: [DirectiveLocation.FIELD_DEFINITION, DirectiveLocation.OBJECT, DirectiveLocation.INTERFACE, DirectiveLocation.UNION],
  args: { maxAge: { type: GraphQLInt }, scope: { type: CacheControlScope }, inheritMaxAge: { type: GraphQLBoolean } },
});

/** Devices, packages and groups: the default lifetime of the gateway's own cache of them. */
export const REFERENCE_DATA_HINT = '@cacheControl(maxAge: 60, scope: PUBLIC)';
/** Parts of a parent object: as cacheable as the parent. */
export const INHERIT_HINT = '@cacheControl(inheritMaxAge: true)';

const ENDED_MAX_AGE_SECONDS = 3600;

/** A task that has ended never changes again; one that runs may change any second. */
export function hintTask(info: GraphQLResolveInfo, ended: boolean): void {
  maybeCacheControlFromInfo(info)?.setCacheHint({ maxAge: ended ? ENDED_MAX_AGE_SECONDS : 0, scope: 'PUBLIC' });
}
