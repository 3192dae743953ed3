// High availability on PostgreSQL, as operators run it: three AlertPrism processes share one database in a
// throwaway cluster (initdb + pg_ctl on 127.0.0.1). Every replica accepts alerts and silences and shows the
// others' within moments; exactly one holds the sender lease and notifies; when it is killed (kill -9) or
// paused (SIGSTOP) another takes over within the lease and nothing is lost or sent twice.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";
import { runAmtool, sleep, startAlertPrism, startPrometheus, startWebhookSink, type RunningServer, type WebhookSink } from "./harness.ts";

const LEASE_MS = 3_000;
/** How long a replica's writes may take to show on another (the issue asks for one second; CI machines are slow). */
const VISIBLE_WITHIN_MS = 5_000;

const CONFIG = (sinkUrl: string) => `
route:
  receiver: hook
  group_by: [alertname, instance]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: ${sinkUrl}/hook
`;

const prismYaml = (url: string) => `
storage:
  backend: postgres
  postgres:
    url: ${url}
    pool_size: 4
ha:
  lease: ${LEASE_MS / 1000}s
`;

interface Health { components: { cluster?: { role: string; replica: string; warning?: string } } }

async function json<T>(url: string): Promise<T> {
  const res = await fetch(url);
  assert.equal(res.status < 500 || res.status === 503, true, `${url}: ${res.status}`);
  return (await res.json()) as T;
}

async function roleOf(r: RunningServer): Promise<string | undefined> {
  try {
    return (await json<Health>(`${r.url}/health`)).components.cluster?.role;
  } catch {
    return undefined; // killed or paused
  }
}

/** Waits until exactly one of `replicas` reports itself the sender; returns it. */
async function theSender(replicas: readonly RunningServer[], timeoutMs: number): Promise<RunningServer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const roles = await Promise.all(replicas.map(roleOf));
    const senders = replicas.filter((_, i) => roles[i] === "sender");
    if (senders.length === 1) return senders[0]!;
    if (Date.now() > deadline) throw new Error(`no single sender within ${timeoutMs} ms: roles ${JSON.stringify(roles)}`);
    await sleep(100);
  }
}

