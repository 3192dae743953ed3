// Durability across restarts: whatever POST/DELETE acknowledged with 200 must be back, unchanged, after
// kill -9 (crash) and after SIGTERM (graceful stop), reading the same SQLite file.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { fingerprint } from "../../src/types/labels.ts";
import { startAlertPrism, type GettableAlert } from "./harness.ts";
import type { RunningServer } from "./harness.ts";

const CONFIG_YAML = `
route:
  receiver: default
receivers:
  - name: default
`;

const HOUR_MS = 3_600_000;
const RESOLVE_TIMEOUT_MS = 5 * 60_000; // Alertmanager's default global.resolve_timeout
const API_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$/;
// Past starts and far-future ends, each in its own offset and precision, as a client may send them.
const PAST_START_NANOS = "2026-01-01T00:00:00.123456789+02:00";
const FAR_END_NANOS = "2099-12-31T23:59:59.987654321-05:00";
const PAST_START_NO_FRACTION = "2026-11-01T10:20:30+05:30";
const PAST_START_ONE_DIGIT = "2026-06-15T12:00:00.5Z";
const FAR_END_WIDE_OFFSET = "2030-01-01T00:00:00.000000001+14:00";

type Server = RunningServer & { dbPath: string };

interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

interface GettableSilence {
  id: string;
  status: { state: string };
  updatedAt: string;
  comment: string;
  createdBy: string;
  startsAt: string;
  endsAt: string;
  matchers: SilenceMatcher[];
}

interface Snapshot {
  alerts: GettableAlert[];
  silences: GettableSilence[];
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

async function request(method: string, url: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, text: await res.text() };
}

async function ok(method: string, url: string, body?: unknown): Promise<string> {
  const r = await request(method, url, body);
  assert.equal(r.status, 200, `${method} ${url} → ${r.status}: ${r.text}`);
  return r.text;
}

async function snapshot(s: Server): Promise<Snapshot> {
  return {
    alerts: JSON.parse(await ok("GET", `${s.url}/api/v2/alerts`)) as GettableAlert[],
    silences: JSON.parse(await ok("GET", `${s.url}/api/v2/silences`)) as GettableSilence[],
  };
}

async function postSilence(s: Server, body: Omit<GettableSilence, "id" | "status" | "updatedAt">): Promise<string> {
  const { silenceID } = JSON.parse(await ok("POST", `${s.url}/api/v2/silences`, body)) as { silenceID: string };
  return silenceID;
}

// ---------------------------------------------------------------------------------------------
// Time formatting

/** RFC 3339 wall time of `ms` in a fixed offset, with extra fraction digits after the milliseconds. */
function timeAt(ms: number, offsetMinutes: number, extraDigits = ""): string {
  const wall = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1); // drop the "Z"
  if (offsetMinutes === 0) return `${wall}${extraDigits}Z`;
  const abs = Math.abs(offsetMinutes);
  const zone = `${offsetMinutes < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  return `${wall}${extraDigits}${zone}`;
}

/** How the API renders a client's time: same offset, fraction truncated to exactly 3 digits. */
function apiTime(input: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(input);
  assert.ok(m, `test bug: ${input} is not an RFC 3339 time this helper handles`);
  return `${m[1]}.${(m[2] ?? "").padEnd(3, "0").slice(0, 3)}${m[3]}`;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/** 200 alerts in five shapes; every seventh matches the active silence. */
function mixedAlerts(): PostableAlert[] {
  const out: PostableAlert[] = [];
  for (let i = 0; i < 200; i++) {
    const labels: Record<string, string> = { alertname: "RestartProbe", idx: String(i).padStart(3, "0"), class: `c${i % 5}` };
    if (i % 7 === 0) labels.mute = "yes";
    const a: PostableAlert = { labels };
    switch (i % 5) {
      case 0:
        Object.assign(a, {
          startsAt: PAST_START_NANOS,
          endsAt: FAR_END_NANOS,
          annotations: { summary: `probe ${i}`, note: "café ✓ \"quoted\"" },
          generatorURL: `http://prometheus.example:9090/graph?g0.expr=up%7Bi%3D%22${i}%22%7D`,
        });
        break;
      case 1:
        break; // no times at all: startsAt = now, endsAt = now + resolve_timeout
      case 2:
        Object.assign(a, { startsAt: PAST_START_NO_FRACTION, annotations: { summary: `no end ${i}` } });
        break;
      case 3:
        Object.assign(a, { startsAt: PAST_START_ONE_DIGIT, endsAt: FAR_END_WIDE_OFFSET, generatorURL: "/relative/path" });
        break;
      default:
        // An empty-valued label is dropped before fingerprinting.
        Object.assign(a, { labels: { ...labels, dropped: "" }, annotations: { runbook: "https://runbooks.example/x" } });
    }
    out.push(a);
  }
  return out;
}

