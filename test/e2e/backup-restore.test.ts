// Backup and restore as an operator runs them: `alertprism backup` (a separate process) against the real
// server while it ingests alert batches and silences, then a crash, then `alertprism restore` into a fresh
// directory and into the original one. Whatever was acknowledged before the backup began must come back
// exactly; what was sent after it finished must not (a snapshot, and no old WAL replayed into it).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { SCHEMA_VERSION } from "../../src/store/migrate.ts";
import { fingerprint } from "../../src/types/labels.ts";
import { makeTempDir, REPO_ROOT, startAlertPrism, type GettableAlert, type RunningServer } from "./harness.ts";

type Server = RunningServer & { dbPath: string };

const CONFIG_YAML = `
route:
  receiver: default
receivers:
  - name: default
`;
const MAIN = join(REPO_ROOT, "src", "main.ts");
const CLI_TIMEOUT_MS = 60_000;
const LOADERS = 3;
const BATCH = 20;
const STARTS_AT = "2026-01-01T00:00:00.000Z";
const ENDS_AT = "2099-01-01T00:00:00.000Z";

interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

interface GettableSilence {
  id: string;
  status: { state: string };
  updatedAt: string;
  comment: string;
  createdBy: string;
  startsAt: string;
  endsAt: string;
  matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual: boolean }>;
}

/** One acknowledged write: when it was sent and when its 200 came back. */
interface Acked {
  sentAt: number;
  ackedAt: number;
  alerts: PostableAlert[];
  silence?: { id: string; comment: string };
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as its own process (asynchronously, so the load in this process carries on). */
function cli(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), CLI_TIMEOUT_MS);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function post(url: string, body: unknown): Promise<string> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `POST ${url} → ${res.status}: ${text}`);
  return text;
}

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(20_000) });
  assert.equal(res.status, 200, `GET ${url} → ${res.status}`);
  return (await res.json()) as T;
}

/** Writers that keep posting alert batches (every one new) and silences until stopped. */
function startLoad(server: Server): { acked: Acked[]; stop(): Promise<void> } {
  const acked: Acked[] = [];
  let running = true;
  let seq = 0;
  const loop = async (loader: number): Promise<void> => {
    for (let round = 0; running; round++) {
      const n = seq++;
      const alerts: PostableAlert[] = Array.from({ length: BATCH }, (_, i) => ({
        labels: { alertname: "BackupLoad", batch: String(n), i: String(i), loader: String(loader) },
        annotations: { summary: `batch ${n} alert ${i}`, note: "ünïcode ✓" },
        startsAt: STARTS_AT,
        endsAt: ENDS_AT,
        generatorURL: `http://prometheus.example/graph?batch=${n}&i=${i}`,
      }));
      let sentAt = Date.now();
      await post(`${server.url}/api/v2/alerts`, alerts);
      acked.push({ sentAt, ackedAt: Date.now(), alerts });
      if (round % 2 === 0) {
        // Matches no alert (no such label), so silences never change the alerts' status.
        const comment = `silence for batch ${n}`;
        sentAt = Date.now();
        const { silenceID } = JSON.parse(
          await post(`${server.url}/api/v2/silences`, {
            matchers: [{ name: "silenced_batch", value: String(n), isRegex: false, isEqual: true }],
            startsAt: STARTS_AT,
            endsAt: ENDS_AT,
            createdBy: `loader-${loader}`,
            comment,
          }),
        ) as { silenceID: string };
        acked.push({ sentAt, ackedAt: Date.now(), alerts: [], silence: { id: silenceID, comment } });
      }
    }
  };
  const loops = Array.from({ length: LOADERS }, (_, i) => loop(i));
  return {
    acked,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function waitUntil(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface State {
  alerts: Map<string, GettableAlert>;
  silences: Map<string, GettableSilence>;
}

async function state(server: Server): Promise<State> {
  const alerts = await get<GettableAlert[]>(`${server.url}/api/v2/alerts`);
  const silences = await get<GettableSilence[]>(`${server.url}/api/v2/silences`);
  return { alerts: new Map(alerts.map((a) => [a.fingerprint, a])), silences: new Map(silences.map((s) => [s.id, s])) };
}

/**
 * Everything acknowledged before the backup began is in `restored`, field for field as the original
 * instance listed it (and as it was posted); nothing whose request started after the backup ended is.
 */
function assertRestored(restored: State, original: State, acked: Acked[], backupBegan: number, backupEnded: number): void {
  const before = acked.filter((a) => a.ackedAt < backupBegan);
  const after = acked.filter((a) => a.sentAt > backupEnded);
  assert.ok(before.some((a) => a.silence) && before.some((a) => a.alerts.length > 0), "load before the backup");
  assert.ok(after.some((a) => a.silence) && after.some((a) => a.alerts.length > 0), "load after the backup");
  for (const w of before) {
    for (const a of w.alerts) {
      const fp = fingerprint(a.labels);
      const got = restored.alerts.get(fp);
      assert.ok(got, `alert ${JSON.stringify(a.labels)} acknowledged before the backup is missing`);
      assert.deepEqual(got, original.alerts.get(fp), `alert ${fp} differs from the original instance's`);
      assert.deepEqual(
        { labels: got.labels, annotations: got.annotations, startsAt: got.startsAt, endsAt: got.endsAt, generatorURL: got.generatorURL },
        a,
      );
    }
    if (w.silence) {
      const got = restored.silences.get(w.silence.id);
      assert.ok(got, `silence ${w.silence.id} acknowledged before the backup is missing`);
      assert.deepEqual(got, original.silences.get(w.silence.id));
      assert.equal(got.comment, w.silence.comment);
    }
  }
  for (const w of after) {
    for (const a of w.alerts) assert.equal(restored.alerts.has(fingerprint(a.labels)), false, `alert posted after the backup is present: ${JSON.stringify(a.labels)}`);
    if (w.silence) assert.equal(restored.silences.has(w.silence.id), false, `silence created after the backup is present: ${w.silence.id}`);
  }
}

function integrity(dbFile: string): string {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.pragma("integrity_check", { simple: true }) as string;
  } finally {
    db.close();
  }
}

/** The file's bytes with the root page of `table` overwritten: a corruption integrity_check cannot miss. */
function withGarbageRootPage(file: string, table: string): Buffer {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = ?").get(table) as { rootpage: number };
  const pageSize = db.pragma("page_size", { simple: true }) as number;
  db.close();
  const bytes = readFileSync(file);
  bytes.fill(0xa5, (rootpage - 1) * pageSize, rootpage * pageSize);
  return bytes;
}

/** Names, sizes and contents of a directory's files: a refused restore must leave them as they were. */
function snapshotDir(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n)).toString("base64")]));
}

