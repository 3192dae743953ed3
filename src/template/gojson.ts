import { quote } from "./strconv.ts";

/**
 * JSON read the way Go 1.19's encoding/json reads it, for decoding template data files exactly as
 * `amtool template render --template.data` does: the whole input is checked first and a syntax error is
 * reported in Go's words; then the document is kept as a tree that preserves key order, duplicate keys
 * and each value's source bytes (Go hands a time.Time the raw bytes of whatever value it finds).
 */

export type JsonNode =
  | { readonly kind: "object"; readonly entries: ReadonlyArray<readonly [string, JsonNode]>; readonly raw: Uint8Array }
  | { readonly kind: "array"; readonly items: readonly JsonNode[]; readonly raw: Uint8Array }
  | { readonly kind: "string"; readonly value: string; readonly raw: Uint8Array }
  | { readonly kind: "number" | "bool" | "null"; readonly raw: Uint8Array };

/** Go's *json.SyntaxError, with its message. */
export class JsonSyntaxError extends Error {
  override readonly name = "JsonSyntaxError";
}

/** encoding/json's limit on nesting. */
const MAX_DEPTH = 10_000;

/** Go's quoteChar: the offending byte as a Go character literal. */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return "'\"'";
  const q = quote(String.fromCharCode(c));
  return "'" + q.slice(1, -1) + "'";
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** Parses bytes as one JSON document; throws JsonSyntaxError with Go's message. */
export function parseGoJson(bytes: Uint8Array): JsonNode {
  return new Parser(bytes).document();
}

class Parser {
  private i = 0;
  private depth = 0;

  constructor(private readonly b: Uint8Array) {}

  document(): JsonNode {
    this.skipSpace();
    const v = this.value();
    this.skipSpace();
    if (this.i < this.b.length) this.fail("after top-level value");
    return v;
  }

  private peek(): number {
    if (this.i >= this.b.length) throw new JsonSyntaxError("unexpected end of JSON input");
    return this.b[this.i] as number;
  }

  private fail(context: string): never {
    throw new JsonSyntaxError(`invalid character ${quoteChar(this.peek())} ${context}`);
  }

  private skipSpace(): void {
    while (this.i < this.b.length && isSpace(this.b[this.i] as number)) this.i++;
  }

  private value(): JsonNode {
    const c = this.peek();
    const start = this.i;
    switch (c) {
      case 0x7b:
        return this.object(start);
      case 0x5b:
        return this.array(start);
      case 0x22:
        return { kind: "string", value: this.string(), raw: this.b.subarray(start, this.i) };
      case 0x74:
        return this.literal("true", "bool", start);
      case 0x66:
        return this.literal("false", "bool", start);
      case 0x6e:
        return this.literal("null", "null", start);
      default:
        if (c === 0x2d || isDigit(c)) return this.number(start);
        return this.fail("looking for beginning of value");
    }
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw new JsonSyntaxError("exceeded max depth");
  }

  private object(start: number): JsonNode {
    this.enter();
    this.i++;
    const entries: Array<readonly [string, JsonNode]> = [];
    this.skipSpace();
    if (this.peek() === 0x7d) {
      this.i++;
    } else {
      for (;;) {
        if (this.peek() !== 0x22) this.fail("looking for beginning of object key string");
        const key = this.string();
        this.skipSpace();
        if (this.peek() !== 0x3a) this.fail("after object key");
        this.i++;
        this.skipSpace();
        entries.push([key, this.value()]);
        this.skipSpace();
        const c = this.peek();
        if (c === 0x7d) {
          this.i++;
          break;
        }
        if (c !== 0x2c) this.fail("after object key:value pair");
        this.i++;
        this.skipSpace();
      }
    }
    this.depth--;
    return { kind: "object", entries, raw: this.b.subarray(start, this.i) };
  }

  private array(start: number): JsonNode {
    this.enter();
    this.i++;
    const items: JsonNode[] = [];
    this.skipSpace();
    if (this.peek() === 0x5d) {
      this.i++;
    } else {
      for (;;) {
        items.push(this.value());
        this.skipSpace();
        const c = this.peek();
        if (c === 0x5d) {
          this.i++;
          break;
        }
        if (c !== 0x2c) this.fail("after array element");
        this.i++;
        this.skipSpace();
      }
    }
    this.depth--;
    return { kind: "array", items, raw: this.b.subarray(start, this.i) };
  }

