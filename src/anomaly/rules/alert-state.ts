/**
 * The alert state machine of one series of a rule, Prometheus's: inactive → pending (condition true) →
 * firing (true for `for`) → resolved (false, after `keep_firing_for`). Pure: driven by sample times, so
 * replaying the same samples gives the same states (which is what makes restarts exact).
 */

export type Phase = "inactive" | "pending" | "firing";

export interface AlertState {
  readonly phase: Phase;
  /** When the condition became true (pending or firing). */
  readonly activeAtMs?: number;
  /** When it started firing. */
  readonly firedAtMs?: number;
  /** The last time the condition was true while firing (for keep_firing_for). */
  readonly lastTrueMs?: number;
  /** Set on the step that resolved a firing alert: the resolved alert is still sent for a while. */
  readonly resolvedAtMs?: number;
  /** firedAt of the episode that resolved (the resolved alert keeps its startsAt). */
  readonly resolvedFiredAtMs?: number;
}

export const INACTIVE: AlertState = { phase: "inactive" };

export interface Timing {
  readonly forMs: number;
  readonly keepFiringForMs: number;
}

/** The state after observing the condition at `atMs`. */
export function advance(s: AlertState, condition: boolean, atMs: number, t: Timing): AlertState {
  const keepResolved = s.resolvedAtMs !== undefined ? { resolvedAtMs: s.resolvedAtMs, resolvedFiredAtMs: s.resolvedFiredAtMs } : {};
  if (condition) {
    switch (s.phase) {
      case "inactive":
        return t.forMs <= 0
          ? { phase: "firing", activeAtMs: atMs, firedAtMs: atMs, lastTrueMs: atMs }
          : { ...keepResolved, phase: "pending", activeAtMs: atMs };
      case "pending":
        return atMs - (s.activeAtMs ?? atMs) >= t.forMs
          ? { phase: "firing", activeAtMs: s.activeAtMs, firedAtMs: atMs, lastTrueMs: atMs }
          : s;
      case "firing":
        return { ...s, lastTrueMs: atMs };
    }
  }
  switch (s.phase) {
    case "inactive":
      return s;
    case "pending":
      return { ...keepResolved, phase: "inactive" };
    case "firing":
      if (t.keepFiringForMs > 0 && atMs - (s.lastTrueMs ?? atMs) < t.keepFiringForMs) return s;
      return { phase: "inactive", resolvedAtMs: atMs, resolvedFiredAtMs: s.firedAtMs };
  }
}

/** How long a resolved alert is still sent after it resolved (Prometheus: 15 minutes). */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

/** Drops the memory of a resolved episode once it is no longer sent. */
export function forgetResolved(s: AlertState, nowMs: number): AlertState {
  if (s.resolvedAtMs === undefined || nowMs - s.resolvedAtMs < RESOLVED_RETENTION_MS) return s;
  const { resolvedAtMs: _r, resolvedFiredAtMs: _f, ...rest } = s;
  return rest;
}
