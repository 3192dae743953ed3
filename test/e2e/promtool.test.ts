// The shipped Prometheus rules and configuration, checked by the real promtool 2.42:
// `promtool check rules rules/alert.rules`, `promtool test rules rules/tests/*.yml` (which must test
// every alert the rule file defines) and `promtool check config prometheus/prometheus.yml`.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { REPO_ROOT, makeTempDir, requireBinary } from "./harness.ts";

const RULES_FILE = join(REPO_ROOT, "rules", "alert.rules");
const TESTS_DIR = join(REPO_ROOT, "rules", "tests");
const PROMETHEUS_CONFIG = join(REPO_ROOT, "prometheus", "prometheus.yml");
const PROMTOOL_TIMEOUT_MS = 60_000;
const RUNBOOK_BASE = "https://runbooks.example.com/alertprism/";

/** The alerts the system is specified with; the README names them, so none may go missing. */
const SPECIFIED_ALERTS = [
  "HighErrorRate", "SlowResponseTime", "BackendDown",
  "HighDatabaseConnections", "DatabaseDown", "LongRunningQueries",
  "RedisDown", "HighRedisMemory",
  "HighCpuUsage", "HighMemoryUsage", "LowDiskSpace",
  "TradingSystemUnhealthy", "HighOrderFailureRate", "BacktestQueueBackup",
  "Watchdog", "AlertPrismNotificationsFailing", "AlertPrismConfigReloadFailed", "AlertPrismStorageErrors", "AlertPrismDown",
];

/** Priorities each severity may carry (mapping documented in the header of rules/alert.rules). */
const PRIORITIES_BY_SEVERITY: Record<string, string[]> = {
  critical: ["P1", "P2"],
  warning: ["P2", "P3"],
  none: ["P4"],
};

interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface RuleTest {
  alertname: string;
  eval_time: string;
  exp_alerts?: unknown[] | null;
}

interface PromtoolRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Command line and both streams, for assertion messages. */
  transcript: string;
}

