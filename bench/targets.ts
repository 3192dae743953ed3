/**
 * Issue 14's targets, judged on one `npm run bench` run: AlertPrism against Alertmanager measured in the
 * same run on the same machine. Printed, and written into bench/README.md between its markers.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

export interface Measured { alertsPerSec: number; p50ms: number; p99ms: number }
export type Sizes = Record<string, number>;

export interface TargetRow {
  readonly scenario: string;
  readonly alertprism: string;
  readonly alertmanager: string;
  readonly ratio: string;
  readonly target: string;
  readonly verdict: "met" | "missed" | "n/a";
}

type Results = Record<string, Record<string, Measured>>;

const fmt = (x: number | undefined, unit = ""): string => (x === undefined || Number.isNaN(x) ? "-" : `${Math.round(x * 100) / 100}${unit}`);

/** Higher is better (throughput): AlertPrism / Alertmanager ≥ min. */
function throughput(results: Results, scenario: string, min: number): TargetRow {
  const p = results.alertprism?.[scenario]?.alertsPerSec;
  const a = results.alertmanager?.[scenario]?.alertsPerSec;
  const ratio = p !== undefined && a ? p / a : undefined;
  return { scenario: `${scenario} (alerts/s)`, alertprism: fmt(p), alertmanager: fmt(a), ratio: ratio === undefined ? "-" : `${fmt(ratio)}×`, target: `≥ ${min}×`, verdict: ratio === undefined ? "n/a" : ratio >= min ? "met" : "missed" };
}

/** Lower is better (latency, memory): AlertPrism / Alertmanager ≤ max. */
function lowerRatio(label: string, p: number | undefined, a: number | undefined, max: number, unit: string): TargetRow {
  const ratio = p !== undefined && a ? p / a : undefined;
  return { scenario: label, alertprism: fmt(p, unit), alertmanager: fmt(a, unit), ratio: ratio === undefined ? "-" : `${fmt(ratio)}×`, target: `≤ ${max}×`, verdict: ratio === undefined ? "n/a" : ratio <= max ? "met" : "missed" };
}

function absolute(label: string, p: number | undefined, a: number | undefined, max: number, unit: string): TargetRow {
  return { scenario: label, alertprism: fmt(p, unit), alertmanager: fmt(a, unit), ratio: "-", target: `≤ ${max}${unit}`, verdict: p === undefined ? "n/a" : p <= max ? "met" : "missed" };
}

export function evaluateTargets(results: Results, sizes: Record<string, Sizes>): TargetRow[] {
  const P = results.alertprism ?? {};
  const A = results.alertmanager ?? {};
  return [
    throughput(results, "ingest new, 1/request", 1.0),
    throughput(results, "ingest new, 64/request", 1.0),
    throughput(results, "re-post 10,000 firing, 64/request", 1.5),
    absolute("POST -> webhook, group_wait 0s (p99)", P["POST -> webhook, group_wait 0s"]?.p99ms, A["POST -> webhook, group_wait 0s"]?.p99ms, 5, " ms"),
    absolute("resident memory, idle", sizes.alertprism?.["rss idle MiB"], sizes.alertmanager?.["rss idle MiB"], 60, " MiB"),
    lowerRatio("resident memory, 100,000 active alerts", sizes.alertprism?.["rss 100k MiB"], sizes.alertmanager?.["rss 100k MiB"], 0.5, " MiB"),
    lowerRatio("GET /api/v2/alerts, 10,000 active (p50)", P["GET /api/v2/alerts, 10k active"]?.p50ms, A["GET /api/v2/alerts, 10k active"]?.p50ms, 0.5, " ms"),
    lowerRatio("GET /api/v2/alerts/groups, 10,000 active (p50)", P["GET /api/v2/alerts/groups, 10k active"]?.p50ms, A["GET /api/v2/alerts/groups, 10k active"]?.p50ms, 0.5, " ms"),
  ];
}

export function markdownTable(rows: readonly TargetRow[]): string {
  const lines = ["| scenario | AlertPrism | Alertmanager | ratio | target | |", "|---|---|---|---|---|---|"];
  for (const r of rows) lines.push(`| ${r.scenario} | ${r.alertprism} | ${r.alertmanager} | ${r.ratio} | ${r.target} | ${r.verdict} |`);
  return lines.join("\n");
}

export function printTargets(rows: readonly TargetRow[]): void {
  const table = [["scenario", "AlertPrism", "Alertmanager", "ratio", "target", ""], ...rows.map((r) => [r.scenario, r.alertprism, r.alertmanager, r.ratio, r.target, r.verdict])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  console.log("\ntargets (issue 14; ratios against Alertmanager in this run):");
  for (const r of table) console.log("  " + r.map((c, i) => c.padEnd(widths[i]!)).join("  "));
}

export function machineLine(clients: number, seconds: number): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${Math.round(totalmem() / 2 ** 30)} GiB; ${clients} clients, ${seconds} s per scenario, fresh instances per scenario; AlertPrism --storage.synchronous=${process.env.ALERTPRISM_STORAGE_SYNCHRONOUS ?? "full"}`;
}

const BEGIN = "<!-- bench:targets:begin -->";
const END = "<!-- bench:targets:end -->";

/** Replaces the generated part of bench/README.md (between its markers); the prose around it is kept. */
export function writeReadmeTable(path: string, rows: readonly TargetRow[], machine: string): void {
  const text = readFileSync(path, "utf8");
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${path}: markers ${BEGIN} … ${END} not found`);
  const block = `${BEGIN}\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine}.\n\n${markdownTable(rows)}\n`;
  writeFileSync(path, text.slice(0, start) + block + text.slice(end));
}
