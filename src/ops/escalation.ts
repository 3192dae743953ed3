import type { Alert } from "../types/alert.ts";
import { isResolvedAt } from "../types/alert.ts";
import type { LabelSet } from "../types/labels.ts";
import type { Clock, TimerHandle } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import { errorMessage } from "../lib/errors.ts";
import type { WriteQueue } from "../store/write-queue.ts";
import type { AcksStore, EscalationRow } from "../store/acks-repo.ts";
import { matchesAll, matchersString, type Matcher } from "../matchers/index.ts";
import type { LiveAlerts } from "./acks.ts";

/** One `escalation:` entry of alertprism.yml. */
export interface EscalationRule {
  /** Stable identity (receiver and matchers), so reordering the rules or changing `after` re-fires nothing. */
  readonly id: string;
  readonly matchers: readonly Matcher[];
  readonly afterMs: number;
  readonly receiver: string;
}

export function escalationRuleId(receiver: string, matchers: readonly Matcher[]): string {
  return `${receiver} ${matchersString(matchers)}`;
}

/** Log keys of escalation notifications start with this, apart from every group's. */
export const ESCALATION_KEY_PREFIX = "escalation:";

/** A decision for the timeline (notify_decisions), stage "escalation". */
export interface EscalationDecision {
  readonly atMs: number;
  readonly groupKey: string;
  readonly receiver: string;
  readonly fingerprint: string;
  readonly outcome: "scheduled" | "escalated" | "cancelled" | "failed";
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface EscalatorDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly queue: WriteQueue;
  readonly repo: AcksStore;
  readonly alerts: LiveAlerts;
  /** The rules of the current configuration (a reload is seen at once). */
  rules(): readonly EscalationRule[];
  /** Whether the alert's current firing episode is acknowledged. */
  acknowledged(alert: Alert, nowMs: number): boolean;
  /** The group labels of `groupKey` for this alert (from the route tree), or undefined if no route makes it now. */
  groupLabels(alert: Alert, groupKey: string): LabelSet | undefined;
  /** Sends one notification to every integration of `receiver` (outbox and retries); true when delivered. */
  send(receiver: string, logGroupKey: string, groupLabels: LabelSet, alerts: readonly Alert[]): Promise<boolean>;
  /** Records decisions; called inside a commit unit. */
  recordDecisions(rows: readonly EscalationDecision[]): void;
  /**
   * Whether this process escalates now (absent: always). Replicas sharing a database escalate only while
   * sending: a standby's due escalation is left to the sender, which took it over (load) when it became one.
   */
  active?(): boolean;
}

/**
 * Escalation: a firing alert that matches a rule and is not acknowledged `after` its first notification
 * is notified to the rule's receiver too — once per firing episode and rule. "First notification" is the
 * first notification of one of its groups that told of it as firing and was delivered, after it started
 * firing. The wait stops when the alert is acknowledged or resolves. Pending escalations are rows in
 * SQLite, so a restart rebuilds the timers (one already due fires at once).
 */
export class Escalator {
  private readonly pending = new Map<number, { row: EscalationRow; timer: TimerHandle }>();
  /** `<fingerprint> <episode> <rule>` of every escalation known (pending or done), so each exists once. */
  private readonly known = new Set<string>();
  private stopped = false;

  constructor(private readonly deps: EscalatorDeps) {
    deps.alerts.subscribeTransitions((ts) => {
      for (const t of ts) if (t.to === "resolved") this.cancel(t.alert.fingerprint, "resolved", t.atMs);
    });
  }

  /** Rebuilds the timers of pending escalations; those whose alert resolved meanwhile are cancelled. */
  load(): number {
    const now = this.deps.clock.now();
    const horizon = now - 31 * 24 * 3600_000;
    const stale: EscalationRow[] = [];
    for (const row of this.deps.repo.escalationsSince(horizon)) {
      this.known.add(knownKey(row.fingerprint, row.episodeStartsMs, row.rule));
      if (row.firedMs !== undefined || row.cancelledMs !== undefined || this.pending.has(row.id)) continue;
      const live = this.deps.alerts.get(row.fingerprint);
      if (!live || live.state !== "firing" || isResolvedAt(live.alert, now) || live.alert.startsAt.ms > row.episodeStartsMs) stale.push(row);
      else this.arm(row);
    }
    if (stale.length > 0) {
      this.persist(() => {
        for (const row of stale) {
          if (!this.deps.repo.cancelEscalation(row.id, now, "resolved")) continue;
          this.deps.recordDecisions([decision(row, now, "cancelled", { by: "resolved" })]);
        }
      });
    }
    return this.pending.size;
  }

  stop(): void {
    this.stopped = true;
    for (const p of this.pending.values()) this.deps.clock.clearTimeout(p.timer);
    this.pending.clear();
  }

