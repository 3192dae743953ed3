import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../lib/errors.ts";
import { parseTimeInterval, intervalContains, TimeIntervalSet, type TimeInterval, type TimeIntervalInput } from "./index.ts";

const where = (path: ReadonlyArray<string | number>): string => `am.yml:time_intervals.0.${path.join(".")}`;
const parse = (raw: TimeIntervalInput): TimeInterval => parseTimeInterval(raw, where);
const at = (iso: string): number => {
  const ms = Date.parse(iso);
  assert.ok(Number.isFinite(ms), `bad fixture ${iso}`);
  return ms;
};

/** [instant (UTC), expected, why] */
type Case = readonly [string, boolean, string];

function table(name: string, raw: TimeIntervalInput, cases: readonly Case[]): void {
  for (const [iso, expected, why] of cases) {
    test(`${name}: ${iso} → ${expected} (${why})`, () => {
      assert.equal(intervalContains(parse(raw), at(iso)), expected);
    });
  }
}

const businessHours: TimeIntervalInput = {
  times: [{ start_time: "09:00", end_time: "17:00" }],
  weekdays: ["monday:friday"],
  location: "Europe/Berlin",
};

table("Berlin business hours, spring DST switch (2026-03-29)", businessHours, [
  ["2026-03-27T08:00Z", true, "Fri 09:00 CET"],
  ["2026-03-27T07:59Z", false, "Fri 08:59 CET"],
  ["2026-03-27T15:59Z", true, "Fri 16:59 CET"],
  ["2026-03-27T16:00Z", false, "Fri 17:00 CET, end exclusive"],
  ["2026-03-28T10:00Z", false, "Saturday"],
  ["2026-03-29T10:00Z", false, "Sunday"],
  ["2026-03-30T07:00Z", true, "Mon 09:00 CEST"],
  ["2026-03-30T06:59Z", false, "Mon 08:59 CEST"],
  ["2026-03-30T14:59Z", true, "Mon 16:59 CEST"],
  ["2026-03-30T15:00Z", false, "Mon 17:00 CEST"],
  ["2026-03-30T15:30Z", false, "Mon 17:30 CEST, would be 16:30 with a fixed CET offset"],
  ["2026-03-27T23:30Z", false, "Fri in UTC but Sat 00:30 in Berlin"],
]);

table("Berlin business hours, autumn DST switch (2026-10-25)", businessHours, [
  ["2026-10-23T07:00Z", true, "Fri 09:00 CEST"],
  ["2026-10-23T06:59Z", false, "Fri 08:59 CEST"],
  ["2026-10-23T14:59Z", true, "Fri 16:59 CEST"],
  ["2026-10-23T15:00Z", false, "Fri 17:00 CEST"],
  ["2026-10-26T08:00Z", true, "Mon 09:00 CET"],
  ["2026-10-26T07:00Z", false, "Mon 08:00 CET, would be 09:00 with a fixed CEST offset"],
  ["2026-10-26T15:59Z", true, "Mon 16:59 CET"],
  ["2026-10-26T16:00Z", false, "Mon 17:00 CET"],
]);

table(
  "Berlin wall clock inside the DST transitions",
  { times: [{ start_time: "02:00", end_time: "03:00" }], weekdays: ["sunday"], location: "Europe/Berlin" },
  [
    ["2026-03-29T00:59Z", false, "01:59 CET, just before the skipped hour"],
    ["2026-03-29T01:00Z", false, "03:00 CEST: 02:xx never happens that night"],
    ["2026-10-25T00:30Z", true, "first 02:30 (CEST)"],
    ["2026-10-25T01:30Z", true, "second 02:30 (CET)"],
    ["2026-10-25T02:00Z", false, "03:00 CET"],
  ],
);

table("weekday is taken in the interval's zone", { weekdays: ["monday"], location: "Europe/Berlin" }, [
  ["2026-03-29T22:30Z", true, "Sunday in UTC, Monday 00:30 CEST"],
  ["2026-03-30T22:30Z", false, "Monday in UTC, Tuesday 00:30 CEST"],
]);

