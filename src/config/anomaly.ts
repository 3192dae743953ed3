/**
 * alertprism.yml's `prometheus:`, `anomaly_rules:` and `predictions:`: schemas (merged into
 * alertprismSchema) and the loader that checks what a schema cannot (units, names, templates, uniqueness).
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { parseYaml, readYamlFile, validateWith, type YamlSource } from "./yaml-source.ts";
import { parseDuration } from "./duration.ts";
import { ConfigError } from "../lib/errors.ts";
import { isValidLabelName } from "../types/labels.ts";
import { DETECTORS } from "../anomaly/index.ts";
import { checkAnnotationTemplate } from "../anomaly/rules/annotations.ts";
import { NO_ANOMALY_SETTINGS, type AnomalyRule, type AnomalySettings, type PredictionRule, type PrometheusSettings } from "../anomaly/rules/types.ts";
import { TemplateError } from "../template/index.ts";

const duration = z.string().min(1);
const stringMap = z.record(z.string(), z.string());

export const prometheusSchema = z.strictObject({
  url: z.string().refine((s) => /^https?:\/\/[^/\s]+/.test(s), "must be an http:// or https:// URL"),
  timeout: duration.optional(),
  bearer_token: z.string().min(1).optional(),
  basic_auth: z.strictObject({ username: z.string().min(1), password: z.string() }).optional(),
});

const ruleCommon = {
  name: z.string().min(1),
  query: z.string().trim().min(1, "must be a PromQL expression"),
  step: duration.optional(),
  for: duration.optional(),
  keep_firing_for: duration.optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  max_series: z.number().int().positive().max(100_000).optional(),
};

export const anomalyRuleSchema = z.strictObject({
  ...ruleCommon,
  detector: z.enum(DETECTORS).optional(),
  threshold: z.number().gt(0, "must be above 0").max(1, "scores are at most 1").optional(),
  warmup: duration.optional(),
});

export const predictionSchema = z.strictObject({
  ...ruleCommon,
  threshold: z.number(),
  horizon: duration,
  direction: z.enum(["falling", "rising"]).optional(),
  lookback: duration.optional(),
});

/** Defaults; the README's configuration reference lists them. */
const DEFAULTS = {
  timeout: "30s",
  anomalyStep: "1m",
  predictionStep: "5m",
  detector: "fused" as const,
  threshold: 0.95,
  warmup: "7d",
  lookback: "7d",
  maxSeries: 100,
};

/** Prometheus answers at most 11,000 points per series; a warm-up or lookback is read in chunks, but a step that small is a mistake. */
const MAX_POINTS_PER_RULE = 100_000;

export function loadAnomalySettings(file: string, env?: NodeJS.ProcessEnv): AnomalySettings {
  return anomalySettingsFrom(readYamlFile(file, env));
}

/** loadAnomalySettings for text already in memory (tests, tools). */
export function parseAnomalySettings(text: string, file = "alertprism.yml", env?: NodeJS.ProcessEnv): AnomalySettings {
  return anomalySettingsFrom(parseYaml(text, file, env));
}

interface RawFile {
  prometheus?: z.infer<typeof prometheusSchema>;
  anomaly_rules?: Array<z.infer<typeof anomalyRuleSchema>>;
  predictions?: Array<z.infer<typeof predictionSchema>>;
}

