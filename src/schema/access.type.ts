import { Field, ObjectType } from 'type-graphql';
import { ApiRole } from './enums.js';
import type * as domain from '../domain/access.js';

@ObjectType({ description: 'Who is asking: the role of the API key the request presented, and the name its platform calls are counted under.' })
export class Viewer implements domain.Viewer {
  @Field(() => ApiRole, { description: 'OPERATE for every caller of a gateway without API keys' }) role!: ApiRole;
  @Field(() => String, { description: "anonymous (no API keys), or key- and the first 8 hex digits of the key's SHA-256: the key's line in health.budget.byClient" })
  client!: string;
}
