import assert from "node:assert/strict";
import { test } from "node:test";
import { matchString, replaceAllString } from "./goregexp.ts";

test("MatchString is unanchored and reports Go's syntax errors", () => {
  assert.equal(matchString("eb", "web"), true);
  assert.equal(matchString("^db", "web"), false);
  assert.throws(() => matchString("(", "a"), { message: "error parsing regexp: missing closing ): `(`" });
});

test("ReplaceAllString expands templates the Go way", () => {
  assert.equal(replaceAllString("(\\w+):(\\d+)", "$2-${1}x-$1x", "web:80 db:5432"), "80-webx- 5432-dbx-");
  assert.equal(replaceAllString("(a)", "$$1 $ ${1", "a"), "$1 $ ${1");
  assert.equal(replaceAllString("^(?P<host>[^.]+)\\..*$", "${host}", "web-01.prod.example.com"), "web-01");
  assert.throws(() => replaceAllString("a(", "x", "a"), { message: "regexp: Compile(`a(`): error parsing regexp: missing closing ): `a(`" });
});

test("no empty match right after a match", () => {
  assert.equal(replaceAllString("a*", "-", "baaac"), "-b-c-");
  assert.equal(replaceAllString("x*", "-", "abc"), "-a-b-c-");
  assert.equal(replaceAllString("", "_", "日本"), "_日_本_");
});