function anomalySettingsFrom(src: YamlSource): AnomalySettings {
  const parsed = validateWith(z.looseObject({
    prometheus: prometheusSchema.optional(),
    anomaly_rules: z.array(anomalyRuleSchema).optional(),
    predictions: z.array(predictionSchema).optional(),
  }), src) as RawFile;
  const anomalyRaw = parsed.anomaly_rules ?? [];
  const predictionRaw = parsed.predictions ?? [];
  if (anomalyRaw.length === 0 && predictionRaw.length === 0) {
    return parsed.prometheus ? { prometheus: prometheusFrom(parsed.prometheus, src), rules: [] } : NO_ANOMALY_SETTINGS;
  }
  if (!parsed.prometheus) {
    throw new ConfigError("prometheus.url is required: anomaly_rules and predictions query a Prometheus", src.where([anomalyRaw.length > 0 ? "anomaly_rules" : "predictions"]));
  }
  const prometheus = prometheusFrom(parsed.prometheus, src);
  const names = new Map<string, string>();
  const rules: Array<AnomalyRule | PredictionRule> = [];
  anomalyRaw.forEach((r, i) => {
    const at = (...p: Array<string | number>) => src.where(["anomaly_rules", i, ...p]);
    const common = commonFrom(r, DEFAULTS.anomalyStep, at, names);
    const detector = r.detector ?? DEFAULTS.detector;
    const warmupMs = durationAt(r.warmup ?? DEFAULTS.warmup, at("warmup"));
    if (warmupMs / common.stepMs > MAX_POINTS_PER_RULE) throw new ConfigError(`warmup / step is ${Math.ceil(warmupMs / common.stepMs)} points; at most ${MAX_POINTS_PER_RULE}`, at("warmup"));
    rules.push({ ...common, kind: "anomaly", detector, threshold: r.threshold ?? DEFAULTS.threshold, warmupMs, stateKey: stateKey(["anomaly", r.query, common.stepMs, detector]) });
  });
  predictionRaw.forEach((r, i) => {
    const at = (...p: Array<string | number>) => src.where(["predictions", i, ...p]);
    const common = commonFrom(r, DEFAULTS.predictionStep, at, names);
    const horizonMs = positiveDurationAt(r.horizon, at("horizon"));
    const lookbackMs = positiveDurationAt(r.lookback ?? DEFAULTS.lookback, at("lookback"));
    if (lookbackMs / common.stepMs > MAX_POINTS_PER_RULE) throw new ConfigError(`lookback / step is ${Math.ceil(lookbackMs / common.stepMs)} points; at most ${MAX_POINTS_PER_RULE}`, at("lookback"));
    if (lookbackMs < 12 * common.stepMs) throw new ConfigError("lookback must hold at least 12 steps: a trend needs samples", at("lookback"));
    rules.push({
      ...common, kind: "prediction", threshold: r.threshold, horizonMs, direction: r.direction, lookbackMs,
      stateKey: stateKey(["prediction", r.query, common.stepMs]),
    });
  });
  return { prometheus, rules };
}

function prometheusFrom(p: NonNullable<RawFile["prometheus"]>, src: YamlSource): PrometheusSettings {
  const timeoutMs = positiveDurationAt(p.timeout ?? DEFAULTS.timeout, src.where(["prometheus", "timeout"]));
  if (p.bearer_token !== undefined && p.basic_auth !== undefined) throw new ConfigError("set bearer_token or basic_auth, not both", src.where(["prometheus"]));
  return {
    url: p.url.replace(/\/+$/, ""),
    timeoutMs,
    ...(p.bearer_token !== undefined ? { bearerToken: p.bearer_token } : {}),
    ...(p.basic_auth !== undefined ? { basicAuth: p.basic_auth } : {}),
  };
}

type Common = Omit<AnomalyRule, "kind" | "detector" | "threshold" | "warmupMs" | "stateKey">;

function commonFrom(
  r: z.infer<typeof anomalyRuleSchema> | z.infer<typeof predictionSchema>, defaultStep: string,
  at: (...p: Array<string | number>) => string, names: Map<string, string>,
): Common {
  const twin = names.get(r.name);
  if (twin !== undefined) throw new ConfigError(`rule name "${r.name}" is also used at ${twin}: it is the alertname, so it must be unique`, at("name"));
  names.set(r.name, at("name"));
  const labels = r.labels ?? {};
  for (const [k, v] of Object.entries(labels)) {
    if (!isValidLabelName(k)) throw new ConfigError(`invalid label name ${JSON.stringify(k)}`, at("labels", k));
    if (k === "alertname") throw new ConfigError("alertname is the rule's name; it cannot be set in labels", at("labels", k));
    if (v === "") throw new ConfigError(`empty value for label "${k}" (an empty label is no label)`, at("labels", k));
  }
  const annotations = r.annotations ?? {};
  for (const [k, text] of Object.entries(annotations)) {
    if (!isValidLabelName(k)) throw new ConfigError(`invalid annotation name ${JSON.stringify(k)}`, at("annotations", k));
    try {
      checkAnnotationTemplate(text);
    } catch (err) {
      if (err instanceof TemplateError) throw new ConfigError(err.message, at("annotations", k));
      throw err;
    }
  }
  return {
    name: r.name,
    query: r.query,
    stepMs: positiveDurationAt(r.step ?? defaultStep, at("step")),
    forMs: durationAt(r.for ?? "0s", at("for")),
    keepFiringForMs: durationAt(r.keep_firing_for ?? "0s", at("keep_firing_for")),
    labels,
    annotations,
    maxSeries: r.max_series ?? DEFAULTS.maxSeries,
  };
}

function durationAt(text: string, where: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err), where);
  }
}

function positiveDurationAt(text: string, where: string): number {
  const ms = durationAt(text, where);
  if (ms <= 0) throw new ConfigError("must be longer than 0", where);
  return ms;
}

function stateKey(parts: ReadonlyArray<string | number>): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16);
}
