import type { Alert } from "../types/alert.ts";
import type { LabelSet } from "../types/labels.ts";
import type { Clock, TimerHandle } from "../lib/clock.ts";
import { matchesAll } from "../matchers/index.ts";
import type { AlertChange } from "./alert-change.ts";
import {
  counterHorizonMs, cover, entersStorm, exitsStorm, isStormSummary, newStormRecord, StartCounter, stormId, summaryAnnotations,
  type StormConfig, type StormRecord,
} from "./storm.ts";

/** The receivers an alert goes to, each with the group it lands in (from the current route tree). */
export type StormRouting = (labels: LabelSet) => ReadonlyArray<{ readonly receiver: string; readonly groupKey: string }>;

/** What the tracker does to the world: raise, refresh and resolve summaries, persist its state. */
export interface StormEffects {
  /** Raises or refreshes the summary alert of a storm (firing, with these annotations). */
  summary(record: StormRecord, annotations: LabelSet, resolvedAtMs: number | undefined): void;
  saveStorm(record: StormRecord, endedMs: number | undefined): void;
  saveCovered(record: StormRecord, fingerprints: readonly string[]): void;
  /** A storm started or ended (metrics, logs). */
  changed(receiver: string, active: boolean): void;
}

/** How often an active storm checks whether it is over. */
const EXIT_CHECK_MS = 1000;

interface ReceiverState {
  readonly counter: StartCounter;
  /** Starts within the enter window, to seed a storm's record with the alerts that opened it. */
  recent: Array<{ atMs: number; fingerprint: string; labels: LabelSet; groupKey: string }>;
  storm?: StormRecord;
  lastSummaryMs?: number;
}

/**
 * Storm state per receiver: counts alert starts, opens and closes storms by the pure decisions of
 * storm.ts, and keeps each storm's record of covered alerts for its summary. Summaries are refreshed
 * every summary_interval and resolved, with final totals, when the storm ends.
 */
