/**
 * Timestamps as Alertmanager 0.25 reads and writes them on its API.
 *
 * Input goes through go-openapi strfmt v0.21.3 `ParseDateTime`: Go's `time.Parse` is tried with each of
 * strfmt's layouts in turn, the first success wins, and a failure reports the LAST layout's error. Rather
 * than approximate that with a regular expression, this module interprets those layouts the way Go's
 * parser does, so acceptance, the parsed value and the error text all come out the same. Where Go versions
 * differ, it follows current Go (≥ 1.23), which matches the behaviour measured on the reference server
 * (fraction digits past the ninth are dropped rather than rejected).
 */

export interface Timestamp {
  /** Milliseconds since the Unix epoch (floor for times before 1970, i.e. ms is Math.floor of the exact instant in ms). */
  readonly ms: number;
  /** Nanoseconds below the millisecond, 0..999999. */
  readonly subMsNanos: number;
  /** Offset from UTC, in minutes, the time was written in. 0 prints as "Z". */
  readonly offsetMinutes: number;
}

/** A string Alertmanager would refuse as a date-time; the message is Go's `time.Parse` error text. */
export class TimeParseError extends Error {
  override readonly name = "TimeParseError";
}

const MS_PER_DAY = 86_400_000;
const NS_PER_MS = 1_000_000;

function timestamp(ms: number, subMsNanos: number, offsetMinutes: number): Timestamp {
  // One literal shape everywhere keeps these objects monomorphic for V8.
  return { ms, subMsNanos, offsetMinutes };
}

/** Go's zero time, 0001-01-01T00:00:00Z: what Alertmanager treats as "not set". */
export const ZERO_TIME: Timestamp = Object.freeze(timestamp(daysFromCivil(1, 1, 1) * MS_PER_DAY, 0, 0));

/** Same instant as Go's zero time, whatever offset it was written in (Go's `Time.IsZero`). */
export function isZeroTime(t: Timestamp): boolean {
  return t.ms === ZERO_TIME.ms && t.subMsNanos === 0;
}

/** A UTC timestamp from epoch milliseconds; a fractional part is kept as sub-millisecond nanoseconds. */
export function fromMillis(ms: number): Timestamp {
  if (!Number.isFinite(ms)) throw new RangeError(`not a finite time: ${ms}`);
  const whole = Math.floor(ms);
  const nanos = Math.round((ms - whole) * NS_PER_MS);
  // `+ 0` turns a -0 into 0 so equal instants are deep-equal.
  return nanos === NS_PER_MS ? timestamp(whole + 1, 0, 0) : timestamp(whole + 0, nanos, 0);
}

/** Shifts the instant; the offset it prints in and the sub-millisecond digits stay. */
export function addMillis(t: Timestamp, deltaMs: number): Timestamp {
  if (!Number.isFinite(deltaMs)) throw new RangeError(`not a finite duration: ${deltaMs}`);
  const whole = Math.floor(deltaMs);
  if (whole === deltaMs) return timestamp(t.ms + whole + 0, t.subMsNanos, t.offsetMinutes);
  const nanos = t.subMsNanos + Math.round((deltaMs - whole) * NS_PER_MS);
  const carry = nanos >= NS_PER_MS ? 1 : 0;
  return timestamp(t.ms + whole + carry, nanos - carry * NS_PER_MS, t.offsetMinutes);
}

/** Orders by instant only: the same moment written in two offsets compares equal. */
export function compareTime(a: Timestamp, b: Timestamp): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.subMsNanos !== b.subMsNanos) return a.subMsNanos < b.subMsNanos ? -1 : 1;
  return 0;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

/** The layout elements strfmt's layouts use (Go's "std" chunks), plus the trailing literal. */
type Element = "year" | "month" | "day" | "hour" | "minute" | "second" | "frac0" | "frac9" | "zone" | "zoneColon" | "end";

interface Chunk {
  /** Literal layout text before the element. */
  readonly prefix: string;
  readonly element: Element;
  /** The element as written in the layout, for "cannot parse … as …". */
  readonly text: string;
  /** Fraction digits of frac0/frac9 (frac0 demands exactly this many). */
  readonly digits: number;
  /** For "second": whether the layout's next element is a fraction, which decides who parses ".ddd". */
  readonly fractionFollows: boolean;
}

