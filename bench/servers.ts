/** Starting AlertPrism (the compiled build) and the real Alertmanager for benchmarks, on 127.0.0.1. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Target { name: string; url: string; proc: ChildProcess; dir: string; }

/** The scenarios' alertmanager.yml: every alert to one webhook, a group per alertname, notified at once. */
export function webhookConfig(url: string): string {
  return `
route:
  receiver: sink
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1h
receivers:
  - name: sink
    webhook_configs:
      - url: ${url}
`;
}

export async function waitReady(url: string, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`${url}/-/ready`);
      if (r.ok) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready`);
}

/**
 * A fresh server ("alertprism" or "alertmanager") with its own temp directory and `config` as its
 * alertmanager.yml; AlertPrism also gets `alertprismYaml` as its alertprism.yml when given.
 */
export async function startServer(name: string, port: number, config: string, alertprismYaml?: string): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  writeFileSync(join(dir, "am.yml"), config);
  const prism = alertprismYaml === undefined ? [] : [`--alertprism.config.file=${join(dir, "alertprism.yml")}`];
  if (alertprismYaml !== undefined) writeFileSync(join(dir, "alertprism.yml"), alertprismYaml);
  // BENCH_PRISM_NODE_ARGS: flags for AlertPrism's node (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"), which
  // NODE_OPTIONS refuses for profiling and would also apply to the benchmark's own process.
  const nodeArgs = (process.env.BENCH_PRISM_NODE_ARGS ?? "").split(/\s+/).filter((a) => a !== "");
  const args = name === "alertprism"
    ? [...nodeArgs, "dist/src/main.js", `--config.file=${dir}/am.yml`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn", ...prism]
    : [`--config.file=${dir}/am.yml`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address=", "--log.level=warn"];
  const cmd = name === "alertprism" ? process.execPath : "prometheus-alertmanager";
  const proc = spawn(cmd, args, { stdio: "ignore", env: { ...process.env, ALERTPRISM_STORAGE_SYNCHRONOUS: process.env.ALERTPRISM_STORAGE_SYNCHRONOUS ?? "full" } });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, proc);
  return { name, url, proc, dir };
}

/**
 * SIGTERM, wait for the exit (at most 10 s, then SIGKILL; 120 s while profiling, since node writes a long
 * run's profile at exit and took ~10 s for 16 s of ingest and listings), then remove the directory.
 */
export async function stopServer(t: Target): Promise<void> {
  if (t.proc.exitCode === null && t.proc.signalCode === null) {
    const exited = new Promise<void>((resolve) => t.proc.once("exit", () => resolve()));
    t.proc.kill("SIGTERM");
    const profiling = /--(cpu|heap)-prof\b/.test(process.env.BENCH_PRISM_NODE_ARGS ?? "");
    const timer = setTimeout(() => t.proc.kill("SIGKILL"), profiling ? 120_000 : 10_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(t.dir, { recursive: true, force: true });
}
