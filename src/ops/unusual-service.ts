import type { Clock } from "../lib/clock.ts";
import type { LabelSet } from "../types/labels.ts";
import type { NotificationData } from "../notify/notifier.ts";
import { classifyUnusual, utcDate, UNUSUAL_WINDOW_MS, type Unusual } from "../anomaly/unusual.ts";

/** The history reads behind it (src/store/unusual-repo.ts). */
export interface UnusualSource {
  episodeStartMs(fingerprint: string, atMs: number): number | undefined;
  episodeDays(alertname: string, service: string, fromMs: number, toMs: number): number[];
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
  episodeAt(fingerprint: string, labels: LabelSet, atMs: number): UnusualEpisode | undefined {
    if (!labels.alertname) return undefined;
    const startMs = this.deps.source.episodeStartMs(fingerprint, atMs);
    if (startMs === undefined) return undefined;
    const key = `${fingerprint}#${startMs}`;
    let u = this.cache.get(key);
    if (u === undefined) {
      const days = this.deps.source.episodeDays(labels.alertname ?? "", labels.service ?? "", startMs - UNUSUAL_WINDOW_MS, startMs);
      u = { ...classifyUnusual(days.map(utcDate)), startMs };
      this.remember(key, u);
    }
    return u;
  }

  /** The pipeline's decorate hook: each alert's class, looked up once per (fingerprint, startsAt). */
  decorate(data: NotificationData): NotificationData {
    const now = this.deps.clock.now();
    let changed = false;
    const alerts = data.alerts.map((a) => {
      const key = `${a.fingerprint}@${a.startsAt.ms}`;
      let u = this.cache.get(key);
      if (u === undefined) {
        u = this.episodeAt(a.fingerprint, a.labels, now);
        if (u === undefined) return a;
        this.remember(key, u);
      }
      changed = true;
      return { ...a, unusual: u.class };
    });
    return changed ? { ...data, alerts } : data;
  }

  private remember(key: string, u: UnusualEpisode): void {
    if (this.cache.size >= this.maxCached) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, u);
  }
}
