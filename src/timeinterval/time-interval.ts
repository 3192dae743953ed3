/**
 * Alertmanager 0.25 time intervals (`time_intervals` / `mute_time_intervals`): parsing with Alertmanager's
 * validation and messages, and evaluation of an instant in the interval's wall-clock time.
 */
import { ConfigError } from "../lib/errors.ts";

/**
 * The raw YAML shape. It mirrors `RawTimeInterval` in config/alertmanager-schema.ts structurally rather than
 * importing it, so this module depends on nothing but lib/errors (the config schema's type is assignable here).
 */
export interface TimeIntervalInput {
  readonly times?: ReadonlyArray<{ readonly start_time: string; readonly end_time: string }> | undefined;
  readonly weekdays?: readonly string[] | undefined;
  readonly days_of_month?: readonly string[] | undefined;
  readonly months?: readonly string[] | undefined;
  readonly years?: readonly string[] | undefined;
  readonly location?: string | undefined;
}

export type ConfigPathResolver = (path: ReadonlyArray<string | number>) => string;

declare const opaque: unique symbol;

/** A parsed interval; build it with parseTimeInterval and test instants with intervalContains. */
export interface TimeInterval {
  readonly [opaque]: "TimeInterval";
}

/** Inclusive for every field except `times`, whose end minute is exclusive. */
interface Range {
  readonly begin: number;
  readonly end: number;
}

type Zone = { readonly kind: "utc" } | { readonly kind: "intl"; readonly format: Intl.DateTimeFormat };

// `undefined` rather than `[]` for an omitted field: Alertmanager treats a present-but-empty list as a
// constraint nothing satisfies (yaml.v2 decodes `[]` to a non-nil slice), and only an absent one as "any".
interface ParsedInterval extends TimeInterval {
  readonly times: readonly Range[] | undefined;
  readonly weekdays: readonly Range[] | undefined;
  readonly daysOfMonth: readonly Range[] | undefined;
  readonly months: readonly Range[] | undefined;
  readonly years: readonly Range[] | undefined;
  readonly zone: Zone;
}

type Fail = (message: string) => never;

const WEEKDAYS: ReadonlyMap<string, number> = new Map(
  ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"].map((n, i) => [n, i]),
);
const MONTH_NAMES = [
  "january", "february", "march", "april", "may", "june",
  "july", "august", "september", "october", "november", "december",
] as const;
const MONTHS: ReadonlyMap<string, number> = new Map(MONTH_NAMES.map((n, i) => [n, i + 1]));

// Go's time-of-day pattern: two-digit hours and minutes, with 24:00 as the only hour-24 value.
const TIME_OF_DAY = /^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/;
// What Go's strconv.Atoi accepts, which is how Alertmanager reads numeric members.
const GO_INT = /^[+-]?[0-9]+$/;
const YEAR = /^[0-9]{4}$/;

/** Parses one raw interval; every error is a ConfigError located at the offending element. */
export function parseTimeInterval(raw: TimeIntervalInput, where: ConfigPathResolver): TimeInterval {
  const failAt = (path: ReadonlyArray<string | number>): Fail => (message) => {
    throw new ConfigError(message, where(path));
  };

  const times = raw.times?.map((t, i) => parseTimeRange(t.start_time, t.end_time, ["times", i], failAt));
  const weekdays = raw.weekdays?.map((s, i) => parseWeekdays(s, failAt(["weekdays", i])));
  const daysOfMonth = raw.days_of_month?.map((s, i) => parseDaysOfMonth(s, failAt(["days_of_month", i])));
  const months = raw.months?.map((s, i) => parseMonths(s, failAt(["months", i])));
  const years = raw.years?.map((s, i) => parseYears(s, failAt(["years", i])));
  const zone = loadZone(raw.location, failAt(["location"]));

  const parsed: Omit<ParsedInterval, typeof opaque> = { times, weekdays, daysOfMonth, months, years, zone };
  // The brand exists only in the type system; it keeps callers from building intervals that skipped validation.
  return parsed as ParsedInterval;
}

