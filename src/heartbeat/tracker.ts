import type { Alert } from "../types/alert.ts";
import type { Clock, TimerHandle } from "../lib/clock.ts";
import { deadlineOf, isArrival, statusAt, type Heartbeat, type HeartbeatState, type HeartbeatStatus } from "./heartbeat.ts";

/** What the tracker makes happen; the tracker itself only decides. */
export interface HeartbeatEffects {
  /**
   * The heartbeat is missing since `sinceMs`: raise its HeartbeatMissing alert (`raised`: first call of
   * this episode in this process), or keep it firing (called again every refresh).
   */
  missing(hb: Heartbeat, state: HeartbeatState, sinceMs: number, raised: boolean): void;
  /** The heartbeat's HeartbeatMissing alert ends at `atMs` (a heartbeat arrived, or the entry changed or went away). */
  resolved(hb: Heartbeat, state: HeartbeatState, sinceMs: number, atMs: number): void;
  /** The state to remember across restarts changed. */
  save(id: string, state: HeartbeatState): void;
  /** The heartbeat is no longer configured: its state is dropped. */
  forget(id: string): void;
}

/** A heartbeat's state as the ops API and the metrics read it. */
export interface HeartbeatView {
  readonly heartbeat: Heartbeat;
  readonly state: HeartbeatState;
  readonly status: HeartbeatStatus;
  readonly missingSinceMs: number | undefined;
  readonly deadlineMs: number;
}

interface Entry {
  hb: Heartbeat;
  state: HeartbeatState;
  /** Since when its HeartbeatMissing alert fires; undefined while it is not raised. */
  raisedSinceMs: number | undefined;
  timer: TimerHandle | undefined;
}

/**
 * The dead man's switch: each configured heartbeat expects a matching firing alert (new or re-sent) at least
 * once per timeout. When one does not come, the heartbeat is missing and its alert is raised, then kept
 * firing every `refreshMs`; the next arrival resolves it. Time comes from the clock, so a restart that
 * restores the last arrival keeps the timer running (an outage longer than the timeout is reported at once).
 */
export class HeartbeatTracker {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  constructor(private readonly clock: Clock, private readonly effects: HeartbeatEffects, private readonly refreshMs: number) {}

  /**
   * Applies a (re)loaded list. A heartbeat seen before keeps its state; a new one takes `stored(id)` (what a
   * previous run saved) or starts waiting now. Removed ones are forgotten, their alert resolved.
   */
  configure(heartbeats: readonly Heartbeat[], stored: (id: string) => HeartbeatState | undefined): void {
    const now = this.clock.now();
    const wanted = new Set(heartbeats.map((h) => h.id));
    for (const [id, e] of this.entries) {
      if (wanted.has(id)) continue;
      this.clear(e);
      this.resolve(e, now);
      this.entries.delete(id);
      this.effects.forget(id);
    }
    const kept = new Map(this.entries);
    this.entries.clear(); // refilled in configuration order
    for (const hb of heartbeats) {
      const e = kept.get(hb.id);
      if (e === undefined) {
        const saved = stored(hb.id);
        const state = saved ?? { firstSeenMs: now, lastArrivalMs: undefined };
        if (saved === undefined) this.effects.save(hb.id, state);
        const entry: Entry = { hb, state, raisedSinceMs: undefined, timer: undefined };
        this.entries.set(hb.id, entry);
        this.evaluate(entry);
        continue;
      }
      // Another receiver is another alert: the old one ends, the next evaluation raises the new one.
      if (e.hb.receiver !== hb.receiver) this.resolve(e, now);
      e.hb = hb;
      this.entries.set(hb.id, e);
      this.evaluate(e);
    }
  }

  /** Received alerts (after they were committed): every matching firing one is an arrival of its heartbeat. */
  observe(alerts: readonly Alert[]): void {
    if (this.stopped || this.entries.size === 0) return;
    const now = this.clock.now();
    for (const e of this.entries.values()) {
      if (!alerts.some((a) => isArrival(e.hb, a, now))) continue;
      // Resolved with what it said while missing (the last arrival before the gap).
      this.resolve(e, now);
      e.state = { ...e.state, lastArrivalMs: now };
      this.effects.save(e.hb.id, e.state);
      this.evaluate(e);
    }
  }

  list(): HeartbeatView[] {
    const now = this.clock.now();
    return [...this.entries.values()].map((e) => {
      const { status, missingSinceMs } = statusAt(e.hb, e.state, now);
      return { heartbeat: e.hb, state: e.state, status, missingSinceMs, deadlineMs: deadlineOf(e.hb, e.state) };
    });
  }

  /** The heartbeat whose HeartbeatMissing alert carries this `heartbeat` label. */
  get(id: string): Heartbeat | undefined {
    return this.entries.get(id)?.hb;
  }

  /** Stops the timers; raised alerts stay as they are (the next start refreshes or resolves them). */
  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) this.clear(e);
  }

  /** Raises or refreshes a missing heartbeat's alert, and arms the timer for what comes next. */
  private evaluate(e: Entry): void {
    if (this.stopped) return;
    this.clear(e);
    const now = this.clock.now();
    const { status, missingSinceMs } = statusAt(e.hb, e.state, now);
    if (status === "missing" && missingSinceMs !== undefined) {
      // A longer timeout (reload) can move the deadline: the alert keeps its original start while raised.
      const raised = e.raisedSinceMs === undefined;
      e.raisedSinceMs ??= missingSinceMs;
      this.effects.missing(e.hb, e.state, e.raisedSinceMs, raised);
      e.timer = this.clock.setTimeout(() => this.evaluate(e), this.refreshMs);
      return;
    }
    this.resolve(e, now);
    e.timer = this.clock.setTimeout(() => this.evaluate(e), deadlineOf(e.hb, e.state) - now);
  }

  private resolve(e: Entry, atMs: number): void {
    if (e.raisedSinceMs === undefined) return;
    const since = e.raisedSinceMs;
    e.raisedSinceMs = undefined;
    this.effects.resolved(e.hb, e.state, since, atMs);
  }

  private clear(e: Entry): void {
    if (e.timer !== undefined) this.clock.clearTimeout(e.timer);
    e.timer = undefined;
  }
}
