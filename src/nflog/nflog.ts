import type { NflogRow, NotifyStore } from "../store/notify-repo.ts";

/** Identifies one integration of one receiver for one aggregation group. */
export interface LogKey {
  readonly groupKey: string;
  readonly receiver: string;
  /** `<kind>/<index>`, e.g. `webhook/0`. */
  readonly integration: string;
}

const keyOf = (k: LogKey) => `${k.groupKey}\u0000${k.receiver}\u0000${k.integration}`;

/**
 * Alertmanager's notification log: which firing and resolved alerts each integration was last told about
 * and when. It alone decides whether a flush sends (new firing alert, newly resolved with send_resolved,
 * all resolved, or repeat_interval passed), so restarts and reloads do not re-notify.
 */
export class NotificationLog {
  private readonly entries = new Map<string, NflogRow>();

  constructor(private readonly repo: NotifyStore) {}

  load(): number {
    for (const row of this.repo.loadLog()) this.entries.set(keyOf(row), row);
    return this.entries.size;
  }

  get(k: LogKey): NflogRow | undefined {
    return this.entries.get(keyOf(k));
  }

  /**
   * Alertmanager's DedupStage.needsUpdate. `quiet` firing alerts (acknowledged) count as firing (the
   * group is not "all resolved" while one fires) but never make a notification due on their own: not as
   * new, and not for repeat_interval. Without quiet alerts this is Alertmanager's rule unchanged.
   */
  needsUpdate(k: LogKey, firing: ReadonlySet<string>, resolved: ReadonlySet<string>, sendResolved: boolean, repeatIntervalMs: number, nowMs: number, quiet?: ReadonlySet<string>): boolean {
    const entry = this.get(k);
    const loud = (fp: string) => quiet === undefined || !quiet.has(fp);
    if (!entry) return [...firing].some(loud);
    const previousFiring = new Set(entry.firing);
    for (const fp of firing) if (!previousFiring.has(fp) && loud(fp)) return true;
    // All resolved: notify regardless of send_resolved, so the log forgets the firing set.
    if (firing.size === 0) return entry.firing.length > 0;
    if (sendResolved) {
      const previousResolved = new Set(entry.resolved);
      for (const fp of resolved) if (!previousResolved.has(fp)) return true;
    }
    if (quiet !== undefined && ![...firing].some(loud)) return false;
    return entry.sentAtMs < nowMs - repeatIntervalMs;
  }

  /** Records a notification; call inside the commit unit that also clears its outbox row. */
  record(k: LogKey, firing: ReadonlySet<string>, resolved: ReadonlySet<string>, nowMs: number): void {
    const row: NflogRow = { ...k, firing: [...firing].sort(), resolved: [...resolved].sort(), sentAtMs: nowMs };
    this.repo.saveLog(row);
    this.entries.set(keyOf(k), row);
  }

  /** Drops entries not written for `retentionMs` (Alertmanager keeps them for --data.retention). */
  prune(beforeMs: number): number {
    let n = 0;
    for (const [key, row] of this.entries) {
      if (row.sentAtMs < beforeMs) {
        this.entries.delete(key);
        n++;
      }
    }
    this.repo.pruneLog(beforeMs);
    return n;
  }
}
