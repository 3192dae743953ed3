import { CoalescedWrites } from "./lib/coalesced-writes.ts";
import type { Alert } from "./types/alert.ts";
import { fingerprint, sortedLabelSet } from "./types/labels.ts";
import { formatRfc3339Nano, fromMillis } from "./types/time.ts";
import type { Clock } from "./lib/clock.ts";
import type { Logger } from "./lib/log.ts";
import { errorMessage } from "./lib/errors.ts";
import type { WriteQueue } from "./store/write-queue.ts";
import type { HeartbeatsStore } from "./store/heartbeats-repo.ts";
import type { AlertProvider } from "./provider/alert-provider.ts";
import type { Metrics } from "./metrics/metrics.ts";
import { Route } from "./dispatch/route.ts";
import type { RoutingTable } from "./dispatch/routing-table.ts";
import { parseMatchers } from "./matchers/index.ts";
import type { HeartbeatSetting } from "./config/alertprism.ts";
import { formatDuration } from "./config/duration.ts";
import {
  HeartbeatTracker, isHeartbeatMissing, missingAnnotations, missingLabels,
  type Heartbeat, type HeartbeatState, type HeartbeatView,
} from "./heartbeat/index.ts";

export interface HeartbeatControlDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly queue: WriteQueue;
  readonly repo: HeartbeatsStore;
  readonly provider: AlertProvider;
  readonly metrics: Metrics;
  readonly externalURL: string;
  /** The current route tree (its root's repeat_interval paces HeartbeatMissing re-notifications). */
  routing(): RoutingTable;
}

/** How often a raised HeartbeatMissing alert is refreshed (its endsAt moved on), as Prometheus re-sends. */
const REFRESH_MS = 60_000;

/** How far past the next refresh its endsAt reaches, so the alert of a process that is gone resolves. */
const TTL_REFRESHES = 3;

/** Its group flushes often (the notification log sends only changes), so the resolve goes out promptly. */
const GROUP_INTERVAL_MS = 1000;

const MISSING_MATCHERS = parseMatchers('{alertname="HeartbeatMissing",alertprism="heartbeat"}');

/** A heartbeat as the ops API lists it. */
export interface HeartbeatListing extends HeartbeatView {
  readonly timeoutText: string;
}

/**
 * Wires the heartbeats into the running service: every committed batch of received alerts feeds the
 * tracker, the last arrivals are kept in SQLite, and a missing heartbeat is an alert of the live set
 * (listed, silenceable) that goes straight to the heartbeat's receiver. Off until alertprism.yml lists one.
 */
export class HeartbeatControl {
  private readonly tracker: HeartbeatTracker;
  private settings = new Map<string, HeartbeatSetting>();
  private readonly pinnedRoutes = new Map<string, Route>();
  /** Arrivals are written in batches after the commit that brought them (one write per heartbeat and batch). */
  private readonly writes = new CoalescedWrites<HeartbeatState | null>((batch) => {
    const { queue, repo, log } = this.deps;
    queue.submit(() => {
      for (const [key, s] of batch) {
        if (s === null) repo.delete(key);
        else repo.save(key, s);
      }
    }).catch((err: unknown) => log.error({ err: errorMessage(err) }, "saving heartbeat state failed"));
  });
  private configured = false;

  constructor(private readonly deps: HeartbeatControlDeps) {
    this.tracker = new HeartbeatTracker(deps.clock, {
      missing: (hb, state, sinceMs, raised) => {
        if (raised) deps.log.warn({ component: "heartbeat", heartbeat: hb.id, receiver: hb.receiver, lastArrival: iso(state.lastArrivalMs) }, "heartbeat missing: raising HeartbeatMissing");
        this.raise(hb, state, sinceMs, deps.clock.now() + TTL_REFRESHES * REFRESH_MS);
      },
      resolved: (hb, state, sinceMs, atMs) => {
        deps.log.info({ component: "heartbeat", heartbeat: hb.id, receiver: hb.receiver }, "heartbeat back (or no longer configured): HeartbeatMissing resolved");
        this.raise(hb, state, sinceMs, atMs);
      },
      save: (id, state) => this.writes.set(id, state),
      forget: (id) => this.writes.set(id, null),
    }, REFRESH_MS);
    deps.provider.subscribe((alerts) => this.tracker.observe(alerts));
    deps.metrics.registerHeartbeatGauges(() => this.tracker.list().map((v) => ({
      heartbeat: v.heartbeat.id,
      missing: v.status === "missing",
      lastArrivalSeconds: v.state.lastArrivalMs === undefined ? undefined : v.state.lastArrivalMs / 1000,
    })));
  }

