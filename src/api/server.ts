import express, { type Request, type Response, type NextFunction } from "express";
import type { RequestListener } from "node:http";
import type { Logger } from "../lib/log.ts";
import { StorageError, errorMessage } from "../lib/errors.ts";
import { ApiError } from "./http-error.ts";
import { apiV2Router } from "./v2/router.ts";
import { parseGoQuery } from "./v2/query.ts";
import type { ApiContext } from "./v2/context.ts";
import { webhookReceiver, type WebhookReceiverOptions } from "./webhook/receiver.ts";
import { opsRouter, type OpsAuthenticator } from "./ops/router.ts";
import type { OpsRoute } from "./ops/route-table.ts";
import { ackLinkRouter, type AckLinkHandler } from "./ack-link-page.ts";
import { alertmanagerApiCredentials, alertmanagerApiGuard, principalOf, reloadGuard, type CurrentAuth } from "./auth-guard.ts";
import { fastPostAlerts } from "./v2/fast-post-alerts.ts";
import { uiRouter } from "../ui/router.ts";
import { healthHttpStatus, type HealthReport } from "../health/health.ts";
import { requestCorrelation, withCorrelation } from "../lib/correlation.ts";
import { errorReply } from "./error-reply.ts";
import { requestIdOf, setCommonHeaders } from "./common-headers.ts";
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

/**
 * Builds the HTTP surface: Alertmanager's API v2 and lifecycle endpoints under the route prefix, and /metrics.
 * Plain POSTs of alerts take a route of their own (fast-post-alerts.ts); everything else goes through express.
 */
export function createHttpApp(ctx: ApiContext, opts: ServerOptions): RequestListener {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.set("query parser", parseGoQuery);

  const tracing = opts.tracing ?? NO_TRACING;
  app.use((req: Request, res: Response, next: NextFunction) => {
    const id = requestIdOf(req);
    // The request id (and trace id) reach every log line this request causes through the correlation.
    res.locals.log = ctx.log.child({ component: "http" });
    setCommonHeaders(res, id);
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
  const fast = fastPostAlerts(ctx, {
    prefix: prefix === "/" ? "" : prefix,
    maxRequestBytes: opts.maxRequestBytes,
    needsFullRoute: () => tracing.enabled || alertmanagerApiCredentials(opts.auth ?? noAuth) !== undefined,
  });
  return (req, res) => {
    if (!fast(req, res)) app(req, res);
  };
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

/** Express's end of errorReply: the status and body it chose, unless the response has begun. */
function errorHandler(log: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const { status, body } = errorReply(err, (res.locals.log as Logger | undefined) ?? log);
    if (res.headersSent) return;
    if (body === undefined) res.status(status).end();
    else res.status(status).type("application/json").send(JSON.stringify(body) + "\n");
  };
}
