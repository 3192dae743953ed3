import type { Alert, AlertEventKind } from "../types/alert.ts";
import { isResolvedAt } from "../types/alert.ts";
import type { Clock, TimerHandle } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import { errorMessage } from "../lib/errors.ts";
import type { WriteQueue } from "../store/write-queue.ts";
import type { AckRow, AcksStore, CommentRow } from "../store/acks-repo.ts";
import type { AuditStore } from "../store/audit-repo.ts";
import { matchesAll, type Matcher } from "../matchers/index.ts";
import type { ActiveAck, AckLookup } from "../noise/ack-stage.ts";

/** Why an ack action was refused; the HTTP layer maps kinds to status codes. */
export class AckError extends Error {
  constructor(readonly kind: "not_found" | "resolved" | "not_acked", message: string) {
    super(message);
    this.name = "AckError";
  }
}

/** What the ack book reads of the live alert set. */
export interface LiveAlerts {
  get(fingerprint: string): { readonly alert: Alert; readonly state: "firing" | "resolved" } | undefined;
  all(): Iterable<{ readonly alert: Alert; readonly state: "firing" | "resolved" }>;
  subscribeTransitions(listener: (ts: ReadonlyArray<{ readonly alert: Alert; readonly to: "firing" | "resolved"; readonly atMs: number }>) => void): () => void;
}

export interface AckBookDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly queue: WriteQueue;
  readonly repo: AcksStore;
  readonly audit: AuditStore;
  /** The alert history (alert_events): acked, unacked and commented are appended there. */
  readonly history: { appendEvent(fingerprint: string, atMs: number, kind: AlertEventKind, detail?: Readonly<Record<string, unknown>>): void };
  readonly alerts: LiveAlerts;
}

/** An alert's ack as notifications show it (template `.Ack`). */
export interface AckNote {
  readonly by: string;
  readonly atMs: number;
  readonly comment: string;
}

export type AckListener = (fingerprints: readonly string[], actor: string, atMs: number) => void;

/**
 * Acknowledgements and comments: the acks in force (one per alert, for its current firing episode) in
 * memory and in SQLite. An ack ends when its alert resolves (a new firing is a new, unacknowledged
 * episode), when it is removed, or at its `expires`. Every write is committed with its history event and
 * its audit row before the caller hears of it.
 */
export class AckBook implements AckLookup {
  private readonly open = new Map<string, AckRow>();
  /** Acks ended by their alert's resolve, so the resolve notification can still say who acknowledged it. */
  private readonly endedByResolve = new Map<string, AckRow>();
  private readonly timers = new Map<number, TimerHandle>();
  private readonly listeners: AckListener[] = [];

  constructor(private readonly deps: AckBookDeps) {
    deps.alerts.subscribeTransitions((ts) => {
      for (const t of ts) this.transition(t.alert, t.to, t.atMs);
    });
  }

  /** Restores the open acks, ending those whose episode resolved or that expired while stopped. */
  load(): number {
    const now = this.deps.clock.now();
    const stale: Array<{ row: AckRow; by: string }> = [];
    for (const row of this.deps.repo.openAcks()) {
      const live = this.deps.alerts.get(row.fingerprint);
      if (!live || live.state === "resolved" || isResolvedAt(live.alert, now) || live.alert.startsAt.ms > row.episodeStartsMs) stale.push({ row, by: "resolved" });
      else if (row.expiresMs !== undefined && row.expiresMs <= now) stale.push({ row, by: "expired" });
      else {
        const previous = this.open.get(row.fingerprint);
        if (previous) stale.push({ row: previous, by: "replaced" });
        this.open.set(row.fingerprint, row);
        this.scheduleExpiry(row);
      }
    }
    if (stale.length > 0) {
      this.persist(() => {
        for (const { row, by } of stale) {
          this.deps.repo.endAck(row.id, now, by);
          if (by === "expired") this.deps.history.appendEvent(row.fingerprint, row.expiresMs ?? now, "unacked", { by: "expired" });
        }
      });
    }
    return this.open.size;
  }

  stop(): void {
    for (const t of this.timers.values()) this.deps.clock.clearTimeout(t);
    this.timers.clear();
  }

  /**
   * Acks another replica opened or ended (storage shared by replicas): `open` are the open acks of the
   * fingerprints in `scope` ("all": every fingerprint); taken into memory without writing. Listeners hear
   * of new ones, so escalation stops here too.
   */
  applyRemote(open: readonly AckRow[], scope: readonly string[] | "all"): void {
    const openNow = new Map(open.map((r) => [r.fingerprint, r]));
    const fingerprints = scope === "all" ? [...this.open.keys(), ...openNow.keys()] : scope;
    const acked: AckRow[] = [];
    for (const fp of new Set(fingerprints)) {
      const row = openNow.get(fp);
      const current = this.open.get(fp);
      if (current?.id === row?.id) continue;
      if (current) this.forget(current);
      if (!row) continue;
      this.open.set(fp, row);
      this.scheduleExpiry(row);
      acked.push(row);
    }
    for (const row of acked) this.tell([row.fingerprint], row.actor, row.createdMs);
  }

