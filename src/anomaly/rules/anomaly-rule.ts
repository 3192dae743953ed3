/**
 * One anomaly rule's series: each sample is scored by the series' own online detector (ongoing mode, so a
 * lasting anomaly keeps scoring) and drives the series' alert state. Pure apart from the detector state:
 * the engine decides what to query, this decides what the samples mean.
 */
import { createDetector, type Detector } from "../index.ts";
import { restoreDetector, snapshotDetector } from "../snapshot.ts";
import type { LabelSet } from "../../types/labels.ts";
import { TrackedSeries } from "./tracked-series.ts";
import type { IncomingAlert } from "../../ingest/normalise.ts";
import { advance, forgetResolved, INACTIVE, type AlertState } from "./alert-state.ts";
import { alertFor, alertLabels, formatValue } from "./alert-build.ts";
import { renderAnnotations } from "./annotations.ts";
import type { QuerySeries } from "./prometheus-client.ts";
import type { AnomalyRule } from "./types.ts";
import { RECENT_POINTS, type SeriesView, type StoredSeries } from "./store.ts";

interface Tracked {
  readonly fp: string;
  readonly labels: LabelSet;
  readonly detector: Detector;
  alert: AlertState;
  lastTs: number;
  value: number;
  score: number;
  expected: { low: number; high: number } | undefined;
  /** The last evaluation whose result held this series. */
  lastSeenMs: number;
  /** [tMs, value, score, low, high] of the last samples, for charts (not saved: refilled as samples come). */
  readonly recent: Array<readonly (number | null)[]>;
}

/** A series missing from this many evaluations in a row is forgotten (its alert resolves). */
const STALE_STEPS = 5;

export class AnomalyRuleSeries {
  private readonly tracked = new TrackedSeries<Tracked>();
  private readonly series = this.tracked.byFingerprint;

  constructor(public rule: AnomalyRule) {}

  /** Series of the last result that were not tracked because of max_series. */
  get overflow(): number {
    return this.tracked.overflow;
  }

  get size(): number {
    return this.series.size;
  }

  /**
   * Scores every sample newer than the series' last one, in time order, and advances its alert state;
   * `evalMs` is the (aligned) time the result is for. Series not seen for STALE_STEPS steps are dropped.
   */
  ingest(result: readonly QuerySeries[], evalMs: number): void {
    this.tracked.begin();
    for (const s of result) {
      const t = this.tracked.seen(s.labels, evalMs, this.rule.maxSeries, (fp) => ({
        fp, labels: s.labels, detector: createDetector(this.rule.detector, undefined, "ongoing"), alert: INACTIVE, lastTs: -Infinity, value: NaN, score: 0, expected: undefined, lastSeenMs: evalMs, recent: [],
      }));
      if (t === undefined) continue;
      for (const [ts, v] of s.samples) {
        if (ts <= t.lastTs) continue;
        t.lastTs = ts;
        t.value = v;
        t.score = t.detector.score(ts, v);
        t.expected = t.detector.expectedRange(ts);
        t.alert = advance(t.alert, Number.isFinite(v) && t.score >= this.rule.threshold, ts, this.rule);
        if (t.recent.length >= RECENT_POINTS) t.recent.shift();
        t.recent.push([ts, Number.isFinite(v) ? v : null, t.score, t.expected?.low ?? null, t.expected?.high ?? null]);
      }
    }
    this.tracked.end();
    // A series gone for STALE_STEPS: pending ends, firing resolves (alerts() forgets it once nothing is left to send).
    for (const t of this.series.values()) {
      if (evalMs - t.lastSeenMs >= STALE_STEPS * this.rule.stepMs && t.alert.phase !== "inactive") {
        t.alert = advance(t.alert, false, evalMs, { forMs: 0, keepFiringForMs: 0 });
      }
    }
  }

  /** The alerts to send now: firing series, and resolved ones still within the resolved retention. */
  alerts(nowMs: number, generatorURL: string): IncomingAlert[] {
    const out: IncomingAlert[] = [];
    for (const [fp, t] of this.series) {
      t.alert = forgetResolved(t.alert, nowMs);
      if (t.alert.resolvedAtMs === undefined && t.alert.phase === "inactive" && nowMs - t.lastSeenMs >= STALE_STEPS * this.rule.stepMs) {
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
    const own: Record<string, string> = { score: t.score.toFixed(3), value: formatValue(t.value) };
    if (t.expected) own.expected = `${formatValue(t.expected.low)} – ${formatValue(t.expected.high)}`;
    return { ...own, ...renderAnnotations(this.rule.annotations, { labels, value: t.value, score: t.score }) };
  }

  /** What the ops API and the metrics show. */
  view(): SeriesView[] {
    return [...this.series.values()].map((t) => ({
      labels: t.labels, phase: t.alert.phase, activeAtMs: t.alert.activeAtMs, firedAtMs: t.alert.firedAtMs,
      lastSampleMs: Number.isFinite(t.lastTs) ? t.lastTs : undefined, value: t.value, score: t.score, expected: t.expected, recent: t.recent,
    }));
  }

  snapshot(): StoredSeries[] {
    return [...this.series.values()].map((t) => this.snapshotOf(t));
  }

  /**
   * snapshot(), giving the event loop a turn after each series: a fused model takes milliseconds to
   * serialise, and a rule may track a hundred series. The caller must not ingest meanwhile.
   */
  async snapshotInTurns(): Promise<StoredSeries[]> {
    const out: StoredSeries[] = [];
    for (const t of [...this.series.values()]) {
      out.push(this.snapshotOf(t));
      await new Promise((r) => setImmediate(r));
    }
    return out;
  }

  private snapshotOf(t: Tracked): StoredSeries {
    return {
      fp: t.fp, labels: t.labels,
      state: { alert: t.alert, lastTs: Number.isFinite(t.lastTs) ? t.lastTs : null, value: Number.isFinite(t.value) ? t.value : null, score: t.score, expected: t.expected ?? null, lastSeenMs: t.lastSeenMs },
      model: snapshotDetector(t.detector),
    };
  }

  /** Restores stored series; one whose model does not fit (another detector version) is skipped and re-learnt. Returns how many were restored. */
  restore(stored: readonly StoredSeries[]): number {
    let n = 0;
    for (const s of stored) {
      if (!s.model || this.series.size >= this.rule.maxSeries) continue;
      const detector = createDetector(this.rule.detector, undefined, "ongoing");
      try {
        restoreDetector(detector, s.model);
      } catch {
        continue;
      }
      const st = s.state as { alert: AlertState; lastTs: number | null; value: number | null; score: number; expected: { low: number; high: number } | null; lastSeenMs: number };
      this.series.set(s.fp, {
        fp: s.fp, labels: s.labels, detector, alert: st.alert, lastTs: st.lastTs ?? -Infinity, value: st.value ?? NaN,
        score: st.score, expected: st.expected ?? undefined, lastSeenMs: st.lastSeenMs, recent: [],
      });
      n++;
    }
    return n;
  }

  /** Resolves every firing series now (the rule is being removed). */
  resolveAll(nowMs: number): void {
    for (const t of this.series.values()) if (t.alert.phase === "firing") t.alert = advance(t.alert, false, nowMs, { forMs: 0, keepFiringForMs: 0 });
  }
}
