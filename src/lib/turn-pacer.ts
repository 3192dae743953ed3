import { performance } from "node:perf_hooks";

/**
 * Spreads work that falls due at the same moment over successive event-loop turns. Timers that expire
 * together all run in one turn: the groups one POST created flush at the same instant (group_wait and
 * group_interval keep their timers aligned), and so do the retries a shared Retry-After put to sleep. Each
 * flush builds a notification and starts a request, so hundreds of them in one turn keep the loop from
 * reading any socket (API requests, responses) for hundreds of milliseconds.
 *
 * `turn()` resolves in a later turn, first come first served, and each turn resumes waiters only while the
 * work they did stays within `budgetMs`. The waiters are resumed one per immediate, and Node runs the
 * microtasks of an immediate before the next one: each step sees what the continuations before it cost
 * (the work after `await turn()`, up to its first real wait), and the first step past the budget leaves
 * the rest to the next turn, after that turn's I/O. A turn thus holds about the budget plus one
 * continuation, however many are due.
 */
export class TurnPacer {
  private readonly waiting: Array<() => void> = [];
  /** Steps queued for the current turn and not run yet. */
  private steps = 0;
  private turnStart: number | undefined;

  constructor(private readonly budgetMs = 5, private readonly maxPerTurn = 64) {}

  /** Resolves in a later turn, after every earlier waiter. */
  turn(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  /** Waiters not yet resumed. */
  get pending(): number {
    return this.waiting.length;
  }

  private schedule(): void {
    if (this.steps > 0 || this.waiting.length === 0) return;
    // Queued together, the steps run in one turn: this one's, or the next when queued from an immediate.
    this.steps = Math.min(this.waiting.length, this.maxPerTurn);
    this.turnStart = undefined;
    for (let i = 0; i < this.steps; i++) setImmediate(this.step);
  }

  private readonly step = (): void => {
    this.steps--;
    const now = performance.now();
    this.turnStart ??= now;
    // Past the budget, the remaining steps of this turn resume nobody.
    if (now - this.turnStart < this.budgetMs) this.waiting.shift()?.();
    else this.turnStart = -Infinity;
    if (this.steps === 0) this.schedule();
  };
}
