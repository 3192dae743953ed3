/**
 * A YAML emitter that writes text the way Go's gopkg.in/yaml.v2 (v2.4, the version Alertmanager 0.25 is
 * built with) marshals a value, byte for byte, for the value shapes a configuration has: mappings, sequences,
 * strings, integers, booleans and null, in block style. `amtool config show` prints Alertmanager's
 * `config.original` verbatim, so AlertPrism's must be written in the same style to print the same.
 *
 * The rules, as measured against Alertmanager's output (see yaml-v2-emitter.test.ts):
 * - Block sequences sit at the indentation of the key that holds them (`key:\n- a`); a mapping nested
 *   in a mapping is indented by two; an item's mapping starts on the `- ` line.
 * - Empty sequences and mappings are written in flow style: `[]`, `{}`.
 * - A string is requested in literal block style (`|`) when it contains a newline, double-quoted when
 *   plain text would read back as another type under YAML 1.1 (bool: y/yes/on/true…, null: ~/null/"",
 *   int incl. 0x/0o/0b/octal and `_` separators, float, base-60 number, timestamp), plain otherwise. The
 *   writer then falls back from plain to single quotes, and from single quotes or literal to double quotes,
 *   when the text contains what that style cannot carry (see `analyze`).
 * - Plain, single- and double-quoted values are folded at a space once the line is past column 80;
 *   continuation lines are indented two more than the key. Keys are never folded.
 * - Only these characters are written as they are: TAB-free ASCII 0x20–0x7E, newline, and U+00A0–U+FFFD
 *   (less U+FEFF); others (TAB, CR, other controls, U+10000 and above such as emoji) force double quotes and
 *   are escaped there (`\t`, `\U0001F525`).
 *
 * Mapping keys are written in the order given. Where Alertmanager holds a Go map (match, headers,
 * details, …) yaml.v2 sorts its keys: pass a `Map` built with `goMap()`, which applies that order.
 */

/** A value the emitter can write. `undefined` members of an object are left out (yaml.v2's omitempty). */
export type YamlValue =
  | string
  | number
  | boolean
  | null
  | FlowStyle
  | readonly YamlValue[]
  | ReadonlyMap<string, YamlValue>
  | { readonly [key: string]: YamlValue | undefined };

/** A sequence or mapping written in flow style (`[a, b]`, `{k: v}`), as yaml.v2 does for `,flow` fields. */
export class FlowStyle {
  constructor(readonly value: readonly YamlValue[] | ReadonlyMap<string, YamlValue> | { readonly [key: string]: YamlValue | undefined }) {}
}

export function flow(value: FlowStyle["value"]): FlowStyle {
  return new FlowStyle(value);
}

const BEST_WIDTH = 80;
const BEST_INDENT = 2;

/** The document yaml.v2's Marshal returns for `value` (always ends with a newline). */
export function emitYamlV2(value: YamlValue): string {
  const w = new Writer();
  // The document's node sits at indentation -1, so a block collection starts at column 0.
  writeNode(w, value, -1, { mappingValue: false, flow: false });
  w.indentTo(0); // ends the last line, unless a block scalar's own line break just did

  return w.text();
}

// ---------------------------------------------------------------------------------------------
// Structure. Each writer is called once what precedes the node (a key's colon, a dash, a comma) is
// written; `parent` is the indentation of the collection that holds the node.

interface Context {
  /** The node is a block mapping's value: a block sequence then sits at the key's indentation. */
  readonly mappingValue: boolean;
  /** Inside a flow collection: everything below is flow too. */
  readonly flow: boolean;
}

type Collection = readonly YamlValue[] | ReadonlyMap<string, YamlValue> | { readonly [key: string]: YamlValue | undefined };

