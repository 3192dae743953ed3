import type { FloatVerb } from "./floatfmt.ts";
import { formatFloat } from "./floatfmt.ts";
import { canBackquote, quote, quoteRune, quoteToAscii } from "./strconv.ts";
import type { GoType, InvalidValue, MapValue, NilValue, SliceValue, Value } from "./types.ts";
import { compareStrings, isPrint, runeCount } from "./unicode.ts";

/**
 * The printing half of Go's fmt over template values: one operand with one verb and its flags, the
 * `%!verb(type=value)` complaints, and fmt's way of printing composites: `map[a:1 b:2]` with sorted keys,
 * `[a b]`, `{f1 f2}` / `{Name:f1}`, `<nil>`, and Stringers such as time.Time.
 */

export interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  widPresent: boolean;
  precPresent: boolean;
  wid: number;
  prec: number;
}

export function noFlags(): Flags {
  return { plus: false, minus: false, sharp: false, space: false, zero: false, plusV: false, sharpV: false, widPresent: false, precPresent: false, wid: 0, prec: 0 };
}

const LOWER = "0123456789abcdefx";
const UPPER = "0123456789ABCDEFX";

/** Whether fmt would see a nil interface{} here (no dynamic type). */
export function isNilArg(v: Value): v is InvalidValue | NilValue {
  return v.kind === "invalid" || v.kind === "nil";
}

// Kinds printed without looking for methods when they are the operand itself (fmt's fast path for the
// predeclared types); defined types such as time.Duration go through Stringer.
function hasMethods(t: GoType): boolean {
  return t.stringer !== undefined || t.goStringer !== undefined;
}

export class Printer {
  buf = "";
  /** The flags, width and precision of the verb being printed. */
  f: Flags = noFlags();
  private erroring = false;

  // ---- padding --------------------------------------------------------------------------------

  private padding(n: number): string {
    if (n <= 0) return "";
    return (this.f.zero ? "0" : " ").repeat(n);
  }

  private pad(s: string): void {
    if (!this.f.widPresent || this.f.wid === 0) {
      this.buf += s;
      return;
    }
    const width = this.f.wid - runeCount(s);
    this.buf += this.f.minus ? s + this.padding(width) : this.padding(width) + s;
  }

  // ---- operands -----------------------------------------------------------------------------

  printArg(arg: Value, verb: string): void {
    if (isNilArg(arg)) {
      if (verb === "T" || verb === "v") this.pad("<nil>");
      else this.badVerb(verb, arg);
      return;
    }
    if (verb === "T") {
      this.fmtS(arg.type.name);
      return;
    }
    if (verb === "p") {
      this.badVerb(verb, arg);
      return;
    }
    if (this.handleMethods(arg, verb)) return;
    this.printValue(arg, verb, 0);
  }

  /** Stringer (and GoStringer for %#v); never while printing a complaint. */
  private handleMethods(v: Value, verb: string): boolean {
    if (this.erroring || v.kind === "invalid" || !hasMethods(v.type)) return false;
    if (this.f.sharpV) {
      const gs = v.type.goStringer;
      if (gs === undefined) return false;
      this.fmtS(gs(v));
      return true;
    }
    const s = v.type.stringer;
    if (s === undefined || !"vsxXq".includes(verb)) return false;
    this.fmtString(s(v), verb, v);
    return true;
  }

