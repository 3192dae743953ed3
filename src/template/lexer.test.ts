import assert from "node:assert/strict";
import { test } from "node:test";
import { describeToken, lex } from "./lexer.ts";

const kinds = (s: string): string[] => lex(s).map((t) => (t.type === "space" ? "_" : `${t.type}:${t.val}`));

test("text and actions with operands", () => {
  assert.deepEqual(kinds('a{{ .Foo.Bar | printf "%d" 1 }}b'), [
    "text:a", "leftDelim:{{", "_", "field:.Foo", "field:.Bar", "_", "pipe:|", "_", "identifier:printf", "_",
    'string:"%d"', "_", "number:1", "_", "rightDelim:}}", "text:b", "eof:",
  ]);
});

test("trim markers eat the whitespace next to them", () => {
  assert.deepEqual(kinds("a  \n {{- 3 -}} \t b"), ["text:a", "leftDelim:{{", "number:3", "rightDelim:}}", "text:b", "eof:"]);
  // Without the space, the dash belongs to the number.
  assert.deepEqual(kinds("{{-3}}"), ["leftDelim:{{", "number:-3", "rightDelim:}}", "eof:"]);
});

test("comments vanish, trimmed or not", () => {
  assert.deepEqual(kinds("a {{- /* x */ -}} b{{/* y */}}c"), ["text:a", "text:b", "text:c", "eof:"]);
});

test("keywords, variables, declarations, parentheses", () => {
  assert.deepEqual(kinds("{{range $i, $e := (.X)}}"), [
    "leftDelim:{{", "range:range", "_", "variable:$i", "char:,", "_", "variable:$e", "_", "declare::=", "_",
    "leftParen:(", "field:.X", "rightParen:)", "rightDelim:}}", "eof:",
  ]);
  assert.deepEqual(kinds("{{ . $ nil true }}").filter((k) => k !== "_"), ["leftDelim:{{", "dot:.", "variable:$", "nil:nil", "bool:true", "rightDelim:}}", "eof:"]);
});

test("numbers, characters and complex constants", () => {
  assert.deepEqual(kinds("{{ 0x1F 1e3 'a' 1+2i .5 }}").filter((k) => k !== "_"), [
    "leftDelim:{{", "number:0x1F", "number:1e3", "charConstant:'a'", "complex:1+2i", "number:.5", "rightDelim:}}", "eof:",
  ]);
});

test("lexing stops at the first error", () => {
  const last = (s: string) => lex(s).at(-1);
  assert.equal(last("{{ .X")?.val, "unclosed action");
  assert.equal(last('{{ "abc }}')?.val, "unterminated quoted string");
  assert.equal(last("{{/* x }}")?.val, "unclosed comment");
  assert.equal(last("{{/* x */ }}")?.val, "comment ends before closing delimiter");
  assert.equal(last("{{ 1x }}")?.val, 'bad number syntax: "1x"');
  assert.equal(last("{{ .A-b }}")?.val, "bad character U+002D '-'");
  assert.equal(last("{{ ( }}")?.val, "unclosed left paren");
  assert.equal(last("{{ \u0001 }}")?.val, "unrecognized character in action: U+0001");
});

test("tokens are named as Go's parser names them", () => {
  const [, , t] = lex("{{ abcdefghijklmn }}");
  assert.ok(t !== undefined);
  assert.equal(describeToken(t), '"abcdefghij"...');
  const [, kw] = lex("{{if}}");
  assert.ok(kw !== undefined);
  assert.equal(describeToken(kw), "<if>");
});

test("lines are counted for error messages", () => {
  const tokens = lex("a\nb{{ .X\n}}");
  assert.deepEqual(tokens.map((t) => t.line), [1, 2, 2, 2, 2, 3, 3]);
});
