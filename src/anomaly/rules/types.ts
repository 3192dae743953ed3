/** Anomaly rules and predictions as loaded from alertprism.yml (camelCase domain types; see config/anomaly.ts). */
import type { LabelSet } from "../../types/labels.ts";
import type { DetectorName } from "../index.ts";
import type { Direction } from "../predict.ts";

/** Where the rules read their series: a Prometheus (or anything that speaks its HTTP query API). */
export interface PrometheusSettings {
  /** Base URL, e.g. http://prometheus:9090 (a route prefix included). */
  readonly url: string;
  readonly timeoutMs: number;
  /** Sent as `Authorization: Bearer …`; never logged. */
  readonly bearerToken?: string;
  readonly basicAuth?: { readonly username: string; readonly password: string };
}

/** What both kinds of rule share: a query, an alert state machine, and the alert it produces. */
interface RuleCommon {
  /** The alertname of its alerts; unique across anomaly_rules and predictions. */
  readonly name: string;
  readonly query: string;
  /** Resolution of the series: samples are taken every `stepMs`, aligned to multiples of it. */
  readonly stepMs: number;
  /** How long the condition must hold before the alert fires (Prometheus's `for`). */
  readonly forMs: number;
  /** How long a firing alert stays firing after the condition cleared (Prometheus's `keep_firing_for`). */
  readonly keepFiringForMs: number;
  readonly labels: LabelSet;
  /** Go templates with Prometheus's $labels and $value (and $score / $eta, see the README). */
  readonly annotations: LabelSet;
  /** Series above this are not tracked (the rule reports the overflow as its error). */
  readonly maxSeries: number;
  /** A hash of what the rule's stored state depends on: another hash discards that state. */
  readonly stateKey: string;
}

export interface AnomalyRule extends RuleCommon {
  readonly kind: "anomaly";
  readonly detector: DetectorName;
  /** A score at or above this is anomalous. */
  readonly threshold: number;
  /** History read with query_range when the rule has no stored model. */
  readonly warmupMs: number;
}

export interface PredictionRule extends RuleCommon {
  readonly kind: "prediction";
  /** The value that means failure. */
  readonly threshold: number;
  /** Fire when the predicted crossing is at most this far ahead. */
  readonly horizonMs: number;
  /** Approached from above or below; by default the side the series is on now. */
  readonly direction: Direction | undefined;
  /** The history each evaluation fits its trend on. */
  readonly lookbackMs: number;
}

export type Rule = AnomalyRule | PredictionRule;

export interface AnomalySettings {
  readonly prometheus: PrometheusSettings | undefined;
  readonly rules: readonly Rule[];
}

export const NO_ANOMALY_SETTINGS: AnomalySettings = { prometheus: undefined, rules: [] };
