import type { Alert, AlertStatus } from "../types/alert.ts";
import { isResolvedAt, EMPTY_STATUS } from "../types/alert.ts";
import { compareTime } from "../types/time.ts";
import { compareLabelSets, labelSetsEqual, type LabelSet } from "../types/labels.ts";
import type { Clock, TimerHandle } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import { errorMessage } from "../lib/errors.ts";
import { currentOrigin, type Origin } from "../lib/correlation.ts";
import type { AlertsStore, StoredAlert } from "../store/alerts-repo.ts";
import type { WriteQueue } from "../store/write-queue.ts";
import { applyIncoming } from "./merge.ts";
import { statusEvents, type StatusSource, type StatusEvent } from "./status.ts";
import type { SilenceChange } from "../silence/silences.ts";
import { LiveAlertMap } from "./live-alert-map.ts";
import { AlertAdmission, type AlertCountLimit } from "../limits/alert-admission.ts";
import type { Limits } from "../limits/limits.ts";

export type AlertState = "firing" | "resolved";

const MIN_SWEEP_SPACING_MS = 200;

/** One fingerprint of the live set: the alert, its last recorded firing state and status. */
export interface LiveAlert {
  readonly alert: Alert;
  readonly state: AlertState;
  readonly status: AlertStatus;
  /**
   * The replicas that sent this firing episode (the labels replica dedup removed, one set per sender),
   * sorted; absent when none were removed.
   */
  readonly sources?: readonly LabelSet[];
  /**
   * The request of the alert's last change (new, updated, resolved, another source), which its
   * notifications are traced back to. In memory only: alerts loaded at start have none.
   */
  readonly origin?: Origin;
}

export type AlertListener = (alerts: readonly Alert[]) => void;

/** An alert starting to fire (a new episode) or becoming resolved, at the time history records for it. */
export interface Transition {
  readonly alert: Alert;
  readonly to: AlertState;
  readonly atMs: number;
}

export type TransitionListener = (transitions: readonly Transition[]) => void;

export interface ProviderOptions {
  readonly repo: AlertsStore;
  readonly queue: WriteQueue;
  readonly clock: Clock;
  readonly log: Logger;
  readonly status: StatusSource;
  /** Resolved alerts stay this long after they end, then leave the live set (Alertmanager's --alerts.gc-interval). */
  readonly gcIntervalMs: number;
  /** Upper bound between sweeps, so silence and time changes are recorded promptly. */
  readonly maxSweepDelayMs?: number;
  /** The count limits in force (read at every put, so a reload applies at once); none: unbounded (tests). */
  readonly limits?: () => Pick<Limits, "maxAlerts" | "maxAlertsPerAlertname">;
}

/** An incoming alert the count limits kept out of the live set. */
export interface RefusedAlert {
  /** Its index in put's `incoming`. */
  readonly index: number;
  readonly alertname: string;
  readonly limit: AlertCountLimit;
  /** A resolved alert the set did not hold: dropped quietly (nothing to resolve), not reported as an error. */
  readonly resolved: boolean;
}

export interface PutResult {
  readonly refused: readonly RefusedAlert[];
}

export interface PutOptions {
  /** AlertPrism's own alerts (storm summaries, one per receiver) are not subject to the count limits. */
  readonly unlimited?: boolean;
}

interface Pending {
  entry: LiveAlert;
  events: StatusEvent[];
}

/**
 * The live alert set, kept in memory for reads and in SQLite for durability. Every change is written
 * (with its history events) in the same transaction before the caller's promise resolves.
 */
export class AlertProvider {
  private readonly live = new LiveAlertMap<LiveAlert>();
  /**
   * Per firing fingerprint: until when a re-send that only moves endsAt forward need not be written
   * (30–50 % of the way from the last write to the endsAt it stored). See `isRefreshOnly` and `rewriteAfter`.
   */
  private readonly rewriteAfterMs = new Map<string, number>();
  private readonly listeners: AlertListener[] = [];
  private readonly transitionListeners: TransitionListener[] = [];
  private status: StatusSource;
  private sweepTimer: TimerHandle | undefined;
  private nextSweepAt = Infinity;
  private lastSweepMs = 0;
  private lastSweepStartMs = -Infinity;
  private refreshQueued = false;
  /** What the queued refresh must look at: every firing alert, or only those the changed silences concern. */
  private refreshScope: "all" | SilenceChange[] = [];
  private stopped = true;

