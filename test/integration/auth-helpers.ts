// Shared by the auth tests: an HTTP client that can choose its source address and send any header,
// tokens of every kind of wrong, and a logger that keeps every line.
import { request } from "node:http";
import { SignJWT } from "jose";
import { createLogger, type Logger } from "../../src/lib/log.ts";

export const SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
export const ISSUER = "alertprism-test";
export const AUDIENCE = "alertprism-ops";
const enc = new TextEncoder();

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** One request; `localAddress` picks the client's loopback address (127.0.0.2 …). */
export function call(url: string, method: string, opts: { token?: string; authorization?: string; headers?: Record<string, string>; localAddress?: string; body?: unknown } = {}): Promise<Reply> {
  const u = new URL(url);
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  if (body !== undefined) headers["content-type"] = "application/json";
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, localAddress: opts.localAddress }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => {
        let json: unknown;
        try {
          json = text === "" ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

export async function token(claims: Record<string, unknown>, opts: { secret?: string; alg?: string; expSeconds?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: "tester", exp: now + (opts.expSeconds ?? 600), iat: now, ...claims })
    .setProtectedHeader({ alg: opts.alg ?? "HS256", typ: "JWT" })
    .sign(enc.encode(opts.secret ?? SECRET));
}

export function roleToken(role: string, sub = `${role}-user`): Promise<string> {
  return token({ roles: [role], sub });
}

/** Every kind of token that must be refused with 401, by name. */
export async function badTokens(role: string): Promise<Array<[string, string]>> {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return [
    ["expired", await token({ roles: [role] }, { expSeconds: -120 })],
    ["wrongly signed", await token({ roles: [role] }, { secret: "another-secret-another-secret-another-secret" })],
    ["wrong audience", await token({ roles: [role], aud: "someone-else" })],
    ["wrong issuer", await token({ roles: [role], iss: "someone-else" })],
    ["alg none", `${b64({ alg: "none", typ: "JWT" })}.${b64({ iss: ISSUER, aud: AUDIENCE, sub: "mallory", roles: [role], exp: now + 600 })}.`],
    ["malformed", "this.is-not.a-jwt"],
  ];
}

/** A JSON logger keeping every line, to check that no secret is ever logged. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", format: "json", destination: { write: (l: string) => void lines.push(l) } });
  return { logger, lines };
}

export function authYaml(extra = ""): string {
  return `auth:
  jwt:
    hs256_secret: ${SECRET}
    issuer: ${ISSUER}
    audience: ${AUDIENCE}
    roles_claim: roles
  allow_cidrs: [127.0.0.0/29, "::1/128"]
  trusted_proxies: [127.0.0.2]
${extra}`;
}
