/**
 * Keeps a replica's memory in step with the others' writes (issue 16): the commit queue announces the keys
 * each group changed on the change feed (PgCommitQueue.announce, NOTIFY at commit); this re-reads those
 * rows, a batch per topic, and hands them to the services. After the feed reconnects (notices sent while it
 * was down are lost) it re-reads everything once.
 */
import type { Silence } from "../../types/silence.ts";
import { toStoredAlerts, type AlertRow, type StoredAlert } from "../alerts-repo.ts";
import { toSilence, type SilenceRow } from "../silences-repo.ts";
import { ackOf, type AckDbRow, type AckRow } from "../acks-repo.ts";
import type { ChangeFeed } from "./change-feed.ts";
import { TOPICS } from "./change-feed.ts";
import type { ChangeNotice } from "./commit-queue.ts";
import { safeErrorMessage } from "./safe-error.ts";
import { rows, type Queryable } from "./types.ts";

/** What the services do with the rows another replica wrote. */
export interface RemoteChanges {
  /** Alerts another replica wrote (`gone`: fingerprints no longer stored). */
  alerts(changed: readonly StoredAlert[], gone: readonly string[]): void;
  /** Silences another replica wrote (`gone`: ids no longer stored). */
  silences(changed: readonly Silence[], gone: readonly string[]): void;
  /** Acks another replica opened or ended: the open acks of the fingerprints in `scope` ("all": of every one). */
  acks(open: readonly AckRow[], scope: readonly string[] | "all"): void;
}

const ALL_TOPICS = [TOPICS.alerts, TOPICS.silences, TOPICS.acks];

const ALERTS = "SELECT a.*, s.fingerprint, s.labels FROM alerts a JOIN series s ON s.id = a.series_id";

/** One topic's pending keys and the read under way (one at a time, so rows are applied in order). */
interface Topic {
  pending: Set<string> | "all";
  reading: Promise<void> | undefined;
}

export class ReplicaSync {
  private readonly topics = new Map<string, Topic>();

  constructor(
    private readonly db: Queryable,
    /** This replica's id: its own notices are skipped. */
    private readonly self: string,
    private readonly apply: RemoteChanges,
    private readonly onError: (message: string) => void,
  ) {}

  /** Listens on the feed for both topics. */
  async start(feed: ChangeFeed): Promise<void> {
    for (const topic of ALL_TOPICS) {
      await feed.subscribe(topic, (payload) => this.heard(topic, payload));
    }
  }

  /** After a reconnect of the feed: re-read everything. */
  resync(): void {
    for (const topic of ALL_TOPICS) this.want(topic, "all");
  }

  /** Resolves once every change heard so far has been applied (tests). */
  async settled(): Promise<void> {
    for (;;) {
      const reads = [...this.topics.values()].map((t) => t.reading).filter((r) => r !== undefined);
      if (reads.length === 0) return;
      await Promise.all(reads);
    }
  }

  private heard(topic: string, payload: string): void {
    let notice: ChangeNotice;
    try {
      notice = JSON.parse(payload) as ChangeNotice;
    } catch {
      this.onError(`change feed: a notice on ${topic} that is not JSON was ignored`);
      return;
    }
    if (notice.from === this.self || !Array.isArray(notice.keys)) return;
    this.want(topic, new Set(notice.keys.map(String)));
  }

  private want(topic: string, keys: Set<string> | "all"): void {
    let t = this.topics.get(topic);
    if (!t) this.topics.set(topic, (t = { pending: new Set(), reading: undefined }));
    if (keys === "all" || t.pending === "all") t.pending = "all";
    else for (const k of keys) t.pending.add(k);
    if (!t.reading) t.reading = this.drain(topic, t);
  }

  /** Reads what is pending, batch after batch, until nothing is (notices arriving meanwhile join the next batch). */
  private async drain(topic: string, t: Topic): Promise<void> {
    // Let the notices of one commit (several chunks) arrive before reading.
    await new Promise((r) => setImmediate(r));
    while (t.pending === "all" || t.pending.size > 0) {
      const keys = t.pending;
      t.pending = new Set();
      try {
        if (topic === TOPICS.alerts) await this.readAlerts(keys);
        else if (topic === TOPICS.silences) await this.readSilences(keys);
        else await this.readAcks(keys);
      } catch (err) {
        this.onError(`change feed: re-reading ${topic} failed, the next notice or reconnect reads it again: ${safeErrorMessage(err)}`);
      }
    }
    t.reading = undefined;
  }

  private async readAlerts(keys: Set<string> | "all"): Promise<void> {
    const found = toStoredAlerts(keys === "all" ? await rows<AlertRow>(this.db, ALERTS) : await rows<AlertRow>(this.db, `${ALERTS} WHERE s.fingerprint = ANY($1)`, [[...keys]]));
    const seen = new Set(found.map((s) => s.alert.fingerprint));
    this.apply.alerts(found, keys === "all" ? [] : [...keys].filter((k) => !seen.has(k)));
  }

  private async readAcks(keys: Set<string> | "all"): Promise<void> {
    const open = keys === "all"
      ? await rows<AckDbRow>(this.db, "SELECT * FROM acks WHERE ended_ms IS NULL ORDER BY id")
      : await rows<AckDbRow>(this.db, "SELECT * FROM acks WHERE ended_ms IS NULL AND fingerprint = ANY($1) ORDER BY id", [[...keys]]);
    this.apply.acks(open.map(ackOf), keys === "all" ? "all" : [...keys]);
  }

  private async readSilences(keys: Set<string> | "all"): Promise<void> {
    const found = (keys === "all" ? await rows<SilenceRow>(this.db, "SELECT * FROM silences") : await rows<SilenceRow>(this.db, "SELECT * FROM silences WHERE id = ANY($1)", [[...keys]])).map(toSilence);
    const seen = new Set(found.map((s) => s.id));
    this.apply.silences(found, keys === "all" ? [] : [...keys].filter((k) => !seen.has(k)));
  }
}
