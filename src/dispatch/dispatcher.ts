import type { Alert } from "../types/alert.ts";
import { labelSetString } from "../types/labels.ts";
import type { Clock, TimerHandle } from "../lib/clock.ts";
import type { Route } from "./route.ts";
import { AggregationGroup, type FlushHandler } from "./aggr-group.ts";

/** Where the dispatcher gets alerts from (the provider), seen through this narrow interface. */
export interface AlertSource {
  /** Every alert currently held, replayed when the dispatcher starts. */
  current(): Iterable<Alert>;
  subscribe(listener: (alerts: readonly Alert[]) => void): () => void;
}

const CLEANUP_INTERVAL_MS = 30_000;

/** A bound on the number of groups, and who hears of an alert that would have needed one more. */
export interface GroupLimit {
  max(): number;
  /** The alert is not dispatched to that route: no group of it exists and none may be created. */
  limited(alert: Alert, route: Route): void;
}

/**
 * Routes every alert into the aggregation groups of the routes it matches. Pure bookkeeping over the
 * route tree; timing lives in the groups, delivery in the flush handler.
 */
export class Dispatcher {
  private readonly groups = new Map<string, AggregationGroup>();
  private unsubscribe: (() => void) | undefined;
  private cleanupTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly root: Route,
    private readonly source: AlertSource,
    private readonly clock: Clock,
    private readonly onFlush: FlushHandler,
    /**
     * Alerts that skip the route tree and go to one route of their own (AlertPrism's storm summaries and
     * HeartbeatMissing go straight to their receiver); undefined for every other alert.
     */
    private readonly pinned: (alert: Alert) => Route | undefined = () => undefined,
    /** Pinned alerts (storm summaries, HeartbeatMissing) are exempt, so they can still be reported. */
    private readonly groupLimit?: GroupLimit,
  ) {}

  start(): void {
    this.unsubscribe = this.source.subscribe((alerts) => this.dispatch(alerts));
    this.dispatch([...this.source.current()]);
    this.scheduleCleanup();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.cleanupTimer) this.clock.clearTimeout(this.cleanupTimer);
    for (const g of this.groups.values()) g.stop();
    this.groups.clear();
  }

  dispatch(alerts: readonly Alert[]): void {
    if (this.stopped) return;
    for (const alert of alerts) {
      const pinned = this.pinned(alert);
      for (const route of pinned ? [pinned] : this.root.match(alert.labels)) {
        const groupLabels = route.groupLabels(alert.labels);
        const id = `${pinned ? "pinned:" : ""}${route.id}\u0000${labelSetString(groupLabels)}`;
        let group = this.groups.get(id);
        if (!group) {
          // Empty groups count too: they hold timers until the cleanup removes them.
          if (!pinned && this.groupLimit && this.groups.size >= this.groupLimit.max()) {
            this.groupLimit.limited(alert, route);
            continue;
          }
          group = new AggregationGroup(route, groupLabels, route.groupKey(groupLabels), this.clock, this.onFlush);
          this.groups.set(id, group);
        }
        group.insert(alert);
      }
    }
  }

  /** Groups held now, empty ones awaiting cleanup included (what max_aggregation_groups bounds). */
  get groupCount(): number {
    return this.groups.size;
  }

  /** The groups that hold alerts (for /api/v2/alerts/groups). */
  activeGroups(): AggregationGroup[] {
    return [...this.groups.values()].filter((g) => !g.isEmpty());
  }

  private scheduleCleanup(): void {
    this.cleanupTimer = this.clock.setTimeout(() => {
      // Empty groups go; a later alert with the same labels starts a new group with a fresh group_wait.
      for (const [id, g] of this.groups) {
        if (g.isEmpty()) {
          g.stop();
          this.groups.delete(id);
        }
      }
      if (!this.stopped) this.scheduleCleanup();
    }, CLEANUP_INTERVAL_MS);
  }
}
