import type { Alert } from "../types/alert.ts";
import { isResolvedAt } from "../types/alert.ts";
import type { LabelSet } from "../types/labels.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import { errorMessage } from "../lib/errors.ts";
import { TurnPacer } from "../lib/turn-pacer.ts";
import type { WriteOptions, WriteQueue } from "../store/write-queue.ts";
import type { NotifyStore, OutboxRow } from "../store/notify-repo.ts";
import type { NotificationLog, LogKey } from "../nflog/nflog.ts";
import type { FlushResult, GroupFlush } from "../dispatch/aggr-group.ts";
import type { DecisionLog, FlushDecision } from "./decision-log.ts";
import { inhibitStage, silenceStage, timeIntervalStage, type Muting } from "./muting-stages.ts";
import { notificationData } from "./notification-data.ts";
import type { FlushContext, Stage } from "./stage.ts";
import { NotifyError, type NotificationData, type Notifier } from "./notifier.ts";
import { sendWithRetry } from "./retry.ts";
import { templateErrors } from "./templater.ts";
import { batchCorrelation, distinctRecentFirst, withCorrelation, type Origin } from "../lib/correlation.ts";
import { NO_TRACING, SpanKind, linksTo, type Attributes, type Span, type Tracing } from "../lib/tracing.ts";

/** Records nothing is acknowledged on: committed at once, flushed to disk with the next write that needs it. */
const DEFERRED: WriteOptions = { deferFlush: true };

export type { Muting } from "./muting-stages.ts";

export interface DeliveryObserver {
  /** One send attempt; `key` names the group, receiver and integration (`<kind>/<index>`) it was for. */
  attempt(integration: string, ok: boolean, durationMs: number, error: NotifyError | undefined, key: LogKey): void;
  /** A notification was delivered (`ok`) or given up after its retries, `durationMs` after it was decided. */
  delivered?(integration: string, ok: boolean, durationMs: number): void;
  /** A notification that was due but not sent because a storm summary covered its alerts. */
  covered?(receiver: string, integration: string): void;
  /** A notification was delivered (after its retries) and recorded: the firing alerts it told of. */
  notified?(key: LogKey, firing: readonly string[], atMs: number): void;
}

export interface PipelineDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly queue: WriteQueue;
  readonly repo: NotifyStore;
  readonly nflog: NotificationLog;
  readonly externalURL: string;
  muting(): Muting;
  /**
   * AlertPrism's stages after Alertmanager's muting ones (ack, flap, storm), in order, from the current
   * configuration; none when nothing is configured.
   */
  stages?(): readonly Stage[];
  /** Where each flush's decisions go, for the timeline and `explain`. */
  readonly decisions?: DecisionLog;
  /** The integrations of a receiver in the current configuration. */
  notifiers(receiver: string): readonly Notifier[];
  readonly observer?: DeliveryObserver;
  /**
   * Adds AlertPrism's extras to a notification's data before it is sent and kept in the outbox (each
   * alert's acknowledgement, the group's one-click ack link); the data Alertmanager defines is unchanged.
   */
  decorate?(data: NotificationData, group: { readonly groupKey: string; readonly receiver: string }): NotificationData | Promise<NotificationData>;
  /** Spans of flushes, stages and delivery attempts (off: none). */
  readonly tracing?: Tracing;
  /** The request that last changed an alert (for log correlation and span links); none after a restart. */
  origin?(fingerprint: string): Origin | undefined;
  /**
   * Whether this process may send now; asked right before every attempt. Replicas sharing a database send
   * only while holding the sender lease: a refused attempt is not retried and its decision stays in the
   * outbox for the replica that takes over. Absent: always.
   */
  maySend?(): boolean;
}

/** The attempt's error when another replica is (or may be) the sender now. */
const NOT_THE_SENDER = "not sent: this replica no longer holds the sender lease (the outbox keeps it for the next sender)";

/** A decided notification as the outbox keeps it, enough to deliver it after a restart. */
interface Decision {
  readonly key: LogKey;
  readonly data: NotificationData;
  readonly firing: readonly string[];
  readonly resolved: readonly string[];
}

const integrationId = (n: Notifier) => `${n.kind}/${n.index}`;
const logKeyId = (k: LogKey) => `${k.groupKey}\u0000${k.receiver}\u0000${k.integration}`;