export class StormTracker {
  private readonly receivers = new Map<string, ReceiverState>();
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private cfg: StormConfig,
    private readonly routing: () => StormRouting,
    private readonly effects: StormEffects,
    private readonly clock: Clock,
    private readonly formatTime: (ms: number) => string,
  ) {}

  /** A reload: new thresholds apply from now on; storms in progress go on under them. */
  configure(cfg: StormConfig): void {
    this.cfg = cfg;
  }

  get config(): StormConfig {
    return this.cfg;
  }

  /** Storms that were going on when the process stopped, and the starts of the recent past (from history). */
  restore(storms: readonly StormRecord[], recentChanges: readonly AlertChange[]): void {
    for (const r of storms) this.state(r.receiver).storm = r;
    this.observe(recentChanges, { replay: true });
  }

  /** Alert changes in the order they happened; only starts count (summaries excepted). */
  observe(changes: readonly AlertChange[], opts: { replay?: boolean } = {}): void {
    const route = this.routing();
    const covered = new Map<StormRecord, string[]>();
    for (const c of changes) {
      if (c.to !== "firing" || isStormSummary(c.labels)) continue;
      // Bypass alerts count towards a storm, but are notified as usual: no summary covers them.
      const bypassed = this.bypasses(c.labels);
      for (const { receiver, groupKey } of route(c.labels)) {
        const s = this.state(receiver);
        s.counter.add(c.atMs);
        if (bypassed) {
          if (s.storm === undefined && !opts.replay && entersStorm(s.counter, c.atMs, this.cfg)) this.open(receiver, s, c.atMs);
          continue;
        }
        s.recent.push({ atMs: c.atMs, fingerprint: c.fingerprint, labels: c.labels, groupKey });
        if (s.storm !== undefined) {
          if (c.atMs >= s.storm.startedMs) {
            cover(s.storm, { fingerprint: c.fingerprint, labels: c.labels, groupKey, atMs: c.atMs });
            const list = covered.get(s.storm);
            if (list) list.push(c.fingerprint);
            else covered.set(s.storm, [c.fingerprint]);
          }
        } else if (!opts.replay && entersStorm(s.counter, c.atMs, this.cfg)) {
          this.open(receiver, s, c.atMs);
        }
      }
    }
    for (const [record, fps] of covered) this.effects.saveCovered(record, fps);
    this.schedule();
  }

  /** Whether an alert matches a bypass entry (it is notified as usual during a storm). */
  bypasses(labels: LabelSet): boolean {
    return this.cfg.bypass.some((ms) => matchesAll(ms, labels));
  }

  /** The storm a receiver is in, if any. */
  active(receiver: string): StormRecord | undefined {
    return this.receivers.get(receiver)?.storm;
  }

  /**
   * Alerts a storm held at a group flush: the summary covers them. Only alerts new to the storm or to
   * this group change the record, so a group held at every group_interval writes nothing again.
   */
  hold(record: StormRecord, alerts: readonly Alert[], groupKey: string, nowMs: number): void {
    const joining = alerts.filter((a) => record.alerts.get(a.fingerprint)?.groups.has(groupKey) !== true);
    if (joining.length === 0) return;
    for (const a of joining) cover(record, { fingerprint: a.fingerprint, labels: a.labels, groupKey, atMs: nowMs });
    this.effects.saveCovered(record, joining.map((a) => a.fingerprint));
  }

  /** Ends every storm (storm mode switched off by a reload, or shutdown of the feature). */
  endAll(): void {
    const now = this.clock.now();
    for (const [receiver, s] of this.receivers) if (s.storm !== undefined) this.close(receiver, s, now);
    this.receivers.clear();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Checks every active storm: over, or due for a fresh summary. */
  tick(): void {
    this.timer = undefined;
    const now = this.clock.now();
    for (const [receiver, s] of this.receivers) {
      s.counter.prune(now);
      s.recent = s.recent.filter((r) => r.atMs > now - this.cfg.enterWithinMs);
      if (s.storm === undefined) continue;
      if (exitsStorm(s.counter, s.storm.startedMs, now, this.cfg)) this.close(receiver, s, now);
      else if (s.lastSummaryMs === undefined || now - s.lastSummaryMs >= this.cfg.summaryIntervalMs) this.refresh(s.storm, s, now);
    }
    this.schedule();
  }

  private state(receiver: string): ReceiverState {
    let s = this.receivers.get(receiver);
    if (s === undefined) {
      s = { counter: new StartCounter(counterHorizonMs(this.cfg)), recent: [] };
      this.receivers.set(receiver, s);
    }
    return s;
  }

  private open(receiver: string, s: ReceiverState, atMs: number): void {
    const record = newStormRecord(stormId(receiver, atMs), receiver, atMs);
    for (const r of s.recent) if (r.atMs > atMs - this.cfg.enterWithinMs) cover(record, r);
    s.storm = record;
    this.effects.saveStorm(record, undefined);
    this.effects.saveCovered(record, [...record.alerts.keys()]);
    this.effects.changed(receiver, true);
    this.refresh(record, s, atMs);
  }

  private refresh(record: StormRecord, s: ReceiverState, nowMs: number): void {
    s.lastSummaryMs = nowMs;
    this.effects.summary(record, summaryAnnotations(record, this.formatTime), undefined);
  }

  private close(receiver: string, s: ReceiverState, nowMs: number): void {
    const record = s.storm as StormRecord;
    s.storm = undefined;
    s.lastSummaryMs = undefined;
    this.effects.saveStorm(record, nowMs);
    this.effects.summary(record, summaryAnnotations(record, this.formatTime), nowMs);
    this.effects.changed(receiver, false);
  }

  private schedule(): void {
    if (this.stopped || this.timer !== undefined) return;
    const busy = [...this.receivers.values()].some((s) => s.storm !== undefined || s.recent.length > 0);
    if (busy) this.timer = this.clock.setTimeout(() => this.tick(), EXIT_CHECK_MS);
  }
}
