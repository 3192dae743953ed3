import {
  INVALID_SPAN_CONTEXT, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, isSpanContextValid, trace,
  type Attributes, type Link, type Span, type SpanContext, type Tracer,
} from "@opentelemetry/api";
import { MAX_REQUEST_IDS, currentCorrelation, withCorrelation, type Correlation, type Origin } from "./correlation.ts";

export { SpanKind, SpanStatusCode, type Span, type Attributes };

/**
 * The tracing AlertPrism does, explicitly (no auto-instrumentation, no global registration, no OTel context
 * manager): spans are parented through the correlation (correlation.ts), so several apps in one process
 * keep their own tracers. Off, every call runs the work directly with a shared non-recording span.
 */

export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  readonly links?: readonly Link[];
  /** A remote parent (an incoming `traceparent`); otherwise the current span, or a new trace. */
  readonly parent?: SpanContext;
}

/** Spans that only tell "nothing recorded": what every call gets while tracing is off. */
const NO_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** At most this many links on one span (a flush of many alerts from many requests). */
export const MAX_LINKS = 32;

export class Tracing {
  constructor(
    private readonly tracer: Tracer | undefined,
    private readonly onShutdown: () => Promise<void> = () => Promise.resolve(),
  ) {}

  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /** Starts a span, child of `opts.parent` or the current span; the caller ends it. */
  start(name: string, opts: SpanOptions = {}): Span {
    if (this.tracer === undefined) return NO_SPAN;
    const parent = opts.parent ?? currentCorrelation()?.span?.spanContext();
    const ctx = parent !== undefined && isSpanContextValid(parent) ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
    return this.tracer.startSpan(name, {
      kind: opts.kind ?? SpanKind.INTERNAL,
      ...(opts.attributes ? { attributes: opts.attributes } : {}),
      ...(opts.links && opts.links.length > 0 ? { links: [...opts.links] } : {}),
    }, ctx);
  }

  /**
   * Runs `fn` inside a new span (the current correlation carries it, so nested spans and log lines see
   * it) and ends the span when `fn` returns or its promise settles; a throw marks the span as an error.
   */
  run<T>(name: string, opts: SpanOptions, fn: (span: Span) => T): T {
    if (this.tracer === undefined) return fn(NO_SPAN);
    const span = this.start(name, opts);
    const fail = (err: unknown) => {
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorSummary(err) });
      span.end();
    };
    let result: T;
    try {
      result = withCorrelation({ ...currentCorrelation(), span }, () => fn(span));
    } catch (err) {
      fail(err);
      throw err;
    }
    if (result instanceof Promise) {
      return result.then((v: unknown) => {
        span.end();
        return v;
      }, (err: unknown) => {
        fail(err);
        throw err;
      }) as T;
    }
    span.end();
    return result;
  }

  /** Sends what is buffered and stops exporting; idempotent. */
  shutdown(): Promise<void> {
    return this.onShutdown();
  }
}

export const NO_TRACING = new Tracing(undefined);

/** Links to the spans of the requests behind a batch (most recent first, bounded). */
export function linksTo(origins: readonly Origin[]): Link[] {
  const links: Link[] = [];
  for (const o of origins) {
    if (o.span === undefined) continue;
    links.push({ context: o.span, attributes: { "alertprism.request_id": o.requestId } });
    if (links.length === MAX_LINKS) break;
  }
  return links;
}

/**
 * An error's summary for a span status. NotifyErrors and the like carry a secret-free `reason`; any
 * other message is not trusted to be free of secrets, so only its class is given.
 */
function errorSummary(err: unknown): string {
  const reason = (err as { reason?: unknown } | null)?.reason;
  if (typeof reason === "string") return reason;
  return err instanceof Error ? err.name : "error";
}

/** The W3C `traceparent` of a span (version 00); undefined for a span that is not traced. */
export function traceparent(span: Span | undefined): string | undefined {
  const ctx = span?.spanContext();
  if (ctx === undefined || !isSpanContextValid(ctx)) return undefined;
  return `00-${ctx.traceId}-${ctx.spanId}-${(ctx.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/** A remote parent from a W3C `traceparent` header; undefined when absent or malformed. */
export function parseTraceparent(header: string | string[] | undefined): SpanContext | undefined {
  if (typeof header !== "string") return undefined;
  const m = TRACEPARENT.exec(header.trim());
  if (!m || m[1] === "ff" || (m[1] === "00" && header.trim().length !== 55)) return undefined;
  const ctx: SpanContext = { traceId: m[2]!, spanId: m[3]!, traceFlags: parseInt(m[4]!, 16) & TraceFlags.SAMPLED, isRemote: true };
  return isSpanContextValid(ctx) ? ctx : undefined;
}

/**
 * Headers that tell an HTTP receiver which request led to this notification and which span sent it:
 * `X-Request-Id` (the most recent request behind the flush) and `traceparent` (tracing on).
 */
export function correlationHeaders(): Record<string, string> {
  const c = currentCorrelation();
  if (c === undefined) return {};
  const out: Record<string, string> = {};
  if (c.requestId !== undefined) out["X-Request-Id"] = c.requestId;
  const tp = traceparent(c.span);
  if (tp !== undefined) out.traceparent = tp;
  return out;
}

/** Sets attributes on the span the current work runs in (nothing when untraced). */
export function annotateCurrentSpan(attributes: Attributes): void {
  const span = currentCorrelation()?.span;
  if (span?.isRecording()) span.setAttributes(attributes);
}

/**
 * Spans for work submitted from many contexts and done at once (the store's group commit): each
 * submission notes its correlation, and the batch runs in one span linked to the submitters' spans, with
 * their request ids on its log lines. Cheap when tracing is off: it then only gathers request ids.
 */
export class BatchTracer {
  private pending: Array<Correlation | undefined> = [];

  constructor(private readonly tracing: Tracing, private readonly name: string) {}

  /** Called where work is submitted, in the submitter's context. */
  submitted(): void {
    this.pending.push(currentCorrelation());
  }

  /** Runs the batch of everything submitted since the last one (`units` pieces of work). */
  batch<T>(units: number, run: () => T): T {
    const subs = this.pending;
    this.pending = [];
    const ids: string[] = [];
    const seen = new Set<string>();
    const links: Link[] = [];
    const linked = new Set<string>();
    for (let i = subs.length - 1; i >= 0; i--) {
      const c = subs[i];
      for (const id of c?.requestIds ?? (c?.requestId !== undefined ? [c.requestId] : [])) {
        if (!seen.has(id) && ids.length < MAX_REQUEST_IDS) {
          seen.add(id);
          ids.push(id);
        }
      }
      const ctx = c?.span?.spanContext();
      if (ctx !== undefined && (ctx.traceFlags & TraceFlags.SAMPLED) !== 0 && !linked.has(ctx.spanId) && links.length < MAX_LINKS) {
        linked.add(ctx.spanId);
        links.push({ context: ctx });
      }
    }
    const correlation: Correlation = ids.length === 0 ? {} : ids.length === 1 ? { requestId: ids[0] } : { requestId: ids[0], requestIds: ids };
    if (!this.tracing.enabled) return withCorrelation(correlation, run);
    const attributes: Attributes = { "alertprism.units": units };
    if (ids.length > 0) attributes["alertprism.request_ids"] = ids;
    return withCorrelation(correlation, () => this.tracing.run(this.name, { attributes, links }, run));
  }
}
