import { test } from "node:test";
import assert from "node:assert/strict";
import { fingerprint, labelSetString, withoutEmptyValues, isValidLabelName, goQuote, sortedLabelNames, sortedNonEmptyLabelSet, hasSortedNames } from "./labels.ts";

test("fingerprints match the values measured on Alertmanager 0.25", () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ alertname: "Watchdog" }, "003b0a0f7d3fa569"],
    [{ alertname: "HighCPU", cluster: "c1", instance: "host1:9100", job: "node", severity: "warning" }, "3904234a4172db2a"],
    [withoutEmptyValues({ alertname: "DiskFull", device: "/dev/sda1", note: "café ✓", team: "db", empty: "" }), "106dd9afe323c0c8"],
    [{ alertname: "ClusterDown", cluster: "c1", severity: "critical" }, "521acff8d685ef26"],
    [{ alertname: "Disk", cluster: "eu", instance: "a" }, "813362aa75759e0d"],
    [{ alertname: "GoodOne" }, "3f779503f87a9103"],
    [{ d: "x" }, "a429716985881c51"],
    [{}, "cbf29ce484222325"],
  ];
  for (const [labels, fp] of cases) assert.equal(fingerprint(labels), fp, JSON.stringify(labels));
});

test("fingerprint equals a BigInt reference over UTF-8 bytes, astral characters included", () => {
  const reference = (labels: Record<string, string>): string => {
    const MASK = (1n << 64n) - 1n;
    let h = 0xcbf29ce484222325n;
    const add = (bytes: Iterable<number>) => {
      for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & MASK;
    };
    for (const n of Object.keys(labels).sort()) {
      add(Buffer.from(n)); add([0xff]); add(Buffer.from(labels[n] ?? "")); add([0xff]);
    }
    return h.toString(16).padStart(16, "0");
  };
  const samples: Array<Record<string, string>> = [{ a: "😀 emoji" }, { z: "中文", a: "ß", m: "\u0000\u007f" }, { x: "\ud800lone" }];
  for (const s of samples) assert.equal(fingerprint(s), reference(s));
});

test("labelSetString renders like Go's LabelSet.String", () => {
  assert.equal(labelSetString({ cluster: "eu", alertname: "Disk" }), '{alertname="Disk", cluster="eu"}');
  assert.equal(labelSetString({}), "{}");
  assert.equal(labelSetString({ a: 'q"\\\n' }), '{a="q\\"\\\\\\n"}');
  assert.equal(goQuote("café"), '"café"');
});

test("label names follow Prometheus' rule", () => {
  assert.ok(isValidLabelName("_a1"));
  assert.ok(!isValidLabelName("bad-name"));
  assert.ok(!isValidLabelName("1a"));
  assert.ok(!isValidLabelName(""));
});

test("goQuote escapes only what Go's Quote does for label text, however long the plain stretch around it", () => {
  assert.equal(goQuote("plain value with spaces/and:punctuation"), '"plain value with spaces/and:punctuation"');
  assert.equal(goQuote("tab\there"), '"tab\\there"');
  assert.equal(goQuote("bell\x07 nul\x00 del\x7f"), '"bell\\a nul\\x00 del\\x7f"');
  assert.equal(goQuote(`${"x".repeat(100)}"`), `"${"x".repeat(100)}\\""`);
  assert.equal(goQuote("emoji 🚀 and \ufffd"), '"emoji 🚀 and \ufffd"');
});

test("label names sort in Go's byte order whether or not they arrive sorted", () => {
  assert.deepEqual(sortedLabelNames({ job: "a", alertname: "b", instance: "c" }), ["alertname", "instance", "job"]);
  assert.deepEqual(sortedLabelNames({ alertname: "b", instance: "c", job: "a" }), ["alertname", "instance", "job"]);
  assert.deepEqual(sortedLabelNames({ b: "", Z: "", a: "" }), ["Z", "a", "b"]);
  assert.ok(hasSortedNames({ Z: "", a: "", b: "" }));
  assert.ok(!hasSortedNames({ a: "", Z: "" }));
  assert.ok(!hasSortedNames({ "é": "", z: "" }), "non-ASCII names always take the sorting path");
});

test("sortedNonEmptyLabelSet keeps a set already in shape and copies any other one sorted, without empty values", () => {
  const clean = { alertname: "A", instance: "i", job: "j" };
  assert.equal(sortedNonEmptyLabelSet(clean), clean, "a sorted set with no empty value is not copied");
  const unsorted = { job: "j", alertname: "A" };
  const fixed = sortedNonEmptyLabelSet(unsorted);
  assert.notEqual(fixed, unsorted);
  assert.deepEqual(Object.keys(fixed), ["alertname", "job"]);
  const withEmpty = { alertname: "A", instance: "", job: "j" };
  assert.deepEqual(Object.entries(sortedNonEmptyLabelSet(withEmpty)), [["alertname", "A"], ["job", "j"]]);
  assert.deepEqual(withEmpty, { alertname: "A", instance: "", job: "j" }, "the input is left as it was");
});
