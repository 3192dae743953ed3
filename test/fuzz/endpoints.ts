// Every endpoint of the HTTP surface, with valid payloads as real clients send them. The Alertmanager API,
// the webhook receiver, the lifecycle endpoints, the ack links and the web page are listed here (they
// mirror src/api/server.ts and src/api/v2/router.ts); the ops API's routes are read from the OpenAPI
// document the server makes from its route table, so a route added there is fuzzed without touching this.
import type { Endpoint } from "./generators.ts";

export interface Fixtures {
  readonly nowMs: number;
  readonly fingerprints: readonly string[];
  readonly silenceIds: readonly string[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** POST /api/v2/alerts as Prometheus sends it. */
export function prometheusAlerts(nowMs: number, name = "FuzzAlert"): unknown[] {
  return [
    {
      labels: { alertname: name, instance: "node-1:9100", job: "node", severity: "warning" },
      annotations: { summary: "disk is filling up", description: "node-1 has 5% left" },
      startsAt: iso(nowMs - 60_000),
      endsAt: iso(nowMs + 4 * 60_000),
      generatorURL: "http://prometheus:9090/graph?g0.expr=up&g0.tab=1",
    },
    { labels: { alertname: `${name}Critical`, severity: "critical", team: "ops" }, annotations: {}, startsAt: iso(nowMs - 120_000), endsAt: iso(nowMs + 4 * 60_000), generatorURL: "" },
  ];
}

/** POST /api/v2/silences as amtool sends it. */
export function amtoolSilence(nowMs: number, id?: string): Record<string, unknown> {
  return {
    ...(id === undefined ? {} : { id }),
    matchers: [{ name: "alertname", value: "FuzzAlert", isRegex: false, isEqual: true }, { name: "instance", value: "node-.*", isRegex: true, isEqual: true }],
    startsAt: iso(nowMs),
    endsAt: iso(nowMs + 3_600_000),
    createdBy: "amtool",
    comment: "maintenance window",
  };
}

/** POST /api/v1/webhook: Alertmanager's webhook payload, version 4. */
export function webhookPayload(nowMs: number): Record<string, unknown> {
  const labels = { alertname: "ForwardedAlert", instance: "db-1:9187", severity: "critical" };
  return {
    version: "4",
    groupKey: '{}:{alertname="ForwardedAlert"}',
    truncatedAlerts: 0,
    status: "firing",
    receiver: "alertprism",
    groupLabels: { alertname: "ForwardedAlert" },
    commonLabels: labels,
    commonAnnotations: { summary: "replication lag" },
    externalURL: "http://alertmanager:9093",
    alerts: [
      { status: "firing", labels, annotations: { summary: "replication lag" }, startsAt: iso(nowMs - 300_000), endsAt: "0001-01-01T00:00:00Z", generatorURL: "http://prometheus:9090/graph", fingerprint: "1a2b3c4d5e6f7a8b" },
      { status: "resolved", labels: { ...labels, instance: "db-2:9187" }, annotations: {}, startsAt: iso(nowMs - 600_000), endsAt: iso(nowMs - 60_000), generatorURL: "", fingerprint: "2a2b3c4d5e6f7a8b" },
    ],
  };
}

/** Valid bodies of the ops API's writes, by "METHOD path". */
function opsSeeds(): Record<string, unknown[]> {
  return {
    "POST /alerts/:fingerprint/ack": [{ comment: "looking into it", expires: "2h" }, { comment: "on it" }],
    "POST /acks": [{ matchers: ['alertname="FuzzAlert"'], comment: "bulk ack", expires: "1h" }, { matchers: ["severity=~\"warn.*\""], comment: "x" }],
    "POST /alerts/:fingerprint/comments": [{ text: "root cause: full disk" }],
    "POST /silences": [{ matchers: ['alertname="FuzzAlert"'], duration: "2h", comment: "maintenance" }],
  };
}

function none(name: string, method: string, path: string, query: Endpoint["query"] = {}, params: Endpoint["params"] = {}): Endpoint {
  return { name, method, path, body: "none", seeds: [], query, params, headers: [] };
}

const V2_QUERY = {
  filter: ['alertname="FuzzAlert"', 'severity=~"crit.*"', "team!=ops", `{alertname="FuzzAlert",instance!~"x"}`],
  active: ["true", "false"], silenced: ["false", "true"], inhibited: ["true"], receiver: ["default", "o.*", "(("],
};

/** The endpoints outside the ops API. */
export function fixedEndpoints(f: Fixtures): Endpoint[] {
  const q = V2_QUERY;
  const json = (name: string, method: string, path: string, seeds: unknown[]): Endpoint => ({ name, method, path, body: "json", seeds, query: {}, params: {}, headers: [] });
  return [
    none("GET /-/healthy", "GET", "/-/healthy"),
    none("GET /-/ready", "GET", "/-/ready"),
    { ...none("POST /-/reload", "POST", "/-/reload"), body: "none" },
    none("GET /health", "GET", "/health"),
    none("GET /ready", "GET", "/ready"),
    none("GET /metrics", "GET", "/metrics"),
    none("GET /api/v2/status", "GET", "/api/v2/status"),
    none("GET /api/v2/receivers", "GET", "/api/v2/receivers"),
    none("GET /api/v2/alerts", "GET", "/api/v2/alerts", q),
    json("POST /api/v2/alerts", "POST", "/api/v2/alerts", [prometheusAlerts(f.nowMs), [], prometheusAlerts(f.nowMs, "OtherAlert").slice(0, 1)]),
    none("GET /api/v2/alerts/groups", "GET", "/api/v2/alerts/groups", q),
    none("GET /api/v2/silences", "GET", "/api/v2/silences", { filter: q.filter }),
    json("POST /api/v2/silences", "POST", "/api/v2/silences", [amtoolSilence(f.nowMs), ...f.silenceIds.slice(0, 1).map((id) => amtoolSilence(f.nowMs, id))]),
    none("GET /api/v2/silence/:silenceID", "GET", "/api/v2/silence/:silenceID", {}, { silenceID: f.silenceIds }),
    none("DELETE /api/v2/silence/:silenceID", "DELETE", "/api/v2/silence/:silenceID", {}, { silenceID: f.silenceIds }),
    json("POST /api/v1/webhook", "POST", "/api/v1/webhook", [webhookPayload(f.nowMs)]),
    none("GET /ack/:token", "GET", "/ack/:token", {}, { token: ["eyJ2IjoxfQ.c2ln", "x"] }),
    { ...none("POST /ack/:token", "POST", "/ack/:token", {}, { token: ["eyJ2IjoxfQ.c2ln"] }), body: "form" },
    none("GET /ui/", "GET", "/ui/"),
    none("GET /ui/static/:name", "GET", "/ui/static/:name", { v: ["1"] }, { name: ["app.js", "style.css", "index.html"] }),
  ];
}

type OpenApiDoc = { paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string; schema?: { examples?: unknown[]; enum?: unknown[] } }> }>> };

