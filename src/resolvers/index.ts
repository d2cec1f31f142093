import { HealthResolver } from './health.resolver.js';

/** Every resolver class of the graph; the schema is built from these. */
export const resolvers = [HealthResolver] as const;
