import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, resolveSettings, helpText, FLAGS } from "./settings.ts";

test("flag beats environment beats alertprism.yml beats default", () => {
  const dir = mkdtempSync(join(tmpdir(), "settings-"));
  const file = join(dir, "alertprism.yml");
  writeFileSync(file, "storage:\n  path: /from/file\n  synchronous: normal\nalerts:\n  gc_interval: 10m\nweb:\n  max_request_bytes: 2MiB\n");
  const flags = new Map([["alertprism.config.file", file], ["storage.path", "/from/flag"]]);
  const env = { ALERTPRISM_STORAGE_PATH: "/from/env", ALERTPRISM_ALERTS_GC_INTERVAL: "20m" };
  const s = resolveSettings(flags, env);
  assert.equal(s.storagePath, "/from/flag");
  assert.equal(s.gcIntervalMs, 20 * 60_000);
  assert.equal(s.synchronous, "normal");
  assert.equal(s.maxRequestBytes, 2 * 1024 * 1024);
  assert.equal(s.silenceRetentionMs, 120 * 3600_000);
  assert.equal(resolveSettings(new Map([["alertprism.config.file", file]]), env).storagePath, "/from/env");
  assert.equal(resolveSettings(new Map([["alertprism.config.file", file]]), {}).storagePath, "/from/file");
});

test("route prefix defaults to the external URL's path", () => {
  const s = resolveSettings(new Map([["web.external-url", "https://alerts.example.com/am/"], ["alertprism.config.file", "/dev/null"]]), {});
  assert.equal(s.routePrefix, "/am/");
  assert.equal(s.externalUrl, "https://alerts.example.com/am");
});

test("bad values are clear errors", () => {
  const none = new Map([["alertprism.config.file", "/dev/null"]]);
  assert.throws(() => parseArgs(["--nope=1"]), /unknown flag --nope/);
  assert.throws(() => parseArgs(["--log.level"]), /needs a value/);
  assert.throws(() => resolveSettings(new Map([...none, ["log.level", "loud"]]), {}), /--log.level must be one of debug, info, warn, error/);
  assert.throws(() => resolveSettings(new Map([...none, ["alerts.gc-interval", "soon"]]), {}), /not a valid duration/);
  assert.throws(() => resolveSettings(new Map([...none, ["web.max-request-bytes", "lots"]]), {}), /not a size/);
  const dir = mkdtempSync(join(tmpdir(), "settings-"));
  writeFileSync(join(dir, "a.yml"), "storage:\n  synchronus: full\n");
  assert.throws(() => resolveSettings(new Map([["alertprism.config.file", join(dir, "a.yml")]]), {}), /a\.yml:2:\d+ \(storage\.synchronus\): Unrecognized key: "synchronus"/);
});

test("both flag forms parse; help lists every flag with its variable", () => {
  const cmd = parseArgs(["--log.level=debug", "--storage.path", "/x"]);
  assert.equal(cmd.kind, "serve");
  if (cmd.kind === "serve") assert.deepEqual([...cmd.values], [["log.level", "debug"], ["storage.path", "/x"]]);
  assert.deepEqual(parseArgs(["check-config", "a.yml"]), { kind: "check-config", values: new Map(), files: ["a.yml"] });
  const help = helpText();
  for (const f of FLAGS) {
    assert.ok(help.includes(`--${f.flag}=`), f.flag);
    assert.ok(help.includes(f.env), f.env);
  }
});

test("storage.backend postgres: the URL, pool, lease and this replica's identity; ha needs postgres", () => {
  const dir = mkdtempSync(join(tmpdir(), "settings-"));
  const write = (name: string, yaml: string) => {
    writeFileSync(join(dir, name), yaml);
    return new Map([["alertprism.config.file", join(dir, name)], ["web.listen-address", "0.0.0.0:9093"]]);
  };
  const pgYaml = "storage:\n  backend: postgres\n  postgres:\n    url: ${PG_URL}\n";
  const s = resolveSettings(write("pg.yml", pgYaml), { PG_URL: "postgres://ap:secret@db:5432/alertprism" });
  assert.equal(s.postgres?.url, "postgres://ap:secret@db:5432/alertprism");
  assert.equal(s.postgres?.poolSize, 10);
  assert.equal(s.postgres?.leaseMs, 10_000);
  assert.match(s.postgres?.replicaId ?? "", /:9093$/);
  assert.doesNotMatch(s.postgres?.advertiseAddress ?? "", /^0\.0\.0\.0/);
  const tuned = resolveSettings(write("tuned.yml", `${pgYaml}    pool_size: 3\nha:\n  lease: 4s\n  replica_id: ap-0\n  advertise_address: ap-0.ap:9093\n`), { PG_URL: "postgres://db/ap" });
  assert.deepEqual(tuned.postgres, { url: "postgres://db/ap", poolSize: 3, leaseMs: 4_000, replicaId: "ap-0", advertiseAddress: "ap-0.ap:9093" });
  assert.equal(resolveSettings(write("lite.yml", "storage:\n  path: /tmp/x\n"), {}).postgres, undefined);

  assert.throws(() => resolveSettings(write("nourl.yml", "storage:\n  backend: postgres\n"), {}), /backend postgres needs storage\.postgres\.url/);
  assert.throws(() => resolveSettings(write("badurl.yml", "storage:\n  backend: postgres\n  postgres:\n    url: mysql://db/x\n"), {}), /postgres:\/\/ or postgresql:\/\//);
  assert.throws(() => resolveSettings(write("haonly.yml", "ha:\n  lease: 10s\n"), {}), /ha: high availability needs storage\.backend: postgres/);
  assert.throws(() => resolveSettings(write("short.yml", `${pgYaml}ha:\n  lease: 100ms\n`), { PG_URL: "postgres://db/ap" }), /ha\.lease must be at least 1s/);
});