  constructor(private readonly opts: ProviderOptions) {
    this.status = opts.status;
  }

  load(): number {
    for (const s of this.opts.repo.loadAll()) {
      this.live.set(s.alert.fingerprint, s);
      this.status.observe(s.alert);
      if (s.state === "firing") this.rewriteAfterMs.set(s.alert.fingerprint, rewriteAfter(s.alert.fingerprint, s.alert.updatedAt.ms, s.alert.endsAt.ms));
    }
    return this.live.size;
  }

  start(): void {
    this.stopped = false;
    this.lastSweepMs = this.opts.clock.now();
    this.scheduleSweep(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.sweepTimer) this.opts.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /** Calls the listener after every committed change; returns the unsubscribe function. */
  subscribe(listener: AlertListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * Calls the listener with the firing/resolved transitions of every committed change (before the
   * alert listeners see the alerts); returns the unsubscribe function.
   */
  subscribeTransitions(listener: TransitionListener): () => void {
    this.transitionListeners.push(listener);
    return () => {
      const i = this.transitionListeners.indexOf(listener);
      if (i >= 0) this.transitionListeners.splice(i, 1);
    };
  }

  get(fingerprint: string): LiveAlert | undefined {
    return this.live.get(fingerprint);
  }

  all(): IterableIterator<LiveAlert> {
    return this.live.values();
  }

  get size(): number {
    return this.live.size;
  }

  /** The largest number of held alerts that share one alertname (usage of max_alerts_per_alertname). */
  largestAlertnameCount(): number {
    return this.live.largestNameCount();
  }

  /** The current status of an alert, computed now (as Alertmanager does when listing). */
  statusOf(alert: Alert): AlertStatus {
    return this.status.statusOf(alert, this.opts.clock.now());
  }

  /** Swaps the status source (config reload) and re-evaluates every alert against it. */
  setStatusSource(source: StatusSource): void {
    this.status = source;
    for (const e of this.live.values()) source.observe(e.alert);
    this.queueStatusRefresh();
  }

  /**
   * Merges alerts into the live set; resolves once they and their history are committed. `sources[i]`,
   * when given, is the replica that sent `incoming[i]` (the labels replica dedup removed from it).
   * New fingerprints beyond the count limits are left out, decided in the commit unit so concurrent
   * puts cannot overshoot together; the rest of the batch is committed and the refused are returned.
   */
  async put(incoming: readonly Alert[], sources?: ReadonlyArray<LabelSet | undefined>, opts: PutOptions = {}): Promise<PutResult> {
    if (incoming.length === 0) return { refused: [] };
    const refused: RefusedAlert[] = [];
    const before = new Map<string, LiveAlert | undefined>();
    let othersAffected = false;
    const transitions: Transition[] = [];
    // Taken here: the commit unit runs in the group commit's context, not the request's.
    const origin = currentOrigin();
    const committed = await this.opts.queue.submit(
      () => {
        const now = this.opts.clock.now();
        const batch = new Map<string, Pending>();
        refused.length = 0;
        const limits = opts.unlimited ? undefined : this.opts.limits?.();
        const admission = limits && new AlertAdmission(limits, this.live.size, (name) => this.live.countWithName(name));
        for (let i = 0; i < incoming.length; i++) {
          const inc = incoming[i]!;
          const fp = inc.fingerprint;
          if (admission) {
            const alertname = inc.labels.alertname ?? "";
            const verdict = admission.admit(alertname, batch.has(fp) || this.live.has(fp), isResolvedAt(inc, now));
            if (!verdict.admitted) {
              refused.push({ index: i, alertname, limit: verdict.limit, resolved: verdict.resolved });
              continue;
            }
          }
          if (!before.has(fp)) before.set(fp, this.live.get(fp));
          const old = batch.get(fp)?.entry ?? this.live.get(fp);
          const { alert, merged } = applyIncoming(old?.alert, inc, now);
          const state: AlertState = isResolvedAt(alert, now) ? "resolved" : "firing";
          const events = batch.get(fp)?.events ?? [];
          const lifecycle = lifecycleEvents(old, alert, state, merged, sources?.[i]);
          events.push(...lifecycle.events);
          if ((old?.state ?? "resolved") !== state && this.status.affectsOthers(alert)) othersAffected = true;
          // A re-send that changes nothing keeps the origin of the change it repeats.
          const changedBy = lifecycle.events.length > 0 || old?.origin === undefined ? origin ?? old?.origin : old.origin;
          const entry: LiveAlert = { alert, state, status: old?.status ?? EMPTY_STATUS, ...(changedBy ? { origin: changedBy } : {}) };
          batch.set(fp, { entry: lifecycle.sources.length > 0 ? { ...entry, sources: lifecycle.sources } : entry, events });
        }
        for (const p of batch.values()) this.status.observe(p.entry.alert);
        try {
          for (const p of batch.values()) {
            if (p.entry.state === "firing") {
              const status = this.status.statusOf(p.entry.alert, now);
              if (status !== p.entry.status) {
                p.events.push(...statusEvents(p.entry.status, status));
                p.entry = { ...p.entry, status };
              }
            }
            const fp = p.entry.alert.fingerprint;
            const previous = before.get(fp);
            if (p.events.length === 0 && previous && isRefreshOnly(previous, p.entry) && now < (this.rewriteAfterMs.get(fp) ?? -Infinity)) {
              continue; // memory moves on; the stored endsAt still lies at least half a horizon ahead
            }
            this.opts.repo.save(p.entry);
            if (p.entry.state === "firing") this.rewriteAfterMs.set(fp, rewriteAfter(fp, now, p.entry.alert.endsAt.ms));
            else this.rewriteAfterMs.delete(fp);
            for (const [kind, detail] of p.events) {
              const at = eventTime(kind, p.entry.alert, now);
              this.opts.repo.appendEvent(p.entry.alert.fingerprint, at, kind, detail);
              if (kind === "new" || kind === "resolved") transitions.push({ alert: p.entry.alert, to: kind === "new" ? "firing" : "resolved", atMs: at });
            }
          }
        } catch (err) {
          this.opts.repo.forgetUncommittedSeries();
          this.restore(before);
          transitions.length = 0;
          throw err;
        }
        for (const p of batch.values()) this.live.set(p.entry.alert.fingerprint, p.entry);
        return [...batch.values()].map((p) => p.entry.alert);
      },
      () => {
        this.opts.repo.forgetUncommittedSeries();
        this.restore(before);
        transitions.length = 0;
      },
    );
    for (const a of committed) if (!isResolvedAt(a, this.opts.clock.now()) && a.endsAt.ms < this.nextSweepAt) this.scheduleSweep(a.endsAt.ms - this.opts.clock.now());
    if (othersAffected) this.queueStatusRefresh();
    this.emitTransitions(transitions);
    if (committed.length > 0) this.emit(committed);
    return { refused };
  }

  /**
   * Alerts another replica stored (storage shared by replicas): taken into the live set without writing,
   * unless this replica holds a newer version (its own write of a later receive). Listeners hear of them
   * as of a local change, so the sender dispatches alerts that arrived elsewhere. `gone`: deleted there
   * (garbage collected); dropped here only if resolved here too.
   */
  applyRemote(changed: readonly StoredAlert[], gone: readonly string[]): void {
    const now = this.opts.clock.now();
    const applied: Alert[] = [];
    const transitions: Transition[] = [];
    for (const stored of changed) {
      const fp = stored.alert.fingerprint;
      const local = this.live.get(fp);
      if (local && compareTime(local.alert.updatedAt, stored.alert.updatedAt) >= 0) continue;
      const entry: LiveAlert = { alert: stored.alert, state: stored.state, status: stored.status, ...(stored.sources ? { sources: stored.sources } : {}) };
      this.live.set(fp, entry);
      this.status.observe(entry.alert);
      // Its stored endsAt is what was just read: a re-send here rewrites it only when due by that.
      if (entry.state === "firing") this.rewriteAfterMs.set(fp, rewriteAfter(fp, entry.alert.updatedAt.ms, entry.alert.endsAt.ms));
      else this.rewriteAfterMs.delete(fp);
      if ((local?.state ?? "resolved") !== entry.state) {
        transitions.push({ alert: entry.alert, to: entry.state, atMs: entry.state === "firing" ? entry.alert.startsAt.ms : entry.alert.endsAt.ms });
      }
      if (entry.state === "firing" && entry.alert.endsAt.ms > now && entry.alert.endsAt.ms < this.nextSweepAt) this.scheduleSweep(entry.alert.endsAt.ms - now);
      applied.push(entry.alert);
    }
    for (const fp of gone) {
      const local = this.live.get(fp);
      if (local && isResolvedAt(local.alert, now)) {
        this.live.delete(fp);
        this.status.forget(fp);
        this.rewriteAfterMs.delete(fp);
      }
    }
    this.emitTransitions(transitions);
    if (applied.length > 0) this.emit(applied);
  }

  private restore(before: Map<string, LiveAlert | undefined>): void {
    for (const [fp, old] of before) {
      // Not knowing what the failed unit stored: the next re-send writes.
      this.rewriteAfterMs.delete(fp);
      if (old) {
        this.live.set(fp, old);
        this.status.observe(old.alert);
      } else {
        this.live.delete(fp);
        this.status.forget(fp);
      }
    }
  }

  private emitTransitions(transitions: readonly Transition[]): void {
    if (transitions.length === 0) return;
    for (const l of this.transitionListeners) {
      try {
        l(transitions);
      } catch (err) {
        this.opts.log.error({ err: errorMessage(err) }, "transition listener failed");
      }
    }
  }

  private emit(alerts: readonly Alert[]): void {
    for (const l of this.listeners) {
      try {
        l(alerts);
      } catch (err) {
        this.opts.log.error({ err: errorMessage(err) }, "alert listener failed");
      }
    }
  }

  /**
   * A silence was created or changed: wake the sweep for its start/end and record status changes now,
   * looking only at the alerts the change concerns (so one new silence costs one pass over the alerts,
   * not alerts × silences). Without a change, every firing alert is looked at.
   */
  silencesChanged(change?: SilenceChange): void {
    const next = this.status.nextTransitionMs(this.opts.clock.now());
    if (next !== undefined && next < this.nextSweepAt) this.scheduleSweep(next - this.opts.clock.now());
    this.queueStatusRefresh(change);
  }

  /** Re-evaluates silencing/inhibition of firing alerts soon, coalescing bursts of triggers. */
  queueStatusRefresh(change?: SilenceChange): void {
    if (change === undefined) this.refreshScope = "all";
    else if (this.refreshScope !== "all") this.refreshScope.push(change);
    if (this.refreshQueued) return;
    this.refreshQueued = true;
    setImmediate(() => {
      this.refreshQueued = false;
      const scope = this.refreshScope;
      this.refreshScope = [];
      this.refreshStatuses(scope === "all" ? undefined : scope).catch((err: unknown) => this.opts.log.error({ err: errorMessage(err) }, "status refresh failed"));
    });
  }

  /**
   * Records status changes (silenced, inhibited, …) of firing alerts as history; with `changes`, only of
   * the alerts those silence changes concern. The diff is taken inside the commit unit, so concurrent
   * refreshes serialise and never record the same change twice.
   */
  async refreshStatuses(silenceChanges?: readonly SilenceChange[]): Promise<void> {
    const previous: LiveAlert[] = [];
    const concerned = (e: LiveAlert): boolean =>
      silenceChanges === undefined || silenceChanges.some((c) => c.matches(e.alert.labels) || e.status.silencedBy.some((id) => c.ids.has(id)));
    await this.opts.queue.submit(() => {
      const now = this.opts.clock.now();
      const changes: LiveAlert[] = [];
      for (const e of this.live.values()) {
        if (e.state !== "firing" || !concerned(e)) continue;
        const status = this.status.statusOf(e.alert, now);
        const events = statusEvents(e.status, status);
        if (events.length === 0) continue;
        this.opts.repo.saveStatus(e.alert.fingerprint, status);
        for (const [kind, detail] of events) this.opts.repo.appendEvent(e.alert.fingerprint, now, kind, detail);
        changes.push({ ...e, status });
        previous.push(e);
      }
      for (const c of changes) this.live.set(c.alert.fingerprint, c);
    }, () => {
      // Not stored: keep the old status in memory so the next refresh records the change again.
      for (const e of previous) this.live.set(e.alert.fingerprint, e);
    });
  }

  /**
   * Time-driven changes: alerts whose endsAt passed become resolved (event at their end time),
   * silence start/end re-evaluates statuses, long-resolved alerts are garbage-collected.
   */
  async sweep(): Promise<void> {
    const now = this.opts.clock.now();
    const undo: LiveAlert[] = [];
    const { resolved, othersAffected } = await this.opts.queue.submit(() => {
      const resolved: LiveAlert[] = [];
      const doomed: string[] = [];
      let othersAffected = false;
      for (const e of this.live.values()) {
        if (e.state === "firing" && isResolvedAt(e.alert, now)) {
          resolved.push({ ...e, state: "resolved" });
          if (this.status.affectsOthers(e.alert)) othersAffected = true;
        } else if (e.state === "resolved" && e.alert.endsAt.ms < now - this.opts.gcIntervalMs) {
          doomed.push(e.alert.fingerprint);
        }
      }
      for (const e of resolved) {
        this.opts.repo.saveState(e.alert.fingerprint, "resolved");
        this.opts.repo.appendEvent(e.alert.fingerprint, e.alert.endsAt.ms, "resolved", withSources({ by: e.alert.timeout ? "resolve_timeout" : "endsAt" }, e.sources));
      }
      for (const fp of doomed) this.opts.repo.delete(fp);
      for (const fp of [...resolved.map((e) => e.alert.fingerprint), ...doomed]) undo.push(this.live.get(fp)!);
      for (const e of resolved) this.live.set(e.alert.fingerprint, e);
      for (const e of resolved) this.rewriteAfterMs.delete(e.alert.fingerprint);
      for (const fp of doomed) {
        this.live.delete(fp);
        this.status.forget(fp);
      }
      return { resolved, othersAffected };
    }, () => {
      // The commit failed (disk full): memory goes back to what the database holds; the next sweep retries.
      for (const e of undo) {
        this.live.set(e.alert.fingerprint, e);
        this.status.observe(e.alert);
      }
    });
    if (resolved.length > 0) {
      this.emitTransitions(resolved.map((e) => ({ alert: e.alert, to: "resolved" as const, atMs: e.alert.endsAt.ms })));
      this.emit(resolved.map((e) => e.alert));
    }
    if (othersAffected || this.status.transitionedBetween(this.lastSweepMs, now)) await this.refreshStatuses();
    this.lastSweepMs = now;
  }

  private scheduleSweep(delayMs: number): void {
    if (this.stopped) return;
    const max = this.opts.maxSweepDelayMs ?? 60_000;
    // A sweep scans the whole live set: many alerts ending at distinct moments share one sweep. Events
    // still carry each alert's own end time, and listings hide ended alerts without waiting for a sweep.
    const spacing = this.lastSweepStartMs + MIN_SWEEP_SPACING_MS - this.opts.clock.now();
    const delay = Math.min(Math.max(0, delayMs, spacing), max);
    if (this.sweepTimer) this.opts.clock.clearTimeout(this.sweepTimer);
    this.nextSweepAt = this.opts.clock.now() + delay;
    this.sweepTimer = this.opts.clock.setTimeout(() => void this.runSweep(), delay);
  }

  private async runSweep(): Promise<void> {
    this.sweepTimer = undefined;
    this.nextSweepAt = Infinity;
    this.lastSweepStartMs = this.opts.clock.now();
    try {
      await this.sweep();
    } catch (err) {
      this.opts.log.error({ err: errorMessage(err) }, "sweep failed");
    }
    this.scheduleSweep(this.nextDueMs(this.opts.clock.now()) - this.opts.clock.now());
  }

  private nextDueMs(now: number): number {
    let next = Infinity;
    for (const e of this.live.values()) {
      const due = e.state === "firing" ? e.alert.endsAt.ms : e.alert.endsAt.ms + this.opts.gcIntervalMs + 1;
      if (due < next) next = due;
    }
    const t = this.status.nextTransitionMs(now);
    if (t !== undefined && t < next) next = t;
    return Math.max(next, now);
  }
}

/**
 * new / updated / source_added / resolved events for one incoming version of an alert, and the sources
 * of its firing episode afterwards. `source` is the replica that sent it (labels replica dedup removed).
 */
function lifecycleEvents(
  old: LiveAlert | undefined, alert: Alert, state: AlertState, merged: boolean, source: LabelSet | undefined,
): { events: StatusEvent[]; sources: readonly LabelSet[] } {
  const wasFiring = old?.state === "firing";
  const known = old?.sources ?? [];
  if (state === "firing") {
    // Prometheus re-sends keep startsAt and move endsAt past the old range, so Alertmanager's rule
    // replaces rather than merges them; with the same startsAt it is still the same episode. An earlier
    // startsAt that replaces a firing alert covers its whole range: the same episode, started earlier
    // (the other Prometheus of an HA pair, which began evaluating the rule a little sooner).
    const sameEpisode = wasFiring && (merged || compareTime(alert.startsAt, old.alert.startsAt) <= 0);
    if (!sameEpisode) {
      const sources = source ? [source] : [];
      return { events: [["new", withSources({ startsAt: alert.startsAt.ms, annotations: alert.annotations }, sources)]], sources };
    }
    const events: StatusEvent[] = [];
    const changed: string[] = [];
    if (!labelSetsEqual(old.alert.annotations, alert.annotations)) changed.push("annotations");
    // Each replica of an HA pair links to itself: a generatorURL that changes with the sender is no update.
    if (old.alert.generatorURL !== alert.generatorURL && source === undefined) changed.push("generatorURL");
    if (compareTime(old.alert.startsAt, alert.startsAt) !== 0) changed.push("startsAt");
    if (changed.length > 0) events.push(["updated", { changed, annotations: alert.annotations }]);
    const sources = withSource(known, source);
    if (sources !== known) events.push(["source_added", { source, sources }]);
    return { events, sources };
  }
  if (!wasFiring) return { events: [], sources: known };
  const detail: Record<string, unknown> = { by: "client" };
  if (source) detail.source = source;
  return { events: [["resolved", withSources(detail, known)]], sources: known };
}

/** The episode's sources with `source` added (sorted, no duplicates); the same array when it is known or absent. */
function withSource(known: readonly LabelSet[], source: LabelSet | undefined): readonly LabelSet[] {
  if (!source || known.some((s) => labelSetsEqual(s, source))) return known;
  return [...known, source].sort(compareLabelSets);
}

/** An event's detail with the episode's sources, when replica dedup recorded any. */
function withSources(detail: Record<string, unknown>, sources: readonly LabelSet[] | undefined): Record<string, unknown> {
  return sources && sources.length > 0 ? { ...detail, sources } : detail;
}

/**
 * A Prometheus re-send of a firing alert that changes nothing but moves endsAt (and updatedAt) forward.
 * Such a re-send is written only once the time passes 30–50 % of the way from the last write to the endsAt
 * it stored (`rewriteAfter`), so the stored endsAt always lies at least half the sender's horizon ahead (Prometheus: 4 ×
 * max(resend_delay, evaluation_interval), i.e. ≥ 2 minutes ahead; it re-sends every minute). A crash
 * (kill -9) therefore restores the alert firing, with an endsAt the next re-send moves on again; it can
 * resolve earlier than in memory only if its sender stops for longer than half its own horizon, and
 * history, state, annotations, status and sources are written at every change as before.
 */
function isRefreshOnly(old: LiveAlert, next: LiveAlert): boolean {
  const a = old.alert;
  const b = next.alert;
  return old.state === "firing" && next.state === "firing" && old.sources === next.sources
    && b.endsAt.ms >= a.endsAt.ms && a.timeout === b.timeout && a.generatorURL === b.generatorURL
    && compareTime(a.startsAt, b.startsAt) === 0 && labelSetsEqual(a.annotations, b.annotations)
    && sameIds(old.status.silencedBy, next.status.silencedBy) && sameIds(old.status.inhibitedBy, next.status.inhibitedBy);
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * When a re-send that only moves endsAt is written again: once 30–50 % of the stored horizon has passed,
 * so the stored endsAt always stays at least half a horizon ahead (what a crash restores). The point within
 * that window comes from the fingerprint: alerts that started together (a rule's first evaluation, a
 * restart) are then rewritten spread over a fifth of the horizon, not all in the same second.
 */
export function rewriteAfter(fingerprint: string, writtenAtMs: number, endsAtMs: number): number {
  const spread = parseInt(fingerprint.slice(-4), 16) / 0x10000;
  const share = 0.5 - 0.2 * (Number.isNaN(spread) ? 0 : spread);
  return writtenAtMs + (endsAtMs - writtenAtMs) * share;
}

function eventTime(kind: string, alert: Alert, now: number): number {
  return kind === "resolved" ? Math.min(alert.endsAt.ms, now) : now;
}
