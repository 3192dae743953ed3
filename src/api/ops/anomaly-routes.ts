/**
 * GET /anomaly/rules: every anomaly rule and prediction with its health (the last error when Prometheus
 * could not be read), when it last ran, and each series' state, score or predicted crossing.
 */
import type { OpsModule } from "./openapi.ts";
import type { RuleStatus } from "../../anomaly/rules/engine.ts";
import { RECENT_POINTS, type SeriesView } from "../../anomaly/rules/store.ts";
import { queryValue } from "./params.ts";
import { OpsError } from "./route-table.ts";

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const num = (v: number | undefined): number | null | undefined => (v === undefined ? undefined : Number.isFinite(v) ? v : null);

const SERIES_SCHEMA = {
  type: "object",
  required: ["labels", "state"],
  additionalProperties: false,
  properties: {
    labels: { type: "object", additionalProperties: { type: "string" }, description: "the series' labels as Prometheus returned them" },
    state: { enum: ["inactive", "pending", "firing"] },
    activeAt: { type: "string", format: "date-time", description: "when the condition became true (pending or firing)" },
    firedAt: { type: "string", format: "date-time" },
    lastSample: { type: "string", format: "date-time" },
    value: { type: ["number", "null"], description: "the last value (null when not a finite number)" },
    score: { type: ["number", "null"], minimum: 0, maximum: 1, description: "anomaly rules: the last score" },
    expected: { type: "object", required: ["low", "high"], additionalProperties: false, properties: { low: { type: "number" }, high: { type: "number" } } },
    outcome: { enum: ["crossing", "crossed", "beyond-horizon", "moving-away", "no-trend", "insufficient-data"], description: "predictions: what the fit says" },
    eta: { type: "string", format: "date-time", description: "predictions: when the threshold is crossed" },
    timeToThresholdSeconds: { type: "number" },
    note: { type: "string", description: "predictions: the rate of change and what it takes to last the horizon" },
    recent: {
      type: "array",
      description: "with ?recent=N: the last N samples, oldest first: [time ms, value, score, expected low, expected high] (anomaly rules) or [time ms, value] (predictions); nulls where unknown",
      items: { type: "array", items: { type: ["number", "null"] } },
    },
  },
};

const RULE_SCHEMA = {
  type: "object",
  required: ["name", "kind", "query", "stepSeconds", "threshold", "health", "overflowSeries", "series"],
  additionalProperties: false,
  properties: {
    name: { type: "string", description: "the alertname of its alerts" },
    kind: { enum: ["anomaly", "prediction"] },
    query: { type: "string" },
    stepSeconds: { type: "number" },
    detector: { enum: ["zscore", "seasonal", "iforest", "fused"] },
    threshold: { type: "number" },
    forSeconds: { type: "number" },
    horizonSeconds: { type: "number" },
    health: { enum: ["unknown", "ok", "error"], description: "unknown until the first evaluation" },
    lastError: { type: "string", description: "why the last evaluation failed (absent when it succeeded)" },
    lastErrorAt: { type: "string", format: "date-time" },
    lastEvaluation: { type: "string", format: "date-time" },
    evaluatedUntil: { type: "string", format: "date-time", description: "the last step the series state includes" },
    lastDurationSeconds: { type: "number" },
    overflowSeries: { type: "integer", description: "series of the last result not tracked because of max_series" },
    series: { type: "array", items: { $ref: "#/components/schemas/AnomalySeries" } },
  },
};

function seriesJson(s: SeriesView, recent: number): Record<string, unknown> {
  return dropUndefined({
    labels: s.labels, state: s.phase, activeAt: iso(s.activeAtMs), firedAt: iso(s.firedAtMs), lastSample: iso(s.lastSampleMs),
    value: num(s.value), score: num(s.score), expected: s.expected, outcome: s.outcome, eta: iso(s.etaMs),
    timeToThresholdSeconds: s.timeToThresholdMs === undefined ? undefined : s.timeToThresholdMs / 1000,
    note: s.note === "" ? undefined : s.note,
    recent: recent > 0 ? (s.recent ?? []).slice(-recent) : undefined,
  });
}

function ruleJson(st: RuleStatus, recent: number): Record<string, unknown> {
  const r = st.rule;
  return dropUndefined({
    name: r.name, kind: r.kind, query: r.query, stepSeconds: r.stepMs / 1000,
    detector: r.kind === "anomaly" ? r.detector : undefined, threshold: r.threshold, forSeconds: r.forMs / 1000,
    horizonSeconds: r.kind === "prediction" ? r.horizonMs / 1000 : undefined,
    health: st.health, lastError: st.lastError, lastErrorAt: iso(st.lastErrorAtMs), lastEvaluation: iso(st.lastEvaluationAtMs),
    evaluatedUntil: iso(st.evaluatedUntilMs), lastDurationSeconds: st.lastDurationMs === undefined ? undefined : st.lastDurationMs / 1000,
    overflowSeries: st.overflow, series: st.series.map((s) => seriesJson(s, recent)),
  });
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export function anomalyModule(deps: { readonly anomalyRules?: () => readonly RuleStatus[] }): OpsModule {
  return {
    schemas: { AnomalyRule: RULE_SCHEMA, AnomalySeries: SERIES_SCHEMA },
    routes: [{
      method: "GET",
      path: "/anomaly/rules",
      role: "viewer",
      operationId: "listAnomalyRules",
      summary: "Anomaly rules and predictions: health, last error, series states and scores",
      spec: {
        parameters: [{ name: "recent", in: "query", required: false, description: "include each series' last N samples (for charts)", schema: { type: "integer", minimum: 0, maximum: RECENT_POINTS, default: 0 } }],
        responses: {
          200: {
            description: "every configured rule (none without anomaly_rules or predictions)",
            content: { "application/json": { schema: { type: "object", required: ["rules"], additionalProperties: false, properties: { rules: { type: "array", items: { $ref: "#/components/schemas/AnomalyRule" } } } } } },
          },
        },
      },
      handler: (req) => {
        const text = queryValue(req.query, "recent") ?? "0";
        if (!/^\d{1,4}$/.test(text) || Number(text) > RECENT_POINTS) throw new OpsError(400, `recent must be a whole number from 0 to ${RECENT_POINTS}`);
        const recent = Number(text);
        return { status: 200, json: { rules: (deps.anomalyRules?.() ?? []).map((st) => ruleJson(st, recent)) } };
      },
    }],
  };
}
