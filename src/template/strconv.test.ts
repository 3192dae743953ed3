import assert from "node:assert/strict";
import { test } from "node:test";
import { readNumber } from "./number-literal.ts";
import { canBackquote, parseFloat64, parseInt64, parseUint, quote, quoteRune, quoteToAscii, unquote } from "./strconv.ts";

test("quote like strconv.Quote", () => {
  assert.equal(quote('a"b\\c\n\t\x01\x7fé😀\u00a0'), '"a\\"b\\\\c\\n\\t\\x01\\x7fé😀\\u00a0"');
  assert.equal(quoteToAscii("é😀"), '"\\u00e9\\U0001f600"');
  assert.equal(quoteRune(0x78, false), "'x'");
  assert.equal(quoteRune(-1, false), "'�'");
  assert.equal(canBackquote("a`b"), false);
  assert.equal(canBackquote("tab\there"), true);
});

test("unquote like strconv.Unquote", () => {
  assert.equal(unquote('"\\x41\\101\\u00e9\\U0001F600\\a"'), "AAé😀\x07");
  assert.equal(unquote("`raw\\n`"), "raw\\n");
  assert.throws(() => unquote('"\\q"'), /invalid syntax/);
  assert.throws(() => unquote('"\\ud800"'), /invalid syntax/);
});

test("base-0 integer and float syntax", () => {
  assert.equal(parseUint("0x1F"), 31n);
  assert.equal(parseUint("017"), 15n);
  assert.equal(parseUint("0b1_0"), 2n);
  assert.equal(parseUint("1__0"), undefined);
  assert.equal(parseUint("08"), undefined);
  assert.equal(parseInt64("-9223372036854775808"), -(2n ** 63n));
  assert.equal(parseInt64("9223372036854775808"), undefined);
  assert.equal(parseFloat64("1_000.5"), 1000.5);
  assert.equal(parseFloat64("0x1.8p1"), 3);
  assert.equal(parseFloat64("1e400"), undefined);
  assert.equal(parseFloat64("0x1F"), undefined);
});

test("number constants record every reading", () => {
  const n = readNumber("1e3", "number");
  assert.ok(typeof n !== "string");
  assert.deepEqual([n.isInt, n.int, n.isFloat, n.float], [true, 1000n, true, 1000]);
  const c = readNumber("'a'", "charConstant");
  assert.ok(typeof c !== "string" && c.isInt && c.int === 97n);
  const i = readNumber("2i", "number");
  assert.ok(typeof i !== "string" && i.isComplex && i.im === 2 && !i.isFloat);
  assert.equal(readNumber("08", "number"), 'integer overflow: "08"');
  assert.equal(readNumber("1e", "number"), 'illegal number syntax: "1e"');
});
