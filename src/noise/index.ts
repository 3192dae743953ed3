import type { LabelSet } from "../types/labels.ts";
import type { IncomingAlert } from "../ingest/normalise.ts";
import { removeReplicaLabels } from "./replica-dedup.ts";
import { enrichLabels, type EnrichRule } from "./enrich.ts";
import type { FlapConfig } from "./flap.ts";
import type { StormConfig } from "./storm.ts";

export { removeReplicaLabels, type DedupedLabels } from "./replica-dedup.ts";
export { enrichLabels, type EnrichRule } from "./enrich.ts";
export type { AlertChange } from "./alert-change.ts";
export { FlapTracker, type FlapPersistence } from "./flap-tracker.ts";
export { flapStage } from "./flap-stage.ts";
export type { FlapConfig, FlapState } from "./flap.ts";
export { StormTracker, type StormEffects, type StormRouting } from "./storm-tracker.ts";
export { stormStage } from "./storm-stage.ts";
export { isStormSummary, summaryLabels, type StormConfig, type StormRecord } from "./storm.ts";

/**
 * The ingest rules of alertprism.yml, as domain values: `noise.dedup.ignore_labels` and `enrich`.
 * Everything is off when absent, so an unchanged setup behaves exactly like Alertmanager.
 */
export interface IngestRulesConfig {
  /** Labels removed at ingest (replica dedup); empty = off. */
  readonly ignoreLabels: readonly string[];
  /** Enrichment rules, in file order; empty = off. */
  readonly enrich: readonly EnrichRule[];
}

/** alertprism.yml's notification stages: storm mode and flap damping, each off when absent. */
export interface NoiseStagesConfig {
  readonly storm?: StormConfig;
  readonly flapping?: FlapConfig;
}

export const NO_NOISE_STAGES: NoiseStagesConfig = {};

export const NO_INGEST_RULES: IngestRulesConfig = { ignoreLabels: [], enrich: [] };

/** Alerts after the ingest rules, and for each the replica labels that were removed from it (its source). */
export interface RuledAlerts {
  readonly alerts: readonly IncomingAlert[];
  /** Parallel to `alerts`; undefined where nothing was removed. */
  readonly sources: ReadonlyArray<LabelSet | undefined>;
}

/** Rewrites received alerts before they are validated and fingerprinted. */
export type IngestRules = (alerts: readonly IncomingAlert[]) => RuledAlerts;

/**
 * The ingest rules in their order: replica labels are removed first (they identify a sender, not the
 * alert, so enrichment never sees them), then enrichment adds labels. With nothing configured the
 * alerts pass through untouched.
 */
export function createIngestRules(config: IngestRulesConfig): IngestRules {
  const ignore = new Set(config.ignoreLabels);
  const rules = config.enrich;
  if (ignore.size === 0 && rules.length === 0) {
    return (alerts) => ({ alerts, sources: alerts.map(() => undefined) });
  }
  return (alerts) => {
    const out: IncomingAlert[] = [];
    const sources: Array<LabelSet | undefined> = [];
    for (const a of alerts) {
      const { labels, source } = ignore.size > 0 ? removeReplicaLabels(a.labels, ignore) : { labels: a.labels, source: undefined };
      const enriched = enrichLabels(labels, rules);
      out.push(enriched === a.labels ? a : { ...a, labels: enriched });
      sources.push(source);
    }
    return { alerts: out, sources };
  };
}
