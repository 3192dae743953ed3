import { isFlapping, isForgettable, recordChange, type FlapConfig, type FlapState } from "./flap.ts";
import type { AlertChange } from "./alert-change.ts";

/** Where flap state is kept across restarts. */
export interface FlapPersistence {
  save(fingerprint: string, state: FlapState, atMs: number): void;
  forget(fingerprint: string): void;
}

/** How far back history is replayed on start for alerts whose saved state may lag behind. */
const MAX_REPLAY_MS = 24 * 3600_000;

/**
 * Flap state per alert, fed by every firing/resolved change the provider commits. Memory holds only
 * alerts that changed recently or flap; each state is bounded by `changes`.
 */
export class FlapTracker {
  private readonly states = new Map<string, FlapState>();
  private lastPruneMs = 0;

  constructor(private cfg: FlapConfig, private readonly persistence: FlapPersistence) {}

  configure(cfg: FlapConfig): void {
    this.cfg = cfg;
  }

  /**
   * Saved states, then the changes history recorded after them (a crash can lose the last save, never
   * the change itself, which was committed with the alert). Returns how far back history must be read.
   */
  replayFromMs(saved: ReadonlyArray<{ fingerprint: string; state: unknown; updatedMs: number }>, nowMs: number): number {
    let from = nowMs - this.cfg.withinMs;
    for (const row of saved) {
      if (!isFlapState(row.state)) continue;
      this.states.set(row.fingerprint, row.state);
      from = Math.min(from, row.updatedMs);
    }
    return Math.max(from, nowMs - MAX_REPLAY_MS);
  }

  /** Applies changes replayed from history; those a saved state already holds are skipped. */
  replay(changes: readonly AlertChange[]): void {
    for (const c of changes) {
      const s = this.states.get(c.fingerprint);
      if (s !== undefined && c.atMs <= s.sinceMs) continue;
      this.apply(c);
    }
  }

  observe(changes: readonly AlertChange[]): void {
    for (const c of changes) this.apply(c);
    const now = changes.reduce((m, c) => Math.max(m, c.atMs), 0);
    if (now - this.lastPruneMs > this.cfg.withinMs / 10) this.prune(now);
  }

  /** Read-only, for the ops API's explain: the alert's state and the settings it is judged by. */
  stateOf(fingerprint: string): { readonly state: FlapState | undefined; readonly config: FlapConfig } {
    return { state: this.states.get(fingerprint), config: this.cfg };
  }

  isFlapping(fingerprint: string, nowMs: number): boolean {
    return isFlapping(this.states.get(fingerprint), nowMs, this.cfg);
  }

  flappingCount(nowMs: number): number {
    let n = 0;
    for (const s of this.states.values()) if (isFlapping(s, nowMs, this.cfg)) n++;
    return n;
  }

  /** Forgets states that can no longer matter. */
  prune(nowMs: number): void {
    this.lastPruneMs = nowMs;
    for (const [fp, s] of this.states) {
      if (!isForgettable(s, nowMs, this.cfg)) continue;
      this.states.delete(fp);
      this.persistence.forget(fp);
    }
  }

  private apply(c: AlertChange): void {
    const before = this.states.get(c.fingerprint);
    const after = recordChange(before, c.to, c.atMs, this.cfg);
    if (after === before) return;
    this.states.set(c.fingerprint, after);
    this.persistence.save(c.fingerprint, after, c.atMs);
  }
}

function isFlapState(x: unknown): x is FlapState {
  if (typeof x !== "object" || x === null) return false;
  const s = x as Partial<FlapState>;
  return (s.phase === "firing" || s.phase === "resolved") && typeof s.sinceMs === "number" && Array.isArray(s.changes);
}
