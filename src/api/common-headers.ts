import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** The request's id: the client's X-Request-Id if it is short and plain (it goes into a header and every log line), else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
}

/** Headers every response carries: its request id and Alertmanager's CORS headers. */
export function setCommonHeaders(res: ServerResponse, requestId: string): void {
  res.setHeader("X-Request-Id", requestId);
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.setHeader("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
  res.setHeader("Access-Control-Allow-Headers", "Accept, Authorization, Content-Type, Origin");
  res.setHeader("Access-Control-Expose-Headers", "Date");
  res.setHeader("Vary", "Origin");
}
