import { CoalescedWrites } from "./lib/coalesced-writes.ts";
import type { Alert } from "./types/alert.ts";
import { fingerprint, sortedLabelSet, type LabelSet } from "./types/labels.ts";
import { formatRfc3339Nano, fromMillis } from "./types/time.ts";
import type { Clock } from "./lib/clock.ts";
import type { Logger } from "./lib/log.ts";
import { errorMessage } from "./lib/errors.ts";
import type { WriteQueue } from "./store/write-queue.ts";
import type { NoiseStore } from "./store/noise-repo.ts";
import type { AlertProvider, Transition } from "./provider/alert-provider.ts";
import type { Metrics } from "./metrics/metrics.ts";
import { Route } from "./dispatch/route.ts";
import type { RoutingTable } from "./dispatch/routing-table.ts";
import { DecisionLog } from "./notify/decision-log.ts";
import type { Stage } from "./notify/stage.ts";
import { parseMatchers } from "./matchers/index.ts";
import {
  FlapTracker, flapStage, isStormSummary, StormTracker, stormStage, summaryLabels,
  type AlertChange, type FlapState, type NoiseStagesConfig, type StormConfig, type StormRecord, type StormRouting,
} from "./noise/index.ts";

export interface NoiseControlDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly queue: WriteQueue;
  readonly repo: NoiseStore;
  readonly provider: AlertProvider;
  readonly metrics: Metrics;
  readonly externalURL: string;
  /** The current route tree (it changes on reload). */
  routing(): RoutingTable;
  /** AlertPrism's other own alerts that a storm never holds (HeartbeatMissing: a dead man's switch must get through). */
  readonly neverHeld?: (alert: Alert) => boolean;
}

/** How far past the next refresh a storm summary's endsAt reaches, so a crashed process's summary resolves. */
const SUMMARY_TTL_INTERVALS = 3;

/** A summary's group flushes often; the notification log paces it to summary_interval (repeat_interval). */
const SUMMARY_GROUP_INTERVAL_MS = 1000;

const SUMMARY_MATCHERS = parseMatchers('{alertname="AlertStorm",alertprism="storm"}');

/**
 * Wires noise control into the running service: the flap and storm trackers (fed by the provider's
 * firing/resolved changes, their state kept in the store), their pipeline stages, the storm summaries
 * (real alerts, routed straight to their receiver), the decision log and the metrics. Everything is off
 * until alertprism.yml configures it, and a reload turns parts on and off without losing state.
 */
export class NoiseControl {
  readonly decisions: DecisionLog;
  private flap: { tracker: FlapTracker; stage: Stage } | undefined;
  private storm: { tracker: StormTracker; stage: Stage } | undefined;
  /** Buffers of the features replaying history right now: what is observed meanwhile (see replayed). */
  private readonly heldDuringReplay = new Set<AlertChange[]>();
  /** Flap state is written in batches after the changes that caused it (history can replay a lost batch). */
  private readonly flapWrites = new CoalescedWrites<{ state: FlapState; atMs: number } | null>((batch) => {
    const { queue, repo, log } = this.deps;
    queue.submit(() => {
      for (const [key, w] of batch) {
        if (w === null) repo.deleteFlapState(key);
        else repo.saveFlapState(key, w.state, w.atMs);
      }
    }).catch((err: unknown) => log.error({ err: errorMessage(err) }, "saving flap state failed"));
  });
  private readonly pinnedRoutes = new Map<string, Route>();

  constructor(private readonly deps: NoiseControlDeps) {
    // Decisions are records nothing is acknowledged on (like delivery attempts): committed at once, flushed to
    // disk with the next write that needs it. A flush of their own after every notification would make the
    // next alert's commit wait for two flushes in a row.
    this.decisions = new DecisionLog((rows) => {
      deps.queue.submit(() => deps.repo.recordDecisions(rows), undefined, { deferFlush: true }).catch((err: unknown) => deps.log.error({ err: errorMessage(err) }, "recording notification decisions failed"));
    });
    deps.provider.subscribeTransitions((ts) => this.observe(ts.map(changeOf)));
    deps.metrics.registerFlappingGauge(() => this.flap?.tracker.flappingCount(deps.clock.now()) ?? 0);
  }

