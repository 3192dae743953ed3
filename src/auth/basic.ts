/** HTTP basic authentication against bcrypt hashes (bcryptjs), with a short cache of verified pairs. */
import { createHash } from "node:crypto";
import bcrypt from "bcryptjs";
import { AuthError } from "./errors.ts";
import type { Role } from "./roles.ts";

export interface BasicUser {
  readonly name: string;
  readonly passwordHash: string;
  readonly role: Role;
}

export const BCRYPT_HASH = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;
/** Compared against when the user is unknown, so that unknown users take as long as wrong passwords. */
const DUMMY_HASH = "$2b$10$CwTycUXWue0Thq9StjUM0uJ8.wL1M8ZzQ5F3lKMnPHxJ4yXrMZcbK";
const CACHE_MS = 5 * 60_000;
const CACHE_MAX = 1000;
const CHALLENGE = 'Basic realm="alertprism", charset="UTF-8"';

/** The user and password of a `Basic` Authorization value, or undefined when it is not one. */
export function parseBasic(value: string): { user: string; password: string } | undefined {
  const m = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(value);
  if (!m || m[1]!.length > 4096) return undefined;
  const text = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * bcrypt is deliberately slow (tens of milliseconds): Prometheus posting every few seconds pays it once per
 * five minutes, as a verified (user, password, hash) triple is remembered by its SHA-256 only.
 */
export class BasicVerifier {
  private readonly users: ReadonlyMap<string, BasicUser>;
  private readonly verified = new Map<string, number>();

  constructor(users: readonly BasicUser[], private readonly now: () => number = Date.now) {
    this.users = new Map(users.map((u) => [u.name, u]));
  }

  async verify(user: string, password: string): Promise<{ subject: string; role: Role }> {
    const u = this.users.get(user);
    const hash = u?.passwordHash ?? DUMMY_HASH;
    const key = createHash("sha256").update(user).update("\0").update(password).update("\0").update(hash).digest("base64");
    const now = this.now();
    const until = this.verified.get(key);
    if (u && until !== undefined && until > now) return { subject: u.name, role: u.role };
    const ok = await bcrypt.compare(password, hash);
    if (!u || !ok) throw new AuthError(401, "invalid user name or password", CHALLENGE);
    if (this.verified.size >= CACHE_MAX) this.verified.clear();
    this.verified.set(key, now + CACHE_MS);
    return { subject: u.name, role: u.role };
  }
}

export const BASIC_CHALLENGE = CHALLENGE;