interface Layout {
  readonly text: string;
  readonly chunks: readonly Chunk[];
}

/** Splits a Go layout into elements, recognising only what strfmt's layouts contain; the rest is literal. */
function compileLayout(text: string): Layout {
  const chunks: Chunk[] = [];
  let literalFrom = 0;
  let i = 0;
  while (i < text.length) {
    const found = elementAt(text, i);
    if (found === undefined) {
      i++;
      continue;
    }
    const [element, length] = found;
    chunks.push({ prefix: text.slice(literalFrom, i), element, text: text.slice(i, i + length), digits: length - 1, fractionFollows: false });
    i += length;
    literalFrom = i;
  }
  chunks.push({ prefix: text.slice(literalFrom), element: "end", text: "", digits: 0, fractionFollows: false });
  return {
    text,
    chunks: chunks.map((c, k) => {
      const next = chunks[k + 1]?.element;
      return c.element === "second" ? { ...c, fractionFollows: next === "frac0" || next === "frac9" } : c;
    }),
  };
}

function elementAt(text: string, i: number): [Element, number] | undefined {
  if (text.startsWith("2006", i)) return ["year", 4];
  if (text.startsWith("15", i)) return ["hour", 2];
  if (text.startsWith("Z07:00", i)) return ["zoneColon", 6];
  if (text.startsWith("Z0700", i)) return ["zone", 5];
  const c = text[i];
  if (c === "0") {
    const twoDigit: Partial<Record<string, Element>> = { "1": "month", "2": "day", "4": "minute", "5": "second" };
    const element = twoDigit[text[i + 1] ?? ""];
    if (element !== undefined) return [element, 2];
    throw new Error(`layout element at ${i} of ${text} is not supported`);
  }
  if (c === "." || c === ",") {
    const digit = text[i + 1];
    if (digit !== "0" && digit !== "9") return undefined;
    let end = i + 1;
    while (text[end] === digit) end++;
    // As in Go, the run of 0s or 9s is a fraction only when no other digit follows it.
    if (isDigit(text, end)) return undefined;
    return [digit === "0" ? "frac0" : "frac9", end - i];
  }
  return undefined;
}

// strfmt v0.21.3 DateTimeFormats, in the order it tries them.
const LAYOUTS: readonly Layout[] = [
  "2006-01-02T15:04:05.000000Z07:00", // RFC3339Micro
  "2006-01-02T15:04:05.000000Z0700", // RFC3339MicroNoColon
  "2006-01-02T15:04:05.000Z07:00", // RFC3339Millis
  "2006-01-02T15:04:05.000Z0700", // RFC3339MillisNoColon
  "2006-01-02T15:04:05Z07:00", // time.RFC3339
  "2006-01-02T15:04:05.999999999Z07:00", // time.RFC3339Nano
  "2006-01-02T15:04:05", // ISO8601LocalTime
  "2006-01-02T15:04Z", // ISO8601TimeWithReducedPrecision: a literal Z, not a zone
  "2006-01-02T15:04", // ISO8601TimeWithReducedPrecisionLocaltime
  "2006-01-02 15:04:05", // ISO8601TimeUniversalSortableDateTimePattern
].map(compileLayout);

interface Parsed {
  readonly ok: true;
  readonly value: Timestamp;
}

/** Why a layout failed, kept unformatted: only the last layout's message is ever shown. */
interface Failure {
  readonly ok: false;
  readonly kind: "element" | "extra" | "range" | "day";
  /** Layout text that did not match (element), or what was out of range (range). */
  readonly what: string;
  /** Where in the input the unmatched text starts (element, extra). */
  readonly at: number;
}

function failure(kind: Failure["kind"], what: string, at: number): Failure {
  return { ok: false, kind, what, at };
}

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i); // NaN past the end, which compares false
  return c >= 48 && c <= 57;
}

