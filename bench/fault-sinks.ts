/**
 * The misbehaving endpoints of the fault bench, in a child process of their own (forked by faults.ts), so
 * the event loop the bench measures is the app's alone: the sinks' own work (thousands of refused
 * requests, SMTP sessions, trickle timers) would otherwise count as the app's stalls.
 *
 * Protocol over the IPC channel: the child sends `{ ready: FaultSinkAddresses }` once listening; the parent
 * sends `{ cmd: "report" }` (answered with `{ report: FaultSinkReport }`) and `{ cmd: "close" }`.
 */
import {
  refusedPort, selfSignedCert, startFaultServer, startFaultSmtp, type FaultServer, type FaultSmtp,
} from "../test/helpers/fault-servers.ts";

export interface FaultSinkAddresses {
  readonly http: Record<string, string>;
  readonly smtpPorts: Record<string, number>;
  readonly refusedPort: number;
}

export interface FaultSinkReport {
  /** Group keys of the notifications the recovering receiver answered 200. */
  readonly flakyDelivered: string[];
  /** Bodies the healthy receiver answered 200 (group keys), warm-up included. */
  readonly healthyDelivered: string[];
  readonly requestsSeen: Record<string, number>;
}

type Command = { cmd: "report" } | { cmd: "close" };

async function main(): Promise<void> {
  // When the recovering receiver stops answering 503, on this machine's clock (shared with the parent).
  const recoverAt = Number(process.env.FAULT_RECOVER_AT);
  if (!Number.isFinite(recoverAt)) throw new Error("FAULT_RECOVER_AT is not set");
  const cert = selfSignedCert();
  // The sinks keep a record per request; without the bodies of refused ones, so their heap stays small.
  const lean = { onlyDeliveredBodies: true };
  const http: Record<string, FaultServer> = {
    healthy: await startFaultServer(lean),
    flaky: await startFaultServer(lean),
    blackhole: await startFaultServer(lean),
    trickle: await startFaultServer(lean),
    ratelimited: await startFaultServer(lean),
    ratelimitedDate: await startFaultServer(lean),
    redirect: await startFaultServer(lean),
    tls: await startFaultServer({ ...lean, tls: cert }),
  };
  const smtp: Record<string, FaultSmtp> = {
    smtphang: await startFaultSmtp({ kind: "hang" }),
    smtp451: await startFaultSmtp({ kind: "reject", code: 451, times: 1_000_000 }),
  };
  http.flaky!.setFault(() => (Date.now() < recoverAt ? { kind: "status", status: 503 } : { kind: "ok" }));
  http.blackhole!.setFault({ kind: "blackhole" });
  http.trickle!.setFault({ kind: "trickle", intervalMs: 1000 });
  http.ratelimited!.setFault({ kind: "status", status: 429, headers: { "Retry-After": "3" } });
  http.ratelimitedDate!.setFault(() => ({ kind: "status", status: 429, headers: { Date: new Date().toUTCString(), "Retry-After": new Date(Date.now() + 4000).toUTCString() } }));
  http.redirect!.setFault({ kind: "redirect-loop" });

  const groupKeys = (s: FaultServer) => s.delivered().map((r) => (JSON.parse(r.body) as { groupKey: string }).groupKey);
  process.on("message", (m: Command) => {
    if (m.cmd === "report") {
      const report: FaultSinkReport = {
        flakyDelivered: groupKeys(http.flaky!),
        healthyDelivered: groupKeys(http.healthy!),
        requestsSeen: {
          ...Object.fromEntries(Object.entries(http).map(([k, s]) => [k, s.requests.length])),
          ...Object.fromEntries(Object.entries(smtp).map(([k, s]) => [k, s.attempts()])),
        },
      };
      process.send!({ report });
    } else {
      void Promise.all([...Object.values(http), ...Object.values(smtp)].map((s) => s.close())).then(() => process.exit(0));
    }
  });
  const ready: FaultSinkAddresses = {
    http: Object.fromEntries(Object.entries(http).map(([k, s]) => [k, s.url])),
    smtpPorts: Object.fromEntries(Object.entries(smtp).map(([k, s]) => [k, s.port])),
    refusedPort: await refusedPort(),
  };
  process.send!({ ready });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