table(
  "New York business hours across its DST switch (2026-03-08)",
  { times: [{ start_time: "09:00", end_time: "17:00" }], weekdays: ["Monday:Friday"], location: "America/New_York" },
  [
    ["2026-03-06T14:00Z", true, "Fri 09:00 EST"],
    ["2026-03-06T13:30Z", false, "Fri 08:30 EST"],
    ["2026-03-09T13:00Z", true, "Mon 09:00 EDT"],
    ["2026-03-09T12:59Z", false, "Mon 08:59 EDT"],
    ["2026-03-07T01:00Z", false, "Sat in UTC, Fri 20:00 EST: outside times"],
  ],
);

table("24:00 end", { times: [{ start_time: "17:00", end_time: "24:00" }] }, [
  ["2026-05-05T17:00Z", true, "start inclusive"],
  ["2026-05-05T16:59:59.999Z", false, "before start"],
  ["2026-05-05T23:59:59.999Z", true, "last instant of the day"],
  ["2026-05-06T00:00Z", false, "midnight belongs to the next day"],
]);

table("whole day 00:00–24:00", { times: [{ start_time: "00:00", end_time: "24:00" }] }, [
  ["2026-05-05T00:00Z", true, "midnight"],
  ["2026-05-05T12:34Z", true, "noon-ish"],
  ["2026-05-05T23:59Z", true, "23:59"],
]);

table(
  "several time ranges: any matches",
  { times: [{ start_time: "00:00", end_time: "06:00" }, { start_time: "18:00", end_time: "24:00" }] },
  [
    ["2026-05-05T05:59Z", true, "first range"],
    ["2026-05-05T06:00Z", false, "between ranges"],
    ["2026-05-05T17:59Z", false, "between ranges"],
    ["2026-05-05T18:00Z", true, "second range"],
  ],
);

table("last day of month (-1)", { days_of_month: ["-1"] }, [
  ["2024-02-29T12:00Z", true, "leap year February"],
  ["2024-02-28T12:00Z", false, "leap year, not last"],
  ["2026-02-28T12:00Z", true, "non-leap February"],
  ["2026-02-27T12:00Z", false, "non-leap, not last"],
  ["2100-02-28T12:00Z", true, "century non-leap"],
  ["2000-02-29T12:00Z", true, "400-year leap"],
  ["2000-02-28T12:00Z", false, "400-year leap, not last"],
  ["2026-01-31T00:00Z", true, "31-day month"],
  ["2026-04-30T23:59Z", true, "30-day month"],
  ["2026-04-01T00:00Z", false, "first day"],
]);

table("last three days (-3:-1)", { days_of_month: ["-3:-1"] }, [
  ["2026-02-25T12:00Z", false, "Feb 25 of 28"],
  ["2026-02-26T12:00Z", true, "Feb 26 of 28"],
  ["2026-02-28T12:00Z", true, "Feb 28 of 28"],
  ["2024-02-26T12:00Z", false, "Feb 26 of 29"],
  ["2024-02-27T12:00Z", true, "Feb 27 of 29"],
]);

table("positive and mixed day ranges", { days_of_month: ["1:5", "15"] }, [
  ["2026-06-01T00:00Z", true, "1"],
  ["2026-06-05T23:59Z", true, "5"],
  ["2026-06-06T00:00Z", false, "6"],
  ["2026-06-15T10:00Z", true, "15"],
]);

table("1:-1 is every day", { days_of_month: ["1:-1"] }, [
  ["2026-02-01T00:00Z", true, "first"],
  ["2026-02-28T00:00Z", true, "last"],
  ["2026-07-31T00:00Z", true, "31st"],
]);

table("days past the month's end are clamped", { days_of_month: ["1:31"] }, [
  ["2026-02-28T12:00Z", true, "Feb 28 inside 1:31"],
  ["2026-04-30T12:00Z", true, "Apr 30 inside 1:31"],
]);

table("day 31 only exists in long months", { days_of_month: ["31"] }, [
  ["2026-01-31T12:00Z", true, "Jan 31"],
  ["2026-02-28T12:00Z", false, "February has no 31st"],
  ["2026-04-30T12:00Z", false, "April has no 31st"],
]);

table("start past the month's end matches nothing", { days_of_month: ["29:31"] }, [
  ["2026-02-28T12:00Z", false, "non-leap February"],
  ["2024-02-29T12:00Z", true, "leap February"],
  ["2026-03-29T12:00Z", true, "March"],
]);

