// amtool 0.25 end to end: the same scenarios run against the real Alertmanager (the oracle that keeps
// this test honest) and against AlertPrism. Scenarios share state and run in order within a backend.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { fingerprint } from "../../src/types/labels.ts";
import { backendsUnderTest, makeTempDir, runAmtool, startBackend, type GettableAlert } from "./harness.ts";
import type { CommandResult, RunningServer } from "./harness.ts";

const CONFIG_YAML = `
route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: ['team="ops"']
      receiver: ops
receivers:
  - name: default
    webhook_configs:
      - url: http://127.0.0.1:1/
  - name: ops
    webhook_configs:
      - url: http://127.0.0.1:1/
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [alertname]
`;

const WARNING_LABELS = { alertname: "E2E", severity: "warning", team: "ops" } as const;
const CRITICAL_LABELS = { alertname: "E2E", severity: "critical" } as const;
const E2E_MATCHER = { isEqual: true, isRegex: false, name: "alertname", value: "E2E" } as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// API timestamps: RFC 3339 with exactly three fractional digits.
const API_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$/;
const HOUR_MS = 3_600_000;

interface GettableSilence {
  id: string;
  status: { state: string };
  updatedAt: string;
  comment: string;
  createdBy: string;
  startsAt: string;
  endsAt: string;
  matchers: Array<{ isEqual?: boolean; isRegex: boolean; name: string; value: string }>;
}

function parseJsonArray<T>(r: CommandResult, what: string): T[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch (err) {
    assert.fail(`${what}: amtool output is not JSON (${String(err)}):\n${r.stdout}`);
  }
  assert.ok(Array.isArray(parsed), `${what}: expected a JSON array, got:\n${r.stdout}`);
  return parsed as T[];
}

/**
 * Rows of amtool's "simple"/"extended" table (Go tabwriter): column bounds come from the header, since
 * empty cells (e.g. no summary) make whitespace splitting ambiguous.
 */
function parseTable(stdout: string): Array<Record<string, string>> {
  const lines = stdout.split("\n").filter((l) => l.trim() !== "");
  const header = lines[0];
  if (header === undefined) return [];
  const titles = header.trim().split(/\s{2,}/);
  const starts: number[] = [];
  let from = 0;
  for (const t of titles) {
    const at = header.indexOf(t, from);
    starts.push(at);
    from = at + t.length;
  }
  return lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    titles.forEach((t, i) => {
      row[t] = line.slice(starts[i], starts[i + 1] ?? line.length).trim();
    });
    return row;
  });
}

function ms(t: string): number {
  const v = Date.parse(t);
  assert.ok(!Number.isNaN(v), `unparsable time ${t}`);
  return v;
}

function byFingerprint(alerts: GettableAlert[]): Map<string, GettableAlert> {
  return new Map(alerts.map((a) => [a.fingerprint, a]));
}

function assertApiTimes(obj: { startsAt: string; endsAt: string; updatedAt: string }, what: string): void {
  for (const k of ["startsAt", "endsAt", "updatedAt"] as const) {
    assert.match(obj[k], API_TIME, `${what}.${k}`);
  }
}

