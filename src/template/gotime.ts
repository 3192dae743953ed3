import type { Timestamp } from "../types/time.ts";

/**
 * Go's time package as templates see it, on plain timestamps: the civil calendar in a time's own UTC
 * offset, Time.Format with Go layouts (Time.String is "2006-01-02 15:04:05.999999999 -0700 MST"), and
 * Duration.String. Zones: UTC is named "UTC"; other offsets are unnamed fixed zones printed as "+0200",
 * which is what Go gives times decoded from JSON. The Local zone is taken to be UTC.
 */

export const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
export const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export const NS_PER_MS = 1_000_000n;
export const NS_PER_SECOND = 1_000_000_000n;
/** Seconds from Go's zero time (0001-01-01 UTC) to the Unix epoch. */
export const ZERO_TO_UNIX_SECONDS = 62_135_596_800n;

// ---- instants and civil dates --------------------------------------------------------------------

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

export function floorMod(a: bigint, b: bigint): bigint {
  return a - floorDiv(a, b) * b;
}

export function unixNanos(t: Timestamp): bigint {
  return BigInt(t.ms) * NS_PER_MS + BigInt(t.subMsNanos);
}

export function fromUnixNanos(ns: bigint, offsetMinutes: number): Timestamp {
  return { ms: Number(floorDiv(ns, NS_PER_MS)), subMsNanos: Number(floorMod(ns, NS_PER_MS)), offsetMinutes };
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export interface Civil {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  weekday: number; // 0 = Sunday
  yday: number; // 1..366
}

/** The wall clock of t in its own zone. */
export function civil(t: Timestamp): Civil {
  const wallMs = t.ms + t.offsetMinutes * 60_000;
  const days = Math.floor(wallMs / 86_400_000);
  const msOfDay = wallMs - days * 86_400_000;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return {
    year,
    month,
    day,
    hour: Math.floor(msOfDay / 3_600_000),
    minute: Math.floor(msOfDay / 60_000) % 60,
    second: Math.floor(msOfDay / 1000) % 60,
    nanos: (msOfDay % 1000) * 1_000_000 + t.subMsNanos,
    weekday: (((days + 4) % 7) + 7) % 7,
    yday: days - daysFromCivil(year, 1, 1) + 1,
  };
}

/** Go's time.Date normalisation: months then days overflow into the next unit. */
export function fromCivil(year: number, month: number, day: number, c: Civil, offsetMinutes: number): Timestamp {
  const y = year + Math.floor((month - 1) / 12);
  const m = ((((month - 1) % 12) + 12) % 12) + 1;
  const days = daysFromCivil(y, m, 1) + day - 1;
  const wallMs = days * 86_400_000 + c.hour * 3_600_000 + c.minute * 60_000 + c.second * 1000 + Math.floor(c.nanos / 1_000_000);
  return { ms: wallMs - offsetMinutes * 60_000, subMsNanos: c.nanos % 1_000_000, offsetMinutes };
}

// ---- formatting ----------------------------------------------------------------------------------

function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, "0");
  return n < 0 ? `-${s}` : s;
}

function zoneName(t: Timestamp): string {
  return t.offsetMinutes === 0 ? "UTC" : "";
}

function numericZone(offsetMinutes: number, colon: boolean, minutes: boolean, seconds: boolean): string {
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  let s = sign + pad(Math.floor(abs / 60), 2);
  if (minutes) s += (colon ? ":" : "") + pad(abs % 60, 2);
  if (seconds) s += (colon ? ":" : "") + "00";
  return s;
}

type Std = (t: Timestamp, c: Civil) => string;

