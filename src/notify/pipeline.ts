import type { Alert } from "../types/alert.ts";
import { isResolvedAt } from "../types/alert.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import { errorMessage } from "../lib/errors.ts";
import type { CommitQueue } from "../store/commit-queue.ts";
import type { NotifyRepo, OutboxRow } from "../store/notify-repo.ts";
import type { NotificationLog, LogKey } from "../nflog/nflog.ts";
import type { GroupFlush } from "../dispatch/aggr-group.ts";
import { notificationData } from "./notification-data.ts";
import { NotifyError, type NotificationData, type Notifier } from "./notifier.ts";
import { sendWithRetry } from "./retry.ts";
import { templateErrors } from "./templater.ts";

/** Muting decisions taken at flush time, from the current silences, inhibition rules and time intervals. */
export interface Muting {
  inhibited(alert: Alert, nowMs: number): boolean;
  silenced(alert: Alert, nowMs: number): boolean;
  /** Whether the named time interval contains the instant. */
  inInterval(name: string, atMs: number): boolean;
}

export interface DeliveryObserver {
  attempt(integration: string, ok: boolean, durationMs: number, error?: NotifyError): void;
}

export interface PipelineDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly queue: CommitQueue;
  readonly repo: NotifyRepo;
  readonly nflog: NotificationLog;
  readonly externalURL: string;
  muting(): Muting;
  /** The integrations of a receiver in the current configuration. */
  notifiers(receiver: string): readonly Notifier[];
  readonly observer?: DeliveryObserver;
}

/** A decided notification as the outbox keeps it, enough to deliver it after a restart. */
interface Decision {
  readonly key: LogKey;
  readonly data: NotificationData;
  readonly firing: readonly string[];
  readonly resolved: readonly string[];
}

const integrationId = (n: Notifier) => `${n.kind}/${n.index}`;

/**
 * Alertmanager's notification pipeline for one group flush: inhibition → active/mute time intervals →
 * silences → for each integration: dedup against the notification log → outbox → send with retry →
 * record. Returns true when every integration succeeded or had nothing to send.
 */
export class NotifyPipeline {
  private lastOutboxMs = 0;
  private readonly inFlight = new Set<Promise<boolean>>();

  constructor(private readonly deps: PipelineDeps) {}

  /** The dispatcher's flush handler; tracked so shutdown can let sends finish. */
  readonly flush = (f: GroupFlush): Promise<boolean> => {
    const p = this.run(f);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  };

  /** Waits for in-flight notifications, at most `timeoutMs`; what is cut off stays in the outbox. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs); }),
    ]);
    clearTimeout(timer);
  }

  private async run(f: GroupFlush): Promise<boolean> {
    const { route, nowMs } = f;
    const muting = this.deps.muting();
    let alerts = f.alerts.filter((a) => !muting.inhibited(a, nowMs));
    const active = route.opts.activeTimeIntervals;
    if (active.length > 0 && !active.some((name) => muting.inInterval(name, nowMs))) return true;
    if (route.opts.muteTimeIntervals.some((name) => muting.inInterval(name, nowMs))) return true;
    alerts = alerts.filter((a) => !muting.silenced(a, nowMs));
    if (alerts.length === 0) return true;

    const receiver = route.opts.receiver;
    const firing = new Set<string>();
    const resolved = new Set<string>();
    for (const a of alerts) (isResolvedAt(a, nowMs) ? resolved : firing).add(a.fingerprint);

    const results = await Promise.all(this.deps.notifiers(receiver).map(async (n) => {
      const key: LogKey = { groupKey: f.groupKey, receiver, integration: integrationId(n) };
      if (!this.deps.nflog.needsUpdate(key, firing, resolved, n.sendResolved, route.opts.repeatIntervalMs, nowMs)) return true;
      const batch = n.sendResolved ? alerts : alerts.filter((a) => firing.has(a.fingerprint));
      if (batch.length === 0) {
        // Nothing to post (all resolved, send_resolved off), but the log must forget the firing set.
        await this.deps.queue.submit(() => this.deps.nflog.record(key, firing, resolved, nowMs));
        return true;
      }
      const data = notificationData(receiver, f.groupLabels, batch, this.deps.externalURL, nowMs);
      return this.deliver(n, { key, data, firing: [...firing], resolved: [...resolved] }, f.deadlineMs);
    }));
    return results.every(Boolean);
  }

  /** Persists the decision, sends it with retries until the deadline, then logs it and clears the outbox. */
  async deliver(n: Notifier, d: Decision, deadlineMs: number): Promise<boolean> {
    const { clock, queue, repo, nflog, log } = this.deps;
    const createdMs = (this.lastOutboxMs = Math.max(clock.now(), this.lastOutboxMs + 1));
    const row: OutboxRow = { ...d.key, payload: JSON.stringify(d), createdMs };
    // Not awaited: the send need not wait for this fsync. Units commit in order, so the row is written
    // before the one that clears it; and if a crash beats both, the alerts and the log are durable and
    // the first flush after the restart decides the same notification again.
    queue.submit(() => repo.saveOutbox(row)).catch((err: unknown) => log.error({ err: errorMessage(err) }, "saving to the outbox failed"));

    const controller = new AbortController();
    const abortTimer = clock.setTimeout(() => controller.abort(), Math.max(0, deadlineMs - clock.now()));
    const firingCount = d.data.alerts.filter((a) => a.status === "firing").length;
    const resolvedCount = d.data.alerts.length - firingCount;
    // Template errors of each attempt are collected so the delivery record says the default was used.
    let fallbacks: string[] = [];
    const result = await sendWithRetry(
      () => {
        fallbacks = [];
        return templateErrors.run(fallbacks, () => n.notify({ data: d.data, groupKey: d.key.groupKey, signal: controller.signal }));
      },
      { clock, deadlineMs },
      (r) => {
        const templateNote = fallbacks.length > 0 ? `template error, built-in default used: ${fallbacks.join("; ")}` : undefined;
        this.deps.observer?.attempt(n.kind, r.ok, r.durationMs, r.error);
        queue.submit(() => repo.recordDelivery({
          atMs: clock.now(), ...d.key, attempt: r.attempt, status: r.ok ? "success" : "failed",
          retryable: r.error?.retryable ?? false,
          error: [r.error?.reason, templateNote].filter(Boolean).join("; ") || undefined, durationMs: r.durationMs,
          firing: firingCount, resolved: resolvedCount,
        })).catch((err: unknown) => log.error({ err: errorMessage(err) }, "recording a delivery attempt failed"));
      },
    );
    clock.clearTimeout(abortTimer);
    const ilog = log.child({ groupKey: d.key.groupKey, receiver: d.key.receiver, integration: d.key.integration });
    if (!result.ok) {
      // The outbox row stays: the next flush decides again (and replaces it), a restart delivers it.
      ilog.error({ attempts: result.attempts, err: result.lastError?.reason }, "notify failed");
      return false;
    }
    await queue.submit(() => {
      nflog.record(d.key, new Set(d.firing), new Set(d.resolved), clock.now());
      repo.removeOutbox(row);
    });
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
      // The replay supersedes the old row with its own (same key), so it is kept until delivered.
      if (await this.deliver(n, d, deadlineMs)) out.delivered++;
      else out.failed++;
    }));
    return out;
  }
}

export { NotifyError };
