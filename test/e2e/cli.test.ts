import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, makeTempDir, freePort, waitForHttp, runAmtool, requireBinary, sleep } from "./harness.ts";
import { spawn } from "node:child_process";

const MAIN = join(REPO_ROOT, "src/main.ts");

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 30_000 });
}

describe("the alertprism command line", () => {
  test("--help lists Alertmanager-style flags with their variables", () => {
    const r = cli(["--help"]);
    assert.equal(r.status, 0);
    for (const flag of ["--config.file", "--storage.path", "--web.listen-address", "--web.route-prefix", "--log.level", "--log.format", "ALERTPRISM_LISTEN_ADDRESS"]) {
      assert.ok(r.stdout.includes(flag), flag);
    }
  });

  test("check-config accepts the shipped file and rejects a broken one with file:line", () => {
    requireBinary("amtool");
    const ok = cli(["check-config", "alertmanager/alertmanager.yml"]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /SUCCESS/);
    const amtool = spawnSync("amtool", ["check-config", "alertmanager/alertmanager.yml"], { cwd: REPO_ROOT, encoding: "utf8" });
    assert.equal(amtool.status, 0, "the shipped file must pass amtool check-config too: " + amtool.stdout + amtool.stderr);
    const dir = makeTempDir("cli");
    const bad = join(dir, "bad.yml");
    writeFileSync(bad, "route:\n  receiver: nobody\nreceivers:\n  - name: somebody\n");
    const r = cli(["check-config", bad]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /bad\.yml:2:13 \(route\.receiver\): undefined receiver "nobody" used in route/);
  });

  test("check-config validates noise.dedup and enrich in alertprism.yml: each bad input names file:line (path) and the reason", () => {
    const dir = makeTempDir("cli-noise");
    const good = join(dir, "alertprism-good.yml");
    writeFileSync(good, "noise:\n  dedup:\n    ignore_labels: [replica]\nenrich:\n  - matchers: ['severity=\"critical\"']\n    set: {priority: P1}\n  - set: {priority: P4}\n");
    const ok = cli(["check-config", good]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, / - replica dedup ignoring replica\n - 2 enrich rules/);
    // One file per class of bad input, all checked in one run (each file is reported on its own line).
    const bad: Array<[string, string, RegExp]> = [
      ["unknown-key", "noise:\n  dedup:\n    ignore_labels: [replica]\n  storms: {}\n", /alertprism-unknown-key\.yml:4:11 \(noise\.storms\): Unrecognized key: "storms"/],
      ["bad-matcher", "enrich:\n  - matchers: ['severity=~\"(critical\"']\n    set: {priority: P1}\n", /alertprism-bad-matcher\.yml:2:16 \(enrich\[0\]\.matchers\[0\]\): error parsing regexp: missing closing \)/],
      ["ignore-name", "noise:\n  dedup:\n    ignore_labels: ['prometheus.replica']\n", /alertprism-ignore-name\.yml:3:21 \(noise\.dedup\.ignore_labels\[0\]\): invalid label name "prometheus\.replica"/],
      ["set-name", "enrich:\n  - set: {'0priority': P1}\n", /alertprism-set-name\.yml:2:24 \(enrich\[0\]\.set\.0priority\): invalid label name "0priority"/],
      ["set-value", "enrich:\n  - set: {priority: ''}\n", /alertprism-set-value\.yml:2:21 \(enrich\[0\]\.set\.priority\): empty value for label "priority"/],
      ["set-missing", "enrich:\n  - matchers: ['a=\"b\"']\n", /alertprism-set-missing\.yml:2:5 \(enrich\[0\]\.set\): required: the labels this rule sets/],
      ["set-empty", "enrich:\n  - set: {}\n", /alertprism-set-empty\.yml:2:10 \(enrich\[0\]\.set\): must set at least one label/],
    ];
    const files = bad.map(([name, text]) => {
      const f = join(dir, `alertprism-${name}.yml`);
      writeFileSync(f, text);
      return f;
    });
    const r = cli(["check-config", ...files]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const lines = r.stdout.split("\n").filter((l) => l.includes("FAILED"));
    assert.equal(lines.length, bad.length, r.stdout);
    bad.forEach(([name, , re], i) => assert.match(lines[i]!, re, name));
  });

  test("check-config validates noise.storm and noise.flapping, and lists them in its summary", () => {
    const dir = makeTempDir("cli-stages");
    const good = join(dir, "alertprism-stages.yml");
    writeFileSync(good, "noise:\n  storm:\n    enter: {new_alerts: 50, within: 1m}\n    exit: {below: 5, for: 5m}\n    bypass: ['priority=\"P1\"']\n  flapping: {changes: 4, within: 30m, quiet_for: 30m}\n");
    const ok = cli(["check-config", good]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, / - storm mode on: 50 alerts within 60s enter, under 5\/min for 300s exit, 1 bypass matchers\n - flap damping on: 4 changes within 1800s/);
    const bad = join(dir, "alertprism-hysteresis.yml");
    writeFileSync(bad, "noise:\n  storm:\n    enter: {new_alerts: 5, within: 1m}\n    exit: {below: 10, for: 5m}\n");
    const r = cli(["check-config", bad]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /alertprism-hysteresis\.yml:4:19 \(noise\.storm\.exit\.below\): exit\.below \(10\) must be below enter\.new_alerts \(5\)/);
  });

  test("template render takes amtool's flags and renders what amtool renders", () => {
    requireBinary("amtool");
    const dir = makeTempDir("tmpl");
    writeFileSync(join(dir, "team.tmpl"), '{{ define "team.title" }}{{ .Status | toUpper }} {{ range .Alerts }}{{ .Labels.instance }}/{{ .StartsAt.Format "15:04" }} {{ end }}{{ end }}');
    writeFileSync(join(dir, "data.json"), JSON.stringify({
      receiver: "ops", status: "firing", externalURL: "http://am", groupLabels: { alertname: "X" }, commonLabels: { alertname: "X" }, commonAnnotations: {},
      alerts: [{ status: "firing", labels: { alertname: "X", instance: "a" }, annotations: {}, startsAt: "2026-11-22T03:04:05Z", endsAt: "0001-01-01T00:00:00Z", generatorURL: "", fingerprint: "1" }],
    }));
    const args = [`--template.glob=${dir}/*.tmpl`, '--template.text={{ template "team.title" . }}', `--template.data=${join(dir, "data.json")}`];
    const ours = cli(["template", "render", ...args]);
    const theirs = spawnSync("amtool", ["template", "render", ...args], { encoding: "utf8" });
    assert.equal(theirs.status, 0, theirs.stderr);
    assert.equal(ours.status, 0, ours.stderr);
    assert.equal(ours.stdout, theirs.stdout);
    assert.equal(ours.stdout, "FIRING a/03:04 ");
    const bad = cli(["template", "render", `--template.glob=${dir}/*.tmpl`, "--template.text={{ nope }}"]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /function "nope" not defined/);
  });

  test("an unknown flag fails start-up with a clear message", () => {
    const r = cli(["--web.listen-adress=:1"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown flag --web\.listen-adress/);
  });
});

describe("settings from the environment, route prefix, SIGHUP reload", () => {
  const dir = makeTempDir("cli-env");
  let proc: ReturnType<typeof spawn> | undefined;
  let logs = "";
  after(() => {
    proc?.kill("SIGKILL");
  });

  test("env vars configure the server; amtool works under the prefix; SIGHUP reloads", async () => {
    requireBinary("amtool");
    const port = await freePort();
    const configFile = join(dir, "am.yml");
    writeFileSync(configFile, "route:\n  receiver: first\nreceivers:\n  - name: first\n");
    proc = spawn(process.execPath, ["--import", "tsx", MAIN], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ALERTPRISM_CONFIG_FILE: configFile,
        ALERTPRISM_STORAGE_PATH: dir,
        ALERTPRISM_LISTEN_ADDRESS: `127.0.0.1:${port}`,
        ALERTPRISM_ROUTE_PREFIX: "/prism",
        ALERTPRISM_LOG_FORMAT: "json",
      },
    });
    proc.stderr?.on("data", (d: Buffer) => (logs += d.toString()));
    const url = `http://127.0.0.1:${port}/prism`;
    await waitForHttp(`${url}/-/ready`, 30_000);
    assert.ok(logs.split("\n").filter(Boolean).every((l) => l.startsWith("{")), "JSON log lines: " + logs);

    const add = await runAmtool(["alert", "add", "alertname=Prefixed"], url);
    assert.equal(add.code, 0, add.stderr);
    const q = await runAmtool(["-o", "json", "alert", "query"], url);
    assert.equal((JSON.parse(q.stdout) as Array<{ labels: { alertname: string } }>)[0]?.labels.alertname, "Prefixed");

    writeFileSync(configFile, "route:\n  receiver: second\nreceivers:\n  - name: second\n");
    proc.kill("SIGHUP");
    let names: string[] = [];
    for (let i = 0; i < 50 && names[0] !== "second"; i++) {
      await sleep(100);
      names = ((await (await fetch(`${url}/api/v2/receivers`)).json()) as Array<{ name: string }>).map((r) => r.name);
    }
    assert.deepEqual(names, ["second"], logs);
    // The new routing is in force before the reload's log line is written (the reload awaits its audit record).
    for (let i = 0; i < 50 && !/configuration reloaded/.test(logs); i++) await sleep(100);
    assert.match(logs, /configuration reloaded/);
  });
});