  printValue(v: Value, verb: string, depth: number): void {
    if (depth > 0 && v.kind !== "invalid" && v.kind !== "nil" && this.handleMethods(v, verb)) return;
    switch (v.kind) {
      case "invalid":
        if (depth === 0) this.buf += "<invalid reflect.Value>";
        else if (verb === "v") this.buf += "<nil>";
        else this.badVerb(verb, v);
        return;
      case "nil":
        if (this.f.sharpV) this.buf += `${v.type.name}(nil)`;
        else this.buf += "<nil>";
        return;
      case "bool":
        if (verb === "t" || verb === "v") this.pad(v.v ? "true" : "false");
        else this.badVerb(verb, v);
        return;
      case "int":
      case "uint":
        this.fmtIntegerVerb(v.v, v.kind === "int", verb, v);
        return;
      case "float":
        this.fmtFloatVerb(v.v, verb, v);
        return;
      case "complex":
        if (!"vbgGxXfFeE".includes(verb)) {
          this.badVerb(verb, v);
          return;
        }
        {
          const plus = this.f.plus;
          this.buf += "(";
          this.fmtFloatVerb(v.re, verb, v);
          this.f.plus = true; // the imaginary part always has a sign
          this.fmtFloatVerb(v.im, verb, v);
          this.buf += "i)";
          this.f.plus = plus;
        }
        return;
      case "string":
        this.fmtString(v.v, verb, v);
        return;
      case "map":
        this.printMap(v, verb, depth);
        return;
      case "struct":
        if (this.f.sharpV) this.buf += v.type.name;
        this.buf += "{";
        v.v.forEach((field, i) => {
          if (i > 0) this.buf += this.f.sharpV ? ", " : " ";
          if (this.f.plusV || this.f.sharpV) this.buf += `${v.type.fields[i]?.name ?? ""}:`;
          this.printValue(field, verb, depth + 1);
        });
        this.buf += "}";
        return;
      case "time":
        // Go would print the struct's internals here (only reachable with verbs like %d); keep it readable.
        this.fmtS(v.type.stringer?.(v) ?? "");
        return;
      case "slice":
        this.printSlice(v, verb, depth);
        return;
    }
  }

  private printMap(v: MapValue, verb: string, depth: number): void {
    if (this.f.sharpV) {
      this.buf += v.type.name;
      if (v.isNil) {
        this.buf += "(nil)";
        return;
      }
      this.buf += "{";
    } else {
      this.buf += "map[";
    }
    const keys = [...v.v.keys()].sort(compareStrings);
    const keyType = v.type.key as GoType;
    keys.forEach((k, i) => {
      if (i > 0) this.buf += this.f.sharpV ? ", " : " ";
      this.printValue({ kind: "string", type: keyType, v: k }, verb, depth + 1);
      this.buf += ":";
      this.printValue(v.v.get(k) as Value, verb, depth + 1);
    });
    this.buf += this.f.sharpV ? "}" : "]";
  }

  private printSlice(v: SliceValue, verb: string, depth: number): void {
    if ("sqxX".includes(verb) && v.type.elem?.kind === "uint" && v.type.elem.bits === 8) {
      const bytes = Buffer.from(v.v.map((b) => (b.kind === "uint" ? Number(b.v) : 0)));
      if (verb === "s") this.fmtS(bytes.toString("utf8"));
      else if (verb === "q") this.fmtQ(bytes.toString("utf8"));
      else this.fmtSbx(bytes, verb === "X" ? UPPER : LOWER);
      return;
    }
    if (this.f.sharpV) {
      this.buf += v.type.name;
      if (v.isNil) {
        this.buf += "(nil)";
        return;
      }
      this.printElements(v.v, "{", ", ", "}", verb, depth);
      return;
    }
    this.printElements(v.v, "[", " ", "]", verb, depth);
  }

  /** `%#v` prints `{a, b}`, every other verb `[a b]`. */
  private printElements(elems: readonly Value[], open: string, sep: string, close: string, verb: string, depth: number): void {
    this.buf += open;
    elems.forEach((e, i) => {
      if (i > 0) this.buf += sep;
      this.printValue(e, verb, depth + 1);
    });
    this.buf += close;
  }

  /** `%!verb(type=value)`, printed without calling String methods. */
  private badVerb(verb: string, v: Value): void {
    this.erroring = true;
    this.buf += `%!${verb}(`;
    if (isNilArg(v)) this.buf += "<nil>";
    else {
      this.buf += `${v.type.name}=`;
      this.printValue(v, "v", 0);
    }
    this.buf += ")";
    this.erroring = false;
  }

  // ---- strings ------------------------------------------------------------------------------

