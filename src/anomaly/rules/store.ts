/** What the rule engine keeps across restarts, and the read model it shows; store/anomaly-repo.ts implements the store. */
import type { LabelSet } from "../../types/labels.ts";
import type { Phase } from "./alert-state.ts";

export interface StoredSeries {
  readonly fp: string;
  readonly labels: LabelSet;
  /** JSON-able: the alert state and the last sample. */
  readonly state: unknown;
  /** The detector's snapshot (anomaly rules only). */
  readonly model?: Buffer;
}

export interface StoredRule {
  readonly name: string;
  /** The rule's stateKey when saved: state under another key is discarded. */
  readonly stateKey: string;
  /** The last evaluation the state includes (aligned to the step). */
  readonly lastEvalMs: number;
  readonly savedAtMs: number;
  readonly series: readonly StoredSeries[];
}

export interface RuleStateStore {
  load(name: string): StoredRule | undefined;
  /** Replaces the rule's stored state; resolves once committed. */
  save(rule: StoredRule): Promise<void>;
  /** Forgets the state of rules not in `keep`. */
  retain(keep: readonly string[]): Promise<void>;
}

/** One series as the ops API and the metrics show it. */
export interface SeriesView {
  readonly labels: LabelSet;
  readonly phase: Phase;
  readonly activeAtMs: number | undefined;
  readonly firedAtMs: number | undefined;
  readonly lastSampleMs: number | undefined;
  readonly value: number;
  /** Anomaly rules: the last score. */
  readonly score?: number;
  readonly expected?: { low: number; high: number } | undefined;
  /** Predictions. */
  readonly etaMs?: number | undefined;
  readonly timeToThresholdMs?: number | undefined;
  readonly outcome?: string;
  readonly note?: string;
  /**
   * The last samples seen, oldest first (in memory only, at most RECENT_POINTS): anomaly rules
   * [tMs, value, score, low, high] (low/high null before the model has a range), predictions [tMs, value].
   */
  readonly recent?: ReadonlyArray<readonly (number | null)[]>;
}

/** Samples per series kept for the web page's charts. */
export const RECENT_POINTS = 240;
