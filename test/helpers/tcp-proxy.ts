/**
 * A TCP proxy on 127.0.0.1 that can blackhole its connections: bytes stop flowing both ways while the
 * sockets stay open, as with a network partition or a dropped route (no reset, no FIN; nothing tells the
 * client). For tests of a replica cut off from its database.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface TcpProxy {
  readonly port: number;
  /** From now on nothing is forwarded, on open connections and new ones alike. */
  blackhole(): void;
  /** Forwarding resumes for new connections (the silenced ones are closed: their peers gave up on them). */
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let silent = false;
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const forget = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", forget).on("close", forget);
    upstream.on("error", forget).on("close", forget);
    client.on("data", (d: Buffer) => {
      if (!silent) upstream.write(d);
    });
    upstream.on("data", (d: Buffer) => {
      if (!silent) client.write(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    blackhole: () => {
      silent = true;
    },
    restore: () => {
      silent = false;
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    close: () => new Promise<void>((resolve) => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      server.close(() => resolve());
    }),
  };
}
