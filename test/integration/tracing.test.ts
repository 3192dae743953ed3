import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { startTestApp } from "./app-fixture.ts";
import { createLogger } from "../../src/lib/log.ts";

/** One span as the OTLP/HTTP JSON export carries it, with the attributes flattened. */
interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly attributes: Record<string, unknown>;
  readonly links: ReadonlyArray<{ traceId: string; spanId: string }>;
  readonly service: unknown;
}

interface OtlpValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number; arrayValue?: { values?: OtlpValue[] } }
type OtlpAttrs = Array<{ key: string; value: OtlpValue }> | undefined;

function value(v: OtlpValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}

const attrs = (a: OtlpAttrs): Record<string, unknown> => Object.fromEntries((a ?? []).map((x) => [x.key, value(x.value)]));

/** A local OTLP/HTTP receiver: accepts POST /v1/traces (JSON) and keeps every span and the request headers. */
async function otlpReceiver(): Promise<{ url: string; spans: ExportedSpan[]; headers: IncomingHttpHeaders[]; server: Server }> {
  const spans: ExportedSpan[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      headers.push(req.headers);
      const doc = JSON.parse(body) as { resourceSpans: Array<{ resource: { attributes: OtlpAttrs }; scopeSpans: Array<{ spans: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; attributes: OtlpAttrs; links?: Array<{ traceId: string; spanId: string }> }> }> }> };
      for (const rs of doc.resourceSpans) {
        const service = attrs(rs.resource.attributes)["service.name"];
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            spans.push({ traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? "", name: s.name, attributes: attrs(s.attributes), links: s.links ?? [], service });
          }
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, headers, server };
}

/** A webhook receiver that answers `statuses` in turn (then 200) and keeps each request's headers. */
async function webhookSink(statuses: number[]): Promise<{ url: string; received: IncomingHttpHeaders[]; server: Server }> {
  const received: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received.push(req.headers);
      res.writeHead(statuses.shift() ?? 200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

async function until(cond: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const config = (url: string) => `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: ${url}/hook
`;

function captureLogs(format: "json" | "logfmt"): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: "debug", format, destination: { write: (l: string) => void lines.push(l) } }) };
}

