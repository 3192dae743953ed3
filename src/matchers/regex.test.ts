import { test } from "node:test";
import assert from "node:assert/strict";
import { compileAnchored } from "./regex.ts";

function errorOf(pattern: string): string | undefined {
  const r = compileAnchored(pattern);
  return r.ok ? undefined : r.error;
}

function matcherOf(pattern: string): (v: string) => boolean {
  const r = compileAnchored(pattern);
  if (!r.ok) assert.fail(`${pattern}: ${r.error}`);
  return r.test;
}

test("RE2 errors are reported in Go's words, fragment included", () => {
  const cases: Array<[string, string]> = [
    ["(", "missing closing ): `^(?:()$`"],
    ["((a)", "missing closing ): `^(?:((a))$`"],
    ["\\", "missing closing ): `^(?:\\)$`"], // the backslash escapes the wrapper's `)`
    ["\\Qabc", "missing closing ): `^(?:\\Qabc)$`"],
    ["a)", "unexpected ): `^(?:a))$`"],
    ["[a", "missing closing ]: `[a)$`"],
    ["[]", "missing closing ]: `[])$`"],
    ["\\1", "invalid escape sequence: `\\1`"],
    ["\\8", "invalid escape sequence: `\\8`"],
    ["\\e", "invalid escape sequence: `\\e`"],
    ["\\xZ", "invalid escape sequence: `\\xZ)`"],
    ["\\x{110000}", "invalid escape sequence: `\\x{110000`"],
    ["[\\b]", "invalid escape sequence: `\\b`"],
    ["[a-\\d]", "invalid escape sequence: `\\d`"],
    ["a**", "invalid nested repetition operator: `**`"],
    ["a**?", "invalid nested repetition operator: `**?`"],
    ["x{2}{3}", "invalid nested repetition operator: `{2}{3}`"],
    ["a++", "invalid nested repetition operator: `++`"],
    ["*", "missing argument to repetition operator: `*`"],
    ["a|*", "missing argument to repetition operator: `*`"],
    ["(?i)*", "missing argument to repetition operator: `*`"],
    ["[z-a]", "invalid character class range: `z-a`"],
    ["\\pX", "invalid character class range: `\\pX`"],
    ["\\p", "invalid character class range: `\\p)`"],
    ["\\p{", "invalid character class range: `\\p{)$`"],
    ["[[:foo:]]", "invalid character class range: `[:foo:]`"],
    ["a{2,1}", "invalid repeat count: `{2,1}`"],
    ["a{1001}", "invalid repeat count: `{1001}`"],
    ["(a{500}){3}", "invalid repeat count: `{3}`"],
    ["(?x)", "invalid or unsupported Perl syntax: `(?x`"],
    ["(?-)", "invalid or unsupported Perl syntax: `(?-)`"],
    ["(?=a)", "invalid or unsupported Perl syntax: `(?=`"],
    ["(?P=n)", "invalid or unsupported Perl syntax: `(?P`"],
    ["(?P<>a)", "invalid named capture: `(?P<>`"],
    ["(?P<a-b>a)", "invalid named capture: `(?P<a-b>`"],
    ["(?P<x", "invalid named capture: `(?P<x)$`"],
  ];
  for (const [pattern, message] of cases) assert.equal(errorOf(pattern), `error parsing regexp: ${message}`, pattern);
});

test("constructs RE2 or its node binding accept but Go 1.19 rejects", () => {
  const cases: Array<[string, string]> = [
    ["\\C", "invalid escape sequence: `\\C`"],
    ["[\\C]", "invalid escape sequence: `\\C`"],
    ["\\cA", "invalid escape sequence: `\\c`"],
    ["\\u0041", "invalid escape sequence: `\\u`"],
    ["\\u{41}", "invalid escape sequence: `\\u`"],
    ["\\p{Letter}", "invalid character class range: `\\p{Letter}`"],
    ["\\p{Script=Greek}", "invalid character class range: `\\p{Script=Greek}`"],
    ["(?<n>a)", "invalid or unsupported Perl syntax: `(?<`"],
    ["(?<=a)b", "invalid or unsupported Perl syntax: `(?<`"],
    ["(?P<é>a)", "invalid named capture: `(?P<é>`"],
  ];
  for (const [pattern, message] of cases) assert.equal(errorOf(pattern), `error parsing regexp: ${message}`, pattern);
});

test("the first error in the expression wins, whichever engine finds it", () => {
  const cases: Array<[string, string]> = [
    ["a**\\C", "invalid nested repetition operator: `**`"],
    ["\\C**", "invalid escape sequence: `\\C`"],
    ["a)\\C", "invalid escape sequence: `\\C`"], // the `)` closes the wrapper's group
    ["a))\\C", "unexpected ): `^(?:a))\\C)$`"],
    ["[a\\C", "invalid escape sequence: `\\C`"],
    ["[z-a\\C", "invalid character class range: `z-a`"],
    ["(?i\\C", "invalid or unsupported Perl syntax: `(?i\\`"],
    ["(\\cA", "invalid escape sequence: `\\c`"],
  ];
  for (const [pattern, message] of cases) assert.equal(errorOf(pattern), `error parsing regexp: ${message}`, pattern);
});

