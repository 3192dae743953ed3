// Differential test of how template files are found and named: `alertprism template render` against
// Alertmanager 0.25's `amtool template render`, both given the same --template.glob flags (in order) from
// the same working directory (test/fixtures/template-globs), over Go's filepath.Glob/Match semantics
// (wildcards in directories, classes, escapes, bad patterns, patterns matching nothing, a matched
// directory) and ParseGlob's naming (every file also named after its base name; empty top levels never
// replace; the later of two files with one base name wins). Output and exit status must be identical, and
// so must the error text after each tool's "<tool>: error: ".
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { templateRender } from "../../src/template-render.ts";
import { captureStream, makeTempDir, mapLimit, REPO_ROOT, requireBinary } from "./harness.ts";

const FIXTURES = join(REPO_ROOT, "test", "fixtures", "template-globs");
const DATA = "--template.data=../templates/data/firing.json";
/** Alertmanager's own default.tmpl as Debian installs it (read from there, never copied). */
const DEBIAN_TEMPLATES = "/usr/share/prometheus/alertmanager";
const CONCURRENCY = 4;
const AMTOOL_TIMEOUT_MS = 20_000;

interface Case {
  readonly name: string;
  readonly globs: readonly string[];
  readonly text: string;
}

interface Outcome {
  readonly status: number;
  readonly stdout: string;
  /** Error text without the tool's "<tool>: error: " prefix, trimmed. */
  readonly error: string;
}

/** Made at run time: names Windows checkouts cannot hold, and a dangling symlink. */
function dynamicFixtures(): string {
  const dir = makeTempDir("template-globs");
  writeFileSync(join(dir, "a*b.tmpl"), "literal star\n");
  writeFileSync(join(dir, "axxb.tmpl"), "axxb\n");
  writeFileSync(join(dir, "q?.tmpl"), "literal question mark\n");
  writeFileSync(join(dir, "qz.tmpl"), "qz\n");
  mkdirSync(join(dir, "links"));
  symlinkSync(join(dir, "nowhere.tmpl"), join(dir, "links", "dangling.tmpl"));
  return dir;
}

