import { isDigit, isLetter, isPrint } from "./unicode.ts";

/**
 * Splits template text into tokens the way Go's text/template lexer does (Go 1.19): text, `{{`/`}}` with
 * the `{{- `/` -}}` trim markers, comments, and inside actions the operands, punctuation and keywords.
 * Spaces inside actions are tokens, because the parser uses them to tell `.A.B` from `.A .B`.
 * Lexing stops at the first error, which becomes an "error" token the parser reports when it reaches it.
 */

export type TokenType =
  | "error" | "eof" | "text" | "leftDelim" | "rightDelim" | "space"
  | "bool" | "char" | "charConstant" | "complex" | "assign" | "declare" | "field" | "identifier"
  | "leftParen" | "rightParen" | "number" | "pipe" | "rawString" | "string" | "variable"
  // keywords
  | "block" | "break" | "continue" | "dot" | "define" | "else" | "end" | "if" | "nil" | "range" | "template" | "with";

export interface Token {
  readonly type: TokenType;
  readonly val: string;
  /** UTF-16 index into the source text (converted to Go's byte offsets only for messages). */
  readonly pos: number;
  /** 1-based line where the token starts. */
  readonly line: number;
}

const KEYWORDS: ReadonlyMap<string, TokenType> = new Map<string, TokenType>([
  [".", "dot"], ["block", "block"], ["break", "break"], ["continue", "continue"], ["define", "define"],
  ["else", "else"], ["end", "end"], ["if", "if"], ["range", "range"], ["nil", "nil"],
  ["template", "template"], ["with", "with"],
]);

const KEYWORD_TYPES: ReadonlySet<TokenType> = new Set(KEYWORDS.values());

/** How the parser names a token in "unexpected …" messages (Go's item.String). */
export function describeToken(t: Token): string {
  if (t.type === "eof") return "EOF";
  if (t.type === "error") return t.val;
  if (KEYWORD_TYPES.has(t.type)) return `<${t.val}>`;
  const runes = [...t.val];
  if (runes.length > 10) return `${goQuoteShort(runes.slice(0, 10).join(""))}...`;
  return goQuoteShort(t.val);
}

// Go's %q; kept local so the lexer does not depend on the fmt layer.
function goQuoteShort(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-7][0-9a-f])/g, "\\x$1");
}

const LEFT = "{{";
const RIGHT = "}}";
const LEFT_COMMENT = "/*";
const RIGHT_COMMENT = "*/";

function isSpaceChar(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\n";
}

function isAlphaNumeric(cp: number): boolean {
  return cp === 0x5f || isLetter(cp) || isDigit(cp);
}

/** `{{- ` : a dash and one space-class character right after the delimiter. */
function hasLeftTrimMarker(s: string, at: number): boolean {
  return s[at] === "-" && isSpaceChar(s[at + 1]);
}

/** ` -}}` : a space-class character and a dash right before the delimiter. */
function hasRightTrimMarker(s: string, at: number): boolean {
  return isSpaceChar(s[at]) && s[at + 1] === "-";
}

function trailingSpaceLength(s: string): number {
  let n = 0;
  while (n < s.length && isSpaceChar(s[s.length - 1 - n])) n++;
  return n;
}

