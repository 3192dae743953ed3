import { test } from "node:test";
import assert from "node:assert/strict";
import { compareGoMapKeys, emitYamlV2, flow, goMap, resolvesToString, scalarStyle, type YamlValue } from "./yaml-v2-emitter.ts";

// Every expectation below is what Alertmanager 0.25 (yaml.v2) printed in config.original for the same value,
// measured with test/fixtures/config-original (test/e2e/config-original-differential.test.ts keeps that true).

const value = (v: YamlValue): string => emitYamlV2({ k: v });

test("plain when the text reads back as a string", () => {
  for (const s of ["-x", "a:b", "a#b", "x]", "?x", ":x", "x,y", "<<", "12e", "=x", "x\\y", "==", "+", ".", "héllo wörld ✓", "\u00a0nbsp", "<secret>"]) {
    assert.equal(value(s), `k: ${s}\n`, s);
  }
});

test("double quotes when plain text would resolve to another type (YAML 1.1 as yaml.v2 reads it)", () => {
  const resolving = [
    "true", "True", "TRUE", "yes", "Yes", "no", "on", "off", "y", "n", "null", "NULL", "~", "",
    "123", "1e3", "0x1F", "0b101", "0o17", "017", "1_000", "+1", "-1.5e-3", ".5", "1.", "0", "99999999999999999999",
    ".inf", "-.inf", ".NaN", "09:00", "1:20:30", "2001-12-14", "2001-12-14T21:59:43.10-05:00", "2001-12-14 21:59:43.10",
  ];
  for (const s of resolving) {
    assert.equal(resolvesToString(s) && s !== "09:00" && s !== "1:20:30", false, s);
    assert.equal(value(s), `k: "${s}"\n`, s);
  }
});

test("single quotes when the emitter forbids plain: indicators, leading/trailing space, ': ', ' #'", () => {
  const cases: Array<[string, string]> = [
    [" lead", "' lead'"], ["trail ", "'trail '"], ["a: b", "'a: b'"], ["a #b", "'a #b'"], ["*x", "'*x'"],
    ["@x", "'@x'"], ["%x", "'%x'"], ["'q'", "'''q'''"], ['"q"', `'"q"'`], ["- x", "'- x'"], ["[x", "'[x'"],
    ["{x", "'{x'"], ["&x", "'&x'"], ["!x", "'!x'"], ["|x", "'|x'"], [">x", "'>x'"], ["`x", "'`x'"], ["? x", "'? x'"],
    [",x", "',x'"], ["#x", "'#x'"], ["-", "'-'"], ["---", "'---'"], ["...", "'...'"], ["x:", "'x:'"],
    ['{{ template "slack.default.title" . }}', `'{{ template "slack.default.title" . }}'`],
  ];
  for (const [s, out] of cases) assert.equal(value(s), `k: ${out}\n`, s);
});

test("double quotes with escapes for what yaml.v2 does not print: TAB, CR, astral characters", () => {
  assert.equal(value("tab\there"), 'k: "tab\\there"\n');
  assert.equal(value("\r"), 'k: "\\r"\n');
  assert.equal(value("🔥 fire"), 'k: "\\U0001F525 fire"\n');
  assert.equal(value("a\x7fb"), 'k: "a\\x7Fb"\n');
});

test("literal block style for multi-line text, with yaml.v2's chomping and indentation hints", () => {
  assert.equal(value("line one\nline two\n"), "k: |\n  line one\n  line two\n");
  assert.equal(value("line one\nline two"), "k: |-\n  line one\n  line two\n");
  assert.equal(value("line one\nline two\n\n"), "k: |+\n  line one\n  line two\n\n");
  assert.equal(value("\n"), "k: |2+\n\n");
  assert.equal(value(" leading\nsecond"), "k: |2-\n   leading\n  second\n");
  assert.equal(value("a\n\nb\n"), "k: |\n  a\n\n  b\n");
  // A literal cannot carry a space before a newline, a trailing space, or a TAB: double quotes instead.
  assert.equal(value("trailing \nsecond"), 'k: "trailing \\nsecond"\n');
  assert.equal(value("x\n "), 'k: "x\\n "\n');
  assert.equal(value("tab\tin\nmulti"), 'k: "tab\\tin\\nmulti"\n');
});

