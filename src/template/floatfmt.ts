/**
 * strconv.FormatFloat for float64: %e, %f, %g (shortest or with a precision), %b and %x. Fixed-precision
 * output is rounded half-to-even on the exact binary value, as Go does ("%.2f" of 0.125 is "0.12", of
 * 1.005 is "1.00"); JavaScript's toFixed rounds ties away from zero, so digits are computed here exactly.
 */

/** value = 0.d1d2d3… × 10^dp; no trailing zeros; "" is zero. */
interface Decimal {
  digits: string;
  dp: number;
}

const view = new DataView(new ArrayBuffer(8));

function bitsOf(x: number): { neg: boolean; mant: bigint; exp: number } {
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const neg = bits >> 63n === 1n;
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) exp = 1; // subnormal
  else mant |= 1n << 52n;
  // value = mant × 2^(exp - 1075)
  return { neg, mant, exp: exp - 1023 };
}

function trimZeros(d: Decimal): Decimal {
  let n = d.digits.length;
  while (n > 0 && d.digits[n - 1] === "0") n--;
  return n === d.digits.length ? d : { digits: d.digits.slice(0, n), dp: n === 0 ? 0 : d.dp };
}

function exactDecimal(x: number): Decimal {
  const { mant, exp } = bitsOf(x);
  if (mant === 0n) return { digits: "", dp: 0 };
  const e2 = exp - 52;
  if (e2 >= 0) {
    const s = (mant << BigInt(e2)).toString();
    return trimZeros({ digits: s, dp: s.length });
  }
  const s = (mant * 5n ** BigInt(-e2)).toString();
  return trimZeros({ digits: s, dp: s.length + e2 });
}

function shortestDecimal(x: number): Decimal {
  if (x === 0) return { digits: "", dp: 0 };
  // toExponential() without an argument gives the shortest digits that read back as x.
  const [m, e] = Math.abs(x).toExponential().split("e") as [string, string];
  return trimZeros({ digits: m.replace(".", ""), dp: Number(e) + 1 });
}

/** Keeps nd digits, rounding half to even; nd outside 0..len leaves the value unchanged (as Go's decimal.Round). */
function round(d: Decimal, nd: number): Decimal {
  if (nd < 0 || nd >= d.digits.length) return d;
  const c = d.digits[nd] as string;
  let up: boolean;
  if (c === "5" && nd + 1 === d.digits.length) up = nd > 0 && Number(d.digits[nd - 1]) % 2 === 1;
  else up = c >= "5";
  if (!up) return trimZeros({ digits: d.digits.slice(0, nd), dp: d.dp });
  let i = nd - 1;
  while (i >= 0 && d.digits[i] === "9") i--;
  if (i < 0) return { digits: "1", dp: d.dp + 1 };
  return { digits: d.digits.slice(0, i) + String(Number(d.digits[i]) + 1), dp: d.dp };
}

function fmtE(neg: boolean, d: Decimal, prec: number, e: string): string {
  let s = neg ? "-" : "";
  s += d.digits.length > 0 ? (d.digits[0] as string) : "0";
  if (prec > 0) {
    s += ".";
    const more = d.digits.slice(1, Math.min(d.digits.length, prec + 1));
    s += more + "0".repeat(prec - more.length);
  }
  let exp = d.digits.length === 0 ? 0 : d.dp - 1;
  s += e + (exp < 0 ? "-" : "+");
  exp = Math.abs(exp);
  return s + (exp < 10 ? `0${exp}` : String(exp));
}

function fmtF(neg: boolean, d: Decimal, prec: number): string {
  let s = neg ? "-" : "";
  if (d.dp > 0) {
    const m = Math.min(d.digits.length, d.dp);
    s += d.digits.slice(0, m) + "0".repeat(d.dp - m);
  } else {
    s += "0";
  }
  if (prec > 0) {
    s += ".";
    for (let i = 0; i < prec; i++) {
      const j = d.dp + i;
      s += j >= 0 && j < d.digits.length ? d.digits[j] : "0";
    }
  }
  return s;
}

/** %b: decimal mantissa "p" binary exponent. */
function fmtB(neg: boolean, mant: bigint, exp: number): string {
  return `${neg ? "-" : ""}${mant}p${exp - 52 >= 0 ? "+" : "-"}${Math.abs(exp - 52)}`;
}

/** %x / %X: hexadecimal mantissa with a binary exponent, e.g. 0x1.8p+00. */
function fmtX(neg: boolean, mantIn: bigint, expIn: number, prec: number, upper: boolean): string {
  let mant = mantIn;
  let exp = mant === 0n ? 0 : expIn;
  const ONE = 1n << 60n;
  mant <<= 8n; // leading bit of a normal mantissa at 1<<60
  while (mant !== 0n && (mant & ONE) === 0n) {
    mant <<= 1n;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & (ONE - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  let s = `${neg ? "-" : ""}0${upper ? "X" : "x"}${(mant >> 60n) & 1n}`;
  mant = (mant << 4n) & ((1n << 64n) - 1n);
  const digit = (): string => {
    const h = hex[Number((mant >> 60n) & 15n)] as string;
    mant = (mant << 4n) & ((1n << 64n) - 1n);
    return h;
  };
  if (prec < 0 && mant !== 0n) {
    s += ".";
    while (mant !== 0n) s += digit();
  } else if (prec > 0) {
    s += ".";
    for (let i = 0; i < prec; i++) s += digit();
  }
  s += (upper ? "P" : "p") + (exp < 0 ? "-" : "+");
  const a = Math.abs(exp);
  return s + (a < 10 ? `0${a}` : String(a));
}

export type FloatVerb = "e" | "E" | "f" | "F" | "g" | "G" | "b" | "x" | "X";

/** strconv.FormatFloat(x, verb, prec, 64); prec -1 means the shortest representation. */
export function formatFloat(x: number, verb: FloatVerb, prec: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "+Inf";
  if (x === -Infinity) return "-Inf";
  const { neg, mant, exp } = bitsOf(x);
  if (verb === "b") return fmtB(neg, mant, exp);
  if (verb === "x" || verb === "X") return fmtX(neg, mant, exp, prec, verb === "X");
  const v = verb === "F" ? "f" : verb;
  const shortest = prec < 0;
  let d: Decimal;
  if (shortest) {
    d = shortestDecimal(Math.abs(x));
    prec = v === "e" || v === "E" ? Math.max(d.digits.length - 1, 0) : v === "f" ? Math.max(d.digits.length - d.dp, 0) : d.digits.length;
  } else {
    d = exactDecimal(Math.abs(x));
    if (v === "e" || v === "E") d = round(d, prec + 1);
    else if (v === "f") d = round(d, d.dp + prec);
    else {
      if (prec === 0) prec = 1;
      d = round(d, prec);
    }
  }
  switch (v) {
    case "e":
    case "E":
      return fmtE(neg, d, prec, v);
    case "f":
      return fmtF(neg, d, prec);
    default: {
      let eprec = prec;
      if (eprec > d.digits.length && d.digits.length >= d.dp) eprec = d.digits.length;
      // The shortest form switches to an exponent from 1e+06 (or below 1e-04), like %e would.
      if (shortest) eprec = 6;
      const e = d.dp - 1;
      if (e < -4 || e >= eprec) {
        if (prec > d.digits.length) prec = d.digits.length;
        return fmtE(neg, d, prec - 1, v === "g" ? "e" : "E");
      }
      if (prec > d.dp) prec = d.digits.length;
      return fmtF(neg, d, Math.max(prec - d.dp, 0));
    }
  }
}
