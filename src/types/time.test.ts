import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addMillis,
  compareTime,
  formatApiTime,
  formatRfc3339Nano,
  fromMillis,
  isZeroTime,
  parseApiTime,
  TimeParseError,
  ZERO_TIME,
  type Timestamp,
} from "./time.ts";

const utc = (iso: string): number => Date.parse(iso);

function rejects(input: string, message: string): void {
  assert.throws(
    () => parseApiTime(input),
    (err: unknown) => {
      assert.ok(err instanceof TimeParseError, `${input}: not a TimeParseError`);
      assert.equal(err.name, "TimeParseError");
      assert.equal(err.message, message);
      return true;
    },
  );
}

test("accepts every form measured on Alertmanager 0.25", () => {
  const cases: Array<[string, Timestamp]> = [
    ["2026-11-22T03:00:00Z", { ms: utc("2026-11-22T03:00:00Z"), subMsNanos: 0, offsetMinutes: 0 }],
    ["2026-11-22T03:00:00", { ms: utc("2026-11-22T03:00:00Z"), subMsNanos: 0, offsetMinutes: 0 }],
    ["2026-11-22 03:00:00", { ms: utc("2026-11-22T03:00:00Z"), subMsNanos: 0, offsetMinutes: 0 }],
    ["2026-11-22T03:00Z", { ms: utc("2026-11-22T03:00:00Z"), subMsNanos: 0, offsetMinutes: 0 }],
    ["2026-11-22T03:00", { ms: utc("2026-11-22T03:00:00Z"), subMsNanos: 0, offsetMinutes: 0 }],
    // Digits past the ninth are dropped, not rounded.
    ["2026-11-22T03:00:00.1234567891234Z", { ms: utc("2026-11-22T03:00:00.123Z"), subMsNanos: 456_789, offsetMinutes: 0 }],
    ["2026-11-22T03:00:00.5+02:00", { ms: utc("2026-11-22T01:00:00.500Z"), subMsNanos: 0, offsetMinutes: 120 }],
  ];
  for (const [input, expected] of cases) assert.deepEqual(parseApiTime(input), expected, input);
});

test("rejects with Go's error for the last layout tried", () => {
  rejects("yesterday", 'parsing time "yesterday" as "2006-01-02 15:04:05": cannot parse "yesterday" as "2006"');
  rejects("2026-11-22", 'parsing time "2026-11-22" as "2006-01-02 15:04:05": cannot parse "" as "15"');
  rejects("2026-11-22t03:00:00z", 'parsing time "2026-11-22t03:00:00z" as "2006-01-02 15:04:05": cannot parse "t03:00:00z" as " "');
  rejects("2026-11-22T03:00:00+0200", 'parsing time "2026-11-22T03:00:00+0200" as "2006-01-02 15:04:05": cannot parse "T03:00:00+0200" as " "');
  rejects("20261122T030000Z", 'parsing time "20261122T030000Z" as "2006-01-02 15:04:05": cannot parse "1122T030000Z" as "-"');
});

test("walks the space-separated layout element by element", () => {
  rejects("2026-1-22 03:00:00", 'parsing time "2026-1-22 03:00:00" as "2006-01-02 15:04:05": cannot parse "1-22 03:00:00" as "01"');
  rejects("2026-11-2 03:00:00", 'parsing time "2026-11-2 03:00:00" as "2006-01-02 15:04:05": cannot parse "2 03:00:00" as "02"');
  rejects("2026-11-22 03-00:00", 'parsing time "2026-11-22 03-00:00" as "2006-01-02 15:04:05": cannot parse "-00:00" as ":"');
  rejects("2026-11-22 03:0:00", 'parsing time "2026-11-22 03:0:00" as "2006-01-02 15:04:05": cannot parse "0:00" as "04"');
  rejects("2026-11-22 03:00:0", 'parsing time "2026-11-22 03:00:0" as "2006-01-02 15:04:05": cannot parse "0" as "05"');
  rejects("2026-11-22 03:00", 'parsing time "2026-11-22 03:00" as "2006-01-02 15:04:05": cannot parse "" as ":"');
  rejects("2026-11-22 123:00:00", 'parsing time "2026-11-22 123:00:00" as "2006-01-02 15:04:05": cannot parse "3:00:00" as ":"');
  // The year element quotes the input from where the year started (current Go; 1.19 quoted past it).
  rejects("12:30", 'parsing time "12:30" as "2006-01-02 15:04:05": cannot parse "12:30" as "2006"');
  rejects("+026-11-22 03:00:00", 'parsing time "+026-11-22 03:00:00" as "2006-01-02 15:04:05": cannot parse "+026-11-22 03:00:00" as "2006"');
  rejects(" 2026-11-22 03:00:00", 'parsing time " 2026-11-22 03:00:00" as "2006-01-02 15:04:05": cannot parse " 2026-11-22 03:00:00" as "2006"');
});