/** Alerts with fully explicit times, so their listing can be derived from the request alone. */
function explicitAlerts(tag: string, n: number): PostableAlert[] {
  return Array.from({ length: n }, (_, i) => ({
    labels: { alertname: "RestartTail", tag, n: String(i), ...(i % 4 === 0 ? { mute: "yes" } : {}) },
    annotations: { summary: `${tag} ${i}` },
    startsAt: i % 2 === 0 ? PAST_START_NANOS : "2026-03-03T03:03:03.000999999-03:30",
    endsAt: i % 2 === 0 ? FAR_END_NANOS : "2098-02-02T02:02:02.2+01:00",
    generatorURL: `http://gen.example/${tag}/${i}`,
  }));
}

/** The listing entry AlertPrism must show for an explicit alert; updatedAt is checked separately. */
function expectedListing(a: PostableAlert, silencedBy: string[]): Omit<GettableAlert, "updatedAt"> {
  assert.ok(a.startsAt !== undefined && a.endsAt !== undefined && a.generatorURL !== undefined);
  const muted = a.labels.mute === "yes";
  return {
    annotations: a.annotations ?? {},
    endsAt: apiTime(a.endsAt),
    fingerprint: fingerprint(a.labels),
    receivers: [{ name: "default" }],
    startsAt: apiTime(a.startsAt),
    status: { inhibitedBy: [], silencedBy: muted ? silencedBy : [], state: muted ? "suppressed" : "active" },
    generatorURL: a.generatorURL,
    labels: a.labels,
  };
}

// ---------------------------------------------------------------------------------------------
// Assertions

/**
 * After a restart: everything of `before` unchanged (full objects, so updatedAt too), plus the alerts of
 * the last POST (sent after `before` was taken, then the process went down at once) as derived from the
 * request, and nothing else.
 */
function assertRestored(after: Snapshot, before: Snapshot, lastPost: PostableAlert[], postedBetween: [number, number], activeSilenceId: string): void {
  assert.deepEqual(after.silences, before.silences, "silences changed across the restart");
  const byFp = new Map(after.alerts.map((a) => [a.fingerprint, a]));
  const missing = before.alerts.filter((a) => !byFp.has(a.fingerprint)).map((a) => a.fingerprint);
  assert.deepEqual(missing, [], `alerts lost across the restart (${missing.length} of ${before.alerts.length})`);
  for (const b of before.alerts) assert.deepEqual(byFp.get(b.fingerprint), b, `alert ${b.fingerprint} changed across the restart`);

  const tailFps = new Set<string>();
  for (const a of lastPost) {
    const want = expectedListing(a, [activeSilenceId]);
    tailFps.add(want.fingerprint);
    const got = byFp.get(want.fingerprint);
    assert.ok(got, `alert ${JSON.stringify(a.labels)} of the last acknowledged POST was lost`);
    const { updatedAt, ...rest } = got;
    assert.deepEqual(rest, want, `alert ${want.fingerprint} of the last POST`);
    assert.match(updatedAt, API_TIME);
    // The API truncates to ms, so compare at ms precision.
    const u = Date.parse(updatedAt);
    assert.ok(u >= postedBetween[0] && u <= postedBetween[1], `updatedAt ${updatedAt} outside the POST window`);
  }
  assert.equal(after.alerts.length, before.alerts.length + tailFps.size, "unexpected extra alerts after the restart");
}