  /** Called with the fingerprints of every committed ack (escalation stops there). */
  onAcked(listener: AckListener): void {
    this.listeners.push(listener);
  }

  /** The ack in force for this alert's firing episode (AckLookup, for the ack stage). */
  activeFor(alert: Alert, nowMs: number): ActiveAck | undefined {
    const row = this.open.get(alert.fingerprint);
    if (row === undefined || isResolvedAt(alert, nowMs)) return undefined;
    if (row.expiresMs !== undefined && row.expiresMs <= nowMs) return undefined;
    if (alert.startsAt.ms > row.episodeStartsMs) return undefined; // a later episode
    return row;
  }

  /** The open ack of a fingerprint, whatever its alert does now. */
  get(fingerprint: string): AckRow | undefined {
    return this.open.get(fingerprint);
  }

  /**
   * The ack a notification shows for one of its alerts: the one in force for a firing alert, the one its
   * resolve ended for a resolved alert.
   */
  noteFor(a: { readonly fingerprint: string; readonly status: string; readonly startsAt: { readonly ms: number } }, nowMs: number): AckNote | undefined {
    let row = this.open.get(a.fingerprint);
    if (a.status === "resolved") row ??= this.endedByResolve.get(a.fingerprint);
    else if (row !== undefined && row.expiresMs !== undefined && row.expiresMs <= nowMs) row = undefined;
    if (row === undefined || a.startsAt.ms > row.episodeStartsMs) return undefined;
    return { by: row.actor, atMs: row.createdMs, comment: row.comment };
  }

  /** Acknowledges one firing alert (replacing its ack, if any). */
  async ack(fingerprint: string, actor: string, comment: string, expiresMs?: number): Promise<AckRow> {
    const now = this.deps.clock.now();
    const alert = this.firing(fingerprint, now);
    const [row] = await this.commitAcks([alert], actor, comment, expiresMs, now, {});
    return row!;
  }

  /**
   * Acknowledges every firing alert all `matchers` match that is not acknowledged yet; those already
   * acknowledged keep their ack and are listed apart.
   */
  async ackMatching(matchers: readonly Matcher[], actor: string, comment: string, expiresMs?: number): Promise<{ acked: AckRow[]; alreadyAcked: AckRow[] }> {
    const now = this.deps.clock.now();
    const targets: Alert[] = [];
    const alreadyAcked: AckRow[] = [];
    for (const { alert, state } of this.deps.alerts.all()) {
      if (state !== "firing" || isResolvedAt(alert, now) || !matchesAll(matchers, alert.labels)) continue;
      const existing = this.activeFor(alert, now);
      if (existing) alreadyAcked.push(this.open.get(alert.fingerprint)!);
      else targets.push(alert);
    }
    const detail = { matchers: matchers.length };
    const acked = targets.length === 0 ? [] : await this.commitAcks(targets, actor, comment, expiresMs, now, detail);
    return { acked, alreadyAcked };
  }

  /** Acknowledges the given alerts if they still fire (a one-click link); the others are skipped. */
  async ackFingerprints(fingerprints: readonly string[], actor: string, comment: string, detail: Readonly<Record<string, unknown>>): Promise<{ acked: AckRow[]; skipped: string[] }> {
    const now = this.deps.clock.now();
    const targets: Alert[] = [];
    const skipped: string[] = [];
    for (const fp of new Set(fingerprints)) {
      const live = this.deps.alerts.get(fp);
      if (!live || live.state !== "firing" || isResolvedAt(live.alert, now) || this.activeFor(live.alert, now)) skipped.push(fp);
      else targets.push(live.alert);
    }
    const acked = targets.length === 0 ? [] : await this.commitAcks(targets, actor, comment, undefined, now, detail);
    return { acked, skipped };
  }

  /** Removes the ack of a firing alert: its repeats resume. */
  async unack(fingerprint: string, actor: string): Promise<AckRow> {
    const now = this.deps.clock.now();
    this.firing(fingerprint, now);
    const row = this.open.get(fingerprint);
    if (row === undefined || (row.expiresMs !== undefined && row.expiresMs <= now)) throw new AckError("not_acked", `alert ${fingerprint} is not acknowledged`);
    await this.deps.queue.submit(() => {
      this.deps.repo.endAck(row.id, now, actor);
      this.deps.history.appendEvent(fingerprint, now, "unacked", { by: actor });
      this.deps.audit.record({ atMs: now, actor, action: "unack", target: fingerprint, detail: { ack_id: row.id } });
      this.forget(row);
    }, () => this.open.set(fingerprint, row));
    return { ...row, endedMs: now, endedBy: actor };
  }