for (const kind of backendsUnderTest()) {
  describe(`amtool against ${kind}`, { timeout: 180_000 }, () => {
    let server: RunningServer | undefined;
    const workDir = makeTempDir(`amtool-${kind}`);
    const warningFp = fingerprint(WARNING_LABELS);
    const criticalFp = fingerprint(CRITICAL_LABELS);
    let silenceId = "";
    let exportFile = "";

    before(async () => {
      server = await startBackend(kind, CONFIG_YAML);
    });
    after(async () => {
      await server?.stop();
    });

    function serverLogsTail(): string {
      const logs = server?.logs() ?? "";
      return logs.length > 8_000 ? `[...]\n${logs.slice(-8_000)}` : logs;
    }

    /** Runs amtool against this backend; a non-zero exit is returned, not thrown. */
    async function amtool(args: string[]): Promise<CommandResult> {
      assert.ok(server, `${kind} did not start`);
      return runAmtool(args, server.url);
    }

    /**
     * amtool must exit 0 with an empty stderr: a version-check mismatch or a response amtool cannot
     * decode shows up there even when the exit code is 0 (notably `silence import`).
     */
    async function ok(args: string[]): Promise<CommandResult> {
      const r = await amtool(args);
      assert.ok(
        r.code === 0 && r.stderr === "",
        `amtool ${args.join(" ")} → exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
      );
      return r;
    }

    async function alerts(flags: string[] = [], matchers: string[] = []): Promise<GettableAlert[]> {
      const r = await ok(["-o", "json", "alert", "query", ...flags, ...matchers]);
      return parseJsonArray<GettableAlert>(r, `alert query ${flags.join(" ")}`);
    }

    async function silences(flags: string[] = []): Promise<GettableSilence[]> {
      const r = await ok(["-o", "json", "silence", "query", ...flags]);
      return parseJsonArray<GettableSilence>(r, `silence query ${flags.join(" ")}`);
    }

    /** Wraps a scenario so its failure message carries the backend's logs. */
    function scenario(name: string, fn: () => Promise<void>): void {
      it(name, async () => {
        try {
          await fn();
        } catch (err) {
          if (err instanceof Error) err.message += `\n--- ${kind} logs (tail) ---\n${serverLogsTail()}`;
          throw err;
        }
      });
    }

    scenario("alert add, then alert query with filters and -o json", async () => {
      const add = await ok(["alert", "add", "alertname=E2E", "severity=warning", "team=ops", "--annotation=summary=hello"]);
      assert.equal(add.stdout, "");

      const rows = parseTable((await ok(["alert", "query"])).stdout);
      assert.deepEqual(
        rows.map((r) => [r["Alertname"], r["Summary"], r["State"]]),
        [["E2E", "hello", "active"]],
      );

      // Each filter form amtool offers must select the alert; a non-matching one must not.
      for (const matchers of [["alertname=E2E"], ['team=~"o.*"'], ["E2E"], ["E2E", "severity!=critical"]]) {
        const got = parseTable((await ok(["alert", "query", ...matchers])).stdout);
        assert.deepEqual(got.map((r) => r["Alertname"]), ["E2E"], `alert query ${matchers.join(" ")}`);
      }
      for (const matchers of [["alertname=Nope"], ['team=~"x.*"'], ['team!~"o.*"']]) {
        const got = parseTable((await ok(["alert", "query", ...matchers])).stdout);
        assert.deepEqual(got, [], `alert query ${matchers.join(" ")}`);
      }
      assert.equal((await alerts(["--receiver=ops"])).length, 1, "--receiver=ops");
      assert.equal((await alerts(["--receiver=o.*"])).length, 1, "--receiver regex is anchored but a regex");
      assert.equal((await alerts(["--receiver=default"])).length, 0, "--receiver=default");

      const list = await alerts();
      assert.equal(list.length, 1, JSON.stringify(list));
      const a = list[0];
      assert.ok(a);
      assert.deepEqual(a.labels, WARNING_LABELS);
      assert.deepEqual(a.annotations, { summary: "hello" });
      assert.equal(a.fingerprint, warningFp);
      assert.deepEqual(a.receivers, [{ name: "ops" }]);
      assert.deepEqual(a.status, { inhibitedBy: [], silencedBy: [], state: "active" });
      assertApiTimes(a, "alert");
      // amtool sends zero times: server sets startsAt = updatedAt = now, endsAt = now + resolve_timeout (5m).
      assert.equal(ms(a.startsAt), ms(a.updatedAt));
      assert.equal(ms(a.endsAt) - ms(a.updatedAt), 5 * 60_000);
      assert.ok(Math.abs(ms(a.startsAt) - Date.now()) < 60_000, `startsAt ${a.startsAt} is not about now`);
      assert.equal(a.generatorURL ?? "", "");
    });

    scenario("inhibition: critical hides the warning unless -i", async () => {
      await ok(["alert", "add", "alertname=E2E", "severity=critical"]);

      // Default query = active=true, inhibited=false, silenced=false: only the critical one.
      const plain = await alerts();
      assert.deepEqual(plain.map((a) => a.fingerprint), [criticalFp], JSON.stringify(plain));
      const crit = plain[0];
      assert.ok(crit);
      assert.deepEqual(crit.labels, CRITICAL_LABELS);
      assert.deepEqual(crit.receivers, [{ name: "default" }]);
      assert.deepEqual(crit.status, { inhibitedBy: [], silencedBy: [], state: "active" });
      assert.deepEqual(crit.annotations, {});
      assert.deepEqual(
        parseTable((await ok(["alert", "query"])).stdout).map((r) => [r["Alertname"], r["State"]]),
        [["E2E", "active"]],
      );

      // -i alone turns active off: only the inhibited warning remains.
      const inhibited = await alerts(["-i"]);
      assert.deepEqual(inhibited.map((a) => a.fingerprint), [warningFp], JSON.stringify(inhibited));
      assert.deepEqual(inhibited[0]?.status, { inhibitedBy: [criticalFp], silencedBy: [], state: "suppressed" });
      assert.deepEqual(
        parseTable((await ok(["alert", "query", "-i"])).stdout).map((r) => [r["Summary"], r["State"]]),
        [["hello", "suppressed"]],
      );

      // -a is the default made explicit; -a -i shows both.
      assert.deepEqual((await alerts(["-a"])).map((a) => a.fingerprint), [criticalFp]);
      const both = byFingerprint(await alerts(["-a", "-i"]));
      assert.deepEqual([...both.keys()].sort(), [criticalFp, warningFp].sort());
      assert.equal(both.get(warningFp)?.status.state, "suppressed");
      assert.equal(both.get(criticalFp)?.status.state, "active");
    });

    scenario("silence add hides alerts; -s shows them; silence query lists it", async () => {
      const add = await ok(["silence", "add", "alertname=E2E", "--comment=c", "--author=me", "--duration=1h"]);
      silenceId = add.stdout.trim();
      assert.match(silenceId, UUID, `silence add printed ${JSON.stringify(add.stdout)}`);

      assert.deepEqual(await alerts(), []);
      assert.deepEqual(parseTable((await ok(["alert", "query"])).stdout), []);

      // -s: silenced but not inhibited → only the critical one.
      const silenced = await alerts(["-s"]);
      assert.deepEqual(silenced.map((a) => a.fingerprint), [criticalFp], JSON.stringify(silenced));
      assert.deepEqual(silenced[0]?.status, { inhibitedBy: [], silencedBy: [silenceId], state: "suppressed" });

      // A silenced source still inhibits: the warning is both silenced and inhibited.
      const all = byFingerprint(await alerts(["-s", "-i"]));
      assert.deepEqual([...all.keys()].sort(), [criticalFp, warningFp].sort());
      assert.deepEqual(all.get(warningFp)?.status, { inhibitedBy: [criticalFp], silencedBy: [silenceId], state: "suppressed" });

      const rows = parseTable((await ok(["silence", "query"])).stdout);
      assert.deepEqual(
        rows.map((r) => [r["ID"], r["Matchers"], r["Created By"], r["Comment"]]),
        [[silenceId, 'alertname="E2E"', "me", "c"]],
      );
      assert.equal((await ok(["silence", "query", "-q"])).stdout.trim(), silenceId);

      const list = await silences();
      assert.equal(list.length, 1, JSON.stringify(list));
      const s = list[0];
      assert.ok(s);
      assert.equal(s.id, silenceId);
      assert.equal(s.status.state, "active");
      assert.deepEqual(s.matchers, [E2E_MATCHER]);
      assert.equal(s.createdBy, "me");
      assert.equal(s.comment, "c");
      assertApiTimes(s, "silence");
      assert.ok(Math.abs(ms(s.endsAt) - ms(s.startsAt) - HOUR_MS) < 10_000, `1h silence spans ${s.startsAt} → ${s.endsAt}`);

      // Filters compare matchers literally.
      assert.deepEqual((await silences(["alertname=E2E"])).map((x) => x.id), [silenceId]);
      assert.deepEqual(await silences(["foo=bar"]), []);
    });

    scenario("silence update keeps the id and moves endsAt", async () => {
      const [before] = await silences();
      assert.ok(before);
      // `-o json` rather than `-q`: amtool 0.25's update -q prints a Go pointer, not the id.
      const r = await ok(["-o", "json", "silence", "update", silenceId, "--duration=2h"]);
      const updated = parseJsonArray<GettableSilence>(r, "silence update");
      assert.deepEqual(updated.map((x) => x.id), [silenceId]);

      const list = await silences();
      assert.equal(list.length, 1, JSON.stringify(list));
      const s = list[0];
      assert.ok(s);
      assert.equal(s.id, silenceId, "an active silence with unchanged matchers is updated in place");
      assert.equal(s.status.state, "active");
      assert.ok(ms(s.endsAt) > ms(before.endsAt), `endsAt ${before.endsAt} → ${s.endsAt}`);
      // amtool computes endsAt = server's startsAt + duration; the server must keep startsAt.
      assert.equal(s.startsAt, before.startsAt);
      assert.equal(ms(s.endsAt) - ms(s.startsAt), 2 * HOUR_MS);
      assert.ok(ms(s.updatedAt) >= ms(before.updatedAt));

      const unknown = await amtool(["silence", "update", randomUUID(), "--duration=2h"]);
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /getSilenceNotFound/, "GET /silence/{unknown} must be 404");
    });

    scenario("silence export, expire, query --expired", async () => {
      const exported = await ok(["-o", "json", "silence", "query"]);
      assert.equal(parseJsonArray<GettableSilence>(exported, "export").length, 1);
      exportFile = join(workDir, "silences.json");
      writeFileSync(exportFile, exported.stdout);

      const expire = await ok(["silence", "expire", silenceId]);
      assert.equal(expire.stdout, "");

      assert.deepEqual(await silences(), [], "expired silences are hidden from the default query");
      const expired = await silences(["--expired"]);
      assert.deepEqual(expired.map((x) => [x.id, x.status.state]), [[silenceId, "expired"]]);
      const e = expired[0];
      assert.ok(e);
      assert.ok(ms(e.endsAt) <= Date.now() + 1_000, `expired silence endsAt ${e.endsAt} is not now`);
      assert.deepEqual(
        parseTable((await ok(["silence", "query", "--expired"])).stdout).map((r) => r["ID"]),
        [silenceId],
      );

      // The alerts come back once the silence is gone.
      assert.deepEqual((await alerts()).map((a) => a.fingerprint), [criticalFp]);

      const again = await ok(["silence", "expire", silenceId]);
      assert.equal(again.stdout, "", "expiring an expired silence is a no-op");
      const missing = await amtool(["silence", "expire", randomUUID()]);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /silence not found/);
    });

    scenario("silence import creates new silences (known expired id, and unknown id via 404 retry)", async () => {
      // Known but expired id: cannot be updated in place, so the server answers with a new id.
      const r1 = await ok(["silence", "import", exportFile]);
      const id1 = r1.stdout.trim();
      assert.match(id1, UUID, `import printed ${JSON.stringify(r1.stdout)}`);
      assert.notEqual(id1, silenceId);

      // Unknown id: POST must answer 404 (body a JSON string) so amtool retries without the id.
      // amtool exits 0 even when an import fails, so stderr is what ok() really checks here.
      const fakeId = randomUUID();
      const exported = readFileSync(exportFile, "utf8");
      const unknownFile = join(workDir, "silences-unknown-id.json");
      writeFileSync(unknownFile, exported.replaceAll(silenceId, fakeId));
      const r2 = await ok(["silence", "import", unknownFile]);
      const id2 = r2.stdout.trim();
      assert.match(id2, UUID, `import printed ${JSON.stringify(r2.stdout)}`);
      assert.notEqual(id2, fakeId);
      assert.notEqual(id2, id1);

      const original = parseJsonArray<GettableSilence>({ code: 0, stdout: exported, stderr: "" }, "export")[0];
      assert.ok(original);
      const active = await silences();
      assert.deepEqual(active.map((x) => x.id).sort(), [id1, id2].sort());
      for (const s of active) {
        assert.equal(s.status.state, "active");
        assert.deepEqual(s.matchers, [E2E_MATCHER]);
        assert.equal(s.comment, "c");
        assert.equal(s.createdBy, "me");
        assert.equal(s.endsAt, original.endsAt);
      }
      assert.deepEqual(await alerts(), []);
      assert.deepEqual((await silences(["--expired"])).map((x) => x.id), [silenceId]);
    });

    scenario("config show, config routes, cluster show", async () => {
      const show = await ok(["config", "show"]);
      assert.match(show.stdout, /^global:/m);
      assert.match(show.stdout, /^ {2}receiver: default$/m);
      assert.match(show.stdout, /^receivers:$/m);

      const status = JSON.parse((await ok(["-o", "json", "config", "show"])).stdout) as {
        cluster: { status: string; peers: unknown[] };
        config: { original: string };
        versionInfo: { version: string };
        uptime: string;
      };
      assert.match(status.config.original, /receiver: default/);
      assert.match(status.versionInfo.version, /^0\.25\./);
      assert.match(status.uptime, API_TIME);
      assert.deepEqual(status.cluster, { peers: [], status: "disabled" });

      const tree = await ok(["config", "routes"]);
      assert.match(tree.stdout, /default-route\s+receiver: default/);
      assert.match(tree.stdout, /\{team="ops"\}\s+receiver: ops/);

      assert.equal((await ok(["config", "routes", "test", "team=ops"])).stdout.trim(), "ops");
      assert.equal((await ok(["config", "routes", "test", "foo=bar"])).stdout.trim(), "default");
      await ok(["config", "routes", "test", "--verify.receivers=ops", "team=ops"]);
      const wrong = await amtool(["config", "routes", "test", "--verify.receivers=ops", "foo=bar"]);
      assert.notEqual(wrong.code, 0, "routes test --verify.receivers must fail on a mismatch");

      const cluster = await ok(["cluster", "show"]);
      assert.match(cluster.stdout, /Cluster Status:\s+disabled/);
      assert.deepEqual(JSON.parse((await ok(["-o", "json", "cluster", "show"])).stdout), { peers: [], status: "disabled" });
    });
  });
}
