/**
 * The two calls anomaly rules need from Prometheus's HTTP API: an instant query and a range query
 * (POSTed as a form, so long expressions fit). Errors carry Prometheus's own message and never the
 * credentials or the URL's userinfo.
 */
import http from "node:http";
import https from "node:https";
import { httpRequest } from "../../lib/http-request.ts";
import type { LabelSet } from "../../types/labels.ts";
import type { PrometheusSettings } from "./types.ts";

/** One series of a result: its labels and its samples [ms, value] in time order. */
export interface QuerySeries {
  readonly labels: LabelSet;
  readonly samples: ReadonlyArray<readonly [number, number]>;
}

export class PrometheusQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PrometheusQueryError";
  }
}

/** Prometheus refuses range queries of more than 11,000 points per series; stay below. */
export const MAX_RANGE_POINTS = 10_000;

/** As many redirects as the client followed before (follow-redirects' default). */
const MAX_REDIRECTS = 21;

/** Bounds memory if something answers with far too much. */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export interface PrometheusClient {
  /** The expression's value at `atMs` (vector or scalar results). */
  query(expr: string, atMs: number): Promise<QuerySeries[]>;
  /** Samples at start, start + step, …, ≤ end; longer ranges are read in chunks and joined per series. */
  queryRange(expr: string, startMs: number, endMs: number, stepMs: number): Promise<QuerySeries[]>;
  /** Aborts requests under way (they reject) and closes pooled connections; the client must not be used afterwards. */
  close(): void;
}

export function createPrometheusClient(settings: PrometheusSettings, userAgent: string): PrometheusClient {
  const httpAgent = new http.Agent({ keepAlive: true });
  const httpsAgent = new https.Agent({ keepAlive: true });
  const base = new URL(settings.url);
  const headers: Record<string, string> = { "User-Agent": userAgent, "Content-Type": "application/x-www-form-urlencoded" };
  if (settings.bearerToken !== undefined) headers.Authorization = `Bearer ${settings.bearerToken}`;
  else if (settings.basicAuth !== undefined) {
    headers.Authorization = `Basic ${Buffer.from(`${settings.basicAuth.username}:${settings.basicAuth.password}`).toString("base64")}`;
  } else if (base.username !== "") {
    headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString("base64")}`;
  }
  base.username = "";
  base.password = "";
  const where = base.toString().replace(/\/+$/, "");
  // Aborts requests under way when the client is closed (shutdown must not wait out a hanging query).
  const closing = new AbortController();

  const call = async (path: string, form: Record<string, string>): Promise<unknown> => {
    const url = `${where}/api/v1/${path}`;
    let status: number;
    let body: string;
    try {
      const res = await httpRequest(url, {
        method: "POST", headers, body: new URLSearchParams(form).toString(), signal: closing.signal, timeoutMs: settings.timeoutMs,
        agents: { http: httpAgent, https: httpsAgent }, maxRedirects: MAX_REDIRECTS, maxResponseBytes: MAX_RESPONSE_BYTES,
      });
      status = res.status;
      body = res.body;
    } catch (err) {
      throw new PrometheusQueryError(`${where}: ${networkReason(err)}`);
    }
    let parsed: { status?: unknown; data?: unknown; error?: unknown; errorType?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      throw new PrometheusQueryError(`${where}/api/v1/${path}: HTTP ${status}, not a Prometheus API response`);
    }
    if (parsed.status !== "success") {
      const detail = typeof parsed.error === "string" ? parsed.error : `HTTP ${status}`;
      throw new PrometheusQueryError(`${typeof parsed.errorType === "string" ? parsed.errorType + ": " : ""}${detail}`);
    }
    return parsed.data;
  };

  return {
    async query(expr, atMs) {
      return decodeResult(await call("query", { query: expr, time: seconds(atMs) }));
    },
    async queryRange(expr, startMs, endMs, stepMs) {
      const bySeries = new Map<string, { labels: LabelSet; samples: Array<readonly [number, number]> }>();
      for (let from = startMs; from <= endMs; from += stepMs * MAX_RANGE_POINTS) {
        const to = Math.min(endMs, from + stepMs * (MAX_RANGE_POINTS - 1));
        const part = decodeResult(await call("query_range", { query: expr, start: seconds(from), end: seconds(to), step: seconds(stepMs) }));
        for (const s of part) {
          const key = JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1)));
          const entry = bySeries.get(key) ?? bySeries.set(key, { labels: s.labels, samples: [] }).get(key)!;
          entry.samples.push(...s.samples);
        }
      }
      return [...bySeries.values()];
    },
    close() {
      closing.abort();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** Prometheus's sample values are strings: "1.5", "NaN", "+Inf", "-Inf". */
function sampleValue(v: unknown): number {
  if (v === "+Inf") return Infinity;
  if (v === "-Inf") return -Infinity;
  return typeof v === "string" ? Number(v) : NaN;
}

function sample(pair: unknown): readonly [number, number] {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "number") throw new PrometheusQueryError("malformed sample in the response");
  return [Math.round(pair[0] * 1000), sampleValue(pair[1])];
}

function labelsOf(metric: unknown): LabelSet {
  if (metric === null || typeof metric !== "object") return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metric as Record<string, unknown>)) if (typeof v === "string") out[k] = v;
  return out;
}

function decodeResult(data: unknown): QuerySeries[] {
  const d = data as { resultType?: unknown; result?: unknown } | undefined;
  switch (d?.resultType) {
    case "scalar":
      return [{ labels: {}, samples: [sample(d.result)] }];
    case "vector":
      if (!Array.isArray(d.result)) break;
      return d.result.map((r: { metric?: unknown; value?: unknown }) => ({ labels: labelsOf(r.metric), samples: [sample(r.value)] }));
    case "matrix":
      if (!Array.isArray(d.result)) break;
      return d.result.map((r: { metric?: unknown; values?: unknown }) => ({
        labels: labelsOf(r.metric),
        samples: Array.isArray(r.values) ? r.values.map(sample) : [],
      }));
    case "string":
      throw new PrometheusQueryError("the query returns a string; anomaly rules need a vector or scalar");
  }
  throw new PrometheusQueryError("malformed query result in the response");
}

function networkReason(err: unknown): string {
  if (!(err instanceof Error)) return "request failed";
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ETIMEDOUT") return "timed out";
  // Node's connection errors can carry an empty message (AggregateError from dual-stack connects).
  const message = err.message || code || "request failed";
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