  /**
   * The recent firing/resolved changes a feature being switched on replays: history after `afterMs`, then
   * what was observed while history was being read (PostgreSQL answers asynchronously), without repeats.
   */
  private async replayed(afterMs: number): Promise<AlertChange[]> {
    const held: AlertChange[] = [];
    this.heldDuringReplay.add(held);
    try {
      const history = await this.deps.repo.transitionsSince(afterMs);
      const key = (c: AlertChange) => `${c.fingerprint}\u0000${c.atMs}\u0000${c.to}`;
      const seen = new Set(history.map(key));
      return [...history, ...held.filter((c) => !seen.has(key(c)))];
    } finally {
      this.heldDuringReplay.delete(held);
    }
  }

  /**
   * Applies the stages of a (re)loaded alertprism.yml; the first call also restores saved state, and a
   * feature switched on replays its recent history first.
   */
  async configure(cfg: NoiseStagesConfig): Promise<void> {
    await this.configureFlap(cfg.flapping);
    await this.configureStorm(cfg.storm);
    this.pinnedRoutes.clear();
  }

  /** AlertPrism's stages after the muting ones, in the pipeline's order. */
  stages(): readonly Stage[] {
    return [...(this.flap ? [this.flap.stage] : []), ...(this.storm ? [this.storm.stage] : [])];
  }

  /** Read-only, for the ops API's explain: the storm a receiver is in now (undefined: none, or storm mode off). */
  stormState(receiver: string): { readonly id: string; readonly startedMs: number } | undefined {
    const r = this.storm?.tracker.active(receiver);
    return r === undefined ? undefined : { id: r.id, startedMs: r.startedMs };
  }

  /** Read-only: whether an alert matches a storm bypass entry (notified as usual during a storm). */
  stormBypasses(labels: LabelSet): boolean {
    return this.storm?.tracker.bypasses(labels) ?? false;
  }

  /**
   * Read-only, for explain: an alert's flap state at `nowMs` (undefined when flap damping is off): since when
   * it flaps, and, once resolved, when it stops flapping if it stays resolved.
   */
  flapState(fingerprint: string, nowMs: number): { readonly flapping: boolean; readonly sinceMs?: number; readonly quietUntilMs?: number } | undefined {
    if (this.flap === undefined) return undefined;
    const { state, config } = this.flap.tracker.stateOf(fingerprint);
    if (!this.flap.tracker.isFlapping(fingerprint, nowMs) || state?.flappingSinceMs === undefined) return { flapping: false };
    return state.phase === "resolved"
      ? { flapping: true, sinceMs: state.flappingSinceMs, quietUntilMs: state.sinceMs + config.quietForMs }
      : { flapping: true, sinceMs: state.flappingSinceMs };
  }

  /** Storm summaries skip the route tree: each goes to its own receiver, paced by summary_interval. */
  pinnedRoute(alert: Alert): Route | undefined {
    if (!isStormSummary(alert.labels)) return undefined;
    const receiver = alert.labels.receiver ?? "";
    let route = this.pinnedRoutes.get(receiver);
    if (route === undefined) {
      const repeat = this.storm?.tracker.config.summaryIntervalMs ?? 120_000;
      route = Route.pinned(receiver, SUMMARY_MATCHERS, { groupWaitMs: 0, groupIntervalMs: Math.min(SUMMARY_GROUP_INTERVAL_MS, repeat), repeatIntervalMs: repeat });
      this.pinnedRoutes.set(receiver, route);
    }
    return route;
  }

  stop(): void {
    this.storm?.tracker.stop();
  }

  /** Retention, inside a commit unit. */
  prune(beforeMs: number): void {
    this.deps.repo.prune(beforeMs);
  }

  private observe(changes: readonly AlertChange[]): void {
    for (const held of this.heldDuringReplay) held.push(...changes);
    this.flap?.tracker.observe(changes);
    this.storm?.tracker.observe(changes);
  }

  private async configureFlap(cfg: NoiseStagesConfig["flapping"]): Promise<void> {
    if (cfg === undefined) {
      this.flap = undefined;
      return;
    }
    if (this.flap) {
      this.flap.tracker.configure(cfg);
      return;
    }
    const tracker = new FlapTracker(cfg, {
      save: (fp, state, atMs) => this.flapWrites.set(fp, { state, atMs }),
      forget: (fp) => this.flapWrites.set(fp, null),
    });
    const now = this.deps.clock.now();
    const from = tracker.replayFromMs(this.deps.repo.loadFlapStates(), now);
    tracker.replay(await this.replayed(from));
    this.flap = { tracker, stage: flapStage(tracker) };
  }


