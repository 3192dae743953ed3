// Walks the whole ops API route table (from the served OpenAPI document, which is made from the table)
// with auth on: every route refuses missing and bad tokens, refuses lower roles, and lets its role in.
// Routes added later are covered without touching this file.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestApp, type TestApp } from "./app-fixture.ts";
import { OpenApiValidator } from "./ops-openapi.ts";
import { ROLES, type Role } from "../../src/api/ops/route-table.ts";
import { authYaml, badTokens, call, capturingLogger, roleToken, SECRET } from "./auth-helpers.ts";

type Op = { "x-role"?: unknown; operationId: string; parameters?: Array<{ name: string; in: string }> };
type Doc = { paths: Record<string, Record<string, Op>> };

const SAMPLE_PARAM: Record<string, string> = { fingerprint: "0123456789abcdef", id: "1", silenceID: "00000000-0000-0000-0000-000000000000" };

describe("ops API auth: every route of the table", () => {
  let t: TestApp;
  let doc: Doc;
  let v: OpenApiValidator;
  const log = capturingLogger();
  const tokens: string[] = [];
  const base = () => `${t.url}/api/ops/v1`;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "alertprism-ops-auth-"));
    writeFileSync(join(dir, "alertprism.yml"), authYaml());
    t = await startTestApp({ dir, flags: { "alertprism.config.file": join(dir, "alertprism.yml") }, logger: log.logger });
    const admin = await roleToken("admin");
    tokens.push(admin);
    const r = await call(`${base()}/openapi.json`, "GET", { token: admin });
    assert.equal(r.status, 200, r.text);
    doc = r.json as Doc;
    v = new OpenApiValidator(doc as never);
  });
  after(async () => t.close());

  const operations = (): Array<{ method: string; path: string; expressPath: string; url: string; role: unknown }> =>
    Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      expressPath: path.replace(/\{([^}]+)\}/g, ":$1"),
      url: path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(SAMPLE_PARAM[name] ?? "x")),
      role: op["x-role"],
    })));

  test("every route of the table has a role from ROLES", () => {
    const ops = operations();
    assert.ok(ops.length >= 2, "the table has routes");
    for (const op of ops) assert.ok((ROLES as readonly unknown[]).includes(op.role), `${op.method} ${op.path}: role ${JSON.stringify(op.role)}`);
    // The audit log is admin only.
    assert.equal(doc.paths["/audit"]?.get?.["x-role"], "admin");
  });

  test("401 without or with a bad token, 403 with a lower role, in with its role (never 5xx)", async () => {
    const checked: string[] = [];
    for (const op of operations()) {
      const role = op.role as Role;
      const what = `${op.method} ${op.path}`;
      const body = op.method === "POST" ? {} : undefined;
      const none = await call(base() + op.url, op.method, { body });
      assert.equal(none.status, 401, `${what} without a token: ${none.text}`);
      v.assertDocumented(op.method, op.expressPath, none.status, none.json);
      for (const [kind, bad] of await badTokens(role)) {
        tokens.push(bad);
        const r = await call(base() + op.url, op.method, { token: bad, body });
        assert.equal(r.status, 401, `${what} with a ${kind} token: ${r.text}`);
        v.assertDocumented(op.method, op.expressPath, r.status, r.json);
      }
      const i = ROLES.indexOf(role);
      if (i > 0) {
        const lower = await roleToken(ROLES[i - 1]!);
        tokens.push(lower);
        const r = await call(base() + op.url, op.method, { token: lower, body });
        assert.equal(r.status, 403, `${what} with role ${ROLES[i - 1]}: ${r.text}`);
        v.assertDocumented(op.method, op.expressPath, r.status, r.json);
      }
      for (const enough of ROLES.slice(i)) {
        const good = await roleToken(enough);
        tokens.push(good);
        const r = await call(base() + op.url, op.method, { token: good, body });
        assert.ok(r.status !== 401 && r.status !== 403 && r.status < 500, `${what} with role ${enough}: ${r.status} ${r.text}\n${log.lines.filter((l) => l.includes("unhandled error")).slice(-1).join("")}`);
        v.assertDocumented(op.method, op.expressPath, r.status, r.json);
      }
      checked.push(what);
    }
    assert.ok(checked.includes("GET /audit") && checked.includes("GET /openapi.json"), checked.join(", "));
  });

  test("allow_cidrs is checked before the token; X-Forwarded-For counts only from a trusted proxy", async () => {
    const admin = await roleToken("admin");
    const url = `${base()}/openapi.json`;
    const ok = async (r: Awaited<ReturnType<typeof call>>, status: number, what: string) => {
      assert.equal(r.status, status, `${what}: ${r.text}`);
      v.assertDocumented("GET", "/openapi.json", r.status, r.json);
    };
    // 127.0.0.9 is outside 127.0.0.0/29: refused even with a valid admin token, and without one (403, not 401).
    await ok(await call(url, "GET", { token: admin, localAddress: "127.0.0.9" }), 403, "outside allow_cidrs");
    await ok(await call(url, "GET", { localAddress: "127.0.0.9" }), 403, "outside allow_cidrs, no token");
    // From an untrusted peer, X-Forwarded-For changes nothing, either way.
    await ok(await call(url, "GET", { token: admin, headers: { "x-forwarded-for": "203.0.113.9" } }), 200, "untrusted peer, outside XFF");
    await ok(await call(url, "GET", { token: admin, localAddress: "127.0.0.9", headers: { "x-forwarded-for": "127.0.0.1" } }), 403, "untrusted peer, spoofed XFF");
    // From the trusted proxy 127.0.0.2, the right-most untrusted hop is the client.
    await ok(await call(url, "GET", { token: admin, localAddress: "127.0.0.2", headers: { "x-forwarded-for": "203.0.113.9" } }), 403, "proxied outside client");
    await ok(await call(url, "GET", { token: admin, localAddress: "127.0.0.2", headers: { "x-forwarded-for": "127.0.0.4" } }), 200, "proxied inside client");
    await ok(await call(url, "GET", { token: admin, localAddress: "127.0.0.2", headers: { "x-forwarded-for": "127.0.0.4, 203.0.113.9" } }), 403, "client prepends an inside address");
    for (const garbage of ["not-an-ip", ",,,", "1.2.3.4.5", "[::1", "x".repeat(4000), "::ffff:zzz"]) {
      await ok(await call(url, "GET", { token: admin, localAddress: "127.0.0.2", headers: { "x-forwarded-for": garbage } }), 403, `garbage XFF ${garbage.slice(0, 20)}`);
    }
  });

  test("malformed and oversized credentials never give a 5xx", async () => {
    const url = `${base()}/openapi.json`;
    for (const authorization of ["Bearer", "Bearer ", "Bearer a.b", "Bearer ....", "Basic Zm9vOmJhcg==", "bearer x y z", "Token abc", "Bearer " + "A".repeat(9000), "Bearer \u00ff\u00fe"]) {
      const r = await call(url, "GET", { authorization });
      assert.equal(r.status, 401, `${authorization.slice(0, 30)}: ${r.text}`);
      v.assertDocumented("GET", "/openapi.json", r.status, r.json);
    }
    // Larger than Node's header limit: the server refuses it before any handler runs.
    const huge = await call(url, "GET", { authorization: "Bearer " + "A".repeat(40_000) }).catch(() => ({ status: 431 }));
    assert.ok(huge.status === 431 || huge.status === 400, String(huge.status));
  });

  test("no token or secret in the log, after failed and successful authentications", () => {
    const all = log.lines.join("\n");
    assert.match(all, /authentication failed/);
    assert.match(all, /"msg":"auth: on/);
    assert.ok(!all.includes(SECRET), "the secret is logged");
    for (const tk of tokens) {
      for (const part of tk.split(".").filter((p) => p.length > 16)) assert.ok(!all.includes(part), `a token part is logged: ${part.slice(0, 20)}…`);
    }
  });
});
