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
import type { WriteOptions, WriteQueue } from "./store/write-queue.ts";

const M = 60_000;

/**
 * Noise control over a real store whose history reads are slow, as a remote database's may be: the replay
 * asks, `takeSnapshot()` reads history then, `answer()` hands it over later.
 */
function slowReplayFixture() {
  const clock = new FakeClock();
  const store = memoryStore();
  const config = parseAlertmanagerConfig("route: {receiver: a}\nreceivers: [{name: a}]\n");
  const silences = new Silences(store.silences, store.queue, clock, 120 * M);
  const provider = new AlertProvider({ repo: store.alerts, queue: store.queue, clock, log: silentLogger(), status: mutingStatus(silences, new Inhibitor(config.inhibitRules)), gcIntervalMs: 30 * M });
  const sqlite = new NoiseRepo(store.db);
  let snapshotter: (() => void) | undefined;
  let answerer: (() => void) | undefined;
  const repo = Object.assign(Object.create(sqlite) as NoiseRepo, {
    transitionsSince: (afterMs: number) => new Promise<TransitionRow[]>((resolve) => {
      snapshotter = () => {
        const snapshot = sqlite.transitionsSince(afterMs);
        answerer = () => void snapshot.then(resolve);
      };
    }),
  });
  const noise = new NoiseControl({ clock, log: silentLogger(), queue: store.queue, repo, provider, metrics: new Metrics(), externalURL: "http://ap", routing: () => new RoutingTable(config) });
  const alert = (labels: Record<string, string>, endsIn: number) => {
    const now = fromMillis(clock.now());
    return { fingerprint: fingerprint(labels), labels, annotations: {}, startsAt: now, endsAt: addMillis(now, endsIn), updatedAt: now, generatorURL: "", timeout: false };
  };
  const takeSnapshot = () => {
    assert.ok(snapshotter, "the replay asked for history");
    snapshotter();
  };
  const answer = () => {
    assert.ok(answerer, "history was read");
    answerer();
  };
  return { clock, provider, noise, alert, takeSnapshot, answer };
}

/**
 * Flap damping switched on with `changes` as its threshold while an alert fires, resolves and fires again:
 * history is read after the second change but answered only after the third. Whether it flaps then.
 */
async function flappingAfterSlowReplay(changes: number): Promise<boolean> {
  const { clock, provider, noise, alert, takeSnapshot, answer } = slowReplayFixture();
  const labels = { alertname: "Flappy" };
  await provider.put([alert(labels, 10 * M)]); // change 1: firing
  const configured = noise.configure({ flapping: { changes, withinMs: 60 * M, quietForMs: 30 * M } });
  clock.advance(M);
  await provider.put([alert(labels, 0)]); // change 2: resolved — in the snapshot and observed
  takeSnapshot();
  clock.advance(M);
  await provider.put([alert(labels, 10 * M)]); // change 3: firing — observed only
  answer();
  await configured;
  return noise.flapState(fingerprint(labels), clock.now())?.flapping === true;
}

test("changes observed while flap damping waits for its history are applied after it", async () => {
  assert.equal(await flappingAfterSlowReplay(3), true, "three changes: two from history, the third only observed");
});

test("a start both in the replayed history and observed meanwhile does not enter a storm early", async () => {
  // Storm mode counts alert starts: two alerts start, one of them after the replay asked for history but
  // before history was read, so it is in both (replayed() drops the repeat). Counted twice it would reach
  // the threshold of 3.
  const { provider, noise, alert, takeSnapshot, answer } = slowReplayFixture();
  await provider.put([alert({ alertname: "A" }, 10 * M)]);
  const configured = noise.configure({ storm: { enterNewAlerts: 3, enterWithinMs: 10 * M, exitBelow: 1, exitForMs: 10 * M, summaryIntervalMs: 10 * M, bypass: [] } });
  await provider.put([alert({ alertname: "B" }, 10 * M)]);
  takeSnapshot();
  answer();
  await configured;
  assert.equal(noise.stormState("a"), undefined, "two starts, not three");
  await provider.put([alert({ alertname: "C" }, 10 * M)]);
  assert.notEqual(noise.stormState("a"), undefined, "the third start enters the storm (the test can see one)");
  noise.stop();
});

test("notification decisions are committed at once but leave their flush to disk to the next write that needs one", async () => {
  const clock = new FakeClock();
  const store = memoryStore();
  const config = parseAlertmanagerConfig("route: {receiver: a}\nreceivers: [{name: a}]\n");
  const silences = new Silences(store.silences, store.queue, clock, 120 * M);
  const provider = new AlertProvider({ repo: store.alerts, queue: store.queue, clock, log: silentLogger(), status: mutingStatus(silences, new Inhibitor(config.inhibitRules)), gcIntervalMs: 30 * M });
  const options: Array<WriteOptions | undefined> = [];
  const queue: WriteQueue = {
    submit: (work, onRollback, opts) => {
      options.push(opts);
      return store.queue.submit(work, onRollback, opts);
    },
  };
  const noise = new NoiseControl({ clock, log: silentLogger(), queue, repo: new NoiseRepo(store.db), provider, metrics: new Metrics(), externalURL: "http://ap", routing: () => new RoutingTable(config) });
  noise.decisions.flush("{}:{}", "a", clock.now(), [{ stage: "notify", outcome: "sent", integration: "webhook/0" }], new Set());
  assert.deepEqual(options, [{ deferFlush: true }], "one write, deferred: a flush of its own after every notification would hold the next alert's commit behind it");
  await store.queue.submit(() => undefined);
  const rows = store.db.prepare("SELECT outcome FROM notify_decisions").pluck().all();
  assert.deepEqual(rows, ["sent"], "committed");
});
