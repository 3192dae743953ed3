/**
 * The history scenario of `npm run bench` (BENCH_ONLY=history): a fresh AlertPrism database is filled with
 * 1,000,000 alert events of 20,000 series over 30 days (written straight into the SQLite file before the
 * server starts), then typical ops API history queries are timed through HTTP: p50 and p99 per query.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { openDatabase } from "../src/store/db.ts";
import { fingerprint } from "../src/types/labels.ts";
import { waitReady } from "./servers.ts";

const EVENTS = Number(process.env.BENCH_HISTORY_EVENTS ?? 1_000_000);
const SERIES = Number(process.env.BENCH_HISTORY_SERIES ?? 20_000);
const DAYS = 30;
const REQUESTS = Number(process.env.BENCH_HISTORY_REQUESTS ?? 300);
const PORT = 19311;
const ALERTNAMES = 200;
const TEAMS = ["db", "web", "storage", "network", "payments", "search", "infra", "ml", "mobile", "security"];
/** Kinds in the proportions a busy Alertmanager's history has them. */
const KINDS: ReadonlyArray<[string, number]> = [
  ["new", 0.33], ["resolved", 0.33], ["updated", 0.1], ["silenced", 0.06], ["unsilenced", 0.06], ["inhibited", 0.05], ["uninhibited", 0.05], ["source_added", 0.02],
];

/** A small deterministic PRNG, so every run fills the same database. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes SERIES series and EVENTS events, oldest first, ending at `nowMs`. Returns the fill time. */
export function fillHistory(file: string, nowMs: number): { seconds: number; series: number; events: number } {
  const t0 = performance.now();
  const db = openDatabase(file, { synchronous: "normal" });
  db.pragma("synchronous = OFF");
  const random = rng(42);
  const insertSeries = db.prepare("INSERT INTO series (id, fingerprint, labels) VALUES (?, ?, ?)");
  const insertLabel = db.prepare("INSERT INTO series_labels (name, value, series_id) VALUES (?, ?, ?)");
  const insertEvent = db.prepare("INSERT INTO alert_events (series_id, at_ms, kind, detail) VALUES (?, ?, ?, ?)");
  db.transaction(() => {
    for (let id = 1; id <= SERIES; id++) {
      // Zipf-like: a few alert names fire on many instances.
      const alertname = `Alert${Math.floor(ALERTNAMES * random() ** 2)}`;
      const labels: Record<string, string> = {
        alertname,
        instance: `host-${id % 5000}.example.net:9100`,
        job: `job${id % 40}`,
        severity: ["critical", "warning", "info"][id % 3]!,
        team: TEAMS[id % TEAMS.length]!,
        env: ["prod", "staging", "dev"][Math.floor(random() * 3)]!,
        series: String(id),
      };
      insertSeries.run(id, fingerprint(labels), JSON.stringify(labels));
      for (const [k, v] of Object.entries(labels)) insertLabel.run(k, v, id);
    }
    const start = nowMs - DAYS * 86_400_000;
    const step = (DAYS * 86_400_000) / EVENTS;
    for (let i = 0; i < EVENTS; i++) {
      const r = random();
      let acc = 0;
      let kind = "new";
      for (const [k, p] of KINDS) {
        acc += p;
        if (r < acc) { kind = k; break; }
      }
      const detail = kind === "silenced" ? JSON.stringify({ silenced_by: ["3f1c2d4e-aaaa-bbbb-cccc-0123456789ab"] }) : "{}";
      insertEvent.run(1 + Math.floor(random() * SERIES), Math.floor(start + i * step), kind, detail);
    }
  })();
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  return { seconds: Math.round((performance.now() - t0) / 100) / 10, series: SERIES, events: EVENTS };
}

export interface QueryFigures { p50ms: number; p99ms: number; requests: number; rows: number }

export interface HistoryResult {
  fill: { seconds: number; series: number; events: number };
  queries: Record<string, QueryFigures>;
}

function pct(sorted: number[], p: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 100) / 100;
}