/** Runs promtool (60 s limit); a missing binary throws, failing the test rather than skipping it. */
function runPromtool(args: string[], cwd: string = REPO_ROOT): PromtoolRun {
  const r = spawnSync(requireBinary("promtool"), args, { cwd, encoding: "utf8", timeout: PROMTOOL_TIMEOUT_MS });
  if (r.error) throw new Error(`promtool ${args.join(" ")}: ${r.error.message}`);
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    transcript: `$ promtool ${args.join(" ")}  (cwd ${cwd}, exit ${String(r.status)})\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, what: string): Record<string, string> {
  assert.ok(isRecord(v), `${what}: expected a mapping`);
  for (const [k, x] of Object.entries(v)) assert.equal(typeof x, "string", `${what}.${k}: expected a string`);
  return v as Record<string, string>;
}

/** Every alerting rule of the rule file, in file order, with the group it belongs to. */
function loadAlertingRules(): Array<AlertingRule & { group: string }> {
  const doc: unknown = parse(readFileSync(RULES_FILE, "utf8"));
  assert.ok(isRecord(doc) && Array.isArray(doc.groups), "rules/alert.rules: expected a `groups` list");
  const out: Array<AlertingRule & { group: string }> = [];
  for (const g of doc.groups as unknown[]) {
    assert.ok(isRecord(g) && typeof g.name === "string" && Array.isArray(g.rules), "rule group without name or rules");
    for (const r of g.rules as unknown[]) {
      assert.ok(isRecord(r), `group ${g.name}: rule is not a mapping`);
      if (typeof r.alert !== "string") continue; // recording rule
      assert.equal(typeof r.expr, "string", `${r.alert}: expr`);
      out.push({
        group: g.name,
        alert: r.alert,
        expr: r.expr as string,
        ...(typeof r.for === "string" ? { for: r.for } : {}),
        labels: stringMap(r.labels, `${r.alert}.labels`),
        annotations: stringMap(r.annotations, `${r.alert}.annotations`),
      });
    }
  }
  return out;
}

function testFiles(): string[] {
  return readdirSync(TESTS_DIR).filter((f) => f.endsWith(".yml")).sort().map((f) => join("rules", "tests", f));
}

/** The alert_rule_test entries of one promtool test file, checking that it tests the shipped rule file. */
function loadRuleTests(relPath: string): RuleTest[] {
  const abs = join(REPO_ROOT, relPath);
  const doc: unknown = parse(readFileSync(abs, "utf8"));
  assert.ok(isRecord(doc), `${relPath}: not a mapping`);
  assert.ok(Array.isArray(doc.rule_files), `${relPath}: rule_files missing`);
  const ruleFiles = (doc.rule_files as unknown[]).map((f) => resolve(dirname(abs), String(f)));
  assert.deepEqual(ruleFiles, [RULES_FILE], `${relPath}: must test the shipped rules/alert.rules, and only it`);
  assert.ok(Array.isArray(doc.tests) && doc.tests.length > 0, `${relPath}: no tests`);
  const out: RuleTest[] = [];
  for (const t of doc.tests as unknown[]) {
    assert.ok(isRecord(t), `${relPath}: test is not a mapping`);
    for (const a of (t.alert_rule_test ?? []) as unknown[]) {
      assert.ok(isRecord(a) && typeof a.alertname === "string", `${relPath}: alert_rule_test without alertname`);
      out.push({ alertname: a.alertname, eval_time: String(a.eval_time), exp_alerts: (a.exp_alerts ?? null) as unknown[] | null });
    }
  }
  return out;
}

describe("rules/alert.rules", () => {
  it("passes promtool check rules with no warnings", () => {
    const rules = loadAlertingRules();
    const r = runPromtool(["check", "rules", "rules/alert.rules"]);
    console.log(r.stdout.trim());
    assert.equal(r.status, 0, r.transcript);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`), r.transcript);
    assert.doesNotMatch(r.stdout + r.stderr, /warn|FAILED/i, r.transcript);
    assert.equal(r.stderr.trim(), "", r.transcript);
  });

  it("defines every specified alert once, with severity, priority and the three annotations", () => {
    const rules = loadAlertingRules();
    const names = rules.map((r) => r.alert);
    assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), [], "duplicate alert names");
    assert.deepEqual([...SPECIFIED_ALERTS].sort(), [...names].sort(), "the rule file must define exactly the specified alerts");
    assert.deepEqual([...new Set(rules.map((r) => r.group))].sort(), ["application", "database", "host", "meta", "redis", "trading"]);
    for (const r of rules) {
      const allowed = PRIORITIES_BY_SEVERITY[r.labels.severity ?? ""];
      assert.ok(allowed, `${r.alert}: severity must be critical, warning or none, got ${String(r.labels.severity)}`);
      assert.ok(allowed.includes(r.labels.priority ?? ""), `${r.alert}: priority ${String(r.labels.priority)} does not go with severity ${String(r.labels.severity)}`);
      assert.ok((r.annotations.summary ?? "") !== "", `${r.alert}: summary`);
      assert.ok((r.annotations.description ?? "") !== "", `${r.alert}: description`);
      assert.equal(r.annotations.runbook_url, RUNBOOK_BASE + r.alert, `${r.alert}: runbook_url`);
    }
    const watchdog = rules.find((r) => r.alert === "Watchdog");
    assert.equal(watchdog?.labels.severity, "none");
    assert.equal(watchdog?.labels.priority, "P4");
  });
});

describe("rules/tests (promtool unit tests)", () => {
  it("pass, and test every alert of the rule file firing (and quiet before its for: elapses)", () => {
    const files = testFiles();
    assert.ok(files.length > 0, "no promtool test files in rules/tests");
    const r = runPromtool(["test", "rules", ...files]);
    console.log(r.stdout.trim());
    assert.equal(r.status, 0, r.transcript);
    assert.doesNotMatch(r.stdout + r.stderr, /FAILED/, r.transcript);
    for (const f of files) {
      assert.match(r.stdout, new RegExp(`Unit Testing: +${f.replaceAll(".", "\\.")}\\s*\\n\\s*SUCCESS`), `${f} did not report SUCCESS\n${r.transcript}`);
    }

    const rules = loadAlertingRules();
    const cases = files.flatMap(loadRuleTests);
    const defined = new Set(rules.map((x) => x.alert));
    const firing = new Set(cases.filter((c) => (c.exp_alerts ?? []).length > 0).map((c) => c.alertname));
    const quiet = new Set(cases.filter((c) => (c.exp_alerts ?? []).length === 0).map((c) => c.alertname));
    console.log(`promtool unit tests: ${cases.length} evaluations; ${firing.size} of ${defined.size} alerts tested firing`);
    assert.deepEqual([...cases.map((c) => c.alertname)].filter((n) => !defined.has(n)), [], "tests name alerts the rule file does not define");
    assert.deepEqual([...defined].filter((n) => !firing.has(n)), [], "alerts never tested firing");
    assert.equal(firing.size, defined.size);
    // An alert with a for: must also be shown quiet (below the threshold / still pending).
    const withFor = rules.filter((x) => x.for !== undefined && x.for !== "0s" && x.for !== "0m").map((x) => x.alert);
    assert.deepEqual(withFor.filter((n) => !quiet.has(n)), [], "alerts with for: never tested quiet");
  });

  it("fail when an expectation is wrong (the runner really compares)", () => {
    const dir = makeTempDir("promtool");
    const file = join(dir, "wrong.yml");
    writeFileSync(
      file,
      [
        "rule_files:",
        `  - ${JSON.stringify(RULES_FILE)}`,
        "tests:",
        "  - interval: 1m",
        "    alert_rule_test:",
        "      - eval_time: 5m",
        "        alertname: Watchdog",
        "        exp_alerts: []",
        "",
      ].join("\n"),
    );
    const r = runPromtool(["test", "rules", file]);
    assert.equal(r.status, 1, r.transcript);
    assert.match(r.stdout + r.stderr, /FAILED/, r.transcript);
  });
});

