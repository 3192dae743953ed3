// Downstream faults through the whole app on a fake clock (fake-clock-app.ts): a receiver answering 5xx for
// ten minutes of clock time, then recovering; a receiver that hangs (blackhole, trickle) beside healthy ones;
// restarts in the middle. Delivery is counted at the sinks (fault-servers.ts), so "exactly once" means one
// accepted request per decided notification, and the outbox is sampled to show it is bounded by the number
// of groups, not by how long the fault lasts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startFakeClockApp, type FakeClockApp, MIN, S } from "./fake-clock-app.ts";
import { startFaultServer, type FaultServer, type HttpFault } from "../helpers/fault-servers.ts";

const TOKEN = "tok-SECRET-d0wnstream42";

const outboxRows = (h: FakeClockApp): number => {
  const db = h.db();
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM outbox").get() as { n: number }).n;
  } finally {
    db.close();
  }
};

/** Moves fake time on in the background while `fn` runs (stop/restart wait for sends the clock must end). */
async function whileAdvancing<T>(h: FakeClockApp, fn: () => Promise<T>): Promise<T> {
  let done = false;
  const ticking = (async () => {
    while (!done) {
      h.clock.advance(S);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  try {
    return await fn();
  } finally {
    done = true;
    await ticking;
  }
}

const groupKeyOf = (body: string): string => (JSON.parse(body) as { groupKey: string }).groupKey;

test("5xx for 10 minutes, then recovery: every decided notification delivered exactly once, the outbox bounded by groups", async () => {
  const ref: { h?: FakeClockApp } = {};
  const flaky = await startFaultServer({ now: () => ref.h?.clock.now() ?? 0 });
  const h = ref.h = await startFakeClockApp({
    routing: () => `
route:
  receiver: flaky
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 4h
receivers:
  - name: flaky
    webhook_configs:
      - url: ${flaky.url}?token=${TOKEN}
`,
  });
  try {
    const recoverAt = h.clock.now() + 10 * MIN;
    flaky.setFault(() => (h.clock.now() < recoverAt ? { kind: "status", status: 503, body: `down; you sent token=${TOKEN}` } : { kind: "ok" }));
    await h.post([{ labels: { alertname: "A1" } }, { labels: { alertname: "A2" } }, { labels: { alertname: "A3" } }]);

    let maxOutbox = 0;
    let restarted = false;
    while (h.clock.now() < recoverAt - MIN) {
      if (!restarted && h.clock.now() >= recoverAt - 5 * MIN) {
        restarted = true;
        await whileAdvancing(h, () => h.restart()); // mid-outage: the outbox survives, the replay fails
      }
      await h.run(MIN);
      maxOutbox = Math.max(maxOutbox, outboxRows(h));
    }
    await h.run(recoverAt - h.clock.now() - S);
    assert.ok(restarted);
    assert.equal(flaky.delivered().filter((r) => r.at < recoverAt).length, 0, "nothing delivered during the outage");
    assert.ok(flaky.requests.length > 30, `the outage was retried (${flaky.requests.length} requests)`);
    assert.equal(maxOutbox, 3, "one outbox row per group and integration, however long the outage");

    const db = h.db();
    const failed = db.prepare("SELECT status, retryable, error FROM deliveries WHERE status = 'failed'").all() as Array<{ retryable: number; error: string }>;
    db.close();
    assert.ok(failed.length > 30);
    for (const f of failed) {
      assert.equal(f.retryable, 1);
      // 503, or an attempt the flush deadline cut short while fake time raced on (during the restart).
      assert.match(f.error, /503|the flush deadline passed/);
      assert.ok(!f.error.includes(TOKEN), `token in the delivery record: ${f.error}`);
    }

    await h.run(3 * MIN);
    const keys = flaky.delivered().map((r) => groupKeyOf(r.body)).sort();
    assert.deepEqual(keys, ['{}:{alertname="A1"}', '{}:{alertname="A2"}', '{}:{alertname="A3"}'], "each group delivered once after recovery");
    assert.equal(outboxRows(h), 0);

    // Neither later flushes nor a restart (outbox replay) send them again before repeat_interval.
    await h.run(10 * MIN);
    await whileAdvancing(h, () => h.restart());
    await h.run(10 * MIN);
    assert.equal(flaky.delivered().length, 3);
  } finally {
    await whileAdvancing(h, () => h.close());
    await flaky.close();
  }
});

/**
 * One alert routed to `hung` (blackhole or trickle, plus a healthy second integration) and to `healthy`;
 * returns when each healthy sink got its notification, relative to the post, and what the sinks saw.
 */
async function isolationRun(hang: HttpFault | undefined): Promise<{ healthyAt: number; siblingAt: number; healthy: number; sibling: number; hungRequests: number; afterRestartAt: number }> {
  const ref: { h?: FakeClockApp } = {};
  const now = () => ref.h?.clock.now() ?? 0;
  const [healthy, sibling, hung] = [await startFaultServer({ now }), await startFaultServer({ now }), await startFaultServer({ now })] as [FaultServer, FaultServer, FaultServer];
  if (hang) hung.setFault(hang);
  const h = ref.h = await startFakeClockApp({
    routing: () => `
route:
  receiver: healthy
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - receiver: hung
      continue: true
    - receiver: healthy
receivers:
  - name: healthy
    webhook_configs:
      - url: ${healthy.url}
  - name: hung
    webhook_configs:
      - url: ${hung.url}
      - url: ${sibling.url}
`,
  });
  try {
    const t0 = h.clock.now();
    await h.post([{ labels: { alertname: "Iso" } }]);
    await h.run(20 * MIN);
    const healthyAt = healthy.delivered()[0]!.at - t0;
    const siblingAt = sibling.delivered()[0]!.at - t0;
    // A restart with the hung notification in the outbox: start-up must not wait for its replay.
    await whileAdvancing(h, () => h.app.stop());
    // Start-up with the clock standing still: if it waited for the replay (ended only by the clock), it
    // would never finish.
    await new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error("start-up waits for the outbox replay of a hanging endpoint")), 30_000);
      h.restart().then(() => resolve(), reject).finally(() => clearTimeout(guard));
    });
    const t1 = h.clock.now();
    await h.post([{ labels: { alertname: "AfterRestart" } }]);
    await h.run(2 * MIN);
    const after = healthy.delivered().find((r) => r.body.includes("AfterRestart"));
    assert.ok(after, "a new alert after the restart reached the healthy receiver");
    return {
      healthyAt, siblingAt, afterRestartAt: after.at - t1,
      healthy: healthy.delivered().filter((r) => r.body.includes('"Iso"')).length,
      sibling: sibling.delivered().filter((r) => r.body.includes('"Iso"')).length,
      hungRequests: hung.requests.filter((r) => r.body.includes('"Iso"')).length,
    };
  } finally {
    await whileAdvancing(h, () => h.close());
    for (const s of [healthy, sibling, hung]) await s.close();
  }
}