  private async configureStorm(cfg: StormConfig | undefined): Promise<void> {
    if (cfg === undefined) {
      if (this.storm) {
        this.storm.tracker.endAll();
        this.storm.tracker.stop();
      }
      this.storm = undefined;
      return;
    }
    if (this.storm) {
      this.storm.tracker.configure(cfg);
      return;
    }
    const tracker = new StormTracker(cfg, () => this.stormRouting(), {
      summary: (record, annotations, resolvedAtMs) => this.raiseSummary(record, annotations, resolvedAtMs),
      saveStorm: (record, endedMs) => this.persist(() => this.deps.repo.saveStorm({ id: record.id, receiver: record.receiver, startedMs: record.startedMs, endedMs })),
      saveCovered: (record, fps) => this.persist(() => {
        for (const fp of new Set(fps)) {
          const a = record.alerts.get(fp);
          if (a) this.deps.repo.saveStormAlert({ stormId: record.id, fingerprint: fp, labels: a.labels, groups: [...a.groups], firstMs: a.firstMs, lastMs: a.lastMs });
        }
      }),
      changed: (receiver, active) => {
        this.deps.metrics.stormActive.set({ receiver }, active ? 1 : 0);
        this.deps.log.warn({ component: "noise", receiver }, active ? "alert storm: holding group notifications, sending a summary" : "alert storm over");
      },
    }, this.deps.clock, (ms) => formatRfc3339Nano(fromMillis(ms)));
    const now = this.deps.clock.now();
    const restored = this.deps.repo.loadActiveStorms().map(({ storm, alerts }): StormRecord => ({
      id: storm.id, receiver: storm.receiver, startedMs: storm.startedMs,
      alerts: new Map(alerts.map((a) => [a.fingerprint, { labels: a.labels, groups: new Set(a.groups), firstMs: a.firstMs, lastMs: a.lastMs }])),
    }));
    // Every receiver has the series from the start (0), so a rule can alert on a change.
    for (const receiver of this.deps.routing().receiverNames) this.deps.metrics.stormActive.set({ receiver }, 0);
    for (const r of restored) this.deps.metrics.stormActive.set({ receiver: r.receiver }, 1);
    const horizon = Math.max(cfg.enterWithinMs, cfg.exitForMs) + 60_000;
    tracker.restore(restored, (await this.replayed(now - horizon)).map((t) => ({ ...t })));
    tracker.tick();
    this.storm = {
      tracker,
      stage: stormStage(tracker, this.deps.neverHeld),
    };
  }

  private stormRouting(): StormRouting {
    const root = this.deps.routing().root;
    return (labels: LabelSet) => {
      const seen = new Set<string>();
      const out: Array<{ receiver: string; groupKey: string }> = [];
      for (const route of root.match(labels)) {
        const groupKey = route.groupKey(route.groupLabels(labels));
        const key = `${route.opts.receiver}\u0000${groupKey}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ receiver: route.opts.receiver, groupKey });
      }
      return out;
    };
  }

  /** The storm's summary as an alert of the live set: listed, silenceable, notified through its receiver. */
  private raiseSummary(record: StormRecord, annotations: LabelSet, resolvedAtMs: number | undefined): void {
    const { clock, provider, log, externalURL } = this.deps;
    const now = clock.now();
    const labels = sortedLabelSet(summaryLabels(record.receiver));
    const interval = this.storm?.tracker.config.summaryIntervalMs ?? 120_000;
    const alert: Alert = {
      fingerprint: fingerprint(labels),
      labels,
      annotations,
      startsAt: fromMillis(record.startedMs),
      endsAt: fromMillis(resolvedAtMs ?? now + SUMMARY_TTL_INTERVALS * interval),
      updatedAt: fromMillis(now),
      generatorURL: externalURL,
      timeout: false,
    };
    provider.put([alert], undefined, { unlimited: true }).catch((err: unknown) => log.error({ err: errorMessage(err), receiver: record.receiver }, "raising the storm summary failed"));
  }

  private persist(write: () => void): void {
    this.deps.queue.submit(write).catch((err: unknown) => this.deps.log.error({ err: errorMessage(err) }, "saving storm state failed"));
  }
}

function changeOf(t: Transition): AlertChange {
  return { fingerprint: t.alert.fingerprint, labels: t.alert.labels, to: t.to, atMs: t.atMs };
}