/** True when every field given in the interval matches the instant, read as wall-clock time in its location. */
export function intervalContains(ti: TimeInterval, atMs: number): boolean {
  const p = ti as ParsedInterval;
  const t = wallClock(p.zone, atMs);
  return (
    anyContains(p.times, (r) => t.minuteOfDay >= r.begin && t.minuteOfDay < r.end) &&
    anyContains(p.daysOfMonth, (r) => {
      // Negative days count back from the end of the month being evaluated (-1 = last day). Alertmanager then
      // clamps to ±daysInMonth, which never changes an inclusive comparison against a real day (1..daysInMonth):
      // a start past the month's end, or an end resolved below day 1, simply matches nothing.
      const begin = r.begin < 0 ? t.daysInMonth + r.begin + 1 : r.begin;
      const end = r.end < 0 ? t.daysInMonth + r.end + 1 : r.end;
      return t.day >= begin && t.day <= end;
    }) &&
    anyContains(p.months, (r) => t.month >= r.begin && t.month <= r.end) &&
    anyContains(p.weekdays, (r) => t.weekday >= r.begin && t.weekday <= r.end) &&
    anyContains(p.years, (r) => t.year >= r.begin && t.year <= r.end)
  );
}

/** Named interval lists, as referenced by a route's mute_time_intervals / active_time_intervals. */
export class TimeIntervalSet {
  readonly #intervals: ReadonlyMap<string, readonly TimeInterval[]>;

  constructor(intervals: ReadonlyMap<string, readonly TimeInterval[]>) {
    // Copied so that a later change to the caller's map cannot alter a loaded configuration.
    this.#intervals = new Map(intervals);
  }

  has(name: string): boolean {
    return this.#intervals.has(name);
  }

  /** Matches if any of the name's intervals matches. */
  contains(name: string, atMs: number): boolean {
    const list = this.#intervals.get(name);
    // Config loading rejects routes naming unknown intervals, so reaching this is a wiring bug; Alertmanager
    // fails the notification stage here too rather than guessing muted or not.
    if (!list) throw new Error(`time interval ${name} doesn't exist in config`);
    return list.some((ti) => intervalContains(ti, atMs));
  }
}

function anyContains(ranges: readonly Range[] | undefined, test: (r: Range) => boolean): boolean {
  return ranges === undefined || ranges.some(test);
}

// ---- parsing ----

function parseTimeRange(
  start: string,
  end: string,
  path: ReadonlyArray<string | number>,
  failAt: (path: ReadonlyArray<string | number>) => Fail,
): Range {
  if (start === "" || end === "") failAt(path)("both start and end times must be provided");
  const begin = parseTimeOfDay(start, failAt([...path, "start_time"]));
  const finish = parseTimeOfDay(end, failAt([...path, "end_time"]));
  if (begin >= finish) failAt(path)("start time cannot be equal or greater than end time");
  return { begin, end: finish };
}

function parseTimeOfDay(s: string, fail: Fail): number {
  if (!TIME_OF_DAY.test(s)) fail(`couldn't parse timestamp ${s}, invalid format`);
  return Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
}

/**
 * Alertmanager's "member" or "member:member" syntax. It lower-cases the whole token first, so names are
 * case-insensitive and error messages quote the lower-cased text.
 */
function parseRange(raw: string, fail: Fail, member: (s: string) => number): Range {
  const s = raw.toLowerCase();
  if (!s.includes(":")) {
    const v = member(s);
    return { begin: v, end: v };
  }
  const parts = s.split(":");
  if (parts.length !== 2) fail(`couldn't parse range ${s}, invalid format`);
  return { begin: member(parts[0] ?? ""), end: member(parts[1] ?? "") };
}

function parseWeekdays(raw: string, fail: Fail): Range {
  const r = parseRange(raw, fail, (s) => WEEKDAYS.get(s) ?? fail(`${s} is not a valid weekday`));
  // Weeks run Sunday..Saturday and ranges do not wrap, so "saturday:sunday" is rejected, as in Alertmanager.
  if (r.begin > r.end) fail("start day cannot be before end day");
  return r;
}

function parseDaysOfMonth(raw: string, fail: Fail): Range {
  const r = parseRange(raw, fail, (s) => (GO_INT.test(s) ? Number(s) : fail(`${s} is not a valid day of the month`)));
  for (const d of [r.begin, r.end]) {
    if (d === 0 || d < -31 || d > 31) fail(`${d} is not a valid day of the month: out of range`);
  }
  // A range from the end back to the start ("-3:5") would select different days in different months.
  if (r.begin < 0 && r.end > 0) fail("end day must be negative if start day is negative");
  // Month lengths are unknown here; resolving negatives against the shortest month (28 days) rejects only
  // ranges that are empty in every month, e.g. "10:-25" or "28:-1".
  const checkBegin = r.begin < 0 ? 28 + r.begin : r.begin;
  const checkEnd = r.end < 0 ? 28 + r.end : r.end;
  if (checkBegin > checkEnd) fail(`end day ${r.end} is always before start day ${r.begin}`);
  return r;
}

