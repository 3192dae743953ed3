import { AsyncLocalStorage } from "node:async_hooks";
import { TraceFlags, type Span, type SpanContext } from "@opentelemetry/api";

/**
 * What ties a log line, a span and an outgoing notification to the requests that caused them. It travels
 * with the asynchronous work itself (AsyncLocalStorage), so a logger deep in the provider or the store
 * tags its lines without being handed the request's logger. The logger's mixin reads it (log.ts).
 */

/** Where an alert's last change came from: kept in memory on the live alert, never stored. */
export interface Origin {
  readonly requestId: string;
  /** The request's span (tracing on and the request sampled); the group flush links to it. */
  readonly span?: SpanContext;
  /** Increases with every request: the most recent origin of a flush is the one with the highest. */
  readonly seq: number;
}

export interface Correlation {
  /** The request this work belongs to; for a flush or a commit group, the most recent of its requests. */
  readonly requestId?: string;
  /** All the requests behind a flush or a commit group, most recent first and bounded; absent for one. */
  readonly requestIds?: readonly string[];
  /** The span this work runs in (tracing on only). */
  readonly span?: Span;
  /** Set for an HTTP request: what alerts it changes remember as their origin. */
  readonly origin?: Origin;
}

const store = new AsyncLocalStorage<Correlation>();
let nextSeq = 1;

export function currentCorrelation(): Correlation | undefined {
  return store.getStore();
}

/** Runs `fn` (and everything asynchronous it starts) with `c` as its correlation. */
export function withCorrelation<T>(c: Correlation, fn: () => T): T {
  return store.run(c, fn);
}

/** Runs `fn` with no correlation: work that time starts (timers) belongs to no request. */
export function detached<T>(fn: () => T): T {
  return store.getStore() === undefined ? fn() : store.exit(fn);
}

/** The correlation of one HTTP request. */
export function requestCorrelation(requestId: string, span: Span | undefined): Correlation {
  const ctx = span?.spanContext();
  const sampled = ctx !== undefined && (ctx.traceFlags & TraceFlags.SAMPLED) !== 0;
  const origin: Origin = { requestId, seq: nextSeq++, ...(sampled ? { span: ctx } : {}) };
  return { requestId, origin, ...(span ? { span } : {}) };
}

/** The origin of changes made now (undefined outside an HTTP request). */
export function currentOrigin(): Origin | undefined {
  return store.getStore()?.origin;
}

/** At most this many request ids name the requests behind one flush or commit group. */
export const MAX_REQUEST_IDS = 20;

/**
 * The correlation of work done for several requests at once (a group flush, a commit group): the most
 * recent request's id, and all of them (distinct, most recent first, bounded) when there are several.
 */
export function batchCorrelation(origins: Iterable<Origin | undefined>): Correlation {
  const ids = distinctRecentFirst(origins).map((o) => o.requestId);
  if (ids.length === 0) return {};
  return ids.length === 1 ? { requestId: ids[0] } : { requestId: ids[0], requestIds: ids.slice(0, MAX_REQUEST_IDS) };
}

/** Distinct origins by request id, most recent first. */
export function distinctRecentFirst(origins: Iterable<Origin | undefined>): Origin[] {
  const byId = new Map<string, Origin>();
  for (const o of origins) {
    if (o === undefined) continue;
    const known = byId.get(o.requestId);
    if (known === undefined || known.seq < o.seq) byId.set(o.requestId, o);
  }
  return [...byId.values()].sort((a, b) => b.seq - a.seq);
}

/** The fields every log line carries: request id(s), and the trace and span ids when the work is traced. */
export function correlationLogFields(): Record<string, unknown> {
  const c = store.getStore();
  if (c === undefined) return {};
  const out: Record<string, unknown> = {};
  if (c.requestId !== undefined) out.requestId = c.requestId;
  if (c.requestIds !== undefined) out.requestIds = c.requestIds;
  const ctx = c.span?.spanContext();
  if (ctx !== undefined && (ctx.traceFlags & TraceFlags.SAMPLED) !== 0) {
    out.traceId = ctx.traceId;
    out.spanId = ctx.spanId;
  }
  return out;
}
