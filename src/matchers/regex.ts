import RE2 from "re2";

/*
 * Alertmanager compiles "^(?:" + value + ")$" with Go's regexp package. RE2 (C++) has the same syntax and
 * nearly the same parser, but the node binding rewrites JavaScript-isms before RE2 sees the pattern
 * (`(?<name>`, `\cX`, `\uXXXX`, `\p{Letter}`, unescaped `/`), and RE2 accepts a few things Go rejects
 * (`\C`, non-ASCII capture names) and rejects one thing Go accepts (duplicate capture names).
 * So a small lexer walks the pattern with Go's token rules first: it reports Go-only errors itself and
 * hands RE2 a sanitized pattern whose translation by the binding is a no-op and whose meaning is Go's.
 * Everything else (repetition, parentheses, ranges, class names) is left to RE2, whose messages are
 * then mapped to Go's wording and to fragments of the original expression.
 */

export type RegexpTest = (value: string) => boolean;

export type CompiledRegexp =
  | { readonly ok: true; readonly test: RegexpTest }
  | { readonly ok: false; readonly error: string };

/** Compiles `^(?:pattern)$` with Go's syntax and RE2's engine; errors carry Go's exact message. */
export function compileAnchored(pattern: string): CompiledRegexp {
  const fast = fastPath(pattern);
  if (fast) return { ok: true, test: fast };
  return compileGo(`^(?:${pattern})$`);
}

/** Go's regexp.Compile(pattern) error message for the pattern as given (unanchored), or undefined. */
export function regexpSyntaxError(pattern: string): string | undefined {
  const r = compileGo(pattern);
  return r.ok ? undefined : r.error;
}

function compileGo(expr: string): CompiledRegexp {
  const lexed = new Sanitizer(expr).run();
  if (lexed.goOnly) {
    // Go stops at the first error: one RE2 finds before the Go-only one still wins.
    const earlier = re2Error(lexed.source.slice(0, lexed.goOnly.at));
    const message = earlier && !TRUNCATION_ARTIFACTS.has(earlier.code) ? goMessage(earlier, lexed) : lexed.goOnly.message;
    return { ok: false, error: message };
  }
  try {
    const re = new RE2(lexed.source, "u");
    return { ok: true, test: (value) => re.test(value) };
  } catch (err) {
    const parsed = splitRe2Message(err instanceof Error ? err.message : String(err));
    return { ok: false, error: goMessage(parsed, lexed) };
  }
}

// Characters with a meaning in Go's syntax outside a class; `|` is handled by the literal-set fast path.
const META = new Set(["\\", ".", "+", "*", "?", "(", ")", "[", "]", "{", "}", "^", "$"]);

/**
 * Equivalent string tests for the common shapes (literals, alternatives of literals, `.*` around a
 * literal): a native RE2 call costs microseconds, mostly converting the string to UTF-8.
 */
function fastPath(pattern: string): RegexpTest | undefined {
  if (pattern === ".*") return (v) => !v.includes("\n");
  if (pattern === ".+") return (v) => v !== "" && !v.includes("\n");
  if (isLiteral(pattern, true)) {
    // An anchored full match of literal alternatives is membership.
    const alternatives = pattern.split("|");
    if (alternatives.length === 1) return (v) => v === pattern;
    const set = new Set(alternatives);
    return (v) => set.has(v);
  }
  // `.` never matches a newline, so with a newline-free literal the value must have none at all.
  const starts = pattern.startsWith(".*");
  const ends = pattern.endsWith(".*");
  const lit = pattern.slice(starts ? 2 : 0, ends ? -2 : undefined);
  if ((!starts && !ends) || lit === "" || !isLiteral(lit, false) || lit.includes("\n")) return undefined;
  if (starts && ends) return (v) => v.includes(lit) && !v.includes("\n");
  if (starts) return (v) => v.endsWith(lit) && !v.includes("\n");
  return (v) => v.startsWith(lit) && !v.includes("\n");
}

function isLiteral(s: string, allowBar: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (META.has(c) || (c === "|" && !allowBar) || isLoneSurrogateAt(s, i)) return false;
  }
  return true;
}