test("leftover input is extra text", () => {
  rejects("2026-11-22 03:00:00Z", 'parsing time "2026-11-22 03:00:00Z": extra text: "Z"');
  rejects("2026-11-22 03:00:00 +02:00", 'parsing time "2026-11-22 03:00:00 +02:00": extra text: " +02:00"');
  rejects("2026-11-22 03:00:00.5x", 'parsing time "2026-11-22 03:00:00.5x": extra text: "x"');
});

test("out-of-range fields give Go's range errors", () => {
  rejects("2026-13-01 00:00:00", 'parsing time "2026-13-01 00:00:00": month out of range');
  rejects("2026-00-01 00:00:00", 'parsing time "2026-00-01 00:00:00": month out of range');
  rejects("2026-04-31 00:00:00", 'parsing time "2026-04-31 00:00:00": day out of range');
  rejects("2026-01-00 00:00:00", 'parsing time "2026-01-00 00:00:00": day out of range');
  rejects("2026-11-22 24:00:00", 'parsing time "2026-11-22 24:00:00": hour out of range');
  rejects("2026-11-22 23:60:00", 'parsing time "2026-11-22 23:60:00": minute out of range');
  rejects("2026-11-22 23:59:60", 'parsing time "2026-11-22 23:59:60": second out of range');
  // Extra text is found before the day is checked against its month.
  rejects("2026-02-30 00:00:00x", 'parsing time "2026-02-30 00:00:00x": extra text: "x"');
  // Only the last layout's error is reported: the month comes before its " ", the hour after it.
  rejects("2026-13-01T00:00:00Z", 'parsing time "2026-13-01T00:00:00Z": month out of range');
  rejects("2026-11-22T24:00:00Z", 'parsing time "2026-11-22T24:00:00Z" as "2006-01-02 15:04:05": cannot parse "T24:00:00Z" as " "');
});

test("leap days follow the Gregorian rules", () => {
  assert.equal(parseApiTime("2024-02-29T12:00:00Z").ms, utc("2024-02-29T12:00:00Z"));
  assert.equal(parseApiTime("2000-02-29 00:00:00").ms, utc("2000-02-29T00:00:00Z"));
  assert.equal(formatRfc3339Nano(parseApiTime("0000-02-29T00:00:00Z")), "0000-02-29T00:00:00Z");
  rejects("2026-02-29 00:00:00", 'parsing time "2026-02-29 00:00:00": day out of range');
  rejects("1900-02-29 00:00:00", 'parsing time "1900-02-29 00:00:00": day out of range');
  rejects("2026-02-29T00:00:00Z", 'parsing time "2026-02-29T00:00:00Z" as "2006-01-02 15:04:05": cannot parse "T00:00:00Z" as " "');
});