const OPS_QUERY_VALUES: Record<string, string[]> = {
  limit: ["1", "10", "1000"], since: ["-1h", "-7d"], until: ["-1m"], filter: ['alertname="FuzzAlert"'], step: ["1h", "5m"], by: ["alertname", "severity"],
  muted: ["true", "false"], offset: ["0", "5"], recent: ["0", "5"], state: ["firing"], kind: ["received", "firing"], receiver: ["default"],
};

/** The ops API's routes from its OpenAPI document; `headers` go with every request (a token when auth is on). */
export function opsEndpoints(doc: OpenApiDoc, f: Fixtures, headers: Endpoint["headers"], suffix: string): Endpoint[] {
  const seeds = opsSeeds();
  const out: Endpoint[] = [];
  for (const [oaPath, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const path = oaPath.replace(/\{([^}]+)\}/g, ":$1");
      const m = method.toUpperCase();
      const query: Record<string, string[]> = {};
      for (const p of op.parameters ?? []) {
        if (p.in !== "query") continue;
        const given = [...(p.schema?.examples ?? []), ...(p.schema?.enum ?? [])].map(String);
        query[p.name] = [...given, ...(OPS_QUERY_VALUES[p.name] ?? [])];
      }
      const s = seeds[`${m} ${path}`];
      out.push({
        name: `${m} /api/ops/v1${path}${suffix}`,
        method: m,
        path: `/api/ops/v1${path}`,
        body: s ? "json" : "none",
        seeds: s ?? [],
        query,
        params: { fingerprint: f.fingerprints, id: ["1", "2"] },
        headers,
      });
    }
  }
  return out;
}

/** Responses 5xx that Alertmanager itself gives, so a compatible server must give them too. */
export function documented5xx(ep: Endpoint, method: string, status: number): boolean {
  // DELETE /api/v2/silence/{id} of an unknown id: 500 "silence not found" (alertmanager-compat.md).
  if (ep.path === "/api/v2/silence/:silenceID" && method === "DELETE" && status === 500) return true;
  return false;
}

/**
 * Refusals after which a commit is expected, as Alertmanager makes them: POST /api/v2/alerts stores the
 * valid alerts of a batch and answers 400 listing the invalid ones. Its handler's errors are a bare JSON
 * string; refusals before the body was read (parse, encoding, content type) are {"code", "message"} and
 * store nothing, so they are still checked.
 */
export function mayCommitWhenRefused(ep: Endpoint, method: string, status: number, body: string): boolean {
  return ep.path === "/api/v2/alerts" && method === "POST" && status === 400 && body.startsWith('"');
}
