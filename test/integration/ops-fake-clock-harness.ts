// The whole app on a fake clock with a real HTTP sink and a real SQLite file, for the ops API's explain and
// statistics tests (the approach of noise-stages.test.ts): alerts POSTed over HTTP, time advanced by hand.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import Database from "better-sqlite3";
import { App } from "../../src/app.ts";
import { resolveSettings } from "../../src/settings.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { FakeClock } from "../../src/lib/clock.ts";
import { OpenApiValidator } from "./ops-openapi.ts";

export const S = 1000;
export const MIN = 60 * S;

export interface Received { at: number; path: string; status: string; alerts: Array<{ status: string; labels: Record<string, string> }> }

export interface Harness {
  readonly clock: FakeClock;
  readonly received: Received[];
  readonly sinkUrl: string;
  readonly app: App;
  readonly base: string;
  readonly dir: string;
  post(alerts: ReadonlyArray<{ labels: Record<string, string>; endsAt?: number; startsAt?: number }>): Promise<void>;
  /** GET on the ops API, the response checked against the served OpenAPI document. */
  ops(path: string, routePath: string): Promise<{ status: number; json: unknown }>;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Advances fake time in steps, letting real I/O (HTTP, commits) run between them. */
  run(ms: number, step?: number): Promise<void>;
  /** A writable connection to the app's database (for rows of features not there yet, e.g. acks). */
  db(): Database.Database;
  close(): Promise<void>;
}

export async function startHarness(routing: (sink: string) => string, prism = "", startMs = Date.UTC(2026, 11, 1, 10, 0, 0)): Promise<Harness> {
  const clock = new FakeClock(startMs);
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let b = "";
    req.on("data", (d: Buffer) => (b += d.toString()));
    req.on("end", () => {
      const body = JSON.parse(b) as Omit<Received, "at" | "path">;
      received.push({ at: clock.now(), path: req.url ?? "", status: body.status, alerts: body.alerts });
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const sinkUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), "alertprism-it-ops-"));
  writeFileSync(join(dir, "alertmanager.yml"), routing(sinkUrl));
  writeFileSync(join(dir, "alertprism.yml"), prism);
  const app = new App({
    settings: resolveSettings(new Map([
      ["config.file", join(dir, "alertmanager.yml")],
      ["alertprism.config.file", join(dir, "alertprism.yml")],
      ["storage.path", dir],
      ["web.listen-address", "127.0.0.1:0"],
      ["storage.synchronous", "normal"],
    ]), {}),
    logger: silentLogger(),
    clock,
  });
  const addr = await app.start();
  const base = `http://127.0.0.1:${addr.port}`;
  const settle = async () => {
    for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 1));
  };
  const doc = await (await fetch(`${base}/api/ops/v1/openapi.json`)).json();
  const validator = new OpenApiValidator(doc as never);
  const connections: Database.Database[] = [];
  const h: Harness = {
    clock, received, sinkUrl, app, base, dir,
    async post(alerts) {
      const body = alerts.map((a) => ({
        labels: a.labels,
        startsAt: new Date(a.startsAt ?? clock.now()).toISOString(),
        endsAt: new Date(a.endsAt ?? clock.now() + 3600 * S).toISOString(),
      }));
      const res = await fetch(`${base}/api/v2/alerts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.equal(res.status, 200, await res.text());
      await settle();
    },
    async ops(path, routePath) {
      const res = await fetch(`${base}/api/ops/v1${path}`);
      const json = (await res.json()) as unknown;
      validator.assertDocumented("GET", routePath, res.status, json);
      return { status: res.status, json };
    },
    fetch: (path, init) => fetch(base + path, init),
    async run(ms, step = S) {
      for (let t = 0; t < ms; t += step) {
        clock.advance(Math.min(step, ms - t));
        await settle();
      }
      for (let seen = -1; seen !== received.length;) {
        seen = received.length;
        await new Promise((r) => setTimeout(r, 30));
      }
    },
    db() {
      const c = new Database(join(dir, "alertprism.db"));
      c.pragma("busy_timeout = 5000");
      connections.push(c);
      return c;
    },
    async close() {
      for (const c of connections) c.close();
      await app.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
