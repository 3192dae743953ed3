import type { Timestamp } from "../types/time.ts";
import { civil, DAYS, durationString, floorDiv, floorMod, formatTime, fromCivil, fromUnixNanos, MONTHS, NS_PER_MS, NS_PER_SECOND, timeString, unixNanos, ZERO_TO_UNIX_SECONDS } from "./gotime.ts";
import type { Method, Param, TimeValue, Value } from "./types.ts";
import { bool, BYTES, defineType, float, FLOAT64, GoError, int, INT, INT64, slice, str, STRING, uint, UINT8 } from "./types.ts";

/**
 * time.Time, time.Duration, time.Month and time.Weekday as Go values: their types, how fmt prints them
 * (Stringers), and the methods templates call (.Format, .Unix, .Sub, .Hours, …).
 */

export const TIME = defineType({
  kind: "struct",
  name: "time.Time",
  // Only for "X is an unexported field of struct type time.Time"; values of this type are opaque.
  fields: [
    { name: "wall", type: INT64, exported: false },
    { name: "ext", type: INT64, exported: false },
    { name: "loc", type: INT64, exported: false },
  ],
  comparable: true,
});
export const DURATION = defineType({ kind: "int", name: "time.Duration", underlying: "int64", bits: 64 });
export const MONTH = defineType({ kind: "int", name: "time.Month", underlying: "int", bits: 64 });
export const WEEKDAY = defineType({ kind: "int", name: "time.Weekday", underlying: "int", bits: 64 });

export function timeValue(t: Timestamp): TimeValue {
  return { kind: "time", type: TIME, v: t };
}

DURATION.stringer = (v) => durationString(v.kind === "int" ? v.v : 0n);
MONTH.stringer = (v) => {
  const n = v.kind === "int" ? Number(v.v) : 0;
  return n >= 1 && n <= 12 ? (MONTHS[n - 1] as string) : `%!Month(${n})`;
};
WEEKDAY.stringer = (v) => {
  const n = v.kind === "int" ? Number(v.v) : 0;
  return n >= 0 && n <= 6 ? (DAYS[n] as string) : `%!Weekday(${n})`;
};
TIME.stringer = (v) => (v.kind === "time" ? timeString(v.v) + monotonicSuffix(v.mono) : "");

/** Go's Time.String tail for a time with a monotonic reading: " m=±<seconds>.<nine digits>". */
function monotonicSuffix(mono: bigint | undefined): string {
  if (mono === undefined) return "";
  const abs = mono < 0n ? -mono : mono;
  return ` m=${mono < 0n ? "-" : "+"}${abs / NS_PER_SECOND}.${String(abs % NS_PER_SECOND).padStart(9, "0")}`;
}
TIME.goStringer = (v) => {
  if (v.kind !== "time") return "";
  const c = civil(v.v);
  const loc = v.v.offsetMinutes !== 0 ? 'time.Location("")' : v.local === true ? "time.Local" : "time.UTC";
  return `time.Date(${c.year}, time.${MONTHS[c.month - 1]}, ${c.day}, ${c.hour}, ${c.minute}, ${c.second}, ${c.nanos}, ${loc})`;
};

// ---- methods -------------------------------------------------------------------------------------

function method(params: readonly Param[], call: (recv: Value, args: readonly Value[]) => Value, results = 1, returnsError = false): Method {
  return { params, variadic: false, results, returnsError, call };
}

function recvTime(v: Value): Timestamp {
  if (v.kind !== "time") throw new GoError("not a time.Time");
  return v.v;
}

function intArg(v: Value | undefined): bigint {
  return v !== undefined && v.kind === "int" ? v.v : 0n;
}

const MAX_DURATION = (1n << 63n) - 1n;
const MIN_DURATION = -(1n << 63n);

/** Durations are int64 nanoseconds; Time.Sub saturates rather than overflowing (zero times do). */
function saturate(d: bigint): bigint {
  return d > MAX_DURATION ? MAX_DURATION : d < MIN_DURATION ? MIN_DURATION : d;
}