test("long values fold at the first space past column 80; keys and unbroken words do not", () => {
  const words = `${"word ".repeat(30)}end`;
  assert.equal(
    emitYamlV2({ r: [{ c: [{ text: words }] }] }),
    "r:\n- c:\n  - text: word word word word word word word word word word word word word word word\n" +
      "      word word word word word word word word word word word word word word word end\n",
  );
  assert.equal(value("x".repeat(100)), `k: ${"x".repeat(100)}\n`);
  // Columns count characters, not bytes.
  const accented = `${"é".repeat(60)} b c`;
  assert.equal(value(accented), `k: ${accented}\n`);
  // A folded double-quoted line that would start with a space escapes it.
  assert.equal(value(`\t${"a".repeat(77)}  b`), `k: "\\t${"a".repeat(77)}\n  \\ b"\n`);
  // Single quotes fold too, but never at a space followed by another one.
  assert.equal(value(`'${"a".repeat(80)}  b c'`), `k: '''${"a".repeat(80)}  b\n  c'''\n`);
});

test("block layout: sequences at their key's indentation, mappings by two, empty collections in flow style", () => {
  const doc = { a: { b: ["x", "y"], c: [] as YamlValue[], d: {} }, e: [{ f: 1, g: [true, null] }, [["z"]]], h: false };
  assert.equal(
    emitYamlV2(doc),
    "a:\n  b:\n  - x\n  - \"y\"\n  c: []\n  d: {}\ne:\n- f: 1\n  g:\n  - true\n  - null\n- - - z\nh: false\n",
  );
});

test("flow collections as yaml.v2 writes ,flow fields, wrapping past column 80", () => {
  assert.equal(value(flow(["monday:friday", "saturday", "10", "-3:-1"])), "k: ['monday:friday', saturday, \"10\", '-3:-1']\n");
  const days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "monday", "tuesday", "wednesday"];
  assert.equal(
    emitYamlV2({ t: [flow({ weekdays: days })] }),
    "t:\n- {weekdays: [monday, tuesday, wednesday, thursday, friday, saturday, sunday, monday,\n    tuesday, wednesday]}\n",
  );
  assert.equal(value(flow({ times: [{ start_time: "01:02", end_time: "10:00" }], location: "UTC" })), 'k: {times: [{start_time: "01:02", end_time: "10:00"}], location: UTC}\n');
});

test("keys: quoted like values, never folded; long or multi-line keys become complex keys", () => {
  assert.equal(emitYamlV2(goMap({ "": "empty", "#k": "y", "9": "nine", "10": "ten", "a: b": "c" })), '"": empty\n\'#k\': "y"\n"9": nine\n"10": ten\n\'a: b\': c\n');
  assert.equal(scalarStyle("", { key: true }), "double");
  const long = "k".repeat(129);
  assert.equal(emitYamlV2({ [long]: "v" }), `? ${long}\n: v\n`);
  assert.equal(emitYamlV2({ ["k".repeat(128)]: "v" }), `${"k".repeat(128)}: v\n`);
});

test("Go map keys in yaml.v2's order: non-letters before letters, digit runs by value", () => {
  const sorted = (keys: string[]): string[] => [...keys].sort(compareGoMapKeys);
  assert.deepEqual(sorted(["To", "Subject", "From", "Reply-To"]), ["From", "Reply-To", "Subject", "To"]);
  assert.deepEqual(sorted(["k10", "k9", "k_2", "k-2", "K2", "a01"]), ["K2", "a01", "k-2", "k_2", "k9", "k10"]);
  assert.deepEqual(sorted(["alertname", "alert_name", "Alertname"]), ["Alertname", "alert_name", "alertname"]);
  assert.deepEqual(sorted(["10", "9", "", "#k"]), ["", "#k", "9", "10"]);
});