test("accepts what strfmt's other layouts and Go's parser let through", () => {
  const same = (input: string, expected: string) => assert.equal(formatRfc3339Nano(parseApiTime(input)), expected, input);
  // RFC3339MillisNoColon and RFC3339MicroNoColon take ±hhmm once the fraction has exactly 3 or 6 digits.
  same("2026-11-22T03:00:00.000+0200", "2026-11-22T03:00:00+02:00");
  same("2026-11-22T03:00:00.123456-0130", "2026-11-22T03:00:00.123456-01:30");
  // Go takes a comma as the decimal separator, and a fraction after seconds in any layout.
  same("2026-11-22T03:00:00,25Z", "2026-11-22T03:00:00.25Z");
  same("2026-11-22T03:00:00.75", "2026-11-22T03:00:00.75Z");
  same("2026-11-22 03:00:00.000000001", "2026-11-22T03:00:00.000000001Z");
  // One-digit hours, and a space in the layout matching a run of spaces.
  same("2026-11-22T3:04:05Z", "2026-11-22T03:04:05Z");
  same("2026-11-22   3:04:05", "2026-11-22T03:04:05Z");
  // Go's atoi takes a sign inside a fixed-width fraction: ".+12" is 12 ms under RFC3339Millis.
  same("2026-11-22T03:00:00.+12Z", "2026-11-22T03:00:00.012Z");
  // "+00:00" and "-00:00" are UTC and print as Z.
  assert.deepEqual(parseApiTime("2026-11-22T03:00:00-00:00"), parseApiTime("2026-11-22T03:00:00Z"));
  assert.equal(parseApiTime("2026-11-22T03:00:00+00:00").offsetMinutes, 0);
  // Offsets up to 24:00 (and minute 60) pass, as in current Go.
  same("2026-11-22T03:00:00+24:00", "2026-11-22T03:00:00+24:00");
  same("2026-11-22T03:00:00-00:60", "2026-11-22T03:00:00-01:00");
  // strfmt maps the empty string to the Unix epoch.
  assert.deepEqual(parseApiTime(""), { ms: 0, subMsNanos: 0, offsetMinutes: 0 });
});

test("rejects what those layouts do not cover", () => {
  const last = (input: string, rest: string, elem: string) =>
    rejects(input, `parsing time "${input}" as "2006-01-02 15:04:05": cannot parse "${rest}" as "${elem}"`);
  // The reduced-precision layout ends in a literal Z, so a minutes-only time takes no offset.
  last("2026-11-22T03:00+02:00", "T03:00+02:00", " ");
  last("2026-11-22T03:00:00.12+0200", "T03:00:00.12+0200", " ");
  last("2026-11-22T03:00:00+25:00", "T03:00:00+25:00", " ");
  last("2026-11-22T03:00:00+02:61", "T03:00:00+02:61", " ");
  last("2026-11-22T03:00:00+2:00", "T03:00:00+2:00", " ");
  last("2026-11-22T03:00:00.-01Z", "T03:00:00.-01Z", " ");
  last("2026-11-22T03:00:.5Z", "T03:00:.5Z", " ");
  last("2026-11-22T03:00:00.Z", "T03:00:00.Z", " ");
  last("10000-01-01T00:00:00Z", "0-01-01T00:00:00Z", "-");
  rejects("2026-11-22 03:00:00.", 'parsing time "2026-11-22 03:00:00.": extra text: "."');
});

test("error messages quote input as Go's time package does", () => {
  rejects('"2026"', 'parsing time "\\"2026\\"" as "2006-01-02 15:04:05": cannot parse "\\"2026\\"" as "2006"');
  rejects("é\\", 'parsing time "\\xc3\\xa9\\\\" as "2006-01-02 15:04:05": cannot parse "\\xc3\\xa9\\\\" as "2006"');
  rejects("2026-11-22\t03:00:00", 'parsing time "2026-11-22\\x0903:00:00" as "2006-01-02 15:04:05": cannot parse "\\x0903:00:00" as " "');
  rejects("2026-11-22 03:00:00😀", 'parsing time "2026-11-22 03:00:00\\xf0\\x9f\\x98\\x80": extra text: "\\xf0\\x9f\\x98\\x80"');
  rejects("x\ud800", 'parsing time "x\\xef\\xbf\\xbd" as "2006-01-02 15:04:05": cannot parse "x\\xef\\xbf\\xbd" as "2006"');
});

