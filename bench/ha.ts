/**
 * The high-availability scenario of `npm run bench` (BENCH_ONLY=ha): ingest of new alerts, 64 per request,
 * into one SQLite process, one replica on PostgreSQL and three replicas on the same PostgreSQL database
 * (the clients spread over them), each on fresh instances. PostgreSQL is a throwaway cluster on 127.0.0.1
 * (initdb + pg_ctl, as the tests run it); its fsync stays on, so every figure is durable.
 */
import { startPostgres } from "../test/helpers/postgres.ts";
import { RAISED_LIMITS, closedLoop, type LoadResult } from "./load.ts";
import { startServer, stopServer, webhookConfig, type Target } from "./servers.ts";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const PER_REQUEST = 64;
const FIRST_PORT = 19321;

/** Notifications go to the discard port: this scenario measures ingest. */
const CONFIG = webhookConfig("http://127.0.0.1:9/");

export interface HaResult {
  readonly setup: string;
  readonly replicas: number;
  readonly alertsPerSec: number;
  /** The slowest replica's p99 (each replica's clients are measured apart). */
  readonly p99ms: number;
  readonly requests: number;
}

const postgresYaml = (url: string) => `${RAISED_LIMITS}
storage:
  backend: postgres
  postgres:
    url: ${url}
ha:
  lease: 10s
`;

function batch(prefix: string, seq: number): string {
  const alerts = [];
  for (let i = 0; i < PER_REQUEST; i++) alerts.push({ labels: { alertname: "BenchAlert", instance: `${prefix}-${seq}-${i}`, job: "bench" }, annotations: { summary: "benchmark" } });
  return JSON.stringify(alerts);
}

/** CLIENTS clients spread over the targets, all at once; alerts/s summed, the worst p99. */
async function spread(targets: readonly Target[], label: string): Promise<Omit<HaResult, "setup" | "replicas">> {
  const results: LoadResult[] = await Promise.all(targets.map((t, i) => {
    const clients = Math.floor(CLIENTS / targets.length) + (i < CLIENTS % targets.length ? 1 : 0);
    return closedLoop(t.url, PER_REQUEST, (s) => batch(`${label}-${i}`, s), { clients, seconds: SECONDS, maxRequests: 20_000 });
  }));
  return {
    alertsPerSec: results.reduce((n, r) => n + r.alertsPerSec, 0),
    p99ms: Math.max(...results.map((r) => r.p99ms)),
    requests: results.reduce((n, r) => n + r.requests, 0),
  };
}

async function measure(setup: string, targets: Target[]): Promise<HaResult> {
  try {
    return { setup, replicas: targets.length, ...(await spread(targets, setup.replace(/\W+/g, "-"))) };
  } finally {
    await Promise.all(targets.map((t) => stopServer(t)));
  }
}

export async function haScenario(): Promise<HaResult[]> {
  const out: HaResult[] = [];
  out.push(await measure("SQLite, one process", [await startServer("alertprism", FIRST_PORT, CONFIG, RAISED_LIMITS)]));
  const cluster = await startPostgres();
  try {
    const one = await cluster.createDatabase("bench_one");
    out.push(await measure("PostgreSQL, one replica", [await startServer("alertprism", FIRST_PORT + 1, CONFIG, postgresYaml(one))]));
    const three = await cluster.createDatabase("bench_three");
    const replicas: Target[] = [];
    for (let i = 0; i < 3; i++) replicas.push(await startServer("alertprism", FIRST_PORT + 2 + i, CONFIG, postgresYaml(three)));
    out.push(await measure("PostgreSQL, three replicas", replicas));
  } finally {
    await cluster.stop();
  }
  return out;
}

export function printHa(results: readonly HaResult[]): void {
  console.log(`\nhigh availability: ingest of new alerts, ${PER_REQUEST}/request, ${CLIENTS} clients spread over the replicas, ${SECONDS} s`);
  for (const r of results) console.log(`  ${r.setup.padEnd(28)} ${String(r.alertsPerSec).padStart(7)} alerts/s   p99 ${r.p99ms} ms   ${r.requests} requests`);
}