  private truncate(s: string): string {
    if (!this.f.precPresent) return s;
    const runes = [...s];
    return runes.length > this.f.prec ? runes.slice(0, this.f.prec).join("") : s;
  }

  private fmtS(s: string): void {
    this.pad(this.truncate(s));
  }

  private fmtQ(s: string): void {
    s = this.truncate(s);
    if (this.f.sharp && canBackquote(s)) this.pad("`" + s + "`");
    else this.pad(this.f.plus ? quoteToAscii(s) : quote(s));
  }

  private fmtSbx(b: Uint8Array, digits: string): void {
    let length = b.length;
    if (this.f.precPresent && this.f.prec < length) length = this.f.prec;
    let width = 2 * length;
    if (width > 0) {
      if (this.f.space) {
        if (this.f.sharp) width *= 2;
        width += length - 1;
      } else if (this.f.sharp) {
        width += 2;
      }
    } else {
      if (this.f.widPresent) this.buf += this.padding(this.f.wid);
      return;
    }
    const padWidth = this.f.widPresent && this.f.wid > width ? this.f.wid - width : 0;
    if (!this.f.minus) this.buf += this.padding(padWidth);
    let s = "";
    if (this.f.sharp) s += "0" + digits[16];
    for (let i = 0; i < length; i++) {
      if (this.f.space && i > 0) {
        s += " ";
        if (this.f.sharp) s += "0" + digits[16];
      }
      const c = b[i] as number;
      s += (digits[c >> 4] as string) + (digits[c & 15] as string);
    }
    this.buf += s;
    if (this.f.minus) this.buf += this.padding(padWidth);
  }

  private fmtString(s: string, verb: string, v: Value): void {
    switch (verb) {
      case "v":
        if (this.f.sharpV) this.fmtQ(s);
        else this.fmtS(s);
        return;
      case "s":
        this.fmtS(s);
        return;
      case "x":
      case "X":
        this.fmtSbx(Buffer.from(s, "utf8"), verb === "X" ? UPPER : LOWER);
        return;
      case "q":
        this.fmtQ(s);
        return;
    }
    this.badVerb(verb, v);
  }

  // ---- numbers ------------------------------------------------------------------------------

  private fmtIntegerVerb(n: bigint, signed: boolean, verb: string, v: Value): void {
    switch (verb) {
      case "v":
        if (this.f.sharpV && !signed) {
          const sharp = this.f.sharp;
          this.f.sharp = true;
          this.fmtInteger(n, 16, false, verb, LOWER);
          this.f.sharp = sharp;
        } else {
          this.fmtInteger(n, 10, signed, verb, LOWER);
        }
        return;
      case "d":
        this.fmtInteger(n, 10, signed, verb, LOWER);
        return;
      case "b":
        this.fmtInteger(n, 2, signed, verb, LOWER);
        return;
      case "o":
      case "O":
        this.fmtInteger(n, 8, signed, verb, LOWER);
        return;
      case "x":
        this.fmtInteger(n, 16, signed, verb, LOWER);
        return;
      case "X":
        this.fmtInteger(n, 16, signed, verb, UPPER);
        return;
      case "c":
        this.pad(String.fromCodePoint(validRune(n)));
        return;
      case "q":
        this.pad(quoteRune(validRune(n), this.f.plus));
        return;
      case "U":
        this.fmtUnicode(n);
        return;
    }
    this.badVerb(verb, v);
  }

  private fmtInteger(n: bigint, base: number, signed: boolean, verb: string, digits: string): void {
    const negative = signed && n < 0n;
    let u = negative ? -n : n;
    if (!signed && u < 0n) u += 1n << 64n;
    let prec = 0;
    if (this.f.precPresent) {
      prec = this.f.prec;
      if (prec === 0 && u === 0n) {
        // Precision 0 and value 0 print nothing but the padding.
        const zero = this.f.zero;
        this.f.zero = false;
        this.buf += this.padding(this.f.wid);
        this.f.zero = zero;
        return;
      }
    } else if (this.f.zero && this.f.widPresent) {
      prec = this.f.wid;
      if (negative || this.f.plus || this.f.space) prec--; // room for the sign
    }
    let s = u.toString(base);
    if (digits === UPPER) s = s.toUpperCase();
    if (s.length < prec) s = "0".repeat(prec - s.length) + s;
    if (this.f.sharp) {
      if (base === 2) s = "0b" + s;
      else if (base === 8 && s[0] !== "0") s = "0" + s;
      else if (base === 16) s = "0" + digits[16] + s;
    }
    if (verb === "O") s = "0o" + s;
    if (negative) s = "-" + s;
    else if (this.f.plus) s = "+" + s;
    else if (this.f.space) s = " " + s;
    const zero = this.f.zero;
    this.f.zero = false;
    this.pad(s);
    this.f.zero = zero;
  }

