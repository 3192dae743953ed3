import type { Logger } from "../lib/log.ts";
import { ValidationError, NotFoundError, StorageError, ConfigError, errorMessage } from "../lib/errors.ts";
import { ApiError } from "./http-error.ts";

/** What an error is answered with: a status and a JSON body (undefined: no body). */
export interface ErrorReply {
  readonly status: number;
  readonly body?: unknown;
}

/** The one place where errors become status codes and bodies; logs what is not the client's doing. */
export function errorReply(err: unknown, log: Logger): ErrorReply {
  if (err instanceof ApiError) return { status: err.status, body: err.body };
  if (err instanceof ValidationError) return { status: 400, body: err.message };
  if (err instanceof NotFoundError) return { status: 404, body: err.message };
  if (err instanceof ConfigError) return { status: 400, body: err.message };
  const e = err as { type?: string; status?: number; limit?: number };
  if (e?.type === "entity.too.large") {
    return { status: 413, body: { code: 413, message: `request body too large: the limit is ${e.limit ?? "?"} bytes` } };
  }
  if (e?.type === "request.aborted" || e?.type === "request.size.invalid") return { status: 400, body: { code: 400, message: errorMessage(err) } };
  // Other client errors of express's own layers carry their 4xx status: a path parameter with a bad
  // %-escape (router: 400), an unknown Content-Encoding (body-parser: 415), a body that does not
  // decompress (body-parser: 400). They are the client's mistake, not a server failure.
  if (typeof e?.status === "number" && e.status >= 400 && e.status < 500) return { status: e.status, body: { code: e.status, message: errorMessage(err) } };
  if (err instanceof StorageError) {
    // Prometheus retries on 5xx. The store logs these itself, rate-limited: a full disk must not flood the log.
    log.debug({ err: err.message }, "storage failure");
    return { status: 503, body: err.message };
  }
  log.error({ err: errorMessage(err), stack: (err as Error)?.stack }, "unhandled error");
  return { status: 500, body: "internal server error" };
}
