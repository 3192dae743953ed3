// The filesystem under a running AlertPrism turns read-only, the way Linux does it: an ext4 volume mounted
// errors=remount-ro hits an error (here /sys/fs/ext4/<dev>/trigger_fs_error, the kernel's own error path:
// the journal aborts and the volume goes read-only under the open files). The volume is a loop-mounted
// image inside a private mount namespace that lives and dies with the process, so nothing shows on the
// host. Needs root (mount, loop devices, sysfs): it fails, never skips, without.
//
// A mount cannot be made read-only by `mount -o remount,ro` while a process holds files open for writing
// (EBUSY), and since Linux 6.x an ext4 volume in this emergency read-only state refuses `remount,rw`: the
// way back is to stop the process, check the volume, mount it again and start. So this test drives the
// read-only phase on the live process, then the operator's way back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { ALERTPRISM_DB_FILE, makeTempDir, requireBinary, sleep, startAlertPrism, type RunningServer } from "./harness.ts";

const CONFIG = "route:\n  receiver: default\nreceivers:\n  - name: default\n";
// Names the volume and what to do; the detail (SQLite's I/O error or the failed WAL flush) comes after.
const READ_ONLY = /^storage read-only: the file system holding \/\S+ is read-only \(EROFS\); .+; the write was not stored; if the kernel remounted the volume read-only .* check the volume and mount it read-write/;

/** sh -c: mounts the image on the directory (in the namespace unshare made) and becomes AlertPrism. */
const MOUNT_VOLUME = `set -eu
img=$1; dir=$2; shift 2
mount -o loop,errors=remount-ro "$img" "$dir"
exec "$@"`;