/**
 * The notification pipeline for one group flush, as stages: inhibition → active/mute time intervals →
 * silences → AlertPrism's stages (ack, flap, storm, when configured) → for each integration: dedup
 * against the notification log → outbox → send with retry → record. Each stage's decisions are recorded.
 */
export class NotifyPipeline {
  private lastOutboxMs = 0;
  private readonly inFlight = new Set<Promise<FlushResult>>();
  private readonly mutingStages: readonly Stage[];
  /**
   * Per log key, the tail of the decide-and-send work under way (see `oneAtATime`): flushes and outbox
   * replays alike, so a flush of a key waits for its replay and then asks the notification log.
   */
  private readonly keyTails = new Map<string, Promise<void>>();
  /** Per log key, the outbox row of a decision that was not delivered (its retries ran out). */
  private readonly undelivered = new Map<string, OutboxRow>();
  /**
   * Flushes and send attempts wait for their turn: group timers and retries that expire together would
   * otherwise build and start every notification in a single event-loop turn (see TurnPacer).
   */
  private readonly pacer = new TurnPacer();

  constructor(private readonly deps: PipelineDeps) {
    const muting = () => deps.muting();
    this.mutingStages = [inhibitStage(muting), timeIntervalStage(muting), silenceStage(muting)];
  }

  /** The dispatcher's flush handler; tracked so shutdown can let sends finish. */
  readonly flush = (f: GroupFlush): Promise<FlushResult> => {
    const p = this.traced(f);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  };

  /** Waits for in-flight notifications, at most `timeoutMs`; what is cut off stays in the outbox. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.inFlight.size === 0 && this.keyTails.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight, ...this.keyTails.values()]),
      new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs); }),
    ]);
    clearTimeout(timer);
  }

  private get tracing(): Tracing {
    return this.deps.tracing ?? NO_TRACING;
  }

  /**
   * A flush runs under the requests that brought its alerts: the most recent one's id (and all of them,
   * bounded) on its log lines and notifications, and a span of its own linked to their spans.
   */
  private traced(f: GroupFlush): Promise<FlushResult> {
    const origins = this.deps.origin ? distinctRecentFirst(f.alerts.map((a) => this.deps.origin!(a.fingerprint))) : [];
    const correlation = batchCorrelation(origins);
    return withCorrelation(correlation, () => {
      if (!this.tracing.enabled) return this.run(f);
      const attributes: Attributes = {
        "alertprism.group_key": f.groupKey,
        "alertprism.receiver": f.route.opts.receiver,
        "alertprism.alerts": f.alerts.length,
      };
      if (correlation.requestId !== undefined) attributes["alertprism.request_ids"] = [...(correlation.requestIds ?? [correlation.requestId])];
      return this.tracing.run("group flush", { attributes, links: linksTo(origins) }, () => this.run(f));
    });
  }

  /** Runs one stage, in a span of its own when tracing: alerts in and out, and the outcomes it decided. */
  private runStage(stage: Stage, ctx: FlushContext, alerts: readonly Alert[], decisions: readonly FlushDecision[]): readonly Alert[] {
    if (!this.tracing.enabled) return stage.run(ctx, alerts);
    const before = decisions.length;
    return this.tracing.run(`stage ${stage.name}`, { attributes: { "alertprism.stage": stage.name, "alertprism.alerts_in": alerts.length } }, (span) => {
      const out = stage.run(ctx, alerts);
      const outcomes = [...new Set(decisions.slice(before).map((d) => d.outcome))];
      span.setAttributes({ "alertprism.alerts_out": out.length, "alertprism.held": alerts.length - out.length, "alertprism.outcomes": outcomes });
      return out;
    });
  }