table("-31 resolves before day 1 in short months", { days_of_month: ["-31"] }, [
  ["2026-01-01T12:00Z", true, "January: -31 is the 1st"],
  ["2026-02-01T12:00Z", false, "February: -31 resolves to day -2, as in Alertmanager (no match)"],
  ["2026-04-01T12:00Z", false, "April: -31 resolves to day 0"],
]);

table("-31:-1 covers every month entirely", { days_of_month: ["-31:-1"] }, [
  ["2026-02-01T12:00Z", true, "February 1st"],
  ["2026-04-01T12:00Z", true, "April 1st"],
]);

table("negative days use the zone's month, counted in calendar days", { days_of_month: ["-1"], location: "Europe/Berlin" }, [
  ["2026-03-31T21:30Z", true, "Mar 31 23:30 CEST; AM 0.25's hours/24 count said March had 30 days here"],
  ["2026-03-30T12:00Z", false, "Mar 30"],
  ["2026-03-31T22:30Z", false, "Apr 1 00:30 CEST"],
]);

table("negative days in New York", { days_of_month: ["-1"], location: "America/New_York" }, [
  ["2026-03-01T03:00Z", true, "Feb 28 22:00 EST"],
  ["2026-03-01T06:00Z", false, "Mar 1 01:00 EST"],
]);

table("month names", { months: ["january:march"] }, [
  ["2026-01-01T00:00Z", true, "January"],
  ["2026-02-14T00:00Z", true, "February"],
  ["2026-03-31T23:59Z", true, "end of March"],
  ["2026-04-01T00:00Z", false, "April"],
]);

table("month numbers", { months: ["1:3"] }, [
  ["2026-02-14T00:00Z", true, "February"],
  ["2026-04-01T00:00Z", false, "April"],
]);

table("month names and numbers mixed, any case", { months: ["MAY:August", "12"] }, [
  ["2026-06-15T00:00Z", true, "June"],
  ["2026-12-15T00:00Z", true, "December"],
  ["2026-09-15T00:00Z", false, "September"],
  ["2026-04-30T23:59Z", false, "April"],
]);

table("month in the zone's calendar", { months: ["january"], location: "Europe/Berlin" }, [
  ["2026-12-31T23:30Z", true, "Jan 1 00:30 CET"],
  ["2026-12-31T22:30Z", false, "Dec 31 23:30 CET"],
]);

table("year ranges", { years: ["2020:2022", "2030"] }, [
  ["2019-12-31T23:59Z", false, "2019"],
  ["2020-01-01T00:00Z", true, "2020"],
  ["2021-06-01T00:00Z", true, "2021"],
  ["2022-12-31T23:59Z", true, "2022"],
  ["2023-01-01T00:00Z", false, "2023"],
  ["2030-07-01T00:00Z", true, "2030"],
]);

table("year in the zone's calendar", { years: ["2027"], location: "Europe/Berlin" }, [
  ["2026-12-31T23:30Z", true, "already 2027 in Berlin"],
  ["2026-12-31T22:59Z", false, "still 2026 in Berlin"],
]);

table("year in UTC by default", { years: ["2027"] }, [
  ["2026-12-31T23:30Z", false, "2026 in UTC"],
  ["2027-01-01T00:00Z", true, "2027 in UTC"],
]);

table("weekday lists", { weekdays: ["monday:wednesday", "Saturday"] }, [
  ["2026-03-30T12:00Z", true, "Monday"],
  ["2026-04-01T12:00Z", true, "Wednesday"],
  ["2026-04-02T12:00Z", false, "Thursday"],
  ["2026-04-04T12:00Z", true, "Saturday"],
  ["2026-04-05T12:00Z", false, "Sunday"],
]);

table("sunday:saturday is the whole week", { weekdays: ["sunday:saturday"] }, [
  ["2026-04-05T12:00Z", true, "Sunday"],
  ["2026-04-04T12:00Z", true, "Saturday"],
]);

