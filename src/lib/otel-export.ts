import { createRequire } from "node:module";
import type * as ExporterModule from "@opentelemetry/exporter-trace-otlp-http";
import type * as ResourcesModule from "@opentelemetry/resources";
import type * as SdkModule from "@opentelemetry/sdk-trace-base";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import type * as SemconvModule from "@opentelemetry/semantic-conventions";
import type { Clock } from "./clock.ts";
import type { Logger } from "./log.ts";
import { ThrottledReport } from "./throttled-report.ts";
import { Tracing } from "./tracing.ts";

/** Where and how spans are exported (alertprism.yml `tracing:` and the OTEL_* environment, resolved). */
export interface TracingSettings {
  /** The OTLP/HTTP traces URL (…/v1/traces). */
  readonly url: string;
  /** Sent with every export (e.g. a collector's API key); never logged. */
  readonly headers: Readonly<Record<string, string>>;
  /** Share of new traces recorded, 0–1; a request continuing a remote trace follows its sampled flag. */
  readonly samplingRatio: number;
  readonly serviceName: string;
  readonly serviceVersion: string;
}

/** Spans wait at most this long in memory before they are exported. */
const EXPORT_DELAY_MS = 2_000;
/** Spans held for export at most; more are dropped (a collector that is down must not grow memory). */
const MAX_QUEUED_SPANS = 4_096;
const MAX_BATCH = 512;
const EXPORT_TIMEOUT_MS = 5_000;
/** At most one log line per this period about failed exports. */
const FAILURE_LOG_INTERVAL_MS = 60_000;

/**
 * A Tracing that records spans and exports them over OTLP/HTTP (JSON) in the background. Export failures
 * are logged (throttled) and otherwise ignored: alert handling never waits on, or fails with, the collector.
 */
export function exportingTracing(s: TracingSettings, log: Logger, clock: Clock): Tracing {
  // Loaded only when tracing is on: the SDK and exporter cost several MiB of memory nobody else needs.
  const load = createRequire(import.meta.url);
  const { OTLPTraceExporter } = load("@opentelemetry/exporter-trace-otlp-http") as typeof ExporterModule;
  const { resourceFromAttributes } = load("@opentelemetry/resources") as typeof ResourcesModule;
  const { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } = load("@opentelemetry/sdk-trace-base") as typeof SdkModule;
  const { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } = load("@opentelemetry/semantic-conventions") as typeof SemconvModule;
  const failures = new ThrottledReport<string>(clock, FAILURE_LOG_INTERVAL_MS, (count, reason) => {
    log.warn({ failedExports: count, err: reason, collector: collectorOrigin(s.url) }, "exporting spans failed (count since the last report); spans are dropped");
  });
  const exporter = observed(new OTLPTraceExporter({ url: s.url, headers: { ...s.headers }, timeoutMillis: EXPORT_TIMEOUT_MS }), (reason) => failures.note(reason));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: s.serviceName, [ATTR_SERVICE_VERSION]: s.serviceVersion }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(s.samplingRatio) }),
    spanProcessors: [new BatchSpanProcessor(exporter, {
      maxQueueSize: MAX_QUEUED_SPANS,
      maxExportBatchSize: MAX_BATCH,
      scheduledDelayMillis: EXPORT_DELAY_MS,
      exportTimeoutMillis: EXPORT_TIMEOUT_MS,
    })],
  });
  let stopping: Promise<void> | undefined;
  return new Tracing(provider.getTracer("alertprism", s.serviceVersion), () => {
    stopping ??= provider.shutdown().catch((err: unknown) => failures.note(reason(err)));
    return stopping;
  });
}

/** The exporter, with every failed export reported by a secret-free reason. */
function observed(inner: SpanExporter, failed: (reason: string) => void): SpanExporter {
  return {
    export(spans: ReadableSpan[], done) {
      inner.export(spans, (result) => {
        if (result.error !== undefined || result.code !== 0) failed(reason(result.error));
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

/** An export error's kind and status code only: its message may quote the collector URL or headers. */
function reason(err: unknown): string {
  if (err === undefined || err === null) return "export failed";
  const code = (err as { code?: unknown }).code;
  const name = err instanceof Error ? err.name : "error";
  return code !== undefined ? `${name} (${String(code)})` : name;
}

/** The collector's scheme, host and port, for logs: a URL's path or query may carry a token. */
export function collectorOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "<invalid URL>";
  }
}
