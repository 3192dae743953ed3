/**
 * The express side of src/auth: the ops API's authenticator (a verified bearer token, or the loopback
 * policy without `auth:`), and guards for /api/v2 (per alertmanager_api) and POST /-/reload (admin).
 * The caller is left in `res.locals.principal` for handlers that audit what it does.
 */
import type { Request, Response, NextFunction, RequestHandler } from "express";
import type { Logger } from "../lib/log.ts";
import { AuthError, roleAllows, type Authenticator, type AuthPrincipal, type Role, type Scheme } from "../auth/index.ts";
import { ApiError } from "./http-error.ts";
import { LOOPBACK_ONLY, type OpsAuthenticator } from "./ops/router.ts";
import { OpsError } from "./ops/route-table.ts";

export type CurrentAuth = () => Authenticator | undefined;

/** The ops API's authenticator: bearer JWT when `auth:` is configured, loopback-only otherwise. */
export function opsAuthenticator(current: CurrentAuth, log: Logger): OpsAuthenticator {
  return {
    async authenticate(req) {
      const auth = current();
      if (!auth) return LOOPBACK_ONLY.authenticate(req);
      try {
        const p = await auth.authenticate(req, ["bearer"]);
        log.debug({ subject: p.subject, role: p.role, api: "ops" }, "authenticated");
        return p;
      } catch (err) {
        if (!(err instanceof AuthError)) throw err;
        log.info({ api: "ops", client: req.remoteAddress, status: err.status, reason: err.message }, "authentication failed");
        throw new OpsError(err.status, err.message);
      }
    },
  };
}

/** The caller a guard let through, if any (undefined while auth is off). */
export function principalOf(res: Response): AuthPrincipal | undefined {
  return res.locals.principal as AuthPrincipal | undefined;
}

/**
 * The role /api/v2 needs: reading is viewer; posting alerts and creating, updating or expiring silences is
 * operator (so Prometheus needs an operator user or token).
 */
export function alertmanagerApiRole(method: string): Role {
  return method === "GET" || method === "HEAD" ? "viewer" : "operator";
}

/** /api/v2: open with alertmanager_api: none (as Alertmanager's); otherwise basic or bearer and a role. */
export function alertmanagerApiGuard(current: CurrentAuth, log: Logger): RequestHandler {
  return guard(log, "alertmanager", (req) => {
    const needed = alertmanagerApiCredentials(current);
    return !needed || req.method === "OPTIONS" ? undefined : { ...needed, role: alertmanagerApiRole(req.method) };
  });
}

/** What /api/v2 accepts as credentials now; undefined while it is open (no `auth:`, or alertmanager_api: none). */
export function alertmanagerApiCredentials(current: CurrentAuth): { auth: Authenticator; schemes: readonly Scheme[] } | undefined {
  const auth = current();
  if (!auth) return undefined;
  const schemes = auth.alertmanagerApiSchemes();
  return schemes.length === 0 ? undefined : { auth, schemes };
}

/** POST /-/reload needs admin when `auth:` is configured. */
export function reloadGuard(current: CurrentAuth, log: Logger): RequestHandler {
  return guard(log, "reload", () => {
    const auth = current();
    return auth ? { auth, schemes: auth.reloadSchemes(), role: "admin" } : undefined;
  });
}

function guard(log: Logger, api: string, needs: (req: Request) => { auth: Authenticator; schemes: readonly Scheme[]; role: Role } | undefined): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const n = needs(req);
    if (!n) return next();
    const reqLog = (res.locals.log as Logger | undefined) ?? log;
    n.auth.authenticate({ headers: req.headers, remoteAddress: req.socket.remoteAddress ?? "" }, n.schemes).then(
      (p) => {
        if (!roleAllows(p.role, n.role)) {
          reqLog.info({ api, subject: p.subject, role: p.role, needs: n.role }, "authorisation failed");
          return next(ApiError.framework(403, `${req.method} ${req.baseUrl}${req.path} needs the ${n.role} role; ${p.subject} has ${p.role}`));
        }
        reqLog.debug({ api, subject: p.subject, role: p.role }, "authenticated");
        res.locals.principal = p;
        next();
      },
      (err: unknown) => {
        if (!(err instanceof AuthError)) return next(err);
        reqLog.info({ api, client: req.socket.remoteAddress, status: err.status, reason: err.message }, "authentication failed");
        if (err.status === 401 && err.challenge) res.setHeader("WWW-Authenticate", err.challenge);
        next(ApiError.framework(err.status, err.message));
      },
    );
  };
}