table(
  "all fields combined (Berlin Christmas weekend daytime, 2026)",
  {
    times: [{ start_time: "08:00", end_time: "20:00" }],
    weekdays: ["saturday", "sunday"],
    days_of_month: ["24:27"],
    months: ["december"],
    years: ["2026"],
    location: "Europe/Berlin",
  },
  [
    ["2026-12-26T09:00Z", true, "Sat 26th 10:00 CET"],
    ["2026-12-26T18:59Z", true, "Sat 19:59 CET"],
    ["2026-12-26T19:00Z", false, "Sat 20:00 CET: times"],
    ["2026-12-27T06:59Z", false, "Sun 07:59 CET: times"],
    ["2026-12-27T07:00Z", true, "Sun 27th 08:00 CET"],
    ["2026-12-25T09:00Z", false, "Friday: weekdays"],
    ["2026-12-19T09:00Z", false, "Saturday 19th: days_of_month"],
    ["2026-10-24T10:00Z", false, "Saturday 24 October: months"],
    ["2027-12-25T09:00Z", false, "Saturday 25th in 2027: years"],
  ],
);

table("empty interval matches always", {}, [
  ["1999-01-01T00:00Z", true, "past"],
  ["2026-03-29T01:30Z", true, "present"],
  ["2199-12-31T23:59Z", true, "future"],
]);

table("a present but empty list matches nothing, as yaml.v2 gives Alertmanager an empty non-nil slice", { weekdays: [] }, [
  ["2026-03-30T12:00Z", false, "Monday"],
]);

table("Local is the process's zone", { times: [{ start_time: "00:00", end_time: "24:00" }], location: "Local" }, [
  ["2026-03-30T12:00Z", true, "whole day"],
]);

test("Local evaluates in the same zone as the process's resolved IANA name", () => {
  const zone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
  for (let hour = 0; hour < 24; hour++) {
    const raw = { times: [{ start_time: `${String(hour).padStart(2, "0")}:00`, end_time: "24:00" }] };
    const local = parse({ ...raw, location: "Local" });
    const named = parse({ ...raw, location: zone });
    for (const iso of ["2026-01-15T00:00Z", "2026-03-29T01:30Z", "2026-07-15T13:45Z", "2026-10-25T23:15Z"]) {
      assert.equal(intervalContains(local, at(iso)), intervalContains(named, at(iso)), `${hour} ${iso}`);
    }
  }
});

test("UTC spellings and aliases are accepted and agree", () => {
  const raw = { times: [{ start_time: "10:00", end_time: "11:00" }] };
  const instants = ["2026-03-30T10:30Z", "2026-03-30T11:30Z", "2026-03-30T09:30Z"].map(at);
  const expected = instants.map((ms) => intervalContains(parse(raw), ms));
  assert.deepEqual(expected, [true, false, false]);
  for (const location of ["", "UTC", "Etc/UTC", "GMT"]) {
    const ti = parse({ ...raw, location });
    assert.deepEqual(instants.map((ms) => intervalContains(ti, ms)), expected, location);
  }
});

test("a zone alias behaves like its canonical zone", () => {
  const raw = { times: [{ start_time: "09:00", end_time: "10:00" }] };
  const alias = parse({ ...raw, location: "US/Eastern" });
  const canonical = parse({ ...raw, location: "America/New_York" });
  for (const iso of ["2026-01-15T14:30Z", "2026-07-15T13:30Z", "2026-07-15T14:30Z"]) {
    assert.equal(intervalContains(alias, at(iso)), intervalContains(canonical, at(iso)), iso);
  }
  assert.equal(intervalContains(alias, at("2026-07-15T13:30Z")), true);
});

test("accepts every valid form without error", () => {
  const ok: TimeIntervalInput[] = [
    { times: [{ start_time: "00:00", end_time: "00:01" }, { start_time: "23:59", end_time: "24:00" }] },
    { weekdays: ["SUNDAY", "monday:monday", "Tuesday:Saturday"] },
    { days_of_month: ["1", "31", "-1", "-31", "1:-1", "-31:-1", "27:-1", "+5", "05", "-28:-1", "1:-27"] },
    { months: ["january", "DECEMBER", "1", "12", "03", "1:12", "february:11"] },
    { years: ["2020", "2020:2020", "1999:2030"] },
    { location: "America/Argentina/Buenos_Aires" },
    { location: "Asia/Kolkata" },
    { weekdays: [], days_of_month: [], months: [], years: [], times: [] },
  ];
  for (const raw of ok) assert.doesNotThrow(() => parse(raw), JSON.stringify(raw));
});