describe("prometheus/prometheus.yml", () => {
  it("passes promtool check config, which loads rules/alert.rules through the relative rule_files path", () => {
    const rules = loadAlertingRules();
    // From the repository root and from an unrelated directory: the path resolves against the config file.
    for (const [cwd, configArg] of [[REPO_ROOT, "prometheus/prometheus.yml"], [makeTempDir("promtool-cwd"), PROMETHEUS_CONFIG]] as const) {
      const r = runPromtool(["check", "config", configArg], cwd);
      console.log(r.stdout.trim());
      assert.equal(r.status, 0, r.transcript);
      assert.match(r.stdout, /SUCCESS: 1 rule files found/, r.transcript);
      assert.match(r.stdout, /is valid prometheus config file syntax/, r.transcript);
      assert.match(r.stdout, /Checking \S*rules\/alert\.rules\s*\n\s*SUCCESS: (\d+) rules found/, r.transcript);
      assert.match(r.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`), r.transcript);
      assert.doesNotMatch(r.stdout + r.stderr, /warn|FAILED/i, r.transcript);
    }
  });

  it("scrapes the stack's jobs and sends alerts to AlertPrism over API v2", () => {
    const doc: unknown = parse(readFileSync(PROMETHEUS_CONFIG, "utf8"));
    assert.ok(isRecord(doc));
    assert.ok(Array.isArray(doc.rule_files));
    assert.deepEqual((doc.rule_files as unknown[]).map((f) => resolve(dirname(PROMETHEUS_CONFIG), String(f))), [RULES_FILE]);

    assert.ok(Array.isArray(doc.scrape_configs));
    const targets = new Map<string, string[]>();
    for (const sc of doc.scrape_configs as unknown[]) {
      assert.ok(isRecord(sc) && typeof sc.job_name === "string" && Array.isArray(sc.static_configs));
      targets.set(sc.job_name, (sc.static_configs as Array<{ targets: string[] }>).flatMap((s) => s.targets));
    }
    const expected: Record<string, string> = {
      node: "node-exporter:9100",
      postgres: "postgres-exporter:9187",
      redis: "redis-exporter:9121",
      backend: "backend:8080",
      trading: "trading:8000",
      alertprism: "alertprism:9093",
    };
    for (const [job, target] of Object.entries(expected)) assert.deepEqual(targets.get(job), [target], `job ${job}`);
    // Every job the rules select on is scraped.
    const rulesText = readFileSync(RULES_FILE, "utf8");
    for (const m of rulesText.matchAll(/job="([^"]+)"/g)) assert.ok(targets.has(m[1] ?? ""), `rules select job="${String(m[1])}", which is not scraped`);

    assert.ok(isRecord(doc.alerting) && Array.isArray(doc.alerting.alertmanagers));
    const ams = doc.alerting.alertmanagers as Array<Record<string, unknown>>;
    assert.equal(ams.length, 1);
    assert.equal(ams[0]?.api_version, "v2");
    assert.deepEqual((ams[0]?.static_configs as Array<{ targets: string[] }>).flatMap((s) => s.targets), ["alertprism:9093"]);

    assert.ok(isRecord(doc.global) && isRecord(doc.global.external_labels) && typeof doc.global.external_labels.cluster === "string");
  });
});
