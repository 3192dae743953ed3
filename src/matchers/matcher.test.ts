import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MatcherError,
  newMatcher,
  checkRegex,
  matcherString,
  matchersString,
  sortMatchers,
  matchesAll,
  matchersFromLegacy,
  parseMatcher,
} from "./index.ts";
import type { MatchType } from "./index.ts";

test("operators: missing labels read as the empty string", () => {
  const cases: Array<[MatchType, string, string, boolean]> = [
    ["=", "x", "x", true],
    ["=", "x", "X", false],
    ["=", "", "", true],
    ["=", "", "present", false],
    ["!=", "", "present", true],
    ["!=", "", "", false],
    ["!=", "x", "y", true],
    ["=~", "x|", "x", true],
    ["=~", "x|", "", true],
    ["=~", "x|", "y", false],
    ["=~", "x", "xx", false], // anchored
    ["=~", "ops|dev", "ops", true],
    ["!~", "ops|dev", "ops", false],
    ["!~", "ops|dev", "db", true],
    ["!~", ".+", "", true],
    ["=~", "c.*", "cpu", true],
    ["=~", "c.*", "xcpu", false],
  ];
  for (const [type, value, label, want] of cases) {
    assert.equal(newMatcher(type, "l", value).matches(label), want, `l${type}${value} on ${JSON.stringify(label)}`);
  }
});

test("regex errors throw MatcherError with Go's message", () => {
  assert.throws(() => newMatcher("=~", "a", "("), (e: unknown) => {
    assert.ok(e instanceof MatcherError);
    assert.equal(e.message, "error parsing regexp: missing closing ): `^(?:()$`");
    return true;
  });
  assert.throws(() => newMatcher("!~", "a", "[z-a]"), { message: "error parsing regexp: invalid character class range: `z-a`" });
  // Equality operators never look at regex syntax.
  assert.equal(newMatcher("=", "a", "(").matches("("), true);
});

test("matcherString renders like Go's Matcher.String", () => {
  const cases: Array<[MatchType, string, string, string]> = [
    ["=~", "team", "ops|dev", 'team=~"ops|dev"'],
    ["=", "a", 'q"x', 'a="q\\"x"'],
    ["!=", "a", "back\\slash", 'a!="back\\\\slash"'],
    ["!~", "a", "two\nlines", 'a!~"two\\nlines"'],
    ["=", "note", "café ✓", 'note="café ✓"'],
    ["=", "e", "", 'e=""'],
  ];
  for (const [type, name, value, want] of cases) assert.equal(matcherString(newMatcher(type, name, value)), want);
});

test("round trip through the parser", () => {
  for (const s of ['a="q\\"x"', 'b=~"x\\\\d+"', 'c!="line\\nbreak"', 'd!~"é|✓"']) {
    const m = parseMatcher(s);
    assert.equal(matcherString(m), s);
    assert.deepEqual(parseMatcher(matcherString(m)), m);
  }
  assert.equal(parseMatcher('a="q\\"x"').value, 'q"x');
});

test("sortMatchers orders by name, value, then Go's operator order", () => {
  const ms = [
    newMatcher("!~", "b", "x"),
    newMatcher("=~", "b", "x"),
    newMatcher("!=", "b", "x"),
    newMatcher("=", "b", "x"),
    newMatcher("=", "b", "a"),
    newMatcher("=", "a", "z"),
  ];
  const sorted = sortMatchers(ms);
  assert.equal(matchersString(sorted), '{a="z",b="a",b="x",b!="x",b=~"x",b!~"x"}');
  assert.equal(matchersString(ms), '{b!~"x",b=~"x",b!="x",b="x",b="a",a="z"}', "input untouched");
});

test("sortMatchers compares values as UTF-8 bytes, like Go", () => {
  // UTF-16 units put U+1F600 (surrogates D83D DE00) before U+FF21; UTF-8 bytes put U+FF21 first.
  const ms = [newMatcher("=", "a", "\u{1F600}"), newMatcher("=", "a", "\uFF21")];
  assert.deepEqual(
    sortMatchers(ms).map((m) => m.value),
    ["\uFF21", "\u{1F600}"],
  );
  assert.deepEqual(
    sortMatchers([newMatcher("=", "b", ""), newMatcher("=", "a", "b"), newMatcher("=", "ab", "")]).map((m) => m.name),
    ["a", "ab", "b"],
  );
});

test("matchersString keeps the given order and renders {} for none", () => {
  assert.equal(matchersString([]), "{}");
  assert.equal(matchersString([newMatcher("=", "z", "1"), newMatcher("=~", "a", "2")]), '{z="1",a=~"2"}');
});

test("matchesAll needs every matcher; absent labels are empty", () => {
  const ms = [newMatcher("=", "alertname", "Disk"), newMatcher("=~", "severity", "critical|"), newMatcher("!=", "team", "")];
  assert.ok(matchesAll(ms, { alertname: "Disk", team: "db" }));
  assert.ok(matchesAll(ms, { alertname: "Disk", team: "db", severity: "critical" }));
  assert.ok(!matchesAll(ms, { alertname: "Disk", team: "db", severity: "warning" }));
  assert.ok(!matchesAll(ms, { alertname: "Disk" }));
  assert.ok(matchesAll([], {}));
  // Inherited properties are not labels.
  assert.ok(matchesAll([newMatcher("=", "constructor", "")], {}));
  assert.ok(matchesAll([newMatcher("=", "toString", "")], { alertname: "x" }));
});

test("matchersFromLegacy turns match / match_re maps into matchers", () => {
  const ms = matchersFromLegacy({ service: "db", alertname: "Disk" }, { severity: "critical|warning" });
  assert.deepEqual(
    ms.map((m) => matcherString(m)),
    ['service="db"', 'alertname="Disk"', 'severity=~"critical|warning"'],
  );
  assert.ok(ms[2]?.matches("warning"));
  assert.ok(!ms[2]?.matches("warning2"));
  assert.deepEqual(matchersFromLegacy(), []);
  assert.deepEqual(matchersFromLegacy(undefined, {}), []);
  assert.throws(() => matchersFromLegacy({}, { a: "[" }), {
    name: "MatcherError",
    message: "error parsing regexp: missing closing ]: `[)$`",
  });
  // Equality values are never regexes.
  assert.equal(matchersFromLegacy({ a: "[" })[0]?.matches("["), true);
});

test("matchers serialise as type, name and value only", () => {
  assert.equal(JSON.stringify(newMatcher("=~", "a", "b|c")), '{"type":"=~","name":"a","value":"b|c"}');
  assert.equal(String(newMatcher("!=", "a", "b")), 'a!="b"');
});

test("checkRegex validates the bare pattern, as silence validation does", () => {
  const cases: Array<[string, string | undefined]> = [
    ["x.*", undefined],
    ["", undefined],
    ["(", "missing closing ): `(`"],
    ["[a", "missing closing ]: `[a`"],
    ["a\\", "trailing backslash at end of expression: ``"],
    ["a)(b", "unexpected ): `a)(b`"],
    ["\\C", "invalid escape sequence: `\\C`"],
  ];
  for (const [pattern, want] of cases) {
    assert.equal(checkRegex(pattern), want === undefined ? undefined : `error parsing regexp: ${want}`, pattern);
  }
  // Anchoring changes what is valid: the wrapper's parentheses balance this one.
  assert.ok(newMatcher("=~", "a", "a)(b").matches("ab"));
});