  private async run(f: GroupFlush): Promise<FlushResult> {
    await this.pacer.turn();
    const { route, nowMs } = f;
    const receiver = route.opts.receiver;
    const decisions: FlushDecision[] = [];
    const covered: Alert[] = [];
    const retain = new Set<string>();
    const quiet = new Set<string>();
    const ctx: FlushContext = {
      flush: f,
      receiver,
      nowMs,
      decide: (d) => decisions.push(d),
      coverAsNotified: (alerts) => covered.push(...alerts),
      retain: (fp) => retain.add(fp),
      quiet: (fp) => quiet.add(fp),
    };
    let alerts: readonly Alert[] = f.alerts;
    for (const stage of [...this.mutingStages, ...(this.deps.stages?.() ?? [])]) {
      if (alerts.length === 0) break;
      alerts = this.runStage(stage, ctx, alerts, decisions);
    }
    const ok = alerts.length === 0 && covered.length === 0 ? true : await this.notifyIntegrations(f, alerts, covered, decisions, quiet);
    this.deps.decisions?.flush(f.groupKey, receiver, nowMs, decisions, new Set(f.alerts.map((a) => a.fingerprint)));
    return { ok, retain };
  }

  /**
   * Per integration: the notification log decides whether to send (`covered` alerts count as told of,
   * without being sent); what is sent goes through the outbox and the retry loop.
   */
  private async notifyIntegrations(f: GroupFlush, alerts: readonly Alert[], covered: readonly Alert[], decisions: FlushDecision[], quiet: ReadonlySet<string>): Promise<boolean> {
    const { route, nowMs } = f;
    const receiver = route.opts.receiver;
    const firing = new Set<string>();
    const resolved = new Set<string>();
    for (const a of [...alerts, ...covered]) (isResolvedAt(a, nowMs) ? resolved : firing).add(a.fingerprint);

    const results = await Promise.all(this.deps.notifiers(receiver).map((n) => this.oneAtATime({ groupKey: f.groupKey, receiver, integration: integrationId(n) }, (key) => this.tracing.run("notify", {
      attributes: { "alertprism.receiver": receiver, "alertprism.integration": key.integration },
    }, async (span) => {
      const integration = key.integration;
      const decided = (d: FlushDecision) => {
        decisions.push(d);
        span.setAttribute("alertprism.outcome", d.outcome);
      };
      if (!this.deps.nflog.needsUpdate(key, firing, resolved, n.sendResolved, route.opts.repeatIntervalMs, nowMs, quiet.size > 0 ? quiet : undefined)) {
        const sentAtMs = this.deps.nflog.get(key)?.sentAtMs;
        await this.dropSuperseded(key);
        decided({ stage: "dedup", outcome: "not_due", integration, detail: sentAtMs === undefined ? {} : { last_sent_ms: sentAtMs, repeat_due_ms: sentAtMs + route.opts.repeatIntervalMs } });
        return true;
      }
      const batch = n.sendResolved ? alerts : alerts.filter((a) => firing.has(a.fingerprint));
      if (batch.length === 0) {
        // Nothing to post (all resolved with send_resolved off, or all covered by a storm summary), but
        // the log must learn the sets.
        await this.deps.queue.submit(() => this.deps.nflog.record(key, firing, resolved, nowMs));
        await this.dropSuperseded(key);
        if (covered.length > 0 && alerts.length === 0) {
          decided({ stage: "notify", outcome: "covered", integration, detail: { firing: firing.size, resolved: resolved.size } });
          this.deps.observer?.covered?.(receiver, n.kind);
        }
        return true;
      }
      const data = await this.dataFor(receiver, f.groupKey, f.groupLabels, batch, nowMs);
      const ok = await this.deliver(n, { key, data, firing: [...firing], resolved: [...resolved] }, f.deadlineMs);
      decided({ stage: "notify", outcome: ok ? "sent" : "failed", integration, detail: { firing: batch.filter((a) => firing.has(a.fingerprint)).length, resolved: batch.filter((a) => resolved.has(a.fingerprint)).length } });
      return ok;
    }))));
    return results.every(Boolean);
  }

  /**
   * A flush found nothing due for `key`: the receiver already knows the current state, so a decision
   * left undelivered in the outbox is out of date. Kept, a restart would deliver it (an alert as resolved
   * that fires again, or as firing after it resolved) and record it as what the receiver knows.
   */
  private async dropSuperseded(key: LogKey): Promise<void> {
    const k = logKeyId(key);
    const row = this.undelivered.get(k);
    if (row === undefined) return;
    this.undelivered.delete(k);
    await this.deps.queue.submit(() => this.deps.repo.removeOutbox(row));
  }

