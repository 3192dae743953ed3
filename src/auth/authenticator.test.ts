import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, createHmac } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import bcrypt from "bcryptjs";
import { SignJWT, exportJWK } from "jose";
import { Authenticator, type AuthSettings } from "./authenticator.ts";
import { AuthError } from "./errors.ts";
import { parseCidr } from "./cidr.ts";
import { highestRole } from "./roles.ts";
import { signToken, type JwtKey } from "./jwt.ts";
import { parseBasic } from "./basic.ts";

const SECRET = "0123456789abcdef0123456789abcdef-test";
const NOW = Date.UTC(2026, 0, 2, 12, 0, 0);
const enc = new TextEncoder();

function settings(key: JwtKey, over: Partial<AuthSettings> = {}): AuthSettings {
  return {
    jwt: { key, issuer: "alertprism", audience: "alertprism", rolesClaim: "roles" },
    allowCidrs: [parseCidr("127.0.0.0/8"), parseCidr("::1")],
    trustedProxies: [],
    alertmanagerApi: "none",
    users: [],
    ...over,
  };
}
const HS = settings({ kind: "secret", secret: enc.encode(SECRET) });
const local = (authorization?: string, remoteAddress = "127.0.0.1") => ({ headers: authorization === undefined ? {} : { authorization }, remoteAddress });

async function rejects(p: Promise<unknown>, status: 401 | 403, re?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof AuthError && e.status === status && (!re || re.test(e.message)));
}

function b64(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString("base64url");
}

test("highestRole: a string or an array, the highest known role counts", () => {
  assert.equal(highestRole("operator"), "operator");
  assert.equal(highestRole(["viewer", "admin", "operator"]), "admin");
  assert.equal(highestRole(["root", "viewer"]), "viewer");
  assert.equal(highestRole(["root"]), undefined);
  assert.equal(highestRole(42), undefined);
  assert.equal(highestRole(undefined), undefined);
});

test("HS256: a valid token gives subject and role; every bad token is 401 and names no secret", async () => {
  const a = new Authenticator(HS, () => NOW);
  const good = await signToken({ secret: enc.encode(SECRET), issuer: "alertprism", audience: "alertprism", rolesClaim: "roles", subject: "alice", role: "operator", ttlMs: 3_600_000, nowMs: NOW });
  assert.deepEqual(await a.authenticate(local(`Bearer ${good}`), ["bearer"]), { subject: "alice", role: "operator" });
  const sign = (claims: Record<string, unknown>, secret = SECRET, alg = "HS256") =>
    new SignJWT(claims).setProtectedHeader({ alg }).sign(enc.encode(secret));
  const base = { sub: "bob", iss: "alertprism", aud: "alertprism", roles: "admin", exp: NOW / 1000 + 60 };
  const [body] = [good.split(".")[1]];
  const bad: Array<[string, string]> = [
    ["expired", await sign({ ...base, exp: NOW / 1000 - 60 })],
    ["no exp", await sign({ sub: "bob", iss: "alertprism", aud: "alertprism", roles: "admin" })],
    ["no sub", await sign({ ...base, sub: undefined })],
    ["wrong secret", await sign(base, "another-secret-another-secret-xyz")],
    ["wrong audience", await sign({ ...base, aud: "grafana" })],
    ["wrong issuer", await sign({ ...base, iss: "someone" })],
    ["HS512", await sign(base, SECRET + SECRET, "HS512")],
    ["alg none", `${b64({ alg: "none", typ: "JWT" })}.${b64(base)}.`],
    ["alg none, signature kept", `${b64({ alg: "none" })}.${body}.${good.split(".")[2]}`],
    ["tampered payload", `${good.split(".")[0]}.${b64({ ...base, roles: "admin" })}.${good.split(".")[2]}`],
    ["garbage", "not-a-token"],
    ["two parts", "a.b"],
    ["bad base64", "!!!.###.$$$"],
    ["huge", "a".repeat(20_000)],
  ];
  for (const [what, token] of bad) {
    await assert.rejects(a.authenticate(local(`Bearer ${token}`), ["bearer"]), (e: unknown) => {
      assert.ok(e instanceof AuthError, what);
      assert.equal(e.status, 401, `${what}: ${e.message}`);
      assert.ok(!e.message.includes(SECRET) && !e.message.includes(token.slice(0, 40)), `${what}: ${e.message}`);
      return true;
    });
  }
  // An HMAC made by hand over the header and payload with the right key, but a header naming RS256: refused.
  const h = b64({ alg: "RS256" });
  const p = b64(base);
  const sig = createHmac("sha256", SECRET).update(`${h}.${p}`).digest("base64url");
  await rejects(a.authenticate(local(`Bearer ${h}.${p}.${sig}`), ["bearer"]), 401);
  // A valid token with no known role is 403.
  await rejects(a.authenticate(local(`Bearer ${await sign({ ...base, roles: ["root"] })}`), ["bearer"]), 403, /no known role/);
});

