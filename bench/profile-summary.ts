/**
 * Summarises a V8 `.cpuprofile` (from `BENCH_PRISM_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"`): the busy
 * share of the main thread, the functions with the most self and inclusive time, and the longest busy
 * stretches (what a request arriving then waited behind) with the functions that filled them.
 *
 *   node --import tsx bench/profile-summary.ts FILE.cpuprofile [--top N] [--stretches N]
 */
import { readFileSync } from "node:fs";

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

const IDLE = "(idle)";

function frameName(f: CallFrame): string {
  const file = f.url.replace(/^.*\/(dist|node_modules)\//, "$1/");
  return `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
}

function option(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => a.endsWith(".cpuprofile"));
  if (!file) throw new Error("usage: profile-summary.ts FILE.cpuprofile [--top N] [--stretches N]");
  const top = option(args, "--top", 25);
  const stretchCount = option(args, "--stretches", 10);
  const p = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let total = 0;
  // A stretch: consecutive busy samples; its time per function (self) tells what filled it.
  const stretches: Array<{ startUs: number; us: number; fns: Map<string, number> }> = [];
  let current: (typeof stretches)[number] | undefined;
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    total += dt;
    const node = byId.get(p.samples[i]!)!;
    const name = node.callFrame.functionName === IDLE ? IDLE : frameName(node.callFrame);
    if (name === IDLE) {
      current = undefined;
      continue;
    }
    busy += dt;
    self.set(name, (self.get(name) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const n = frameName(byId.get(id)!.callFrame);
      if (seen.has(n)) continue;
      seen.add(n);
      inclusive.set(n, (inclusive.get(n) ?? 0) + dt);
    }
    if (!current) stretches.push((current = { startUs: t - p.startTime, us: 0, fns: new Map() }));
    current.us += dt;
    current.fns.set(name, (current.fns.get(name) ?? 0) + dt);
  }

  const ms = (us: number) => (us / 1000).toFixed(1);
  const pct = (us: number) => `${((100 * us) / Math.max(busy, 1)).toFixed(1)} %`;
  console.log(`profile ${ms(total)} ms, main thread busy ${ms(busy)} ms (${((100 * busy) / Math.max(total, 1)).toFixed(1)} %)`);
  const list = (title: string, m: Map<string, number>) => {
    console.log(`\n${title} (share of busy time):`);
    for (const [name, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us).padStart(7)}  ${ms(us).padStart(8)} ms  ${name}`);
  };
  list("self", self);
  list("inclusive", inclusive);
  console.log(`\nlongest busy stretches:`);
  for (const s of [...stretches].sort((a, b) => b.us - a.us).slice(0, stretchCount)) {
    const fns = [...s.fns].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([n, us]) => `${n} ${ms(us)}`).join("; ");
    console.log(`  at ${ms(s.startUs)} ms: ${ms(s.us)} ms — ${fns}`);
  }
}

main();