function goError(code: string, expr: string): string {
  return `error parsing regexp: ${code}: \`${expr}\``;
}

const RE2_TO_GO_CODE: ReadonlyMap<string, string> = new Map([
  ["missing )", "missing closing )"],
  ["unexpected )", "unexpected )"],
  ["missing ]", "missing closing ]"],
  ["invalid escape sequence", "invalid escape sequence"],
  ["invalid character class", "invalid character class"],
  ["invalid character class range", "invalid character class range"],
  ["bad repetition operator", "invalid nested repetition operator"],
  ["no argument for repetition operator", "missing argument to repetition operator"],
  ["invalid repetition size", "invalid repeat count"],
  ["trailing \\", "trailing backslash at end of expression"],
  ["invalid perl operator", "invalid or unsupported Perl syntax"],
  ["invalid named capture group", "invalid named capture"],
  ["invalid UTF-8", "invalid UTF-8"],
]);

// Errors RE2 can only report at the end of the input; on a cut-off prefix they say nothing about Go.
const TRUNCATION_ARTIFACTS = new Set(["missing )", "missing ]", "trailing \\"]);

interface Re2Error {
  readonly code: string;
  readonly arg: string | undefined;
}

function splitRe2Message(message: string): Re2Error {
  const sep = message.indexOf(": ");
  return sep < 0 ? { code: message, arg: undefined } : { code: message.slice(0, sep), arg: message.slice(sep + 2) };
}

function re2Error(source: string): Re2Error | undefined {
  try {
    new RE2(source, "u");
    return undefined;
  } catch (err) {
    return splitRe2Message(err instanceof Error ? err.message : String(err));
  }
}

function goMessage(err: Re2Error, lexed: Lexed): string {
  switch (err.code) {
    // Go reports the whole expression for both parenthesis errors.
    case "missing )":
    case "unexpected )":
      return goError(RE2_TO_GO_CODE.get(err.code) as string, lexed.original);
    case "trailing \\":
      return goError("trailing backslash at end of expression", "");
    case "pattern too large - compile failed":
      // RE2's program-size budget is far below Go's, so Go would accept this; Go's wording for oversized expressions.
      return goError("expression too large", lexed.original);
  }
  const code = RE2_TO_GO_CODE.get(err.code);
  if (code === undefined) return `error parsing regexp: ${err.code}${err.arg === undefined ? "" : `: ${err.arg}`}`;
  if (err.arg === undefined) return goError(code, lexed.original);
  return goError(code, originalFragment(lexed, err.arg, err.code === "missing ]"));
}

/** Maps a fragment of the sanitized source back to the text the user wrote. */
function originalFragment(lexed: Lexed, fragment: string, isSuffix: boolean): string {
  if (fragment === "") return fragment;
  const at = isSuffix && lexed.source.endsWith(fragment) ? lexed.source.length - fragment.length : lexed.source.indexOf(fragment);
  if (at < 0) return fragment;
  const from = lexed.begin[at] as number;
  if (isSuffix) return lexed.original.slice(from);
  return lexed.original.slice(from, lexed.end[at + fragment.length - 1]);
}

interface Lexed {
  readonly original: string;
  readonly source: string;
  /** For each UTF-16 unit of `source`, the span of `original` it came from. */
  readonly begin: readonly number[];
  readonly end: readonly number[];
  /** An error Go reports but RE2 (through the binding) would not report the same way. */
  readonly goOnly: { readonly at: number; readonly message: string } | undefined;
}

// Unicode general-category long names the node binding shortens; Go 1.19 knows only the short names.
const BINDING_CATEGORY_NAMES = new Set([
  "Uppercase_Letter", "Lowercase_Letter", "Titlecase_Letter", "Cased_Letter", "Modifier_Letter", "Other_Letter", "Letter",
  "Nonspacing_Mark", "Spacing_Mark", "Enclosing_Mark", "Mark",
  "Decimal_Number", "Letter_Number", "Other_Number", "Number",
  "Connector_Punctuation", "Dash_Punctuation", "Open_Punctuation", "Close_Punctuation", "Initial_Punctuation",
  "Final_Punctuation", "Other_Punctuation", "Punctuation",
  "Math_Symbol", "Currency_Symbol", "Modifier_Symbol", "Other_Symbol", "Symbol",
  "Space_Separator", "Line_Separator", "Paragraph_Separator", "Separator",
  "Control", "Format", "Surrogate", "Private_Use", "Unassigned", "Other",
]);