function parseMonths(raw: string, fail: Fail): Range {
  const r = parseRange(raw, fail, (s) => {
    const named = MONTHS.get(s);
    if (named !== undefined) return named;
    if (!GO_INT.test(s)) return fail(`${s} is not a valid month`);
    const n = Number(s);
    // Alertmanager 0.25 accepts e.g. 13 and then never matches it; rejecting it here surfaces the typo instead.
    if (n < 1 || n > 12) return fail(`${n} is not a valid month: out of range`);
    return n;
  });
  if (r.begin > r.end) fail(`end month ${monthName(r.end)} is before start month ${monthName(r.begin)}`);
  return r;
}

function monthName(n: number): string {
  return MONTH_NAMES[n - 1] ?? String(n);
}

function parseYears(raw: string, fail: Fail): Range {
  // Alertmanager reads any integer; four digits is what its documentation shows and all that can be meant.
  const r = parseRange(raw, fail, (s) => (YEAR.test(s) ? Number(s) : fail(`${s} is not a valid year`)));
  if (r.begin > r.end) fail(`end year ${r.end} is before start year ${r.begin}`);
  return r;
}

// ---- time zones ----

const UTC_ZONE: Zone = { kind: "utc" };
// One formatter per zone name: constructing an Intl.DateTimeFormat costs far more than formatting with it,
// and every interval naming the same location can share it.
const formatters = new Map<string, Intl.DateTimeFormat>();

function makeFormatter(timeZone: string | undefined): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat("en-US", {
    timeZone,
    // h23 so midnight is 00, never 24 as some hour12:false locales render it.
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
  });
}

/** Go's time.LoadLocation: "" and "UTC" are UTC, "Local" is the process's zone, anything else an IANA name. */
function loadZone(name: string | undefined, fail: Fail): Zone {
  if (name === undefined || name === "" || name === "UTC") return UTC_ZONE;
  const cached = formatters.get(name);
  if (cached) return { kind: "intl", format: cached };

  let format: Intl.DateTimeFormat;
  try {
    format = makeFormatter(name === "Local" ? undefined : name);
  } catch {
    return fail(`unknown time zone ${name}`);
  }
  const resolved = format.resolvedOptions().timeZone;
  // ICU matches zone names case-insensitively, but Go reads them as file names from a case-sensitive zoneinfo
  // tree, so Alertmanager rejects "europe/berlin"; do the same rather than accept a config it would refuse.
  if (name !== "Local" && resolved !== name && resolved.toLowerCase() === name.toLowerCase()) {
    return fail(`unknown time zone ${name}`);
  }
  formatters.set(name, format);
  return { kind: "intl", format };
}

// ---- evaluation ----

interface WallClock {
  readonly year: number;
  /** 1..12 */
  readonly month: number;
  readonly day: number;
  /** 0 = Sunday, as Go's time.Weekday. */
  readonly weekday: number;
  readonly minuteOfDay: number;
  readonly daysInMonth: number;
}

function wallClock(zone: Zone, atMs: number): WallClock {
  if (!Number.isFinite(atMs)) throw new RangeError(`invalid instant: ${atMs}`);
  if (zone.kind === "utc") {
    const d = new Date(atMs);
    const year = d.getUTCFullYear();
    const month = d.getUTCMonth() + 1;
    return {
      year,
      month,
      day: d.getUTCDate(),
      weekday: d.getUTCDay(),
      minuteOfDay: d.getUTCHours() * 60 + d.getUTCMinutes(),
      daysInMonth: daysInMonth(year, month),
    };
  }
  const f: Record<string, number> = {};
  for (const part of zone.format.formatToParts(atMs)) {
    if (part.type !== "literal") f[part.type] = Number(part.value);
  }
  const year = f["year"] ?? NaN;
  const month = f["month"] ?? NaN;
  const day = f["day"] ?? NaN;
  return {
    year,
    month,
    day,
    // Derived from the local calendar date rather than a formatted name, which would need a locale table.
    weekday: civilDate(year, month, day).getUTCDay(),
    minuteOfDay: (f["hour"] ?? NaN) * 60 + (f["minute"] ?? NaN),
    daysInMonth: daysInMonth(year, month),
  };
}

/**
 * Calendar length of the month. Alertmanager 0.25 divided the month's elapsed hours by 24, which loses a day
 * in months with a spring-forward DST change (March in Europe/Berlin "had" 30 days, so -1 matched the 30th);
 * upstream has since fixed that, and counting calendar days is what the documentation promises.
 */
function daysInMonth(year: number, month: number): number {
  return civilDate(year, month + 1, 0).getUTCDate();
}

// setUTCFullYear rather than Date.UTC, which maps years 0..99 to 1900..1999.
function civilDate(year: number, month: number, day: number): Date {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return d;
}
