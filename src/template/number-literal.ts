import { parseFloat64, parseInt64, parseUint, unquoteCharConstant, UnquoteError } from "./strconv.ts";

/**
 * What a numeric constant in a template can stand for. Go's parser records every reading that is valid
 * (an integer constant is also a float) and execution picks one by the type a function asks for.
 */
export interface NumberReadings {
  readonly isInt: boolean;
  readonly int: bigint;
  readonly isUint: boolean;
  readonly uint: bigint;
  readonly isFloat: boolean;
  readonly float: number;
  readonly isComplex: boolean;
  readonly re: number;
  readonly im: number;
}

const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

interface Mutable {
  isInt: boolean;
  int: bigint;
  isUint: boolean;
  uint: bigint;
  isFloat: boolean;
  float: number;
  isComplex: boolean;
  re: number;
  im: number;
}

function empty(): Mutable {
  return { isInt: false, int: 0n, isUint: false, uint: 0n, isFloat: false, float: 0, isComplex: false, re: 0, im: 0 };
}

/** A float with no fraction that fits int64/uint64 also reads as an integer (Go converts and compares back). */
function addIntegerReadings(n: Mutable, f: number): void {
  if (Number.isInteger(f) && f >= -TWO_63 && f < TWO_63 && !n.isInt) {
    n.isInt = true;
    n.int = BigInt(f);
  }
  if (Number.isInteger(f) && f >= 0 && f < TWO_64 && !n.isUint) {
    n.isUint = true;
    n.uint = BigInt(f);
  }
}

/** A complex constant with no imaginary part is also a float (and maybe an integer). */
function simplifyComplex(n: Mutable): void {
  if (n.im === 0) {
    n.isFloat = true;
    n.float = n.re;
    addIntegerReadings(n, n.re);
  }
}

const COMPLEX = /^([+-]?[^+-]+(?:[eEpP][+-]?[^+-]+)?)([+-][^+-]+(?:[eEpP][+-]?[^+-]+)?)i$/;

/**
 * Go's parse.newNumber: the readings of a number, complex or character constant, or the error message
 * the parser reports ("illegal number syntax: …", "integer overflow: …", "malformed character constant: …").
 */
export function readNumber(text: string, kind: "number" | "complex" | "charConstant"): NumberReadings | string {
  const n = empty();
  if (kind === "charConstant") {
    let value: number;
    let rest: string;
    try {
      ({ value, rest } = unquoteCharConstant(text));
    } catch (err) {
      if (err instanceof UnquoteError) return err.message;
      throw err;
    }
    if (rest !== "'") return `malformed character constant: ${text}`;
    const v = BigInt(value);
    return { ...n, isInt: true, int: v, isUint: true, uint: v, isFloat: true, float: value };
  }
  if (kind === "complex") {
    const m = COMPLEX.exec(text);
    const re = m ? parseFloat64(m[1] as string) : undefined;
    const im = m ? parseFloat64(m[2] as string) : undefined;
    if (re === undefined || im === undefined) return `expected integer`; // fmt.Sscan's complaint
    n.isComplex = true;
    n.re = re;
    n.im = im;
    simplifyComplex(n);
    return n;
  }
  // An imaginary constant is complex unless it is zero.
  if (text.endsWith("i")) {
    const f = parseFloat64(text.slice(0, -1));
    if (f !== undefined) {
      n.isComplex = true;
      n.im = f;
      simplifyComplex(n);
      return n;
    }
  }
  const u = parseUint(text);
  if (u !== undefined) {
    n.isUint = true;
    n.uint = u;
  }
  const i = parseInt64(text);
  if (i !== undefined) {
    n.isInt = true;
    n.int = i;
  }
  if (n.isInt) {
    n.isFloat = true;
    n.float = Number(n.int);
  } else if (n.isUint) {
    n.isFloat = true;
    n.float = Number(n.uint);
  } else {
    const f = parseFloat64(text);
    if (f !== undefined) {
      // Parsed as a float but looks like an integer: an integer too large for 64 bits.
      if (!/[.eEpP]/.test(text)) return `integer overflow: ${JSON.stringify(text)}`;
      n.isFloat = true;
      n.float = f;
      addIntegerReadings(n, f);
    }
  }
  if (!n.isInt && !n.isUint && !n.isFloat) return `illegal number syntax: ${JSON.stringify(text)}`;
  return n;
}