function bindingRewritesClassName(name: string): boolean {
  return BINDING_CATEGORY_NAMES.has(name) || (name.length > 7 && name.startsWith("Script=")) || (name.length > 3 && name.startsWith("sc="));
}

/** Walks Go's tokens; each method takes the index of a token and returns the index after it. */
class Sanitizer {
  private source = "";
  private readonly begin: number[] = [];
  private readonly end: number[] = [];
  private goOnly: { at: number; message: string } | undefined;
  private stopped = false;

  constructor(private readonly w: string) {}

  run(): Lexed {
    let i = 0;
    while (i < this.w.length && !this.stopped) i = this.token(i);
    // After the first error RE2 needs the rest only for fragments that run to the end.
    if (this.stopped) this.literal(i, this.w.length, false);
    return { original: this.w, source: this.source, begin: this.begin, end: this.end, goOnly: this.goOnly };
  }

  private token(i: number): number {
    switch (this.w[i]) {
      case "\\":
        return this.escape(i);
      case "[":
        return this.charClass(i);
      case "(":
        return this.group(i);
    }
    if (isLoneSurrogateAt(this.w, i)) return this.badUtf8(i);
    this.literal(i, i + 1, false);
    return i + 1;
  }

  private emit(text: string, from: number, to: number): void {
    this.source += text;
    for (let k = 0; k < text.length; k++) {
      this.begin.push(from);
      this.end.push(to);
    }
  }

  /** Copies a token RE2 reads exactly as Go does. */
  private raw(from: number, to: number): void {
    for (let k = from; k < to; k++) this.emit(this.w[k] as string, k, k + 1);
  }

  /** Copies literal characters; `/` would get a backslash from the binding anyway, `(` in a class could start `(?<`. */
  private literal(from: number, to: number, inClass: boolean): void {
    for (let k = from; k < to; k++) {
      const c = this.w[k] as string;
      this.emit(c === "/" || (inClass && c === "(") ? `\\${c}` : c, k, k + 1);
    }
  }

  private failGoOnly(at: number, code: string, expr: string): number {
    this.goOnly = { at: this.source.length, message: goError(code, expr) };
    this.stopped = true;
    return at;
  }

  /** An error Go and RE2 report alike: stop and let RE2 word it. */
  private failShared(at: number): number {
    this.stopped = true;
    return at;
  }

  private badUtf8(at: number): number {
    return this.failGoOnly(at, "invalid UTF-8", toWellFormed(this.w.slice(at)));
  }

  private escape(i: number): number {
    const next = this.w[i + 1];
    switch (next) {
      case "A":
      case "b":
      case "B":
      case "z":
      case "d":
      case "D":
      case "s":
      case "S":
      case "w":
      case "W":
        this.raw(i, i + 2);
        return i + 2;
      case "Q":
        return this.quoted(i);
      case "p":
      case "P":
        return this.unicodeClass(i);
    }
    return this.singleEscape(i);
  }

  /** Go's parseEscape: one escaped character, as a literal or inside a class. */
  private singleEscape(i: number): number {
    const w = this.w;
    if (i + 1 >= w.length) return this.failShared(i);
    if (isLoneSurrogateAt(w, i + 1)) return this.badUtf8(i + 1);
    const c = w[i + 1] as string;
    const code = c.charCodeAt(0);
    if (code < 0x80 && !isAlnum(code)) {
      this.raw(i, i + 2);
      return i + 2;
    }
    switch (c) {
      case "a":
      case "f":
      case "n":
      case "r":
      case "t":
      case "v":
        this.raw(i, i + 2);
        return i + 2;
      case "0":
      case "1":
      case "2":
      case "3":
      case "4":
      case "5":
      case "6":
      case "7": {
        // A lone non-zero digit would be a backreference, which neither engine supports.
        if (c !== "0" && !isOctal(w.charCodeAt(i + 2))) return this.failShared(i);
        let j = i + 2;
        while (j < i + 4 && isOctal(w.charCodeAt(j))) j++;
        this.raw(i, j);
        return j;
      }
      case "x":
        return this.hexEscape(i);
      case "C": // any byte: RE2 has it, Go does not
      case "c": // the binding turns \cX into a control character
      case "u": // the binding turns \uXXXX into a code point
        return this.failGoOnly(i, "invalid escape sequence", `\\${c}`);
    }
    return this.failShared(i);
  }