describe("alertprism backup / restore", () => {
  it("backs up under load, and restores it after a crash into a fresh and into the original directory", { timeout: 240_000 }, async () => {
    const original = await startAlertPrism({ configYaml: CONFIG_YAML });
    const dataDir = dirname(original.dbPath);
    const backupFile = join(makeTempDir("backup-files"), "alertprism-backup.db");
    let load: ReturnType<typeof startLoad> | undefined;
    try {
      load = startLoad(original);
      const acked = load.acked;
      await waitUntil(() => acked.filter((a) => a.silence).length >= 6, "load to warm up");

      const backupBegan = Date.now();
      const backup = await cli(["backup", `--storage.path=${dataDir}`, backupFile]);
      const backupEnded = Date.now();
      assert.equal(backup.code, 0, backup.stderr);
      assert.match(backup.stdout, new RegExp(`written to .*alertprism-backup\\.db: \\d+ bytes, schema version ${SCHEMA_VERSION}, integrity ok`));
      assert.ok(acked.some((a) => a.ackedAt > backupBegan && a.ackedAt < backupEnded), "writes were acknowledged while the backup ran");
      const ackedAtEnd = acked.length;
      await waitUntil(() => acked.length >= ackedAtEnd + 6 && acked.slice(ackedAtEnd).some((a) => a.silence && a.sentAt > backupEnded), "load after the backup");

      // A second backup to the same name is refused (and leaves the first alone); --force replaces it.
      const firstBytes = readFileSync(backupFile);
      const again = await cli(["backup", `--storage.path=${dataDir}`, backupFile]);
      assert.equal(again.code, 3);
      assert.match(again.stderr, /^alertprism backup: .*alertprism-backup\.db exists; pass --force to replace it\n$/);
      assert.deepEqual(readFileSync(backupFile), firstBytes);

      await load.stop();
      const finalState = await state(original);
      // A crash leaves the commits after the backup in the -wal: restore must not let them leak back.
      await original.kill9();
      assert.ok(existsSync(`${original.dbPath}-wal`));
      assert.equal(integrity(backupFile), "ok");

      // 1. Into a fresh directory.
      const freshDir = join(makeTempDir("restored"), "data");
      const intoFresh = await cli(["restore", `--storage.path=${freshDir}`, backupFile]);
      assert.equal(intoFresh.code, 0, intoFresh.stderr);
      assert.match(intoFresh.stdout, /integrity ok; there was no previous database\n$/);
      const fresh = await startAlertPrism({ configYaml: CONFIG_YAML, dbPath: join(freshDir, "alertprism.db") });
      try {
        assertRestored(await state(fresh), finalState, acked, backupBegan, backupEnded);

        // Restore against a running instance is refused, and nothing changes.
        const freshFiles = readdirSync(freshDir).sort();
        const refused = await cli(["restore", `--storage.path=${freshDir}`, backupFile]);
        assert.equal(refused.code, 3);
        assert.match(refused.stderr, /^alertprism restore: the database .*alertprism\.db is in use \(is AlertPrism running\?\): stop it and run restore again; nothing was changed\n$/);
        assert.deepEqual(readdirSync(freshDir).sort(), freshFiles);
        await post(`${fresh.url}/api/v2/alerts`, [{ labels: { alertname: "StillWritable" } }]);
      } finally {
        await fresh.stop();
      }
      assert.equal(integrity(join(freshDir, "alertprism.db")), "ok");

      // 2. Bad backup files are refused before anything is touched (instance stopped).
      const bad = makeTempDir("bad-backups");
      const truncated = join(bad, "truncated.db");
      copyFileSync(backupFile, truncated);
      truncateSync(truncated, Math.floor(statSync(truncated).size / 2));
      const corrupt = join(bad, "corrupt.db");
      writeFileSync(corrupt, withGarbageRootPage(backupFile, "series"));
      const newer = join(bad, "newer.db");
      copyFileSync(backupFile, newer);
      const n = new Database(newer);
      n.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      n.close();
      const crashedFiles = snapshotDir(dataDir);
      const cases: Array<[string, RegExp]> = [
        [truncated, /truncated\.db (is not a readable SQLite database|failed the integrity check)/],
        [corrupt, /corrupt\.db (is not a readable SQLite database|failed the integrity check)/],
        [newer, new RegExp(`newer\\.db has schema version ${SCHEMA_VERSION + 1}, newer than this AlertPrism understands \\(${SCHEMA_VERSION}\\): use the AlertPrism version that wrote it, or a newer one`)],
      ];
      const results = await Promise.all(cases.map(([file]) => cli(["restore", `--storage.path=${dataDir}`, file])));
      cases.forEach(([file, message], i) => {
        const r = results[i]!;
        assert.equal(r.code, 1, `${file}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /^alertprism restore: [^\n]+\n$/);
        assert.match(r.stderr, message);
      });
      assert.deepEqual(snapshotDir(dataDir), crashedFiles);

      // 3. Into the original directory, which the crash left with a -wal full of later commits.
      const intoOriginal = await cli(["restore", `--storage.path=${dataDir}`, backupFile]);
      assert.equal(intoOriginal.code, 0, intoOriginal.stderr);
      const kept = /the previous database was kept as (.*alertprism\.db\.replaced-\d{8}T\d{6}Z)\n$/.exec(intoOriginal.stdout)?.[1];
      assert.ok(kept, intoOriginal.stdout);
      assert.deepEqual(readdirSync(dataDir).sort(), ["alertprism.db", `alertprism.db.replaced-${kept.split(".replaced-")[1]}`]);
      // The replaced database is complete on its own: its WAL went into it, so the last alert is there.
      const last = acked.filter((a) => a.alerts.length > 0).at(-1)!.alerts.at(-1)!;
      const keptDb = new Database(kept, { readonly: true, fileMustExist: true });
      assert.equal(keptDb.pragma("integrity_check", { simple: true }), "ok");
      const row = keptDb.prepare("SELECT COUNT(*) AS n FROM alerts JOIN series ON series.id = alerts.series_id WHERE series.fingerprint = ?").get(fingerprint(last.labels)) as { n: number };
      keptDb.close();
      assert.equal(row.n, 1, "the replaced database holds the commits its WAL had");

      const restarted = await startAlertPrism({ configYaml: CONFIG_YAML, dbPath: original.dbPath });
      try {
        assertRestored(await state(restarted), finalState, acked, backupBegan, backupEnded);
      } finally {
        await restarted.stop();
      }
      assert.equal(integrity(original.dbPath), "ok");
    } finally {
      await load?.stop();
      await original.stop();
    }
  });
});