const hour12 = (c: Civil): number => (c.hour % 12 === 0 ? 12 : c.hour % 12);
const longMonth: Std = (_, c) => MONTHS[c.month - 1] as string;
const shortMonth: Std = (_, c) => (MONTHS[c.month - 1] as string).slice(0, 3);
const longDay: Std = (_, c) => DAYS[c.weekday] as string;
const shortDay: Std = (_, c) => (DAYS[c.weekday] as string).slice(0, 3);
const zoneAbbrev: Std = (t) => zoneName(t) || numericZone(t.offsetMinutes, false, true, false);
const ZERO_PADDED: Record<string, Std> = {
  "1": (_, c) => pad(c.month, 2),
  "2": (_, c) => pad(c.day, 2),
  "3": (_, c) => pad(hour12(c), 2),
  "4": (_, c) => pad(c.minute, 2),
  "5": (_, c) => pad(c.second, 2),
  "6": (_, c) => pad(c.year % 100, 2),
};
const zeroYearDay: Std = (_, c) => pad(c.yday, 3);
const hour24: Std = (_, c) => pad(c.hour, 2);
const numMonth: Std = (_, c) => String(c.month);
const longYear: Std = (_, c) => pad(c.year, 4);
const numDay: Std = (_, c) => String(c.day);
const underDay: Std = (_, c) => (c.day < 10 ? " " : "") + String(c.day);
const underYearDay: Std = (_, c) => String(c.yday).padStart(3, " ");
const numHour12: Std = (_, c) => String(hour12(c));
const numMinute: Std = (_, c) => String(c.minute);
const numSecond: Std = (_, c) => String(c.second);
const upperPM: Std = (_, c) => (c.hour >= 12 ? "PM" : "AM");
const lowerPM: Std = (_, c) => (c.hour >= 12 ? "pm" : "am");

const ZONES: readonly [string, boolean, boolean, boolean][] = [
  // suffix after "-" or "Z", colon, minutes, seconds; longest first
  ["070000", false, true, true],
  ["07:00:00", true, true, true],
  ["0700", false, true, false],
  ["07:00", true, true, false],
  ["07", false, false, false],
];

function zoneElement(iso: boolean, colon: boolean, minutes: boolean, seconds: boolean): Std {
  return (t) => (iso && t.offsetMinutes === 0 ? "Z" : numericZone(t.offsetMinutes, colon, minutes, seconds));
}

function startsWithLower(s: string, at: number): boolean {
  const c = s.charCodeAt(at);
  return c >= 0x61 && c <= 0x7a;
}

/** The layout element at layout[i], with its length, or undefined for literal text (Go's nextStdChunk). */
function elementAt(layout: string, i: number): [Std, number] | undefined {
  const rest = (s: string) => layout.startsWith(s, i);
  switch (layout[i]) {
    case "J":
      if (rest("January")) return [longMonth, 7];
      if (rest("Jan") && !startsWithLower(layout, i + 3)) return [shortMonth, 3];
      return undefined;
    case "M":
      if (rest("Monday")) return [longDay, 6];
      if (rest("Mon") && !startsWithLower(layout, i + 3)) return [shortDay, 3];
      if (rest("MST")) return [zoneAbbrev, 3];
      return undefined;
    case "0": {
      const padded = ZERO_PADDED[layout[i + 1] ?? ""];
      if (padded !== undefined) return [padded, 2];
      if (rest("002")) return [zeroYearDay, 3];
      return undefined;
    }
    case "1":
      return rest("15") ? [hour24, 2] : [numMonth, 1];
    case "2":
      return rest("2006") ? [longYear, 4] : [numDay, 1];
    case "_":
      // "_2006" is a literal underscore then the year: not an element here.
      if (rest("_2") && !rest("_2006")) return [underDay, 2];
      if (rest("__2")) return [underYearDay, 3];
      return undefined;
    case "3":
      return [numHour12, 1];
    case "4":
      return [numMinute, 1];
    case "5":
      return [numSecond, 1];
    case "P":
      return rest("PM") ? [upperPM, 2] : undefined;
    case "p":
      return rest("pm") ? [lowerPM, 2] : undefined;
    case "-":
    case "Z": {
      const iso = layout[i] === "Z";
      for (const [suffix, colon, minutes, seconds] of ZONES) {
        if (layout.startsWith(suffix, i + 1)) return [zoneElement(iso, colon, minutes, seconds), 1 + suffix.length];
      }
      return undefined;
    }
    case ".":
    case ",": {
      const d = layout[i + 1];
      if (d !== "0" && d !== "9") return undefined;
      let j = i + 1;
      while (layout[j] === d) j++;
      const next = layout.charCodeAt(j);
      if (next >= 0x30 && next <= 0x39) return undefined; // only a fraction when the digits end here
      const sep = layout[i] as string;
      const n = j - (i + 1);
      return [(_, c) => fraction(c.nanos, n, d === "9", sep), j - i];
    }
  }
  return undefined;
}

