/**
 * For channel tests: a local server on 127.0.0.1 that fails in the ways upstreams do, each error body
 * echoing the request (URL, Authorization, body) so a channel that copies bodies into errors would leak;
 * and a runner that sends through a notifier in each failure mode, feeding every error into a LeakScanner.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { NotifyError, type NotificationData, type Notifier } from "../../src/notify/notifier.ts";
import { fromMillis, ZERO_TIME } from "../../src/types/time.ts";
import type { LeakScanner } from "./secret-leaks.ts";

/** How the server fails; the path of a request is `/<mode>/...` in the URLs that `base(mode)` gives. */
export const FAILURE_MODES = ["server-error", "client-error", "rate-limited", "hang", "refused"] as const;
export type FailureMode = (typeof FAILURE_MODES)[number];

export interface FailingUpstream {
  /** `http://127.0.0.1:<port>/<mode>`: append the channel's path (with its tokens). */
  base(mode: FailureMode): string;
  close(): Promise<void>;
}

export async function failingUpstream(): Promise<FailingUpstream> {
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const echo = `${req.method} ${req.url} authorization=${req.headers.authorization ?? ""} body=${body.slice(0, 500)}`;
      const mode = (req.url ?? "").split("/")[1];
      if (mode === "hang") return;
      const status = mode === "client-error" ? 400 : mode === "rate-limited" ? 429 : 500;
      // JSON, so channels that parse error bodies (PagerDuty, DingTalk) see the echo in their fields too.
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ errcode: 310000, errmsg: echo, message: echo, errors: [echo] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  // A port nothing listens on: taken and released.
  const dead = createServer();
  await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
  const deadPort = (dead.address() as AddressInfo).port;
  await new Promise<void>((resolve) => dead.close(() => resolve()));
  return {
    base: (mode) => `http://127.0.0.1:${mode === "refused" ? deadPort : port}/${mode}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export const LEAK_TEST_DATA: NotificationData = {
  receiver: "ops",
  status: "firing",
  alerts: [{
    status: "firing", labels: { alertname: "Leak", instance: "a" }, annotations: { summary: "s" },
    startsAt: fromMillis(Date.UTC(2026, 10, 22)), endsAt: ZERO_TIME, generatorURL: "", fingerprint: "0123456789abcdef",
  }],
  groupLabels: { alertname: "Leak" },
  commonLabels: { alertname: "Leak", instance: "a" },
  commonAnnotations: { summary: "s" },
  externalURL: "http://alertprism:9093",
};

/** How long a hanging request may take before the test aborts it, as the flush deadline would. */
const HANG_ABORT_MS = 500;

/**
 * Sends once through `make(mode)` for every failure mode; each send must fail with a NotifyError, whose
 * reason and message go into the scanner. Returns the errors by mode for further checks.
 */
export async function sendInEveryFailureMode(make: (mode: FailureMode) => Notifier, scanner: LeakScanner): Promise<Map<FailureMode, NotifyError>> {
  const out = new Map<FailureMode, NotifyError>();
  for (const mode of FAILURE_MODES) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), mode === "hang" ? HANG_ABORT_MS : 30_000);
    try {
      await make(mode).notify({ data: LEAK_TEST_DATA, groupKey: '{}:{alertname="Leak"}', signal: controller.signal });
      throw new Error(`${mode}: the send succeeded`);
    } catch (err) {
      if (!(err instanceof NotifyError)) throw err;
      scanner.add(`${mode}: error reason`, err.reason);
      scanner.add(`${mode}: error message`, err.message);
      scanner.add(`${mode}: error as JSON`, JSON.stringify(err));
      out.set(mode, err);
    } finally {
      clearTimeout(timer);
    }
  }
  return out;
}
