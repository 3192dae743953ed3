import type { OpsModule } from "./openapi.ts";
import { OpsError, type OpsRequest } from "./route-table.ts";
import type { Clock } from "../../lib/clock.ts";
import type { StatsSource } from "../../ops/stats.ts";
import type { RoutingTable } from "../../dispatch/routing-table.ts";
import { parseLimit, parseTime, queryValue } from "./params.ts";
import { isValidLabelName } from "../../types/labels.ts";
import { computeStats, summarize, type BucketStats, type StandingEpisode } from "../../ops/stats.ts";

/** What statistics read from the running app (a part of OpsApiDeps). */
export interface StatsDeps {
  readonly clock: Clock;
  readonly statsRepo: StatsSource;
  routing(): RoutingTable;
}

/** At most this many steps in one time series (a 1m step covers a day and more). */
export const MAX_STEPS = 2000;
const MIN_STEP_MS = 1000;
const DAY_MS = 86_400_000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };

/** A step: Prometheus-style duration (`1h`, `5m`, `1h30m`, `1d`) or a number of seconds (`300`). */
export function parseStep(text: string | undefined): number {
  if (text === undefined || text === "") return 3_600_000;
  const t = text.trim();
  let ms: number | undefined;
  if (/^\d{1,9}$/.test(t)) ms = Number(t) * 1000;
  else if (/^(\d{1,9}(ms|s|m|h|d|w))+$/.test(t)) {
    ms = 0;
    for (const m of t.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  if (ms === undefined) throw new OpsError(400, `step: ${JSON.stringify(t.slice(0, 32))} is not a duration (1h, 5m, 1h30m, 1d, or seconds)`);
  if (ms < MIN_STEP_MS) throw new OpsError(400, `step must be at least 1s, not ${JSON.stringify(t)}`);
  return ms;
}

interface Range { sinceMs: number; untilMs: number; nowMs: number; by: string }

function parseRange(req: OpsRequest, nowMs: number): Range {
  const untilText = queryValue(req.query, "until");
  const sinceText = queryValue(req.query, "since");
  const untilMs = untilText === undefined || untilText === "" ? nowMs : parseTime(untilText, nowMs, "until");
  const sinceMs = sinceText === undefined || sinceText === "" ? untilMs - DAY_MS : parseTime(sinceText, nowMs, "since");
  if (sinceMs >= untilMs) throw new OpsError(400, `since (${new Date(sinceMs).toISOString()}) must be before until (${new Date(untilMs).toISOString()})`);
  const by = (queryValue(req.query, "by") ?? "alertname").trim() || "alertname";
  if (!isValidLabelName(by)) throw new OpsError(400, `by must be receiver or a label name ([a-zA-Z_][a-zA-Z0-9_]*), not ${JSON.stringify(by.slice(0, 64))}`);
  return { sinceMs, untilMs, nowMs, by };
}

const iso = (ms: number) => new Date(ms).toISOString();

function receiversOf(deps: StatsDeps) {
  const root = deps.routing().root;
  return (labels: Readonly<Record<string, string>>) => root.match(labels).map((r) => r.opts.receiver);
}

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

function bucketJson(b: BucketStats) {
  return {
    value: b.value,
    episodes_started: sum(b.counts.started),
    episodes_resolved: sum(b.counts.resolved),
    notifications_sent: sum(b.counts.notifications),
    mtta_seconds: summarize(b.mttaMs),
    mttr_seconds: summarize(b.mttrMs),
  };
}

/** Buckets by episodes started, then notifications, then value. */
function ranked(buckets: Iterable<BucketStats>): BucketStats[] {
  return [...buckets].sort((a, b) => sum(b.counts.started) - sum(a.counts.started)
    || sum(b.counts.notifications) - sum(a.counts.notifications) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

function standingJson(s: StandingEpisode) {
  return { fingerprint: s.fingerprint, labels: s.labels, started_at: iso(s.startMs), ended_at: s.endMs === undefined ? null : iso(s.endMs), open: s.endMs === undefined, duration_seconds: s.durationMs / 1000 };
}

const LABELS = { type: "object", additionalProperties: { type: "string" } };
const SUMMARY = { $ref: "#/components/schemas/DurationSummary" };
const COUNTS = { type: "array", items: { type: "integer", minimum: 0 } };
const ALERT_REF = { fingerprint: { type: "string" }, labels: LABELS };

/** What a bucket and the totals both count. */
const COUNT_FIELDS = {
  episodes_started: { type: "integer", minimum: 0 },
  episodes_resolved: { type: "integer", minimum: 0 },
  notifications_sent: { type: "integer", minimum: 0 },
  mtta_seconds: SUMMARY,
  mttr_seconds: SUMMARY,
};

const schemas = {
  DurationSummary: {
    type: "object",
    additionalProperties: false,
    required: ["samples", "p50", "p90", "mean"],
    description: "seconds, millisecond precision; percentiles by nearest rank; null without samples",
    properties: { samples: { type: "integer", minimum: 0 }, p50: { type: ["number", "null"] }, p90: { type: ["number", "null"] }, mean: { type: ["number", "null"] } },
  },
  StatsBucket: {
    type: "object",
    additionalProperties: false,
    required: ["value", "episodes_started", "episodes_resolved", "notifications_sent", "mtta_seconds", "mttr_seconds"],
    properties: {
      value: { type: "string", description: "the receiver, or the label's value (\"\" for alerts without it)" },
      ...COUNT_FIELDS,
    },
  },
  Stats: {
    type: "object",
    additionalProperties: false,
    required: ["since", "until", "by", "totals", "buckets", "buckets_truncated", "noisiest", "most_flapping", "longest_standing"],
    properties: {
      since: { type: "string", format: "date-time" },
      until: { type: "string", format: "date-time" },
      by: { type: "string" },
      totals: {
        type: "object",
        additionalProperties: false,
        required: ["episodes_started", "episodes_resolved", "notifications_sent", "notifications_unattributed", "mtta_seconds", "mttr_seconds"],
        properties: {
          ...COUNT_FIELDS,
          notifications_unattributed: { type: "integer", minimum: 0, description: "deliveries of groups whose key does not carry the `by` label" },
        },
      },
      buckets: { type: "array", items: { $ref: "#/components/schemas/StatsBucket" } },
      buckets_truncated: { type: "boolean" },
      noisiest: {
        type: "array", maxItems: 10,
        items: { type: "object", additionalProperties: false, required: ["fingerprint", "labels", "episodes"], properties: { ...ALERT_REF, episodes: { type: "integer", minimum: 1 } } },
      },
      most_flapping: {
        type: "array", maxItems: 10,
        items: { type: "object", additionalProperties: false, required: ["fingerprint", "labels", "changes"], properties: { ...ALERT_REF, changes: { type: "integer", minimum: 1 } } },
      },
      longest_standing: {
        type: "array", maxItems: 10,
        items: {
          type: "object", additionalProperties: false, required: ["fingerprint", "labels", "started_at", "ended_at", "open", "duration_seconds"],
          properties: { ...ALERT_REF, started_at: { type: "string", format: "date-time" }, ended_at: { type: ["string", "null"], format: "date-time" }, open: { type: "boolean" }, duration_seconds: { type: "number", minimum: 0 } },
        },
      },
    },
  },
  StatsTimeseries: {
    type: "object",
    additionalProperties: false,
    required: ["since", "until", "step_seconds", "by", "steps", "total", "series", "other_buckets", "notifications_unattributed"],
    properties: {
      since: { type: "string", format: "date-time" },
      until: { type: "string", format: "date-time" },
      step_seconds: { type: "number" },
      by: { type: "string" },
      steps: { type: "array", items: { type: "string", format: "date-time" }, description: "the start of each step" },
      total: { type: "object", additionalProperties: false, required: ["started", "resolved", "notifications"], properties: { started: COUNTS, resolved: COUNTS, notifications: COUNTS } },
      series: {
        type: "array",
        items: {
          type: "object", additionalProperties: false, required: ["value", "started", "resolved", "notifications"],
          properties: { value: { type: "string" }, started: COUNTS, resolved: COUNTS, notifications: COUNTS },
        },
      },
      other_buckets: { type: "integer", minimum: 0, description: "buckets beyond `limit`, left out of `series` (still in `total`)" },
      notifications_unattributed: COUNTS,
    },
  },
};

const RANGE_PARAMS = [
  { name: "since", in: "query", schema: { type: "string" }, description: "RFC 3339 or relative (-24h); default: 24h before until" },
  { name: "until", in: "query", schema: { type: "string" }, description: "RFC 3339 or relative; default: now" },
  { name: "by", in: "query", schema: { type: "string" }, description: "receiver, or any label name (alertname, priority, team, …); default alertname" },
];

/** `GET /stats` and `GET /stats/timeseries`. */
export function statsModule(deps: StatsDeps): OpsModule {
  return {
    schemas,
    routes: [
      {
        method: "GET",
        path: "/stats",
        role: "viewer",
        operationId: "getStats",
        summary: "Per bucket: episodes started and resolved, notifications sent, MTTA and MTTR; the noisiest, most flapping and longest-standing alerts",
        spec: {
          parameters: [...RANGE_PARAMS, { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000 }, description: "most buckets returned (default 100)" }],
          responses: { 200: { description: "statistics of the range", content: { "application/json": { schema: { $ref: "#/components/schemas/Stats" } } } } },
        },
        async handler(req) {
          const r = parseRange(req, deps.clock.now());
          const limit = parseLimit(queryValue(req.query, "limit"), 100, 1000);
          const s = await computeStats(deps.statsRepo, { ...r, receiversOf: receiversOf(deps) }, r.untilMs - r.sinceMs);
          const buckets = ranked(s.buckets.values());
          const total = bucketJson(s.total);
          return {
            status: 200,
            json: {
              since: iso(r.sinceMs),
              until: iso(r.untilMs),
              by: r.by,
              totals: {
                episodes_started: total.episodes_started,
                episodes_resolved: total.episodes_resolved,
                notifications_sent: total.notifications_sent,
                notifications_unattributed: sum(s.unattributed),
                mtta_seconds: total.mtta_seconds,
                mttr_seconds: total.mttr_seconds,
              },
              buckets: buckets.slice(0, limit).map(bucketJson),
              buckets_truncated: buckets.length > limit,
              noisiest: s.noisiest.map((a) => ({ fingerprint: a.fingerprint, labels: a.labels, episodes: a.episodes })),
              most_flapping: s.mostFlapping.map((a) => ({ fingerprint: a.fingerprint, labels: a.labels, changes: a.changes })),
              longest_standing: s.longestStanding.map(standingJson),
            },
          };
        },
      },
      {
        method: "GET",
        path: "/stats/timeseries",
        role: "viewer",
        operationId: "getStatsTimeseries",
        summary: "Episodes started and resolved and notifications sent per step, per bucket, for charts",
        spec: {
          parameters: [
            ...RANGE_PARAMS,
            { name: "step", in: "query", schema: { type: "string" }, description: `duration (1h, 5m, 1h30m, 1d) or seconds; default 1h; at least 1s and at most ${MAX_STEPS} steps` },
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100 }, description: "most series (buckets) returned, the busiest first (default 10)" },
          ],
          responses: { 200: { description: "counts per step", content: { "application/json": { schema: { $ref: "#/components/schemas/StatsTimeseries" } } } } },
        },
        async handler(req) {
          const r = parseRange(req, deps.clock.now());
          const stepMs = parseStep(queryValue(req.query, "step"));
          const limit = parseLimit(queryValue(req.query, "limit"), 10, 100);
          const steps = Math.ceil((r.untilMs - r.sinceMs) / stepMs);
          if (steps > MAX_STEPS) throw new OpsError(400, `${steps} steps of ${stepMs / 1000}s between since and until; at most ${MAX_STEPS}: use a larger step or a shorter range`);
          const s = await computeStats(deps.statsRepo, { ...r, receiversOf: receiversOf(deps) }, stepMs);
          const buckets = ranked(s.buckets.values());
          return {
            status: 200,
            json: {
              since: iso(r.sinceMs),
              until: iso(r.untilMs),
              step_seconds: stepMs / 1000,
              by: r.by,
              steps: Array.from({ length: s.steps }, (_, i) => iso(r.sinceMs + i * stepMs)),
              total: s.total.counts,
              series: buckets.slice(0, limit).map((b) => ({ value: b.value, ...b.counts })),
              other_buckets: Math.max(0, buckets.length - limit),
              notifications_unattributed: s.unattributed,
            },
          };
        },
      },
    ],
  };
}
