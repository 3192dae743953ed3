/**
 * Flap damping, per alert (`noise.flapping`): an alert that changes between firing and resolved
 * `changes` times within `within` flaps, and then counts as firing until it has stayed resolved for
 * `quiet_for`. Its group is told of the first firing and of the final resolve, not of each change in
 * between. Pure: state in, state out, on explicit times.
 */

export interface FlapConfig {
  /** Changes (the first firing included) within `withinMs` that make an alert flap. */
  readonly changes: number;
  readonly withinMs: number;
  /** Resolved this long, a flapping alert no longer flaps. */
  readonly quietForMs: number;
}

export type FlapPhase = "firing" | "resolved";

export interface FlapState {
  readonly phase: FlapPhase;
  /** When the alert entered `phase`. */
  readonly sinceMs: number;
  /** The most recent change times, ascending, at most `changes` of them. */
  readonly changes: readonly number[];
  /** Set while the alert flaps: when it started flapping. */
  readonly flappingSinceMs?: number;
}

/** Whether a flapping state has been quiet long enough to stop flapping at `nowMs`. */
function quietAt(s: FlapState, nowMs: number, cfg: FlapConfig): boolean {
  return s.phase === "resolved" && nowMs - s.sinceMs >= cfg.quietForMs;
}

/** The state after the alert changed to `phase` at `atMs` (a repeat of the current phase changes nothing). */
export function recordChange(s: FlapState | undefined, phase: FlapPhase, atMs: number, cfg: FlapConfig): FlapState {
  if (s !== undefined && s.phase === phase) return s;
  // A flap that went quiet before this change is over: counting starts afresh.
  const ended = s !== undefined && s.flappingSinceMs !== undefined && quietAt(s, atMs, cfg);
  const previous = s === undefined || ended ? [] : s.changes;
  const changes = [...previous, atMs].slice(-cfg.changes);
  let flappingSinceMs = ended ? undefined : s?.flappingSinceMs;
  const first = changes[0] as number;
  if (flappingSinceMs === undefined && changes.length >= cfg.changes && atMs - first <= cfg.withinMs) flappingSinceMs = atMs;
  return flappingSinceMs === undefined ? { phase, sinceMs: atMs, changes } : { phase, sinceMs: atMs, changes, flappingSinceMs };
}

export function isFlapping(s: FlapState | undefined, nowMs: number, cfg: FlapConfig): boolean {
  return s?.flappingSinceMs !== undefined && !quietAt(s, nowMs, cfg);
}

/**
 * Whether the state can be forgotten at `nowMs`: it does not flap, and neither its changes nor a quiet
 * period still to run can make it flap or matter later.
 */
export function isForgettable(s: FlapState, nowMs: number, cfg: FlapConfig): boolean {
  if (s.flappingSinceMs !== undefined) return quietAt(s, nowMs, cfg);
  const last = s.changes[s.changes.length - 1] ?? s.sinceMs;
  return s.phase === "resolved" && nowMs - last > cfg.withinMs;
}
