// `npm run test:torture`: the long crash torture. TORTURE_ITERATIONS (default 200), TORTURE_MINUTES
// (default 10, whichever ends first), TORTURE_SEED (default: from the clock), TORTURE_FAIL_SHARE (0.3).
// Exits 1 on any loss, phantom, delivery problem, duplicate outside the documented window or failed
// integrity check.
import { writeFileSync } from "node:fs";
import { runTorture, summary } from "./driver.ts";

const num = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name}=${raw}: expected a non-negative number`);
  return v;
};

const report = await runTorture({
  iterations: num("TORTURE_ITERATIONS", 200),
  budgetMs: num("TORTURE_MINUTES", 10) * 60_000,
  seed: num("TORTURE_SEED", Date.now() % 2 ** 31),
  failShare: num("TORTURE_FAIL_SHARE", 0.3),
  log: (line) => console.log(line),
});
console.log(summary(report));
if (process.env.TORTURE_REPORT) writeFileSync(process.env.TORTURE_REPORT, JSON.stringify(report, null, 2));
const failed = report.losses.length + report.phantoms.length + report.deliveryProblems.length + report.duplicates.outsideWindow + report.integrity.notOk.length > 0;
process.exit(failed ? 1 : 0);
