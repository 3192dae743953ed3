// /api/v2 and /-/reload with auth on (basic and jwt), the audit records they leave, GET /audit's pages,
// and that no secret, password or token shows in logs or responses.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { startTestApp, isoIn, type TestApp } from "./app-fixture.ts";
import { OpenApiValidator } from "./ops-openapi.ts";
import { authYaml, basic, call, capturingLogger, roleToken, SECRET } from "./auth-helpers.ts";

const PROM_PW = "prometheus-password-1";
const VIEW_PW = "viewer-password-2";
const ADMIN_PW = "admin-password-3";

async function startWith(prismYaml: string, logger = capturingLogger()) {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-auth-api-"));
  writeFileSync(join(dir, "alertprism.yml"), prismYaml);
  const t = await startTestApp({ dir, flags: { "alertprism.config.file": join(dir, "alertprism.yml") }, logger: logger.logger });
  return { t, lines: logger.lines, file: join(dir, "alertprism.yml") };
}

const silenceBody = (comment: string) => ({
  matchers: [{ name: "alertname", value: "Auth", isRegex: false, isEqual: true }],
  startsAt: isoIn(0), endsAt: isoIn(3_600_000), createdBy: "someone-claimed", comment,
});

describe("alertmanager_api: basic", () => {
  let t: TestApp;
  let lines: string[];
  const secrets = [SECRET, PROM_PW, VIEW_PW, ADMIN_PW, basic("prometheus", PROM_PW).slice(6)];

  before(async () => {
    const users = `  alertmanager_api: basic
  users:
    - {name: prometheus, password_hash: '${bcrypt.hashSync(PROM_PW, 4)}', role: operator}
    - {name: grafana, password_hash: '${bcrypt.hashSync(VIEW_PW, 4)}', role: viewer}
    - {name: root, password_hash: '${bcrypt.hashSync(ADMIN_PW, 4)}', role: admin}
`;
    ({ t, lines } = await startWith(authYaml(users)));
  });
  after(async () => t.close());

  test("reads need viewer, alert posts and silence writes need operator; 401 carries a Basic challenge", async () => {
    const none = await call(`${t.url}/api/v2/alerts`, "GET");
    assert.equal(none.status, 401);
    assert.match(String(none.headers["www-authenticate"]), /^Basic realm="alertprism"/);
    assert.deepEqual(Object.keys(none.json as object).sort(), ["code", "message"]);
    assert.equal((await call(`${t.url}/api/v2/alerts`, "GET", { authorization: basic("grafana", "wrong") })).status, 401);
    assert.equal((await call(`${t.url}/api/v2/alerts`, "GET", { authorization: basic("nobody", VIEW_PW) })).status, 401);
    // Bearer tokens are not what /api/v2 takes in basic mode.
    assert.equal((await call(`${t.url}/api/v2/alerts`, "GET", { token: await roleToken("admin") })).status, 401);
    for (const path of ["/api/v2/alerts", "/api/v2/silences", "/api/v2/status", "/api/v2/receivers", "/api/v2/alerts/groups"]) {
      assert.equal((await call(t.url + path, "GET", { authorization: basic("grafana", VIEW_PW) })).status, 200, path);
    }
    const alert = [{ labels: { alertname: "Auth" }, startsAt: isoIn(0) }];
    assert.equal((await call(`${t.url}/api/v2/alerts`, "POST", { authorization: basic("grafana", VIEW_PW), body: alert })).status, 403);
    assert.equal((await call(`${t.url}/api/v2/alerts`, "POST", { authorization: basic("prometheus", PROM_PW), body: alert })).status, 200);
    assert.equal((await call(`${t.url}/api/v2/silences`, "POST", { authorization: basic("grafana", VIEW_PW), body: silenceBody("no") })).status, 403);
    // Outside allow_cidrs: 403 before the password is looked at.
    assert.equal((await call(`${t.url}/api/v2/alerts`, "GET", { authorization: basic("grafana", VIEW_PW), localAddress: "127.0.0.9" })).status, 403);
  });

  test("silences created, updated and expired through /api/v2 are audited with the basic user as actor", async () => {
    const op = { authorization: basic("prometheus", PROM_PW) };
    const created = await call(`${t.url}/api/v2/silences`, "POST", { ...op, body: silenceBody("first") });
    assert.equal(created.status, 200, created.text);
    const id = (created.json as { silenceID: string }).silenceID;
    const updated = await call(`${t.url}/api/v2/silences`, "POST", { ...op, body: { ...silenceBody("second"), id } });
    assert.equal(updated.status, 200, updated.text);
    assert.equal((await call(`${t.url}/api/v2/silence/${id}`, "DELETE", op)).status, 200);
    const admin = await roleToken("admin", "auditor");
    const r = await call(`${t.url}/api/ops/v1/audit?actor=prometheus`, "GET", { token: admin });
    assert.equal(r.status, 200, r.text);
    const entries = (r.json as { entries: Array<{ actor: string; action: string; target: string; detail: Record<string, unknown> }> }).entries;
    assert.deepEqual(entries.map((e) => e.action), ["silence.expire", "silence.update", "silence.create"]);
    assert.ok(entries.every((e) => e.actor === "prometheus" && e.target === id));
    assert.equal(entries[2]!.detail.createdBy, "someone-claimed");
    assert.equal(entries[1]!.detail.comment, "second");
  });

  test("POST /-/reload needs admin (token or basic admin user) and is audited", async () => {
    assert.equal((await call(`${t.url}/-/reload`, "POST")).status, 401);
    assert.equal((await call(`${t.url}/-/reload`, "POST", { authorization: basic("prometheus", PROM_PW) })).status, 403);
    assert.equal((await call(`${t.url}/-/reload`, "POST", { token: await roleToken("operator") })).status, 403);
    assert.equal((await call(`${t.url}/-/reload`, "POST", { token: await roleToken("admin", "carol") })).status, 200);
    assert.equal((await call(`${t.url}/-/reload`, "POST", { authorization: basic("root", ADMIN_PW) })).status, 200);
    const r = await call(`${t.url}/api/ops/v1/audit?action=reload`, "GET", { token: await roleToken("admin") });
    const entries = (r.json as { entries: Array<{ actor: string; target: string; detail: { ok: boolean } }> }).entries;
    assert.deepEqual(entries.map((e) => e.actor), ["root", "carol"]);
    assert.ok(entries.every((e) => e.detail.ok && e.target === "config"));
  });

  test("GET /audit: admin only, newest first, filters, opaque cursor pages, 400 on bad input", async () => {
    const admin = await roleToken("admin");
    const doc = (await call(`${t.url}/api/ops/v1/openapi.json`, "GET", { token: admin })).json;
    const v = new OpenApiValidator(doc as never);
    const get = async (q: string, token = admin) => {
      const r = await call(`${t.url}/api/ops/v1/audit${q}`, "GET", { token });
      v.assertDocumented("GET", "/audit", r.status, r.json);
      return r;
    };
    assert.equal((await get("", await roleToken("operator"))).status, 403);
    const all = (await get("?limit=1000")).json as { entries: Array<{ id: number; at: string }>; nextCursor?: string };
    assert.ok(all.entries.length >= 5);
    assert.equal(all.nextCursor, undefined);
    const ids = all.entries.map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), "newest first");
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const r = await get(`?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      assert.equal(r.status, 200);
      const page = r.json as { entries: Array<{ id: number }>; nextCursor?: string };
      assert.ok(page.entries.length <= 2);
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, ids, "pages cover everything once, in order");
    assert.equal(((await get("?since=-1h&until=2999-01-01T00:00:00Z")).json as { entries: unknown[] }).entries.length, ids.length);
    assert.equal(((await get("?until=-1h")).json as { entries: unknown[] }).entries.length, 0);
    assert.equal(((await get("?action=reload&actor=carol")).json as { entries: unknown[] }).entries.length, 1);
    for (const bad of ["?since=yesterday", "?until=-5x", "?limit=0", "?limit=5000", "?cursor=%21%21", "?cursor=bm90anNvbg", "?since=-1h&until=-2h"]) {
      const r = await get(bad);
      assert.equal(r.status, 400, `${bad}: ${r.text}`);
    }
  });

  test("no secret, password or token in responses or the log", async () => {
    const status = await call(`${t.url}/api/v2/status`, "GET", { authorization: basic("grafana", VIEW_PW) });
    for (const s of secrets) assert.ok(!status.text.includes(s), "status leaks a secret");
    const all = lines.join("\n");
    assert.match(all, /authentication failed/);
    assert.match(all, /"alertmanagerApi":"basic \(3 users\)"/);
    for (const s of secrets) assert.ok(!all.includes(s), `the log holds ${s.slice(0, 6)}…`);
  });
});

describe("alertmanager_api: jwt, and no auth at all", () => {
  test("jwt: bearer tokens with roles on /api/v2; basic refused", async () => {
    const { t } = await startWith(authYaml("  alertmanager_api: jwt\n"));
    try {
      assert.equal((await call(`${t.url}/api/v2/status`, "GET")).status, 401);
      assert.match(String((await call(`${t.url}/api/v2/status`, "GET")).headers["www-authenticate"]), /^Bearer/);
      assert.equal((await call(`${t.url}/api/v2/status`, "GET", { token: await roleToken("viewer") })).status, 200);
      assert.equal((await call(`${t.url}/api/v2/status`, "GET", { authorization: basic("a", "b") })).status, 401);
      const alert = [{ labels: { alertname: "Jwt" }, startsAt: isoIn(0) }];
      assert.equal((await call(`${t.url}/api/v2/alerts`, "POST", { token: await roleToken("viewer"), body: alert })).status, 403);
      assert.equal((await call(`${t.url}/api/v2/alerts`, "POST", { token: await roleToken("operator", "prometheus"), body: alert })).status, 200);
      const expired = (await import("./auth-helpers.ts")).token({ roles: ["admin"] }, { expSeconds: -60 });
      assert.equal((await call(`${t.url}/api/v2/status`, "GET", { token: await expired })).status, 401);
    } finally {
      await t.close();
    }
  });

  test("auth with alertmanager_api left out: /api/v2 stays open, the ops API still needs a token", async () => {
    const { t } = await startWith(authYaml());
    try {
      assert.equal((await call(`${t.url}/api/v2/status`, "GET")).status, 200);
      assert.equal((await call(`${t.url}/api/v2/silences`, "POST", { body: silenceBody("open") })).status, 200);
      assert.equal((await call(`${t.url}/api/ops/v1/audit`, "GET")).status, 401);
      // Silences written without an authenticated caller are not audited (auth is off for /api/v2).
      const r = await call(`${t.url}/api/ops/v1/audit?action=silence.create`, "GET", { token: await roleToken("admin") });
      assert.deepEqual((r.json as { entries: unknown[] }).entries, []);
    } finally {
      await t.close();
    }
  });

  test("no auth: section: /api/v2 and /-/reload open; reloads audited as local; the loopback warning is logged", async () => {
    const log = capturingLogger();
    const t = await startTestApp({ logger: log.logger });
    try {
      assert.equal((await call(`${t.url}/api/v2/alerts`, "GET")).status, 200);
      assert.equal((await call(`${t.url}/-/reload`, "POST")).status, 200);
      const r = await call(`${t.url}/api/ops/v1/audit`, "GET");
      assert.equal(r.status, 200);
      const e = (r.json as { entries: Array<{ actor: string; action: string }> }).entries;
      assert.deepEqual(e.map((x) => [x.actor, x.action]), [["local", "reload"]]);
      assert.equal((await call(`${t.url}/api/ops/v1/audit`, "GET", { localAddress: "127.0.0.2" })).status, 200);
      assert.ok(log.lines.some((l) => l.includes("answers only on loopback addresses")));
    } finally {
      await t.close();
    }
  });
});