test("missing, empty and foreign credentials are 401; allow_cidrs is checked before any token", async () => {
  const a = new Authenticator(HS, () => NOW);
  await rejects(a.authenticate(local(), ["bearer"]), 401, /credentials required/);
  await rejects(a.authenticate(local("Bearer"), ["bearer"]), 401);
  await rejects(a.authenticate(local("Bearer   "), ["bearer"]), 401);
  await rejects(a.authenticate(local("Basic YTpi"), ["bearer"]), 401, /unsupported/);
  await rejects(a.authenticate(local("Digest x"), ["bearer"]), 401);
  const good = await signToken({ secret: enc.encode(SECRET), issuer: "alertprism", audience: "alertprism", rolesClaim: "roles", subject: "alice", role: "admin", ttlMs: 60_000, nowMs: NOW });
  await rejects(a.authenticate(local(`Bearer ${good}`, "203.0.113.9"), ["bearer"]), 403, /allow_cidrs/);
  await rejects(a.authenticate(local(undefined, "203.0.113.9"), ["bearer"]), 403);
  assert.equal((await a.authenticate(local(`Bearer ${good}`, "::ffff:127.0.0.1"), ["bearer"])).role, "admin");
  // X-Forwarded-For only counts from a trusted proxy.
  const spoof = { headers: { authorization: `Bearer ${good}`, "x-forwarded-for": "127.0.0.1" }, remoteAddress: "203.0.113.9" };
  await rejects(a.authenticate(spoof, ["bearer"]), 403);
  const proxied = new Authenticator({ ...HS, trustedProxies: [parseCidr("10.0.0.0/8")] }, () => NOW);
  assert.equal((await proxied.authenticate({ headers: { authorization: `Bearer ${good}`, "x-forwarded-for": "127.0.0.1" }, remoteAddress: "10.1.1.1" }, ["bearer"])).subject, "alice");
  await rejects(proxied.authenticate({ headers: { authorization: `Bearer ${good}`, "x-forwarded-for": "127.0.0.1, 203.0.113.9" }, remoteAddress: "10.1.1.1" }, ["bearer"]), 403);
  await rejects(proxied.authenticate({ headers: { authorization: `Bearer ${good}`, "x-forwarded-for": "\u0000garbage" }, remoteAddress: "10.1.1.1" }, ["bearer"]), 403);
});

test("RS256 and ES256 from a PEM public key; the other algorithm and HS256 with the key as secret are refused", async () => {
  for (const [alg, type, opts] of [["RS256", "rsa", { modulusLength: 2048 }], ["ES256", "ec", { namedCurve: "P-256" }]] as const) {
    const { publicKey, privateKey } = generateKeyPairSync(type as "rsa", opts as { modulusLength: number });
    const a = new Authenticator(settings({ kind: "public_key", algorithm: alg, key: publicKey, file: "key.pem" }), () => NOW);
    const claims = { sub: "carol", iss: "alertprism", aud: "alertprism", roles: ["viewer"], exp: NOW / 1000 + 60 };
    const token = await new SignJWT(claims).setProtectedHeader({ alg }).sign(privateKey);
    assert.deepEqual(await a.authenticate(local(`Bearer ${token}`), ["bearer"]), { subject: "carol", role: "viewer" });
    const pem = publicKey.export({ type: "spki", format: "pem" }) as string;
    const confused = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(enc.encode(pem));
    await rejects(a.authenticate(local(`Bearer ${confused}`), ["bearer"]), 401);
    const other = generateKeyPairSync(type as "rsa", opts as { modulusLength: number });
    await rejects(a.authenticate(local(`Bearer ${await new SignJWT(claims).setProtectedHeader({ alg }).sign(other.privateKey)}`), ["bearer"]), 401);
  }
});

test("RS256 from a JWKS URL served on 127.0.0.1 (fetched only when a token is verified)", async () => {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    const a = new Authenticator(settings({ kind: "jwks", algorithm: "RS256", url }), () => NOW);
    assert.equal(fetches, 0);
    const claims = { sub: "dave", iss: "alertprism", aud: "alertprism", roles: "admin", exp: NOW / 1000 + 60 };
    const token = await new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "k1" }).sign(privateKey);
    assert.deepEqual(await a.authenticate(local(`Bearer ${token}`), ["bearer"]), { subject: "dave", role: "admin" });
    assert.equal(fetches, 1);
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
    await rejects(a.authenticate(local(`Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "k1" }).sign(other.privateKey)}`), ["bearer"]), 401);
    await rejects(a.authenticate(local(`Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(enc.encode("x".repeat(32)))}`), ["bearer"]), 401);
    // An unreachable key set is a 401 (the token cannot be verified), not a 5xx.
    const down = new Authenticator(settings({ kind: "jwks", algorithm: "RS256", url: "http://127.0.0.1:1/jwks.json" }), () => NOW);
    await rejects(down.authenticate(local(`Bearer ${token}`), ["bearer"]), 401);
  } finally {
    server.close();
  }
});

test("basic: bcrypt users with roles; wrong password, unknown user, malformed header are 401", async () => {
  const hash = bcrypt.hashSync("s3cret pass", 4);
  const a = new Authenticator({ ...HS, alertmanagerApi: "basic", users: [{ name: "prometheus", passwordHash: hash, role: "operator" }] }, () => NOW);
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
  assert.deepEqual(await a.authenticate(local(basic("prometheus", "s3cret pass")), ["basic"]), { subject: "prometheus", role: "operator" });
  assert.deepEqual(await a.authenticate(local(basic("prometheus", "s3cret pass")), ["basic"]), { subject: "prometheus", role: "operator" }); // cached
  await rejects(a.authenticate(local(basic("prometheus", "wrong")), ["basic"]), 401);
  await rejects(a.authenticate(local(basic("nobody", "s3cret pass")), ["basic"]), 401);
  await rejects(a.authenticate(local("Basic !!!"), ["basic"]), 401);
  await rejects(a.authenticate(local("Basic bm9jb2xvbg=="), ["basic"]), 401);
  await rejects(a.authenticate(local("Bearer x.y.z"), ["basic"]), 401, /unsupported/);
  assert.deepEqual(parseBasic("Basic " + Buffer.from("a:b:c").toString("base64")), { user: "a", password: "b:c" });
});