async function post(r: RunningServer, path: string, body: unknown): Promise<Response> {
  return fetch(`${r.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

const alertsFor = (name: string, n: number) => Array.from({ length: n }, (_, i) => ({ labels: { alertname: name, instance: `host-${i}` }, annotations: { summary: `${name} ${i}` } }));

/** Waits until `r` lists every alert named `name` (n of them); returns how long it took. */
async function visible(r: RunningServer, name: string, n: number, withinMs = VISIBLE_WITHIN_MS): Promise<number> {
  const start = Date.now();
  for (;;) {
    const listed = await json<Array<{ labels: { alertname: string } }>>(`${r.url}/api/v2/alerts`);
    if (listed.filter((a) => a.labels.alertname === name).length === n) return Date.now() - start;
    if (Date.now() - start > withinMs) throw new Error(`${r.url} lists ${listed.filter((a) => a.labels.alertname === name).length} of ${n} ${name} alerts after ${withinMs} ms`);
    await sleep(20);
  }
}

/** Firing notifications per (alertname, instance) the sink received. */
function notificationsByGroup(sink: WebhookSink, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of sink.received) {
    const body = r.body as { status: string; groupLabels: { alertname: string; instance: string } };
    if (body.groupLabels?.alertname !== name || body.status !== "firing") continue;
    out.set(body.groupLabels.instance, (out.get(body.groupLabels.instance) ?? 0) + 1);
  }
  return out;
}

async function waitForGroups(sink: WebhookSink, name: string, n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (notificationsByGroup(sink, name).size < n) {
    if (Date.now() > deadline) throw new Error(`${notificationsByGroup(sink, name).size} of ${n} ${name} groups notified within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe("three replicas on one PostgreSQL database", () => {
  let cluster: PostgresCluster;
  let sink: WebhookSink;
  let replicas: RunningServer[] = [];

  before(async () => {
    cluster = await startPostgres();
    sink = await startWebhookSink();
    const url = await cluster.createDatabase("ha");
    // One after another: the first migrates, the others find the schema in place.
    for (let i = 0; i < 3; i++) replicas.push(await startAlertPrism({ configYaml: CONFIG(sink.url), alertprismYaml: prismYaml(url) }));
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await sink?.close();
    await cluster?.stop();
  });

  it("reports the live replicas as Alertmanager peers, one sender among them", async () => {
    await theSender(replicas, 3 * LEASE_MS);
    type Status = { cluster: { status: string; name: string; peers: Array<{ name: string; address: string }> } };
    for (const r of replicas) {
      // Each replica re-reads the live replicas every lease / 3: the last to start may not be listed yet.
      const deadline = Date.now() + LEASE_MS;
      let status = await json<Status>(`${r.url}/api/v2/status`);
      while (status.cluster.peers.length < 3 && Date.now() < deadline) {
        await sleep(100);
        status = await json<Status>(`${r.url}/api/v2/status`);
      }
      assert.equal(status.cluster.status, "ready");
      assert.equal(status.cluster.peers.length, 3, JSON.stringify(status.cluster));
      assert.ok(status.cluster.peers.some((p) => p.name === status.cluster.name));
      assert.ok(status.cluster.peers.some((p) => p.address.endsWith(`:${r.port}`)));
    }
    // amtool reads the same: the status, this node's name and every peer.
    const shown = await runAmtool(["cluster", "show", "--output=json"], replicas[0]!.url);
    assert.equal(shown.code, 0, shown.stderr);
    const amtoolView = JSON.parse(shown.stdout) as { status: string; peers: Array<{ address: string }> };
    assert.equal(amtoolView.status, "ready");
    assert.deepEqual(amtoolView.peers.map((p) => p.address.split(":").at(-1)).sort(), replicas.map((r) => String(r.port)).sort());
  });

  it("takes a real Prometheus's alerts, sent to all three, and notifies them once", async () => {
    const prometheus = await startPrometheus({
      configYaml: `
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["RULES_FILE"]
alerting:
  alertmanagers:
    - static_configs:
        - targets: [${replicas.map((r) => `"127.0.0.1:${r.port}"`).join(", ")}]
`,
      rulesYaml: `
groups:
  - name: ha
    rules:
      - alert: FromPrometheus
        expr: vector(1)
        labels: { instance: "everywhere" }
        annotations: { summary: "sent to every replica" }
`,
      extraArgs: ["--rules.alert.resend-delay=1s"],
    });
    try {
      // Prometheus needs a few seconds to start, evaluate and find its Alertmanagers.
      for (const r of replicas) await visible(r, "FromPrometheus", 1, 60_000);
      await waitForGroups(sink, "FromPrometheus", 1, 20_000);
      // Prometheus keeps re-sending to all three every second: still one notification, one episode.
      await sleep(4_000);
      assert.equal(notificationsByGroup(sink, "FromPrometheus").get("everywhere"), 1);
      const fp = (await json<Array<{ fingerprint: string; labels: { alertname: string } }>>(`${replicas[0]!.url}/api/v2/alerts`)).find((a) => a.labels.alertname === "FromPrometheus")!.fingerprint;
      // Each replica received it; the history (read on another) records the episode once.
      const { timeline } = await json<{ timeline: Array<{ type: string; kind?: string }> }>(`${replicas[1]!.url}/api/ops/v1/alerts/${fp}`);
      const lifecycle = timeline.filter((e) => e.type === "event" && (e.kind === "new" || e.kind === "resolved")).map((e) => e.kind);
      assert.deepEqual(lifecycle, ["new"], JSON.stringify(timeline));
    } finally {
      await prometheus.stop();
    }
  });

  it("shows every replica's alerts and silences on every other, and notifies each group once", async () => {
    const sender = await theSender(replicas, 3 * LEASE_MS);
    const standby = replicas.find((r) => r !== sender)!;
    assert.equal((await post(standby, "/api/v2/alerts", alertsFor("Shared", 10))).status, 200);
    const took = await Promise.all(replicas.map((r) => visible(r, "Shared", 10)));
    console.log(`# alerts posted to a standby listed by every replica after ${Math.max(...took)} ms`);

    const silence = await post(replicas[2]!, "/api/v2/silences", {
      matchers: [{ name: "alertname", value: "NeverFires", isRegex: false }], startsAt: new Date().toISOString(), endsAt: "2099-01-01T00:00:00Z", createdBy: "ops", comment: "shared",
    });
    assert.equal(silence.status, 200);
    const { silenceID } = (await silence.json()) as { silenceID: string };
    for (const r of replicas) {
      const start = Date.now();
      while (!(await json<Array<{ id: string }>>(`${r.url}/api/v2/silences`)).some((s) => s.id === silenceID)) {
        assert.ok(Date.now() - start < VISIBLE_WITHIN_MS, `silence not on ${r.url}`);
        await sleep(20);
      }
    }

    // An ack taken on one replica is in force on the others (the ops API's view), and can be removed there.
    const listed = await json<Array<{ fingerprint: string; labels: { instance: string; alertname: string } }>>(`${replicas[0]!.url}/api/v2/alerts`);
    const fp = listed.find((a) => a.labels.alertname === "Shared" && a.labels.instance === "host-3")!.fingerprint;
    assert.equal((await post(replicas[1]!, `/api/ops/v1/alerts/${fp}/ack`, { comment: "on it" })).status, 200);
    for (const r of replicas) {
      const start = Date.now();
      for (;;) {
        const now = await json<{ groups: Array<{ alerts: Array<{ fingerprint: string; ack: { comment: string } | null }> }> }>(`${r.url}/api/ops/v1/alerts/now`);
        if (now.groups.flatMap((g) => g.alerts).find((a) => a.fingerprint === fp)?.ack?.comment === "on it") break;
        assert.ok(Date.now() - start < VISIBLE_WITHIN_MS, `ack not shown by ${r.url}`);
        await sleep(20);
      }
    }
    assert.equal((await fetch(`${replicas[2]!.url}/api/ops/v1/alerts/${fp}/ack`, { method: "DELETE" })).status, 200);

    // The sender notifies the groups of alerts posted elsewhere; the standbys send nothing.
    await waitForGroups(sink, "Shared", 10, 20_000);
    await sleep(3_000);
    for (const [instance, n] of notificationsByGroup(sink, "Shared")) assert.equal(n, 1, `${instance} notified ${n} times`);
  });

  it("kill -9 of the sender in the middle of a storm: a new sender within the lease, nothing lost, duplicates only within the window", async () => {
    const sender = await theSender(replicas, 3 * LEASE_MS);
    const survivors = replicas.filter((r) => r !== sender);
    // Prometheus sends every batch to every replica; the sender is killed half-way through, while its
    // flushes and deliveries of the first half are under way.
    const STORM = 40;
    const BATCH = 4;
    const batches = Array.from({ length: STORM / BATCH }, (_, b) => alertsFor("Storm", STORM).slice(b * BATCH, (b + 1) * BATCH));
    let killedAt = 0;
    for (const [b, batch] of batches.entries()) {
      if (b === batches.length / 2) {
        await sender.kill9();
        killedAt = Date.now();
      }
      const live = killedAt === 0 ? replicas : survivors;
      const answers = await Promise.all(live.map((r) => post(r, "/api/v2/alerts", batch)));
      assert.deepEqual(answers.map((a) => a.status), live.map(() => 200));
      await sleep(100);
    }
    const next = await theSender(survivors, 3 * LEASE_MS);
    const takeoverMs = Date.now() - killedAt;
    console.log(`# new sender ${next.url} reports itself ${takeoverMs} ms after kill -9 (lease ${LEASE_MS} ms)`);
    // ha.lease bounds it; the slack is for reading /health on a busy machine.
    assert.ok(takeoverMs < LEASE_MS + 1_500, `takeover took ${takeoverMs} ms`);
    // Every alert in every survivor's listing; every group notified (nothing decided is lost).
    for (const r of survivors) await visible(r, "Storm", STORM);
    await waitForGroups(sink, "Storm", STORM, 30_000);
    await sleep(3_000);
    const repeated = [...notificationsByGroup(sink, "Storm")].filter(([, n]) => n > 1);
    console.log(`# storm of ${STORM} groups across the kill: ${repeated.length} notified twice (at least once: sent, but killed before the log was committed)`);
    // The at-least-once window: only what the killed sender had sent without its log committed, a few at most.
    assert.ok(repeated.length <= 2 * BATCH, `repeated: ${JSON.stringify(repeated)}`);
    assert.ok(repeated.every(([, n]) => n === 2), `repeated: ${JSON.stringify(repeated)}`);
    // The groups notified before the storm are not notified again by the successor.
    for (const [instance, n] of notificationsByGroup(sink, "Shared")) assert.equal(n, 1, `Shared ${instance} notified ${n} times after the takeover`);
    replicas = survivors;
  });

  it("a paused sender stops sending before its successor starts", async () => {
    const sender = await theSender(replicas, 3 * LEASE_MS);
    const other = replicas.find((r) => r !== sender)!;
    const stormBefore = notificationsByGroup(sink, "Storm");
    process.kill(sender.pid, "SIGSTOP");
    try {
      assert.equal((await post(other, "/api/v2/alerts", alertsFor("WhilePaused", 5))).status, 200);
      assert.equal(await theSender([other], 3 * LEASE_MS), other);
      await waitForGroups(sink, "WhilePaused", 5, 20_000);
    } finally {
      process.kill(sender.pid, "SIGCONT");
    }
    // Woken up, the old sender must see its lease gone and send nothing: no group is notified twice.
    await sleep(2 * LEASE_MS);
    assert.equal(await roleOf(sender), "standby");
    for (const name of ["Shared", "WhilePaused"]) {
      for (const [instance, n] of notificationsByGroup(sink, name)) assert.equal(n, 1, `${name} ${instance} notified ${n} times`);
    }
    assert.deepEqual(notificationsByGroup(sink, "Storm"), stormBefore, "the storm's groups are not notified again");
  });
});

describe("a sender cut off from the database (its connections blackholed)", () => {
  let cluster: PostgresCluster;
  let sink: WebhookSink;
  let proxy: TcpProxy;
  let url: string;
  const replicas: RunningServer[] = [];

  before(async () => {
    cluster = await startPostgres();
    sink = await startWebhookSink();
    url = await cluster.createDatabase("cutoff");
    proxy = await startTcpProxy(cluster.port);
    const viaProxy = new URL(url);
    viaProxy.port = String(proxy.port);
    // The first replica reaches the database through the proxy, and becomes the sender (it is alone).
    replicas.push(await startAlertPrism({ configYaml: CONFIG(sink.url), alertprismYaml: prismYaml(viaProxy.toString()) }));
    await theSender(replicas, 3 * LEASE_MS);
    replicas.push(await startAlertPrism({ configYaml: CONFIG(sink.url), alertprismYaml: prismYaml(url) }));
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await proxy?.close();
    await sink?.close();
    await cluster?.stop();
  });

  it("stops sending, says so in /health, answers reads from memory; the other takes over and notifies once", async () => {
    const [cutOff, other] = replicas as [RunningServer, RunningServer];
    assert.equal((await post(other, "/api/v2/alerts", alertsFor("BeforeCut", 3))).status, 200);
    await visible(cutOff, "BeforeCut", 3);
    await waitForGroups(sink, "BeforeCut", 3, 20_000);
    // Cut only once the sender's notification log holds them: a notification sent but not yet logged when
    // the sender loses the database is sent again by its successor (at least once), which is not what this
    // test is about.
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const deadline = Date.now() + 10_000;
      while ((await db.query("SELECT 1 FROM nflog WHERE group_key LIKE '%BeforeCut%'")).rowCount !== 3) {
        assert.ok(Date.now() < deadline, "the sender's notification log never held the three groups");
        await sleep(50);
      }
    } finally {
      await db.end();
    }

    proxy.blackhole();
    const cutAt = Date.now();
    assert.equal(await theSender([other], 3 * LEASE_MS), other);
    console.log(`# the other replica is the sender ${Date.now() - cutAt} ms after the cut (lease ${LEASE_MS} ms)`);
    const health = await json<Health & { status: string }>(`${cutOff.url}/health`);
    assert.equal(health.components.cluster?.role, "standby");
    assert.match(health.components.cluster?.warning ?? "", /PostgreSQL unreachable/);
    assert.doesNotMatch(JSON.stringify(health), new RegExp(new URL(cluster.url).password));
    // Reads come from memory: the alerts it knew are still listed.
    const listed = await json<Array<{ labels: { alertname: string } }>>(`${cutOff.url}/api/v2/alerts`);
    assert.equal(listed.filter((a) => a.labels.alertname === "BeforeCut").length, 3);

    assert.equal((await post(other, "/api/v2/alerts", alertsFor("DuringCut", 4))).status, 200);
    await waitForGroups(sink, "DuringCut", 4, 20_000);
    proxy.restore();
    // Back in touch, the cut-off replica catches up and stays a standby: no group is notified twice.
    // The change feed reconnects with backoff (up to 5 s between attempts) and then re-reads everything.
    await visible(cutOff, "DuringCut", 4, 20_000).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${cutOff.logs()}`);
    });
    await sleep(2 * LEASE_MS);
    for (const name of ["BeforeCut", "DuringCut"]) {
      for (const [instance, n] of notificationsByGroup(sink, name)) assert.equal(n, 1, `${name} ${instance} notified ${n} times`);
    }
  });
});