/** [raw, path under the interval, Alertmanager-style message] */
type ErrorCase = readonly [TimeIntervalInput, string, string];

const errorCases: readonly ErrorCase[] = [
  // times
  [{ times: [{ start_time: "", end_time: "10:00" }] }, "times.0", "both start and end times must be provided"],
  [{ times: [{ start_time: "09:00", end_time: "" }] }, "times.0", "both start and end times must be provided"],
  [{ times: [{ start_time: "9:00", end_time: "10:00" }] }, "times.0.start_time", "couldn't parse timestamp 9:00, invalid format"],
  [{ times: [{ start_time: "01:99", end_time: "10:00" }] }, "times.0.start_time", "couldn't parse timestamp 01:99, invalid format"],
  [{ times: [{ start_time: "12:60", end_time: "13:00" }] }, "times.0.start_time", "couldn't parse timestamp 12:60, invalid format"],
  [{ times: [{ start_time: "09:00", end_time: "25:00" }] }, "times.0.end_time", "couldn't parse timestamp 25:00, invalid format"],
  [{ times: [{ start_time: "09:00", end_time: "24:01" }] }, "times.0.end_time", "couldn't parse timestamp 24:01, invalid format"],
  [{ times: [{ start_time: "09:00", end_time: "5pm" }] }, "times.0.end_time", "couldn't parse timestamp 5pm, invalid format"],
  [{ times: [{ start_time: " 09:00", end_time: "10:00" }] }, "times.0.start_time", "couldn't parse timestamp  09:00, invalid format"],
  [{ times: [{ start_time: "10:00", end_time: "10:00" }] }, "times.0", "start time cannot be equal or greater than end time"],
  [{ times: [{ start_time: "17:00", end_time: "09:00" }] }, "times.0", "start time cannot be equal or greater than end time"],
  [{ times: [{ start_time: "24:00", end_time: "24:00" }] }, "times.0", "start time cannot be equal or greater than end time"],
  [
    { times: [{ start_time: "01:00", end_time: "02:00" }, { start_time: "03:00", end_time: "02:00" }] },
    "times.1",
    "start time cannot be equal or greater than end time",
  ],
  // weekdays
  [{ weekdays: ["funday"] }, "weekdays.0", "funday is not a valid weekday"],
  [{ weekdays: ["monday", "Funday"] }, "weekdays.1", "funday is not a valid weekday"],
  [{ weekdays: ["1"] }, "weekdays.0", "1 is not a valid weekday"],
  [{ weekdays: ["mon"] }, "weekdays.0", "mon is not a valid weekday"],
  [{ weekdays: ["monday:"] }, "weekdays.0", " is not a valid weekday"],
  [{ weekdays: ["friday:monday"] }, "weekdays.0", "start day cannot be before end day"],
  [{ weekdays: ["saturday:sunday"] }, "weekdays.0", "start day cannot be before end day"],
  [{ weekdays: ["monday:tuesday:friday"] }, "weekdays.0", "couldn't parse range monday:tuesday:friday, invalid format"],
  // days_of_month
  [{ days_of_month: ["0"] }, "days_of_month.0", "0 is not a valid day of the month: out of range"],
  [{ days_of_month: ["32"] }, "days_of_month.0", "32 is not a valid day of the month: out of range"],
  [{ days_of_month: ["-32"] }, "days_of_month.0", "-32 is not a valid day of the month: out of range"],
  [{ days_of_month: ["1:0"] }, "days_of_month.0", "0 is not a valid day of the month: out of range"],
  [{ days_of_month: ["1:50"] }, "days_of_month.0", "50 is not a valid day of the month: out of range"],
  [{ days_of_month: ["first"] }, "days_of_month.0", "first is not a valid day of the month"],
  [{ days_of_month: ["1.5"] }, "days_of_month.0", "1.5 is not a valid day of the month"],
  [{ days_of_month: ["1", ""] }, "days_of_month.1", " is not a valid day of the month"],
  [{ days_of_month: ["5:3"] }, "days_of_month.0", "end day 3 is always before start day 5"],
  [{ days_of_month: ["-1:-3"] }, "days_of_month.0", "end day -3 is always before start day -1"],
  [{ days_of_month: ["10:-25"] }, "days_of_month.0", "end day -25 is always before start day 10"],
  [{ days_of_month: ["28:-1"] }, "days_of_month.0", "end day -1 is always before start day 28"],
  [{ days_of_month: ["-3:5"] }, "days_of_month.0", "end day must be negative if start day is negative"],
  [{ days_of_month: ["1:2:3"] }, "days_of_month.0", "couldn't parse range 1:2:3, invalid format"],
  // months
  [{ months: ["martius"] }, "months.0", "martius is not a valid month"],
  [{ months: ["Jan"] }, "months.0", "jan is not a valid month"],
  [{ months: ["0"] }, "months.0", "0 is not a valid month: out of range"],
  [{ months: ["june", "13"] }, "months.1", "13 is not a valid month: out of range"],
  [{ months: ["december:january"] }, "months.0", "end month january is before start month december"],
  [{ months: ["12:1"] }, "months.0", "end month january is before start month december"],
  [{ months: ["march:1"] }, "months.0", "end month january is before start month march"],
  // years
  [{ years: ["2022:2020"] }, "years.0", "end year 2020 is before start year 2022"],
  [{ years: ["20"] }, "years.0", "20 is not a valid year"],
  [{ years: ["20201"] }, "years.0", "20201 is not a valid year"],
  [{ years: ["2020", "next"] }, "years.1", "next is not a valid year"],
  [{ years: ["2020:"] }, "years.0", " is not a valid year"],
  // location
  [{ location: "Mars/Base" }, "location", "unknown time zone Mars/Base"],
  [{ location: "europe/berlin" }, "location", "unknown time zone europe/berlin"],
  [{ location: "utc" }, "location", "unknown time zone utc"],
  [{ location: "local" }, "location", "unknown time zone local"],
  [{ location: "+01:00" }, "location", "unknown time zone +01:00"],
];

