import type { StatsSource } from "../ops/stats.ts";
import type { UnusualSource } from "../ops/unusual-service.ts";
import type { StorageError } from "../lib/errors.ts";
import type { AlertsStore } from "./alerts-repo.ts";
import type { SilencesStore } from "./silences-repo.ts";
import type { NotifyStore } from "./notify-repo.ts";
import type { NoiseStore } from "./noise-repo.ts";
import type { HeartbeatsStore } from "./heartbeats-repo.ts";
import type { AcksStore } from "./acks-repo.ts";
import type { AnomalyStore } from "./anomaly-repo.ts";
import type { AuditStore } from "./audit-repo.ts";
import type { ExplainReads } from "./explain-repo.ts";
import type { HistoryReads } from "./history-repo.ts";
import type { WriteQueue } from "./write-queue.ts";

/** What the app learns of every group commit, whatever the backend (metrics, health, tracing). */
export interface StoreObserver {
  /** A group committed `units` units; `wrote`: it changed rows. */
  committed(units: number, wrote: boolean): void;
  /** `units` units were not stored because of `error`. */
  failed(error: StorageError, units: number): void;
  /** Told of every submission, in the submitter's context (SQLite only for now). */
  submitted?(): void;
  /** Runs each group's transaction, so the observer can wrap it (SQLite only for now). */
  group?(units: number, run: () => void): void;
}

/**
 * Every repository the services use, over one backend, with the queue their writes go through: the app is
 * built on this and does not know which database is under it. SQLite: stores.ts's openSqliteStores;
 * PostgreSQL: pg/stores.ts's openPgStores.
 */
export interface Stores {
  readonly backend: "sqlite" | "postgres";
  /** Where the data is, for logs: the SQLite file, or the PostgreSQL server without credentials. */
  readonly location: string;
  readonly queue: WriteQueue;
  readonly alerts: AlertsStore;
  readonly silences: SilencesStore;
  readonly notify: NotifyStore;
  readonly noise: NoiseStore;
  readonly heartbeats: HeartbeatsStore;
  readonly acks: AcksStore;
  readonly anomaly: AnomalyStore;
  readonly audit: AuditStore;
  readonly explain: ExplainReads;
  readonly stats: StatsSource;
  readonly history: HistoryReads;
  readonly unusual: UnusualSource;
  /** Bytes the database takes, by part (alertprism_storage_size_bytes{file}). */
  sizeBytes(): Promise<Readonly<Record<string, number>>>;
  /** Sets where commit outcomes are reported; the app calls it once, before any write. */
  observe(observer: StoreObserver): void;
  /** Stops taking writes (those submitted are committed first) and closes the database. */
  close(): Promise<void>;
}

/** Forwards commit outcomes to the observer set later (the queue is made before the app that observes it). */
export class ObserverRelay implements StoreObserver {
  private target: StoreObserver | undefined;

  set(observer: StoreObserver): void {
    this.target = observer;
  }

  committed(units: number, wrote: boolean): void {
    this.target?.committed(units, wrote);
  }

  failed(error: StorageError, units: number): void {
    this.target?.failed(error, units);
  }

  submitted(): void {
    this.target?.submitted?.();
  }

  group(units: number, run: () => void): void {
    if (this.target?.group) this.target.group(units, run);
    else run();
  }
}