function writeNode(w: Writer, value: YamlValue, parent: number, ctx: Context): void {
  let flowStyle = ctx.flow;
  let v = value;
  if (v instanceof FlowStyle) {
    flowStyle = true;
    v = v.value;
  }
  if (!isCollection(v)) {
    const continuation = parent < 0 ? 0 : parent + BEST_INDENT;
    if (typeof v === "string") writeString(w, v, continuation, false, ctx.flow);
    else w.token(scalarText(v));
    return;
  }
  const indent = parent < 0 ? (flowStyle ? BEST_INDENT : 0) : parent + BEST_INDENT;
  if (Array.isArray(v)) {
    const items = v as readonly YamlValue[];
    if (flowStyle || items.length === 0) return writeFlowSequence(w, items, indent);
    // A sequence that is a mapping's value is "indentless": its dashes line up with the key.
    const seqIndent = ctx.mappingValue ? Math.max(parent, 0) : indent;
    for (const item of items) {
      w.indentTo(seqIndent);
      w.indicator("-");
      writeNode(w, item, seqIndent, { mappingValue: false, flow: false });
    }
    return;
  }
  const pairs = entries(v);
  if (flowStyle || pairs.length === 0) return writeFlowMapping(w, pairs, indent);
  for (const [key, item] of pairs) {
    w.indentTo(indent);
    if (isSimpleKey(key)) {
      writeString(w, key, indent + BEST_INDENT, true, false);
      w.indicator(":");
      writeNode(w, item, indent, { mappingValue: true, flow: false });
    } else {
      // A long or multi-line key is written as a "complex" key: `? key` and `: value` on lines of their own.
      w.indicator("?", true);
      writeString(w, key, indent + BEST_INDENT, false, false);
      w.indentTo(indent);
      w.indicator(":", true);
      writeNode(w, item, indent, { mappingValue: false, flow: false });
    }
  }
}

/** yaml.v2 writes a key in the `key: value` form only when it is at most 128 bytes and on one line. */
function isSimpleKey(key: string): boolean {
  return Buffer.byteLength(key, "utf8") <= 128 && ![...key].some(isBreak);
}

function writeFlowSequence(w: Writer, items: readonly YamlValue[], indent: number): void {
  w.token("[");
  w.whitespace = true;
  items.forEach((item, i) => {
    if (i > 0) w.indicator(",");
    if (w.column > BEST_WIDTH) w.indentTo(indent);
    writeNode(w, item, indent, { mappingValue: false, flow: true });
  });
  w.raw("]");
}

function writeFlowMapping(w: Writer, pairs: ReadonlyArray<[string, YamlValue]>, indent: number): void {
  w.token("{");
  w.whitespace = true;
  pairs.forEach(([key, item], i) => {
    if (i > 0) w.indicator(",");
    if (w.column > BEST_WIDTH) w.indentTo(indent);
    writeString(w, key, indent + BEST_INDENT, true, true);
    w.indicator(":");
    writeNode(w, item, indent, { mappingValue: true, flow: true });
  });
  w.raw("}");
}

function scalarText(v: number | boolean | null): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Number.isInteger(v)) return String(v);
  if (Number.isNaN(v)) return ".nan";
  if (!Number.isFinite(v)) return v > 0 ? "+.inf" : "-.inf";
  // Go's strconv 'g' with the shortest representation: exponents have at least two digits.
  return String(v).replace(/e([+-])(\d)$/, "e$10$2");
}

function isCollection(v: YamlValue): v is Collection {
  return v !== null && typeof v === "object" && !(v instanceof FlowStyle);
}

