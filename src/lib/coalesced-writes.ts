/**
 * Keeps the latest value per key and hands all of them over in one batch on the next event-loop turn:
 * state that changes many times within a turn (per alert, per heartbeat) is written once, in one commit.
 */
export class CoalescedWrites<V> {
  private readonly pending = new Map<string, V>();
  private queued = false;

  constructor(private readonly write: (batch: ReadonlyArray<readonly [string, V]>) => void) {}

  set(key: string, value: V): void {
    this.pending.set(key, value);
    if (this.queued) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      const batch = [...this.pending];
      this.pending.clear();
      this.write(batch);
    });
  }
}
