import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../lib/log.ts";
import { requestCorrelation, withCorrelation } from "../../lib/correlation.ts";
import { errorReply } from "../error-reply.ts";
import { requestIdOf, setCommonHeaders } from "../common-headers.ts";
import { acceptAlerts } from "./alerts.ts";
import { parseJsonBody, requireJsonContentType } from "./json-body.ts";
import type { ApiContext } from "./context.ts";

export interface FastPostAlertsOptions {
  /** The route prefix without a trailing slash ("" for none). */
  readonly prefix: string;
  readonly maxRequestBytes: number;
  /** True while the request may take the express route only: /api/v2 needs credentials, or spans are recorded. */
  needsFullRoute(): boolean;
}

/**
 * POST /api/v2/alerts, the request Prometheus sends at every evaluation, answered without express: its
 * router, middleware chain and body parser cost more per request than decoding and committing one
 * alert. Only the plain case is taken: the exact path, a Content-Length within the limit, no
 * Content-Encoding, no credentials required, tracing off. Anything else returns false before a byte is
 * read, and express answers it. The answers are the express route's, byte for byte (fast-post-alerts.test.ts).
 */
export function fastPostAlerts(ctx: ApiContext, opts: FastPostAlertsOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const path = `${opts.prefix}/api/v2/alerts`;
  const log = ctx.log.child({ component: "http" });
  return (req, res) => {
    if (req.method !== "POST") return false;
    const url = req.url ?? "";
    const q = url.indexOf("?");
    if ((q < 0 ? url : url.slice(0, q)) !== path) return false;
    const length = contentLength(req);
    if (length === undefined || length > opts.maxRequestBytes) return false;
    const encoding = req.headers["content-encoding"];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") return false;
    if (opts.needsFullRoute()) return false;

    const id = requestIdOf(req);
    setCommonHeaders(res, id);
    const started = process.hrtime.bigint();
    readBody(req, length, (body) => {
      withCorrelation(requestCorrelation(id, undefined), () => {
        answer(ctx, req, body).then(
          () => {
            res.statusCode = 200;
            res.end();
          },
          (err: unknown) => {
            const reply = errorReply(err, log);
            res.statusCode = reply.status;
            if (reply.body === undefined) return void res.end();
            const text = JSON.stringify(reply.body) + "\n";
            res.setHeader("Content-Type", "application/json; charset=utf-8");
            res.setHeader("Content-Length", Buffer.byteLength(text));
            res.end(text);
          },
        ).finally(() => logRequest(log, path, res, started));
      });
    });
    return true;
  };
}

async function answer(ctx: ApiContext, req: IncomingMessage, body: Buffer): Promise<void> {
  requireJsonContentType(req);
  await acceptAlerts(ctx, parseJsonBody(body, "alerts"));
}

/** The declared body length, when it is one plain decimal number (anything else goes to express). */
function contentLength(req: IncomingMessage): number | undefined {
  const v = req.headers["content-length"];
  if (v === undefined || !/^\d{1,15}$/.test(v) || req.headers["transfer-encoding"] !== undefined) return undefined;
  return Number(v);
}

/** Calls `done` with the whole body; a request cut short is dropped (nothing was read into the state). */
function readBody(req: IncomingMessage, length: number, done: (body: Buffer) => void): void {
  const body = Buffer.allocUnsafe(length);
  let filled = 0;
  req.on("data", (chunk: Buffer) => {
    // Node's parser never delivers more than Content-Length bytes; the check only guards the copy.
    if (filled + chunk.length <= length) chunk.copy(body, filled);
    filled += chunk.length;
  });
  req.once("end", () => {
    if (filled === length) done(body);
    else req.socket.destroy();
  });
  req.once("error", () => req.socket.destroy());
}

function logRequest(log: Logger, path: string, res: ServerResponse, started: bigint): void {
  if (!log.isLevelEnabled("debug")) return;
  log.debug({ method: "POST", path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, "request");
}
