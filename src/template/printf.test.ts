import assert from "node:assert/strict";
import { test } from "node:test";
import { KV, PAIRS } from "./data.ts";
import { sprint, sprintf, sprintln } from "./printf.ts";
import type { Value } from "./types.ts";
import { bool, float, INVALID, int, slice, str, stringSlice } from "./types.ts";

const kv = (o: Record<string, string>): Value => ({ kind: "map", type: KV, v: new Map(Object.entries(o).map(([k, v]) => [k, str(v)])) });

test("verbs on strings and integers", () => {
  assert.equal(
    sprintf("%s|%q|%x|%5s|%-5s|%.2s|%05s|%d|%+d|%05d|%x|%#x|%o|%O|%b|%c|%U|%#U", [
      str("hé"), str("hé"), str("hé"), str("ab"), str("ab"), str("héllo"), str("ab"),
      int(42), int(42), int(-42), int(255), int(255), int(8), int(8), int(5), int(65), int(233), int(233),
    ]),
    `hé|"hé"|68c3a9|   ab|ab   |hé|000ab|42|+42|-0042|ff|0xff|10|0o10|101|A|U+00E9|U+00E9 'é'`,
  );
});

test("floats with flags", () => {
  assert.equal(sprintf("%.2f|%6.2f%%|%08.3f|%+.1f|% .1f|%#g|%e|%g", [float(1.005), float(99.999), float(-3.14159), float(2.25), float(2.25), float(1), float(123456.789), float(0.00001234)]), "1.00|100.00%|-003.142|+2.2| 2.2|1.00000|1.234568e+05|1.234e-05");
});

test("composites print as fmt does", () => {
  const labels = kv({ job: "node", alertname: "X" });
  assert.equal(sprint([labels]), "map[alertname:X job:node]");
  assert.equal(sprintf("%#v", [labels]), 'template.KV{"alertname":"X", "job":"node"}');
  assert.equal(sprint([stringSlice(["a", "b"])]), "[a b]");
  assert.equal(sprintf("%q", [stringSlice(["a", "b"])]), '["a" "b"]');
  assert.equal(sprintf("%d", [stringSlice(["a"])]), "[%!d(string=a)]");
  assert.equal(sprint([slice(PAIRS, [])]), "[]");
});

test("complaints about verbs and operands", () => {
  assert.equal(sprintf("%d", [str("x")]), "%!d(string=x)");
  assert.equal(sprintf("%s", []), "%!s(MISSING)");
  assert.equal(sprintf("%s", [int(1), int(2)]), "%!s(int=1)%!(EXTRA int=2)");
  assert.equal(sprintf("%z", [int(3)]), "%!z(int=3)");
  assert.equal(sprintf("%v|%s", [INVALID, INVALID]), "<nil>|%!s(<nil>)");
  assert.equal(sprintf("%[3]s", [int(1)]), "%!s(BADINDEX)");
  assert.equal(sprintf("%", []), "%!(NOVERB)");
  assert.equal(sprintf("%*d", [str("x"), int(5)]), "%!(BADWIDTH)5");
  assert.equal(sprintf("%t", [int(1)]), "%!t(int=1)");
});

test("argument indexes and star widths", () => {
  assert.equal(sprintf("%[2]s %[1]s", [str("a"), str("b")]), "b a");
  assert.equal(sprintf("%*d|%-*d|%.*f", [int(5), int(3), int(4), int(7), int(2), float(3.14159)]), "    3|7   |3.14");
});

test("Sprint and Sprintln spacing", () => {
  assert.equal(sprint([int(1), int(2), str("a"), str("b"), int(3), INVALID, bool(true)]), "1 2ab3 <nil> true");
  assert.equal(sprintln([int(1), str("a")]), "1 a\n");
});