  private literal(word: string, kind: "bool" | "null", start: number): JsonNode {
    this.i++;
    for (let k = 1; k < word.length; k++) {
      if (this.peek() !== word.charCodeAt(k)) this.fail(`in literal ${word} (expecting ${quoteChar(word.charCodeAt(k))})`);
      this.i++;
    }
    return { kind, raw: this.b.subarray(start, this.i) };
  }

  private number(start: number): JsonNode {
    if (this.b[this.i] === 0x2d) {
      this.i++;
      if (!isDigit(this.peek())) this.fail("in numeric literal");
    }
    if (this.b[this.i] === 0x30) this.i++;
    else while (this.i < this.b.length && isDigit(this.b[this.i] as number)) this.i++;
    if (this.b[this.i] === 0x2e) {
      this.i++;
      if (!isDigit(this.peek())) this.fail("after decimal point in numeric literal");
      while (this.i < this.b.length && isDigit(this.b[this.i] as number)) this.i++;
    }
    if (this.b[this.i] === 0x65 || this.b[this.i] === 0x45) {
      this.i++;
      if (this.peek() === 0x2b || this.peek() === 0x2d) this.i++;
      if (!isDigit(this.peek())) this.fail("in exponent of numeric literal");
      while (this.i < this.b.length && isDigit(this.b[this.i] as number)) this.i++;
    }
    return { kind: "number", raw: this.b.subarray(start, this.i) };
  }

  /** A string literal at the cursor, decoded as Go's unquote does. */
  private string(): string {
    this.i++;
    const from = this.i;
    for (;;) {
      const c = this.peek();
      if (c === 0x22) break;
      if (c < 0x20) this.fail("in string literal");
      if (c === 0x5c) {
        this.i++;
        const e = this.peek();
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            this.i++;
            if (!isHex(this.peek())) this.fail("in \\u hexadecimal character escape");
          }
        } else if (!"\"\\/bfnrt".includes(String.fromCharCode(e))) {
          this.fail("in string escape code");
        }
      }
      this.i++;
    }
    const body = this.b.subarray(from, this.i);
    this.i++;
    return unquote(body);
  }
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

function hex4(b: Uint8Array, at: number): number {
  return parseInt(String.fromCharCode(...b.subarray(at, at + 4)), 16);
}

/**
 * The body of a checked string literal: escapes resolved, a surrogate pair joined, a lone surrogate and
 * every byte that is not part of valid UTF-8 replaced by U+FFFD, one per byte as Go's utf8.DecodeRune does.
 */
function unquote(b: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    if (c === 0x5c) {
      const e = String.fromCharCode(b[i + 1] as number);
      if (e !== "u") {
        out += ESCAPES[e] ?? "";
        i += 2;
        continue;
      }
      let cp = hex4(b, i + 2);
      i += 6;
      if (cp >= 0xd800 && cp <= 0xdfff) {
        const low = b[i] === 0x5c && b[i + 1] === 0x75 ? hex4(b, i + 2) : -1;
        if (cp <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          i += 6;
        } else {
          cp = 0xfffd;
        }
      }
      out += String.fromCodePoint(cp);
      continue;
    }
    const [cp, size] = decodeRune(b, i);
    out += String.fromCodePoint(cp);
    i += size;
  }
  return out;
}

/** Go's utf8.DecodeRune: a code point and its size, or U+FFFD and 1 for anything invalid. */
function decodeRune(b: Uint8Array, i: number): [number, number] {
  const c0 = b[i] as number;
  if (c0 < 0x80) return [c0, 1];
  const cont = (k: number, lo = 0x80, hi = 0xbf): number => {
    const c = b[i + k];
    return c !== undefined && c >= lo && c <= hi ? c & 0x3f : -1;
  };
  if (c0 >= 0xc2 && c0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? [0xfffd, 1] : [((c0 & 0x1f) << 6) | c1, 2];
  }
  if (c0 >= 0xe0 && c0 <= 0xef) {
    const c1 = cont(1, c0 === 0xe0 ? 0xa0 : 0x80, c0 === 0xed ? 0x9f : 0xbf);
    const c2 = c1 < 0 ? -1 : cont(2);
    return c2 < 0 ? [0xfffd, 1] : [((c0 & 0x0f) << 12) | (c1 << 6) | c2, 3];
  }
  if (c0 >= 0xf0 && c0 <= 0xf4) {
    const c1 = cont(1, c0 === 0xf0 ? 0x90 : 0x80, c0 === 0xf4 ? 0x8f : 0xbf);
    const c2 = c1 < 0 ? -1 : cont(2);
    const c3 = c2 < 0 ? -1 : cont(3);
    return c3 < 0 ? [0xfffd, 1] : [((c0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, 4];
  }
  return [0xfffd, 1];
}