/** Client times are stored verbatim (offset and nanoseconds), not just as the API's milliseconds. */
function assertStoredVerbatim(dbPath: string, alerts: PostableAlert[]): void {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    // The table is keyed by fingerprint or, in the newer layout, by a series id resolved through `series`.
    const keyedByFingerprint = (db.pragma("table_info(alerts)") as Array<{ name: string }>).some((c) => c.name === "fingerprint");
    const row = db.prepare(
      keyedByFingerprint
        ? "SELECT starts_at, ends_at FROM alerts WHERE fingerprint = ?"
        : "SELECT a.starts_at, a.ends_at FROM alerts a JOIN series s ON s.id = a.series_id WHERE s.fingerprint = ?",
    );
    for (const a of alerts) {
      const got = row.get(fingerprint(a.labels)) as { starts_at: string; ends_at: string } | undefined;
      assert.ok(got, `no row for ${JSON.stringify(a.labels)}`);
      assert.deepEqual(got, { starts_at: a.startsAt, ends_at: a.endsAt }, `stored times of ${JSON.stringify(a.labels)}`);
    }
  } finally {
    db.close();
  }
}

function withLogs(servers: () => Array<RunningServer | undefined>, fn: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await fn();
    } catch (err) {
      if (err instanceof Error) {
        for (const [i, s] of servers().entries()) {
          const l = s?.logs() ?? "";
          err.message += `\n--- alertprism run ${i + 1} logs (tail) ---\n${l.length > 4_000 ? `[...]\n${l.slice(-4_000)}` : l}`;
        }
      }
      throw err;
    }
  };
}

// ---------------------------------------------------------------------------------------------

