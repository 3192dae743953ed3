// Differential test of the Go text/template engine (src/template) against Alertmanager 0.25's own,
// `amtool template render`: every case of test/fixtures/templates/cases/*.json is rendered by both, with
// the same templates files and the same data, and must give the same output, or fail with the same
// message (amtool's after its "amtool: error: " prefix).
//
// A case is {name, text, files?, data?, error?}: `text` is rendered the way Alertmanager renders a config
// field; `files` (default: an empty file, because amtool needs a glob) are passed in order as
// --template.glob and to TemplateSet.addFile; `data` (default firing.json) names a template.Data JSON file;
// `error: true` marks cases that must fail (checked against amtool too, so the corpus stays honest).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { TemplateError, TemplateSet, templateDataFromJson } from "../../src/template/index.ts";
import type { TemplateValue } from "../../src/template/index.ts";
import { REPO_ROOT, requireBinary } from "./harness.ts";

const FIXTURES = join(REPO_ROOT, "test", "fixtures", "templates");
const CONCURRENCY = 8;
const AMTOOL_TIMEOUT_MS = 20_000;

interface Case {
  readonly group: string;
  readonly name: string;
  readonly text: string;
  readonly files: readonly string[];
  readonly data: string;
  readonly error: boolean;
}

interface Outcome {
  readonly ok: boolean;
  /** Rendered text, or the error message. */
  readonly text: string;
}

function loadCases(): Case[] {
  const dir = join(FIXTURES, "cases");
  const cases: Case[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const group = file.replace(/\.json$/, "");
    const raw: unknown = JSON.parse(readFileSync(join(dir, file), "utf8"));
    assert.ok(Array.isArray(raw), `${file} must hold a JSON array`);
    for (const c of raw as Record<string, unknown>[]) {
      assert.equal(typeof c.name, "string", `${file}: every case needs a name`);
      assert.equal(typeof c.text, "string", `${file}: case ${String(c.name)} needs a text`);
      cases.push({
        group,
        name: c.name as string,
        text: c.text as string,
        files: Array.isArray(c.files) ? (c.files as string[]) : ["empty.tmpl"],
        data: typeof c.data === "string" ? c.data : "firing.json",
        error: c.error === true,
      });
    }
  }
  return cases;
}

function runAmtool(amtool: string, c: Case): Promise<Outcome> {
  const args = [
    "template",
    "render",
    ...c.files.map((f) => `--template.glob=${join(FIXTURES, "files", f)}`),
    `--template.data=${join(FIXTURES, "data", c.data)}`,
    `--template.text=${c.text}`,
  ];
  return new Promise((resolve, reject) => {
    // TZ=UTC: our engine takes time.Local to be UTC.
    execFile(amtool, args, { env: { ...process.env, TZ: "UTC" }, timeout: AMTOOL_TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err === null) {
        resolve({ ok: true, text: stdout });
        return;
      }
      if (typeof err.code !== "number") {
        reject(new Error(`amtool did not run for "${c.name}": ${err.message}`));
        return;
      }
      resolve({ ok: false, text: stderr.trim().replace(/^amtool: error: /, "") });
    });
  });
}

/** Runs every case through amtool, at most `limit` at a time. */
async function runAll(amtool: string, cases: readonly Case[], limit: number): Promise<Outcome[]> {
  const results: Outcome[] = new Array<Outcome>(cases.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runAmtool(amtool, cases[i] as Case);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

const dataCache = new Map<string, TemplateValue>();

function data(name: string): TemplateValue {
  let d = dataCache.get(name);
  if (d === undefined) {
    d = templateDataFromJson(JSON.parse(readFileSync(join(FIXTURES, "data", name), "utf8")));
    dataCache.set(name, d);
  }
  return d;
}

function renderOurs(c: Case): Outcome {
  try {
    const set = new TemplateSet();
    for (const f of c.files) set.addFile(f, readFileSync(join(FIXTURES, "files", f), "utf8"));
    return { ok: true, text: set.renderText(c.text, data(c.data)) };
  } catch (err) {
    if (err instanceof TemplateError) return { ok: false, text: err.message };
    throw err;
  }
}

describe("text/template against amtool template render (Alertmanager 0.25)", () => {
  const cases = loadCases();
  // All amtool runs start together on first use; without amtool every case fails (never skips).
  let pending: Promise<Outcome[]> | undefined;
  const amtoolResults = (): Promise<Outcome[]> => (pending ??= runAll(requireBinary("amtool"), cases, CONCURRENCY));

  test("the corpus is large enough", () => {
    assert.ok(cases.length >= 80, `only ${cases.length} cases`);
  });

  cases.forEach((c, i) => {
    test(`${c.group}: ${c.name}`, async () => {
      const theirs = (await amtoolResults())[i];
      assert.ok(theirs !== undefined, "amtool result missing");
      assert.equal(theirs.ok, !c.error, c.error ? `amtool was expected to fail but printed ${JSON.stringify(theirs.text)}` : `amtool failed: ${theirs.text}`);
      const ours = renderOurs(c);
      if (theirs.ok) {
        assert.ok(ours.ok, `we failed where amtool printed ${JSON.stringify(theirs.text)}: ${ours.text}`);
        assert.equal(ours.text, theirs.text);
      } else {
        assert.ok(!ours.ok, `we printed ${JSON.stringify(ours.text)} where amtool failed with: ${theirs.text}`);
        assert.equal(ours.text, theirs.text);
      }
    });
  });
});