  private hexEscape(i: number): number {
    const w = this.w;
    let j = i + 2;
    if (j >= w.length) return this.failShared(i);
    if (w[j] === "{") {
      j++;
      let digits = 0;
      let value = 0;
      for (;;) {
        if (j >= w.length) return this.failShared(i);
        if (isLoneSurrogateAt(w, j)) return this.badUtf8(j);
        const c = w.codePointAt(j) as number;
        j += c > 0xffff ? 2 : 1;
        if (c === 0x7d) break;
        const v = unhex(c);
        if (v < 0) return this.failShared(i);
        value = value * 16 + v;
        if (value > 0x10ffff) return this.failShared(i);
        digits++;
      }
      if (digits === 0) return this.failShared(i);
      this.raw(i, j);
      return j;
    }
    if (isLoneSurrogateAt(w, j)) return this.badUtf8(j);
    if (isLoneSurrogateAt(w, j + 1)) return this.badUtf8(j + 1);
    if (unhex(w.charCodeAt(j)) < 0 || unhex(w.charCodeAt(j + 1)) < 0) return this.failShared(i);
    this.raw(i, j + 2);
    return j + 2;
  }

  /** `\Q...\E` (or to the end): rewritten as escaped literals, which the binding leaves alone. */
  private quoted(i: number): number {
    const w = this.w;
    const close = w.indexOf("\\E", i + 2);
    const stop = close < 0 ? w.length : close;
    for (let k = i + 2; k < stop; k++) {
      if (isLoneSurrogateAt(w, k)) return this.badUtf8(k);
      const c = w[k] as string;
      this.emit(META.has(c) || c === "|" || c === "/" ? `\\${c}` : c, k, k + 1);
    }
    return close < 0 ? w.length : close + 2;
  }

  /** `\pN`, `\p{Name}`, `\PN`, `\P{^Name}`. */
  private unicodeClass(i: number): number {
    const w = this.w;
    const j = i + 2;
    if (j >= w.length) return this.failShared(i);
    if (isLoneSurrogateAt(w, j)) return this.badUtf8(j);
    if (w[j] !== "{") {
      const end = j + ((w.codePointAt(j) as number) > 0xffff ? 2 : 1);
      this.raw(i, end);
      return end;
    }
    const close = w.indexOf("}", i);
    if (close < 0) return this.failShared(i);
    const name = w.slice(j + 1, close);
    const bad = firstLoneSurrogate(name);
    if (bad >= 0) return this.failGoOnly(i, "invalid UTF-8", toWellFormed(name.slice(bad)));
    if (bindingRewritesClassName(name)) return this.failGoOnly(i, "invalid character class range", w.slice(i, close + 1));
    // The binding writes one-letter names without braces; keep its form so RE2's fragment maps back.
    if (name.length === 1 && name.charCodeAt(0) < 0x80) this.emit(`\\${w[i + 1] as string}${name}`, i, close + 1);
    else this.raw(i, close + 1);
    return close + 1;
  }

  private group(i: number): number {
    const w = this.w;
    if (w[i + 1] !== "?") {
      this.raw(i, i + 1);
      return i + 1;
    }
    if (w.length - i > 4 && w[i + 2] === "P" && w[i + 3] === "<") return this.namedGroup(i);
    // Go before 1.22 has no `(?<name>` (and no look-behind); the binding would turn it into `(?P<`.
    if (w[i + 2] === "<") return this.failGoOnly(i, "invalid or unsupported Perl syntax", "(?<");
    let j = i + 2;
    let negated = false;
    let sawFlag = false;
    while (j < w.length) {
      if (isLoneSurrogateAt(w, j)) return this.badUtf8(j);
      const c = w[j++];
      switch (c) {
        case "i":
        case "m":
        case "s":
        case "U":
          sawFlag = true;
          continue;
        case "-":
          if (negated) return this.failShared(i);
          negated = true;
          sawFlag = false;
          continue;
        case ":":
        case ")":
          if (negated && !sawFlag) return this.failShared(i);
          this.raw(i, j);
          return j;
      }
      return this.failShared(i);
    }
    return this.failShared(i);
  }