describe("restart durability", { timeout: 90_000 }, () => {
  const runs: Server[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of runs) await s.kill9();
  };

  it(
    "kill -9, then SIGTERM: alerts and silences come back identical",
    withLogs(() => runs, async () => {
      try {
        const first = await startAlertPrism({ configYaml: CONFIG_YAML });
        runs.push(first);
        const t0 = Date.now();

        // Silences: active (mutes mute="yes"), pending (starts in an hour), and one expired by DELETE.
        const activeId = await postSilence(first, {
          matchers: [{ name: "mute", value: "yes", isRegex: false, isEqual: true }],
          startsAt: timeAt(t0 - 60_000, 0),
          endsAt: timeAt(t0 + 2 * HOUR_MS, 330, "123456"),
          createdBy: "restart-test",
          comment: "active ✓ café",
        });
        const pendingId = await postSilence(first, {
          matchers: [
            { name: "alertname", value: "Restart.*", isRegex: true, isEqual: true },
            { name: "idx", value: "000", isRegex: false, isEqual: false },
          ],
          startsAt: timeAt(t0 + HOUR_MS, -420, "000001"),
          endsAt: timeAt(t0 + 3 * HOUR_MS, -420),
          createdBy: "restart-test",
          comment: "pending",
        });
        const expiredId = await postSilence(first, {
          matchers: [{ name: "class", value: "c1", isRegex: false, isEqual: true }],
          startsAt: timeAt(t0, 0),
          endsAt: timeAt(t0 + HOUR_MS, 0),
          createdBy: "restart-test",
          comment: "expire me",
        });
        await ok("DELETE", `${first.url}/api/v2/silence/${expiredId}`);

        const mixed = mixedAlerts();
        await ok("POST", `${first.url}/api/v2/alerts`, mixed);
        const before = await snapshot(first);
        // The fixtures must produce what the comparison relies on, or "identical" proves little.
        assert.equal(before.alerts.length, 200);
        assert.deepEqual(
          Object.fromEntries(before.silences.map((s) => [s.id, s.status.state])),
          { [activeId]: "active", [pendingId]: "pending", [expiredId]: "expired" },
        );
        assert.equal(before.alerts.filter((a) => a.status.silencedBy.includes(activeId)).length, 29);
        const sample = before.alerts.find((a) => a.labels.idx === "000");
        assert.equal(sample?.startsAt, "2026-01-01T00:00:00.123+02:00", "client offset kept, ms in the API");

        // The last write: acknowledged, then the process dies at once (no request, no sleep in between).
        const tail1 = explicitAlerts("kill9", 20);
        const p0 = Date.now();
        await ok("POST", `${first.url}/api/v2/alerts`, tail1);
        await first.kill9();
        const p1 = Date.now();

        const second = await startAlertPrism({ configYaml: CONFIG_YAML, dbPath: first.dbPath });
        runs.push(second);
        const afterCrash = await snapshot(second);
        assertRestored(afterCrash, before, tail1, [p0 - 1, p1], activeId);
        assertStoredVerbatim(second.dbPath, [...mixed.filter((a) => a.endsAt !== undefined && a.startsAt !== undefined), ...tail1]);

        // Same again with a graceful stop right after the last acknowledged POST.
        const tail2 = explicitAlerts("sigterm", 20);
        const q0 = Date.now();
        await ok("POST", `${second.url}/api/v2/alerts`, tail2);
        await second.stop();
        const q1 = Date.now();
        // The harness falls back to SIGKILL after 5 s; the app logs "stopped" only if it shut down itself.
        assert.match(second.logs(), /msg=stopped/, "SIGTERM did not lead to a clean shutdown");

        const third = await startAlertPrism({ configYaml: CONFIG_YAML, dbPath: first.dbPath });
        runs.push(third);
        const afterStop = await snapshot(third);
        assertRestored(afterStop, afterCrash, tail2, [q0 - 1, q1], activeId);
        assertStoredVerbatim(third.dbPath, tail2);

        // Hidden state too: whether endsAt came from resolve_timeout decides a later merge. Re-post an
        // explicit-end alert and a timeout-end alert with an earlier explicit end: only the latter may shrink.
        const explicitEnd = mixed[0];
        const timeoutEnd = mixed[1];
        assert.ok(explicitEnd?.endsAt !== undefined && timeoutEnd !== undefined && timeoutEnd.endsAt === undefined);
        const soon = timeAt(Date.now() + 60_000, 0);
        await ok("POST", `${third.url}/api/v2/alerts`, [
          { labels: explicitEnd.labels, endsAt: soon },
          { labels: timeoutEnd.labels, endsAt: soon },
        ]);
        const merged = new Map((await snapshot(third)).alerts.map((a) => [a.fingerprint, a]));
        assert.equal(merged.get(fingerprint(explicitEnd.labels))?.endsAt, apiTime(explicitEnd.endsAt), "an explicit endsAt must not be shortened by a re-post");
        assert.equal(merged.get(fingerprint(timeoutEnd.labels))?.endsAt, apiTime(soon), "a resolve_timeout endsAt must yield to an explicit one");
        assert.ok(Date.now() - t0 < RESOLVE_TIMEOUT_MS, "test bug: ran past resolve_timeout, timeout-derived ends would have passed");
      } finally {
        await stopAll();
      }
    }),
  );

  it(
    "20 concurrent POSTs of 64 alerts, kill -9 once all answered: all 1280 alerts come back",
    withLogs(() => runs, async () => {
      runs.length = 0;
      try {
        const first = await startAlertPrism({ configYaml: CONFIG_YAML });
        runs.push(first);
        const batches: PostableAlert[][] = Array.from({ length: 20 }, (_, r) =>
          Array.from({ length: 64 }, (_, j) => ({
            labels: { alertname: "Concurrent", req: String(r), n: String(j) },
            annotations: { summary: `request ${r} alert ${j}` },
            startsAt: `2026-02-${String((r % 28) + 1).padStart(2, "0")}T01:02:03.${String(j).padStart(9, "0")}+09:00`,
            // Even ones with an explicit end, odd ones left to resolve_timeout.
            ...(j % 2 === 0 ? { endsAt: FAR_END_NANOS } : {}),
          })),
        );
        const t0 = Date.now();
        const answers = await Promise.all(batches.map((b) => request("POST", `${first.url}/api/v2/alerts`, b)));
        await first.kill9();
        const t1 = Date.now();
        assert.deepEqual(
          answers.map((a) => a.status),
          answers.map(() => 200),
          `answers: ${JSON.stringify(answers.filter((a) => a.status !== 200).slice(0, 3))}`,
        );

        const second = await startAlertPrism({ configYaml: CONFIG_YAML, dbPath: first.dbPath });
        runs.push(second);
        const { alerts } = await snapshot(second);
        const byFp = new Map(alerts.map((a) => [a.fingerprint, a]));
        const posted = batches.flat();
        const lost = posted.filter((a) => !byFp.has(fingerprint(a.labels)));
        assert.equal(lost.length, 0, `${lost.length} of 1280 acknowledged alerts lost, e.g. ${JSON.stringify(lost.slice(0, 3).map((a) => a.labels))}`);
        assert.equal(alerts.length, 1280);
        for (const a of posted) {
          const got = byFp.get(fingerprint(a.labels));
          assert.ok(got && a.startsAt);
          assert.deepEqual(got.labels, a.labels);
          assert.deepEqual(got.annotations, a.annotations);
          assert.equal(got.startsAt, apiTime(a.startsAt));
          if (a.endsAt !== undefined) {
            assert.equal(got.endsAt, apiTime(a.endsAt));
          } else {
            const end = Date.parse(got.endsAt);
            assert.ok(end >= t0 - 1 + RESOLVE_TIMEOUT_MS && end <= t1 + RESOLVE_TIMEOUT_MS, `timeout-derived endsAt ${got.endsAt} out of range`);
          }
        }
      } finally {
        await stopAll();
      }
    }),
  );
  it(
    "kill -9 after a re-send that only moved endsAt (not yet written): restored firing, at least half the horizon ahead",
    withLogs(() => runs, async () => {
      runs.length = 0;
      try {
        const first = await startAlertPrism({ configYaml: CONFIG_YAML });
        runs.push(first);
        // As Prometheus sends a firing alert: the same startsAt, endsAt 4 minutes after each evaluation.
        const labels = { alertname: "RefreshedOnly", instance: "a" };
        const startsAt = new Date(Date.now() - 60_000).toISOString();
        const firstEnd = new Date(Date.now() + 4 * 60_000).toISOString();
        await ok("POST", `${first.url}/api/v2/alerts`, [{ labels, startsAt, endsAt: firstEnd }]);
        const laterEnd = new Date(Date.now() + 4 * 60_000 + 30_000).toISOString();
        await ok("POST", `${first.url}/api/v2/alerts`, [{ labels, startsAt, endsAt: laterEnd }]);
        const live = (await snapshot(first)).alerts.find((a) => a.fingerprint === fingerprint(labels));
        assert.equal(live?.endsAt, laterEnd, "the re-send is live in memory");
        await first.kill9();
        const crashedAt = Date.now();

        const second = await startAlertPrism({ configYaml: CONFIG_YAML, dbPath: first.dbPath });
        runs.push(second);
        const restored = (await snapshot(second)).alerts.find((a) => a.fingerprint === fingerprint(labels));
        assert.ok(restored, "the alert is back");
        assert.equal(restored.status.state, "active");
        assert.equal(restored.startsAt, startsAt);
        // The unwritten re-send is gone; the stored endsAt is the one written, still > 2 minutes ahead.
        assert.equal(restored.endsAt, firstEnd);
        assert.ok(Date.parse(restored.endsAt) - crashedAt >= 2 * 60_000, `endsAt ${restored.endsAt} too close to the crash`);
        // The next re-send carries on as before.
        await ok("POST", `${second.url}/api/v2/alerts`, [{ labels, startsAt, endsAt: laterEnd }]);
        const after = (await snapshot(second)).alerts.find((a) => a.fingerprint === fingerprint(labels));
        assert.equal(after?.endsAt, laterEnd);
      } finally {
        await stopAll();
      }
    }),
  );
});
