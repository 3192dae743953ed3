import express, { type Request, type Response, type NextFunction, type Express } from "express";
import { randomUUID } from "node:crypto";
import type { Logger } from "../lib/log.ts";
import { ValidationError, NotFoundError, StorageError, ConfigError, errorMessage } from "../lib/errors.ts";
import { ApiError } from "./http-error.ts";
import { apiV2Router } from "./v2/router.ts";
import { parseGoQuery } from "./v2/query.ts";
import type { ApiContext } from "./v2/context.ts";
import { webhookReceiver, type WebhookReceiverOptions } from "./webhook/receiver.ts";
import { opsRouter, type OpsAuthenticator } from "./ops/router.ts";
import type { OpsRoute } from "./ops/route-table.ts";
import { ackLinkRouter, type AckLinkHandler } from "./ack-link-page.ts";
import { alertmanagerApiGuard, principalOf, reloadGuard, type CurrentAuth } from "./auth-guard.ts";
import { uiRouter } from "../ui/router.ts";
import { healthHttpStatus, type HealthReport } from "../health/health.ts";
import { requestCorrelation, withCorrelation } from "../lib/correlation.ts";
import { NO_TRACING, SpanKind, SpanStatusCode, parseTraceparent, type Span, type Tracing } from "../lib/tracing.ts";

export interface ServerOptions {
  readonly routePrefix: string;
  readonly maxRequestBytes: number;
  readonly version: string;
  /** What GET /metrics serves (the Prometheus text format). */
  readonly metrics: { readonly contentType: string; exposition(): Promise<string> };
  isReady(): boolean;
  /** GET /health: each component's state, from memory (it answers while the database is slow or locked). */
  health(): HealthReport;
  /** `actor`: who asked (the authenticated subject; "local" without auth). */
  reload(actor?: string): Promise<void>;
  /** alertprism.yml's `auth:` now (undefined: /api/v2 and /-/reload open, as Alertmanager's). */
  readonly auth?: CurrentAuth;
  readonly webhook: WebhookReceiverOptions;
  /** The ops API (/api/ops/v1): its route table and who may call it. */
  readonly ops: { readonly routes: readonly OpsRoute[]; authenticator(): OpsAuthenticator };
  /** One-click ack links (`<prefix>/ack/<token>`), outside the ops API: the link's signature is its credential. */
  readonly ackLinks?: AckLinkHandler;
  /** A span per request (off: none). */
  readonly tracing?: Tracing;
}

/** Builds the HTTP surface: Alertmanager's API v2 and lifecycle endpoints under the route prefix, and /metrics. */
export function createHttpApp(ctx: ApiContext, opts: ServerOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.set("query parser", parseGoQuery);

  const tracing = opts.tracing ?? NO_TRACING;
  app.use((req: Request, res: Response, next: NextFunction) => {
    // A client's id is kept only if it is short and plain: it goes into a header and every log line.
    const given = req.headers["x-request-id"];
    const id = typeof given === "string" && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
    // The request id (and trace id) reach every log line this request causes through the correlation.
    res.locals.log = ctx.log.child({ component: "http" });
    res.setHeader("X-Request-Id", id);
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
    res.setHeader("Access-Control-Allow-Headers", "Accept, Authorization, Content-Type, Origin");
    res.setHeader("Access-Control-Expose-Headers", "Date");
    res.setHeader("Vary", "Origin");
    const span = tracing.enabled ? requestSpan(tracing, req, id) : undefined;
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      (res.locals.log as Logger).debug(
        { method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        "request",
      );
    });
    if (span) {
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        const route = matchedRoute(req);
        if (route !== undefined) {
          span.updateName(`${req.method} ${route}`);
          span.setAttribute("http.route", route);
        }
        span.setAttribute("http.response.status_code", res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      };
      res.on("finish", end);
      res.on("close", end);
    }
    withCorrelation(requestCorrelation(id, span), next);
  });

  const prefix = normalisePrefix(opts.routePrefix);
  const router = express.Router();
  const rawBody = express.raw({ type: () => true, limit: opts.maxRequestBytes });

  const plain = (body: string) => (req: Request, res: Response) => {
    res.status(200).type("text/plain").send(req.method === "HEAD" ? undefined : body);
  };
  router.get("/-/healthy", plain("OK"));
  router.get("/-/ready", (req, res) => {
    if (opts.isReady()) plain("OK")(req, res);
    else res.status(503).type("text/plain").send("Service Unavailable");
  });
  const noAuth: CurrentAuth = () => undefined;
  // The body (none is expected) is read before reloading, so a request cut short reloads nothing.
  router.post("/-/reload", reloadGuard(opts.auth ?? noAuth, ctx.log), rawBody, (_req, res) => {
    // Alertmanager answers a failed reload with 500 and the reason as text.
    opts.reload(principalOf(res)?.subject ?? "local").then(
      () => res.status(200).end(),
      (err: unknown) => res.status(500).type("text/plain").send(`failed to reload config: ${errorMessage(err)}\n`),
    );
  });
  router.all("/-/reload", (req, _res, next) => next(ApiError.framework(405, `method ${req.method} is not allowed, but [POST] are`)));
  router.get("/health", (_req, res) => {
    const report = opts.health();
    res.status(healthHttpStatus(report)).json(report);
  });
  router.get("/ready", (_req, res) => res.status(opts.isReady() ? 200 : 503).json({ ready: opts.isReady() }));
  router.get("/metrics", (_req, res, next) => {
    opts.metrics.exposition().then((text) => res.type(opts.metrics.contentType).send(text), next);
  });
  const webhook = webhookReceiver(opts.webhook);
  router.post("/api/v1/webhook", rawBody, (req, res, next) => {
    // The webhook receiver answers errors in the framework shape, a storage failure included.
    webhook(req, res).catch((err: unknown) => next(err instanceof StorageError ? ApiError.framework(503, err.message) : err));
  });
  router.use("/api/v2", alertmanagerApiGuard(opts.auth ?? noAuth, ctx.log), apiV2Router(ctx, opts.version, rawBody));
  if (opts.ackLinks) router.use("/ack", ackLinkRouter(opts.ackLinks));
  router.use("/ui", uiRouter({ routePrefix: prefix === "/" ? "" : prefix, version: opts.version }));
  router.use("/api/ops/v1", opsRouter({ routes: opts.ops.routes, authenticator: opts.ops.authenticator, maxRequestBytes: opts.maxRequestBytes }));

  app.use(prefix, router);
  app.use((req: Request, _res: Response, next: NextFunction) => next(ApiError.framework(404, `path ${req.path} was not found`)));
  app.use(errorHandler(ctx.log));
  return app;
}