function twoDigits(s: string, i: number): number {
  return isDigit(s, i) && isDigit(s, i + 1) ? (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48 : -1;
}

function isFractionSeparator(s: string, i: number): boolean {
  const c = s[i];
  return c === "." || c === ",";
}

const FRACTION_BAD = -1;
const FRACTION_NEGATIVE = -2;

/**
 * Go's parseNanoseconds over s[at, at+width): a separator then Go's atoi, which takes a sign, so ".+12"
 * passes where a three-digit fraction is required. Digits past the ninth are dropped.
 */
function fractionNanos(s: string, at: number, width: number): number {
  if (!isFractionSeparator(s, at)) return FRACTION_BAD;
  const end = at + Math.min(width, 10);
  let i = at + 1;
  let negative = false;
  if (s[i] === "+" || s[i] === "-") {
    negative = s[i] === "-";
    i++;
  }
  let n = 0;
  for (; i < end; i++) {
    if (!isDigit(s, i)) return FRACTION_BAD;
    n = n * 10 + s.charCodeAt(i) - 48;
  }
  if (negative && n !== 0) return FRACTION_NEGATIVE;
  for (let scale = Math.min(width, 10); scale < 10; scale++) n *= 10;
  return n;
}

/** Go's skip: literal bytes must match, and a space matches any run of spaces (or the end of input). */
function skipLiteral(s: string, at: number, literal: string): number {
  let k = 0;
  while (k < literal.length) {
    if (literal[k] === " ") {
      if (at < s.length && s[at] !== " ") return -1 - at;
      while (literal[k] === " ") k++;
      while (s[at] === " ") at++;
      continue;
    }
    if (at >= s.length || s[at] !== literal[k]) return -1 - at;
    k++;
    at++;
  }
  return at;
}

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(month: number, year: number): number {
  return month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/** One `time.Parse(layout, s)`, interpreted element by element as Go does. */
function parseWith(layout: Layout, s: string): Parsed | Failure {
  let at = 0;
  let year = 0;
  let month = -1;
  let day = -1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let nanos = 0;
  let offsetMinutes = 0;
  for (const c of layout.chunks) {
    const skipped = skipLiteral(s, at, c.prefix);
    if (skipped < 0) return failure("element", c.prefix, -1 - skipped);
    at = skipped;
    if (c.element === "end") {
      if (at < s.length) return failure("extra", "", at);
      break;
    }
    // Errors quote the input from where this element started.
    const hold = at;
    switch (c.element) {
      case "year": {
        // Exactly four digits (Go's atoi after a leading-digit check, so no sign).
        if (!(isDigit(s, at) && isDigit(s, at + 1) && isDigit(s, at + 2) && isDigit(s, at + 3))) return failure("element", c.text, hold);
        year = twoDigits(s, at) * 100 + twoDigits(s, at + 2);
        at += 4;
        break;
      }
      case "month": {
        month = twoDigits(s, at);
        if (month < 0) return failure("element", c.text, hold);
        at += 2;
        if (month < 1 || month > 12) return failure("range", "month", at);
        break;
      }
      case "day": {
        // Validated against the month and year once everything is parsed, as Go does.
        day = twoDigits(s, at);
        if (day < 0) return failure("element", c.text, hold);
        at += 2;
        break;
      }
      case "hour": {
        // "15" takes one or two digits.
        if (!isDigit(s, at)) return failure("element", c.text, hold);
        hour = s.charCodeAt(at) - 48;
        at++;
        if (isDigit(s, at)) {
          hour = hour * 10 + s.charCodeAt(at) - 48;
          at++;
        }
        if (hour >= 24) return failure("range", "hour", at);
        break;
      }
      case "minute": {
        minute = twoDigits(s, at);
        if (minute < 0) return failure("element", c.text, hold);
        at += 2;
        if (minute >= 60) return failure("range", "minute", at);
        break;
      }
      case "second": {
        second = twoDigits(s, at);
        if (second < 0) return failure("element", c.text, hold);
        at += 2;
        if (second >= 60) return failure("range", "second", at);
        // Go takes a fraction after the seconds even when the layout has none.
        if (!c.fractionFollows && isFractionSeparator(s, at) && isDigit(s, at + 1)) {
          let end = at + 2;
          while (isDigit(s, end)) end++;
          nanos = fractionNanos(s, at, end - at);
          at = end;
        }
        break;
      }
      case "frac0": {
        const width = 1 + c.digits;
        if (s.length - at < width) return failure("element", c.text, hold);
        const n = fractionNanos(s, at, width);
        at += width;
        if (n === FRACTION_NEGATIVE) return failure("range", "fractional second", at);
        if (n === FRACTION_BAD) return failure("element", c.text, hold);
        nanos = n;
        break;
      }
      case "frac9": {
        // Optional, and takes every digit offered.
        if (!(isFractionSeparator(s, at) && isDigit(s, at + 1))) break;
        let end = at + 2;
        while (isDigit(s, end)) end++;
        nanos = fractionNanos(s, at, end - at);
        at = end;
        break;
      }
      case "zone":
      case "zoneColon": {
        if (s[at] === "Z") {
          at++;
          offsetMinutes = 0;
          break;
        }
        const colon = c.element === "zoneColon";
        const width = colon ? 6 : 5;
        if (s.length - at < width || (colon && s[at + 3] !== ":")) return failure("element", c.text, hold);
        const sign = s[at];
        let hours = twoDigits(s, at + 1);
        let minutes = hours < 0 ? -1 : twoDigits(s, at + (colon ? 4 : 3));
        const bad = hours < 0 || minutes < 0 || (sign !== "+" && sign !== "-");
        hours = Math.max(hours, 0);
        minutes = Math.max(minutes, 0);
        at += width;
        // Go ≥ 1.23 bounds offsets loosely (">" not ">="): 24 hours or 60 minutes still pass.
        if (minutes > 60) return failure("range", "time zone offset minute", at);
        if (hours > 24) return failure("range", "time zone offset hour", at);
        if (bad) return failure("element", c.text, hold);
        const total = hours * 60 + minutes;
        offsetMinutes = sign === "-" ? 0 - total : total;
        break;
      }
    }
  }
  if (month < 0) month = 1;
  if (day < 0) day = 1;
  if (day < 1 || day > daysIn(month, year)) return failure("day", "", at);
  const msOfSecond = Math.floor(nanos / NS_PER_MS);
  const wall = daysFromCivil(year, month, day) * MS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1000 + msOfSecond;
  return { ok: true, value: timestamp(wall - offsetMinutes * 60_000, nanos - msOfSecond * NS_PER_MS, offsetMinutes) };
}

/** Go's ParseError.Error() for a failure of `layout` on `s`. */
function describe(f: Failure, layout: Layout, s: string): string {
  switch (f.kind) {
    case "element":
      return `parsing time ${goTimeQuote(s)} as ${goTimeQuote(layout.text)}: cannot parse ${goTimeQuote(s.slice(f.at))} as ${goTimeQuote(f.what)}`;
    case "extra":
      return `parsing time ${goTimeQuote(s)}: extra text: ${goTimeQuote(s.slice(f.at))}`;
    case "range":
      return `parsing time ${goTimeQuote(s)}: ${f.what} out of range`;
    case "day":
      return `parsing time ${goTimeQuote(s)}: day out of range`;
  }
}

const HEX = "0123456789abcdef";

/**
 * The time package's own quote (not strconv.Quote): `"` and `\` are escaped, and every byte of a control
 * or non-ASCII character is written as \xNN of its UTF-8 encoding.
 */
function goTimeQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0x20 && cp < 0x80) {
      out += cp === 0x22 || cp === 0x5c ? "\\" + s[i] : s[i];
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    // A lone surrogate is what Go's JSON decoder turns into U+FFFD.
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    for (const byte of utf8Bytes(cp)) out += "\\x" + HEX[byte >> 4] + HEX[byte & 15];
  }
  return out + '"';
}