async function postAlerts(url: string, alerts: unknown, requestId?: string): Promise<Response> {
  return fetch(`${url}/api/v2/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(requestId ? { "x-request-id": requestId } : {}) },
    body: JSON.stringify(alerts),
  });
}

describe("tracing and correlated logs", () => {
  test("one trace leads from the POST to every delivery attempt; logs and the receiver carry the request id", async () => {
    const otlp = await otlpReceiver();
    const hook = await webhookSink([500]);
    const dir = mkdtempSync(join(tmpdir(), "alertprism-trace-"));
    const token = "otlp-token-9f8e7d6c5b4a";
    writeFileSync(join(dir, "alertprism.yml"), `tracing:\n  endpoint: ${otlp.url}\n  service_name: prism-under-test\n  headers:\n    x-collector-token: ${token}\nlimits:\n  max_alerts_per_alertname: 1\n`);
    const { lines, logger } = captureLogs("json");
    const t = await startTestApp({ config: config(hook.url), dir, logger, flags: { "alertprism.config.file": join(dir, "alertprism.yml") } });
    let closed = false;
    try {
      // Two alerts of one name: the second is refused by the per-alertname limit, which logs a line deeper
      // in the app than the HTTP layer.
      const res = await postAlerts(t.url, [{ labels: { alertname: "Traced", instance: "a" } }, { labels: { alertname: "Traced", instance: "b" } }], "req-trace-1");
      assert.equal(res.status, 400);
      assert.equal(res.headers.get("x-request-id"), "req-trace-1");
      await until(() => hook.received.length >= 2);
      // Span names use the route pattern, never the path (ids, tokens); a trailing slash changes nothing.
      await fetch(`${t.url}/api/v2/silence/7f1c2a9e-0000-4000-8000-000000000001`);
      await fetch(`${t.url}/api/v2/status/`);
      await t.close();
      closed = true;
    } finally {
      if (!closed) await t.close();
      hook.server.close();
      otlp.server.close();
    }

    const spans = otlp.spans;
    assert.ok(otlp.headers.every((h) => h["x-collector-token"] === token), "configured headers go with every export");
    assert.ok(spans.every((s) => s.service === "prism-under-test"));
    const one = (pred: (s: ExportedSpan) => boolean, what: string): ExportedSpan => {
      const found = spans.filter(pred);
      assert.equal(found.length, 1, `exactly one ${what}: ${JSON.stringify(spans.map((s) => s.name))}`);
      return found[0]!;
    };
    const post = one((s) => s.name === "POST /api/v2/alerts", "POST span");
    assert.equal(post.parentSpanId, "");
    assert.equal(post.attributes["alertprism.request_id"], "req-trace-1");
    assert.equal(post.attributes["http.response.status_code"], 400);
    assert.equal(post.attributes["http.route"], "/api/v2/alerts");

    assert.equal(one((s) => s.name.startsWith("GET /api/v2/silence"), "silence GET span").name, "GET /api/v2/silence/:silenceID");
    one((s) => s.name === "GET /api/v2/status", "status GET span");

    // The commit of the alerts is linked to the request that submitted them.
    const commits = spans.filter((s) => s.name === "commit" && s.links.some((l) => l.spanId === post.spanId && l.traceId === post.traceId));
    assert.ok(commits.length >= 1, "a commit span links to the POST");
    assert.deepEqual(commits[0]!.attributes["alertprism.request_ids"], ["req-trace-1"]);
    assert.ok(Number(commits[0]!.attributes["alertprism.units"]) >= 1);

    // The flush starts its own trace, linked to the POST; stages and the notify step are its children.
    const flush = one((s) => s.name === "group flush", "group flush span");
    assert.equal(flush.parentSpanId, "");
    assert.deepEqual(flush.links.map((l) => [l.traceId, l.spanId]), [[post.traceId, post.spanId]]);
    assert.deepEqual(flush.attributes["alertprism.request_ids"], ["req-trace-1"]);
    assert.equal(flush.attributes["alertprism.group_key"], '{}:{alertname="Traced"}');
    assert.equal(flush.attributes["alertprism.alerts"], 1);
    const children = spans.filter((s) => s.parentSpanId === flush.spanId);
    assert.deepEqual(children.filter((s) => s.name.startsWith("stage ")).map((s) => s.name).sort(), ["stage ack", "stage inhibit", "stage silence", "stage time_intervals"]);
    const inhibit = one((s) => s.name === "stage inhibit", "inhibit stage");
    assert.equal(inhibit.traceId, flush.traceId);
    assert.equal(inhibit.attributes["alertprism.alerts_in"], 1);
    assert.equal(inhibit.attributes["alertprism.alerts_out"], 1);
    const notify = one((s) => s.name === "notify" && s.parentSpanId === flush.spanId, "notify span");
    assert.equal(notify.attributes["alertprism.outcome"], "sent");
    assert.equal(notify.attributes["alertprism.integration"], "webhook/0");

    // A failing-then-succeeding receiver: two attempt spans under the notify span.
    const attempts = spans.filter((s) => s.name === "deliver").sort((a, b) => Number(a.attributes["alertprism.attempt"]) - Number(b.attributes["alertprism.attempt"]));
    assert.equal(attempts.length, 2);
    for (const a of attempts) {
      assert.equal(a.parentSpanId, notify.spanId);
      assert.equal(a.traceId, flush.traceId);
      assert.equal(a.attributes["alertprism.receiver"], "hook");
      assert.equal(a.attributes["alertprism.integration"], "webhook/0");
    }
    assert.deepEqual([attempts[0]!.attributes["alertprism.outcome"], attempts[0]!.attributes["alertprism.retryable"], attempts[0]!.attributes["http.response.status_code"]], ["failed", true, 500]);
    assert.deepEqual([attempts[1]!.attributes["alertprism.outcome"], attempts[1]!.attributes["http.response.status_code"]], ["success", 200]);

    // The receiver got each attempt's own traceparent and the request id that led to the notification.
    assert.deepEqual(hook.received.map((h) => h.traceparent), attempts.map((a) => `00-${a.traceId}-${a.spanId}-01`));
    assert.deepEqual(hook.received.map((h) => h["x-request-id"]), ["req-trace-1", "req-trace-1"]);

    // Logs: the request's lines (the HTTP line and the limit line from the ingest) carry its request id and
    // its trace id; the flush's delivery lines carry the same request id and the flush's trace id.
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const byMsg = (msg: string) => records.filter((r) => r.msg === msg);
    for (const msg of ["request", "new alerts refused by a count limit"]) {
      const rs = byMsg(msg).filter((r) => r.requestId === "req-trace-1");
      assert.equal(rs.length, 1, `${msg}: ${JSON.stringify(byMsg(msg))}`);
      assert.equal(rs[0]!.traceId, post.traceId);
    }
    const notified = byMsg("notified");
    assert.equal(notified.length, 1);
    assert.equal(notified[0]!.requestId, "req-trace-1");
    assert.equal(notified[0]!.traceId, flush.traceId);
    // Every line written inside the request's trace or the flush's carries the request id.
    const traced = records.filter((r) => r.traceId === post.traceId || r.traceId === flush.traceId);
    assert.ok(traced.length >= 3);
    for (const r of traced) assert.equal(r.requestId, "req-trace-1", JSON.stringify(r));
    for (const r of records.filter((x) => x.component === "http")) assert.equal(typeof r.requestId, "string", JSON.stringify(r));
    assert.ok(!lines.some((l) => l.includes(token)), "the collector token is never logged");
  });

  test("tracing off: logfmt lines and the receiver still carry a generated request id, and no trace id", async () => {
    const hook = await webhookSink([]);
    const { lines, logger } = captureLogs("logfmt");
    const t = await startTestApp({ config: config(hook.url), logger });
    try {
      const res = await postAlerts(t.url, [{ labels: { alertname: "Plain" } }]);
      assert.equal(res.status, 200);
      const id = res.headers.get("x-request-id") ?? "";
      assert.match(id, /^[0-9a-f-]{36}$/);
      await until(() => hook.received.length >= 1 && lines.some((l) => l.includes('msg=notified')));
      assert.equal(hook.received[0]!["x-request-id"], id);
      assert.equal(hook.received[0]!.traceparent, undefined);
      const request = lines.filter((l) => / msg=request$/.test(l.trim()) && l.includes("method=POST"));
      assert.equal(request.length, 1);
      assert.ok(request[0]!.includes(`requestId=${id}`), request[0]);
      const notified = lines.filter((l) => l.includes("msg=notified"));
      assert.ok(notified[0]!.includes(`requestId=${id}`), notified[0]);
      assert.ok(!lines.some((l) => l.includes("traceId=")), "no trace ids while tracing is off");
      // A client's id that is not plain is replaced by a generated one.
      const odd = await postAlerts(t.url, [{ labels: { alertname: "Plain" } }], "bad id with spaces");
      assert.match(odd.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
    } finally {
      await t.close();
      hook.server.close();
    }
  });
});
