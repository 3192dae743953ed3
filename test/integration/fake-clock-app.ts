// The whole app on a fake clock (src/lib/clock.ts) with a real HTTP webhook sink on 127.0.0.1 and a real
// SQLite file, for the integration tests that script time: alerts POSTed over HTTP, time advanced by hand in
// steps while real I/O (HTTP deliveries, commits) runs between them, restarts with the same database, and
// ops API responses checked against the OpenAPI document the server serves.
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

export interface WebhookAlert { status: string; labels: Record<string, string>; annotations: Record<string, string> }

/**
 * One request the sink accepted: when (fake time), its path, the whole JSON body, and for webhook
 * notifications (Alertmanager payload v4) the body's status, groupLabels and alerts. For other integrations
 * (Slack, …) read `body`; the webhook fields are then absent.
 */
export interface Received { at: number; path: string; body: Record<string, unknown>; status: string; groupLabels: Record<string, string>; alerts: WebhookAlert[] }

export interface Sink {
  readonly url: string;
  readonly received: Received[];
  /** The next `n` requests are answered 500 and not recorded. */
  failNext(n: number): void;
}

/** A response; `json` is the parsed body, or undefined when it is not JSON. */
export interface Res<J = unknown> { status: number; text: string; json: J; headers: Headers }

export interface AlertInput { labels: Record<string, string>; startsAt?: number; endsAt?: number }

export interface FakeClockAppOptions {
  /** alertmanager.yml, given the sink's base URL (receivers post to `${sink}/<any path>`). */
  routing: (sink: string) => string;
  /** alertprism.yml; empty by default. */
  prism?: string;
  /** The fake clock's start; 2026-12-01T10:00:00Z by default. */
  startMs?: number;
  /** endsAt of a posted alert that does not give one: now + this; 1 hour by default. */
  alertTtlMs?: number;
  /** More command-line flags, e.g. `{ "alerts.gc-interval": "5m" }`. */
  flags?: Record<string, string>;
  /** Environment variables on top of process.env (for `*_file`/env references, keys). */
  env?: NodeJS.ProcessEnv;
}

/** `J` is how the test reads response bodies: unknown (cast where read), or any for bodies read loosely. */
export interface FakeClockApp<J = unknown> {
  readonly clock: FakeClock;
  readonly sink: Sink;
  readonly dir: string;
  /** The running app and its base URL; both change on restart(). */
  readonly app: App;
  readonly base: string;
  /** POSTs alerts to /api/v2/alerts (startsAt defaults to now, endsAt to now + alertTtlMs); must be 200. */
  post(alerts: ReadonlyArray<AlertInput>): Promise<void>;
  /** Any request to the app; a non-string body is sent as JSON. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Res<J>>;
  /** A request to /api/ops/v1`path`, its answer checked against the served OpenAPI document (`route` as in the route table, e.g. "/alerts/:fingerprint"). */
  ops(method: string, path: string, route: string, body?: unknown): Promise<Res<J>>;
  /** The /metrics lines that start with `name`. */
  metric(name: string): Promise<string[]>;
  /** Advances fake time in steps (1 s by default), letting real I/O run between them, then waits until the sink is quiet. */
  run(ms: number, step?: number): Promise<void>;
  /** Stops the app and starts a new one on the same files and clock. */
  restart(): Promise<void>;
  /** A connection to the app's database, read-only unless `writable`; closed by close() if still open. */
  db(opts?: { writable?: boolean }): Database.Database;
  close(): Promise<void>;
}

async function startSink(clock: FakeClock): Promise<Sink & { close(): Promise<void> }> {
  const received: Received[] = [];
  let failures = 0;
  const server: Server = createServer((req, res) => {
    let b = "";
    req.on("data", (d: Buffer) => (b += d.toString()));
    req.on("end", () => {
      if (failures > 0) {
        failures--;
        res.statusCode = 500;
        res.end("boom");
        return;
      }
      const body = JSON.parse(b) as Record<string, unknown> & Pick<Received, "status" | "groupLabels" | "alerts">;
      received.push({ at: clock.now(), path: req.url ?? "", body, status: body.status, groupLabels: body.groupLabels, alerts: body.alerts });
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    failNext: (n) => {
      failures = n;
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

export async function startFakeClockApp<J = unknown>(opts: FakeClockAppOptions): Promise<FakeClockApp<J>> {
  const clock = new FakeClock(opts.startMs ?? Date.UTC(2026, 11, 1, 10, 0, 0));
  const ttl = opts.alertTtlMs ?? 3600 * S;
  const sink = await startSink(clock);
  const dir = mkdtempSync(join(tmpdir(), "alertprism-it-"));
  writeFileSync(join(dir, "alertmanager.yml"), opts.routing(sink.url));
  writeFileSync(join(dir, "alertprism.yml"), opts.prism ?? "");
  const boot = async (): Promise<{ app: App; base: string }> => {
    const flags = new Map<string, string>([
      ["config.file", join(dir, "alertmanager.yml")],
      ["alertprism.config.file", join(dir, "alertprism.yml")],
      ["storage.path", dir],
      ["web.listen-address", "127.0.0.1:0"],
      ["storage.synchronous", "normal"],
      ...Object.entries(opts.flags ?? {}),
    ]);
    const app = new App({
      settings: resolveSettings(flags, {}), logger: silentLogger(), clock,
      ...(opts.env === undefined ? {} : { env: { ...process.env, ...opts.env } }),
    });
    const addr = await app.start();
    return { app, base: `http://127.0.0.1:${addr.port}` };
  };
  let cur = await boot();
  const settle = async () => {
    for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 1));
  };
  let validator: OpenApiValidator | undefined;
  const connections: Database.Database[] = [];
  const h: FakeClockApp<J> = {
    clock, sink, dir,
    get app() { return cur.app; },
    get base() { return cur.base; },
    async post(alerts) {
      const body = alerts.map((a) => ({
        labels: a.labels,
        startsAt: new Date(a.startsAt ?? clock.now()).toISOString(),
        endsAt: new Date(a.endsAt ?? clock.now() + ttl).toISOString(),
      }));
      const res = await fetch(`${cur.base}/api/v2/alerts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.equal(res.status, 200, await res.text());
      await settle();
    },
    async call(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers } };
      if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
      const res = await fetch(cur.base + path, init);
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      await settle();
      return { status: res.status, text, json: json as J, headers: res.headers };
    },
    async ops(method, path, route, body) {
      validator ??= new OpenApiValidator((await h.call("GET", "/api/ops/v1/openapi.json")).json as never);
      const r = await h.call(method, `/api/ops/v1${path}`, body);
      validator.assertDocumented(method, route, r.status, r.json);
      return r;
    },
    async metric(name) {
      const text = await (await fetch(`${cur.base}/metrics`)).text();
      return text.split("\n").filter((l) => l.startsWith(name));
    },
    async run(ms, step = S) {
      for (let t = 0; t < ms; t += step) {
        clock.advance(Math.min(step, ms - t));
        await settle();
      }
      // Deliveries are real HTTP requests: wait until the sink has been quiet for a moment.
      for (let seen = -1; seen !== sink.received.length;) {
        seen = sink.received.length;
        await new Promise((r) => setTimeout(r, 30));
      }
    },
    async restart() {
      await cur.app.stop();
      cur = await boot();
      await settle();
    },
    db({ writable = false } = {}) {
      const c = new Database(join(dir, "alertprism.db"), { readonly: !writable });
      c.pragma("busy_timeout = 5000");
      connections.push(c);
      return c;
    },
    async close() {
      for (const c of connections) if (c.open) c.close();
      await cur.app.stop();
      await sink.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
