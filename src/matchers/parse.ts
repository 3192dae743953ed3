import type { Matcher, MatchType } from "../types/matcher.ts";
import { MatcherError, newMatcher } from "./matcher.ts";
import { firstLoneSurrogate } from "./regex.ts";

/**
 * One matcher, as Alertmanager 0.25's labels.ParseMatcher: `name op value`, the value optionally in
 * double quotes with OpenMetrics escapes (`\"`, `\n`, `\\`); other backslashes stay literal.
 */
export function parseMatcher(s: string): Matcher {
  // A scan equivalent to ^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$ without the
  // lazy group's quadratic backtracking on long whitespace runs (this parses API query input).
  let i = skipSpace(s, 0);
  const nameStart = i;
  if (i >= s.length || !isNameChar(s.charCodeAt(i), true)) throw badFormat(s);
  i++;
  while (i < s.length && isNameChar(s.charCodeAt(i), false)) i++;
  const name = s.slice(nameStart, i);
  i = skipSpace(s, i);
  const type = operatorAt(s, i);
  if (type === undefined) throw badFormat(s);
  i = skipSpace(s, i + type.length);
  let end = s.length;
  while (end > i && isGoSpace(s.charCodeAt(end - 1))) end--;
  const matched = s.slice(i, end);
  return newMatcher(type, name, unquote(matched));
}

function badFormat(s: string): MatcherError {
  return new MatcherError(`bad matcher format: ${s}`);
}

function operatorAt(s: string, i: number): MatchType | undefined {
  // `=~` before `=`, as the alternation order in Go's pattern.
  if (s.startsWith("=~", i)) return "=~";
  if (s.startsWith("=", i)) return "=";
  if (s.startsWith("!=", i)) return "!=";
  if (s.startsWith("!~", i)) return "!~";
  return undefined;
}

/** The third token: strip one leading quote (then a closing one is required) and unescape. */
function unquote(matched: string): string {
  let raw = matched;
  let expectTrailingQuote = false;
  if (raw.startsWith('"')) {
    raw = raw.slice(1);
    expectTrailingQuote = true;
  }
  if (firstLoneSurrogate(raw) >= 0) throw new MatcherError(`matcher value not valid UTF-8: ${matched}`);

  let value = "";
  let escaped = false;
  for (let i = 0; i < raw.length; ) {
    const width = (raw.codePointAt(i) as number) > 0xffff ? 2 : 1;
    const c = raw.slice(i, i + width);
    const isLast = i + width === raw.length;
    i += width;
    if (escaped) {
      escaped = false;
      if (c === "n") value += "\n";
      else if (c === '"' || c === "\\") value += c;
      else value += `\\${c}`; // a spurious escape keeps its backslash
      continue;
    }
    if (c === "\\") {
      if (isLast) value += "\\";
      else escaped = true;
    } else if (c === '"') {
      if (!expectTrailingQuote || !isLast) throw unescapedQuote(matched);
      expectTrailingQuote = false;
    } else {
      value += c;
    }
  }
  if (expectTrailingQuote) throw unescapedQuote(matched);
  return value;
}

function unescapedQuote(matched: string): MatcherError {
  return new MatcherError(`matcher value contains unescaped double quote: ${matched}`);
}

/**
 * A comma-separated list, as labels.ParseMatchers (config `matchers:` entries, amtool): optional
 * braces, commas inside double quotes do not split, a trailing comma is tolerated.
 */
export function parseMatchers(s: string): Matcher[] {
  let body = s.startsWith("{") ? s.slice(1) : s;
  if (body.endsWith("}")) body = body.slice(0, -1);

  const tokens: string[] = [];
  let token = "";
  let insideQuotes = false;
  let escaped = false;
  for (const r of body) {
    switch (r) {
      case ",":
        if (!insideQuotes) {
          tokens.push(token);
          token = "";
          continue;
        }
        break;
      case '"':
        if (!escaped) insideQuotes = !insideQuotes;
        else escaped = false;
        break;
      case "\\":
        escaped = !escaped;
        break;
      default:
        escaped = false;
    }
    // Go ranges over runes and writes U+FFFD for bytes that are not UTF-8; lone surrogates are our analogue.
    token += r.length === 1 && isSurrogate(r.charCodeAt(0)) ? "\ufffd" : r;
  }
  const last = goTrimSpace(token);
  if (last !== "") tokens.push(last);
  return tokens.map(parseMatcher);
}

/** The API's `filter` query parameter: every value is exactly one matcher. */
export function parseFilterParam(values: readonly string[]): Matcher[] {
  return values.map((v) => parseMatcher(v));
}

function isSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdfff;
}

// Go regexp's \s is ASCII only and excludes \v.
function isGoSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && isGoSpace(s.charCodeAt(i))) i++;
  return i;
}

function isNameChar(code: number, first: boolean): boolean {
  const letter = (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f || code === 0x3a;
  return letter || (!first && code >= 0x30 && code <= 0x39);
}

// unicode.IsSpace, which strings.TrimSpace uses; unlike String.prototype.trim it has U+0085 and not U+FEFF.
function isUnicodeSpace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    code === 0x20 ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

function goTrimSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isUnicodeSpace(s.charCodeAt(start))) start++;
  while (end > start && isUnicodeSpace(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}
