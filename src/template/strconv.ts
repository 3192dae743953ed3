import { isPrint } from "./unicode.ts";

/** Go's strconv quoting, unquoting and number syntax, as the template parser and fmt use them. */

const HEX = "0123456789abcdef";

function hexPad(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

function escapeRune(cp: number, quote: string, asciiOnly: boolean): string {
  const ch = String.fromCodePoint(cp);
  if (ch === quote || ch === "\\") return `\\${ch}`;
  if (asciiOnly ? cp < 0x80 && isPrint(cp) : isPrint(cp)) return ch;
  switch (cp) {
    case 0x07: return "\\a";
    case 0x08: return "\\b";
    case 0x0c: return "\\f";
    case 0x0a: return "\\n";
    case 0x0d: return "\\r";
    case 0x09: return "\\t";
    case 0x0b: return "\\v";
  }
  if (cp < 0x20 || cp === 0x7f) return `\\x${hexPad(cp, 2)}`;
  if (cp >= 0xd800 && cp <= 0xdfff) return "\\ufffd"; // a lone surrogate stands for invalid UTF-8
  if (cp < 0x10000) return `\\u${hexPad(cp, 4)}`;
  return `\\U${hexPad(cp, 8)}`;
}

function quoteWith(s: string, quote: string, asciiOnly: boolean): string {
  let out = quote;
  for (let i = 0; i < s.length; ) {
    const cp = s.codePointAt(i) as number;
    out += escapeRune(cp, quote, asciiOnly);
    i += cp > 0xffff ? 2 : 1;
  }
  return out + quote;
}

/** strconv.Quote. */
export function quote(s: string): string {
  return quoteWith(s, '"', false);
}

/** strconv.QuoteToASCII. */
export function quoteToAscii(s: string): string {
  return quoteWith(s, '"', true);
}

/** strconv.QuoteRune / QuoteRuneToASCII; out-of-range values print as U+FFFD, as Go does. */
export function quoteRune(cp: number, asciiOnly: boolean): string {
  const r = cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0xfffd : cp;
  return quoteWith(String.fromCodePoint(r), "'", asciiOnly);
}

/** strconv.CanBackquote: one line, no backquote, no control characters but tab, no BOM. */
export function canBackquote(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === "`" || cp === 0xfeff || cp === 0x7f || (cp < 0x20 && cp !== 0x09)) return false;
    if (cp >= 0xd800 && cp <= 0xdfff) return false;
  }
  return true;
}

/** Thrown by unquote: the template parser reports strconv.ErrSyntax's text. */
export class UnquoteError extends Error {
  constructor() {
    super("invalid syntax");
  }
}

function encodeUtf8(cp: number, out: number[]): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
}

function unhex(c: string | undefined): number {
  if (c === undefined) return -1;
  const i = HEX.indexOf(c.toLowerCase());
  return i;
}

interface Unquoted {
  /** A code point, or a byte when `byte` is set (\x and octal escapes denote bytes, not characters). */
  readonly value: number;
  readonly byte: boolean;
  readonly next: number;
}

/** strconv.UnquoteChar on s from index i, inside a literal delimited by `quoteChar`. */
function unquoteCharAt(s: string, i: number, quoteChar: string): Unquoted {
  const c = s[i];
  if (c === undefined) throw new UnquoteError();
  if (c === quoteChar && (quoteChar === "'" || quoteChar === '"')) throw new UnquoteError();
  if (c !== "\\") {
    const cp = s.codePointAt(i) as number;
    return { value: cp, byte: false, next: i + (cp > 0xffff ? 2 : 1) };
  }
  const e = s[i + 1];
  if (e === undefined) throw new UnquoteError();
  const simple: Partial<Record<string, number>> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92 };
  const mapped = simple[e];
  if (mapped !== undefined) return { value: mapped, byte: false, next: i + 2 };
  switch (e) {
    case "x":
    case "u":
    case "U": {
      const n = e === "x" ? 2 : e === "u" ? 4 : 8;
      let v = 0;
      for (let k = 0; k < n; k++) {
        const d = unhex(s[i + 2 + k]);
        if (d < 0) throw new UnquoteError();
        v = v * 16 + d;
      }
      if (e === "x") return { value: v, byte: true, next: i + 2 + n };
      if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new UnquoteError();
      return { value: v, byte: false, next: i + 2 + n };
    }
    case "0": case "1": case "2": case "3": case "4": case "5": case "6": case "7": {
      let v = 0;
      for (let k = 0; k < 3; k++) {
        const d = s.charCodeAt(i + 1 + k) - 48;
        if (!(d >= 0 && d <= 7)) throw new UnquoteError();
        v = v * 8 + d;
      }
      if (v > 255) throw new UnquoteError();
      return { value: v, byte: true, next: i + 4 };
    }
    case "'":
    case '"':
      if (e !== quoteChar) throw new UnquoteError();
      return { value: e.charCodeAt(0), byte: false, next: i + 2 };
  }
  throw new UnquoteError();
}

const decoder = new TextDecoder("utf-8");

/** strconv.Unquote for "…", `…` and '…' literals; invalid UTF-8 built from byte escapes decodes to U+FFFD. */
export function unquote(lit: string): string {
  const q = lit[0];
  if (lit.length < 2 || lit[lit.length - 1] !== q) throw new UnquoteError();
  const body = lit.slice(1, -1);
  if (q === "`") {
    if (body.includes("`")) throw new UnquoteError();
    return body.replace(/\r/g, "");
  }
  if (q !== '"' && q !== "'") throw new UnquoteError();
  if (q === '"' && !body.includes("\\") && !body.includes('"') && !body.includes("\n")) return body;
  if (body.includes("\n")) throw new UnquoteError();
  const bytes: number[] = [];
  let i = 0;
  let count = 0;
  while (i < body.length) {
    const u = unquoteCharAt(body, i, q);
    if (u.byte) bytes.push(u.value);
    else encodeUtf8(u.value, bytes);
    i = u.next;
    count++;
  }
  if (q === "'" && count !== 1) throw new UnquoteError();
  return decoder.decode(new Uint8Array(bytes));
}

