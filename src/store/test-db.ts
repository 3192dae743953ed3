import { openDatabase, type Database } from "./db.ts";
import { CommitQueue } from "./commit-queue.ts";
import { AlertsRepo } from "./alerts-repo.ts";
import { SilencesRepo } from "./silences-repo.ts";

/** A migrated in-memory database with its repositories, for unit tests of the services above the store. */
export function memoryStore(): { db: Database; queue: CommitQueue; alerts: AlertsRepo; silences: SilencesRepo } {
  const db = openDatabase(":memory:", { synchronous: "normal" });
  return { db, queue: new CommitQueue(db), alerts: new AlertsRepo(db), silences: new SilencesRepo(db) };
}
