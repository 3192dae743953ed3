/**
 * The alert-storm scenario of `npm run bench`: AlertPrism (storm mode on) and Alertmanager 0.25 get the
 * same burst — 1,000 alerts in 200 groups to one receiver within 30 s, 5 of them P1 — and each one's
 * notifications are counted at a webhook sink. Then the burst stops and both are watched until
 * AlertPrism's storm is over, to see that no burst of notifications follows it.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Agent, request } from "undici";
import { startServer, stopServer, type Target } from "./servers.ts";

const ALERTS = 1000;
const GROUPS = 200;
const BURST_SECONDS = 30;
const BATCHES = 20;
const P1_EVERY = 200;
const GROUP_WAIT_S = 10;
/** AlertPrism's exit.for, shortened from the 5m of the example so the scenario ends in about two minutes. */
const EXIT_FOR_S = 60;

const routing = (sink: string) => `
route:
  receiver: team
  group_by: [alertname, shard]
  group_wait: ${GROUP_WAIT_S}s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: team
    webhook_configs: [{ url: "${sink}" }]
`;

const STORM = `
noise:
  storm:
    enter: { new_alerts: 50, within: 1m }
    exit: { below: 5, for: ${EXIT_FOR_S}s }
    summary_interval: 2m
    bypass: ['priority="P1"']
`;

interface Arrival { atMs: number; summary: boolean; status: string; alertnames: string[]; p1: boolean }

export interface StormResult {
  messages: number;
  /** Messages during the burst and until its groups had flushed (burst + group_wait + 5 s). */
  messagesDuringStorm: number;
  firstSummaryAfterMs: number | undefined;
  bypassLatencyMaxMs: number | undefined;
  summaries: number;
  messagesAfterStormEnded: number;
  alertsInHistory: number | undefined;
}

function sink(): Promise<{ url: string; arrivals: Arrival[]; server: Server }> {
  const arrivals: Arrival[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      res.end("ok");
      const n = JSON.parse(body) as { status: string; alerts: Array<{ labels: Record<string, string> }> };
      arrivals.push({
        atMs: Date.now(),
        status: n.status,
        summary: n.alerts.some((a) => a.labels.alertname === "AlertStorm"),
        p1: n.alerts.some((a) => a.labels.priority === "P1"),
        alertnames: n.alerts.map((a) => a.labels.alertname ?? ""),
      });
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, arrivals, server })));
}

/** Posts the burst: BATCHES batches spread over BURST_SECONDS; returns when each P1 alert was posted. */
async function burst(t: Target): Promise<{ startMs: number; p1PostedMs: number[] }> {
  const agent = new Agent({ connections: 2 });
  const endsAt = new Date(Date.now() + 3600_000).toISOString();
  const p1PostedMs: number[] = [];
  const startMs = Date.now();
  const perBatch = ALERTS / BATCHES;
  for (let b = 0; b < BATCHES; b++) {
    const alerts = Array.from({ length: perBatch }, (_, k) => {
      const i = b * perBatch + k;
      const p1 = i % P1_EVERY === P1_EVERY - 1;
      // Each P1 alert is a group of its own, so it is due group_wait after it is posted.
      return { labels: { alertname: p1 ? "TradingHalted" : "NodeDown", shard: p1 ? `p1-${i}` : `s${i % GROUPS}`, instance: `node-${i}`, ...(p1 ? { priority: "P1" } : {}) }, endsAt };
    });
    const r = await request(`${t.url}/api/v2/alerts`, { method: "POST", body: JSON.stringify(alerts), headers: { "content-type": "application/json" }, dispatcher: agent });
    await r.body.dump();
    if (r.statusCode !== 200) throw new Error(`${t.name}: status ${r.statusCode}`);
    if (alerts.some((a) => a.labels.priority === "P1")) p1PostedMs.push(Date.now());
    await new Promise((res) => setTimeout(res, (BURST_SECONDS * 1000) / BATCHES));
  }
  await agent.close();
  return { startMs, p1PostedMs };
}