/** The value of a character constant such as 'a' or '\n', or undefined when Go would reject it. */
export function unquoteCharConstant(lit: string): { value: number; rest: string } {
  const u = unquoteCharAt(lit, 1, "'");
  return { value: u.value, rest: lit.slice(u.next) };
}

// ---------------------------------------------------------------------------------------------------
// Number syntax (strconv.ParseInt/ParseUint/ParseFloat with base 0)

/** Go's rule: underscores only between digits, or between a base prefix and a digit. */
function underscoreOk(s: string): boolean {
  let saw = "^";
  let i = 0;
  if (s[0] === "+" || s[0] === "-") s = s.slice(1);
  let hex = false;
  const p = s[1]?.toLowerCase();
  if (s.length >= 2 && s[0] === "0" && (p === "b" || p === "o" || p === "x")) {
    i = 2;
    saw = "0";
    hex = p === "x";
  }
  for (; i < s.length; i++) {
    const c = s[i] as string;
    const lc = c.toLowerCase();
    if ((c >= "0" && c <= "9") || (hex && lc >= "a" && lc <= "f")) {
      saw = "0";
      continue;
    }
    if (c === "_") {
      if (saw !== "0") return false;
      saw = "_";
      continue;
    }
    if (saw === "_") return false;
    saw = "!";
  }
  return saw !== "_";
}

const MAX_UINT64 = (1n << 64n) - 1n;

/** strconv.ParseUint(s, 0, 64), or undefined on any error. */
export function parseUint(s: string): bigint | undefined {
  if (s === "") return undefined;
  let base = 10;
  let digits = s;
  if (s[0] === "0") {
    const p = s[1]?.toLowerCase();
    if (s.length >= 3 && p === "x") [base, digits] = [16, s.slice(2)];
    else if (s.length >= 3 && p === "o") [base, digits] = [8, s.slice(2)];
    else if (s.length >= 3 && p === "b") [base, digits] = [2, s.slice(2)];
    else if (s.length > 1) [base, digits] = [8, s.slice(1)];
  }
  let n = 0n;
  let sawUnderscore = false;
  const b = BigInt(base);
  for (const c of digits) {
    if (c === "_") {
      sawUnderscore = true;
      continue;
    }
    const d = HEX.indexOf(c.toLowerCase());
    if (d < 0 || d >= base) return undefined;
    n = n * b + BigInt(d);
    if (n > MAX_UINT64) return undefined;
  }
  if (digits === "" || (sawUnderscore && !underscoreOk(s))) return undefined;
  return n;
}

/** strconv.ParseInt(s, 0, 64), or undefined on any error. */
export function parseInt64(s: string): bigint | undefined {
  let neg = false;
  let body = s;
  if (s[0] === "+" || s[0] === "-") {
    neg = s[0] === "-";
    body = s.slice(1);
  }
  const u = parseUint(body);
  if (u === undefined) return undefined;
  if (neg ? u > 1n << 63n : u >= 1n << 63n) return undefined;
  return neg ? -u : u;
}

const DECIMAL_FLOAT = /^[+-]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?$/;
const HEX_FLOAT = /^([+-]?)0[xX]([\da-fA-F_]*)(?:\.([\da-fA-F_]*))?[pP]([+-]?\d[\d_]*)$/;

/** strconv.ParseFloat(s, 64), or undefined on any error, including overflow to ±Inf (ErrRange). */
export function parseFloat64(s: string): number | undefined {
  const lower = s.toLowerCase().replace(/^[+-]/, "");
  if (lower === "inf" || lower === "infinity") return s[0] === "-" ? -Infinity : Infinity;
  if (lower === "nan") return NaN;
  if (s.includes("_") && !underscoreOk(s)) return undefined;
  let f: number;
  if (DECIMAL_FLOAT.test(s)) {
    f = Number(s.replace(/_/g, ""));
  } else {
    const m = HEX_FLOAT.exec(s);
    if (!m) return undefined;
    const intPart = (m[2] ?? "").replace(/_/g, "");
    const fracPart = (m[3] ?? "").replace(/_/g, "");
    if (intPart === "" && fracPart === "") return undefined;
    const mantissa = BigInt("0x" + (intPart + fracPart || "0"));
    const exp = Number((m[4] ?? "0").replace(/_/g, "")) - 4 * fracPart.length;
    f = bigTimesPow2(mantissa, exp);
    if (m[1] === "-") f = -f;
  }
  if (!Number.isFinite(f)) return undefined;
  return f;
}

/** m × 2^e rounded once to the nearest double (the mantissa is reduced to 64 bits with a sticky bit first). */
function bigTimesPow2(m: bigint, e: number): number {
  if (m === 0n) return 0;
  let exp = e;
  while (m >= 1n << 64n) {
    const sticky = m & 1n;
    m = (m >> 1n) | sticky;
    exp++;
  }
  // Number(m) rounds a 64-bit integer to 53 bits once; scaling by powers of two is then exact unless the
  // result is subnormal, where a second rounding can occur (irrelevant for template constants).
  let f = Number(m);
  while (exp > 0) {
    const step = Math.min(exp, 1000);
    f *= 2 ** step;
    exp -= step;
  }
  while (exp < 0) {
    const step = Math.min(-exp, 1000);
    f /= 2 ** step;
    exp += step;
  }
  return f;
}
