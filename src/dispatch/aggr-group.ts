import type { Alert } from "../types/alert.ts";
import { isResolvedAt, compareAlertsForNotification } from "../types/alert.ts";
import type { LabelSet } from "../types/labels.ts";
import { ZERO_TIME } from "../types/time.ts";
import type { Clock, TimerHandle } from "../lib/clock.ts";
import type { Route } from "./route.ts";

/** What a flush hands to the notification pipeline. */
export interface GroupFlush {
  readonly groupKey: string;
  readonly route: Route;
  readonly groupLabels: LabelSet;
  /** Alerts in notification order; firing ones carry no end time, as in Alertmanager. */
  readonly alerts: readonly Alert[];
  /** The tick time: the pipeline's only notion of "now" for this flush. */
  readonly nowMs: number;
  /** The pipeline must finish by then (max(group_interval, 10s) after the tick). */
  readonly deadlineMs: number;
}

/** What the pipeline made of a flush. */
export interface FlushResult {
  /** Every integration succeeded (or had nothing to send). */
  readonly ok: boolean;
  /** Resolved alerts the group keeps all the same (flap damping shows them as firing until they settle). */
  readonly retain: ReadonlySet<string>;
}

export type FlushHandler = (flush: GroupFlush) => Promise<FlushResult>;

const NOTHING_RETAINED: ReadonlySet<string> = new Set();

const MIN_FLUSH_TIMEOUT_MS = 10_000;

/**
 * One aggregation group (route × group labels): first flush group_wait after creation (at once for an
 * alert already older than that), then fixed group_interval ticks. Resolved alerts are dropped once a
 * successful flush has carried them, unless they changed meanwhile or the pipeline retains them.
 */
export class AggregationGroup {
  private readonly alerts = new Map<string, Alert>();
  private timer: TimerHandle | undefined;
  private nextAtMs: number;
  private hasFlushed = false;
  private flushing = false;
  private tickPending = false;
  private stopped = false;

  constructor(
    readonly route: Route,
    readonly groupLabels: LabelSet,
    readonly groupKey: string,
    private readonly clock: Clock,
    private readonly onFlush: FlushHandler,
  ) {
    this.nextAtMs = clock.now() + route.opts.groupWaitMs;
    this.arm(route.opts.groupWaitMs);
  }

  insert(alert: Alert): void {
    this.alerts.set(alert.fingerprint, alert);
    const now = this.clock.now();
    if (!this.hasFlushed && alert.startsAt.ms + this.route.opts.groupWaitMs < now && this.nextAtMs > now) this.arm(0);
  }

  /** Read-only, for the ops API's explain: when the next flush is due, and whether the first one is still to come. */
  get nextFlushMs(): number {
    return this.nextAtMs;
  }

  get awaitingFirstFlush(): boolean {
    return !this.hasFlushed;
  }

  isEmpty(): boolean {
    return this.alerts.size === 0;
  }

  list(): Alert[] {
    return [...this.alerts.values()];
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.nextAtMs = this.clock.now() + delayMs;
    this.timer = this.clock.setTimeout(() => this.tick(), delayMs);
  }

  private tick(): void {
    this.timer = undefined;
    // A flush still running (retries) delays the next one, as Alertmanager's group loop does.
    if (this.flushing) {
      this.tickPending = true;
      return;
    }
    const now = this.clock.now();
    this.arm(this.route.opts.groupIntervalMs);
    this.hasFlushed = true;
    this.flushing = true;
    void this.flush(now).finally(() => {
      this.flushing = false;
      if (this.tickPending && !this.stopped) {
        this.tickPending = false;
        this.tick();
      }
    });
  }

  private async flush(now: number): Promise<void> {
    if (this.alerts.size === 0) return;
    const snapshot = [...this.alerts.values()]
      .map((a) => (isResolvedAt(a, now) ? a : { ...a, endsAt: ZERO_TIME }))
      .sort(compareAlertsForNotification);
    const originals = new Map(snapshot.map((a) => [a.fingerprint, this.alerts.get(a.fingerprint)!]));
    let result: FlushResult;
    try {
      result = await this.onFlush({
        groupKey: this.groupKey,
        route: this.route,
        groupLabels: this.groupLabels,
        alerts: snapshot,
        nowMs: now,
        deadlineMs: now + Math.max(this.route.opts.groupIntervalMs, MIN_FLUSH_TIMEOUT_MS),
      });
    } catch {
      // The pipeline logs its own failures; the resolved alerts stay for the next tick.
      result = { ok: false, retain: NOTHING_RETAINED };
    }
    if (!result.ok) return;
    for (const a of snapshot) {
      const current = this.alerts.get(a.fingerprint);
      if (result.retain.has(a.fingerprint)) continue;
      if (current && current === originals.get(a.fingerprint) && isResolvedAt(current, now)) this.alerts.delete(a.fingerprint);
    }
  }
}
