// Found by the crash torture: a reload rebuilds the dispatcher, whose groups flush at once while the old
// dispatcher's send of the same notification is still retrying; both then succeeded, so the receiver got
// the notification twice without any crash. A flush must wait for the send under way for its group and
// integration, and then find it recorded in the notification log.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startTestApp } from "./app-fixture.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a reload while a notification is being retried does not deliver it twice", async () => {
  let failing = true;
  const requests: Array<{ status: number; groupKey: string }> = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const status = failing ? 503 : 200;
      requests.push({ status, groupKey: (JSON.parse(body) as { groupKey: string }).groupKey });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const t = await startTestApp({
    config: `
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
`,
  });
  try {
    const now = Date.now();
    const posted = await t.post("/api/v2/alerts", [{ labels: { alertname: "ReloadWhileRetrying" }, startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3_600_000).toISOString() }]);
    assert.equal(posted.status, 200);
    for (const end = Date.now() + 10_000; requests.length === 0; await sleep(20)) assert.ok(Date.now() < end, "no first attempt");
    // The first attempt failed and its retry loop is waiting: reload, so a new dispatcher flushes the group.
    assert.equal((await t.post("/-/reload", undefined)).status, 200);
    await sleep(300);
    failing = false;
    for (const end = Date.now() + 15_000; !requests.some((r) => r.status === 200); await sleep(20)) assert.ok(Date.now() < end, "never delivered");
    // Both retry loops (if there are two) back off at most a few seconds: wait them out.
    await sleep(6_000);
    const delivered = requests.filter((r) => r.status === 200);
    assert.equal(delivered.length, 1, `delivered ${delivered.length} times: ${JSON.stringify(requests)}`);
  } finally {
    await t.close();
    server.close();
  }
});