function lessThanHalf(x: bigint, y: bigint): boolean {
  return x + x < y;
}

/** Remainder of t since Go's zero time, divided by d (non-negative), as Go's Round and Truncate use. */
function remainder(t: Timestamp, d: bigint): bigint {
  return floorMod(unixNanos(t) + ZERO_TO_UNIX_SECONDS * NS_PER_SECOND, d);
}

function withNanos(t: Timestamp, ns: bigint): TimeValue {
  return timeValue(fromUnixNanos(ns, t.offsetMinutes));
}

function recvValue(v: Value): TimeValue {
  if (v.kind !== "time") throw new GoError("not a time.Time");
  return v;
}

/** Nanoseconds between two times: by their monotonic readings when both have one, as Go does. */
function between(a: Value, b: Value): bigint {
  const x = recvValue(a);
  const y = recvValue(b);
  if (x.mono !== undefined && y.mono !== undefined) return x.mono - y.mono;
  return unixNanos(x.v) - unixNanos(y.v);
}

/** Time.Add: the monotonic reading moves with the wall clock; the zone stays. */
function added(r: Value, d: bigint): TimeValue {
  const t = recvValue(r);
  const moved = withNanos(t.v, unixNanos(t.v) + d);
  return { ...moved, ...(t.mono !== undefined ? { mono: t.mono + d } : {}), ...(t.local === true ? { local: true } : {}) };
}

const multi = (n: number) => method([], () => str(""), n);

const timeMethods: Record<string, Method> = {
  Add: method([DURATION], (r, [d]) => added(r, intArg(d))),
  AddDate: method([INT, INT, INT], (r, [y, m, d]) => {
    const t = recvTime(r);
    const c = civil(t);
    return timeValue(fromCivil(c.year + Number(intArg(y)), c.month + Number(intArg(m)), c.day + Number(intArg(d)), c, t.offsetMinutes));
  }),
  After: method([TIME], (r, [u]) => bool(between(r, u as Value) > 0n)),
  Before: method([TIME], (r, [u]) => bool(between(r, u as Value) < 0n)),
  Equal: method([TIME], (r, [u]) => bool(between(r, u as Value) === 0n)),
  Day: method([], (r) => int(civil(recvTime(r)).day)),
  Hour: method([], (r) => int(civil(recvTime(r)).hour)),
  Minute: method([], (r) => int(civil(recvTime(r)).minute)),
  Second: method([], (r) => int(civil(recvTime(r)).second)),
  Nanosecond: method([], (r) => int(civil(recvTime(r)).nanos)),
  Year: method([], (r) => int(civil(recvTime(r)).year)),
  YearDay: method([], (r) => int(civil(recvTime(r)).yday)),
  Month: method([], (r) => int(civil(recvTime(r)).month, MONTH)),
  Weekday: method([], (r) => int(civil(recvTime(r)).weekday, WEEKDAY)),
  Format: method([STRING], (r, [layout]) => str(formatTime(recvTime(r), layout?.kind === "string" ? layout.v : ""))),
  String: method([], (r) => str(timeString(recvTime(r)))),
  GoString: method([], (r) => str(TIME.goStringer?.(r) ?? "")),
  IsZero: method([], (r) => bool(unixNanos(recvTime(r)) === -ZERO_TO_UNIX_SECONDS * NS_PER_SECOND)),
  IsDST: method([], () => bool(false)),
  Local: method([], (r) => ({ ...timeValue({ ...recvTime(r), offsetMinutes: 0 }), local: true })),
  UTC: method([], (r) => timeValue({ ...recvTime(r), offsetMinutes: 0 })),
  Round: method([DURATION], (r, [d]) => {
    const t = recvTime(r);
    const m = intArg(d);
    if (m <= 0n) return timeValue(t);
    const rem = remainder(t, m);
    return withNanos(t, unixNanos(t) + (lessThanHalf(rem, m) ? -rem : m - rem));
  }),
  Truncate: method([DURATION], (r, [d]) => {
    const t = recvTime(r);
    const m = intArg(d);
    return m <= 0n ? timeValue(t) : withNanos(t, unixNanos(t) - remainder(t, m));
  }),
  Sub: method([TIME], (r, [u]) => int(saturate(between(r, u as Value)), DURATION)),
  Unix: method([], (r) => int(floorDiv(unixNanos(recvTime(r)), NS_PER_SECOND), INT64)),
  UnixMilli: method([], (r) => int(floorDiv(unixNanos(recvTime(r)), NS_PER_MS), INT64)),
  UnixMicro: method([], (r) => int(floorDiv(unixNanos(recvTime(r)), 1000n), INT64)),
  UnixNano: method([], (r) => int(unixNanos(recvTime(r)), INT64)),
  MarshalJSON: method([], (r) => bytes(`"${formatTime(recvTime(r), "2006-01-02T15:04:05.999999999Z07:00")}"`), 2, true),
  MarshalText: method([], (r) => bytes(formatTime(recvTime(r), "2006-01-02T15:04:05.999999999Z07:00")), 2, true),
  // Methods with several results exist, but templates cannot call them.
  Date: multi(3),
  Clock: multi(3),
  ISOWeek: multi(2),
  Zone: multi(2),
  ZoneBounds: multi(2),
};

