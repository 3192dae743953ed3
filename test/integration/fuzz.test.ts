// The endpoint fuzzer's short run (the full one is `npm run test:fuzz`): a few hundred generated requests
// per endpoint, seeded, so the same cases every time. See test/fuzz/harness.ts for what is checked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runFuzz, HEAP_TOLERANCE_MB } from "../fuzz/harness.ts";

const CASES = 150;

test(`fuzzing every endpoint, ${CASES} cases each: no 5xx, no crash, no state change by a rejected request, memory back`, async () => {
  const report = await runFuzz({ casesPerEndpoint: CASES, seed: 424242, concurrency: 4, deepStateEvery: 8, warmUpCases: 5 });
  const names = report.endpoints.map((e) => e.name);
  // Every family of endpoints was reached, the ops API both without auth and with a token.
  for (const want of ["POST /api/v2/alerts", "POST /api/v2/silences", "DELETE /api/v2/silence/:silenceID", "POST /api/v1/webhook", "POST /-/reload",
    "GET /-/healthy", "GET /metrics", "POST /api/ops/v1/acks", "POST /api/ops/v1/acks (auth)", "GET /api/ops/v1/alerts/history (auth)"]) {
    assert.ok(names.includes(want), `${want} was fuzzed`);
  }
  for (const e of report.endpoints) {
    assert.equal(e.cases, CASES, e.name);
    // The generator reaches the handlers (some 2xx) and their refusals (some 4xx), not only the router's 404.
    const statuses = Object.keys(e.statuses).map(Number);
    assert.ok(statuses.some((s) => s >= 400 && s < 500), `${e.name}: some requests refused: ${JSON.stringify(e.statuses)}`);
    if (!e.name.startsWith("GET /ack/") && !e.name.startsWith("POST /ack/")) assert.ok(statuses.some((s) => s >= 200 && s < 300), `${e.name}: some accepted: ${JSON.stringify(e.statuses)}`);
  }
  assert.ok(report.endpoints.reduce((n, e) => n + e.stateChecked, 0) > 0, "rejected requests were checked for state changes");
  assert.deepEqual(report.failures, [], `${report.failureCount} failures`);
  assert.deepEqual(report.unhandled, []);
  assert.deepEqual(report.errorLogs, []);
  assert.equal(report.appsNotCollected, 0, "every app the run started was garbage once stopped");
  assert.ok(report.heapSamples.length >= 10, "the heap was sampled at every tenth of the run");
  const grew = report.heap.afterMB - report.heap.beforeMB;
  assert.ok(grew <= HEAP_TOLERANCE_MB, `heap after GC grew by ${grew.toFixed(1)} MB (${report.heap.beforeMB.toFixed(1)} → ${report.heap.afterMB.toFixed(1)})`);
});
