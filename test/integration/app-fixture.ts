import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "../../src/app.ts";
import { resolveSettings } from "../../src/settings.ts";
import { silentLogger, type Logger } from "../../src/lib/log.ts";
import { LeakScanner, secretsFromConfig } from "../helpers/secret-leaks.ts";
import { scanDatabase } from "../helpers/secret-leaks-db.ts";
import type { Clock } from "../../src/lib/clock.ts";

export const BASIC_CONFIG = `
route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: ['team="ops"']
      receiver: ops
      continue: true
    - matchers: ['team=~"ops|dev"']
      receiver: dev
receivers:
  - name: default
  - name: ops
  - name: dev
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
`;

export interface TestApp {
  readonly app: App;
  readonly url: string;
  readonly dir: string;
  post(path: string, body: unknown, contentType?: string): Promise<{ status: number; text: string; json: unknown }>;
  get(path: string): Promise<{ status: number; text: string; json: unknown }>;
  del(path: string): Promise<{ status: number; text: string; json: unknown }>;
  /**
   * The secret-leak check: present when the configuration holds secrets. Every response body and (unless
   * the test brings its own logger) every log line is captured; close() adds the delivery records and
   * history rows and fails on any configured secret found. Tests add error texts and their own secrets.
   */
  readonly leaks: LeakScanner | undefined;
  close(): Promise<void>;
}

/** Starts the whole app in-process on a random port with a temp database. */
export async function startTestApp(opts: { config?: string; dir?: string; flags?: Record<string, string>; logger?: Logger; clock?: Clock } = {}): Promise<TestApp> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "alertprism-it-"));
  const configFile = join(dir, "alertmanager.yml");
  writeFileSync(configFile, opts.config ?? BASIC_CONFIG);
  const flags = new Map<string, string>([
    ["config.file", configFile],
    ["storage.path", dir],
    ["web.listen-address", "127.0.0.1:0"],
    ["storage.synchronous", "normal"],
    ["web.external-url", "http://127.0.0.1:9093"],
    ...Object.entries(opts.flags ?? {}),
  ]);
  const leaks = leakScanner(opts.config ?? BASIC_CONFIG, flags.get("alertprism.config.file"));
  const app = new App({ settings: resolveSettings(flags, {}), logger: opts.logger ?? leaks?.logger() ?? silentLogger(), ...(opts.clock ? { clock: opts.clock } : {}) });
  const addr = await app.start();
  const prefix = opts.flags?.["web.route-prefix"] ?? "";
  const url = `http://127.0.0.1:${addr.port}${prefix.replace(/\/$/, "")}`;
  const call = async (method: string, path: string, body?: unknown, contentType = "application/json") => {
    const res = await fetch(url + path, {
      method,
      headers: body === undefined ? {} : { "content-type": contentType },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    leaks?.add(`${method} ${path} (response ${res.status})`, text);
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  };
  return {
    app, url, dir, leaks,
    post: (p, b, ct) => call("POST", p, b, ct),
    get: (p) => call("GET", p),
    del: (p) => call("DELETE", p),
    close: async () => {
      await app.stop();
      try {
        if (leaks) {
          scanDatabase(join(dir, "alertprism.db"), leaks);
          leaks.check();
        }
      } finally {
        if (!opts.dir) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * A scanner for the secrets of the two config files, or undefined when they hold none. A config that does
 * not parse is left to the app, whose start-up error the test may be waiting for.
 */
function leakScanner(config: string, alertprismFile: string | undefined): LeakScanner | undefined {
  try {
    const alertprism = alertprismFile !== undefined && existsSync(alertprismFile) ? readFileSync(alertprismFile, "utf8") : undefined;
    const secrets = secretsFromConfig({ alertmanager: config, ...(alertprism !== undefined ? { alertprism } : {}), env: process.env });
    return secrets.length > 0 ? new LeakScanner(secrets) : undefined;
  } catch {
    return undefined;
  }
}

export function isoIn(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}
