// Noise control's history replay is asynchronous (PostgreSQL answers over the network): alert changes that
// happen while a feature being switched on waits for history must still reach it, once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "./lib/clock.ts";
import { silentLogger } from "./lib/log.ts";
import { Metrics } from "./metrics/metrics.ts";
import { memoryStore } from "./store/test-db.ts";
import { NoiseRepo, type TransitionRow } from "./store/noise-repo.ts";
import { Silences } from "./silence/silences.ts";
import { Inhibitor } from "./inhibit/inhibitor.ts";
import { AlertProvider } from "./provider/alert-provider.ts";
import { mutingStatus } from "./provider/status.ts";
import { parseAlertmanagerConfig } from "./config/alertmanager.ts";
import { RoutingTable } from "./dispatch/routing-table.ts";
import { NoiseControl } from "./noise-control.ts";
import { addMillis, fromMillis } from "./types/time.ts";
import { fingerprint } from "./types/labels.ts";

const M = 60_000;

/**
 * Flap damping switched on with `changes` as its threshold while an alert fires, resolves and fires again:
 * history is read (snapshot) after the second change but answered only after the third, as a remote
 * database may. Returns whether the alert is flapping then.
 */
async function flappingAfterSlowReplay(changes: number): Promise<boolean> {
  const clock = new FakeClock();
  const store = memoryStore();
  const config = parseAlertmanagerConfig("route: {receiver: a}\nreceivers: [{name: a}]\n");
  const silences = new Silences(store.silences, store.queue, clock, 120 * M);
  const provider = new AlertProvider({ repo: store.alerts, queue: store.queue, clock, log: silentLogger(), status: mutingStatus(silences, new Inhibitor(config.inhibitRules)), gcIntervalMs: 30 * M });
  const sqlite = new NoiseRepo(store.db);
  let takeSnapshot: (() => void) | undefined;
  let answer: (() => void) | undefined;
  const repo = Object.assign(Object.create(sqlite) as NoiseRepo, {
    transitionsSince: (afterMs: number) => new Promise<TransitionRow[]>((resolve) => {
      takeSnapshot = () => {
        const snapshot = sqlite.transitionsSince(afterMs);
        answer = () => void snapshot.then(resolve);
      };
    }),
  });
  const noise = new NoiseControl({ clock, log: silentLogger(), queue: store.queue, repo, provider, metrics: new Metrics(), externalURL: "http://ap", routing: () => new RoutingTable(config) });
  const labels = { alertname: "Flappy" };
  const fp = fingerprint(labels);
  const alert = (endsIn: number) => {
    const now = fromMillis(clock.now());
    return { fingerprint: fp, labels, annotations: {}, startsAt: now, endsAt: addMillis(now, endsIn), updatedAt: now, generatorURL: "", timeout: false };
  };
  await provider.put([alert(10 * M)]); // change 1: firing
  const configured = noise.configure({ flapping: { changes, withinMs: 60 * M, quietForMs: 30 * M } });
  clock.advance(M);
  await provider.put([alert(0)]); // change 2: resolved — in the snapshot and observed
  assert.ok(takeSnapshot, "the replay asked for history");
  takeSnapshot();
  clock.advance(M);
  await provider.put([alert(10 * M)]); // change 3: firing — observed only
  answer!();
  await configured;
  return noise.flapState(fp, clock.now())?.flapping === true;
}

test("changes observed while flap damping waits for its history are applied after it", async () => {
  assert.equal(await flappingAfterSlowReplay(3), true, "three changes: two from history, the third only observed");
});

test("a start both in the replayed history and observed meanwhile does not enter a storm early", async () => {
  // Storm mode counts alert starts: two alerts start, one of them after the replay asked for history but
  // before history was read, so it is in both (replayed() drops the repeat). Counted twice it would reach
  // the threshold of 3.
  const clock = new FakeClock();
  const store = memoryStore();
  const config = parseAlertmanagerConfig("route: {receiver: a}\nreceivers: [{name: a}]\n");
  const silences = new Silences(store.silences, store.queue, clock, 120 * M);
  const provider = new AlertProvider({ repo: store.alerts, queue: store.queue, clock, log: silentLogger(), status: mutingStatus(silences, new Inhibitor(config.inhibitRules)), gcIntervalMs: 30 * M });
  const sqlite = new NoiseRepo(store.db);
  let takeSnapshot: (() => void) | undefined;
  let answer: (() => void) | undefined;
  const repo = Object.assign(Object.create(sqlite) as NoiseRepo, {
    transitionsSince: (afterMs: number) => new Promise<TransitionRow[]>((resolve) => {
      takeSnapshot = () => {
        const snapshot = sqlite.transitionsSince(afterMs);
        answer = () => void snapshot.then(resolve);
      };
    }),
  });
  const noise = new NoiseControl({ clock, log: silentLogger(), queue: store.queue, repo, provider, metrics: new Metrics(), externalURL: "http://ap", routing: () => new RoutingTable(config) });
  const alert = (name: string) => {
    const now = fromMillis(clock.now());
    return { fingerprint: fingerprint({ alertname: name }), labels: { alertname: name }, annotations: {}, startsAt: now, endsAt: addMillis(now, 10 * M), updatedAt: now, generatorURL: "", timeout: false };
  };
  await provider.put([alert("A")]);
  const configured = noise.configure({ storm: { enterNewAlerts: 3, enterWithinMs: 10 * M, exitBelow: 1, exitForMs: 10 * M, summaryIntervalMs: 10 * M, bypass: [] } });
  await provider.put([alert("B")]);
  takeSnapshot!();
  answer!();
  await configured;
  assert.equal(noise.stormState("a"), undefined, "two starts, not three");
  await provider.put([alert("C")]);
  assert.notEqual(noise.stormState("a"), undefined, "the third start enters the storm (the test can see one)");
  noise.stop();
});
