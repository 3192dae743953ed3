import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { parseAuthSettings } from "./auth.ts";
import { ConfigError } from "../lib/errors.ts";

const SECRET = "x".repeat(40);
const HASH = bcrypt.hashSync("pw", 4);

test("no auth: section gives undefined; a minimal one gets the defaults", () => {
  assert.equal(parseAuthSettings("storage: {}\n"), undefined);
  const s = parseAuthSettings(`auth:\n  jwt:\n    hs256_secret: \${SECRET}\n    issuer: i\n    audience: a\n`, "alertprism.yml", { SECRET })!;
  assert.equal(s.jwt.key.kind, "secret");
  assert.equal(s.jwt.rolesClaim, "roles");
  assert.deepEqual(s.allowCidrs.map((c) => c.text), ["0.0.0.0/0", "::/0"]);
  assert.deepEqual(s.trustedProxies, []);
  assert.equal(s.alertmanagerApi, "none");
});

test("basic users, CIDRs and a PEM public key", () => {
  const dir = mkdtempSync(join(tmpdir(), "auth-cfg-"));
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  writeFileSync(join(dir, "jwt.pem"), publicKey.export({ type: "spki", format: "pem" }) as string);
  writeFileSync(join(dir, "private.pem"), privateKey.export({ type: "pkcs8", format: "pem" }) as string);
  const file = join(dir, "alertprism.yml");
  const s = parseAuthSettings(`auth:\n  jwt: {public_key_file: jwt.pem, issuer: i, audience: a, roles_claim: groups}\n  allow_cidrs: [10.0.0.0/8, "fd00::/8"]\n  trusted_proxies: [10.0.0.1]\n  alertmanager_api: basic\n  users:\n    - {name: prometheus, password_hash: '${HASH}', role: operator}\n`, file)!;
  assert.equal(s.jwt.key.kind === "public_key" && s.jwt.key.algorithm, "ES256");
  assert.equal(s.users[0]!.role, "operator");
  assert.equal(s.allowCidrs.length, 2);
  assert.throws(() => parseAuthSettings(`auth:\n  jwt: {public_key_file: private.pem, issuer: i, audience: a}\n`, file), /holds a private key/);
  assert.throws(() => parseAuthSettings(`auth:\n  jwt: {public_key_file: jwt.pem, algorithm: RS256, issuer: i, audience: a}\n`, file), /is RS256, but the key in public_key_file is for ES256/);
});

test("each bad input names file:line (path) and the reason, never the secret", () => {
  const j = `  jwt: {hs256_secret: ${SECRET}, issuer: i, audience: a}\n`;
  const bad: Array<[string, RegExp]> = [
    ["auth:\n  allow_cidrs: []\n", /alertprism\.yml:2:3 \(auth\.jwt\)|alertprism\.yml:1:1 \(auth\.jwt\)|\(auth\.jwt\): required/],
    ["auth:\n  jwt: {hs256_secret: short, issuer: i, audience: a}\n", /alertprism\.yml:2:23 \(auth\.jwt\.hs256_secret\): must be at least 32 bytes/],
    [`auth:\n  jwt: {hs256_secret: ${SECRET}, jwks_url: 'http://x/', issuer: i, audience: a}\n`, /\(auth\.jwt\): exactly one of hs256_secret, public_key_file and jwks_url is required, not hs256_secret and jwks_url/],
    ["auth:\n  jwt: {issuer: i, audience: a}\n", /\(auth\.jwt\): exactly one of/],
    ["auth:\n  jwt: {jwks_url: 'http://127.0.0.1/jwks', issuer: i, audience: a}\n", /\(auth\.jwt\.jwks_url\): jwks_url needs algorithm: RS256 or ES256/],
    ["auth:\n  jwt: {jwks_url: 'ftp://x', algorithm: RS256, issuer: i, audience: a}\n", /\(auth\.jwt\.jwks_url\): must be an http\(s\) URL/],
    ["auth:\n  jwt: {public_key_file: /nonexistent.pem, issuer: i, audience: a}\n", /\(auth\.jwt\.public_key_file\): cannot read \/nonexistent\.pem: ENOENT/],
    [`auth:\n${j}  allow_cidrs: [10.0.0.0/8, 10.0.0.0/33]\n`, /alertprism\.yml:3:29 \(auth\.allow_cidrs\[1\]\): "10\.0\.0\.0\/33": the prefix length must be from 0 to 32/],
    [`auth:\n${j}  allow_cidrs: []\n`, /\(auth\.allow_cidrs\): an empty list would refuse every client/],
    [`auth:\n${j}  trusted_proxies: [proxy.local]\n`, /\(auth\.trusted_proxies\[0\]\): "proxy\.local" is not an IP address/],
    [`auth:\n${j}  alertmanager_api: digest\n`, /\(auth\.alertmanager_api\): Invalid option/],
    [`auth:\n${j}  alertmanager_api: basic\n`, /\(auth\.alertmanager_api\): basic needs users/],
    [`auth:\n${j}  users: [{name: a, password_hash: '${HASH}', role: viewer}]\n`, /\(auth\.users\): users are for alertmanager_api: basic/],
    [`auth:\n${j}  alertmanager_api: basic\n  users: [{name: a, password_hash: plain, role: viewer}]\n`, /alertprism\.yml:4:36 \(auth\.users\[0\]\.password_hash\): not a bcrypt hash/],
    [`auth:\n${j}  alertmanager_api: basic\n  users: [{name: a, password_hash: '${HASH}', role: root}]\n`, /\(auth\.users\[0\]\.role\): Invalid option: expected one of "viewer"\|"operator"\|"admin"/],
    [`auth:\n${j}  alertmanager_api: basic\n  users: [{name: a, password_hash: '${HASH}', role: viewer}, {name: a, password_hash: '${HASH}', role: admin}]\n`, /\(auth\.users\[1\]\.name\): user "a" is listed twice/],
    [`auth:\n${j}  tokens: []\n`, /\(auth\.tokens\): Unrecognized key: "tokens"/],
    ["auth:\n  jwt: {hs256_secret: '${MISSING}', issuer: i, audience: a}\n", /\(auth\.jwt\.hs256_secret\): environment variable MISSING is not set/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parseAuthSettings(text, "alertprism.yml", {}), (e: unknown) => {
      assert.ok(e instanceof ConfigError, text);
      assert.match(e.message, re, text);
      assert.ok(!e.message.includes(SECRET), e.message);
      return true;
    });
  }
});