  /** Adds a comment to a known alert (firing or resolved). */
  async comment(fingerprint: string, actor: string, text: string): Promise<CommentRow> {
    if (!this.deps.alerts.get(fingerprint)) throw new AckError("not_found", `no alert with fingerprint ${fingerprint}`);
    const now = this.deps.clock.now();
    return this.deps.queue.submit(() => {
      const row = this.deps.repo.saveComment({ fingerprint, actor, text, createdMs: now });
      this.deps.history.appendEvent(fingerprint, now, "commented", { by: actor, comment_id: row.id });
      this.deps.audit.record({ atMs: now, actor, action: "comment", target: fingerprint, detail: { comment_id: row.id } });
      return row;
    });
  }

  private firing(fingerprint: string, now: number): Alert {
    const live = this.deps.alerts.get(fingerprint);
    if (!live) throw new AckError("not_found", `no alert with fingerprint ${fingerprint}`);
    if (live.state !== "firing" || isResolvedAt(live.alert, now)) throw new AckError("resolved", `alert ${fingerprint} is resolved: only a firing alert can be acknowledged`);
    return live.alert;
  }

  /** One commit unit: the acks, their history events and audit rows; memory follows (undone on rollback). */
  private async commitAcks(alerts: readonly Alert[], actor: string, comment: string, expiresMs: number | undefined, now: number, detail: Readonly<Record<string, unknown>>): Promise<AckRow[]> {
    const replaced: AckRow[] = [];
    const rows = await this.deps.queue.submit(() => {
      const out: AckRow[] = [];
      for (const a of alerts) {
        const previous = this.open.get(a.fingerprint);
        if (previous) {
          this.deps.repo.endAck(previous.id, now, "replaced");
          replaced.push(previous);
          this.forget(previous);
        }
        const row = this.deps.repo.saveAck({ fingerprint: a.fingerprint, episodeStartsMs: a.startsAt.ms, actor, comment, createdMs: now, expiresMs });
        const eventDetail = { by: actor, comment, ...(expiresMs === undefined ? {} : { expires_ms: expiresMs }) };
        this.deps.history.appendEvent(a.fingerprint, now, "acked", eventDetail);
        this.deps.audit.record({ atMs: now, actor, action: "ack", target: a.fingerprint, detail: { ...detail, ...eventDetail, ack_id: row.id } });
        this.open.set(a.fingerprint, row);
        out.push(row);
      }
      return out;
    }, () => {
      for (const a of alerts) this.open.delete(a.fingerprint);
      for (const r of replaced) this.open.set(r.fingerprint, r);
    });
    for (const r of rows) this.scheduleExpiry(r);
    this.tell(rows.map((r) => r.fingerprint), actor, now);
    return rows;
  }

  private tell(fingerprints: readonly string[], actor: string, atMs: number): void {
    for (const l of this.listeners) {
      try {
        l(fingerprints, actor, atMs);
      } catch (err) {
        this.deps.log.error({ err: errorMessage(err) }, "ack listener failed");
      }
    }
  }

  private transition(alert: Alert, to: "firing" | "resolved", atMs: number): void {
    const fp = alert.fingerprint;
    if (to === "firing") this.endedByResolve.delete(fp);
    const row = this.open.get(fp);
    if (row === undefined) return;
    if (to === "firing" && alert.startsAt.ms <= row.episodeStartsMs) return;
    // Resolved, or firing again without a resolve seen: either way the acknowledged episode is over.
    this.forget(row);
    if (to === "resolved") {
      this.endedByResolve.set(fp, row);
      if (this.endedByResolve.size > 10_000) this.endedByResolve.delete(this.endedByResolve.keys().next().value!);
    }
    this.persist(() => this.deps.repo.endAck(row.id, atMs, "resolved"));
  }

  private scheduleExpiry(row: AckRow): void {
    if (row.expiresMs === undefined) return;
    const delay = Math.max(0, row.expiresMs - this.deps.clock.now());
    this.timers.set(row.id, this.deps.clock.setTimeout(() => {
      this.timers.delete(row.id);
      if (this.open.get(row.fingerprint) !== row) return;
      this.forget(row);
      this.persist(() => {
        this.deps.repo.endAck(row.id, row.expiresMs!, "expired");
        this.deps.history.appendEvent(row.fingerprint, row.expiresMs!, "unacked", { by: "expired" });
      });
    }, delay));
  }

  private forget(row: AckRow): void {
    if (this.open.get(row.fingerprint) === row) this.open.delete(row.fingerprint);
    const t = this.timers.get(row.id);
    if (t !== undefined) {
      this.deps.clock.clearTimeout(t);
      this.timers.delete(row.id);
    }
  }

  private persist(write: () => void): void {
    this.deps.queue.submit(write).catch((err: unknown) => this.deps.log.error({ err: errorMessage(err) }, "saving ack state failed"));
  }
}
