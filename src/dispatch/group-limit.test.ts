import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../lib/clock.ts";
import { fingerprint } from "../types/labels.ts";
import { addMillis, fromMillis } from "../types/time.ts";
import type { Alert } from "../types/alert.ts";
import { parseAlertmanagerConfig } from "../config/alertmanager.ts";
import { Route } from "./route.ts";
import { Dispatcher } from "./dispatcher.ts";

const CONFIG = `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
receivers: [{name: default}, {name: storm}]
`;

function setup(max: number) {
  const clock = new FakeClock();
  const root = Route.root(parseAlertmanagerConfig(CONFIG).route);
  const listeners: Array<(a: readonly Alert[]) => void> = [];
  const flushed: string[][] = [];
  const limited: string[] = [];
  const dispatcher = new Dispatcher(
    root,
    { current: () => [], subscribe: (l) => { listeners.push(l); return () => undefined; } },
    clock,
    async (f) => {
      flushed.push(f.alerts.map((a) => `${a.labels.alertname}/${a.labels.instance}`));
      return { ok: true, retain: new Set() };
    },
    // Pinned to the root route: a group of its own ("pinned:" id), as storm summaries get.
    (a) => (a.labels.alertname === "StormSummary" ? root : undefined),
    { max: () => max, limited: (a, route) => limited.push(`${a.labels.alertname}@${route.opts.receiver}`) },
  );
  dispatcher.start();
  const alert = (alertname: string, instance: string, endsIn = 3_600_000): Alert => {
    const labels = { alertname, instance };
    const now = fromMillis(clock.now());
    return { fingerprint: fingerprint(labels), labels, annotations: {}, startsAt: now, endsAt: addMillis(now, endsIn), updatedAt: now, generatorURL: "", timeout: false };
  };
  const post = (...alerts: Alert[]) => { for (const l of listeners) l(alerts); };
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      clock.advance(100);
      await new Promise((r) => setImmediate(r));
    }
  };
  return { dispatcher, post, alert, run, flushed, limited };
}

test("max_aggregation_groups: an alert needing a group beyond the limit is not dispatched; existing groups still take alerts", async () => {
  const t = setup(2);
  t.post(t.alert("A", "1"), t.alert("B", "1"), t.alert("C", "1"));
  assert.equal(t.dispatcher.groupCount, 2);
  assert.deepEqual(t.limited, ["C@default"]);
  t.post(t.alert("A", "2"), t.alert("C", "2"));
  assert.equal(t.dispatcher.groupCount, 2, "memory stays at the limit");
  assert.deepEqual(t.limited, ["C@default", "C@default"]);
  await t.run(1500);
  assert.deepEqual(t.flushed.map((f) => f.sort()).sort(), [["A/1", "A/2"], ["B/1"]], "C was never dispatched");
});

test("max_aggregation_groups: storm summaries (pinned) are exempt, and a freed group makes room", async () => {
  const t = setup(1);
  t.post(t.alert("A", "1", 500));
  t.post(t.alert("StormSummary", "x", 500));
  assert.equal(t.dispatcher.groupCount, 2);
  assert.deepEqual(t.limited, []);
  t.post(t.alert("B", "1"));
  assert.deepEqual(t.limited, ["B@default"]);
  // Both resolve, are flushed as resolved, their groups empty and the cleanup removes them.
  t.post(t.alert("A", "1", 0), t.alert("StormSummary", "x", 0));
  await t.run(35_000);
  assert.equal(t.dispatcher.groupCount, 0);
  t.post(t.alert("B", "1"));
  assert.deepEqual(t.limited, ["B@default"], "B got the freed place");
});