describe("alertprism anomaly score", () => {
  const dir = makeTempDir("cli-anomaly");
  // A NAB-shaped file: header, exponent values, a duplicate and a backward timestamp, an irregular gap, a spike.
  const rows: string[] = [];
  for (let i = 0; i < 400; i++) {
    const m = i * 5;
    const ts = new Date(Date.UTC(2014, 6, 1, 0, m) + (i >= 300 ? 3_600_000 : 0)).toISOString().replace("T", " ").slice(0, 19);
    rows.push(`${ts},${i === 350 ? "5.47457e+08" : (1000 + (i % 7)).toFixed(i % 3)}`);
  }
  rows.splice(101, 0, rows[100]!); // duplicate timestamp
  rows.splice(201, 0, `${rows[150]!.split(",")[0]},1003`); // backwards
  const file = join(dir, "series.csv");
  writeFileSync(file, "timestamp,value\n" + rows.join("\n") + "\n");

  test("one row per input row, in order, timestamp and value echoed exactly, every score in [0,1], for every detector", () => {
    for (const det of ["zscore", "seasonal", "iforest", "fused"]) {
      const r = cli(["anomaly", "score", `--detector=${det}`, file]);
      assert.equal(r.status, 0, r.stderr);
      const out = r.stdout.trimEnd().split("\n");
      assert.equal(out[0], "timestamp,value,anomaly_score");
      assert.equal(out.length - 1, rows.length, det);
      out.slice(1).forEach((line, i) => {
        const cut = line.lastIndexOf(",");
        assert.equal(line.slice(0, cut), rows[i], `${det} row ${i}`);
        const s = Number(line.slice(cut + 1));
        assert.ok(s >= 0 && s <= 1, `${det} row ${i}: ${s}`);
      });
      if (det !== "fused") assert.ok(Number(out[1 + 352]!.split(",")[2]) > 0.6, `${det} spike: ${out[1 + 352]}`);
    }
  });

  test("the header is optional, CRLF is accepted, and the same input gives the same output", () => {
    const noHeader = join(dir, "noheader.csv");
    writeFileSync(noHeader, rows.join("\r\n") + "\r\n");
    const a = cli(["anomaly", "score", "--detector", "iforest", noHeader]);
    const b = cli(["anomaly", "score", "--detector=iforest", file]);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
  });

  test("a malformed line is an error naming the file and line; bad flags are refused", () => {
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, "timestamp,value\n2014-07-01 00:00:00,1\n2014-07-01 00:05:00,12x\n");
    const r = cli(["anomaly", "score", "--detector=zscore", bad]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /bad\.csv:line 3: invalid value "12x"/);
    const d = cli(["anomaly", "score", "--detector=arima", file]);
    assert.equal(d.status, 1);
    assert.match(d.stderr, /--detector must be one of zscore, seasonal, iforest, fused/);
    const missing = cli(["anomaly", "score", "--detector=zscore", join(dir, "nope.csv")]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.csv/);
  });
});