  private fmtUnicode(n: bigint): void {
    let prec = 4;
    if (this.f.precPresent && this.f.prec > 4) prec = this.f.prec;
    let s = "U+" + (n < 0n ? n + (1n << 64n) : n).toString(16).toUpperCase().padStart(prec, "0");
    if (this.f.sharp && n >= 0n && n <= 0x10ffffn && isPrint(Number(n))) s += ` '${String.fromCodePoint(Number(n))}'`;
    const zero = this.f.zero;
    this.f.zero = false;
    this.pad(s);
    this.f.zero = zero;
  }

  private fmtFloatVerb(x: number, verb: string, v: Value): void {
    switch (verb) {
      case "v":
        this.fmtFloat(x, "g", -1);
        return;
      case "b": case "g": case "G": case "x": case "X":
        this.fmtFloat(x, verb, -1);
        return;
      case "f": case "e": case "E": case "F":
        this.fmtFloat(x, verb, 6);
        return;
    }
    this.badVerb(verb, v);
  }

  private fmtFloat(x: number, verb: FloatVerb, precIn: number): void {
    const prec = this.f.precPresent ? this.f.prec : precIn;
    let num = formatFloat(x, verb, prec);
    // Work with an explicit sign in front, as fmt does.
    if (num[0] !== "-" && num[0] !== "+") num = "+" + num;
    if (this.f.space && num[0] === "+" && !this.f.plus) num = " " + num.slice(1);
    if (num[1] === "I" || num[1] === "N") {
      // Infinities and NaN are never zero-padded; NaN loses its sign unless asked for.
      const zero = this.f.zero;
      this.f.zero = false;
      if (num[1] === "N" && !this.f.space && !this.f.plus) num = num.slice(1);
      this.pad(num);
      this.f.zero = zero;
      return;
    }
    if (this.f.sharp && verb !== "b") num = sharpFloat(num, verb, prec);
    if (this.f.plus || num[0] !== "+") {
      if (this.f.zero && this.f.widPresent && this.f.wid > num.length) {
        // Zero padding goes between the sign and the digits.
        this.buf += num[0] + this.padding(this.f.wid - num.length) + num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }
}

function validRune(n: bigint): number {
  return n < 0n || n > 0x10ffffn || (n >= 0xd800n && n <= 0xdfffn) ? 0xfffd : Number(n);
}

/** The # flag on floats: always a decimal point, and %g/%v keep their trailing zeros. */
function sharpFloat(num: string, verb: string, prec: number): string {
  let digits = 0;
  if ("vgGx".includes(verb)) digits = prec === -1 ? 6 : prec;
  let tail = "";
  let body = num;
  const cut = body.search(verb === "x" || verb === "X" ? /[pP]/ : /[eEpP]/);
  if (cut >= 0) {
    tail = body.slice(cut);
    body = body.slice(0, cut);
  }
  let hasPoint = false;
  let sawNonzero = false;
  for (let i = 1; i < body.length; i++) {
    const c = body[i] as string;
    if (c === ".") {
      hasPoint = true;
      continue;
    }
    if (c !== "0") sawNonzero = true;
    if (sawNonzero) digits--;
  }
  if (!hasPoint) {
    if (body.length === 2 && body[1] === "0") digits--;
    body += ".";
  }
  if (digits > 0) body += "0".repeat(digits);
  return body + tail;
}
