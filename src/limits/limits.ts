/**
 * Upper bounds on what clients can make AlertPrism hold in memory (alertprism.yml `limits:`). Every
 * limit is always on: a value is a bound on memory, so "unlimited" is not offered; the defaults are
 * far above normal use (see the README).
 */
export interface Limits {
  /** Alerts in the live set (firing, and resolved until gc_interval removes them). */
  readonly maxAlerts: number;
  /** Alerts of the live set that share one alertname, so one runaway rule cannot fill the set alone. */
  readonly maxAlertsPerAlertname: number;
  /** UTF-8 bytes of one alert's label and annotation names and values. */
  readonly maxAlertSizeBytes: number;
  /** Active and pending silences (expired ones are kept for silences.retention and do not count). */
  readonly maxSilences: number;
  /** UTF-8 bytes of one silence's matchers, comment and createdBy. */
  readonly maxSilenceSizeBytes: number;
  /** Aggregation groups of the dispatcher (route × group labels). */
  readonly maxAggregationGroups: number;
}

/** The limit names as alertprism.yml spells them: the `limit` label of the metrics and the key in messages. */
export const LIMIT_KEYS = {
  maxAlerts: "max_alerts",
  maxAlertsPerAlertname: "max_alerts_per_alertname",
  maxAlertSizeBytes: "max_alert_size_bytes",
  maxSilences: "max_silences",
  maxSilenceSizeBytes: "max_silence_size_bytes",
  maxAggregationGroups: "max_aggregation_groups",
} as const satisfies Record<keyof Limits, string>;

export type LimitName = (typeof LIMIT_KEYS)[keyof Limits];

export const LIMIT_NAMES: readonly LimitName[] = Object.values(LIMIT_KEYS);

/** Each limit under its alertprism.yml key (the `limit` label of the metrics). */
export function limitsByKey(l: Limits): Record<LimitName, number> {
  const out = {} as Record<LimitName, number>;
  for (const field of Object.keys(LIMIT_KEYS) as Array<keyof Limits>) out[LIMIT_KEYS[field]] = l[field];
  return out;
}

export const DEFAULT_LIMITS: Limits = {
  maxAlerts: 100_000,
  maxAlertsPerAlertname: 25_000,
  maxAlertSizeBytes: 16 * 1024,
  maxSilences: 10_000,
  maxSilenceSizeBytes: 32 * 1024,
  maxAggregationGroups: 100_000,
};