async function run(name: string, port: number): Promise<StormResult> {
  const s = await sink();
  const t = await startServer(name, port, routing(s.url), name === "alertprism" ? STORM : undefined);
  try {
    const { startMs, p1PostedMs } = await burst(t);
    const stormWindowEnd = startMs + (BURST_SECONDS + GROUP_WAIT_S + 5) * 1000;
    await new Promise((r) => setTimeout(r, stormWindowEnd - Date.now()));
    const messagesDuringStorm = s.arrivals.length;
    // Until the storm has ended (exit.for of quiet after the burst) and one more group_wait has passed.
    const endMs = startMs + (BURST_SECONDS + EXIT_FOR_S + 60 + 2 * GROUP_WAIT_S) * 1000;
    let stormEndedMs: number | undefined;
    while (Date.now() < endMs) {
      await new Promise((r) => setTimeout(r, 500));
      stormEndedMs ??= s.arrivals.find((a) => a.summary && a.status === "resolved")?.atMs;
    }
    const firstSummary = s.arrivals.find((a) => a.summary);
    const p1Arrivals = s.arrivals.filter((a) => a.p1).map((a) => a.atMs);
    const bypassLatencies = p1PostedMs.map((posted) => (p1Arrivals.find((at) => at >= posted) ?? Infinity) - posted);
    return {
      messages: s.arrivals.length,
      messagesDuringStorm,
      firstSummaryAfterMs: firstSummary ? firstSummary.atMs - startMs : undefined,
      bypassLatencyMaxMs: bypassLatencies.length ? Math.max(...bypassLatencies) : undefined,
      summaries: s.arrivals.filter((a) => a.summary).length,
      messagesAfterStormEnded: stormEndedMs === undefined ? s.arrivals.length - messagesDuringStorm : s.arrivals.filter((a) => a.atMs > stormEndedMs && !a.summary).length,
      alertsInHistory: name === "alertprism" ? historyCount(t.dir) : undefined,
    };
  } finally {
    s.server.close();
    await stopServer(t);
  }
}

function historyCount(dir: string): number {
  const db = new Database(join(dir, "alertprism.db"), { readonly: true });
  try {
    const row = db.prepare(`SELECT count(DISTINCT e.series_id) AS n FROM alert_events e JOIN series s ON s.id = e.series_id
      WHERE e.kind = 'new' AND s.labels NOT LIKE '%"AlertStorm"%'`).get() as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

/** Both targets, one after the other (each gets the machine to itself). */
export async function stormScenario(withAlertmanager: boolean): Promise<Record<string, StormResult>> {
  const out: Record<string, StormResult> = { alertprism: await run("alertprism", 19311) };
  if (withAlertmanager) out.alertmanager = await run("alertmanager", 19312);
  return out;
}

export function printStorm(r: Record<string, StormResult>): void {
  console.log(`\nalert storm: ${ALERTS} alerts in ${GROUPS} groups to one receiver within ${BURST_SECONDS}s (${ALERTS / P1_EVERY} P1), group_wait ${GROUP_WAIT_S}s`);
  const ours = r.alertprism;
  const theirs = r.alertmanager;
  const fmt = (v: number | undefined, unit = "") => (v === undefined ? "-" : `${Math.round(v)}${unit}`);
  for (const [name, x] of Object.entries(r)) {
    console.log(`  ${name.padEnd(12)} messages ${String(x.messages).padStart(4)} (during the storm ${x.messagesDuringStorm}), summaries ${x.summaries}, first summary after ${fmt(x.firstSummaryAfterMs, " ms")}, P1 notified within ${fmt(x.bypassLatencyMaxMs, " ms")} of posting (group_wait ${GROUP_WAIT_S} s), messages after the storm ${x.messagesAfterStormEnded}${x.alertsInHistory === undefined ? "" : `, alerts in history ${x.alertsInHistory}/${ALERTS}`}`);
  }
  if (ours && theirs && theirs.messagesDuringStorm > 0) {
    console.log(`  AlertPrism sent ${((100 * ours.messagesDuringStorm) / theirs.messagesDuringStorm).toFixed(1)} % of Alertmanager's messages (target ≤ 5 %)`);
  }
}
