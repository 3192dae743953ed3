import assert from "node:assert/strict";
import { test } from "node:test";
import { title } from "./title.ts";

// Expected values are what amtool 0.25 prints for {{ title "…" }}.
test("first letter of each word up, the rest down", () => {
  assert.equal(title("hello wORLD foo-bar o'neil ünïcode"), "Hello World Foo-Bar O'neil Ünïcode");
  assert.equal(title("firing"), "Firing");
});

test("word boundaries follow x/text", () => {
  assert.equal(title("1st place"), "1St Place");
  assert.equal(title("a.b:c,d;e"), "A.b:c,D;E");
  assert.equal(title("x''y"), "X''Y");
  assert.equal(title("HELLO_WORLD"), "Hello_world");
  assert.equal(title("hello(world)"), "Hello(World)");
  assert.equal(title("don’t stop"), "Don’t Stop");
  assert.equal(title("x·y"), "X·y");
  assert.equal(title("a1b2 3c"), "A1b2 3C");
});

test("full case mappings and final sigma", () => {
  assert.equal(title("ßtraße"), "Sstraße");
  assert.equal(title("ǆemal"), "ǅemal");
  assert.equal(title("ﬁne"), "Fine");
  assert.equal(title("ΣΑΣ ΟΔΟΣ"), "Σας Οδος");
  assert.equal(title("İstanbul"), "İstanbul");
});