  /** `(?P<name>`: Go wants ASCII word characters and allows repeated names; only the group matters to us. */
  private namedGroup(i: number): number {
    const w = this.w;
    const close = w.indexOf(">", i);
    if (close < 0) {
      const bad = firstLoneSurrogate(w.slice(i));
      if (bad >= 0) return this.badUtf8(i + bad);
      return this.failGoOnly(i, "invalid named capture", w.slice(i));
    }
    const name = w.slice(i + 4, close);
    const bad = firstLoneSurrogate(name);
    if (bad >= 0) return this.failGoOnly(i, "invalid UTF-8", toWellFormed(name.slice(bad)));
    if (!isCaptureName(name)) return this.failGoOnly(i, "invalid named capture", w.slice(i, close + 1));
    this.emit("(", i, close + 1);
    return close + 1;
  }

  /** Go's parseClass, from `[` to its `]` (or the end, which RE2 reports as missing ]). */
  private charClass(i: number): number {
    const w = this.w;
    this.raw(i, i + 1);
    let j = i + 1;
    if (w[j] === "^") {
      this.raw(j, j + 1);
      j++;
    }
    let first = true;
    while (j < w.length) {
      if (w[j] === "]" && !first) {
        this.raw(j, j + 1);
        return j + 1;
      }
      first = false;
      if (w.startsWith("[:", j)) {
        const close = w.indexOf(":]", j + 2);
        if (close >= 0) {
          this.literal(j, close + 2, true);
          j = close + 2;
          continue;
        }
      }
      if (w[j] === "\\" && (w[j + 1] === "p" || w[j + 1] === "P")) {
        j = this.unicodeClass(j);
        if (this.stopped) return j;
        continue;
      }
      if (w[j] === "\\" && "dDsSwW".includes(w[j + 1] ?? "_")) {
        this.raw(j, j + 2);
        j += 2;
        continue;
      }
      j = this.classChar(j);
      if (this.stopped) return j;
      if (j + 1 < w.length && w[j] === "-" && w[j + 1] !== "]") {
        this.raw(j, j + 1);
        j = this.classChar(j + 1);
        if (this.stopped) return j;
      }
    }
    return j;
  }

  private classChar(j: number): number {
    const w = this.w;
    if (w[j] === "\\") return this.singleEscape(j);
    if (isLoneSurrogateAt(w, j)) return this.badUtf8(j);
    const end = j + ((w.codePointAt(j) as number) > 0xffff ? 2 : 1);
    this.literal(j, end, true);
    return end;
  }
}

function isAlnum(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function isOctal(code: number): boolean {
  return code >= 0x30 && code <= 0x37;
}

function unhex(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

function isCaptureName(name: string): boolean {
  if (name === "") return false;
  for (let k = 0; k < name.length; k++) {
    const code = name.charCodeAt(k);
    if (code !== 0x5f && !isAlnum(code)) return false;
  }
  return true;
}

/** Whether index i holds a UTF-16 surrogate that is not half of a pair (not encodable as UTF-8). */
export function isLoneSurrogateAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = s.charCodeAt(i + 1);
    return !(d >= 0xdc00 && d <= 0xdfff);
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const p = s.charCodeAt(i - 1);
    return !(p >= 0xd800 && p <= 0xdbff);
  }
  return false;
}

/** Index of the first lone surrogate, or -1 when the string is valid UTF-16 (hence encodable as UTF-8). */
export function firstLoneSurrogate(s: string): number {
  for (let i = 0; i < s.length; i++) if (isLoneSurrogateAt(s, i)) return i;
  return -1;
}

/** What a Go client sees of invalid UTF-8 once the error travels as JSON: U+FFFD. */
function toWellFormed(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += isLoneSurrogateAt(s, i) ? "\ufffd" : (s[i] as string);
  return out;
}
