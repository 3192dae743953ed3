// grafana/alertprism.json against the real thing: every PromQL expression of its panels, annotations and
// variables names only metrics a running AlertPrism exports (scraped from /metrics of the whole app with
// noise control, anomaly rules, predictions and a webhook receiver configured), every expression parses
// with the real promtool, and docker-compose.yml provisions the file with the datasource its panels use.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { startTestApp, isoIn, type TestApp } from "../integration/app-fixture.ts";
import { startFakePrometheus, type FakePrometheus } from "../integration/fake-prometheus.ts";
import { startFaultServer, type FaultServer } from "../helpers/fault-servers.ts";
import { requireBinary, makeTempDir } from "./harness.ts";

const REPO_ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const DASHBOARD_FILE = join(REPO_ROOT, "grafana", "alertprism.json");

// ---------------------------------------------------------------------------------------------------
// Metric names of a PromQL expression

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan"]);
/** Keywords followed by a parenthesised list of label names, not by an expression. */
const LABEL_LISTS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

/**
 * The metric names an expression selects: identifiers that are not functions or aggregations (followed by
 * `(`, or by a `by (…)`/`without (…)` grouping), keywords, label names (inside `{…}` or a by/without/on/ignoring/group_* list), durations (inside
 * `[…]`, after offset) or numbers. Strings are skipped, so `job=~"$job"` and `"{{le}}"` never count.
 */
function metricNames(expr: string): string[] {
  const out = new Set<string>();
  let i = 0;
  const skipString = (): void => {
    const q = expr[i]!;
    i++;
    while (i < expr.length && expr[i] !== q) i += expr[i] === "\\" && q !== "`" ? 2 : 1;
    i++;
  };
  /** Skips from an opening bracket to its closing one, strings inside included. */
  const skipBlock = (open: string, close: string): void => {
    let depth = 0;
    while (i < expr.length) {
      const c = expr[i]!;
      if (c === '"' || c === "'" || c === "`") { skipString(); continue; }
      if (c === open) depth++;
      if (c === close && --depth === 0) { i++; return; }
      i++;
    }
    throw new Error(`unbalanced ${open} in ${expr}`);
  };
  const nextNonSpace = (from: number): string | undefined => {
    let j = from;
    while (j < expr.length && /\s/.test(expr[j]!)) j++;
    return expr[j];
  };
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"' || c === "'" || c === "`") { skipString(); continue; }
    if (c === "#") { while (i < expr.length && expr[i] !== "\n") i++; continue; }
    if (c === "{") { skipBlock("{", "}"); continue; }
    if (c === "[") { skipBlock("[", "]"); continue; }
    if (/[0-9.]/.test(c)) { while (i < expr.length && /[0-9a-zA-Z._]/.test(expr[i]!)) i++; continue; }
    if (/[a-zA-Z_:]/.test(c)) {
      const start = i;
      while (i < expr.length && /[a-zA-Z0-9_:]/.test(expr[i]!)) i++;
      const word = expr.slice(start, i);
      const followedByParen = nextNonSpace(i) === "(";
      // `sum by (le) (…)`: an aggregation whose grouping comes first.
      const followedByGrouping = /^\s+(by|without)\s*\(/i.test(expr.slice(i));
      if (LABEL_LISTS.has(word.toLowerCase())) {
        if (followedByParen) {
          while (expr[i] !== "(") i++;
          skipBlock("(", ")");
        }
        continue;
      }
      if (KEYWORDS.has(word.toLowerCase()) || followedByParen || followedByGrouping) continue;
      out.add(word);
      continue;
    }
    i++;
  }
  return [...out];
}

// ---------------------------------------------------------------------------------------------------
// The dashboard's expressions

interface Expr { readonly where: string; readonly expr: string }
interface Panel { id?: number; type: string; title?: string; datasource?: { uid?: string }; targets?: Array<{ refId?: string; expr?: string; datasource?: { uid?: string } }>; panels?: Panel[]; gridPos?: { x: number; y: number; w: number; h: number } }
interface Dashboard {
  uid: string; title: string; schemaVersion: number; panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: unknown; current?: { value?: unknown } }> };
  annotations: { list: Array<{ name: string; expr?: string; datasource?: { uid?: string } }> };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")) as Dashboard;
