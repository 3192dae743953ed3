import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../lib/clock.ts";
import { silentLogger } from "../lib/log.ts";
import { addMillis, fromMillis } from "../types/time.ts";
import type { Alert } from "../types/alert.ts";
import { fingerprint } from "../types/labels.ts";
import { memoryStore } from "../store/test-db.ts";
import { AlertProvider } from "./alert-provider.ts";
import type { StatusSource } from "./status.ts";

const M = 60_000;
const NO_STATUS: StatusSource = {
  observe: () => undefined,
  forget: () => undefined,
  statusOf: () => ({ silencedBy: [], inhibitedBy: [] }),
  affectsOthers: () => false,
  nextTransitionMs: () => undefined,
  transitionedBetween: () => false,
};

function setup(maxAlerts: number, maxAlertsPerAlertname: number) {
  const clock = new FakeClock();
  const store = memoryStore();
  const provider = new AlertProvider({
    repo: store.alerts, queue: store.queue, clock, log: silentLogger(), status: NO_STATUS, gcIntervalMs: 30 * M,
    limits: () => ({ maxAlerts, maxAlertsPerAlertname }),
  });
  const alert = (alertname: string, instance: string, endsIn = 5 * M): Alert => {
    const labels = { alertname, instance };
    const now = fromMillis(clock.now());
    return { fingerprint: fingerprint(labels), labels, annotations: {}, startsAt: now, endsAt: addMillis(now, endsIn), updatedAt: now, generatorURL: "", timeout: false };
  };
  return { clock, store, provider, alert };
}

test("concurrent puts (one group commit) cannot pass max_alerts together", async () => {
  const { provider, alert, store } = setup(3, 3);
  await provider.put([alert("A", "0")]);
  const results = await Promise.all([1, 2, 3, 4].map((i) => provider.put([alert("A", String(i))])));
  assert.deepEqual(results.map((r) => r.refused.length), [0, 0, 1, 1]);
  assert.equal(provider.size, 3);
  assert.equal(store.alerts.loadAll().length, 3, "only admitted alerts were written");
});

test("a batch that repeats a new fingerprint counts it once; the storm summary's put is unlimited", async () => {
  const { provider, alert } = setup(2, 2);
  const r = await provider.put([alert("A", "1"), alert("A", "1"), alert("A", "2"), alert("A", "3")]);
  assert.deepEqual(r.refused.map((x) => [x.index, x.limit, x.resolved]), [[3, "max_alerts", false]]);
  await provider.put([alert("StormSummary", "r")], undefined, { unlimited: true });
  assert.equal(provider.size, 3);
  assert.equal(provider.largestAlertnameCount(), 2);
});

test("per-alertname counts follow GC, so a collected alert frees its place", async () => {
  const { provider, alert, clock } = setup(10, 1);
  await provider.put([alert("A", "1", 1000)]);
  assert.equal((await provider.put([alert("A", "2")])).refused[0]?.limit, "max_alerts_per_alertname");
  clock.advance(31 * M + 2000);
  await provider.sweep();
  await provider.sweep();
  assert.equal(provider.size, 0);
  assert.deepEqual((await provider.put([alert("A", "2")])).refused, []);
});