test("formatApiTime prints three truncated digits on the original wall clock", () => {
  assert.equal(formatApiTime(parseApiTime("2026-11-22T04:56:35.123456789+02:00")), "2026-11-22T04:56:35.123+02:00");
  assert.equal(formatApiTime(parseApiTime("2026-11-22T04:56:35.9999999Z")), "2026-11-22T04:56:35.999Z");
  assert.equal(formatApiTime(parseApiTime("2026-11-22T04:56:35.05Z")), "2026-11-22T04:56:35.050Z");
  assert.equal(formatApiTime(parseApiTime("2026-01-01T00:30:00-05:30")), "2026-01-01T00:30:00.000-05:30");
  assert.equal(formatApiTime(parseApiTime("2026-01-01T00:30:00+05:45")), "2026-01-01T00:30:00.000+05:45");
  assert.equal(formatApiTime(ZERO_TIME), "0001-01-01T00:00:00.000Z");
  // Before 1970 the milliseconds still count up from the start of the second.
  assert.equal(formatApiTime(parseApiTime("1969-12-31T23:59:59.9999Z")), "1969-12-31T23:59:59.999Z");
  assert.equal(formatApiTime(fromMillis(-1)), "1969-12-31T23:59:59.999Z");
});

test("formatRfc3339Nano trims the fraction like Go", () => {
  assert.equal(formatRfc3339Nano(parseApiTime("2026-11-22T02:48:01.848550000Z")), "2026-11-22T02:48:01.84855Z");
  assert.equal(formatRfc3339Nano(parseApiTime("2026-11-22T02:48:01.000Z")), "2026-11-22T02:48:01Z");
  assert.equal(formatRfc3339Nano(parseApiTime("2026-11-22T02:48:01.000000100Z")), "2026-11-22T02:48:01.0000001Z");
  assert.equal(formatRfc3339Nano(ZERO_TIME), "0001-01-01T00:00:00Z");
  assert.equal(formatRfc3339Nano({ ms: utc("2026-11-22T02:48:01.010Z"), subMsNanos: 0, offsetMinutes: 0 }), "2026-11-22T02:48:01.01Z");
  assert.equal(formatRfc3339Nano({ ms: utc("2026-11-22T02:48:01Z"), subMsNanos: 1, offsetMinutes: -60 }), "2026-11-22T01:48:01.000000001-01:00");
});

test("parse then formatRfc3339Nano gives the input back", () => {
  const inputs = [
    "2026-11-22T04:56:35.123456789+02:00",
    "2026-01-01T00:30:00-05:30",
    "2026-11-22T02:48:01.84855Z",
    "0001-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999999Z",
    "1969-07-20T20:17:40.5-04:00",
    "2024-02-29T23:59:59.000001+14:00",
    "2026-06-30T12:00:00.1-12:00",
  ];
  for (const input of inputs) {
    const t = parseApiTime(input);
    assert.equal(formatRfc3339Nano(t), input);
    assert.deepEqual(parseApiTime(formatRfc3339Nano(t)), t, input);
    assert.deepEqual(parseApiTime(formatApiTime(t)).ms, t.ms, input);
  }
});

test("offsets change the wall clock, not the instant", () => {
  const a = parseApiTime("2026-01-01T00:30:00-05:30");
  assert.equal(a.ms, utc("2026-01-01T06:00:00Z"));
  assert.equal(a.offsetMinutes, -330);
  // Crossing a year boundary on the wall clock.
  const b = parseApiTime("2025-12-31T23:30:00-01:00");
  assert.equal(b.ms, utc("2026-01-01T00:30:00Z"));
  assert.equal(formatApiTime(b), "2025-12-31T23:30:00.000-01:00");
});

test("the zero time is recognised at any offset", () => {
  assert.deepEqual(ZERO_TIME, { ms: -62_135_596_800_000, subMsNanos: 0, offsetMinutes: 0 });
  assert.ok(Object.isFrozen(ZERO_TIME));
  assert.ok(isZeroTime(ZERO_TIME));
  assert.ok(isZeroTime(parseApiTime("0001-01-01T00:00:00Z")));
  assert.ok(isZeroTime(parseApiTime("0001-01-01T02:00:00+02:00")));
  assert.equal(formatRfc3339Nano(parseApiTime("0001-01-01T02:00:00+02:00")), "0001-01-01T02:00:00+02:00");
  assert.ok(!isZeroTime(parseApiTime("0001-01-01T00:00:00.000000001Z")));
  assert.ok(!isZeroTime(fromMillis(0)));
  assert.ok(!isZeroTime(parseApiTime("")));
});

