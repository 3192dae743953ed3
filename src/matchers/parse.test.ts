import { test } from "node:test";
import assert from "node:assert/strict";
import { MatcherError, parseMatcher, parseMatchers, parseFilterParam, matcherString } from "./index.ts";
import type { MatchType } from "./index.ts";

test("parseMatcher splits name, operator and value", () => {
  const cases: Array<[string, string, MatchType, string]> = [
    ["alertname=test1", "alertname", "=", "test1"],
    ['alertname="test1"', "alertname", "=", "test1"],
    ['  team  !=  "ops"  ', "team", "!=", "ops"],
    ['team=~"ops|dev"', "team", "=~", "ops|dev"],
    ["team!~db", "team", "!~", "db"],
    ["foo=", "foo", "=", ""],
    ['foo=""', "foo", "=", ""],
    ["foo!=", "foo", "!=", ""],
    ["foo = bar baz \t\n", "foo", "=", "bar baz"],
    ["foo==bar", "foo", "=", "=bar"],
    ["foo=~~", "foo", "=~", "~"],
    ["foo=!x", "foo", "=", "!x"],
    ['label:with:colons="v"', "label:with:colons", "=", "v"],
    [":a=b", ":a", "=", "b"],
    ["_x9=1", "_x9", "=", "1"],
    ['note="café ✓"', "note", "=", "café ✓"],
    ["emoji=😀", "emoji", "=", "😀"],
    ['q="a\\"b"', "q", "=", 'a"b'],
    ['q="a\\nb"', "q", "=", "a\nb"],
    ['q="a\\\\b"', "q", "=", "a\\b"],
    ['q="a\\tb"', "q", "=", "a\\tb"], // spurious escape stays literal
    ["q=a\\", "q", "=", "a\\"], // backslash as the last character
    ['q="\\\\"', "q", "=", "\\"],
    ['q="multi\nline"', "q", "=", "multi\nline"],
    ["q=\u000bx\u000b", "q", "=", "\u000bx\u000b"], // Go's \s has no \v
    ["q=\u00a0x", "q", "=", "\u00a0x"], // nor anything beyond ASCII
    ["q=[", "q", "=", "["],
  ];
  for (const [input, name, type, value] of cases) {
    const m = parseMatcher(input);
    assert.deepEqual([m.name, m.type, m.value], [name, type, value], JSON.stringify(input));
  }
});

test("parseMatcher errors carry Alertmanager's messages", () => {
  const cases: Array<[string, string]> = [
    ["alertname~~x", "bad matcher format: alertname~~x"],
    ["", "bad matcher format: "],
    ["   ", "bad matcher format:    "],
    ["1foo=bar", "bad matcher format: 1foo=bar"],
    ["foo-bar=x", "bad matcher format: foo-bar=x"],
    ["foo bar=x", "bad matcher format: foo bar=x"],
    ["foo", "bad matcher format: foo"],
    ['{foo="bar"}', 'bad matcher format: {foo="bar"}'],
    ['foo="a"b"', 'matcher value contains unescaped double quote: "a"b"'],
    ['foo=a"b', 'matcher value contains unescaped double quote: a"b'],
    ['foo=abc"', 'matcher value contains unescaped double quote: abc"'],
    ['foo="abc', 'matcher value contains unescaped double quote: "abc'],
    ['foo="', 'matcher value contains unescaped double quote: "'],
    ['foo="bar\\"', 'matcher value contains unescaped double quote: "bar\\"'],
    ['foo=""x', 'matcher value contains unescaped double quote: ""x'],
    ['a="\ud800"', 'matcher value not valid UTF-8: "\ud800"'],
    ["a=x\udc00", "matcher value not valid UTF-8: x\udc00"],
    ['a=~"("', "error parsing regexp: missing closing ): `^(?:()$`"],
    ['a!~"a**"', "error parsing regexp: invalid nested repetition operator: `**`"],
  ];
  for (const [input, message] of cases) {
    assert.throws(
      () => parseMatcher(input),
      (e: unknown) => e instanceof MatcherError && e.message === message,
      `${JSON.stringify(input)} should fail with ${message}`,
    );
  }
});

