import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../lib/clock.ts";
import { silentLogger } from "../lib/log.ts";
import { fingerprint } from "../types/labels.ts";
import { addMillis, fromMillis } from "../types/time.ts";
import type { Alert } from "../types/alert.ts";
import { memoryStore } from "../store/test-db.ts";
import { NotifyRepo } from "../store/notify-repo.ts";
import { NotificationLog } from "../nflog/nflog.ts";
import { parseAlertmanagerConfig } from "../config/alertmanager.ts";
import { Inhibitor } from "../inhibit/inhibitor.ts";
import { NotifyPipeline, type Muting } from "../notify/pipeline.ts";
import { NotifyError, type Notifier, type NotifyRequest } from "../notify/notifier.ts";
import { Route } from "./route.ts";
import { Dispatcher } from "./dispatcher.ts";

const S = 1000;

/** A notifier that records what it was asked to send, and can be told to fail. */
class RecordingNotifier implements Notifier {
  readonly kind = "test";
  readonly index = 0;
  readonly sent: Array<{ at: number; groupKey: string; status: string; alerts: string[]; names: string[] }> = [];
  failWith: NotifyError | undefined;
  constructor(private readonly clock: FakeClock, readonly sendResolved = true) {}
  async notify(req: NotifyRequest): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.sent.push({
      at: this.clock.now(), groupKey: req.groupKey, status: req.data.status,
      alerts: req.data.alerts.map((a) => `${a.labels.instance ?? a.labels.alertname}:${a.status}`),
      names: req.data.alerts.map((a) => `${a.labels.alertname}:${a.status}`),
    });
  }
}

function setup(yaml: string, opts: { sendResolved?: boolean; muting?: Partial<Muting> } = {}) {
  const clock = new FakeClock();
  const start = clock.now();
  const store = memoryStore();
  const nflog = new NotificationLog(new NotifyRepo(store.db));
  const config = parseAlertmanagerConfig(yaml);
  const root = Route.root(config.route);
  const inhibitor = new Inhibitor(config.inhibitRules);
  const notifiers = new Map<string, RecordingNotifier>();
  const notifierFor = (name: string) => {
    if (!notifiers.has(name)) notifiers.set(name, new RecordingNotifier(clock, opts.sendResolved ?? true));
    return notifiers.get(name)!;
  };
  const pipeline = new NotifyPipeline({
    clock, log: silentLogger(), queue: store.queue, repo: new NotifyRepo(store.db), nflog, externalURL: "http://prism",
    muting: () => ({
      inhibitedBy: (a, now) => inhibitor.inhibitedBy(a, now),
      silencedBy: () => [],
      inInterval: () => false,
      ...opts.muting,
    }),
    notifiers: (r) => [notifierFor(r)],
  });
  const listeners: Array<(a: readonly Alert[]) => void> = [];
  const dispatcher = new Dispatcher(root, { current: () => [], subscribe: (l) => { listeners.push(l); return () => undefined; } }, clock, pipeline.flush);
  dispatcher.start();
  const alert = (labels: Record<string, string>, p: { startedAgo?: number; endsIn?: number } = {}): Alert => {
    const now = fromMillis(clock.now());
    return {
      fingerprint: fingerprint(labels), labels, annotations: {}, startsAt: addMillis(now, -(p.startedAgo ?? 0)),
      endsAt: addMillis(now, p.endsIn ?? 3600 * S), updatedAt: now, generatorURL: "", timeout: false,
    };
  };
  const post = (...alerts: Alert[]) => {
    for (const a of alerts) inhibitor.observe(a);
    for (const l of listeners) l(alerts);
  };
  /** Advances fake time in small steps, letting the async pipeline (setImmediate commits) run. */
  const run = async (ms: number) => {
    const step = 10;
    for (let t = 0; t < ms; t += step) {
      clock.advance(Math.min(step, ms - t));
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    }
  };
  const at = (ms: number) => Math.round((ms - start) / 100) / 10; // seconds since start, 0.1 s resolution
  return { clock, dispatcher, post, alert, run, notifierFor, at, inhibitor };
}