test("compareTime orders by instant across offsets", () => {
  const early = parseApiTime("2026-11-22T04:00:00+02:00"); // 02:00Z
  const late = parseApiTime("2026-11-22T03:00:00Z");
  const sameAsLate = parseApiTime("2026-11-21T22:00:00-05:00");
  assert.ok(compareTime(early, late) < 0);
  assert.ok(compareTime(late, early) > 0);
  assert.equal(compareTime(late, sameAsLate), 0);
  const a = parseApiTime("2026-11-22T03:00:00.000000001Z");
  const b = parseApiTime("2026-11-22T03:00:00.000000002Z");
  assert.ok(compareTime(a, b) < 0);
  assert.ok(compareTime(b, a) > 0);
  const sorted = [late, ZERO_TIME, b, early, a].sort(compareTime).map(formatRfc3339Nano);
  assert.deepEqual(sorted, [
    "0001-01-01T00:00:00Z",
    "2026-11-22T04:00:00+02:00",
    "2026-11-22T03:00:00Z",
    "2026-11-22T03:00:00.000000001Z",
    "2026-11-22T03:00:00.000000002Z",
  ]);
});

test("fromMillis builds UTC timestamps", () => {
  assert.deepEqual(fromMillis(1_795_316_400_123), { ms: 1_795_316_400_123, subMsNanos: 0, offsetMinutes: 0 });
  assert.equal(formatRfc3339Nano(fromMillis(1_795_316_400_123)), "2026-11-22T03:00:00.123Z");
  assert.deepEqual(fromMillis(-0), { ms: 0, subMsNanos: 0, offsetMinutes: 0 });
  // A fractional millisecond is kept as nanoseconds, floored for times before 1970.
  assert.deepEqual(fromMillis(10.25), { ms: 10, subMsNanos: 250_000, offsetMinutes: 0 });
  assert.deepEqual(fromMillis(-0.5), { ms: -1, subMsNanos: 500_000, offsetMinutes: 0 });
  assert.throws(() => fromMillis(Number.NaN), RangeError);
  assert.throws(() => fromMillis(Number.POSITIVE_INFINITY), RangeError);
});

test("addMillis keeps the offset and the sub-millisecond digits", () => {
  const t = parseApiTime("2026-11-22T04:56:35.123456789+02:00");
  const later = addMillis(t, 5 * 60_000);
  assert.deepEqual(later, { ms: t.ms + 300_000, subMsNanos: 456_789, offsetMinutes: 120 });
  assert.equal(formatRfc3339Nano(later), "2026-11-22T05:01:35.123456789+02:00");
  assert.equal(formatRfc3339Nano(addMillis(t, -86_400_000)), "2026-11-21T04:56:35.123456789+02:00");
  // Fractions carry into the millisecond.
  assert.equal(formatRfc3339Nano(addMillis(t, 0.6)), "2026-11-22T04:56:35.124056789+02:00");
  assert.equal(formatRfc3339Nano(addMillis(t, -0.5)), "2026-11-22T04:56:35.122956789+02:00");
  assert.deepEqual(addMillis(t, 0), t);
  // Moving back from year 1 reaches year 0 and then negative years, printed as Go does.
  assert.equal(formatApiTime(addMillis(ZERO_TIME, -1)), "0000-12-31T23:59:59.999Z");
  assert.equal(formatRfc3339Nano(addMillis(ZERO_TIME, -367 * 86_400_000)), "-0001-12-31T00:00:00Z");
  assert.throws(() => addMillis(t, Number.NaN), RangeError);
});

test("formatting agrees with Date across the whole 0000-9999 range", () => {
  const min = Date.parse("0000-01-01T00:00:00Z");
  const max = Date.parse("9999-12-31T23:59:59.999Z");
  let seed = 42;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const samples = [min, max, 0, -1, Date.parse("1600-02-29T12:00:00Z"), Date.parse("1900-03-01T00:00:00Z")];
  for (let i = 0; i < 5000; i++) samples.push(Math.floor(min + next() * (max - min)));
  for (const ms of samples) {
    const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ for these years
    assert.equal(formatApiTime(fromMillis(ms)), iso);
    assert.equal(parseApiTime(iso).ms, ms, iso);
  }
});