function cases(dyn: string): Case[] {
  const c = (name: string, globs: string[], text: string): Case => ({ name, globs, text });
  const list: Case[] = [
    // Wildcards in directory parts, each file named after its base name.
    c("wildcard directory", ["nested/*/*.tmpl"], '{{ template "one" . }}|{{ template "one.tmpl" . }}|{{ template "two" . }}|{{ template "a.only" . }}'),
    c("wildcards at two levels, then more globs in order", ["nested/*/*/*.tmpl", "nested/b/two.tmpl", "nested/a/*.tmpl"], '{{ template "three.tmpl" . }}'),
    c("? in a directory", ["nested/?/one.tmpl"], '{{ template "one" . }}{{ template "one.tmpl" . }}'),
    c("class in a directory", ["nested/[ab]/one.tmpl"], '{{ template "one" . }}'),
    c("negated class in a directory", ["nested/[^a]/*.tmpl"], '{{ template "one" . }}{{ template "a.only" . }}'),
    c("range in a directory", ["nested/[a-a]/one.tmpl"], '{{ template "one" . }}{{ template "one.tmpl" . }}'),
    c("leading wildcard directory", ["*/a/*.tmpl"], '{{ template "a.only" . }}'),
    c("wildcard file in a cleaned path", ["./nested//b/./*.tmpl"], '{{ template "two" . }}'),
    c("dot-dot in a pattern", ["nested/a/../b/one.tmpl"], '{{ template "one.tmpl" . }}'),
    c("escaped ordinary character", ["nested/a/one\\.tmpl"], '{{ template "a.only" . }}'),
    // ParseGlob naming and Go's associate rules.
    c("same base name: a later empty top level does not replace", ["same/*/same.tmpl"], '[{{ template "same.tmpl" . }}]{{ template "from.second" . }}'),
    c("same base name, other order: the later non-empty replaces", ["same/second/same.tmpl", "same/first/same.tmpl"], '[{{ template "same.tmpl" . }}]'),
    c("same base name in two globs: b then a", ["nested/b/one.tmpl", "nested/a/one.tmpl"], '{{ template "one" . }}|{{ template "one.tmpl" . }}'),
    c("same base name in two globs: a then b", ["nested/a/one.tmpl", "nested/b/one.tmpl"], '{{ template "one" . }}|{{ template "one.tmpl" . }}'),
    c("a file of defines only: its whitespace top level runs by name", ["defines-only/only.tmpl"], '[{{ template "only.tmpl" . }}]{{ template "only.x" . }}{{ template "only.y" . }}'),
    c("a file overriding a default template", ["defines-only/*"], '{{ template "slack.default.title" . }}|{{ template "override.tmpl" . }}|'),
    c("Debian's default.tmpl runs by name", [`${DEBIAN_TEMPLATES}/default.tmpl`], '{{ template "default.tmpl" . }}'),
    c("Debian's default.tmpl definitions", [`${DEBIAN_TEMPLATES}/default.tmpl`], '{{ template "slack.default.title" . }}|{{ template "slack.default.text" . }}|{{ template "pagerduty.default.description" . }}'),
    c("Debian's templates directory", [`${DEBIAN_TEMPLATES}/*.tmpl`], '{{ template "default.tmpl" . }}{{ template "email.tmpl" . }}{{ template "email.default.subject" . }}'),
    c("the built-in templates take no file name", ["nomatch*.tmpl"], '{{ template "default.tmpl" . }}'),
    c("dotfiles match *", ["hidden/*"], '{{ template ".dot.tmpl" . }}{{ template "visible.tmpl" . }}'),
    c("dotfiles match .*", ["hidden/.*"], '{{ template ".dot.tmpl" . }}{{ template "visible.tmpl" . }}'),
    c("escaped brackets match literally", ["esc/\\[x\\].tmpl"], '{{ template "[x].tmpl" . }}{{ template "x.tmpl" . }}'),
    c("unescaped brackets are a class", ["esc/[x].tmpl"], '{{ template "x.tmpl" . }}{{ template "[x].tmpl" . }}'),
    c("escape inside a class", ["esc/[\\x].tmpl"], '{{ template "x.tmpl" . }}'),
    c("? matches one character", ["esc/?z.tmpl"], '{{ template "qz.tmpl" . }}'),
    c("escaped star matches a literal star", [`${dyn}/a\\*b.tmpl`], '{{ template "a*b.tmpl" . }}{{ template "axxb.tmpl" . }}'),
    c("star matches both", [`${dyn}/a*b.tmpl`], '{{ template "a*b.tmpl" . }}{{ template "axxb.tmpl" . }}'),
    c("escaped ? matches a literal ?", [`${dyn}/q\\?.tmpl`], '{{ template "q?.tmpl" . }}{{ template "qz.tmpl" . }}'),
    c("a dangling symlink named without meta characters", [`${dyn}/links/dangling.tmpl`], "x"),
    c("a dangling symlink matched by *", [`${dyn}/links/*`], "x"),
    // Malformed patterns: Go's ErrBadPattern, also when nothing could match.
    ...["[", "x[", "[]", "a\\", "[^]", "[a-]", "[\\]", "[-]", "[a-b-c].tmpl", "nested/[/*.tmpl", "*/[", "nested/*/[", "nested/\\", "nomatch/[", `${dyn}/[`]
      .map((p) => c(`bad pattern ${p}`, [p], "never rendered")),
    c("a bad pattern after a good one", ["nested/*/*.tmpl", "["], "x"),
    c("a bad pattern before a broken file", ["[", "broken/*"], "x"),
    c("a broken file before a bad pattern: the parse error comes first", ["broken/*", "["], "x"),
    c("a parse error before a matched directory", ["order/*"], "x"),
    // Well-formed patterns matching nothing.
    ...["nomatch*.tmpl", "/nonexistent.tmpl", "nested/a/missing.tmpl", "nested/*/nothing*.tmpl", "nested/a/one.tmpl/*", "classes/[z-a].tmpl", "esc/\\?z.tmpl", "nomatch/*/x.tmpl"]
      .map((p) => c(`matches nothing: ${p}`, [p], "fine")),
    c("matches nothing: a trailing slash after a wildcard", ["nested/*/"], "fine"),
    // A matched directory fails ParseGlob.
    c("a directory matched by an absolute pattern", [`${FIXTURES}/dirmatch/*.tmpl`], "x"),
    c("a directory named by an absolute pattern", [`${FIXTURES}/nested`], "x"),
    c("a directory named by .", ["."], "x"),
    c("a directory matched by a relative pattern", ["dirmatch/*.tmpl"], "x"),
    c("a directory with a trailing slash", ["nested/a/"], "x"),
    c("a directory after a good glob", ["nested/a/*.tmpl", "order/b"], "x"),
  ];
  // Character classes: which of classes/{a,b,c,d,é,-}.tmpl each pattern loads.
  const classPatterns = ["[a-c]", "[^a-c]", "[\\-]", "[a\\-c]", "?", "[à-ÿ]", "[^\\]]", "[!a]", "[ab-cd]", "[^é]"];
  for (const p of classPatterns) {
    for (const n of ["a", "b", "c", "d", "é", "-"]) {
      list.push(c(`class ${p} loads ${n}.tmpl?`, [`classes/${p}.tmpl`], `{{ template "${n}.tmpl" . }}`));
    }
  }
  return list;
}