  /**
   * Runs the dedup decision and the send for one log key after the previous one for that key settled.
   * A reload rebuilds the dispatcher while the old one's send may still be retrying; deciding before it
   * is recorded would send the same notification again (found by the crash torture).
   */
  private async oneAtATime<T>(key: LogKey, work: (key: LogKey) => Promise<T>): Promise<T> {
    const k = logKeyId(key);
    const previous = this.keyTails.get(k);
    const run = (previous ?? Promise.resolve()).then(() => work(key));
    const tail = run.then(() => undefined, () => undefined);
    this.keyTails.set(k, tail);
    void tail.then(() => {
      if (this.keyTails.get(k) === tail) this.keyTails.delete(k);
    });
    return run;
  }

  private async dataFor(receiver: string, groupKey: string, groupLabels: LabelSet, batch: readonly Alert[], nowMs: number): Promise<NotificationData> {
    const data = notificationData(receiver, groupLabels, batch, this.deps.externalURL, nowMs);
    return this.deps.decorate ? this.deps.decorate(data, { groupKey, receiver }) : data;
  }

  /**
   * One notification outside any group flush (an escalation): the alerts go to every integration of
   * `receiver` under their own log key (`groupKey`), through the outbox and the retry loop, and are
   * recorded in the delivery log. Resolves true when every integration was notified.
   */
  async notifyReceiver(receiver: string, groupKey: string, groupLabels: LabelSet, alerts: readonly Alert[], deadlineMs: number): Promise<boolean> {
    const nowMs = this.deps.clock.now();
    const firing = alerts.filter((a) => !isResolvedAt(a, nowMs)).map((a) => a.fingerprint);
    const resolved = alerts.filter((a) => isResolvedAt(a, nowMs)).map((a) => a.fingerprint);
    const data = await this.dataFor(receiver, groupKey, groupLabels, alerts, nowMs);
    const results = await Promise.all(this.deps.notifiers(receiver).map((n) =>
      this.deliver(n, { key: { groupKey, receiver, integration: integrationId(n) }, data, firing, resolved }, deadlineMs)));
    return results.every(Boolean);
  }