test("fragments quote the user's text, not the sanitized pattern", () => {
  const cases: Array<[string, string]> = [
    ["[/", "missing closing ]: `[/)$`"],
    ["(/", "missing closing ): `^(?:(/)$`"],
    ["[/-!]", "invalid character class range: `/-!`"],
    ["[)-(]", "invalid character class range: `)-(`"],
    ["\\p{X}", "invalid character class range: `\\p{X}`"],
    ["[[:(?<:]]", "invalid character class range: `[:(?<:]`"],
    ["(?P<a>x)(?P<a>y))", "unexpected ): `^(?:(?P<a>x)(?P<a>y)))$`"],
  ];
  for (const [pattern, message] of cases) assert.equal(errorOf(pattern), `error parsing regexp: ${message}`, pattern);
});

test("valid patterns match with Go's semantics: anchored, `.` stops at newlines", () => {
  const cases: Array<[string, string[], string[]]> = [
    ["x|", ["x", ""], ["xx", "y"]],
    ["ops|dev", ["ops", "dev"], ["ops|dev", "op", "devs", ""]],
    ["a.c", ["abc", "a/c"], ["ac", "a\nc", "xabc"]],
    [".*", ["", "anything"], ["two\nlines"]],
    [".+", ["x"], ["", "a\nb"]],
    ["(?s).+", ["a\nb"], [""]],
    ["5..", ["500", "503"], ["50", "5000"]],
    ["(?i)Warn(ing)?", ["warn", "WARNING"], ["warnings"]],
    ["café ✓", ["café ✓"], ["cafe ✓"]],
    ["\\p{Greek}+", ["αβγ"], ["abc"]],
    ["[[:digit:]]{2,3}", ["12", "123"], ["1", "1234"]],
    ["\\x{41}\\101\\t", ["AA\t"], ["AA"]],
    ["a/b", ["a/b"], ["a\\/b"]],
    ["\\/", ["/"], ["\\/"]],
    // The binding would turn these into `\/`, `(?P<` and `(?P<` inside a class.
    ["\\Q/\\E", ["/"], ["\\/"]],
    ["\\Qa.b(\\E", ["a.b("], ["aXb("]],
    ["[(?<]+", ["(?<", "<"], ["P"]],
    // Go accepts repeated capture names; RE2's binding does not.
    ["(?P<x>a)(?P<x>b)", ["ab"], ["a"]],
    ["(?P<n1>x|y)z", ["xz", "yz"], ["z"]],
    ["a{,2}", ["a{,2}"], ["aa"]],
    ["a{01}", ["a{01}"], ["a"]],
    ["^a$", ["a"], [""]],
  ];
  for (const [pattern, yes, no] of cases) {
    const m = matcherOf(pattern);
    for (const v of yes) assert.ok(m(v), `${pattern} should match ${JSON.stringify(v)}`);
    for (const v of no) assert.ok(!m(v), `${pattern} should not match ${JSON.stringify(v)}`);
  }
});

test("string fast paths agree with RE2 on the same pattern", () => {
  const patterns = ["", "x", "a|b|", "|", ".*", ".+", "host-1.*", ".*-prod", ".*db.*", "café.*", "a b.*", "é|✓", "x\ny", "x\n.*", ".*.*", "a.*b"];
  const values = ["", "x", "a", "b", "|", "host-1", "host-12", "host-1\n", "\nhost-1x", "eu-prod", "eu-prod\n", "db", "mydbx", "my\ndb"];
  values.push("café au lait", "a b c", "é", "✓", "x\ny", "x\n", "x\nz", "ab", "a\nb", "axxb");
  for (const p of patterns) {
    const fast = matcherOf(p);
    const viaRe2 = matcherOf(`(?:${p})`); // a group is never fast-pathed
    for (const v of values) assert.equal(fast(v), viaRe2(v), `${JSON.stringify(p)} on ${JSON.stringify(v)}`);
  }
});

test("lone surrogates are invalid UTF-8 for Go", () => {
  assert.equal(errorOf("a\ud800b"), "error parsing regexp: invalid UTF-8: `\ufffdb)$`");
  assert.ok(matcherOf("😀+")("😀😀"));
});

test("RE2's memory budget is the one known gap: reported as Go 1.20's size error", () => {
  assert.equal(errorOf("\\pL{1000}"), "error parsing regexp: expression too large: `^(?:\\pL{1000})$`");
});
