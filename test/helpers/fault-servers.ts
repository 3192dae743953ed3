// Downstream fault toolkit: misbehaving HTTP(S) and SMTP endpoints on 127.0.0.1 for the channel fault tests,
// the fake-clock integration tests and the fault bench. Every server counts what it accepted, so tests can
// assert "delivered exactly once" at the sink, and every server closes its sockets on close().
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import net, { type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";

/** How the server answers one request. */
export type HttpFault =
  | { readonly kind: "ok" }
  /** Accepts the connection and the request, never answers. */
  | { readonly kind: "blackhole" }
  /** Writes a complete 200 response, one byte every `intervalMs` (1 s by default), status line included. */
  | { readonly kind: "trickle"; readonly intervalMs?: number }
  | { readonly kind: "status"; readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string }
  /** 302 to its own URL, forever. */
  | { readonly kind: "redirect-loop" };

export interface SinkRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  /** When it arrived, by the server's `now` (a test's FakeClock, or Date.now). */
  readonly at: number;
  /** The fault the server applied; only "ok" requests count as delivered. */
  readonly fault: HttpFault["kind"];
}

export interface FaultServer {
  readonly url: string;
  /** Every request received, whatever the answer. */
  readonly requests: SinkRequest[];
  /** Requests answered 200 "ok": what the channel delivered. */
  delivered(): SinkRequest[];
  /** Chooses the answer for each request; `n` counts requests from 1. */
  setFault(f: HttpFault | ((n: number) => HttpFault)): void;
  close(): Promise<void>;
}

export interface TestCert {
  readonly key: Buffer;
  readonly cert: Buffer;
}

/**
 * A throwaway self-signed certificate for CN/SAN localhost + 127.0.0.1, made with the openssl CLI at test
 * time (no key material is committed). Fails loudly when openssl is missing rather than skipping.
 */
export function selfSignedCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-fault-tls-"));
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
      "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    return { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An HTTP server (HTTPS with `tls`) that answers as `setFault` says; "ok" by default. */
export async function startFaultServer(opts: { tls?: TestCert; now?: () => number; /** Bodies of answered-with-a-fault requests are dropped (long benches). */ onlyDeliveredBodies?: boolean } = {}): Promise<FaultServer> {
  const now = opts.now ?? Date.now;
  const requests: SinkRequest[] = [];
  let choose: (n: number) => HttpFault = () => ({ kind: "ok" });
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const fault = choose(requests.length + 1);
      requests.push({ method: req.method ?? "", path: req.url ?? "", body: opts.onlyDeliveredBodies && fault.kind !== "ok" ? "" : Buffer.concat(chunks).toString(), at: now(), fault: fault.kind });
      answer(fault, req, res, timers);
    });
  };
  const server: Server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : createHttpServer(handler);
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  // A TLS handshake the client aborts (bad certificate) is not our failure.
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${opts.tls ? "https" : "http"}://127.0.0.1:${port}/hook/fault-sink`,
    requests,
    delivered: () => requests.filter((r) => r.fault === "ok"),
    setFault(f) {
      choose = typeof f === "function" ? f : () => f;
    },
    close: () => new Promise<void>((resolve) => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

function answer(fault: HttpFault, req: IncomingMessage, res: ServerResponse, timers: Set<NodeJS.Timeout>): void {
  switch (fault.kind) {
    case "ok":
      res.setHeader("Content-Type", "application/json");
      // Slack wants "ok", PagerDuty a JSON body, DingTalk errcode 0: one body satisfies them all.
      res.end(JSON.stringify({ ok: true, status: "success", message: "Event processed", errcode: 0, errmsg: "ok" }));
      return;
    case "blackhole":
      return;
    case "trickle": {
      const bytes = Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
      const socket = req.socket;
      let i = 0;
      const t = setInterval(() => {
        if (socket.destroyed || i >= bytes.length) {
          clearInterval(t);
          timers.delete(t);
          return;
        }
        socket.write(bytes.subarray(i, ++i));
      }, fault.intervalMs ?? 1000);
      timers.add(t);
      return;
    }
    case "status":
      res.statusCode = fault.status;
      for (const [k, v] of Object.entries(fault.headers ?? {})) res.setHeader(k, v);
      res.end(fault.body ?? `fault ${fault.status}`);
      return;
    case "redirect-loop":
      res.statusCode = 302;
      res.setHeader("Location", req.url ?? "/");
      res.end();
      return;
  }
}

/** A 127.0.0.1 port with nothing listening: connecting is refused. */
export async function refusedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A host name that cannot resolve: `.invalid` is reserved for exactly that (RFC 6761). */
export const UNRESOLVABLE_HOST = "alertprism-fault.invalid";

/** How an SMTP endpoint misbehaves. */
export type SmtpFault =
  | { readonly kind: "ok" }
  /** Accepts TCP, never sends the greeting. */
  | { readonly kind: "hang" }
  /** Answers every command after `delayMs`. */
  | { readonly kind: "slow"; readonly delayMs: number }
  /** Refuses the message with `code` (e.g. 451) for the first `times` messages, then accepts. */
  | { readonly kind: "reject"; readonly code: number; readonly times: number };

export interface FaultSmtp {
  readonly port: number;
  /** Messages accepted (250 after DATA). */
  readonly accepted: string[];
  /** Sessions that reached DATA, accepted or not. */
  attempts(): number;
  close(): Promise<void>;
}

/** An SMTP server on 127.0.0.1 (smtp-server, as the email channel tests use) with one fault. */
export async function startFaultSmtp(fault: SmtpFault): Promise<FaultSmtp> {
  const accepted: string[] = [];
  let attempts = 0;
  if (fault.kind === "hang") {
    const sockets = new Set<Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return {
      port: (server.address() as AddressInfo).port, accepted, attempts: () => attempts,
      close: () => new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
    };
  }
  const delay = fault.kind === "slow" ? fault.delayMs : 0;
  const later = (fn: () => void): void => void setTimeout(fn, delay);
  const server = new SMTPServer({
    authOptional: true,
    // Any login is fine: the fault is elsewhere.
    onAuth: (_auth, _s, cb) => cb(null, { user: "fault" }),
    disabledCommands: ["STARTTLS"],
    logger: false,
    onConnect: (_s, cb) => later(() => cb()),
    onMailFrom: (_a, _s, cb) => later(() => cb()),
    onRcptTo: (_a, _s, cb) => later(() => cb()),
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (d: Buffer) => chunks.push(d));
      stream.on("end", () => later(() => {
        attempts++;
        if (fault.kind === "reject" && attempts <= fault.times) {
          cb(Object.assign(new Error("try again later"), { responseCode: fault.code }));
          return;
        }
        accepted.push(Buffer.concat(chunks).toString());
        cb();
      }));
    },
  });
  server.on("error", () => undefined);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port, accepted, attempts: () => attempts,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