function renderArgs(c: Case): string[] {
  return [...c.globs.map((g) => `--template.glob=${g}`), `--template.text=${c.text}`, DATA];
}

function stripError(text: string, tool: string): string {
  return text.trim().replace(new RegExp(`^${tool}: error: `), "");
}

function runAmtool(amtool: string, c: Case): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      amtool, ["template", "render", ...renderArgs(c)],
      { cwd: FIXTURES, env: { ...process.env, TZ: "UTC" }, encoding: "utf8", timeout: AMTOOL_TIMEOUT_MS },
      (err, stdout, stderr) => {
        const status = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
        resolve({ status, stdout, error: stripError(stderr, "amtool") });
      },
    );
  });
}

/** Ours, in-process, from the same working directory as amtool. */
function renderOurs(c: Case): Outcome {
  const out = captureStream();
  const err = captureStream();
  let status: number;
  try {
    status = templateRender(renderArgs(c), out.stream, err.stream);
  } catch (e) {
    status = -1;
    err.stream.write(`thrown: ${String(e)}`);
  }
  return { status, stdout: out.text(), error: stripError(err.text(), "alertprism") };
}

describe("template globs against amtool template render (Alertmanager 0.25)", () => {
  const dyn = dynamicFixtures();
  const list = cases(dyn);
  const cwd = process.cwd();
  let pending: Promise<Outcome[]> | undefined;
  // All amtool runs start together on first use; without amtool every case fails (never skips).
  const amtoolResults = (): Promise<Outcome[]> => (pending ??= mapLimit(list, CONCURRENCY, (c) => runAmtool(requireBinary("amtool"), c)));

  before(() => process.chdir(FIXTURES));
  after(() => process.chdir(cwd));

  test("the case list covers errors, successes and class patterns", () => {
    assert.ok(list.length >= 100, `only ${list.length} cases`);
  });

  list.forEach((c, i) => {
    test(`${c.name}: ${c.globs.join(" ")}`, async () => {
      const theirs = (await amtoolResults())[i];
      assert.ok(theirs !== undefined, "amtool result missing");
      const ours = renderOurs(c);
      assert.deepEqual(ours, theirs);
    });
  });
});
