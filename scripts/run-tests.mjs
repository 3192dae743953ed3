#!/usr/bin/env node
// Runs the test files of one suite with node's built-in runner (TypeScript through tsx).
// unit: src/**/*.test.ts; integration: test/integration; e2e: test/e2e (needs the Debian binaries);
// browser: test/browser (needs Debian's chromium, from scripts/install-system-deps.sh).
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const suites = {
  unit: ["src"],
  integration: ["test/integration"],
  e2e: ["test/e2e"],
  browser: ["test/browser"],
  all: ["src", "test/integration", "test/e2e", "test/browser"],
};
const which = process.argv[2] ?? "all";
const roots = suites[which];
if (!roots) {
  console.error(`unknown suite ${which}; one of ${Object.keys(suites).join(", ")}`);
  process.exit(2);
}

function find(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(find(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const files = roots.flatMap((r) => find(r)).sort();
if (files.length === 0) {
  console.error(`no test files in ${roots.join(", ")}`);
  process.exit(1);
}
const extra = process.argv.slice(3);
const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", ...extra, ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
