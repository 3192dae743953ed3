import assert from "node:assert/strict";
import { test } from "node:test";
import { htmlEscape, jsEscape, queryEscape } from "./escape.ts";

test("html, js and urlquery escaping", () => {
  assert.equal(htmlEscape(`<a href='x'>&"</a>\0`), "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;\ufffd");
  assert.equal(jsEscape("a'b\"c<d>&=\\ \n\t\u00a0é\u2028😀"), "a\\'b\\\"c\\u003Cd\\u003E\\u0026\\u003D\\\\ \\u000A\\u0009\\u00A0é\\u2028😀");
  assert.equal(queryEscape("a b&c=d/é~*"), "a+b%26c%3Dd%2F%C3%A9~%2A");
});
