import RE2 from "re2";
import { regexpSyntaxError } from "../matchers/regex.ts";
import { quote, canBackquote } from "./strconv.ts";
import { GoError } from "./types.ts";
import { isDigit, isLetter } from "./unicode.ts";

/**
 * Go's regexp.MatchString and Regexp.ReplaceAllString on RE2 (the engine Go's package is modelled on).
 * Patterns are checked with Go's syntax first (the matchers module reproduces Go's error text), so RE2
 * only sees patterns Go accepts. Replacement follows Go, not JavaScript: `$1`, `${1}`, `$name`, `$$`,
 * a name as long as possible (`$1x` is the group "1x", hence empty), and no empty match right after a match.
 */

const cache = new Map<string, RE2>();
const CACHE_LIMIT = 256;

function compile(pattern: string, describe: (message: string) => string): RE2 {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit;
  const syntax = regexpSyntaxError(pattern);
  if (syntax !== undefined) throw new GoError(describe(syntax));
  const re = new RE2(pattern, "gu");
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, re);
  return re;
}

/** regexp.MatchString: unanchored; a bad pattern is the function's error result. */
export function matchString(pattern: string, s: string): boolean {
  const re = compile(pattern, (m) => m);
  re.lastIndex = 0;
  const found = re.test(s);
  re.lastIndex = 0;
  return found;
}

/** regexp.MustCompile(pattern).ReplaceAllString(src, repl); MustCompile's panic text on a bad pattern. */
export function replaceAllString(pattern: string, repl: string, src: string): string {
  const re = compile(pattern, (m) => `regexp: Compile(${canBackquote(pattern) ? "`" + pattern + "`" : quote(pattern)}): ${m}`);
  let out = "";
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= src.length) {
    re.lastIndex = searchPos;
    const m = re.exec(src);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    out += src.slice(lastMatchEnd, start);
    // An empty match right after the previous match is not replaced.
    if (end > lastMatchEnd || start === 0) out += expand(repl, m);
    lastMatchEnd = end;
    // Always advance by at least one character.
    const width = searchPos < src.length ? ((src.codePointAt(searchPos) as number) > 0xffff ? 2 : 1) : 0;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  re.lastIndex = 0;
  return out + src.slice(lastMatchEnd);
}

/** Go's Regexp.Expand for one match. */
function expand(template: string, m: RegExpExecArray): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf("$", i);
    if (dollar < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    i = dollar;
    if (template[i + 1] === "$") {
      out += "$";
      i += 2;
      continue;
    }
    const ref = extractName(template, i);
    if (ref === undefined) {
      // Malformed: the $ is literal.
      out += "$";
      i++;
      continue;
    }
    i = ref.end;
    out += groupText(ref.name, m);
  }
  return out;
}

function extractName(t: string, at: number): { name: string; end: number } | undefined {
  let i = at + 1;
  const brace = t[i] === "{";
  if (brace) i++;
  const start = i;
  while (i < t.length) {
    const cp = t.codePointAt(i) as number;
    if (!(cp === 0x5f || isLetter(cp) || isDigit(cp))) break;
    i += cp > 0xffff ? 2 : 1;
  }
  if (i === start) return undefined;
  const name = t.slice(start, i);
  if (brace) {
    if (t[i] !== "}") return undefined;
    i++;
  }
  return { name, end: i };
}

function groupText(name: string, m: RegExpExecArray): string {
  // A number (no leading zeros) is a group index; anything else a group name.
  if (/^(0|[1-9][0-9]{0,7})$/.test(name)) return m[Number(name)] ?? "";
  const groups = m.groups;
  return groups !== undefined ? (groups[name] ?? "") : "";
}