function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(requireBinary(cmd), args, { encoding: "utf8", timeout: 20_000 });
  assert.ok(r.status === 0, `${cmd} ${args.join(" ")}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** The block device mounted on `dir` in the mount namespace of `pid`. */
function deviceOf(pid: number, dir: string): string {
  for (const line of readFileSync(`/proc/${pid}/mountinfo`, "utf8").split("\n")) {
    const f = line.split(" ");
    const sep = f.indexOf("-");
    if (f[4] === dir && sep > 0) return f[sep + 2]!;
  }
  throw new Error(`nothing is mounted on ${dir} in the namespace of ${pid}`);
}

/** Waits until no loop device is attached to `img` (the namespace's mount goes when its process does). */
async function loopReleased(img: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (run("losetup", ["-j", img]).trim() === "") return;
    await sleep(100);
  }
  throw new Error(`a loop device still holds ${img}`);
}

async function call(s: RunningServer, method: string, path: string, body?: unknown) {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const alert = (name: string, summary: string) => ({ labels: { alertname: name, team: "ops" }, annotations: { summary }, startsAt: inMs(-60_000), endsAt: inMs(3_600_000) });
const silence = (comment: string) => ({ matchers: [{ name: "alertname", value: "A", isRegex: false, isEqual: true }], startsAt: inMs(0), endsAt: inMs(3_600_000), createdBy: "e2e", comment });

/** What the APIs show: alerts (name → summary), silences (comments), acks (alert name → comment) and fingerprints. */
async function state(s: RunningServer) {
  const alerts = (await call(s, "GET", "/api/v2/alerts")).json as Array<{ labels: { alertname: string }; annotations: { summary: string }; fingerprint: string }>;
  const silences = (await call(s, "GET", "/api/v2/silences")).json as Array<{ comment: string }>;
  const now = (await call(s, "GET", "/api/ops/v1/alerts/now")).json as { groups: Array<{ alerts: Array<{ labels: { alertname: string }; ack: { comment: string } | null }> }> };
  return {
    alerts: Object.fromEntries(alerts.map((a) => [a.labels.alertname, a.annotations.summary])),
    silences: silences.map((x) => x.comment).sort(),
    acks: Object.fromEntries(now.groups.flatMap((g) => g.alerts).filter((a) => a.ack !== null).map((a) => [a.labels.alertname, a.ack!.comment])),
    fingerprints: Object.fromEntries(alerts.map((a) => [a.labels.alertname, a.fingerprint])),
  };
}

function metric(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  assert.ok(line, `${series} is exposed`);
  return Number(line.split(" ")[1]);
}

test("the volume turns read-only under the running process: writes 503 naming it, reads and health go on, nothing half-written, back after the operator's repair", { timeout: 90_000 }, async (t) => {
  assert.equal(process.getuid?.(), 0, "this test mounts a loop-device ext4 volume in a mount namespace: run it as root (CI does)");
  const unshare = requireBinary("unshare");
  const tmp = makeTempDir("readonly-volume");
  const img = join(tmp, "volume.ext4");
  writeFileSync(img, "");
  run("truncate", ["-s", "64M", img]);
  run("mkfs.ext4", ["-q", "-F", img]);
  const dataDir = join(tmp, "data");
  mkdirSync(dataDir);
  const start = () => startAlertPrism({ configYaml: CONFIG, dbPath: join(dataDir, ALERTPRISM_DB_FILE), wrap: [unshare, "--mount", "--propagation", "private", "sh", "-c", MOUNT_VOLUME, "sh", img, dataDir] });

  let s = await start();
  t.after(() => s.kill9());
  assert.equal((await call(s, "POST", "/api/v2/alerts", [alert("A", "one"), alert("B", "one")])).status, 200);
  assert.equal((await call(s, "POST", "/api/v2/silences", silence("before"))).status, 200);
  const fingerprints = (await state(s)).fingerprints;
  const fpA = fingerprints.A!;
  const fpB = fingerprints.B!;
  assert.equal((await call(s, "POST", `/api/ops/v1/alerts/${fpA}/ack`, { comment: "before" })).status, 200);
  const before = await state(s);
  assert.deepEqual(before.acks, { A: "before" });

  // The kernel's error path: journal aborted, volume read-only under AlertPrism's open files.
  const device = deviceOf(s.pid, dataDir).replace(/^\/dev\//, "");
  writeFileSync(`/sys/fs/ext4/${device}/trigger_fs_error`, "storage-readonly e2e test");
  const probe = spawnSync(requireBinary("nsenter"), ["--target", String(s.pid), "--mount", "touch", join(dataDir, "probe")], { encoding: "utf8" });
  assert.match(probe.stderr, /Read-only file system/, "the volume is read-only in AlertPrism's namespace");

  await t.test("writes answer 503 saying storage is read-only, in each endpoint's shape", async () => {
    const a = await call(s, "POST", "/api/v2/alerts", [alert("C", "during"), alert("A", "changed")]);
    assert.equal(a.status, 503, a.text);
    assert.match(a.json as string, READ_ONLY);
    const sil = await call(s, "POST", "/api/v2/silences", silence("during"));
    assert.equal(sil.status, 503, sil.text);
    assert.match(sil.json as string, READ_ONLY);
    const ack = await call(s, "POST", `/api/ops/v1/alerts/${fpB}/ack`, { comment: "during" });
    assert.equal(ack.status, 503, ack.text);
    assert.match((ack.json as { message: string }).message, READ_ONLY);
  });
  await t.test("reads answer with the state from before: nothing refused is in memory", async () => {
    assert.deepEqual(await state(s), before);
  });
  await t.test("/health reports the database down with the reason; metrics count the failures", async () => {
    const h = await call(s, "GET", "/health");
    assert.equal(h.status, 503, h.text);
    const db = (h.json as { components: { database: { status: string; lastError: string } } }).components.database;
    assert.equal(db.status, "down");
    assert.match(db.lastError, READ_ONLY);
    const m = (await call(s, "GET", "/metrics")).text;
    // Counted under SQLite's code: what it reported is an I/O error (the message says read-only).
    const failures = metric(m, 'alertprism_storage_write_failures_total{code="SQLITE_IOERR"}');
    assert.ok(failures >= 3, `at least the three refused writes are counted:\n${m.split("\n").filter((l) => l.includes("storage_write")).join("\n")}`);
    assert.equal(metric(m, "alertprism_storage_write_failing"), 1);
    assert.equal((await call(s, "GET", "/-/ready")).status, 200);
  });

  await t.test("stops on SIGTERM without hanging or crashing", async () => {
    await s.stop();
    assert.match(s.logs(), /msg=stopped/, "a clean shutdown, not the harness's SIGKILL");
    assert.doesNotMatch(s.logs(), /Uncaught|unhandled|FATAL|Segmentation/i, s.logs());
  });

  // The operator's way back: the volume is checked and mounted again, AlertPrism started.
  await loopReleased(img);
  const fsck = spawnSync(requireBinary("e2fsck"), ["-f", "-y", img], { encoding: "utf8" });
  assert.ok(fsck.status === 0 || fsck.status === 1, `e2fsck repaired the volume: exit ${fsck.status}\n${fsck.stdout}${fsck.stderr}`);
  s = await start();

  await t.test("after the repair: everything acknowledged before is there, and the same writes succeed", async () => {
    assert.deepEqual(await state(s), before);
    assert.equal((await call(s, "POST", "/api/v2/alerts", [alert("C", "during"), alert("A", "changed")])).status, 200);
    assert.equal((await call(s, "POST", "/api/v2/silences", silence("during"))).status, 200);
    assert.equal((await call(s, "POST", `/api/ops/v1/alerts/${fpB}/ack`, { comment: "during" })).status, 200);
    const after = await state(s);
    assert.deepEqual(after.alerts, { A: "changed", B: "one", C: "during" });
    assert.deepEqual(after.silences, ["before", "during"]);
    assert.deepEqual(after.acks, { A: "before", B: "during" });
    const m = (await call(s, "GET", "/metrics")).text;
    assert.equal(metric(m, "alertprism_storage_write_failing"), 0);
    await s.stop();
  });

  await t.test("the database file passes PRAGMA integrity_check", async () => {
    await loopReleased(img);
    const copy = join(tmp, "copy");
    mkdirSync(copy);
    // Read the volume back in a namespace of its own; only the copy is opened here.
    const cp = spawnSync(unshare, ["--mount", "--propagation", "private", "sh", "-c", 'set -eu; mount -o loop,ro "$1" "$2"; cp "$2"/alertprism.db* "$3"/', "sh", img, dataDir, copy], { encoding: "utf8" });
    assert.equal(cp.status, 0, cp.stderr);
    const db = new BetterSqlite3(join(copy, ALERTPRISM_DB_FILE), { readonly: true });
    try {
      assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
      assert.equal(db.prepare("SELECT count(*) FROM alerts").pluck().get(), 3);
      assert.equal(db.prepare("SELECT count(*) FROM acks").pluck().get(), 2);
    } finally {
      db.close();
    }
  });
});
