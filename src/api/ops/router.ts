import express, { type Request, type Response, type NextFunction, type Router } from "express";
import { ApiError } from "../http-error.ts";
import { StorageError } from "../../lib/errors.ts";
import { roleAllows, OpsError, type OpsRequest, type OpsRoute, type Principal } from "./route-table.ts";

/** Who is calling, from the request's headers and peer address. Throws OpsError 401/403. */
export interface OpsAuthenticator {
  authenticate(req: { readonly headers: Readonly<Record<string, string | string[] | undefined>>; readonly remoteAddress: string }): Principal | Promise<Principal>;
}

/** IPv4 127.0.0.0/8, IPv6 ::1 and IPv4-mapped loopback. */
export function isLoopback(address: string): boolean {
  const a = address.startsWith("::ffff:") ? address.slice(7) : address;
  return a === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/**
 * With no `auth:` in alertprism.yml: the ops API answers on loopback addresses only (as an admin: whoever
 * can reach it there already runs on the host), and refuses everyone else before reading anything.
 */
export const LOOPBACK_ONLY: OpsAuthenticator = {
  authenticate({ remoteAddress }) {
    if (!isLoopback(remoteAddress)) {
      throw new OpsError(403, "the ops API answers only on loopback addresses until auth: is configured in alertprism.yml");
    }
    return { subject: "local", role: "admin" };
  },
};

export interface OpsRouterOptions {
  readonly routes: readonly OpsRoute[];
  authenticator(): OpsAuthenticator;
  readonly maxRequestBytes: number;
}

/**
 * The ops API's routes from the table: authenticate, check the route's role, parse the JSON body, run the
 * handler, answer. Errors become `{code, message}` with a 4xx status; the shared error handler maps the rest.
 */
export function opsRouter(opts: OpsRouterOptions): Router {
  const router = express.Router();
  const rawBody = express.raw({ type: () => true, limit: opts.maxRequestBytes });
  for (const route of opts.routes) {
    const method = route.method.toLowerCase() as "get" | "post" | "delete";
    router[method](route.path, rawBody, (req: Request, res: Response, next: NextFunction) => {
      handle(route, opts, req, res).catch(next);
    });
  }
  router.use((req: Request, _res: Response, next: NextFunction) => next(new OpsError(404, `no ops API route ${req.method} ${req.path}`)));
  router.use((err: unknown, _req: Request, _res: Response, next: NextFunction) => {
    if (err instanceof OpsError) next(ApiError.framework(err.status, err.message));
    else if (err instanceof StorageError) next(ApiError.framework(503, err.message));
    else next(err);
  });
  return router;
}

async function handle(route: OpsRoute, opts: OpsRouterOptions, req: Request, res: Response): Promise<void> {
  const principal = await opts.authenticator().authenticate({ headers: req.headers, remoteAddress: req.socket.remoteAddress ?? "" });
  if (!roleAllows(principal.role, route.role)) throw new OpsError(403, `${route.method} ${route.path} needs the ${route.role} role; ${principal.subject} has ${principal.role}`);
  const request: OpsRequest = {
    params: req.params as Record<string, string>,
    query: (req.query ?? {}) as Record<string, string[]>,
    body: parseBody(req),
    principal,
    requestId: String(res.getHeader("X-Request-Id") ?? ""),
  };
  const out = await route.handler(request);
  if ("json" in out) res.status(out.status).type("application/json").send(JSON.stringify(out.json) + "\n");
  else if ("html" in out) res.status(out.status).type("text/html; charset=utf-8").send(out.html);
  else res.status(204).end();
}

function parseBody(req: Request): unknown {
  const raw = req.body as unknown;
  if (!Buffer.isBuffer(raw) || raw.length === 0) return undefined;
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/json\b/i.test(type)) throw new OpsError(415, `the body must be JSON (Content-Type: application/json), not ${JSON.stringify(type)}`);
  try {
    return JSON.parse(raw.toString("utf8")) as unknown;
  } catch (err) {
    throw new OpsError(400, `the body is not valid JSON: ${(err as Error).message}`);
  }
}
