// Differential test of config.original (GET /api/v2/status) against Alertmanager 0.25: for every config in
// test/fixtures/config-original/ (and the shipped alertmanager/alertmanager.yml), the real Alertmanager and
// AlertPrism load the same file, and must return byte-identical config.original text, so that amtool's
// `config show`, `config routes` and `config routes test` print the same against both.
//
// Both servers read one config file at one path (relative template paths are resolved against the config
// file's directory and so appear in the text); each fixture is written there in turn and applied with
// POST /-/reload. The fixtures cover yaml.v2's scalar styles, folding, flow style, Go map key order, every
// integration AlertPrism delivers to, routes, inhibit rules and time intervals.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { REPO_ROOT, freePort, makeTempDir, requireBinary, runAmtool, waitForHttp } from "./harness.ts";

const FIXTURES = join(REPO_ROOT, "test", "fixtures", "config-original");
const CONFIGS: ReadonlyArray<{ name: string; file: string }> = [
  { name: "alertmanager/alertmanager.yml (shipped)", file: join(REPO_ROOT, "alertmanager", "alertmanager.yml") },
  ...readdirSync(FIXTURES)
    .filter((f) => f.endsWith(".yml"))
    .sort()
    .map((f) => ({ name: f, file: join(FIXTURES, f) })),
];

/** Label sets for `amtool config routes test`; they hit different branches of the fixtures' trees. */
const ROUTE_TESTS: readonly string[][] = [
  [],
  ["severity=critical"],
  ["team=db", "severity=critical", "service=mysql", "env=prod", "instance=db-1:9100", "job=node"],
  ["team=db", "severity=critical", "service=mysql", "env=prod", "instance=db-1:9100", "region=eu-west-1", "zone=a"],
  ["severity=warning", 'summary=quote " and backslash \\ inside', "label=with, comma"],
  ["foo=bar", "baz='x'"],
  ["x=3"],
];

const STARTUP_TIMEOUT_MS = 30_000;

interface Server {
  readonly url: string;
  readonly child: ChildProcess;
  logs(): string;
}

async function start(cmd: string, args: (port: number) => string[], cwd: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(cmd, args(port), { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let logs = "";
  const keep = (c: Buffer): void => {
    logs = (logs + c.toString("utf8")).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = `exited (${signal ?? String(code)})`;
  });
  const server = { url: `http://127.0.0.1:${port}`, child, logs: () => logs };
  try {
    await waitForHttp(`${server.url}/-/ready`, STARTUP_TIMEOUT_MS, () => exited);
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`${cmd} did not start: ${(err as Error).message}\n${logs}`, { cause: err });
  }
  return server;
}

async function stop(s: Server | undefined): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  const gone = new Promise<void>((r) => s.child.once("exit", () => r()));
  s.child.kill("SIGTERM");
  const timer = setTimeout(() => s.child.kill("SIGKILL"), 5_000);
  await gone;
  clearTimeout(timer);
}

async function reload(s: Server, what: string): Promise<void> {
  const res = await fetch(`${s.url}/-/reload`, { method: "POST" });
  const body = await res.text();
  assert.equal(res.status, 200, `${what}: reload failed: ${body}\n${s.logs().slice(-3_000)}`);
}

async function configOriginal(s: Server): Promise<string> {
  const res = await fetch(`${s.url}/api/v2/status`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { config: { original: string } };
  return body.config.original;
}

describe("config.original is byte-identical to Alertmanager's", { timeout: 300_000 }, () => {
  const amtoolBin = requireBinary("amtool");
  const amBin = requireBinary("prometheus-alertmanager");
  const dir = makeTempDir("config-original");
  const configFile = join(dir, "alertmanager.yml");
  let am: Server | undefined;
  let prism: Server | undefined;

  before(async () => {
    assert.ok(amtoolBin);
    copyFileSync(CONFIGS[0]!.file, configFile);
    mkdirSync(join(dir, "am-data"));
    mkdirSync(join(dir, "prism-data"));
    [am, prism] = await Promise.all([
      start(amBin, (port) => [
        `--config.file=${configFile}`, `--storage.path=${join(dir, "am-data")}`,
        `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address=",
      ], dir),
      start(process.execPath, (port) => [
        "--import", "tsx", join(REPO_ROOT, "src", "main.ts"),
        `--config.file=${configFile}`, `--storage.path=${join(dir, "prism-data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ], REPO_ROOT),
    ]);
  });

  after(async () => {
    await Promise.all([stop(am), stop(prism)]);
  });

  for (const { name, file } of CONFIGS) {
    test(name, async () => {
      writeFileSync(configFile, readFileSync(file));
      await reload(am!, `alertmanager, ${name}`);
      await reload(prism!, `alertprism, ${name}`);

      const expected = await configOriginal(am!);
      const actual = await configOriginal(prism!);
      assert.equal(actual, expected, `config.original differs for ${name}`);

      const commands = [["config", "show"], ["config", "routes"], ...ROUTE_TESTS.map((labels) => ["config", "routes", "test", ...labels])];
      for (const args of commands) {
        const [a, b] = await Promise.all([runAmtool(args, am!.url), runAmtool(args, prism!.url)]);
        assert.deepEqual(b, a, `amtool ${args.join(" ")} differs for ${name}`);
      }
    });
  }
});