const CONFIG = `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
receivers: [{name: default}]
`;

test("group_wait, then fixed group_interval ticks; a new alert waits for the next tick", async () => {
  const t = setup(CONFIG);
  t.post(t.alert({ alertname: "Disk", instance: "a" }));
  await t.run(500);
  t.post(t.alert({ alertname: "Disk", instance: "b" }));
  await t.run(1000);
  const sent = t.notifierFor("default").sent;
  assert.deepEqual(sent.map((s) => [t.at(s.at), s.alerts]), [[1, ["a:firing", "b:firing"]]]);
  assert.equal(sent[0]!.groupKey, '{}:{alertname="Disk"}');
  await t.run(500); // t=2
  t.post(t.alert({ alertname: "Disk", instance: "c" }));
  await t.run(2500); // through t=4.5
  assert.deepEqual(sent.map((s) => [t.at(s.at), s.alerts.length]), [[1, 2], [4, 3]]);
});

test("an alert older than group_wait flushes at once", async () => {
  const t = setup(CONFIG);
  t.post(t.alert({ alertname: "Old", instance: "a" }, { startedAgo: 600 * S }));
  await t.run(100);
  assert.equal(t.notifierFor("default").sent.length, 1);
  assert.equal(t.at(t.notifierFor("default").sent[0]!.at), 0);
});

test("repeat_interval equal to group_interval repeats every second tick", async () => {
  const t = setup(CONFIG.replace("repeat_interval: 1h", "repeat_interval: 3s"));
  t.post(t.alert({ alertname: "R" }));
  await t.run(13_500);
  assert.deepEqual(t.notifierFor("default").sent.map((s) => t.at(s.at)), [1, 7, 13]);
});

test("a resolved alert is sent once, then dropped; the empty group is removed and a new one waits again", async () => {
  const t = setup(CONFIG);
  const a = t.alert({ alertname: "X", instance: "a" }, { endsIn: 2500 });
  t.post(a, t.alert({ alertname: "X", instance: "b" }, { endsIn: 2500 }));
  await t.run(8000);
  const sent = t.notifierFor("default").sent;
  assert.deepEqual(sent.map((s) => [t.at(s.at), s.status, s.alerts]), [
    [1, "firing", ["a:firing", "b:firing"]],
    [4, "resolved", ["a:resolved", "b:resolved"]],
  ]);
  assert.equal(t.dispatcher.activeGroups().length, 0);
  await t.run(30_000); // cleanup removes the empty group
  t.post(t.alert({ alertname: "X", instance: "c" }));
  await t.run(1100);
  assert.equal(t.at(sent.at(-1)!.at), 39, "removed by the cleanup at t=30: the alert at t=38 waits a fresh group_wait");
});

test("send_resolved: false sends no resolved notification, and a new firing alert still notifies", async () => {
  const t = setup(CONFIG, { sendResolved: false });
  t.post(t.alert({ alertname: "Y", instance: "a" }, { endsIn: 2500 }));
  await t.run(8000);
  t.post(t.alert({ alertname: "Y", instance: "b" }));
  await t.run(3000);
  assert.deepEqual(t.notifierFor("default").sent.map((s) => [t.at(s.at), s.alerts]), [[1, ["a:firing"]], [10, ["b:firing"]]]);
});

test("continue and group_by ['...'] put one alert in several groups", async () => {
  const t = setup(`
route:
  receiver: default
  group_wait: 1s
  group_interval: 3s
  routes:
    - matchers: ['team="ops"']
      receiver: ops
      continue: true
    - matchers: ['team=~"ops|dev"']
      receiver: dev
      group_by: ['...']
receivers: [{name: default}, {name: ops}, {name: dev}]
`);
  t.post(t.alert({ alertname: "Deploy", team: "ops" }));
  await t.run(1500);
  assert.equal(t.notifierFor("ops").sent[0]!.groupKey, '{}/{team="ops"}:{}');
  assert.equal(t.notifierFor("dev").sent[0]!.groupKey, '{}/{team=~"ops|dev"}:{alertname="Deploy", team="ops"}');
  assert.equal(t.notifierFor("default").sent.length, 0);
});