function bytes(s: string): Value {
  return slice(BYTES, [...Buffer.from(s, "utf8")].map((b) => uint(b, UINT8)));
}

/** Methods whose result stays in the receiver's location (Local or not); none keeps a monotonic reading. */
for (const name of ["AddDate", "Round", "Truncate"]) {
  const m = timeMethods[name] as Method;
  timeMethods[name] = { ...m, call: (r, args) => inZoneOf(r, m.call(r, args)) };
}

function inZoneOf(r: Value, result: Value): Value {
  return r.kind === "time" && r.local === true && result.kind === "time" ? { ...result, local: true } : result;
}

for (const [name, m] of Object.entries(timeMethods)) TIME.methods.set(name, m);

function recvDuration(v: Value): bigint {
  return v.kind === "int" ? v.v : 0n;
}

function durationFloat(d: bigint, unit: bigint): number {
  const whole = d / unit;
  const rest = d % unit;
  return Number(whole) + Number(rest) / Number(unit);
}

const durationMethods: Record<string, Method> = {
  String: method([], (r) => str(durationString(recvDuration(r)))),
  Hours: method([], (r) => float(durationFloat(recvDuration(r), 3_600n * NS_PER_SECOND), FLOAT64)),
  Minutes: method([], (r) => float(durationFloat(recvDuration(r), 60n * NS_PER_SECOND), FLOAT64)),
  Seconds: method([], (r) => float(durationFloat(recvDuration(r), NS_PER_SECOND), FLOAT64)),
  Milliseconds: method([], (r) => int(recvDuration(r) / NS_PER_MS, INT64)),
  Microseconds: method([], (r) => int(recvDuration(r) / 1000n, INT64)),
  Nanoseconds: method([], (r) => int(recvDuration(r), INT64)),
  Abs: method([], (r) => {
    const d = recvDuration(r);
    return int(d < 0n ? -d : d, DURATION);
  }),
  Truncate: method([DURATION], (r, [m]) => {
    const d = recvDuration(r);
    const u = intArg(m);
    return int(u <= 0n ? d : d - (d % u), DURATION);
  }),
  Round: method([DURATION], (r, [m]) => {
    const d = recvDuration(r);
    const u = intArg(m);
    if (u <= 0n) return int(d, DURATION);
    let rem = d % u;
    if (d < 0n) {
      rem = -rem;
      return int(lessThanHalf(rem, u) ? d + rem : d - u + rem, DURATION);
    }
    return int(lessThanHalf(rem, u) ? d - rem : d + u - rem, DURATION);
  }),
};
for (const [name, m] of Object.entries(durationMethods)) DURATION.methods.set(name, m);
MONTH.methods.set("String", method([], (r) => str(MONTH.stringer?.(r) ?? "")));
WEEKDAY.methods.set("String", method([], (r) => str(WEEKDAY.stringer?.(r) ?? "")));
