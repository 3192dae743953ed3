// The crash torture's webhook receiver: records every request with what identifies the notification,
// answers 500 to a configurable share of them (so retries and the outbox replay happen), 200 otherwise.
import { createServer } from "node:http";

export interface SinkAlert {
  fingerprint: string;
  status: string;
  startsAt: string;
}

export interface SinkRequest {
  /** Date.now() when the body was complete. */
  at: number;
  /** What the sink answered: only a 2xx counts as delivered. */
  status: number;
  groupKey: string;
  alerts: SinkAlert[];
}

export interface TortureSink {
  url: string;
  requests: SinkRequest[];
  /** Share of requests answered 500, 0..1. */
  setFailShare(share: number): void;
  delivered(): SinkRequest[];
  close(): Promise<void>;
}

/** The notification's identity: group and each alert's fingerprint, status and episode start. */
export function contentKey(r: Pick<SinkRequest, "groupKey" | "alerts">): string {
  const alerts = r.alerts.map((a) => `${a.fingerprint}:${a.status}:${Date.parse(a.startsAt)}`).sort();
  return `${r.groupKey}|${alerts.join(",")}`;
}

export function startTortureSink(random: () => number): Promise<TortureSink> {
  const requests: SinkRequest[] = [];
  let failShare = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: { groupKey?: unknown; alerts?: unknown } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof body;
      } catch {
        // recorded with an empty group key: the verification reports it
      }
      const status = random() < failShare ? 500 : 200;
      const alerts = Array.isArray(body.alerts) ? (body.alerts as SinkAlert[]).map((a) => ({ fingerprint: a.fingerprint, status: a.status, startsAt: a.startsAt })) : [];
      requests.push({ at: Date.now(), status, groupKey: typeof body.groupKey === "string" ? body.groupKey : "", alerts });
      res.writeHead(status, { "Content-Type": "text/plain" });
      res.end(status === 200 ? "ok" : "failing on purpose");
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      if (addr === null || typeof addr === "string") {
        reject(new Error("torture sink: no port"));
        return;
      }
      resolve({
        url: `http://127.0.0.1:${addr.port}`,
        requests,
        setFailShare: (s) => {
          failShare = s;
        },
        delivered: () => requests.filter((r) => r.status >= 200 && r.status < 300),
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
