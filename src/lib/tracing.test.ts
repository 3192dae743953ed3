import { test } from "node:test";
import assert from "node:assert/strict";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { BatchTracer, NO_TRACING, Tracing, correlationHeaders, parseTraceparent, traceparent } from "./tracing.ts";
import { correlationLogFields, currentCorrelation, detached, requestCorrelation, withCorrelation } from "./correlation.ts";

function recording(): { tracing: Tracing; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { tracing: new Tracing(provider.getTracer("test")), exporter };
}

test("traceparent: formatted from a span, parsed from a header, malformed ones refused", () => {
  const ctx = parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")!;
  assert.deepEqual(ctx, { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1, isRemote: true });
  for (const bad of [undefined, "", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331", "00-00000000000000000000000000000000-b7ad6b7169203331-01",
    "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"]) {
    assert.equal(parseTraceparent(bad), undefined, String(bad));
  }
  const { tracing } = recording();
  const span = tracing.start("x", { parent: ctx });
  assert.equal(traceparent(span), `00-0af7651916cd43dd8448eb211c80319c-${span.spanContext().spanId}-01`);
  span.end();
});

test("run: nested spans are children of the current one; the log fields and headers follow the span", async () => {
  const { tracing, exporter } = recording();
  const root = tracing.start("request");
  await withCorrelation(requestCorrelation("r-1", root), () => tracing.run("outer", {}, async (outer) => {
    await new Promise((r) => setImmediate(r));
    tracing.run("inner", {}, (inner) => {
      const fields = correlationLogFields();
      assert.deepEqual(fields, { requestId: "r-1", traceId: inner.spanContext().traceId, spanId: inner.spanContext().spanId });
      assert.deepEqual(correlationHeaders(), { "X-Request-Id": "r-1", traceparent: traceparent(inner)! });
    });
    assert.equal(currentCorrelation()?.span, outer);
  }));
  root.end();
  const spans = exporter.getFinishedSpans();
  const byName = new Map(spans.map((s) => [s.name, s]));
  assert.equal(byName.get("outer")!.parentSpanContext?.spanId, root.spanContext().spanId);
  assert.equal(byName.get("inner")!.parentSpanContext?.spanId, byName.get("outer")!.spanContext().spanId);
});

test("run: a throw or a rejection ends the span as an error, with a secret-free message", async () => {
  const { tracing, exporter } = recording();
  assert.throws(() => tracing.run("sync", {}, () => {
    throw new Error("https://hooks.example/T0KEN-in-message");
  }));
  await assert.rejects(tracing.run("async", {}, () => Promise.reject(Object.assign(new Error("x"), { reason: "HTTP 500" }))));
  const status = Object.fromEntries(exporter.getFinishedSpans().map((s) => [s.name, s.status]));
  assert.deepEqual(status.sync, { code: 2, message: "Error" });
  assert.deepEqual(status.async, { code: 2, message: "HTTP 500" });
});

test("off: no spans, no trace ids, but the request id still travels", () => {
  const seen = NO_TRACING.run("x", {}, (span) => {
    assert.equal(span.isRecording(), false);
    return withCorrelation(requestCorrelation("r-2", undefined), () => [correlationLogFields(), correlationHeaders()]);
  });
  assert.deepEqual(seen, [{ requestId: "r-2" }, { "X-Request-Id": "r-2" }]);
  withCorrelation(requestCorrelation("r-3", undefined), () => detached(() => assert.equal(currentCorrelation(), undefined)));
});

test("BatchTracer: one span per batch, linked to each submitter's span, with their request ids most recent first", () => {
  const { tracing, exporter } = recording();
  const batches = new BatchTracer(tracing, "commit");
  const a = tracing.start("a");
  const b = tracing.start("b");
  withCorrelation(requestCorrelation("req-a", a), () => batches.submitted());
  withCorrelation(requestCorrelation("req-b", b), () => batches.submitted());
  withCorrelation(requestCorrelation("req-a", a), () => batches.submitted());
  batches.submitted(); // outside any request
  const fields = batches.batch(4, () => correlationLogFields());
  assert.equal(fields.requestId, "req-a");
  assert.deepEqual(fields.requestIds, ["req-a", "req-b"]);
  const commit = exporter.getFinishedSpans().find((s) => s.name === "commit")!;
  assert.deepEqual(commit.links.map((l) => l.context.spanId), [a.spanContext().spanId, b.spanContext().spanId]);
  assert.deepEqual(commit.attributes, { "alertprism.units": 4, "alertprism.request_ids": ["req-a", "req-b"] });
  // The next batch starts empty.
  batches.batch(0, () => undefined);
  assert.equal(exporter.getFinishedSpans().filter((s) => s.name === "commit").at(-1)!.links.length, 0);
});