function fraction(nanos: number, n: number, trim: boolean, sep: string): string {
  if (trim && (n === 0 || nanos === 0)) return "";
  let digits = String(nanos).padStart(9, "0").slice(0, Math.min(n, 9));
  if (trim) digits = digits.replace(/0+$/, "");
  return digits === "" ? "" : sep + digits;
}

type Layout = readonly (string | Std)[];

const layouts = new Map<string, Layout>();
const LAYOUT_CACHE_LIMIT = 256;

/** Splits a layout into literal text and elements once; templates reuse a handful of layouts. */
function compileLayout(layout: string): Layout {
  const hit = layouts.get(layout);
  if (hit !== undefined) return hit;
  const parts: (string | Std)[] = [];
  let literal = "";
  let i = 0;
  while (i < layout.length) {
    const el = elementAt(layout, i);
    if (el === undefined) {
      literal += layout[i];
      i++;
      continue;
    }
    if (literal !== "") parts.push(literal);
    literal = "";
    parts.push(el[0]);
    i += el[1];
  }
  if (literal !== "") parts.push(literal);
  if (layouts.size >= LAYOUT_CACHE_LIMIT) layouts.delete(layouts.keys().next().value as string);
  layouts.set(layout, parts);
  return parts;
}

/** Time.Format(layout). */
export function formatTime(t: Timestamp, layout: string): string {
  const c = civil(t);
  let out = "";
  for (const part of compileLayout(layout)) out += typeof part === "string" ? part : part(t, c);
  return out;
}

export function timeString(t: Timestamp): string {
  return formatTime(t, "2006-01-02 15:04:05.999999999 -0700 MST");
}

// ---- durations -----------------------------------------------------------------------------------

/** The digits of v / 10^prec after the point, trailing zeros dropped (Go's fmtFrac). */
function frac(v: bigint, prec: number): [string, bigint] {
  let digits = "";
  let print = false;
  for (let i = 0; i < prec; i++) {
    const d = v % 10n;
    print = print || d !== 0n;
    if (print) digits = d.toString() + digits;
    v /= 10n;
  }
  return [print ? `.${digits}` : "", v];
}

/** Duration.String(): "1h2m3.5s", "1.5ms", "0s". */
export function durationString(d: bigint): string {
  if (d === 0n) return "0s";
  const neg = d < 0n;
  let u = neg ? -d : d;
  let s: string;
  if (u < NS_PER_SECOND) {
    let unit: string;
    let prec: number;
    if (u < 1000n) [unit, prec] = ["ns", 0];
    else if (u < 1_000_000n) [unit, prec] = ["µs", 3];
    else [unit, prec] = ["ms", 6];
    const [f, whole] = frac(u, prec);
    s = whole.toString() + f + unit;
  } else {
    const [f, seconds] = frac(u, 9);
    u = seconds;
    s = (u % 60n).toString() + f + "s";
    u /= 60n;
    if (u > 0n) {
      s = (u % 60n).toString() + "m" + s;
      u /= 60n;
      if (u > 0n) s = u.toString() + "h" + s;
    }
  }
  return neg ? `-${s}` : s;
}
