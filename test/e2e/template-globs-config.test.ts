// `templates:` globs in alertmanager.yml, against Alertmanager 0.25: a malformed pattern fails
// `alertprism check-config` (with file:line (path) and Go's reason) where `amtool check-config` and a real
// `prometheus-alertmanager --config.file=…` fail too; a pattern matching nothing loads in all three; a
// running AlertPrism refuses a reload to a malformed pattern and keeps the old configuration.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { freePort, makeTempDir, REPO_ROOT, requireBinary, waitForHttp } from "./harness.ts";

const MAIN = join(REPO_ROOT, "src/main.ts");
/** tsx resolved from here, so AlertPrism can run from another working directory (the config's). */
const TSX = import.meta.resolve("tsx");
const RUN_TIMEOUT_MS = 30_000;

const configWith = (receiver: string, templates: string[]): string =>
  `route:\n  receiver: ${receiver}\nreceivers:\n  - name: ${receiver}\ntemplates:\n${templates.map((t) => `  - '${t}'\n`).join("")}`;

interface Variant {
  readonly name: string;
  readonly templates: string[];
  /** Go's reason, as amtool check-config prints it after "FAILED: "; undefined when the file is valid. */
  readonly reason?: string;
}

const VARIANTS: Variant[] = [
  { name: "bad-bracket", templates: ["templates/*.tmpl", "["], reason: "syntax error in pattern" },
  { name: "bad-empty-class", templates: ["templates/[]"], reason: "syntax error in pattern" },
  { name: "bad-backslash", templates: ["templates/x\\"], reason: "syntax error in pattern" },
  { name: "bad-in-directory", templates: ["nowhere/[/*.tmpl"], reason: "syntax error in pattern" },
  { name: "directory-matched", templates: ["templates/*"], reason: "read templates/sub: is a directory" },
  { name: "matches-nothing", templates: ["nomatch*.tmpl", "/nonexistent.tmpl", "templates/*/nothing*"] },
  { name: "wildcard-directory", templates: ["*/*.tmpl", "templates/sub/*.tmpl"] },
];

/** A config directory: templates/a.tmpl, templates/sub/b.tmpl, and one alertmanager.yml per variant. */
function configDir(): string {
  const dir = makeTempDir("template-globs-config");
  mkdirSync(join(dir, "templates", "sub"), { recursive: true });
  writeFileSync(join(dir, "templates", "a.tmpl"), '{{ define "a" }}A{{ end }}');
  writeFileSync(join(dir, "templates", "sub", "b.tmpl"), '{{ define "b" }}B{{ end }}');
  for (const v of VARIANTS) writeFileSync(join(dir, `${v.name}.yml`), configWith("team", v.templates));
  return dir;
}

function run(cmd: string, args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: RUN_TIMEOUT_MS, env: { ...process.env, TZ: "UTC" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("templates: globs in alertmanager.yml, against amtool check-config and Alertmanager 0.25", () => {
  const dir = configDir();

  for (const v of VARIANTS) {
    test(`${v.name}: ${v.templates.join(", ")}`, () => {
      const amtool = requireBinary("amtool");
      // Relative file names from the config's directory: both tools then print relative paths.
      const theirs = run(amtool, ["check-config", `${v.name}.yml`], dir);
      const ours = run(process.execPath, ["--import", TSX, MAIN, "check-config", `${v.name}.yml`], dir);
      if (v.reason === undefined) {
        assert.equal(theirs.status, 0, theirs.stdout + theirs.stderr);
        assert.equal(ours.status, 0, ours.stdout + ours.stderr);
        assert.match(ours.stdout, /SUCCESS/);
        return;
      }
      assert.notEqual(theirs.status, 0);
      assert.ok(theirs.stdout.includes(`FAILED: ${v.reason}\n`), `amtool: ${theirs.stdout}`);
      assert.equal(ours.status, 1, ours.stdout + ours.stderr);
      const index = v.templates.length - 1; // the failing pattern is the last one
      const line = 6 + index;
      assert.ok(
        ours.stdout.includes(`FAILED: ${v.name}.yml:${line}:5 (templates[${index}]): ${v.reason}\n`),
        `ours: ${ours.stdout}`,
      );
    });
  }

  test("prometheus-alertmanager refuses to start on the same malformed files and starts on the others", async () => {
    const bin = requireBinary("prometheus-alertmanager");
    for (const v of VARIANTS) {
      const port = await freePort();
      const storage = makeTempDir("template-globs-am");
      const child = spawn(bin, [`--config.file=${v.name}.yml`, `--storage.path=${storage}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address="], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      let logs = "";
      child.stderr.on("data", (d: Buffer) => (logs += d.toString()));
      const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
      if (v.reason !== undefined) {
        const code = await exited;
        assert.equal(code, 1, `${v.name}: ${logs}`);
        assert.ok(logs.includes(`err="failed to parse templates: ${v.reason}"`), `${v.name}: ${logs}`);
      } else {
        try {
          await waitForHttp(`http://127.0.0.1:${port}/-/ready`, RUN_TIMEOUT_MS);
        } finally {
          child.kill("SIGKILL");
          await exited;
        }
      }
    }
  });
});

describe("a running AlertPrism and a malformed templates: glob", () => {
  const dir = configDir();
  const configFile = join(dir, "alertmanager.yml");
  let proc: ChildProcess | undefined;
  after(() => {
    proc?.kill("SIGKILL");
  });

  test("the reload is refused with the reason and the old config stays; a glob matching nothing reloads", async () => {
    const port = await freePort();
    const first = configWith("first", ["templates/*.tmpl"]);
    writeFileSync(configFile, first);
    proc = spawn(process.execPath, ["--import", "tsx", MAIN, `--config.file=${configFile}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`], { cwd: REPO_ROOT, stdio: "ignore" });
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/-/ready`, RUN_TIMEOUT_MS);
    const original = async (): Promise<string> => ((await (await fetch(`${url}/api/v2/status`)).json()) as { config: { original: string } }).config.original;
    const before = await original();
    assert.match(before, /receiver: first/);

    writeFileSync(configFile, configWith("second", ["templates/*.tmpl", "templates/[]"]));
    const bad = await fetch(`${url}/-/reload`, { method: "POST" });
    assert.equal(bad.status, 500);
    const text = await bad.text();
    assert.ok(text.includes(`${configFile}:7:5 (templates[1]): syntax error in pattern`), text);
    assert.equal(await original(), before, "the old configuration stays");
    assert.match(await (await fetch(`${url}/metrics`)).text(), /alertmanager_config_last_reload_successful 0/);

    writeFileSync(configFile, configWith("third", ["templates/*.tmpl", "nomatch*.tmpl", "/nonexistent.tmpl"]));
    const ok = await fetch(`${url}/-/reload`, { method: "POST" });
    assert.equal(ok.status, 200, await ok.text());
    assert.match(await original(), /receiver: third/);
  });
});