test("inhibition with equal: the target is left out while the source fires, and notified after", async () => {
  const t = setup((CONFIG + `
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [instance]
`).replace("group_by: [alertname]", "group_by: [instance]"));
  t.post(t.alert({ alertname: "Down", instance: "a", severity: "critical" }, { endsIn: 5000 }), t.alert({ alertname: "Slow", instance: "a", severity: "warning" }), t.alert({ alertname: "Slow", instance: "b", severity: "warning" }));
  await t.run(1500);
  const sent = t.notifierFor("default").sent;
  assert.deepEqual(sent.map((s) => [s.groupKey, s.names]).sort(), [['{}:{instance="a"}', ["Down:firing"]], ['{}:{instance="b"}', ["Slow:firing"]]], "b's warning is not inhibited (different instance)");
  await t.run(6000); // the source resolved at t=5; the next ticks carry the resolved source and the warning
  const forA = sent.filter((s) => s.groupKey === '{}:{instance="a"}').map((s) => [t.at(s.at), s.names]);
  assert.deepEqual(forA, [[1, ["Down:firing"]], [7, ["Down:resolved", "Slow:firing"]]]);
});

test("silences and time intervals mute at flush time", async () => {
  let silenced = true;
  let muted = false;
  const t = setup(`
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  routes:
    - matchers: ['alertname="S"']
      mute_time_intervals: [maintenance]
time_intervals:
  - name: maintenance
    time_intervals: [{weekdays: [saturday]}]
receivers: [{name: default}]
`, { muting: { silencedBy: () => (silenced ? ["s1"] : []), inInterval: (name) => name === "maintenance" && muted } });
  t.post(t.alert({ alertname: "S" }));
  await t.run(4500);
  assert.equal(t.notifierFor("default").sent.length, 0, "silenced: nothing sent");
  silenced = false;
  await t.run(3000);
  assert.equal(t.notifierFor("default").sent.length, 1, "the silence ended: notified at the next tick");
  muted = true;
  t.post(t.alert({ alertname: "S", instance: "late" }));
  await t.run(6000);
  assert.equal(t.notifierFor("default").sent.length, 1, "inside a mute time interval: nothing sent");
  muted = false;
  await t.run(3000);
  assert.deepEqual(t.notifierFor("default").sent.at(-1)!.alerts, ["late:firing", "S:firing"], "the interval ended: the new alert is notified");
});

test("a failing integration is retried within the flush and again at the next tick", async () => {
  const t = setup(CONFIG);
  const n = t.notifierFor("default");
  n.failWith = new NotifyError(false, "400 bad request", { status: 400 });
  t.post(t.alert({ alertname: "F" }));
  await t.run(1500);
  assert.equal(n.sent.length, 0);
  n.failWith = undefined;
  await t.run(3000);
  assert.deepEqual(n.sent.map((s) => t.at(s.at)), [4], "the log was not updated, so the next tick sends");
});

test("a 5xx is retried with backoff within the same flush", async () => {
  const t = setup(CONFIG);
  const n = t.notifierFor("default");
  let failures = 2;
  const original = n.notify.bind(n);
  n.notify = async (req) => {
    if (failures-- > 0) throw new NotifyError(true, "503 unavailable", { status: 503 });
    return original(req);
  };
  t.post(t.alert({ alertname: "Flaky" }));
  // Up to t=3.9, just before the next tick at t=4: two jittered backoffs (≤ 1.5 × 0.5 s and 1.5 × 1 s)
  // end by t=3.25 at the latest.
  await t.run(3900);
  assert.equal(n.sent.length, 1, "delivered by a retry inside the first flush");
  assert.ok(t.at(n.sent[0]!.at) > 1 && t.at(n.sent[0]!.at) < 4, `retried after backoff, at ${t.at(n.sent[0]!.at)}s`);
});
