import type { Matcher, MatchType } from "../types/matcher.ts";
import { compileAnchored, regexpSyntaxError } from "./regex.ts";

/** A matcher could not be built; the message is the text Alertmanager 0.25 returns. */
export class MatcherError extends Error {
  override readonly name = "MatcherError";
}

// Go's MatchType enum order, used as the last sort key.
const TYPE_RANK: Readonly<Record<MatchType, number>> = { "=": 0, "!=": 1, "=~": 2, "!~": 3 };

class LabelMatcher implements Matcher {
  // Private so that JSON.stringify shows only type, name and value.
  readonly #test: (value: string) => boolean;

  constructor(
    readonly type: MatchType,
    readonly name: string,
    readonly value: string,
    test: (value: string) => boolean,
  ) {
    this.#test = test;
  }

  matches(value: string): boolean {
    return this.#test(value);
  }

  toString(): string {
    return matcherString(this);
  }
}

/** Alertmanager's labels.NewMatcher: regex operators compile `^(?:value)$` once, here. */
export function newMatcher(type: MatchType, name: string, value: string): Matcher {
  switch (type) {
    case "=":
      return new LabelMatcher(type, name, value, (v) => v === value);
    case "!=":
      return new LabelMatcher(type, name, value, (v) => v !== value);
    case "=~":
    case "!~": {
      const re = compileAnchored(value);
      if (!re.ok) throw new MatcherError(re.error);
      const test = re.test;
      return new LabelMatcher(type, name, value, type === "=~" ? test : (v) => !test(v));
    }
  }
  // Reachable only from untyped callers (JSON, YAML).
  throw new MatcherError(`unknown match type: ${String(type)}`);
}

/**
 * Silence validation: Alertmanager checks a silence's regex with regexp.Compile on the bare pattern
 * (not anchored), so fragments quote the pattern itself. Returns Go's message, or undefined when valid.
 */
export function checkRegex(pattern: string): string | undefined {
  return regexpSyntaxError(pattern);
}

/** Go's Matcher.String(): name, operator, and the value quoted with OpenMetrics escaping. */
export function matcherString(m: Matcher): string {
  return `${m.name}${m.type}"${escapeValue(m.value)}"`;
}

function escapeValue(value: string): string {
  let out = "";
  for (const c of value) {
    if (c === "\\") out += "\\\\";
    else if (c === "\n") out += "\\n";
    else if (c === '"') out += '\\"';
    else out += c;
  }
  return out;
}

/** Go's Matchers.String(): the matchers in the given order; sort first for the canonical form. */
export function matchersString(ms: readonly Matcher[]): string {
  return `{${ms.map(matcherString).join(",")}}`;
}

/** A sorted copy, as Go's sort.Sort(labels.Matchers): by name, then value, then operator. */
export function sortMatchers(ms: readonly Matcher[]): Matcher[] {
  return [...ms].sort(
    (a, b) => compareGoStrings(a.name, b.name) || compareGoStrings(a.value, b.value) || TYPE_RANK[a.type] - TYPE_RANK[b.type],
  );
}

/**
 * Go compares strings bytewise, i.e. in UTF-8 (= code point) order. UTF-16 order differs only where a
 * surrogate meets a unit >= U+E000, so those two ranges swap places before comparing.
 */
function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/** Whether every matcher accepts the label set; a missing label reads as "". */
export function matchesAll(ms: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of ms) {
    // Own properties only: a label named "constructor" must not read Object.prototype.
    const value = Object.hasOwn(labels, m.name) ? (labels[m.name] ?? "") : "";
    if (!m.matches(value)) return false;
  }
  return true;
}

/**
 * Matchers from the deprecated `match:` (equality) and `match_re:` (regex) maps of routes and inhibit
 * rules. Go iterates maps in random order and sorts afterwards, so callers needing an order sort too.
 */
export function matchersFromLegacy(match?: Readonly<Record<string, string>>, matchRe?: Readonly<Record<string, string>>): Matcher[] {
  const out: Matcher[] = [];
  for (const [name, value] of Object.entries(match ?? {})) out.push(newMatcher("=", name, value));
  for (const [name, value] of Object.entries(matchRe ?? {})) out.push(newMatcher("=~", name, value));
  return out;
}
