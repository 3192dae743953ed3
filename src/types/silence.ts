import type { Timestamp } from "./time.ts";

/** A silence matcher in the API's shape: isEqual=false negates, isRegex selects regex matching. */
export interface SilenceMatcher {
  readonly name: string;
  readonly value: string;
  readonly isRegex: boolean;
  readonly isEqual: boolean;
}

export interface Silence {
  readonly id: string;
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt: Timestamp;
  readonly endsAt: Timestamp;
  readonly updatedAt: Timestamp;
  readonly createdBy: string;
  readonly comment: string;
}

export type SilenceState = "pending" | "active" | "expired";

/** Pending before startsAt, expired from endsAt on, active in between. */
export function silenceState(s: Silence, nowMs: number): SilenceState {
  if (nowMs < s.startsAt.ms) return "pending";
  if (nowMs >= s.endsAt.ms) return "expired";
  return "active";
}

export function silenceMatcherOp(m: SilenceMatcher): "=" | "!=" | "=~" | "!~" {
  if (m.isRegex) return m.isEqual ? "=~" : "!~";
  return m.isEqual ? "=" : "!=";
}
