// Found by the crash torture: a decision whose retries ran out stayed in the outbox even after later
// flushes found nothing due (the alert had fired again, so the receiver's last message was right again).
// The next start then delivered the out-of-date decision ("resolved" for a firing alert) and recorded it
// as what the receiver knows. Once nothing is due, the undelivered decision must leave the outbox.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { startTestApp } from "./app-fixture.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function outboxRows(dir: string): number {
  const db = new Database(`${dir}/alertprism.db`, { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM outbox").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

test("an undelivered decision that later flushes find not due leaves the outbox and is not replayed", async () => {
  let failing = false;
  const requests: Array<{ status: number; alertStatus: string }> = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const status = failing ? 503 : 200;
      requests.push({ status, alertStatus: (JSON.parse(body) as { alerts: Array<{ status: string }> }).alerts[0]!.status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: ${url}/hook
`;
  // Our own directory: the fixture removes the one it made when the first app stops.
  const dir = mkdtempSync(join(tmpdir(), "alertprism-stale-outbox-"));
  let t = await startTestApp({ config, dir });
  const labels = { alertname: "StaleOutbox" };
  const waitFor = async (what: string, cond: () => boolean, ms: number) => {
    for (const end = Date.now() + ms; !cond(); await sleep(20)) assert.ok(Date.now() < end, what);
  };
  try {
    const t0 = Date.now();
    assert.equal((await t.post("/api/v2/alerts", [{ labels, startsAt: new Date(t0).toISOString(), endsAt: new Date(t0 + 3_600_000).toISOString() }])).status, 200);
    await waitFor("first notification", () => requests.some((r) => r.status === 200), 10_000);

    // The resolve is decided but cannot be delivered; meanwhile the alert fires again.
    failing = true;
    const t1 = Date.now();
    assert.equal((await t.post("/api/v2/alerts", [{ labels, startsAt: new Date(t0).toISOString(), endsAt: new Date(t1).toISOString() }])).status, 200);
    await waitFor("an attempt to notify the resolve", () => requests.some((r) => r.alertStatus === "resolved"), 10_000);
    const t2 = Date.now() + 1;
    assert.equal((await t.post("/api/v2/alerts", [{ labels, startsAt: new Date(t2).toISOString(), endsAt: new Date(t2 + 3_600_000).toISOString() }])).status, 200);
    // The resolve's retries end at its flush deadline (10 s); then a tick finds the firing alert not due.
    await sleep(13_000);
    assert.equal(outboxRows(dir), 0, "the out-of-date decision is still in the outbox");

    // And a restart delivers nothing.
    failing = false;
    await t.close();
    const before = requests.length;
    t = await startTestApp({ config, dir });
    await sleep(3_000);
    assert.deepEqual(requests.slice(before), [], "a restart delivered an out-of-date decision");
  } finally {
    await t.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
