/**
 * One prediction rule's series: at every evaluation the trend of each series' lookback is fitted
 * (predictCrossing: spikes screened, seasonality removed, last linear segment) and the alert condition
 * is "crosses the threshold within the horizon, or already has".
 */
import type { LabelSet } from "../../types/labels.ts";
import { TrackedSeries } from "./tracked-series.ts";
import type { IncomingAlert } from "../../ingest/normalise.ts";
import { fmtDuration, predictCrossing, type Prediction } from "../predict.ts";
import { capacityNote } from "../predict-capacity.ts";
import { advance, forgetResolved, INACTIVE, type AlertState } from "./alert-state.ts";
import { alertFor, alertLabels, formatValue } from "./alert-build.ts";
import { renderAnnotations } from "./annotations.ts";
import type { QuerySeries } from "./prometheus-client.ts";
import type { PredictionRule } from "./types.ts";
import { RECENT_POINTS, type SeriesView, type StoredSeries } from "./store.ts";

interface Tracked {
  readonly fp: string;
  readonly labels: LabelSet;
  alert: AlertState;
  lastSeenMs: number;
  lastSampleMs: number | undefined;
  value: number;
  prediction: Prediction | undefined;
  note: string;
  /** The fitted samples, thinned to at most RECENT_POINTS, for charts. */
  recent: Array<readonly (number | null)[]>;
}

export class PredictionRuleSeries {
  private readonly tracked = new TrackedSeries<Tracked>();
  private readonly series = this.tracked.byFingerprint;

  constructor(public rule: PredictionRule) {}

  /** Series of the last result that were not tracked because of max_series. */
  get overflow(): number {
    return this.tracked.overflow;
  }

  get size(): number {
    return this.series.size;
  }

  /** Fits every series of a lookback result at `evalMs`; series absent from it resolve and are forgotten. */
  evaluate(result: readonly QuerySeries[], evalMs: number): void {
    this.tracked.begin();
    for (const s of result) {
      const t = this.tracked.seen(s.labels, evalMs, this.rule.maxSeries, (fp) => ({
        fp, labels: s.labels, alert: INACTIVE, lastSeenMs: evalMs, lastSampleMs: undefined, value: NaN, prediction: undefined, note: "", recent: [],
      }));
      if (t === undefined) continue;
      const last = s.samples[s.samples.length - 1];
      t.lastSampleMs = last?.[0];
      t.value = last?.[1] ?? NaN;
      const p = predictCrossing(s.samples, { threshold: this.rule.threshold, direction: this.rule.direction, nowMs: evalMs });
      t.prediction = p;
      const stride = Math.ceil(s.samples.length / RECENT_POINTS);
      t.recent = s.samples.filter((_, i) => (s.samples.length - 1 - i) % stride === 0).map(([ts, v]) => [ts, Number.isFinite(v) ? v : null]);
      t.note = capacityNote(p, { horizonMs: this.rule.horizonMs }).text;
      const condition = p.outcome === "crossed" || (p.outcome === "crossing" && (p.timeToThresholdMs ?? Infinity) <= this.rule.horizonMs);
      t.alert = advance(t.alert, condition, evalMs, this.rule);
    }
    this.tracked.end();
    for (const t of this.series.values()) {
      if (t.lastSeenMs === evalMs) continue;
      if (t.alert.phase !== "inactive") t.alert = advance(t.alert, false, evalMs, { forMs: 0, keepFiringForMs: 0 });
      t.prediction = undefined;
    }
  }

  alerts(nowMs: number, generatorURL: string): IncomingAlert[] {
    const out: IncomingAlert[] = [];
    for (const [fp, t] of this.series) {
      t.alert = forgetResolved(t.alert, nowMs);
      if (t.prediction === undefined && t.alert.phase === "inactive" && t.alert.resolvedAtMs === undefined) {
        this.series.delete(fp);
        continue;
      }
      const labels = alertLabels(this.rule, t.labels);
      const a = alertFor(this.rule, t.alert, labels, this.annotations(t, labels), generatorURL, nowMs);
      if (a) out.push(a);
    }
    return out;
  }

  private annotations(t: Tracked, labels: LabelSet): Record<string, string> {
    const p = t.prediction;
    const own: Record<string, string> = { value: formatValue(t.value), capacity: t.note, description: t.note };
    const eta = p?.etaMs !== undefined ? new Date(p.etaMs).toISOString().replace(/\.000Z$/, "Z") : undefined;
    if (eta !== undefined) own.eta = eta;
    if (p?.timeToThresholdMs !== undefined) own.time_to_threshold = fmtDuration(p.timeToThresholdMs);
    return { ...own, ...renderAnnotations(this.rule.annotations, { labels, value: t.value, ...(eta !== undefined ? { eta } : {}) }) };
  }

  view(): SeriesView[] {
    return [...this.series.values()].map((t) => ({
      labels: t.labels, phase: t.alert.phase, activeAtMs: t.alert.activeAtMs, firedAtMs: t.alert.firedAtMs,
      lastSampleMs: t.lastSampleMs, value: t.value,
      etaMs: t.prediction?.etaMs, timeToThresholdMs: t.prediction?.timeToThresholdMs, outcome: t.prediction?.outcome, note: t.note, recent: t.recent,
    }));
  }

  /** Only the alert state is kept: the fit is recomputed from Prometheus at the next evaluation. */
  snapshot(): StoredSeries[] {
    return [...this.series.values()].map((t) => ({ fp: t.fp, labels: t.labels, state: { alert: t.alert, lastSeenMs: t.lastSeenMs } }));
  }

  restore(stored: readonly StoredSeries[]): number {
    for (const s of stored) {
      if (this.series.size >= this.rule.maxSeries) break;
      const st = s.state as { alert: AlertState; lastSeenMs: number };
      this.series.set(s.fp, { fp: s.fp, labels: s.labels, alert: st.alert, lastSeenMs: st.lastSeenMs, lastSampleMs: undefined, value: NaN, prediction: undefined, note: "", recent: [] });
    }
    return this.series.size;
  }

  resolveAll(nowMs: number): void {
    for (const t of this.series.values()) if (t.alert.phase === "firing") t.alert = advance(t.alert, false, nowMs, { forMs: 0, keepFiringForMs: 0 });
  }
}