function leadingSpaceLength(s: string, from: number): number {
  let n = from;
  while (n < s.length && isSpaceChar(s[n])) n++;
  return n - from;
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

/** Describes a code point the way Go's %#U does: U+0023 '#'. */
export function describeRune(cp: number): string {
  const hex = cp.toString(16).toUpperCase().padStart(4, "0");
  return isPrint(cp) ? `U+${hex} '${String.fromCodePoint(cp)}'` : `U+${hex}`;
}

export function lex(input: string): Token[] {
  return new Lexer(input).run();
}

class Lexer {
  private readonly tokens: Token[] = [];
  private pos = 0;
  private start = 0;
  private line = 1;
  private startLine = 1;
  private parenDepth = 0;
  private failed = false;

  constructor(private readonly input: string) {}

  run(): Token[] {
    while (!this.failed && this.lexText()) {
      // lexText returns true after an action or comment, to look for the next one
    }
    if (!this.failed) this.emitAt("eof", this.input.length, "");
    return this.tokens;
  }

  private emit(type: TokenType): void {
    this.tokens.push({ type, val: this.input.slice(this.start, this.pos), pos: this.start, line: this.startLine });
    this.skip();
  }

  private emitAt(type: TokenType, pos: number, val: string): void {
    this.tokens.push({ type, val, pos, line: this.startLine });
  }

  /** Drops input up to pos, keeping the line count. */
  private skip(): void {
    this.line += countNewlines(this.input, this.start, this.pos);
    this.start = this.pos;
    this.startLine = this.line;
  }

  private error(message: string): false {
    this.tokens.push({ type: "error", val: message, pos: this.start, line: this.startLine });
    this.failed = true;
    return false;
  }

  private peekCp(): number | undefined {
    return this.input.codePointAt(this.pos);
  }

  private nextCp(): number | undefined {
    const cp = this.input.codePointAt(this.pos);
    if (cp !== undefined) this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  /** Scans text up to the next action; returns false at end of input. */
  private lexText(): boolean {
    const x = this.input.indexOf(LEFT, this.pos);
    if (x < 0) {
      this.pos = this.input.length;
      if (this.pos > this.start) this.emit("text");
      return false;
    }
    this.pos = x;
    const trim = hasLeftTrimMarker(this.input, x + LEFT.length) ? trailingSpaceLength(this.input.slice(this.start, x)) : 0;
    this.pos = x - trim;
    if (this.pos > this.start) this.emit("text");
    this.pos = x;
    this.skip();
    return this.lexLeftDelim();
  }

  private lexLeftDelim(): boolean {
    this.pos += LEFT.length;
    const trim = hasLeftTrimMarker(this.input, this.pos);
    const afterMarker = trim ? 2 : 0;
    if (this.input.startsWith(LEFT_COMMENT, this.pos + afterMarker)) {
      this.pos += afterMarker;
      this.skip();
      return this.lexComment();
    }
    this.emit("leftDelim");
    this.pos += afterMarker;
    this.skip();
    this.parenDepth = 0;
    return this.lexInsideAction();
  }

  private lexComment(): boolean {
    this.pos += LEFT_COMMENT.length;
    const x = this.input.indexOf(RIGHT_COMMENT, this.pos);
    if (x < 0) return this.error("unclosed comment");
    this.pos = x + RIGHT_COMMENT.length;
    const [delim, trim] = this.atRightDelim();
    if (!delim) return this.error("comment ends before closing delimiter");
    // Comments only reach the parser in Go's ParseComments mode, which Alertmanager does not use.
    this.skip();
    if (trim) this.pos += 2;
    this.pos += RIGHT.length;
    if (trim) this.pos += leadingSpaceLength(this.input, this.pos);
    this.skip();
    return true;
  }

  private atRightDelim(): [boolean, boolean] {
    if (this.input.startsWith(RIGHT, this.pos)) return [true, false];
    if (hasRightTrimMarker(this.input, this.pos) && this.input.startsWith(RIGHT, this.pos + 2)) return [true, true];
    return [false, false];
  }

  private lexRightDelim(trim: boolean): boolean {
    if (trim) {
      this.pos += 2;
      this.skip();
    }
    this.pos += RIGHT.length;
    this.emit("rightDelim");
    if (trim) {
      this.pos += leadingSpaceLength(this.input, this.pos);
      this.skip();
    }
    return true;
  }

  /** Scans the elements of an action up to and including its closing delimiter. */
  private lexInsideAction(): boolean {
    for (;;) {
      const [delim, trim] = this.atRightDelim();
      if (delim) {
        if (this.parenDepth === 0) return this.lexRightDelim(trim);
        return this.error("unclosed left paren");
      }
      const cp = this.nextCp();
      if (cp === undefined) return this.error("unclosed action");
      const c = String.fromCodePoint(cp);
      if (isSpaceChar(c)) {
        this.pos--;
        if (this.lexSpace() === "delim") return this.lexRightDelim(true);
        continue;
      }
      switch (c) {
        case "=":
          this.emit("assign");
          continue;
        case ":":
          if (this.nextCp() !== 0x3d) return this.error("expected :=");
          this.emit("declare");
          continue;
        case "|":
          this.emit("pipe");
          continue;
        case '"':
          if (!this.lexQuote()) return false;
          continue;
        case "`":
          if (!this.lexRawQuote()) return false;
          continue;
        case "$":
          if (!this.lexFieldOrVariable("variable")) return false;
          continue;
        case "'":
          if (!this.lexChar()) return false;
          continue;
        case "(":
          this.emit("leftParen");
          this.parenDepth++;
          continue;
        case ")":
          this.emit("rightParen");
          this.parenDepth--;
          if (this.parenDepth < 0) return this.error(`unexpected right paren ${describeRune(cp)}`);
          continue;
      }
      if (c === ".") {
        // ".5" is a number; anything else starting with a dot is a field (or the dot itself).
        const n = this.input.charCodeAt(this.pos);
        if (this.pos < this.input.length && !(n >= 0x30 && n <= 0x39)) {
          if (!this.lexFieldOrVariable("field")) return false;
          continue;
        }
      }
      if (c === "." || c === "+" || c === "-" || (c >= "0" && c <= "9")) {
        this.pos = this.start;
        if (!this.lexNumber()) return false;
        continue;
      }
      if (isAlphaNumeric(cp)) {
        this.pos = this.start;
        if (!this.lexIdentifier()) return false;
        continue;
      }
      if (cp < 0x80 && isPrint(cp)) {
        this.emit("char");
        continue;
      }
      return this.error(`unrecognized character in action: ${describeRune(cp)}`);
    }
  }

  /**
   * Emits a run of spaces. A run ending in a trim-marked closing delimiter (" -}}") leaves its last space
   * to the delimiter; when that was the only space, the caller goes straight to the delimiter ("delim").
   */
  private lexSpace(): "delim" | "continue" {
    let n = 0;
    while (isSpaceChar(this.input[this.pos])) {
      this.pos++;
      n++;
    }
    if (hasRightTrimMarker(this.input, this.pos - 1) && this.input.startsWith(RIGHT, this.pos + 1)) {
      this.pos--;
      if (n === 1) return "delim";
    }
    this.emit("space");
    return "continue";
  }

  private lexIdentifier(): boolean {
    for (;;) {
      const cp = this.peekCp();
      if (cp !== undefined && isAlphaNumeric(cp)) {
        this.nextCp();
        continue;
      }
      if (!this.atTerminator()) return this.error(`bad character ${describeRune(cp ?? 0)}`);
      const word = this.input.slice(this.start, this.pos);
      const keyword = KEYWORDS.get(word);
      if (keyword !== undefined) this.emit(keyword);
      else if (word[0] === ".") this.emit("field");
      else if (word === "true" || word === "false") this.emit("bool");
      else this.emit("identifier");
      return true;
    }
  }

  /** `.Field`, `.`, `$name`, `$`: the sigil has been consumed. */
  private lexFieldOrVariable(type: "field" | "variable"): boolean {
    if (this.atTerminator()) {
      this.emit(type === "variable" ? "variable" : "dot");
      return true;
    }
    let cp: number | undefined;
    for (;;) {
      cp = this.peekCp();
      if (cp === undefined || !isAlphaNumeric(cp)) break;
      this.nextCp();
    }
    if (!this.atTerminator()) return this.error(`bad character ${describeRune(cp ?? 0)}`);
    this.emit(type);
    return true;
  }

  /** Whether the next character can end an operand: space, EOF, punctuation that follows operands, or `}`. */
  private atTerminator(): boolean {
    const c = this.input[this.pos];
    if (c === undefined || isSpaceChar(c)) return true;
    switch (c) {
      case ".": case ",": case "|": case ":": case ")": case "(":
        return true;
    }
    return c === RIGHT[0];
  }

  private lexChar(): boolean {
    return this.lexEscaped("'", "charConstant", "unterminated character constant");
  }

  private lexQuote(): boolean {
    return this.lexEscaped('"', "string", "unterminated quoted string");
  }

  /** A '…' or "…" literal: backslash escapes anything but a newline; a newline or the end is an error. */
  private lexEscaped(close: string, kind: "charConstant" | "string", unterminated: string): boolean {
    for (;;) {
      const c = this.input[this.pos++];
      if (c === "\\") {
        const n = this.input[this.pos];
        if (n !== undefined && n !== "\n") {
          this.pos++;
          continue;
        }
        return this.error(unterminated);
      }
      if (c === undefined || c === "\n") return this.error(unterminated);
      if (c === close) break;
    }
    this.emit(kind);
    return true;
  }

  private lexRawQuote(): boolean {
    const x = this.input.indexOf("`", this.pos);
    if (x < 0) return this.error("unterminated raw quoted string");
    this.pos = x + 1;
    this.emit("rawString");
    return true;
  }

  private lexNumber(): boolean {
    if (!this.scanNumber()) return this.error(`bad number syntax: ${goQuoteShort(this.input.slice(this.start, this.pos))}`);
    const sign = this.input[this.pos];
    if (sign === "+" || sign === "-") {
      // A complex constant such as 1+2i: no spaces, and it must end in 'i'.
      if (!this.scanNumber() || this.input[this.pos - 1] !== "i") {
        return this.error(`bad number syntax: ${goQuoteShort(this.input.slice(this.start, this.pos))}`);
      }
      this.emit("complex");
    } else {
      this.emit("number");
    }
    return true;
  }

  private accept(valid: string): boolean {
    const c = this.input[this.pos];
    if (c !== undefined && valid.includes(c)) {
      this.pos++;
      return true;
    }
    return false;
  }

  private acceptRun(valid: string): void {
    while (this.accept(valid)) {
      // consume
    }
  }

  /** Go's number shape: sign, base prefix, digits with underscores, fraction, exponent, imaginary suffix. */
  private scanNumber(): boolean {
    this.accept("+-");
    let digits = "0123456789_";
    if (this.accept("0")) {
      if (this.accept("xX")) digits = "0123456789abcdefABCDEF_";
      else if (this.accept("oO")) digits = "01234567_";
      else if (this.accept("bB")) digits = "01_";
    }
    this.acceptRun(digits);
    if (this.accept(".")) this.acceptRun(digits);
    if (digits.length === 10 + 1 && this.accept("eE")) {
      this.accept("+-");
      this.acceptRun("0123456789_");
    }
    if (digits.length === 16 + 6 + 1 && this.accept("pP")) {
      this.accept("+-");
      this.acceptRun("0123456789_");
    }
    this.accept("i");
    const cp = this.peekCp();
    if (cp !== undefined && isAlphaNumeric(cp)) {
      this.nextCp();
      return false;
    }
    return true;
  }
}
