// amtool 0.25 against AlertPrism with `alertmanager_api: basic`: with credentials (--http.config.file)
// it reads and writes; without them it is refused. Also `alertprism token create` against the running
// server: the printed token opens the ops API and /-/reload, and the audit log names its subject.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { REPO_ROOT, makeTempDir, runAmtool, startAlertPrism, type RunningServer } from "./harness.ts";

const CONFIG = `
route:
  receiver: default
receivers:
  - name: default
`;
const SECRET = "e2e-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
const OPERATOR_PW = "amtool pass 1";
const VIEWER_PW = "viewer pass 2";

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ["--import", "tsx", join(REPO_ROOT, "src/main.ts"), ...args], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 30_000 });
}

describe("amtool with basic auth, and token create, against AlertPrism with auth on", { timeout: 180_000 }, () => {
  let server: RunningServer;
  const dir = makeTempDir("amtool-auth");
  const prismFile = join(dir, "alertprism.yml");
  const httpConfig = (user: string, password: string) => {
    const f = join(dir, `http-${user}.yml`);
    writeFileSync(f, `basic_auth:\n  username: ${user}\n  password: '${password}'\n`);
    return f;
  };

  before(async () => {
    const yaml = `auth:
  jwt:
    hs256_secret: \${ALERTPRISM_JWT_SECRET}
    issuer: alertprism
    audience: alertprism
  allow_cidrs: [127.0.0.0/8, "::1/128"]
  alertmanager_api: basic
  users:
    - {name: amtool, password_hash: '${bcrypt.hashSync(OPERATOR_PW, 8)}', role: operator}
    - {name: grafana, password_hash: '${bcrypt.hashSync(VIEWER_PW, 8)}', role: viewer}
`;
    writeFileSync(prismFile, yaml);
    server = await startAlertPrism({ configYaml: CONFIG, alertprismYaml: yaml, env: { ALERTPRISM_JWT_SECRET: SECRET } });
  });
  after(async () => server?.stop());

  test("amtool succeeds with credentials and fails without", async () => {
    const op = httpConfig("amtool", OPERATOR_PW);
    const add = await runAmtool([`--http.config.file=${op}`, "alert", "add", "alertname=AuthE2E", "severity=warning"], server.url);
    assert.equal(add.code, 0, add.stderr);
    const query = await runAmtool([`--http.config.file=${op}`, "-o", "json", "alert", "query", "alertname=AuthE2E"], server.url);
    assert.equal(query.code, 0, query.stderr);
    assert.equal((JSON.parse(query.stdout) as unknown[]).length, 1);
    const silence = await runAmtool([`--http.config.file=${op}`, "silence", "add", "alertname=AuthE2E", "--comment=e2e", "--author=amtool-user", "--duration=1h"], server.url);
    assert.equal(silence.code, 0, silence.stderr);
    const viewer = httpConfig("grafana", VIEWER_PW);
    const read = await runAmtool([`--http.config.file=${viewer}`, "-o", "json", "silence", "query"], server.url);
    assert.equal(read.code, 0, read.stderr);
    const denied = await runAmtool([`--http.config.file=${viewer}`, "silence", "add", "alertname=X", "--comment=no", "--duration=1h"], server.url);
    assert.notEqual(denied.code, 0, "a viewer cannot add a silence");
    for (const args of [["alert", "query"], ["silence", "query"], ["alert", "add", "alertname=Nope"]]) {
      const r = await runAmtool(args, server.url);
      assert.notEqual(r.code, 0, `amtool ${args.join(" ")} without credentials must fail`);
      assert.match(r.stderr + r.stdout, /401|[Uu]nauthori[sz]ed/);
    }
    const wrong = await runAmtool([`--http.config.file=${httpConfig("amtool-wrong", "nope")}`, "alert", "query"], server.url);
    assert.notEqual(wrong.code, 0);
    assert.ok(!server.logs().includes(OPERATOR_PW) && !server.logs().includes(SECRET), "no password or secret in the logs");
  });

  test("token create prints a token that opens the ops API and /-/reload; the audit log names its subject", async () => {
    const bad = cli(["token", "create", "--role", "root", "--subject", "x", `--alertprism.config.file=${prismFile}`], { ALERTPRISM_JWT_SECRET: SECRET });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--role must be one of viewer, operator, admin/);
    const noSecret = cli(["token", "create", "--role", "admin", "--subject", "x", `--alertprism.config.file=${prismFile}`], { ALERTPRISM_JWT_SECRET: "" });
    assert.equal(noSecret.status, 1);
    assert.match(noSecret.stderr, /hs256_secret\): must be at least 32 bytes/);
    const made = cli(["token", "create", "--role", "admin", "--ttl", "1h", "--subject", "alice", `--alertprism.config.file=${prismFile}`], { ALERTPRISM_JWT_SECRET: SECRET });
    assert.equal(made.status, 0, made.stderr);
    const token = made.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const payload = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    assert.equal(payload.sub, "alice");
    assert.deepEqual(payload.roles, ["admin"]);
    assert.equal((payload.exp as number) - (payload.iat as number), 3600);
    const auth = { authorization: `Bearer ${token}` };
    assert.equal((await fetch(`${server.url}/api/ops/v1/openapi.json`)).status, 401);
    assert.equal((await fetch(`${server.url}/api/ops/v1/openapi.json`, { headers: auth })).status, 200);
    assert.equal((await fetch(`${server.url}/-/reload`, { method: "POST" })).status, 401);
    assert.equal((await fetch(`${server.url}/-/reload`, { method: "POST", headers: auth })).status, 200);
    const audit = await fetch(`${server.url}/api/ops/v1/audit?action=reload`, { headers: auth });
    assert.equal(audit.status, 200);
    const page = (await audit.json()) as { entries: Array<{ actor: string; action: string }> };
    assert.equal(page.entries[0]?.actor, "alice");
    const silences = await fetch(`${server.url}/api/ops/v1/audit?action=silence.create`, { headers: auth });
    assert.equal(((await silences.json()) as { entries: Array<{ actor: string }> }).entries[0]?.actor, "amtool");
    assert.ok(!server.logs().includes(token.split(".")[2]!), "the token is not logged");
  });
});
