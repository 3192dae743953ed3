// `alertprism migrate --from sqlite` as an operator runs it: a real AlertPrism on SQLite takes alerts and a
// silence and delivers notifications to a webhook, is stopped, and the command (a separate process) copies
// its database into a throwaway PostgreSQL cluster. Every table must arrive with as many rows as SQLite
// holds, the alerts and the silence as they were posted; the password of the URL never shows.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.ts";
import { REPO_ROOT, startAlertPrism, startWebhookSink, type WebhookSink } from "./harness.ts";

const ALERTS = 20;
const CLI_TIMEOUT_MS = 60_000;

function runMigrate(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "src", "main.ts"), "migrate", ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), CLI_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("alertprism migrate --from sqlite (real server, real PostgreSQL)", () => {
  let cluster: PostgresCluster;
  let sink: WebhookSink;
  before(async () => {
    cluster = await startPostgres();
    sink = await startWebhookSink();
  });
  after(async () => {
    await sink?.close();
    await cluster?.stop();
  });

  it("copies what a stopped AlertPrism stored, table for table", async () => {
    const server = await startAlertPrism({
      configYaml: `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
receivers:
  - name: hook
    webhook_configs:
      - url: ${sink.url}/hook
`,
    });
    let dbPath: string;
    try {
      dbPath = server.dbPath;
      const alerts = Array.from({ length: ALERTS }, (_, i) => ({
        labels: { alertname: "Migrated", instance: `host-${i}`, note: "Ω 🚨" },
        annotations: { summary: `alert ${i}` },
        startsAt: "2026-01-01T00:00:00.000Z",
      }));
      const posted = await fetch(`${server.url}/api/v2/alerts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(alerts) });
      assert.equal(posted.status, 200);
      const silence = await fetch(`${server.url}/api/v2/silences`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ matchers: [{ name: "instance", value: "host-99", isRegex: false }], startsAt: "2026-01-01T00:00:00Z", endsAt: "2099-01-01T00:00:00Z", createdBy: "ops", comment: "kept across the move" }),
      });
      assert.equal(silence.status, 200);
      await sink.waitFor((n) => n > 0, 20_000);
    } finally {
      await server.stop();
    }

    const url = await cluster.createDatabase("migrated");
    const secret = new URL(url).password;
    const done = await runMigrate(["--from", "sqlite", dbPath], { ALERTPRISM_POSTGRES_URL: url });
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, new RegExp(`^copied .*alertprism\\.db \\(schema version \\d+\\) into postgres://127\\.0\\.0\\.1:\\d+/<redacted>: \\d+ rows in \\d+ tables \\(.*series ${ALERTS}\\b.*\\)\\n$`));
    assert.ok(!done.stdout.includes(secret) && !done.stderr.includes(secret), "the password never shows");

    const sqlite = new Database(dbPath, { readonly: true, fileMustExist: true });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const tables = (sqlite.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>).map((r) => r.name);
      for (const table of tables) {
        const { n } = sqlite.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number };
        const { rows: [row] } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`);
        assert.equal(Number(row?.n), n, table);
      }
      for (const table of ["alerts", "alert_events", "silences", "nflog", "deliveries"]) {
        const { rows: [row] } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`);
        assert.ok(Number(row?.n) > 0, `${table} was written by the server and copied`);
      }
      const { rows: labels } = await client.query<{ labels: string }>("SELECT s.labels FROM alerts a JOIN series s ON s.id = a.series_id ORDER BY s.labels");
      assert.equal(labels.length, ALERTS);
      assert.ok(labels.every((r) => (JSON.parse(r.labels) as Record<string, string>).note === "Ω 🚨"));
      const { rows: silences } = await client.query<{ comment: string; created_by: string }>("SELECT comment, created_by FROM silences");
      assert.deepEqual(silences, [{ comment: "kept across the move", created_by: "ops" }]);

      // A second run finds the data there and refuses (exit 3) instead of doubling it (our own
      // connection to the file would make it refuse as "in use" first).
      sqlite.close();
      const again = await runMigrate(["--from=sqlite", dbPath, "--to", url], {});
      assert.equal(again.code, 3, again.stderr);
      assert.match(again.stderr, /^alertprism migrate: the PostgreSQL database already holds data/);
      assert.ok(!again.stderr.includes(secret));
    } finally {
      await client.end();
      if (sqlite.open) sqlite.close();
    }
  });
});