export async function historyScenario(): Promise<HistoryResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-history-"));
  const nowMs = Date.now();
  try {
    const fill = fillHistory(join(dir, "alertprism.db"), nowMs);
    writeFileSync(join(dir, "am.yml"), "route:\n  receiver: sink\nreceivers:\n  - name: sink\n");
    const proc = spawn(process.execPath, ["dist/src/main.js", `--config.file=${dir}/am.yml`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${PORT}`, "--log.level=warn"], { stdio: "ignore" });
    const url = `http://127.0.0.1:${PORT}`;
    try {
      await waitReady(url, proc);
      const agent = new Agent({ connections: 1 });
      const get = async (path: string): Promise<{ ms: number; body: { events: unknown[]; next_cursor: string | null } }> => {
        const t = performance.now();
        const r = await request(url + path, { dispatcher: agent });
        const text = await r.body.text();
        const ms = performance.now() - t;
        if (r.statusCode !== 200) throw new Error(`${path}: ${r.statusCode} ${text}`);
        return { ms, body: JSON.parse(text) as { events: unknown[]; next_cursor: string | null } };
      };
      const q = (filters: string[], extra = "") => `/api/ops/v1/alerts/history?${filters.map((f) => `filter=${encodeURIComponent(f)}`).join("&")}${extra}`;
      const since = new Date(nowMs - 3 * 86_400_000).toISOString();
      const until = new Date(nowMs - 2 * 86_400_000).toISOString();
      const first = await get(q(['alertname="Alert3"']));
      const cursor = first.body.next_cursor ?? "";
      const queries: Record<string, (i: number) => string> = {
        "no filter (newest 100)": () => q([]),
        "alertname=\"AlertN\" (one of 200 names)": (i) => q([`alertname="Alert${i % 20}"`]),
        "team=~\"db|web\" (20% of series)": () => q(['team=~"db|web"']),
        "team=\"db\", severity!=\"info\", since -24h": () => q(['team="db"', 'severity!="info"'], "&since=-24h"),
        "instance=\"host-N…\" (4 series), 30 days": (i) => q([`instance="host-${i % 5000}.example.net:9100"`]),
        "one day two days ago (since/until)": () => q([], `&since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`),
        "alertname=\"Alert3\", kind=resolved, since/until": () => q(['alertname="Alert3"'], `&kind=resolved&since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`),
        "second page via cursor (alertname=\"Alert3\")": () => q(['alertname="Alert3"'], `&cursor=${cursor}`),
        "alertname=~\"Alert1.*\", kind=silenced, limit 500": () => q(['alertname=~"Alert1.*"'], "&kind=silenced&limit=500"),
      };
      const out: Record<string, QueryFigures> = {};
      for (const [name, path] of Object.entries(queries)) {
        for (let i = 0; i < 20; i++) await get(path(i)); // warm-up
        const times: number[] = [];
        let rows = 0;
        for (let i = 0; i < REQUESTS; i++) {
          const r = await get(path(i));
          times.push(r.ms);
          rows += r.body.events.length;
        }
        times.sort((a, b) => a - b);
        out[name] = { p50ms: pct(times, 0.5), p99ms: pct(times, 0.99), requests: REQUESTS, rows: Math.round(rows / REQUESTS) };
      }
      await agent.close();
      return { fill, queries: out };
    } finally {
      proc.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printHistory(r: HistoryResult): void {
  console.log(`\nhistory: ${r.fill.events.toLocaleString("en")} events of ${r.fill.series.toLocaleString("en")} series over 30 days (filled in ${r.fill.seconds} s); GET /api/ops/v1/alerts/history, one client, limit 100 unless said:`);
  const rows: string[][] = [["query", "p50 ms", "p99 ms", "rows", "requests"]];
  for (const [name, f] of Object.entries(r.queries)) rows.push([name, String(f.p50ms), String(f.p99ms), String(f.rows), String(f.requests)]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((x) => x[i]!.length)));
  for (const x of rows) console.log("  " + x.map((c, i) => c.padEnd(widths[i]!)).join("  "));
}