test("parsed matchers match", () => {
  assert.ok(parseMatcher('foo=""').matches(""));
  assert.ok(!parseMatcher('foo=""').matches("x"));
  assert.ok(parseMatcher('foo!=""').matches("x"));
  assert.ok(!parseMatcher('foo!=""').matches(""));
  assert.ok(parseMatcher('foo=~"x|"').matches("x"));
  assert.ok(parseMatcher('foo=~"x|"').matches(""));
  assert.ok(parseMatcher('code=~"5.."').matches("503"));
  assert.ok(parseMatcher('path=~"C:\\\\\\\\.*"').matches("C:\\Windows"));
});

test("parseMatchers reads config and CLI lists", () => {
  const cases: Array<[string, string[]]> = [
    ['{a="1",b=~"x"}', ['a="1"', 'b=~"x"']],
    ['a="1",b=~"x"', ['a="1"', 'b=~"x"']],
    ['{foo="a,b", bar=~"x|y"}', ['foo="a,b"', 'bar=~"x|y"']],
    ['a="1",', ['a="1"']],
    ['{foo = "bar", dings != "bums", }', ['foo="bar"', 'dings!="bums"']],
    ["foo=bar,dings!=bums", ['foo="bar"', 'dings!="bums"']],
    ["a=b , c=d", ['a="b"', 'c="d"']],
    ['{quote="She said: \\"Hi, ladies!\\""}', ['quote="She said: \\"Hi, ladies!\\""']],
    ['a="x\\\\",b="y"', ['a="x\\\\"', 'b="y"']],
    ['a="1"}', ['a="1"']],
    ['{a="1"', ['a="1"']],
    ["{}", []],
    ["", []],
    ["  ", []],
    ["a=b,  \t", ['a="b"']],
    ['note="café ✓",label:with:colons="v"', ['note="café ✓"', 'label:with:colons="v"']],
    // strings.TrimSpace trims the last token with Unicode spaces before parsing; other tokens keep theirs.
    ["a=b\u00a0", ['a="b"']],
    ["a=b\u00a0,c=d", ['a="b\u00a0"', 'c="d"']],
  ];
  for (const [input, want] of cases) {
    assert.deepEqual(parseMatchers(input).map(matcherString), want, JSON.stringify(input));
  }
});

test("parseMatchers errors", () => {
  const cases: Array<[string, string]> = [
    ['a="1",,b="2"', "bad matcher format: "],
    [',a="1"', "bad matcher format: "],
    ['{{a="1"}}', 'bad matcher format: {a="1"}'],
    ['a="1", b="2', 'matcher value contains unescaped double quote: "2'],
    ['a=~"(",b="2"', "error parsing regexp: missing closing ): `^(?:()$`"],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseMatchers(input), (e: unknown) => e instanceof MatcherError && e.message === message, JSON.stringify(input));
  }
});

test("parseFilterParam parses each value as exactly one matcher", () => {
  assert.deepEqual(parseFilterParam(['alertname="x"', 'severity=~"crit.*"']).map(matcherString), ['alertname="x"', 'severity=~"crit.*"']);
  assert.deepEqual(parseFilterParam([]), []);
  assert.throws(() => parseFilterParam(['a="1",b="2"']), {
    name: "MatcherError",
    message: 'matcher value contains unescaped double quote: "1",b="2"',
  });
  assert.throws(() => parseFilterParam(["ok=1", "bad~1"]), { name: "MatcherError", message: "bad matcher format: bad~1" });
  assert.throws(() => parseFilterParam(['a=~"["']), { name: "MatcherError", message: "error parsing regexp: missing closing ]: `[)$`" });
});

test("parseMatcher stays linear on long whitespace runs", () => {
  const input = `a=${" ".repeat(200_000)}x${" ".repeat(200_000)}`;
  const started = performance.now();
  assert.equal(parseMatcher(input).value, `x`);
  const hostile = `a=x${" ".repeat(200_000)}y`;
  assert.equal(parseMatcher(hostile).value.length, 200_002);
  assert.ok(performance.now() - started < 1000);
});