for (const [raw, path, message] of errorCases) {
  test(`rejects ${JSON.stringify(raw)}: ${message}`, () => {
    assert.throws(
      () => parse(raw),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.where, `am.yml:time_intervals.0.${path}`);
        assert.equal(err.message, `am.yml:time_intervals.0.${path}: ${message}`);
        return true;
      },
    );
  });
}

test("reports the first invalid field in times, weekdays, days_of_month, months, years, location order", () => {
  assert.throws(() => parse({ location: "Mars/Base", years: ["x"], weekdays: ["funday"] }), /weekdays\.0: funday is not a valid weekday/);
});

test("TimeIntervalSet: a name matches if any of its intervals matches", () => {
  const weekend = parse({ weekdays: ["saturday", "sunday"] });
  const nights = parse({ times: [{ start_time: "00:00", end_time: "06:00" }] });
  const never = parse({ years: ["1999"] });
  const source = new Map<string, readonly TimeInterval[]>([
    ["off-hours", [weekend, nights]],
    ["never", [never]],
    ["empty", []],
  ]);
  const set = new TimeIntervalSet(source);
  assert.equal(set.contains("off-hours", at("2026-04-04T12:00Z")), true, "Saturday noon");
  assert.equal(set.contains("off-hours", at("2026-04-01T03:00Z")), true, "Wednesday night");
  assert.equal(set.contains("off-hours", at("2026-04-01T12:00Z")), false, "Wednesday noon");
  assert.equal(set.contains("never", at("2026-04-01T12:00Z")), false);
  assert.equal(set.contains("empty", at("2026-04-01T12:00Z")), false, "a name with no intervals never matches");
  assert.equal(set.has("off-hours"), true);
  assert.equal(set.has("empty"), true);
  assert.equal(set.has("nope"), false);
  assert.throws(() => set.contains("nope", 0), /time interval nope doesn't exist in config/);

  source.delete("never");
  assert.equal(set.has("never"), true, "the set keeps its own copy");
});

test("rejects a non-finite instant instead of guessing", () => {
  const berlin = parse({ location: "Europe/Berlin" });
  assert.throws(() => intervalContains(parse({}), Number.NaN), RangeError);
  assert.throws(() => intervalContains(berlin, Number.POSITIVE_INFINITY), RangeError);
});
