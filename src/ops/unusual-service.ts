import type { Clock } from "../lib/clock.ts";
import type { LabelSet } from "../types/labels.ts";
import type { NotificationData } from "../notify/notifier.ts";
import { classifyUnusual, daysInWindow, UNUSUAL_WINDOW_MS, type EpisodeDay, type Unusual } from "../anomaly/unusual.ts";

/** The history reads behind it (src/store/unusual-repo.ts on SQLite, src/store/pg/unusual-repo.ts on PostgreSQL). */
export interface UnusualSource {
  /** When each alert's episode going on at `atMs` started (its last `new` event); absent when history has none. */
  episodeStarts(fingerprints: readonly string[], atMs: number): Promise<ReadonlyMap<string, number>>;
  /** The pair's days with episode starts in [fromMs, toMs), each with its first and last start there. */
  episodeDayBounds(alertname: string, service: string, fromMs: number, toMs: number): Promise<EpisodeDay[]>;
}

export interface UnusualEpisode extends Unusual {
  /** When the episode started (its `new` event). */
  readonly startMs: number;
}

export interface UnusualDeps {
  readonly clock: Clock;
  readonly source: UnusualSource;
  /** Cached episodes at most (oldest dropped first). */
  readonly maxCached?: number;
}

/**
 * Unusual alerts: the outlier class of an alert's episode from the (alertname, service) pair's episode
 * starts in the 30 days before it (src/anomaly/unusual.ts). That window lies wholly before the episode and
 * history only grows at the present, so an episode's class never changes: it is computed once per episode
 * and cached — a notification of 1,000 alerts queries once per new episode, not once per alert per flush.
 */
export class UnusualAlerts {
  /** `fingerprint@startsAt ms` (the notification's view of an episode) and `fingerprint#start ms` → class. */
  private readonly cache = new Map<string, UnusualEpisode>();
  private readonly maxCached: number;

  constructor(private readonly deps: UnusualDeps) {
    this.maxCached = deps.maxCached ?? 50_000;
  }

  /**
   * The class of the alert's episode going on at `atMs` (its last start at or before then); undefined when
   * history has none or the alert has no alertname. An alert without a service label is compared with the
   * series of its alertname that have none either.
   */
  async episodeAt(fingerprint: string, labels: LabelSet, atMs: number): Promise<UnusualEpisode | undefined> {
    const [u] = await this.classify([{ fingerprint, labels }], atMs);
    return u;
  }

  /**
   * The pipeline's decorate hook: each alert's class, looked up once per (fingerprint, startsAt). The
   * episodes not known yet are classified together: one history query per (alertname, service) pair of the
   * notification and one for all their episode starts, not one each per alert (a first notification of 100
   * alerts of one rule took 300 ms otherwise).
   */
  async decorate(data: NotificationData): Promise<NotificationData> {
    const now = this.deps.clock.now();
    const keys = data.alerts.map((a) => `${a.fingerprint}@${a.startsAt.ms}`);
    // Each alert's class: from the cache, or classified now (held here, as the cache may evict meanwhile).
    const found = keys.map((k) => this.cache.get(k));
    const unknown = found.flatMap((u, i) => (u === undefined ? [i] : []));
    const classified = await this.classify(unknown.map((i) => data.alerts[i]!), now);
    unknown.forEach((i, j) => {
      const u = classified[j];
      if (u === undefined) return;
      found[i] = u;
      this.remember(keys[i]!, u);
    });
    let changed = false;
    const alerts = data.alerts.map((a, i) => {
      const u = found[i];
      if (u === undefined) return a;
      changed = true;
      return { ...a, unusual: u.class };
    });
    return changed ? { ...data, alerts } : data;
  }

  /** The episode going on at `atMs` of each alert (undefined where history has none or there is no alertname). */
  private async classify(alerts: ReadonlyArray<{ fingerprint: string; labels: LabelSet }>, atMs: number): Promise<Array<UnusualEpisode | undefined>> {
    const out: Array<UnusualEpisode | undefined> = new Array(alerts.length).fill(undefined);
    // Episodes not cached yet, by (alertname, service) pair.
    const pending = new Map<string, { alertname: string; service: string; items: Array<{ i: number; key: string; startMs: number }> }>();
    const named = alerts.filter((a) => a.labels.alertname);
    const starts = named.length === 0 ? new Map<string, number>() : await this.deps.source.episodeStarts(named.map((a) => a.fingerprint), atMs);
    alerts.forEach((a, i) => {
      const alertname = a.labels.alertname;
      if (!alertname) return;
      const startMs = starts.get(a.fingerprint);
      if (startMs === undefined) return;
      const key = `${a.fingerprint}#${startMs}`;
      const cached = this.cache.get(key);
      if (cached !== undefined) {
        out[i] = cached;
        return;
      }
      const service = a.labels.service ?? "";
      const pairKey = `${alertname}\u0000${service}`;
      let pair = pending.get(pairKey);
      if (pair === undefined) pending.set(pairKey, (pair = { alertname, service, items: [] }));
      pair.items.push({ i, key, startMs });
    });
    for (const { alertname, service, items } of pending.values()) {
      let earliest = Infinity;
      let latest = -Infinity;
      for (const it of items) {
        earliest = Math.min(earliest, it.startMs);
        latest = Math.max(latest, it.startMs);
      }
      const days = await this.deps.source.episodeDayBounds(alertname, service, earliest - UNUSUAL_WINDOW_MS, latest);
      for (const it of items) {
        const u: UnusualEpisode = { ...classifyUnusual(daysInWindow(days, it.startMs - UNUSUAL_WINDOW_MS, it.startMs)), startMs: it.startMs };
        this.remember(it.key, u);
        out[it.i] = u;
      }
    }
    return out;
  }

  private remember(key: string, u: UnusualEpisode): void {
    if (this.cache.size >= this.maxCached) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, u);
  }
}
