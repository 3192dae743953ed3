import type { Database } from "better-sqlite3";
import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { statSync } from "node:fs";
import { GATE_FREE, GATE_WORKER, WriteGate } from "./write-gate.ts";

export interface CheckpointerOptions {
  /** Checkpoint once the WAL holds this many bytes since it was last restarted. */
  readonly thresholdBytes?: number;
  /** How often the WAL's size is looked at (before the worker starts, and by the worker). */
  readonly intervalMs?: number;
  /** Told about checkpoint errors (logged by the caller); the worker keeps trying. */
  readonly onError?: (message: string) => void;
  /**
   * Told after each checkpoint: WAL frames copied into the database so far, frames in the WAL, and whether
   * everything was copied and the worker wrote to restart the WAL (a reader still on the old WAL, in any
   * connection, makes SQLite put the restart off to a later write).
   */
  readonly onCheckpoint?: (copied: number, walFrames: number, restarted: boolean) => void;
}

/**
 * Moves SQLite's checkpoints off the event loop. By default the writing connection checkpoints inside a
 * COMMIT once the WAL passes wal_autocheckpoint pages, copying megabytes and fsyncing the database
 * file while every request waits. Here a worker thread with its own connection does that work early
 * (PASSIVE: concurrent with the writer), and the writer's own autocheckpoint is raised to a safety net
 * that, if ever reached, only has the little the worker has not yet copied left to do.
 *
 * After a checkpoint that copied everything, the first connection to write restarts the WAL and fsyncs its
 * new header, and under disk contention that fsync has blocked for 300 ms: so the worker restarts it itself.
 * It takes the write gate (write-gate.ts; the commit queue holds its groups meanwhile, the event loop runs
 * on), copies what was appended since its checkpoint, and writes one page, in its own thread.
 *
 * The worker (a second V8 instance, ~9 MiB resident) starts the first time the WAL file reaches the
 * threshold: a process that writes little never needs it. Until then the WAL is never restarted (only
 * a checkpoint lets the writer restart it), so the file's size is what it holds.
 */
export class Checkpointer {
  /** Pass to the writer's CommitQueue: it must not write while the worker restarts the WAL. */
  readonly gate = new WriteGate();
  private worker: Worker | undefined;
  private readonly watch: NodeJS.Timeout;
  private stopped = false;

  private constructor(private readonly file: string, private readonly thresholdBytes: number, private readonly opts: CheckpointerOptions) {
    this.watch = setInterval(() => {
      if (walFileBytes(this.file) >= this.thresholdBytes) this.startWorker();
    }, opts.intervalMs ?? 250);
    this.watch.unref();
  }

  static start(db: Database, opts: CheckpointerOptions = {}): Checkpointer {
    if (db.memory) throw new Error("an in-memory database has no write-ahead log to checkpoint");
    const thresholdBytes = opts.thresholdBytes ?? 4 * 1024 * 1024;
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    // The safety net: 4× the worker's threshold, in pages.
    db.pragma(`wal_autocheckpoint = ${Math.ceil((4 * thresholdBytes) / pageSize)}`);
    // A restarted WAL keeps its file size unless limited: then the file would stay over the threshold, the
    // worker would checkpoint at every tick, and the writer would restart the WAL (and fsync its new header on
    // the event loop) as often. Cut back to half the threshold at each restart, the file's size is again what
    // the WAL holds once it passes the threshold, and most commits still overwrite allocated blocks.
    db.pragma(`journal_size_limit = ${Math.floor(thresholdBytes / 2)}`);
    return new Checkpointer(resolve(db.name), thresholdBytes, opts);
  }

  /** Whether the worker has started (the WAL has reached the threshold once). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  private startWorker(): void {
    clearInterval(this.watch);
    if (this.stopped || this.worker) return;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve("better-sqlite3"),
        file: this.file,
        thresholdBytes: this.thresholdBytes,
        intervalMs: this.opts.intervalMs ?? 250,
        gate: this.gate.buffer,
        gateFree: GATE_FREE,
        gateWorker: GATE_WORKER,
      },
    });
    worker.unref();
    worker.on("message", (m: { kind: string; message?: string; frames?: number; log?: number; restarted?: boolean }) => {
      if (m.kind === "error" && m.message) this.opts.onError?.(m.message);
      if (m.kind === "checkpointed") this.opts.onCheckpoint?.(m.frames ?? 0, m.log ?? 0, m.restarted === true);
    });
    worker.on("error", (err) => this.opts.onError?.(err.message));
    // A worker that died holding the gate would keep every later group waiting.
    worker.on("exit", () => this.gate.releaseWorker());
    this.worker = worker;
  }

  /** Stops the worker and waits for its connection to close (before the writer closes its own). Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.watch);
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    worker.postMessage("stop");
    const timer = setTimeout(() => void worker.terminate(), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

function walFileBytes(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

/**
 * The worker's program: plain CommonJS evaluated in the thread, so it runs the same under the TypeScript
 * loader and compiled. Its own connection copies the WAL back into the database with a PASSIVE checkpoint,
 * which never waits for, nor blocks, the writer; busy (another checkpoint running) is retried next tick.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { statSync } = require("node:fs");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 0");
// This connection restarts the WAL, so the cut-back at the restart (see Checkpointer.start) is its setting too.
db.pragma("journal_size_limit = " + Math.floor(workerData.thresholdBytes / 2));
db.pragma("wal_autocheckpoint = 0");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const gate = new Int32Array(workerData.gate);
// Writing page 1 unchanged (the schema version it already holds) is the smallest write, and the first write
// after a complete checkpoint is what restarts the WAL.
const schemaVersion = db.prepare("PRAGMA user_version").pluck();
const restartWal = db.transaction(() => { db.pragma("user_version = " + Number(schemaVersion.get())); });
const restartWhenCopied = () => {
  if (Atomics.compareExchange(gate, 0, workerData.gateFree, workerData.gateWorker) !== workerData.gateFree) return undefined;
  try {
    // The writer is held off now: copy what it appended since the first pass, then restart if all is copied.
    const row = checkpoint.get();
    const copiedAll = row.busy === 0 && row.log > 0 && row.checkpointed === row.log;
    if (copiedAll) restartWal.immediate();
    return { row, restarted: copiedAll };
  } finally {
    Atomics.store(gate, 0, workerData.gateFree);
    Atomics.notify(gate, 0);
  }
};
// The WAL file's size: what the WAL has held since its last restart (journal_size_limit, set by
// Checkpointer.start, cuts the file back at each restart). Never open the -shm file to read the wal-index
// instead: closing any descriptor of a file drops every POSIX lock this process holds on it, the writer's
// included, and another process opening the database would then re-initialise the -shm under the writer
// (SIGBUS in the server, seen in the backup test).
const walBytes = () => { try { return statSync(workerData.file + "-wal").size; } catch { return 0; } };
const timer = setInterval(() => {
  if (walBytes() < workerData.thresholdBytes) return;
  try {
    // The bulk of the copy runs beside the writer; only the restart holds it off.
    const first = checkpoint.get();
    const second = restartWhenCopied();
    const row = second ? second.row : first;
    parentPort.postMessage({ kind: "checkpointed", frames: row.checkpointed, log: row.log, restarted: second ? second.restarted : false });
  } catch (err) {
    parentPort.postMessage({ kind: "error", message: err && err.message ? err.message : String(err) });
  }
}, workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m === "stop") { clearInterval(timer); db.close(); parentPort.close(); }
});
`;
