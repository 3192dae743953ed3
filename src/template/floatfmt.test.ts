import assert from "node:assert/strict";
import { test } from "node:test";
import { formatFloat } from "./floatfmt.ts";

test("shortest forms as %v prints them", () => {
  const cases: [number, string][] = [
    [1e6, "1e+06"], [123456789, "1.23456789e+08"], [1e20, "1e+20"], [1e21, "1e+21"], [0.0001, "0.0001"],
    [0.00001, "1e-05"], [1.5, "1.5"], [100000, "100000"], [-0, "-0"], [0, "0"], [5e-324, "5e-324"], [0.1, "0.1"],
  ];
  for (const [x, s] of cases) assert.equal(formatFloat(x, "g", -1), s, String(x));
});

test("fixed precision rounds half to even on the exact binary value", () => {
  assert.equal(formatFloat(1.005, "f", 2), "1.00");
  assert.equal(formatFloat(2.5, "f", 0), "2");
  assert.equal(formatFloat(3.5, "f", 0), "4");
  assert.equal(formatFloat(0.125, "f", 2), "0.12");
  assert.equal(formatFloat(2.675, "f", 2), "2.67");
  assert.equal(formatFloat(99.995, "f", 2), "100.00");
  assert.equal(formatFloat(0.1, "f", 20), "0.10000000000000000555");
  assert.equal(formatFloat(0.0009, "f", 2), "0.00");
});

test("%e and %g with precisions", () => {
  assert.equal(formatFloat(123456.789, "e", 6), "1.234568e+05");
  assert.equal(formatFloat(1, "E", 6), "1.000000E+00");
  assert.equal(formatFloat(1234567, "g", 3), "1.23e+06");
  assert.equal(formatFloat(1, "g", 3), "1");
  assert.equal(formatFloat(1e100, "e", 6), "1.000000e+100");
  assert.equal(formatFloat(2.5, "e", 0), "2e+00");
});

test("binary and hexadecimal forms", () => {
  assert.equal(formatFloat(1, "b", -1), "4503599627370496p-52");
  assert.equal(formatFloat(1.5, "x", -1), "0x1.8p+00");
  assert.equal(formatFloat(-0.375, "X", -1), "-0X1.8P-02");
  assert.equal(formatFloat(3.14159, "x", 2), "0x1.92p+01");
  assert.equal(formatFloat(Infinity, "f", 2), "+Inf");
  assert.equal(formatFloat(NaN, "g", -1), "NaN");
});