function utf8Bytes(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

/**
 * A date-time as Alertmanager's API accepts it (strfmt.DateTime): the offset and nanoseconds are kept.
 * Like strfmt, an empty string is the Unix epoch, not an error.
 */
export function parseApiTime(s: string): Timestamp {
  if (s === "") return timestamp(0, 0, 0);
  let last: Failure | undefined;
  for (const layout of LAYOUTS) {
    const r = parseWith(layout, s);
    if (r.ok) return r.value;
    last = r;
  }
  const lastLayout = LAYOUTS[LAYOUTS.length - 1];
  if (last === undefined || lastLayout === undefined) throw new Error("no date-time layouts");
  throw new TimeParseError(describe(last, lastLayout, s));
}

/** time.Time.UnmarshalJSON's layout in Go ≤ 1.19: RFC 3339 between the quotes, over the raw JSON bytes. */
const JSON_LAYOUT = compileLayout('"2006-01-02T15:04:05Z07:00"');

/**
 * A time.Time as Go 1.19's encoding/json decodes it (what amtool reads data files with): `raw` is the JSON
 * value's source text, quotes included, parsed with the RFC 3339 layout in quotes; throws TimeParseError
 * with Go's message for anything else (a number, an object, escapes inside the string, …).
 */
export function parseGoJsonTime(raw: string): Timestamp {
  const r = parseWith(JSON_LAYOUT, raw);
  if (!r.ok) throw new TimeParseError(describe(r, JSON_LAYOUT, raw));
  return r.value;
}

// ---------------------------------------------------------------------------------------------------------
// Formatting

/** Days since 1970-01-01 of a proleptic Gregorian date, counted in 400-year eras starting each March. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year; // the year a March-based year starts in
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Calendar date of a count of days since 1970-01-01; the inverse of daysFromCivil. */
function civilFromDays(days: number): [number, number, number] {
  const shifted = days + 719_468; // days since 0000-03-01
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  // Remove the leap days before this day to find its year within the era.
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => (n < 10 ? "0" : "") + n);

function pad2(n: number): string {
  return TWO_DIGITS[n] ?? String(n);
}

/** Go's appendInt(year, 4): zero-padded to four digits, a minus sign before negative years. */
function goYear(year: number): string {
  const abs = Math.abs(year);
  const digits = abs < 10 ? "000" + abs : abs < 100 ? "00" + abs : abs < 1000 ? "0" + abs : String(abs);
  return year < 0 ? "-" + digits : digits;
}

/** "YYYY-MM-DDTHH:MM:SS" on the wall clock of t's own offset. */
function wallClockToSeconds(t: Timestamp): string {
  const wall = t.ms + t.offsetMinutes * 60_000;
  const days = Math.floor(wall / MS_PER_DAY);
  const msOfDay = wall - days * MS_PER_DAY;
  const [year, month, day] = civilFromDays(days);
  const hour = Math.floor(msOfDay / 3_600_000);
  const minute = Math.floor(msOfDay / 60_000) % 60;
  const second = Math.floor(msOfDay / 1000) % 60;
  return goYear(year) + "-" + pad2(month) + "-" + pad2(day) + "T" + pad2(hour) + ":" + pad2(minute) + ":" + pad2(second);
}

/** Go's "Z07:00": Z for a zero offset, else ±hh:mm. */
function zone(offsetMinutes: number): string {
  if (offsetMinutes === 0) return "Z";
  const abs = Math.abs(offsetMinutes);
  return (offsetMinutes < 0 ? "-" : "+") + pad2(Math.floor(abs / 60)) + ":" + pad2(abs % 60);
}

/** Milliseconds within the second, 0..999, also for instants before 1970. */
function msOfSecond(t: Timestamp): number {
  return t.ms - Math.floor(t.ms / 1000) * 1000;
}

/** Alertmanager's API output (strfmt MarshalFormat "2006-01-02T15:04:05.000Z07:00"): milliseconds, truncated. */
export function formatApiTime(t: Timestamp): string {
  const ms = msOfSecond(t);
  return wallClockToSeconds(t) + "." + (ms < 10 ? "00" : ms < 100 ? "0" : "") + ms + zone(t.offsetMinutes);
}

/** Go's time.RFC3339Nano: up to nine fraction digits, trailing zeros and a bare dot dropped. */
export function formatRfc3339Nano(t: Timestamp): string {
  const nanos = msOfSecond(t) * NS_PER_MS + t.subMsNanos;
  if (nanos === 0) return wallClockToSeconds(t) + zone(t.offsetMinutes);
  let digits = String(nanos).padStart(9, "0");
  let end = 9;
  while (digits.charCodeAt(end - 1) === 48) end--;
  digits = digits.slice(0, end);
  return wallClockToSeconds(t) + "." + digits + zone(t.offsetMinutes);
}