const allPanels = (ps: Panel[]): Panel[] => ps.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

/** Every PromQL expression of the dashboard: panel targets, annotations, and label_values() variable queries. */
function dashboardExprs(d: Dashboard): Expr[] {
  const out: Expr[] = [];
  for (const p of allPanels(d.panels)) {
    for (const t of p.targets ?? []) {
      if (t.expr !== undefined) out.push({ where: `panel ${p.id} "${p.title}" target ${t.refId}`, expr: t.expr });
    }
  }
  for (const a of d.annotations.list) if (a.expr !== undefined) out.push({ where: `annotation "${a.name}"`, expr: a.expr });
  for (const v of d.templating.list) {
    if (v.type !== "query") continue;
    const q = typeof v.query === "string" ? v.query : (v.query as { query: string }).query;
    const m = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(q.trim());
    assert.ok(m, `variable ${v.name}: label_values(<series selector>, <label>) expected, got ${q}`);
    out.push({ where: `variable ${v.name}`, expr: m[1]! });
  }
  return out;
}

/** Grafana's variables replaced by values promtool accepts (selectors match any job and instance). */
function substituteVariables(expr: string): string {
  const out = expr
    .replaceAll("$__rate_interval", "1m")
    .replaceAll("$__interval", "1m")
    .replaceAll("$__range", "1h")
    .replaceAll("$job", ".+")
    .replaceAll("$instance", ".+");
  assert.doesNotMatch(out, /\$/, `an unknown dashboard variable is left in ${out}`);
  return out;
}

/** The metric families of an exposition, with the series names each one exposes. */
function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split("\n")) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (!m) continue;
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(name + s);
    if (type === "summary") for (const s of ["_sum", "_count"]) names.add(name + s);
  }
  return names;
}