/** The server span of one request; its name gets the route when one matched (low-cardinality names). */
function requestSpan(tracing: Tracing, req: Request, id: string): Span {
  const parent = parseTraceparent(req.headers.traceparent);
  return tracing.start(req.method, {
    kind: SpanKind.SERVER,
    ...(parent ? { parent } : {}),
    attributes: { "http.request.method": req.method, "alertprism.request_id": id },
  });
}

/**
 * The route pattern that handled the request, prefix included (e.g. /api/v2/silence/:silenceID), when one
 * did. Express restores `baseUrl` once routers return, so the prefix is what the pattern's segments leave
 * of the path. Never the path itself: a path can carry a credential (one-click ack links).
 */
function matchedRoute(req: Request): string | undefined {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern !== "string" || /[*{(]/.test(pattern)) return undefined;
  const segments = req.originalUrl.split("?")[0]!.replace(/\/+$/, "").split("/");
  const own = pattern.split("/").filter((p) => p !== "").length;
  const base = segments.slice(0, Math.max(0, segments.length - own)).join("/").replace(/\/+$/, "");
  return `${base}${pattern === "/" ? "" : pattern}` || "/";
}

function normalisePrefix(p: string): string {
  const trimmed = p.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

/** The one place where errors become status codes and bodies. */
function errorHandler(log: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const reqLog = (res.locals.log as Logger | undefined) ?? log;
    const send = (status: number, body: unknown) => {
      if (res.headersSent) return;
      if (body === undefined) res.status(status).end();
      else res.status(status).type("application/json").send(JSON.stringify(body) + "\n");
    };
    if (err instanceof ApiError) return send(err.status, err.body);
    if (err instanceof ValidationError) return send(400, err.message);
    if (err instanceof NotFoundError) return send(404, err.message);
    if (err instanceof ConfigError) return send(400, err.message);
    const e = err as { type?: string; status?: number; limit?: number };
    if (e?.type === "entity.too.large") {
      return send(413, { code: 413, message: `request body too large: the limit is ${e.limit ?? "?"} bytes` });
    }
    if (e?.type === "request.aborted" || e?.type === "request.size.invalid") return send(400, { code: 400, message: errorMessage(err) });
    // Other client errors of express's own layers carry their 4xx status: a path parameter with a bad
    // %-escape (router: 400), an unknown Content-Encoding (body-parser: 415), a body that does not
    // decompress (body-parser: 400). They are the client's mistake, not a server failure.
    if (typeof e?.status === "number" && e.status >= 400 && e.status < 500) return send(e.status, { code: e.status, message: errorMessage(err) });
    if (err instanceof StorageError) {
      // Prometheus retries on 5xx. The store logs these itself, rate-limited: a full disk must not flood the log.
      reqLog.debug({ err: err.message }, "storage failure");
      return send(503, err.message);
    }
    reqLog.error({ err: errorMessage(err), stack: (err as Error)?.stack }, "unhandled error");
    send(500, "internal server error");
  };
}
