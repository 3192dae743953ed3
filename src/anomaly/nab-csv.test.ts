import { test } from "node:test";
import assert from "node:assert/strict";
import { CsvFormatError, parseNabCsv, parseNabTimestamp } from "./nab-csv.ts";

test("NAB CSV: header optional, CRLF, exponent values, the input text kept as written", () => {
  const rows = parseNabCsv("timestamp,value\r\n2014-07-01 00:00:00,5.47457e+08\r\n2014-07-01 00:05:00,-0.50\r\n");
  assert.deepEqual(rows.map((r) => [r.line, r.timestampText, r.valueText, r.value]), [
    [2, "2014-07-01 00:00:00", "5.47457e+08", 547457000],
    [3, "2014-07-01 00:05:00", "-0.50", -0.5],
  ]);
  assert.equal(rows[0]!.timestampMs, Date.UTC(2014, 6, 1));
  assert.equal(parseNabCsv("2014-07-01 00:00:00,1\n").length, 1);
});

test("NAB CSV: a malformed line is an error that names it", () => {
  const bad: Array<[string, RegExp]> = [
    ["timestamp,value\n2014-07-01 00:00:00,1\n2014-07-01 00:05:00\n", /^line 3: expected 2 fields/],
    ["timestamp,value\n2014-07-01 00:00:00,abc\n", /^line 2: invalid value "abc"/],
    ["timestamp,value\n2014-02-30 00:00:00,1\n", /^line 2: invalid timestamp "2014-02-30 00:00:00"/],
    ["timestamp,value\n2014-07-01 00:00:00,1\n\n2014-07-01 00:10:00,1\n", /^line 3: expected 2 fields/],
    ["time,val\n", /^line 1: invalid timestamp "time"/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parseNabCsv(text), (e: unknown) => e instanceof CsvFormatError && re.test(e.message));
  }
});

test("NAB timestamps are UTC and calendar-checked", () => {
  assert.equal(parseNabTimestamp("2014-11-01 19:00:00"), Date.UTC(2014, 10, 1, 19));
  assert.ok(Number.isNaN(parseNabTimestamp("2014-11-01 24:00:00")));
  assert.ok(Number.isNaN(parseNabTimestamp("2014-11-01")));
});
