// Differential test of `alertprism template render` (the Go text/template engine in src/template, the
// template data decoding and the example data) against Alertmanager 0.25's own `amtool template render`:
// every case of test/fixtures/templates/cases/*.json is run through both commands with the same arguments,
// and must print the same output, or fail with the same message (after each tool's "<tool>: error: ").
//
// A case is {name, text, files?, data?, error?}: `text` is rendered the way Alertmanager renders a config
// field; `files` (default: an empty file, because amtool needs a glob; absolute paths are taken as they
// are, e.g. Debian's copy of Alertmanager's default.tmpl) are passed in order as --template.glob; `data`
// (default firing.json) names a template.Data JSON file, or is null for no --template.data (both tools
// then use amtool's example data, whose times are read from the clock: those are compared with the
// clock readings masked); `error: true` marks cases that must fail (checked against amtool too, so the
// corpus stays honest).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { describe, test } from "node:test";
import { templateRender } from "../../src/template-render.ts";
import { captureStream, mapLimit, REPO_ROOT, requireBinary } from "./harness.ts";

const FIXTURES = join(REPO_ROOT, "test", "fixtures", "templates");
const CONCURRENCY = 8;
const AMTOOL_TIMEOUT_MS = 20_000;

interface Case {
  readonly group: string;
  readonly name: string;
  readonly text: string;
  readonly files: readonly string[];
  /** null: no data file, amtool's example data. */
  readonly data: string | null;
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
        data: c.data === null ? null : typeof c.data === "string" ? c.data : "firing.json",
        error: c.error === true,
      });
    }
  }
  return cases;
}

/** The arguments after `template render`, the same for both tools. */
function renderArgs(c: Case): string[] {
  return [
    ...c.files.map((f) => `--template.glob=${isAbsolute(f) ? f : join(FIXTURES, "files", f)}`),
    ...(c.data === null ? [] : [`--template.data=${join(FIXTURES, "data", c.data)}`]),
    `--template.text=${c.text}`,
  ];
}

function runAmtool(amtool: string, c: Case): Promise<Outcome> {
  const args = ["template", "render", ...renderArgs(c)];
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

function renderOurs(c: Case): Outcome {
  const out = captureStream();
  const err = captureStream();
  const status = templateRender(renderArgs(c), out.stream, err.stream);
  return status === 0 ? { ok: true, text: out.text() } : { ok: false, text: err.text().trim().replace(/^alertprism: error: /, "") };
}

/**
 * For the example data, whose times are time.Now() readings: the wall clock, monotonic reading and the
 * nanoseconds between two readings differ from run to run, so they are masked; their shape is kept.
 */
function maskClock(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?/g, "<wall>")
    .replace(/ m=([+-])\d+\.\d{9}/g, " m=$1<mono>")
    .replace(/time\.Date\(\d+, time\.\w+, \d+, \d+, \d+, \d+, \d+, /g, "time.Date(<wall>, ")
    .replace(/(\d+m)0\.\d+s/g, "$1<ns>s");
}

describe("text/template against amtool template render (Alertmanager 0.25)", () => {
  const cases = loadCases();
  // All amtool runs start together on first use; without amtool every case fails (never skips).
  let pending: Promise<Outcome[]> | undefined;
  const amtoolResults = (): Promise<Outcome[]> => (pending ??= mapLimit(cases, CONCURRENCY, (c) => runAmtool(requireBinary("amtool"), c)));

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
        if (c.data === null) assert.equal(maskClock(ours.text), maskClock(theirs.text));
        else assert.equal(ours.text, theirs.text);
      } else {
        assert.ok(!ours.ok, `we printed ${JSON.stringify(ours.text)} where amtool failed with: ${theirs.text}`);
        assert.equal(ours.text, theirs.text);
      }
    });
  });
});