  /** Applies `heartbeats:` of a (re)loaded alertprism.yml; a heartbeat seen before (here or by an earlier run) keeps its last arrival. */
  configure(heartbeats: readonly HeartbeatSetting[]): void {
    const first = !this.configured;
    this.configured = true;
    this.settings = new Map(heartbeats.map((h) => [h.id, h]));
    this.pinnedRoutes.clear();
    this.tracker.configure(heartbeats, (id) => this.deps.repo.load(id));
    if (first) this.resolveLeftovers();
  }

  /**
   * At start: HeartbeatMissing alerts of the previous run that no heartbeat raises now (it came back
   * meanwhile by a longer timeout, or was removed from the configuration) end now rather than at their endsAt.
   */
  private resolveLeftovers(): void {
    const { clock, provider, log } = this.deps;
    const now = clock.now();
    const raised = new Set(this.tracker.list().filter((v) => v.status === "missing").map((v) => fingerprint(missingLabels(v.heartbeat))));
    const stale: Alert[] = [];
    for (const { alert, state } of provider.all()) {
      if (state === "firing" && alert.endsAt.ms > now && isHeartbeatMissing(alert.labels) && !raised.has(alert.fingerprint)) {
        stale.push({ ...alert, endsAt: fromMillis(now), updatedAt: fromMillis(now) });
      }
    }
    if (stale.length === 0) return;
    provider.put(stale, undefined, { unlimited: true }).catch((err: unknown) => log.error({ err: errorMessage(err) }, "resolving HeartbeatMissing alerts of the previous run failed"));
  }

  /** Every configured heartbeat now, in configuration order. */
  list(): HeartbeatListing[] {
    return this.tracker.list().map((v) => ({ ...v, timeoutText: this.settings.get(v.heartbeat.id)?.timeoutText ?? formatDuration(v.heartbeat.timeoutMs) }));
  }

  /** HeartbeatMissing skips the route tree: it goes to the receiver its labels name, re-sent at the root's repeat_interval. */
  pinnedRoute(alert: Alert): Route | undefined {
    if (!isHeartbeatMissing(alert.labels)) return undefined;
    const receiver = alert.labels.receiver ?? "";
    let route = this.pinnedRoutes.get(receiver);
    if (route === undefined) {
      const repeat = this.deps.routing().root.opts.repeatIntervalMs;
      route = Route.pinned(receiver, MISSING_MATCHERS, { groupWaitMs: 0, groupIntervalMs: GROUP_INTERVAL_MS, repeatIntervalMs: repeat });
      this.pinnedRoutes.set(receiver, route);
    }
    return route;
  }

  stop(): void {
    this.tracker.stop();
  }

  private raise(hb: Heartbeat, state: HeartbeatState, sinceMs: number, endsAtMs: number): void {
    const { clock, provider, log, externalURL } = this.deps;
    const labels = sortedLabelSet(missingLabels(hb));
    const timeoutText = this.settings.get(hb.id)?.timeoutText ?? formatDuration(hb.timeoutMs);
    const alert: Alert = {
      fingerprint: fingerprint(labels),
      labels,
      annotations: sortedLabelSet(missingAnnotations(hb, state, timeoutText, (ms) => formatRfc3339Nano(fromMillis(ms)))),
      startsAt: fromMillis(sinceMs),
      endsAt: fromMillis(endsAtMs),
      updatedAt: fromMillis(clock.now()),
      generatorURL: externalURL,
      timeout: false,
    };
    provider.put([alert], undefined, { unlimited: true }).catch((err: unknown) => log.error({ err: errorMessage(err), heartbeat: hb.id }, "raising or resolving HeartbeatMissing failed"));
  }

}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