for (const hang of [{ kind: "blackhole" }, { kind: "trickle", intervalMs: 1000 }] as const) {
  test(`a receiver that hangs (${hang.kind}) delays no other receiver or integration, also across a restart`, async () => {
    const baseline = await isolationRun(undefined);
    const faulty = await isolationRun(hang);
    // Compared with the same scenario without the hang, on the same group timers (one clock step of slack).
    assert.ok(Math.abs(faulty.healthyAt - baseline.healthyAt) <= S, `healthy receiver: ${faulty.healthyAt} ms vs ${baseline.healthyAt} ms`);
    assert.ok(Math.abs(faulty.siblingAt - baseline.siblingAt) <= S, `sibling integration: ${faulty.siblingAt} ms vs ${baseline.siblingAt} ms`);
    assert.ok(Math.abs(faulty.afterRestartAt - baseline.afterRestartAt) <= S, `after restart: ${faulty.afterRestartAt} ms vs ${baseline.afterRestartAt} ms`);
    // Exactly once for the healthy ones, while the hung integration is tried again at every flush.
    assert.equal(faulty.healthy, 1);
    assert.equal(faulty.sibling, 1);
    assert.ok(faulty.hungRequests >= 3, `hung endpoint tried ${faulty.hungRequests} times`);
    // One attempt per flush: the hang takes the whole deadline, so there is no room for a retry.
    assert.ok(faulty.hungRequests <= 8, `hung endpoint tried ${faulty.hungRequests} times in 20 min of 5 min flushes`);
  });
}
