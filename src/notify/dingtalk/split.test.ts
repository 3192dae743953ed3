import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ALERT_SEPARATOR, MessageSizeError, bodyBytes, chunkText, jsonStringBytes, markdownBody, mentionSuffix, splitMarkdown,
  truncateToJsonBytes, type AtTargets,
} from "./split.ts";

const AT: AtTargets = { atMobiles: ["13800000000"], atUserIds: ["user123"], isAtAll: false };
const NOBODY: AtTargets = { atMobiles: [], atUserIds: [], isAtAll: false };

/** An alert block shaped like dingtalk.default.text's, in Chinese. */
function cjkAlert(i: number, lines = 4): string {
  const body = Array.from({ length: lines }, (_, j) => `> 描述${j}: 数据库主节点${i}的磁盘使用率超过百分之九十，请尽快扩容或清理日志文件。`);
  return [`**磁盘空间不足 ${i}** 🔥`, ...body].join("\n\n");
}

function cjkText(alerts: number): string {
  return `### [FIRING:${alerts}] 磁盘空间不足\n\n` + Array.from({ length: alerts }, (_, i) => cjkAlert(i)).join(ALERT_SEPARATOR);
}

/** What a part carries besides its header and the mentions. */
function chunkOf(text: string, i: number, n: number, at: AtTargets): string {
  const header = `**(${i}/${n})**\n\n`;
  assert.ok(text.startsWith(header), `part ${i} starts with its number: ${text.slice(0, 20)}`);
  const suffix = mentionSuffix(at);
  assert.ok(text.endsWith(suffix), `part ${i} ends with the mentions`);
  return text.slice(header.length, text.length - suffix.length);
}

test("jsonStringBytes counts UTF-8 bytes after JSON escaping, and adds up across a concatenation", () => {
  assert.equal(jsonStringBytes("abc"), 3);
  assert.equal(jsonStringBytes("磁盘"), 6);
  assert.equal(jsonStringBytes("🔥"), 4);
  assert.equal(jsonStringBytes('"\\\n'), 6);
  assert.equal(jsonStringBytes("\u0001"), 6);
  const parts = ["磁盘 ", '"quoted"', "\n\n", "🔥✅", "\t"];
  assert.equal(jsonStringBytes(parts.join("")), parts.reduce((n, p) => n + jsonStringBytes(p), 0));
});

test("truncateToJsonBytes cuts between characters and marks the cut", () => {
  assert.equal(truncateToJsonBytes("short", 100), "short");
  const cut = truncateToJsonBytes("磁盘空间不足磁盘空间不足", 13);
  assert.equal(cut, "磁盘空…");
  assert.ok(jsonStringBytes(cut) <= 13);
  assert.equal(truncateToJsonBytes("🔥🔥🔥", 9), "🔥…");
});

test("a message that fits is one body: title, text with the mentions appended, and the at block", () => {
  const parts = splitMarkdown("[FIRING:1] Disk", "### hi", AT, 20_000);
  assert.deepEqual(parts, [markdownBody("[FIRING:1] Disk", "### hi\n\n@13800000000 @user123", AT)]);
  assert.equal(splitMarkdown("t", "x", NOBODY, 20_000)[0]!.markdown.text, "x", "no mentions, nothing appended");
  assert.equal(splitMarkdown("t", "x", { ...NOBODY, isAtAll: true }, 20_000)[0]!.markdown.text, "x", "isAtAll is only the flag");
});

test("CJK text over the limit splits at alert boundaries into numbered parts, each within the limit", () => {
  const alerts = 12;
  const text = cjkText(alerts);
  const max = 2_000;
  assert.ok(bodyBytes(markdownBody("t", text, AT)) > 3 * max);
  const parts = splitMarkdown("[FIRING:12] 磁盘空间不足", text, AT, max);
  const n = parts.length;
  assert.ok(n >= 3 && n <= 9, `${n} parts`);
  const chunks = parts.map((p, i) => {
    assert.ok(bodyBytes(p) <= max, `part ${i + 1} is ${bodyBytes(p)} bytes`);
    assert.equal(p.markdown.title, `(${i + 1}/${n}) [FIRING:12] 磁盘空间不足`);
    assert.deepEqual(p.at, { atMobiles: ["13800000000"], atUserIds: ["user123"], isAtAll: false });
    return chunkOf(p.markdown.text, i + 1, n, AT);
  });
  // Cut only at separators: the chunks, joined back with the separator, are the text, and no chunk
  // starts or ends inside an alert block.
  assert.equal(chunks.join(ALERT_SEPARATOR), text);
  for (const c of chunks) {
    assert.ok(!c.startsWith("\n") && !c.endsWith("\n"), "no dangling separator");
    assert.ok(c.startsWith("**磁盘空间不足") || c.startsWith("### "), `chunk starts at an alert: ${c.slice(0, 12)}`);
  }
});

test("one alert too big for a part splits at line boundaries", () => {
  const text = cjkAlert(1, 40);
  const parts = splitMarkdown("t", text, AT, 1_500);
  assert.ok(parts.length > 1);
  const chunks = parts.map((p, i) => {
    assert.ok(bodyBytes(p) <= 1_500);
    return chunkOf(p.markdown.text, i + 1, parts.length, AT);
  });
  for (const c of chunks) assert.ok(c.split("\n").every((l) => l === "" || l.startsWith("**") || l.startsWith("> 描述")), "whole lines only");
  assert.equal(chunks.join("\n"), text);
});

test("a single line too big for a part splits between characters, never inside one", () => {
  const line = "数据库主节点磁盘使用率超过百分之九十🔥".repeat(200);
  const parts = splitMarkdown("t", line, NOBODY, 1_000);
  assert.ok(parts.length > 5);
  let joined = "";
  for (const [i, p] of parts.entries()) {
    const bytes = Buffer.from(JSON.stringify(p), "utf8");
    assert.ok(bytes.length <= 1_000);
    // Valid UTF-8 all the way: decoding and re-encoding gives the same bytes, with no replacement characters.
    assert.ok(!bytes.toString("utf8").includes("\uFFFD"));
    assert.ok(!/[\uD800-\uDBFF]$/.test(p.markdown.text), "no half surrogate pair at the end");
    joined += chunkOf(p.markdown.text, i + 1, parts.length, NOBODY);
  }
  assert.equal(joined, line);
});

test("ten or more parts widen the numbering and still fit", () => {
  const text = cjkText(60);
  const parts = splitMarkdown("磁盘", text, AT, 1_200);
  const n = parts.length;
  assert.ok(n >= 10, `${n} parts`);
  assert.equal(parts[0]!.markdown.title, `(1/${n}) 磁盘`);
  assert.equal(parts[n - 1]!.markdown.title, `(${n}/${n}) 磁盘`);
  for (const p of parts) assert.ok(bodyBytes(p) <= 1_200);
});

test("chunkText keeps packing after an oversized alert: its tail can share a chunk with the next alert", () => {
  const big = ["a".repeat(60), "b".repeat(60)].join("\n");
  assert.deepEqual(chunkText(`${big}${ALERT_SEPARATOR}c`, 80), ["a".repeat(60), "b".repeat(60) + ALERT_SEPARATOR + "c"]);
});

test("a limit with no room for text next to title and mentions is an error, not an endless loop", () => {
  const many: AtTargets = { atMobiles: Array.from({ length: 60 }, (_, i) => `1380000${String(i).padStart(4, "0")}`), atUserIds: [], isAtAll: false };
  assert.throws(() => splitMarkdown("t", "x".repeat(5_000), many, 1_600), MessageSizeError);
});