function entries(v: Collection): Array<[string, YamlValue]> {
  if (v instanceof Map) return [...(v as ReadonlyMap<string, YamlValue>)];
  const out: Array<[string, YamlValue]> = [];
  for (const [k, x] of Object.entries(v as Record<string, YamlValue | undefined>)) if (x !== undefined) out.push([k, x]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Output with yaml.v2's column bookkeeping (columns count characters, not bytes)

class Writer {
  #out: string[] = [];
  column = 0;
  /** Nothing but indentation written on this line yet. */
  atIndent = true;
  /** The last thing written was whitespace (or nothing): a token needs no separating space. */
  whitespace = true;

  text(): string {
    return this.#out.join("");
  }

  /** Start a new line at `indent` unless the cursor is already at the start of an empty line there. */
  indentTo(indent: number): void {
    if (!this.atIndent || this.column > indent || (this.column === indent && !this.whitespace)) this.newline();
    this.padTo(indent);
  }

  padTo(indent: number): void {
    while (this.column < indent) this.#put(" ");
    this.whitespace = true;
  }

  newline(): void {
    this.#out.push("\n");
    this.column = 0;
    this.atIndent = true;
    this.whitespace = true;
  }

  /** `:` right after a key, `-` for an item: no space before, cursor stays "indentation" for a dash. */
  /** An indicator; `keepsIndentation` for those that count as indentation (`-`, and `?`/`:` of a complex key). */
  indicator(s: ":" | "-" | "," | "?", keepsIndentation = s === "-"): void {
    if (s === "?" && !this.whitespace) this.#put(" ");
    this.#put(s);
    this.whitespace = false;
    this.atIndent = keepsIndentation && this.atIndent;
  }

  /** A token separated from what precedes it by one space (unless whitespace precedes it already). */
  token(s: string): void {
    if (!this.whitespace) this.#put(" ");
    this.raw(s);
  }

  /** Characters of a scalar's body. */
  raw(s: string): void {
    this.#put(s);
    this.whitespace = false;
    this.atIndent = false;
  }

  /** A line break that is part of a scalar's content (U+2028/U+2029 are written as they are). */
  contentBreak(ch: string): void {
    if (ch === "\n") this.#out.push("\n");
    else this.#out.push(ch);
    this.column = 0;
    this.atIndent = true;
    this.whitespace = true;
  }

  #put(s: string): void {
    this.#out.push(s);
    for (const _ of s) this.column++;
  }
}

// ---------------------------------------------------------------------------------------------
// Strings: which style, then the writer for that style

export type ScalarStyle = "plain" | "single" | "double" | "literal";

/**
 * The style yaml.v2 writes `s` in: as a value or as a mapping key (`key`), in block or flow context (`flow`).
 */
export function scalarStyle(s: string, opts: { key?: boolean; flow?: boolean } = {}): ScalarStyle {
  const key = opts.key ?? false;
  const inFlow = opts.flow ?? false;
  const requested: ScalarStyle = s.includes("\n") ? "literal" : resolvesToString(s) && !isBase60Float(s) ? "plain" : "double";
  const a = analyze(s);
  let style: ScalarStyle = requested;
  if (style === "plain" && (!(inFlow ? a.flowPlainAllowed : a.blockPlainAllowed) || (s === "" && (key || inFlow)))) style = "single";
  if (style === "single" && !a.singleAllowed) style = "double";
  if (style === "literal" && (!a.blockAllowed || key || inFlow)) style = "double";
  return style;
}

/** `continuation` is the column folded lines continue at; keys are never folded. */
function writeString(w: Writer, s: string, continuation: number, key: boolean, inFlow: boolean): void {
  const style = scalarStyle(s, { key, flow: inFlow });
  const allowBreaks = !key;
  if (style === "plain") writePlain(w, s, continuation, allowBreaks);
  else if (style === "single") writeSingle(w, s, continuation, allowBreaks);
  else if (style === "double") writeDouble(w, s, continuation, allowBreaks);
  else writeLiteral(w, s, continuation);
}

function writePlain(w: Writer, s: string, indent: number, allowBreaks: boolean): void {
  const chars = [...s];
  if (!w.whitespace) w.raw(" ");
  let spaces = false;
  chars.forEach((ch, i) => {
    if (ch === " ") {
      if (allowBreaks && !spaces && w.column > BEST_WIDTH && chars[i + 1] !== " ") w.indentTo(indent);
      else w.raw(ch);
      spaces = true;
    } else {
      w.raw(ch);
      spaces = false;
    }
  });
}

function writeSingle(w: Writer, s: string, indent: number, allowBreaks: boolean): void {
  const chars = [...s];
  w.token("'");
  let spaces = false;
  let breaks = false;
  chars.forEach((ch, i) => {
    if (ch === " ") {
      const inside = i !== 0 && i !== chars.length - 1;
      if (allowBreaks && !spaces && w.column > BEST_WIDTH && inside && chars[i + 1] !== " ") w.indentTo(indent);
      else w.raw(ch);
      spaces = true;
    } else if (isBreak(ch)) {
      // A newline inside single quotes is folded on reading, so the first of a run is doubled.
      if (!breaks && ch === "\n") w.contentBreak("\n");
      w.contentBreak(ch);
      breaks = true;
    } else {
      if (breaks) w.indentTo(indent);
      w.raw(ch === "'" ? "''" : ch);
      spaces = false;
      breaks = false;
    }
  });
  w.raw("'");
}

const ESCAPES: Record<string, string> = {
  "\0": "0", "\x07": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r", "\x1b": "e",
  '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P",
};

function writeDouble(w: Writer, s: string, indent: number, allowBreaks: boolean): void {
  const chars = [...s];
  w.token('"');
  let spaces = false;
  chars.forEach((ch, i) => {
    if (!isPrintable(ch) || isBreak(ch) || ch === '"' || ch === "\\") {
      w.raw(`\\${ESCAPES[ch] ?? hexEscape(ch.codePointAt(0)!)}`);
      spaces = false;
    } else if (ch === " ") {
      if (allowBreaks && !spaces && w.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1) {
        w.indentTo(indent);
        // A leading space on a continuation line would be dropped on reading: escape it.
        if (chars[i + 1] === " ") w.raw("\\");
      } else {
        w.raw(ch);
      }
      spaces = true;
    } else {
      w.raw(ch);
      spaces = false;
    }
  });
  w.raw('"');
}

function hexEscape(cp: number): string {
  const [prefix, digits] = cp <= 0xff ? ["x", 2] : cp <= 0xffff ? ["u", 4] : ["U", 8];
  return prefix + cp.toString(16).toUpperCase().padStart(digits, "0");
}

function writeLiteral(w: Writer, s: string, indent: number): void {
  const chars = [...s];
  // Header: an indentation digit when the text starts with a space or break, then the chomping mode.
  let header = "|";
  if (chars[0] === " " || isBreak(chars[0] ?? "")) header += String(BEST_INDENT);
  const last = chars[chars.length - 1];
  if (last === undefined || !isBreak(last)) header += "-";
  else if (chars.length === 1 || isBreak(chars[chars.length - 2]!)) header += "+";
  w.token(header);
  w.newline();
  let breaks = true;
  for (const ch of chars) {
    if (isBreak(ch)) {
      w.contentBreak(ch);
      breaks = true;
    } else {
      if (breaks) w.padTo(indent);
      w.raw(ch);
      breaks = false;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Analysis: which styles can carry the text at all

interface Allowed {
  blockPlainAllowed: boolean;
  flowPlainAllowed: boolean;
  singleAllowed: boolean;
  blockAllowed: boolean;
}

const FIRST_CHAR_INDICATORS = new Set(["#", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", '"', "%", "@", "`"]);

function isBreak(ch: string): boolean {
  return ch === "\n" || ch === "\r" || ch === "\x85" || ch === "\u2028" || ch === "\u2029";
}

function isBlankOrEnd(ch: string | undefined): boolean {
  return ch === undefined || ch === " " || ch === "\t" || isBreak(ch);
}

/** yaml.v2's printable set: newline, ASCII 0x20–0x7E, U+00A0–U+D7FF and U+E000–U+FFFD without U+FEFF. */
function isPrintable(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);
}

function analyze(s: string): Allowed {
  const out: Allowed = { blockPlainAllowed: true, flowPlainAllowed: true, singleAllowed: true, blockAllowed: true };
  if (s === "") return out;
  const chars = [...s];
  let blockIndicators = s.startsWith("---") || s.startsWith("...");
  let flowIndicators = blockIndicators;
  let leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false;
  let breakSpace = false, spaceBreak = false, previousSpace = false, previousBreak = false;
  let lineBreaks = false, special = false;
  let precededByWhitespace = true;
  chars.forEach((ch, i) => {
    const followedByWhitespace = isBlankOrEnd(chars[i + 1]);
    if (i === 0) {
      if (FIRST_CHAR_INDICATORS.has(ch)) flowIndicators = blockIndicators = true;
      if (ch === "?" || ch === ":") {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === "-" && followedByWhitespace) flowIndicators = blockIndicators = true;
    } else {
      if (",?[]{}".includes(ch)) flowIndicators = true;
      if (ch === ":") {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === "#" && precededByWhitespace) flowIndicators = blockIndicators = true;
    }
    if (!isPrintable(ch)) special = true;
    if (isBreak(ch)) lineBreaks = true;
    const last = i === chars.length - 1;
    if (ch === " ") {
      if (i === 0) leadingSpace = true;
      if (last) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(ch)) {
      if (i === 0) leadingBreak = true;
      if (last) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousBreak = true;
      previousSpace = false;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankOrEnd(ch);
  });
  const noPlain = (): void => {
    out.blockPlainAllowed = out.flowPlainAllowed = false;
  };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak || lineBreaks) noPlain();
  if (flowIndicators) out.flowPlainAllowed = false;
  if (blockIndicators) out.blockPlainAllowed = false;
  if (trailingSpace) out.blockAllowed = false;
  if (breakSpace) {
    noPlain();
    out.singleAllowed = false;
  }
  if (spaceBreak || special) {
    noPlain();
    out.singleAllowed = out.blockAllowed = false;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Resolution: would the plain text read back as something other than a string (YAML 1.1, yaml.v2)?

const NON_STRING_WORDS = new Set([
  "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
  "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
  "~", "null", "Null", "NULL",
  ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
]);

const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE_60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/** True when plain `s` reads back as a string. */
export function resolvesToString(s: string): boolean {
  if (s === "") return false;
  const first = s[0]!;
  if (first === "." || first === "+" || first === "-" || (first >= "0" && first <= "9") || "yYnNtTfFoO~".includes(first)) {
    if (NON_STRING_WORDS.has(s)) return false;
  }
  if (first === ".") return !(/^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s) && Number.isFinite(Number(s)));
  if (first !== "+" && first !== "-" && !(first >= "0" && first <= "9")) return true;
  if (isTimestamp(s)) return false;
  const plain = s.replaceAll("_", "");
  if (isGoInteger(plain)) return false;
  if (FLOAT.test(plain) && Number.isFinite(Number(plain))) return false;
  return true;
}

/** A "sexagesimal" number (`1:20`, `09:00`): plain in YAML 1.1's eyes a number, so yaml.v2 quotes it. */
function isBase60Float(s: string): boolean {
  return s !== "" && BASE_60_FLOAT.test(s);
}

const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseInt(s, 0, 64), or else ParseUint(s, 0, 64), would accept `s`. */
function isGoInteger(s: string): boolean {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return false;
  const [, sign, digits] = m as unknown as [string, string, string];
  const lower = digits.toLowerCase();
  const value = lower.length > 1 && lower[0] === "0" && /[0-7]/.test(lower[1]!) ? BigInt(`0o${lower.slice(1)}`) : BigInt(lower);
  if (sign === "-") return value <= INT64_MAX + 1n;
  if (value <= INT64_MAX) return true;
  return sign === "" && value <= UINT64_MAX;
}

/** The timestamp forms yaml.v2 recognises in plain text: a date, optionally with a time (Go time.Parse). */
function isTimestamp(s: string): boolean {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:([Tt ])(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(s);
  if (!m) return false;
  const [, y, mo, d, sep, h, mi, se, , zone] = m;
  if (sep !== undefined && sep !== " " && zone === undefined) return false;
  if (sep === " " && zone !== undefined) return false;
  const year = Number(y), month = Number(mo), day = Number(d);
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return false;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || Number(se) > 59)) return false;
  if (zone !== undefined && zone !== "Z" && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4)) > 59)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Go maps: yaml.v2 writes their keys sorted, letters after other characters and digit runs by value

/**
 * A mapping whose keys are written in the order yaml.v2 sorts a Go map's keys.
 *
 * That order is not transitive for some keys that mix digit runs with leading zeros ("0x" < "1 " < "01y" <
 * "0x"); for those, yaml.v2's own output depends on Go's random map iteration order and cannot be matched.
 * For keys the order is transitive on (label names, header names, …) every sort agrees.
 */
export function goMap<V extends YamlValue>(record: Readonly<Record<string, V>> | ReadonlyMap<string, V>): Map<string, V> {
  const pairs: Array<[string, V]> = record instanceof Map ? [...record] : Object.entries(record as Record<string, V>);
  return new Map(pairs.sort(([a], [b]) => compareGoMapKeys(a, b)));
}

const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;

/** Negative when yaml.v2 writes key `a` before key `b`. */
export function compareGoMapKeys(a: string, b: string): number {
  const ar = [...a], br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const x = ar[i]!, y = br[i]!;
    if (x === y) continue;
    const xl = LETTER.test(x), yl = LETTER.test(y);
    if (xl && yl) return x.codePointAt(0)! - y.codePointAt(0)!;
    if (xl || yl) return xl ? 1 : -1; // a non-letter sorts first
    // Both non-letters: compare the digit runs that start here by value, then by length.
    let an = 0, bn = 0;
    if (x === "0" || y === "0") {
      // Inside a number whose earlier digits are not all zero, a zero is significant: start both at 1.
      for (let j = i - 1; j >= 0 && DIGIT.test(ar[j]!); j--) {
        if (ar[j] !== "0") {
          an = bn = 1;
          break;
        }
      }
    }
    let ai = i, bi = i;
    for (; ai < ar.length && DIGIT.test(ar[ai]!); ai++) an = an * 10 + digitValue(ar[ai]!);
    for (; bi < br.length && DIGIT.test(br[bi]!); bi++) bn = bn * 10 + digitValue(br[bi]!);
    if (an !== bn) return an - bn;
    if (ai !== bi) return ai - bi;
    return x.codePointAt(0)! - y.codePointAt(0)!;
  }
  return ar.length - br.length;
}

/** As Go computes it for any Unicode digit: the distance from '0'. */
function digitValue(ch: string): number {
  return ch.codePointAt(0)! - 0x30;
}
