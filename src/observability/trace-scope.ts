/**
 * Which span a platform call or a store query belongs to. The OpenTelemetry context carries a scope: the request's
 * span, or a resolver's, each open while its work runs. A span is made under the innermost scope still open; outside
 * any (the mirror's sync, the rollouts' loop, a timer a request happened to start) nothing is traced.
 */
import { context, createContextKey, ROOT_CONTEXT, trace, type Context, type Span } from '@opentelemetry/api';

export interface TraceScope {
  /** Unset while a resolver has not yet returned a promise (and for good when it returns a value at once). */
  span?: Span;
  open: boolean;
  parent?: TraceScope;
}

const SCOPE = createContextKey('northbound gateway trace scope');

export function withScope(ctx: Context, scope: TraceScope): Context {
  return ctx.setValue(SCOPE, scope);
}

export function scopeOf(ctx: Context): TraceScope | undefined {
  return ctx.getValue(SCOPE) as TraceScope | undefined;
}

/** A context whose span is the scope's own, or its nearest ancestor's that has one. */
export function under(scope: TraceScope): Context {
  for (let at: TraceScope | undefined = scope; at; at = at.parent) if (at.span) return trace.setSpan(ROOT_CONTEXT, at.span);
  return ROOT_CONTEXT;
}

/** The parent for a span made now, or undefined when no scope is open here (then nothing is traced). */
export function openParent(ctx: Context = context.active()): Context | undefined {
  for (let scope = scopeOf(ctx); scope; scope = scope.parent) if (scope.open && scope.span) return trace.setSpan(ROOT_CONTEXT, scope.span);
  return undefined;
}
