// One HTTP/1.1 request over a raw socket, so that anything can be sent: any method, bytes in headers,
// duplicate headers, a body trickled a few bytes at a time, or a Content-Length larger than what is sent
// followed by a close. The answer is the status of the response, or none when the server closed first.
import { connect, type Socket } from "node:net";

export interface RawRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer | undefined;
  /** whole: all at once; trickle: in small pieces with pauses; truncate: announce more than is sent, then close. */
  readonly delivery: "whole" | "trickle" | "truncate";
}

export interface RawResult {
  /** undefined: the connection ended without a status line. */
  readonly status: number | undefined;
  /** No answer and no close within the time limit. */
  readonly timedOut: boolean;
  /** The beginning of the final response's body (latin1), "" without one. */
  readonly body: string;
}

export function sendRaw(port: number, req: RawRequest, timeoutMs = 30_000): Promise<RawResult> {
  const body = req.body ?? Buffer.alloc(0);
  const lines = [`${req.method} ${req.target} HTTP/1.1`, "host: 127.0.0.1", "connection: close"];
  for (const [k, v] of req.headers) lines.push(`${k}: ${v}`);
  if (body.length > 0 || req.method === "POST") lines.push(`content-length: ${body.length + (req.delivery === "truncate" ? 1 + (body.length % 97) : 0)}`);
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");

  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      // Skip interim answers (100 Continue): the status is the first final one.
      const text = received.toString("latin1");
      const final = [...text.matchAll(/(?:^|\r\n\r\n)HTTP\/1\.[01] (\d{3})/g)].find((m) => Number(m[1]) >= 200);
      const bodyAt = final === undefined ? -1 : text.indexOf("\r\n\r\n", final.index + 4);
      resolve({ status: final === undefined ? undefined : Number(final[1]), timedOut, body: bodyAt < 0 ? "" : text.slice(bodyAt + 4) });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      // The status line is all that is kept; the rest is read and dropped until the server closes.
      if (received.length < 4096) received = Buffer.concat([received, chunk]);
    });
    socket.on("error", () => finish(false));
    socket.on("close", () => finish(false));
    socket.on("connect", () => {
      if (req.delivery === "trickle") {
        void trickle(socket, Buffer.concat([head, body])).catch(() => undefined);
      } else {
        socket.write(Buffer.concat([head, body]));
        if (req.delivery === "truncate") socket.end();
      }
    });
  });
}

/** About eight pieces (at least 7 bytes each) with short pauses, so the server reads a slow client. */
async function trickle(socket: Socket, data: Buffer): Promise<void> {
  const piece = Math.max(7, Math.ceil(data.length / 8));
  for (let i = 0; i < data.length && !socket.destroyed; i += piece) {
    socket.write(data.subarray(i, i + piece));
    await new Promise((r) => setTimeout(r, 1));
  }
}
