/// <reference lib="es2024.sharedmemory" />
/**
 * Who may write to the database file now: the event loop's commit queue or the checkpoint worker. A lock
 * word in shared memory, taken without waiting: the side that finds it taken does something else (the
 * commit queue retries its group when the worker lets go, and the event loop goes on meanwhile; the worker
 * retries at its next tick). SQLite's own write lock would make the loser sleep in its busy handler
 * instead, on the main thread.
 *
 * The worker takes it to restart the write-ahead log in its own thread (see checkpointer.ts): the WAL's new
 * header is fsynced by whichever connection writes first after a complete checkpoint, and under disk
 * contention that fsync has blocked for hundreds of milliseconds.
 */
export class WriteGate {
  /** Handed to the worker (workerData); it uses the same word with the values below. */
  readonly buffer = new SharedArrayBuffer(4);
  private readonly word = new Int32Array(this.buffer);

  /** Takes the gate for the event loop's writer; false while the worker holds it. */
  tryEnter(): boolean {
    return Atomics.compareExchange(this.word, 0, GATE_FREE, GATE_WRITER) === GATE_FREE;
  }

  /** Resolves once the worker has let go of the gate (at once if it does not hold it); it notifies on release. */
  whenWorkerDone(): Promise<void> {
    const wait = Atomics.waitAsync(this.word, 0, GATE_WORKER);
    return wait.async ? wait.value.then(() => undefined) : Promise.resolve();
  }

  /** Releases the event loop's hold (a no-op when it did not hold the gate). */
  leave(): void {
    if (Atomics.compareExchange(this.word, 0, GATE_WRITER, GATE_FREE) === GATE_WRITER) Atomics.notify(this.word, 0);
  }

  /**
   * Takes the gate for the event loop's writer, waiting at most `timeoutMs` for the worker to let go (at
   * shutdown, when a final group must not be left behind). False if the worker still holds it.
   */
  enterWaiting(timeoutMs: number): boolean {
    const deadline = Date.now() + timeoutMs;
    while (!this.tryEnter()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      Atomics.wait(this.word, 0, GATE_WORKER, Math.min(left, 50));
    }
    return true;
  }

  /** The worker stopped (or died) while it may have held the gate: free it, or the writer would wait forever. */
  releaseWorker(): void {
    if (Atomics.compareExchange(this.word, 0, GATE_WORKER, GATE_FREE) === GATE_WORKER) Atomics.notify(this.word, 0);
  }

  /** Whether the worker holds the gate now (tests, diagnostics). */
  get heldByWorker(): boolean {
    return Atomics.load(this.word, 0) === GATE_WORKER;
  }
}

export const GATE_FREE = 0;
export const GATE_WRITER = 1;
export const GATE_WORKER = 2;
