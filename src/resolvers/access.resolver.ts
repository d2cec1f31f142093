import { Ctx, Query, Resolver } from 'type-graphql';
import type { Viewer as ViewerModel } from '../domain/access.js';
import { Viewer } from '../schema/access.type.js';
import type { ResolverContext } from './context.js';

@Resolver(() => Viewer)
export class ViewerResolver {
  @Query(() => Viewer, { description: 'Who is asking: the role of the presented API key, and the name its calls are counted under. Costs no platform call.' })
  viewer(@Ctx() { role, client }: ResolverContext): ViewerModel {
    return { role, client };
  }
}