  /** Persists the decision, sends it with retries until the deadline, then logs it and clears the outbox. */
  async deliver(n: Notifier, d: Decision, deadlineMs: number): Promise<boolean> {
    const { clock, queue, repo, nflog, log } = this.deps;
    // Not the sender (a standby among replicas): it decides nothing, so nothing of it waits in the outbox.
    if (this.deps.maySend && !this.deps.maySend()) return false;
    const decidedMs = clock.now();
    const createdMs = (this.lastOutboxMs = Math.max(decidedMs, this.lastOutboxMs + 1));
    const row: OutboxRow = { ...d.key, payload: JSON.stringify(d), createdMs };
    // Not awaited, and its flush to disk deferred: the send need not wait for either. Units commit in order,
    // so the row is written before the one that clears it; and if a crash or power cut beats both, the
    // alerts and the log are durable and the first flush after the restart decides the same notification again.
    queue.submit(() => repo.saveOutbox(row), undefined, DEFERRED).catch((err: unknown) => log.error({ err: errorMessage(err) }, "saving to the outbox failed"));

    const controller = new AbortController();
    // Deadlines fall due together like flushes do (one per group, aligned by group_interval), and an abort
    // is not cheap: it destroys the socket and builds the errors, stack traces included, in the same turn.
    // Taking the pacer's turn spreads hundreds of them over several turns.
    const abortTimer = clock.setTimeout(() => void this.pacer.turn().then(() => controller.abort()), Math.max(0, deadlineMs - clock.now()));
    const firingCount = d.data.alerts.filter((a) => a.status === "firing").length;
    const resolvedCount = d.data.alerts.length - firingCount;
    // Template errors of each attempt are collected so the delivery record says the default was used.
    let fallbacks: string[] = [];
    const result = await sendWithRetry(
      async (attempt) => {
        await this.pacer.turn();
        // The attempt's span starts after its turn: it measures the send, not the wait for the event loop.
        return this.tracing.run("deliver", {
          kind: SpanKind.CLIENT,
          attributes: { "alertprism.receiver": d.key.receiver, "alertprism.integration": d.key.integration, "alertprism.attempt": attempt },
        }, (span) => {
          fallbacks = [];
          if (this.deps.maySend && !this.deps.maySend()) return Promise.reject(new NotifyError(false, NOT_THE_SENDER));
          const sent = templateErrors.run(fallbacks, () => n.notify({ data: d.data, groupKey: d.key.groupKey, signal: controller.signal }));
          return span.isRecording() ? recordOutcome(span, sent) : sent;
        });
      },
      { clock, deadlineMs },
      (r) => {
        const templateNote = fallbacks.length > 0 ? `template error, built-in default used: ${fallbacks.join("; ")}` : undefined;
        this.deps.observer?.attempt(n.kind, r.ok, r.durationMs, r.error, d.key);
        queue.submit(() => repo.recordDelivery({
          atMs: clock.now(), ...d.key, attempt: r.attempt, status: r.ok ? "success" : "failed",
          retryable: r.error?.retryable ?? false,
          error: [r.error?.reason, templateNote].filter(Boolean).join("; ") || undefined, durationMs: r.durationMs,
          firing: firingCount, resolved: resolvedCount,
        }), undefined, DEFERRED).catch((err: unknown) => log.error({ err: errorMessage(err) }, "recording a delivery attempt failed"));
      },
    );
    clock.clearTimeout(abortTimer);
    this.deps.observer?.delivered?.(n.kind, result.ok, clock.now() - decidedMs);
    const ilog = log.child({ groupKey: d.key.groupKey, receiver: d.key.receiver, integration: d.key.integration });
    if (!result.ok) {
      // The outbox row stays: the next flush decides again (and replaces it, or drops it when nothing
      // is due any more), a restart delivers it.
      this.undelivered.set(logKeyId(d.key), row);
      ilog.error({ attempts: result.attempts, err: result.lastError?.reason }, "notify failed");
      return false;
    }
    // Committed before the next decision for the key, flushed to disk with the next write that needs it: a
    // power cut in that window (DEFERRED_FLUSH_MS at most) can repeat this message, as a crash between the
    // send and this record can.
    await queue.submit(() => {
      nflog.record(d.key, new Set(d.firing), new Set(d.resolved), clock.now());
      repo.removeOutbox(row);
    }, undefined, DEFERRED);
    // An older undelivered decision for the key was replaced by this one's row (same key), now removed.
    this.undelivered.delete(logKeyId(d.key));
    this.deps.observer?.notified?.(d.key, d.firing, clock.now());
    ilog.debug({ attempts: result.attempts }, "notified");
    return true;
  }

  /**
   * Delivers what a previous run decided but did not deliver (crash or shutdown mid-send). Rows whose
   * receiver or integration no longer exists are dropped with a warning.
   */
  async replayOutbox(deadlineMs: number): Promise<{ delivered: number; failed: number; dropped: number }> {
    const out = { delivered: 0, failed: 0, dropped: 0 };
    await Promise.all(this.deps.repo.loadOutbox().map(async (row) => {
      const d = JSON.parse(row.payload) as Decision;
      const n = this.deps.notifiers(row.receiver).find((x) => integrationId(x) === row.integration);
      if (!n) {
        this.deps.log.warn({ receiver: row.receiver, integration: row.integration }, "dropping undelivered notification: integration no longer configured");
        await this.deps.queue.submit(() => this.deps.repo.removeOutbox(row));
        out.dropped++;
        return;
      }
      // The replay supersedes the old row with its own (same key), so it is kept until delivered. It runs
      // beside the dispatcher (a hanging endpoint must not hold other receivers back at start-up), in its
      // key's turn: registered before any flush of that key can start, so such a flush waits for it.
      if (await this.oneAtATime(d.key, () => this.deliver(n, d, deadlineMs))) out.delivered++;
      else out.failed++;
    }));
    return out;
  }
}

/** A delivery attempt's outcome on its span: success, or failed with whether it is retried and the status. */
async function recordOutcome(span: Span, sent: Promise<void>): Promise<void> {
  try {
    await sent;
    span.setAttribute("alertprism.outcome", "success");
  } catch (err) {
    const e = err instanceof NotifyError ? err : undefined;
    span.setAttributes({ "alertprism.outcome": "failed", "alertprism.retryable": e?.retryable ?? true });
    if (e?.opts.status !== undefined) span.setAttribute("http.response.status_code", e.opts.status);
    throw err;
  }
}

export { NotifyError };
