// A stand-in for Prometheus's query API on 127.0.0.1: /api/v1/query and /api/v1/query_range answer from
// series defined as functions of time (so any range is consistent with the instant reads), record every
// request, and can be taken "down" (503 with Prometheus's error body) to test failures.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeSeries {
  readonly labels: Record<string, string>;
  /** The value at t (ms), or undefined where the series has no sample. */
  value(tMs: number): number | undefined;
}

export interface FakeRequest { readonly path: string; readonly query: string; readonly params: Record<string, string> }

export interface FakePrometheus {
  readonly url: string;
  readonly requests: FakeRequest[];
  /** The series an expression returns (every expression not set returns none). */
  set(expr: string, series: FakeSeries[]): void;
  down: boolean;
  /** While true, requests are received (and recorded) but never answered. */
  hang: boolean;
  close(): Promise<void>;
}

const fmt = (v: number): string => (Number.isNaN(v) ? "NaN" : v === Infinity ? "+Inf" : v === -Infinity ? "-Inf" : String(v));

export async function startFakePrometheus(): Promise<FakePrometheus> {
  const byExpr = new Map<string, FakeSeries[]>();
  const requests: FakeRequest[] = [];
  const state = { down: false, hang: false };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const path = new URL(req.url ?? "/", "http://x").pathname;
      requests.push({ path, query: params.query ?? "", params });
      if (state.hang) return;
      res.setHeader("content-type", "application/json");
      if (state.down) {
        res.statusCode = 503;
        res.end(JSON.stringify({ status: "error", errorType: "unavailable", error: "fake Prometheus is down" }));
        return;
      }
      const series = byExpr.get(params.query ?? "") ?? [];
      if (path === "/api/v1/query") {
        const t = Math.round(Number(params.time) * 1000);
        const result = series.flatMap((s) => {
          const v = s.value(t);
          return v === undefined ? [] : [{ metric: s.labels, value: [t / 1000, fmt(v)] }];
        });
        res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
        return;
      }
      if (path === "/api/v1/query_range") {
        const start = Math.round(Number(params.start) * 1000);
        const end = Math.round(Number(params.end) * 1000);
        const step = Math.round(Number(params.step) * 1000);
        if ((end - start) / step >= 11_000) {
          res.statusCode = 400;
          res.end(JSON.stringify({ status: "error", errorType: "bad_data", error: "exceeded maximum resolution of 11,000 points per timeseries" }));
          return;
        }
        const result = series.flatMap((s) => {
          const values: Array<[number, string]> = [];
          for (let t = start; t <= end; t += step) {
            const v = s.value(t);
            if (v !== undefined) values.push([t / 1000, fmt(v)]);
          }
          return values.length === 0 ? [] : [{ metric: s.labels, values }];
        });
        res.end(JSON.stringify({ status: "success", data: { resultType: "matrix", result } }));
        return;
      }
      res.statusCode = 404;
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    set: (expr, s) => void byExpr.set(expr, s),
    get down() { return state.down; },
    set down(v: boolean) { state.down = v; },
    get hang() { return state.hang; },
    set hang(v: boolean) { state.hang = v; },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