function promtool(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(requireBinary("promtool"), args, { encoding: "utf8", timeout: 60_000 });
  if (r.error) throw new Error(`promtool ${args.join(" ")}: ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A rule file with one recording rule per expression; promtool check rules parses every one. */
function ruleFile(exprs: readonly Expr[]): string {
  const rules = exprs.map((e, n) => ({ record: `dashboard:expr_${n}`, expr: substituteVariables(e.expr) }));
  const file = join(makeTempDir("grafana-rules"), "dashboard.rules.yml");
  writeFileSync(file, stringify({ groups: [{ name: "dashboard", rules }] }));
  return file;
}

describe("metricNames (the PromQL reader the dashboard check relies on)", () => {
  it("finds selectors and leaves out functions, aggregations, label lists, matchers, ranges and strings", () => {
    const cases: Array<[string, string[]]> = [
      ['sum by (status) (rate(alertmanager_alerts_received_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))', ["alertmanager_alerts_received_total"]],
      ['histogram_quantile(0.99, sum by (le, handler) (rate(x_seconds_bucket{a="b{c}"}[5m])))', ["x_seconds_bucket"]],
      ["sum(rate(a_total[1m])) by (integration) / on(job) group_left(instance) b", ["a_total", "b"]],
      ["time() - process_start_time_seconds offset 5m", ["process_start_time_seconds"]],
      ["topk(10, max without (series) (score)) > 0.5 and bool up or vector(0)", ["score", "up"]],
      ["1 - max(alertprism:recorded:rate5m) unless absent(nonexistent_metric)", ["alertprism:recorded:rate5m", "nonexistent_metric"]],
      ['label_replace(m1, "dst", "$1", "src", "(.*)") + 1e3 * m2', ["m1", "m2"]],
    ];
    for (const [expr, want] of cases) assert.deepEqual(metricNames(expr).sort(), [...want].sort(), expr);
  });
});

describe("grafana/alertprism.json", () => {
  const exprs = dashboardExprs(dashboard);

  it("is a dashboard Grafana 10 provisions: uid, schemaVersion 39, unique panel ids, panels inside 24 columns, the rows the issue lists", () => {
    assert.equal(dashboard.uid, "alertprism");
    assert.equal(dashboard.schemaVersion, 39);
    const panels = allPanels(dashboard.panels);
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
    for (const p of panels) {
      assert.ok(p.gridPos && p.gridPos.x >= 0 && p.gridPos.w > 0 && p.gridPos.x + p.gridPos.w <= 24, `panel ${p.id} fits the 24-column grid`);
    }
    const rows = panels.filter((p) => p.type === "row").map((p) => p.title);
    for (const r of ["Ingest", "Notifications", "Noise control", "Anomaly", "Storage", "Process"]) assert.ok(rows.includes(r), `row ${r}`);
    assert.ok(exprs.length >= 40, `expressions: ${exprs.length}`);
  });

  it("queries through the datasource variable, whose default is the provisioned Prometheus (uid prometheus)", () => {
    const dsVar = dashboard.templating.list.find((v) => v.type === "datasource");
    assert.equal(dsVar?.name, "datasource");
    assert.equal(dsVar?.query, "prometheus");
    assert.equal(dsVar?.current?.value, "prometheus");
    for (const p of allPanels(dashboard.panels).filter((x) => x.type !== "row")) {
      assert.equal(p.datasource?.uid, "${datasource}", `panel ${p.id}`);
      for (const t of p.targets ?? []) assert.equal(t.datasource?.uid, "${datasource}", `panel ${p.id} target ${t.refId}`);
      for (const t of p.targets ?? []) {
        if (t.expr === undefined) continue;
        // Each panel is scoped to the chosen job and instances (time() and vector() carry no selector).
        for (const sel of t.expr.matchAll(/[a-z_:]+\{([^}]*)\}/g)) {
          assert.match(sel[1]!, /job=~"\$job", instance=~"\$instance"/, `panel ${p.id} target ${t.refId}: ${sel[0]}`);
        }
      }
    }
  });

  it("every expression passes promtool check rules (as recording rules, Grafana's variables substituted)", () => {
    const file = ruleFile(exprs);
    const r = promtool(["check", "rules", file]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${exprs.length} rules found`), r.out);
  });

  it("promtool does catch a typo the same way (the check above can fail)", () => {
    const file = ruleFile([{ where: "broken", expr: 'sum by (le (rate(alertmanager_notifications_total{job=~"$job"}[$__rate_interval]))' }]);
    const r = promtool(["check", "rules", file]);
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /parse error/i, r.out);
  });

  describe("against a running AlertPrism", () => {
    let prom: FakePrometheus;
    let sink: FaultServer;
    let h: TestApp;
    let exposition: string;

    before(async () => {
      prom = await startFakePrometheus();
      prom.set("orders", [{ labels: { venue: "x" }, value: (t) => 100 + Math.sin(t / 60_000) * 5 }]);
      prom.set("disk_free_bytes", [{ labels: { mount: "/" }, value: (t) => 1e12 - (t % 1e9) }]);
      sink = await startFaultServer();
      const dir = mkdtempSync(join(tmpdir(), "alertprism-grafana-"));
      const prismFile = join(dir, "alertprism.yml");
      writeFileSync(prismFile, `
prometheus:
  url: ${prom.url}
anomaly_rules:
  - name: OrdersUnusual
    query: orders
    step: 1s
    warmup: 30s
    detector: zscore
predictions:
  - name: DiskFillsUp
    query: disk_free_bytes
    step: 1s
    lookback: 30s
    threshold: 0
    horizon: 24h
noise:
  storm:
    enter: { new_alerts: 50, within: 1m }
    exit: { below: 5, for: 5m }
    summary_interval: 2m
  flapping:
    changes: 4
    within: 30m
    quiet_for: 30m
`);
      h = await startTestApp({
        dir,
        flags: { "alertprism.config.file": prismFile },
        config: `
route: { receiver: hook, group_by: [alertname], group_wait: 0s }
receivers:
  - name: hook
    webhook_configs: [{ url: ${sink.url} }]
`,
      });
      const posted = await h.post("/api/v2/alerts", [{ labels: { alertname: "DashboardCheck" }, startsAt: isoIn(-60_000), endsAt: isoIn(3_600_000) }]);
      assert.equal(posted.status, 200);
      // Until a notification was delivered and both rules have been evaluated.
      for (;;) {
        const rules = (await h.get("/api/ops/v1/anomaly/rules")).json as { rules: Array<{ lastEvaluation?: string }> };
        if (sink.delivered().length > 0 && rules.rules.length === 2 && rules.rules.every((r) => r.lastEvaluation !== undefined)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      exposition = (await h.get("/metrics")).text;
    });
    after(async () => {
      await h?.close();
      await sink?.close();
      await prom?.close();
    });

    it("every metric the dashboard references is exported (scraped from /metrics)", () => {
      const exported = exportedNames(exposition);
      const missing: string[] = [];
      let referenced = 0;
      for (const e of exprs) {
        const names = metricNames(e.expr);
        assert.ok(names.length > 0 || /^(time|vector)\(/.test(e.expr), `${e.where} selects no metric: ${e.expr}`);
        for (const name of names) {
          referenced++;
          if (!exported.has(name)) missing.push(`${name} (${e.where})`);
        }
      }
      assert.deepEqual(missing, [], `metrics the dashboard uses that AlertPrism does not export:\n${missing.join("\n")}`);
      console.log(`grafana/alertprism.json: ${exprs.length} expressions, ${referenced} metric references, all exported`);
    });

    it("the metrics added for it carry values: database size on disk, delivery duration", () => {
      const value = (series: string): number => {
        const line = exposition.split("\n").find((l) => l.startsWith(`${series} `));
        assert.ok(line, `${series} is exposed`);
        return Number(line.split(" ")[1]);
      };
      assert.ok(value('alertprism_storage_size_bytes{file="database"}') > 0);
      assert.ok(value('alertprism_storage_size_bytes{file="wal"}') >= 0);
      assert.ok(value('alertprism_notification_delivery_duration_seconds_count{integration="webhook",outcome="delivered"}') >= 1);
    });
  });
});

describe("docker-compose.yml provisions the dashboard", () => {
  const compose = parse(readFileSync(join(REPO_ROOT, "docker-compose.yml"), "utf8")) as {
    services: Record<string, { volumes?: string[]; configs?: Array<{ source: string; target: string }> }>;
    configs: Record<string, { content?: string }>;
  };
  const grafana = compose.services.grafana!;
  const configAt = (dir: string) => {
    const ref = (grafana.configs ?? []).find((c) => posix.dirname(c.target) === dir);
    assert.ok(ref, `a config mounted in ${dir}`);
    return parse(compose.configs[ref.source]!.content!) as Record<string, unknown>;
  };

  it("a file provider whose path is a read-only bind mount of grafana/, which holds alertprism.json", () => {
    const providers = configAt("/etc/grafana/provisioning/dashboards").providers as Array<{ type: string; options: { path: string } }>;
    assert.equal(providers.length, 1);
    assert.equal(providers[0]!.type, "file");
    const path = providers[0]!.options.path;
    const mount = (grafana.volumes ?? []).map((v) => v.split(":")).find(([, target]) => path === target || path.startsWith(`${target}/`));
    assert.ok(mount, `${path} is mounted`);
    assert.equal(mount[2], "ro");
    const host = resolve(REPO_ROOT, mount[0]!, posix.relative(mount[1]!, path));
    assert.equal(host, join(REPO_ROOT, "grafana"));
    assert.ok(existsSync(join(host, "alertprism.json")));
  });

  it("the Prometheus datasource is provisioned with the uid the dashboard's datasource variable defaults to", () => {
    const datasources = configAt("/etc/grafana/provisioning/datasources").datasources as Array<{ type: string; uid: string }>;
    const prometheus = datasources.find((d) => d.type === "prometheus");
    assert.equal(prometheus?.uid, dashboard.templating.list.find((v) => v.type === "datasource")?.current?.value);
  });
});