  /** The pipeline delivered a notification of `groupKey` telling of these firing alerts. */
  notified(groupKey: string, firing: readonly string[], atMs: number): void {
    if (this.stopped || groupKey.startsWith(ESCALATION_KEY_PREFIX)) return;
    const rules = this.deps.rules();
    if (rules.length === 0) return;
    const rows: Array<Omit<EscalationRow, "id" | "firedMs" | "cancelledMs" | "cancelledBy">> = [];
    for (const fp of firing) {
      const live = this.deps.alerts.get(fp);
      if (!live || live.state !== "firing" || isResolvedAt(live.alert, atMs) || this.deps.acknowledged(live.alert, atMs)) continue;
      for (const rule of rules) {
        const key = knownKey(fp, live.alert.startsAt.ms, rule.id);
        if (this.known.has(key) || !matchesAll(rule.matchers, live.alert.labels)) continue;
        this.known.add(key);
        rows.push({ fingerprint: fp, episodeStartsMs: live.alert.startsAt.ms, rule: rule.id, receiver: rule.receiver, groupKey, notifiedMs: atMs, dueMs: atMs + rule.afterMs });
      }
    }
    if (rows.length === 0) return;
    this.deps.queue.submit(() => {
      const saved: EscalationRow[] = [];
      for (const r of rows) {
        const row = this.deps.repo.scheduleEscalation(r);
        if (row) saved.push(row);
      }
      this.deps.recordDecisions(saved.map((row) => decision(row, atMs, "scheduled", { escalation_receiver: row.receiver, due_ms: row.dueMs })));
      return saved;
    }).then((saved) => {
      for (const row of saved) this.arm(row);
    }).catch((err: unknown) => this.deps.log.error({ err: errorMessage(err) }, "scheduling an escalation failed"));
  }

  /** The alerts were acknowledged: their pending escalations stop. */
  acknowledged(fingerprints: readonly string[], actor: string, atMs: number): void {
    for (const fp of fingerprints) this.cancel(fp, `ack:${actor}`, atMs);
  }

  private cancel(fingerprint: string, by: string, atMs: number): void {
    const rows = [...this.pending.values()].filter((p) => p.row.fingerprint === fingerprint);
    if (rows.length === 0) return;
    for (const p of rows) {
      this.deps.clock.clearTimeout(p.timer);
      this.pending.delete(p.row.id);
    }
    this.persist(() => {
      for (const { row } of rows) {
        if (!this.deps.repo.cancelEscalation(row.id, atMs, by)) continue;
        this.deps.recordDecisions([decision(row, atMs, "cancelled", { by })]);
      }
    });
  }

  private arm(row: EscalationRow): void {
    if (this.stopped) return;
    const delay = Math.max(0, row.dueMs - this.deps.clock.now());
    const timer = this.deps.clock.setTimeout(() => void this.fire(row), delay);
    this.pending.set(row.id, { row, timer });
  }

  private async fire(row: EscalationRow): Promise<void> {
    this.pending.delete(row.id);
    if (this.stopped || (this.deps.active !== undefined && !this.deps.active())) return;
    const now = this.deps.clock.now();
    const live = this.deps.alerts.get(row.fingerprint);
    const rule = this.deps.rules().find((r) => r.id === row.rule);
    let cancelledBy: string | undefined;
    if (!live || live.state !== "firing" || isResolvedAt(live.alert, now) || live.alert.startsAt.ms > row.episodeStartsMs) cancelledBy = "resolved";
    else if (this.deps.acknowledged(live.alert, now)) cancelledBy = "acknowledged";
    else if (rule === undefined) cancelledBy = "rule removed";
    if (cancelledBy !== undefined || !live) {
      this.persist(() => {
        if (this.deps.repo.cancelEscalation(row.id, now, cancelledBy ?? "resolved")) this.deps.recordDecisions([decision(row, now, "cancelled", { by: cancelledBy })]);
      });
      return;
    }
    const alert = live.alert;
    const groupLabels = this.deps.groupLabels(alert, row.groupKey) ?? {};
    const fired = await this.deps.queue.submit(() => {
      if (!this.deps.repo.markEscalationFired(row.id, now)) return false;
      this.deps.recordDecisions([decision(row, now, "escalated", { escalation_receiver: row.receiver, notified_ms: row.notifiedMs, waited_ms: now - row.notifiedMs })]);
      return true;
    }).catch((err: unknown) => {
      this.deps.log.error({ err: errorMessage(err) }, "recording an escalation failed");
      return false;
    });
    if (!fired) return;
    this.deps.log.warn({ component: "escalation", fingerprint: row.fingerprint, receiver: row.receiver }, "escalating: not acknowledged in time");
    const ok = await this.deps.send(row.receiver, `${ESCALATION_KEY_PREFIX}${row.rule}:${row.groupKey}`, groupLabels, [alert]).catch((err: unknown) => {
      this.deps.log.error({ err: errorMessage(err) }, "escalation notification failed");
      return false;
    });
    // Delivery is at-least-once through the outbox; a failure after the retries is recorded for the timeline.
    if (!ok) this.persist(() => this.deps.recordDecisions([decision(row, this.deps.clock.now(), "failed", { escalation_receiver: row.receiver })]));
  }

  private persist(write: () => void): void {
    this.deps.queue.submit(write).catch((err: unknown) => this.deps.log.error({ err: errorMessage(err) }, "saving escalation state failed"));
  }
}

function knownKey(fp: string, episodeMs: number, rule: string): string {
  return `${fp} ${episodeMs} ${rule}`;
}

function decision(row: EscalationRow, atMs: number, outcome: EscalationDecision["outcome"], detail: Record<string, unknown>): EscalationDecision {
  return { atMs, groupKey: row.groupKey, receiver: row.receiver, fingerprint: row.fingerprint, outcome, detail: { rule: row.rule, ...detail } };
}
