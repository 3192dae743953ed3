/** Alertmanager's four match operators, in the order of Go's MatchType enum (0..3). */
export type MatchType = "=" | "!=" | "=~" | "!~";

/** A label matcher as Alertmanager's labels.Matcher: a name, an operator and a value. */
export interface Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
  /** Whether a label value satisfies this matcher; callers pass "" for a missing label. */
  matches(value: string): boolean;
}
