// Differential test of the routing / grouping / notification engine: the real Alertmanager 0.25 (the
// oracle) and AlertPrism get the same configuration and the same timed sequence of alert posts, silence
// creations and expiries; the webhook notifications each one sends are then compared, request by request.
//
// Every scenario of SCENARIOS has its own route(s) (matching its `scenario` label), receiver(s) and one
// webhook sink per server, so all scenarios run at once against one Alertmanager and one AlertPrism:
// the suite costs the longest scenario, not their sum. Adding a scenario is one entry in SCENARIOS.
//
// Compared per notification: groupKey, status, receiver, groupLabels, commonLabels, commonAnnotations,
// truncatedAlerts, version and every alert (status, labels, annotations, times, generatorURL,
// fingerprint) in order — the whole body except externalURL (it names each server's host and port) —
// plus the HTTP answer the sink gave and the arrival time relative to the scenario start.
// Timing tolerance: ARRIVAL_TOLERANCE_MS (±700 ms) per notification; retries inside a flush are
// jittered by design (Alertmanager: 500 ms × 1.5^k × [0.5, 1.5]), so they are checked against a
// backoff envelope instead. DIFF_VERBOSE=1 prints both notification streams of every scenario.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { sleep, startAlertPrism, startAlertmanager } from "./harness.ts";
import type { ReceivedRequest, RunningServer } from "./harness.ts";

/** A notification must arrive within this much of the oracle's (both servers get each request at once). */
const ARRIVAL_TOLERANCE_MS = 700;
/** The oracle itself must be within this much of the scenario's stated timeline (guards the scenario). */
const ORACLE_TOLERANCE_MS = 500;
/** Global resolve_timeout: only alerts posted without endsAt (kind "open") ever use it. */
const RESOLVE_TIMEOUT = "3s";
/** End time of alerts posted as firing: far enough that no scenario sees them end on their own. */
const FIRING_FOR_MS = 3_600_000;
/** Alertmanager's retry backoff (notify.go, cenkalti/backoff defaults): 500 ms, ×1.5 per retry, ±50 %. */
const BACKOFF_INITIAL_MS = 500;
const BACKOFF_AM_MULTIPLIER = 1.5;
// AlertPrism may grow its backoff faster (it doubles); both jitter by ±50 %. Slack covers scheduling and
// the time the failed request itself took.
const BACKOFF_MAX_MULTIPLIER = 2;
const BACKOFF_SLACK_MS = 300;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type Labels = Record<string, string>;

const isObject = (v: Json | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// The scenario table

/** How an alert is posted. The runner adds the `scenario` label and a stable client-chosen startsAt. */
interface AlertSpec {
  labels: Labels;
  annotations?: Labels;
  /** firing: explicit endsAt an hour ahead; resolve: endsAt = now; open: no endsAt (resolve_timeout applies). */
  kind: "firing" | "resolve" | "open";
  /** startsAt this many seconds before the first post (default: the first post's time). */
  startedAgoS?: number;
}

type Act =
  | { at: number; op: "post"; alerts: AlertSpec[] }
  /** A silence on the scenario label plus `matchers`; `untilS` ends it by time, otherwise it lasts an hour. */
  | { at: number; op: "silence"; ref: string; matchers: Labels; untilS?: number }
  /** DELETE /api/v2/silence/{id} of the silence created under `ref`. */
  | { at: number; op: "expire"; ref: string };

/** What the oracle must send (checked first, so a scenario cannot silently test something else). */
interface Expect {
  /** Seconds after the scenario start. */
  t: number;
  path: string;
  status: "firing" | "resolved";
  alerts: number;
  /** The HTTP status the sink answered. */
  http: number;
  /** A retry inside a flush: its time is jittered, so only the envelope check applies. */
  retry: boolean;
}

interface ReceiverSpec {
  /** Receiver name; its webhook posts to `<sink>/<name>`. */
  name: string;
  /** Route matchers (YAML flow list items), the scenario matcher comes first. */
  matchers: string[];
  continue?: boolean;
  /** Extra webhook_config lines, e.g. `send_resolved: false`. */
  webhook?: string[];
}

interface Scenario {
  name: string;
  groupBy?: string[];
  groupWait?: string;
  /** Seconds; also used by the retry checks ("before the next tick"). */
  groupIntervalS?: number;
  repeatInterval?: string;
  /** Default: one receiver named after the scenario. */
  receivers?: ReceiverSpec[];
  /** inhibit_rules entries (YAML, list-item level); scoped by the scenario label. */
  inhibitRules?: string;
  /** time_intervals entries (YAML, list-item level); names must be unique across scenarios. */
  timeIntervals?: string;
  /** Extra lines of the scenario's route(s), e.g. `mute_time_intervals: [x]`. */
  routeExtra?: string[];
  /** Status the sink answers to its n-th request (1-based). Default 200. */
  sinkStatus?: (n: number) => number;
  acts: Act[];
  /** Observation ends here (seconds); chosen away from any tick so both servers see the same cut. */
  untilS: number;
  expect: Expect[];
  /** Also compare the payload key order (Go's encoder order) of every notification. */
  keyOrder?: boolean;
}

const fire = (labels: Labels, annotations?: Labels): AlertSpec => ({ labels, annotations, kind: "firing" });
const fireOld = (labels: Labels, startedAgoS: number): AlertSpec => ({ labels, kind: "firing", startedAgoS });
const resolve = (labels: Labels): AlertSpec => ({ labels, kind: "resolve" });
const open = (labels: Labels): AlertSpec => ({ labels, kind: "open" });
const post = (at: number, ...alerts: AlertSpec[]): Act => ({ at, op: "post", alerts });
const silenceAt = (at: number, ref: string, matchers: Labels, untilS?: number): Act => ({ at, op: "silence", ref, matchers, untilS });
const expireAt = (at: number, ref: string): Act => ({ at, op: "expire", ref });
/** An expected notification: `n(1, "/grouping", "firing", 2)`; opts for the sink's answer and retries. */
const n = (t: number, path: string, status: Expect["status"], alerts: number, opts: { http?: number; retry?: boolean } = {}): Expect => ({
  t,
  path,
  status,
  alerts,
  http: opts.http ?? 200,
  retry: opts.retry ?? false,
});
const only = (name: string, extra: Partial<ReceiverSpec> = {}): ReceiverSpec[] => [{ name, matchers: [], ...extra }];

// Timers are 1 s-scale and the interesting moments sit >= 0.5 s away from every tick, so neither server
// can land on the other side of a boundary by scheduling noise alone.
const SCENARIOS: Scenario[] = [
  {
    // Two alerts share a group, a third has its own; a late alert joins at the next group_interval tick.
    name: "grouping",
    keyOrder: true,
    acts: [
      post(0, fire({ alertname: "G1", instance: "a" }, { summary: "first" }), fire({ alertname: "G1", instance: "b" }, { summary: "second" }), fire({ alertname: "G2", instance: "x" })),
      post(2, fire({ alertname: "G1", instance: "c" }, { summary: "late" })),
    ],
    untilS: 4.5,
    expect: [n(1, "/grouping", "firing", 2), n(1, "/grouping", "firing", 1), n(3, "/grouping", "firing", 3)],
  },
  {
    // repeat_interval 2.5 s with 1 s ticks: re-sent at the first tick with lastSent < now − 2.5 s (t=4, 7).
    name: "repeat",
    groupIntervalS: 1,
    repeatInterval: "2500ms",
    acts: [post(0, fire({ alertname: "Rep" }))],
    untilS: 8.5,
    expect: [n(1, "/repeat", "firing", 1), n(4, "/repeat", "firing", 1), n(7, "/repeat", "firing", 1)],
  },
  {
    // Posted without endsAt and never again: resolved at updatedAt + resolve_timeout (t≈3), sent at t=4.
    name: "resolve-timeout",
    groupIntervalS: 3,
    acts: [post(0, open({ alertname: "Timeout", instance: "a" }))],
    untilS: 5.5,
    expect: [n(1, "/resolve-timeout", "firing", 1), n(4, "/resolve-timeout", "resolved", 1)],
  },
  {
    // Resolving one of two (endsAt = now): a firing notification carrying it as resolved, then it is
    // gone from the group; resolving the other: a resolved notification with that one alone.
    name: "resolve-explicit",
    acts: [
      post(0, fire({ alertname: "Res", instance: "a" }), fire({ alertname: "Res", instance: "b" })),
      post(2, resolve({ alertname: "Res", instance: "a" })),
      post(4, resolve({ alertname: "Res", instance: "b" })),
    ],
    untilS: 6.5,
    expect: [n(1, "/resolve-explicit", "firing", 2), n(3, "/resolve-explicit", "firing", 2), n(5, "/resolve-explicit", "resolved", 1)],
  },
  {
    // Silenced before the first flush: nothing; the silence deleted at t=3.5 → sent at the t=5 tick.
    name: "silence-deleted",
    acts: [post(0, fire({ alertname: "Sil" })), silenceAt(0.3, "s", { alertname: "Sil" }), expireAt(3.5, "s")],
    untilS: 6.5,
    expect: [n(5, "/silence-deleted", "firing", 1)],
  },
  {
    // The silence's own endsAt passes at t=3.5 → sent at the t=5 tick; the unsilenced sibling at once.
    name: "silence-ends",
    acts: [post(0, fire({ alertname: "SilEnd", instance: "a" }), fire({ alertname: "SilEnd", instance: "b" })), silenceAt(0.3, "s", { instance: "a" }, 3.5)],
    untilS: 6.5,
    expect: [n(1, "/silence-ends", "firing", 1), n(5, "/silence-ends", "firing", 2)],
  },
  {
    // Resolved while silenced: no resolved notification, not even after the silence is gone (the
    // muted flush counts as done, so the resolved alert leaves the group).
    name: "silenced-resolve",
    acts: [post(0, fire({ alertname: "SilRes" })), silenceAt(1.5, "s", { alertname: "SilRes" }), post(2, resolve({ alertname: "SilRes" })), expireAt(3.5, "s")],
    untilS: 6.5,
    expect: [n(1, "/silenced-resolve", "firing", 1)],
  },
  {
    // critical inhibits warning with the same alertname (not the other alertname); resolving the
    // critical at t=2 lets the warning through at the t=3 tick, next to the critical's resolved notice.
    name: "inhibition",
    groupBy: ["alertname", "severity"],
    inhibitRules: `
  - source_matchers: ['scenario="inhibition"', 'severity="critical"']
    target_matchers: ['scenario="inhibition"', 'severity="warning"']
    equal: [alertname]`,
    acts: [
      post(0, fire({ alertname: "Inh", severity: "critical" }), fire({ alertname: "Inh", severity: "warning" }), fire({ alertname: "Other", severity: "warning" })),
      post(2, resolve({ alertname: "Inh", severity: "critical" })),
    ],
    untilS: 4.5,
    expect: [n(1, "/inhibition", "firing", 1), n(1, "/inhibition", "firing", 1), n(3, "/inhibition", "resolved", 1), n(3, "/inhibition", "firing", 1)],
  },
  {
    // continue: true on the first route: the alert also reaches the second route's receiver.
    name: "continue",
    receivers: [
      { name: "continue-a", matchers: [], continue: true },
      { name: "continue-b", matchers: [`'scenario=~"continue|elsewhere"'`] },
    ],
    acts: [post(0, fire({ alertname: "Cont" }))],
    untilS: 2.5,
    expect: [n(1, "/continue-a", "firing", 1), n(1, "/continue-b", "firing", 1)],
  },
  {
    // send_resolved: false: a resolution alone sends nothing (t=3), resolved alerts are stripped from a
    // later firing notification (t=5), and an all-resolved group is logged, not posted (t=7).
    name: "send-resolved-false",
    receivers: only("send-resolved-false", { webhook: ["send_resolved: false"] }),
    acts: [
      post(0, fire({ alertname: "NoRes", instance: "a" }), fire({ alertname: "NoRes", instance: "b" })),
      post(2, resolve({ alertname: "NoRes", instance: "a" })),
      post(4, fire({ alertname: "NoRes", instance: "c" })),
      post(6, resolve({ alertname: "NoRes", instance: "b" }), resolve({ alertname: "NoRes", instance: "c" })),
    ],
    untilS: 8.5,
    expect: [n(1, "/send-resolved-false", "firing", 2), n(5, "/send-resolved-false", "firing", 2)],
  },
  {
    // max_alerts: 2 keeps the first two in notification order and counts the rest, resolved ones included.
    name: "max-alerts",
    receivers: only("max-alerts", { webhook: ["max_alerts: 2"] }),
    acts: [
      post(0, fire({ alertname: "Max", instance: "c" }), fire({ alertname: "Max", instance: "a" }), fire({ alertname: "Max", instance: "b" })),
      post(2, resolve({ alertname: "Max", instance: "a" })),
    ],
    untilS: 4.5,
    expect: [n(1, "/max-alerts", "firing", 2), n(3, "/max-alerts", "firing", 2)],
  },
  {
    // 503 twice: retried inside the flush with backoff until the third attempt succeeds; nothing at the
    // next tick (t=4) since the log has it.
    name: "fail-5xx",
    groupIntervalS: 3,
    sinkStatus: (i) => (i <= 2 ? 503 : 200),
    acts: [post(0, fire({ alertname: "Fail5" }))],
    untilS: 5.5,
    expect: [
      n(1, "/fail-5xx", "firing", 1, { http: 503 }),
      n(1.6, "/fail-5xx", "firing", 1, { http: 503, retry: true }),
      n(2.3, "/fail-5xx", "firing", 1, { retry: true }),
    ],
  },
  {
    // 400 once: not retried inside the flush; the next tick (t=4) tries again because nothing was logged.
    name: "fail-4xx",
    groupIntervalS: 3,
    sinkStatus: (i) => (i === 1 ? 400 : 200),
    acts: [post(0, fire({ alertname: "Fail4" }))],
    untilS: 5.5,
    expect: [n(1, "/fail-4xx", "firing", 1, { http: 400 }), n(4, "/fail-4xx", "firing", 1)],
  },
  {
    // An alert older than group_wait skips the wait (flush at once); the group's ticks count from there.
    name: "old-alert",
    acts: [post(0, fireOld({ alertname: "Old", instance: "a" }, 600)), post(1, fire({ alertname: "Old", instance: "b" }))],
    untilS: 3,
    expect: [n(0, "/old-alert", "firing", 1), n(2, "/old-alert", "firing", 2)],
  },
  {
    // Group labels needing Go quoting in the groupKey (quote, backslash, newline, non-ASCII).
    name: "odd-labels",
    groupBy: ["alertname", "note"],
    acts: [post(0, fire({ alertname: 'Odd "q" \\ b', note: "café ✓\nline\ttab" }, { text: "日本語" }))],
    untilS: 2.5,
    expect: [n(1, "/odd-labels", "firing", 1)],
  },
  {
    // Receiver names go through Go's regexp.QuoteMeta in the payload.
    name: "quote-meta",
    receivers: [{ name: "quote.meta+1", matchers: [] }],
    acts: [post(0, fire({ alertname: "QM" }))],
    untilS: 2.5,
    expect: [n(1, "/quote.meta+1", "firing", 1)],
  },
  {
    // group_by ['...']: every label set is its own group, all labels are group labels.
    name: "group-by-all",
    groupBy: ["'...'"],
    acts: [post(0, fire({ alertname: "All", instance: "a" }), fire({ alertname: "All", instance: "b" }))],
    untilS: 2.5,
    expect: [n(1, "/group-by-all", "firing", 1), n(1, "/group-by-all", "firing", 1)],
  },
  {
    // Inside a mute time interval nothing is sent (the alert stays in its group).
    name: "mute-time",
    timeIntervals: `
  - name: always
    time_intervals:
      - times:
          - start_time: "00:00"
            end_time: "24:00"`,
    routeExtra: ["mute_time_intervals: [always]"],
    acts: [post(0, fire({ alertname: "Muted" }))],
    untilS: 3.5,
    expect: [],
  },
  {
    // Outside every active time interval nothing is sent either.
    name: "active-time",
    timeIntervals: `
  - name: in-1999
    time_intervals:
      - years: ["1999"]`,
    routeExtra: ["active_time_intervals: [in-1999]"],
    acts: [post(0, fire({ alertname: "Inactive" }))],
    untilS: 3.5,
    expect: [],
  },
];

// ---------------------------------------------------------------------------------------------
// Configuration: one route per receiver of every scenario, under a root that notifies nobody.

const receiversOf = (s: Scenario): ReceiverSpec[] => s.receivers ?? only(s.name);

function configYaml(sinkUrl: (scenario: string) => string): string {
  const routes: string[] = [];
  const receivers: string[] = ["  - name: blackhole"];
  const inhibit: string[] = [];
  const intervals: string[] = [];
  for (const s of SCENARIOS) {
    for (const r of receiversOf(s)) {
      routes.push(
        [
          `    - matchers: ['scenario="${s.name}"'${r.matchers.map((m) => `, ${m}`).join("")}]`,
          `      receiver: ${r.name}`,
          `      group_by: [${(s.groupBy ?? ["alertname"]).join(", ")}]`,
          `      group_wait: ${s.groupWait ?? "1s"}`,
          `      group_interval: ${s.groupIntervalS ?? 2}s`,
          `      repeat_interval: ${s.repeatInterval ?? "1h"}`,
          ...(r.continue ? ["      continue: true"] : []),
          ...(s.routeExtra ?? []).map((l) => `      ${l}`),
        ].join("\n"),
      );
      receivers.push(
        [`  - name: ${r.name}`, "    webhook_configs:", `      - url: ${sinkUrl(s.name)}/${r.name}`, ...(r.webhook ?? []).map((l) => `        ${l}`)].join("\n"),
      );
    }
    if (s.inhibitRules !== undefined) inhibit.push(s.inhibitRules.replace(/^\n/, ""));
    if (s.timeIntervals !== undefined) intervals.push(s.timeIntervals.replace(/^\n/, ""));
  }
  return [
    "global:",
    `  resolve_timeout: ${RESOLVE_TIMEOUT}`,
    "route:",
    "  receiver: blackhole",
    "  group_by: [alertname]",
    "  routes:",
    ...routes,
    "receivers:",
    ...receivers,
    ...(inhibit.length > 0 ? ["inhibit_rules:", ...inhibit] : []),
    ...(intervals.length > 0 ? ["time_intervals:", ...intervals] : []),
    "",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// One server under test: its process, its sinks, and what the sinks answered.

interface Side {
  label: "alertmanager" | "alertprism";
  server: RunningServer;
  sinks: Map<string, ScriptedSink>;
  silenceIds: Map<string, string>;
}

interface ScriptedSink {
  url: string;
  received: ReceivedRequest[];
  /** The status answered to each request, index-aligned with `received`. */
  answered: number[];
  close(): Promise<void>;
}

/**
 * A webhook sink answering `statusFor(n)` to its n-th POST. Not the harness sink, for two reasons:
 * the answer must switch exactly between two requests of a retry (no polling race), and the harness
 * sink's 1 s keep-alive timeout races the senders: Alertmanager reuses a connection the sink is closing,
 * gets "connection reset by peer" and retries ~0.5 s later (measured: 1 run in 3 had a tick
 * notification 0.5–0.8 s late). Connections here stay open until close(), which drops them all.
 */
function startScriptedSink(statusFor: (n: number) => number): Promise<ScriptedSink> {
  const received: ReceivedRequest[] = [];
  const answered: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let code = 405;
      if (req.method === "POST") {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // keep the raw text: a malformed payload then shows up in the comparison
        }
        received.push({ path: req.url ?? "", headers: { ...req.headers }, body, at: Date.now() });
        code = statusFor(received.length);
        answered.push(code);
      }
      res.writeHead(code, { "Content-Type": "text/plain" });
      res.end(code >= 200 && code < 300 ? "ok" : "failing on purpose");
    });
  });
  server.keepAliveTimeout = 10 * 60_000;
  return new Promise((resolveSink, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      if (addr === null || typeof addr === "string") {
        reject(new Error("scripted sink: no port"));
        return;
      }
      resolveSink({
        url: `http://127.0.0.1:${addr.port}`,
        received,
        answered,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Driving the timeline

/** Client-chosen times: sent identically to both servers, so they must come back verbatim. */
const clientTimes = new Set<number>();
function clientTime(ms: number): string {
  clientTimes.add(ms);
  return new Date(ms).toISOString();
}

async function send(side: Side, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(side.server.url + path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, text: await res.text() };
}

/** Runs one scenario's acts against both servers, each act at the same moment on both. */
async function runActs(s: Scenario, t0: number, sides: Side[], problems: string[]): Promise<void> {
  const startsAt = new Map<string, string>();
  const labelsOf = (a: AlertSpec): Labels => ({ scenario: s.name, ...a.labels });
  for (const act of [...s.acts].sort((x, y) => x.at - y.at)) {
    const wait = t0 + act.at * 1000 - Date.now();
    if (wait > 0) await sleep(wait);
    const now = Date.now();
    const late = now - (t0 + act.at * 1000);
    if (late > 400) problems.push(`act at t=${act.at}s ran ${late} ms late (machine overloaded?)`);
    await Promise.all(
      sides.map(async (side) => {
        try {
          if (act.op === "post") {
            const body = act.alerts.map((a) => {
              const labels = labelsOf(a);
              const key = JSON.stringify(labels);
              // One startsAt per alert for the whole scenario: the same on both servers, so comparable.
              let start = startsAt.get(key);
              if (start === undefined) startsAt.set(key, (start = clientTime(now - (a.startedAgoS ?? 0) * 1000)));
              const endsAt = a.kind === "firing" ? clientTime(t0 + FIRING_FOR_MS) : a.kind === "resolve" ? clientTime(now) : undefined;
              return { labels, annotations: a.annotations ?? {}, startsAt: start, ...(endsAt !== undefined ? { endsAt } : {}) };
            });
            const r = await send(side, "POST", "/api/v2/alerts", body);
            if (r.status !== 200) problems.push(`${side.label}: POST alerts at t=${act.at}s → ${r.status} ${r.text}`);
          } else if (act.op === "silence") {
            const matchers = Object.entries({ scenario: s.name, ...act.matchers }).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
            const endsAt = act.untilS !== undefined ? clientTime(t0 + act.untilS * 1000) : clientTime(t0 + FIRING_FOR_MS);
            const r = await send(side, "POST", "/api/v2/silences", { matchers, startsAt: clientTime(now), endsAt, createdBy: "dispatch-differential", comment: s.name });
            const id = r.status === 200 ? (JSON.parse(r.text) as { silenceID?: unknown }).silenceID : undefined;
            if (typeof id === "string") side.silenceIds.set(`${s.name}/${act.ref}`, id);
            else problems.push(`${side.label}: POST silence at t=${act.at}s → ${r.status} ${r.text}`);
          } else {
            const id = side.silenceIds.get(`${s.name}/${act.ref}`);
            if (id === undefined) throw new Error(`no silence "${act.ref}" to expire`);
            const r = await send(side, "DELETE", `/api/v2/silence/${id}`);
            if (r.status !== 200) problems.push(`${side.label}: DELETE silence at t=${act.at}s → ${r.status} ${r.text}`);
          }
        } catch (err) {
          problems.push(`${side.label}: act at t=${act.at}s failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Comparing what the sinks received

interface Got {
  /** Seconds after the scenario start. */
  t: number;
  path: string;
  http: number;
  body: Json;
  contentType: string;
}

/** The requests of a scenario's sink that arrived before the scenario's cut-off, in arrival order. */
function collect(side: Side, s: Scenario, t0: number): Got[] {
  const sink = side.sinks.get(s.name)!;
  const got: Got[] = [];
  sink.received.forEach((r, i) => {
    const t = (r.at - t0) / 1000;
    if (t > s.untilS) return;
    const ct = r.headers["content-type"];
    got.push({ t, path: r.path, http: sink.answered[i] ?? 0, body: r.body as Json, contentType: typeof ct === "string" ? ct : String(ct) });
  });
  return got;
}

const bodyField = (g: Got, k: string): Json | undefined => (isObject(g.body) ? g.body[k] : undefined);
const alertsOf = (g: Got): Json[] => {
  const a = bodyField(g, "alerts");
  return Array.isArray(a) ? a : [];
};
const describeGot = (g: Got): string =>
  `t=${g.t.toFixed(2)}s ${g.path} ${String(bodyField(g, "status"))} ×${alertsOf(g).length} →${g.http} ${String(bodyField(g, "groupKey"))}`;

/** Oracle sanity: Alertmanager did what the scenario says it does. */
function oracleProblems(s: Scenario, got: Got[]): string[] {
  const left = [...got];
  const out: string[] = [];
  for (const e of s.expect) {
    const tol = e.retry ? 1_500 : ORACLE_TOLERANCE_MS;
    const i = left.findIndex(
      (g) => g.path === e.path && bodyField(g, "status") === e.status && alertsOf(g).length === e.alerts && g.http === e.http && Math.abs(g.t - e.t) * 1000 <= tol,
    );
    if (i < 0) out.push(`oracle: expected ${e.path} ${e.status} ×${e.alerts} →${e.http} at t≈${e.t}s, not found`);
    else left.splice(i, 1);
  }
  for (const g of left) out.push(`oracle: unexpected ${describeGot(g)}`);
  return out.length > 0 ? [...out, `oracle sent: ${got.map(describeGot).join(" | ") || "(nothing)"}`] : [];
}

/**
 * The body as compared: externalURL dropped; times the client chose kept verbatim (format included);
 * server-made times (a resolve_timeout end) replaced by a marker and returned for a tolerance check.
 */
function normaliseBody(body: Json): { norm: Json; serverTimes: number[] } {
  const serverTimes: number[] = [];
  const walk = (v: Json, key?: string): Json => {
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (isObject(v)) {
      const o: JsonObject = {};
      for (const [k, x] of Object.entries(v)) if (!(key === undefined && k === "externalURL")) o[k] = walk(x, k);
      return o;
    }
    if (typeof v === "string" && (key === "startsAt" || key === "endsAt")) {
      const ms = Date.parse(v);
      if (v === "0001-01-01T00:00:00Z" || Number.isNaN(ms) || clientTimes.has(ms)) return v;
      serverTimes.push(ms);
      return "<server time>";
    }
    return v;
  };
  return { norm: walk(body), serverTimes };
}

function keyOrder(v: Json | undefined, path = "$"): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => keyOrder(x, `${path}[${i}]`));
  if (!isObject(v)) return [];
  return [`${path}: ${Object.keys(v).join(",")}`, ...Object.entries(v).flatMap(([k, x]) => keyOrder(x, `${path}.${k}`))];
}

/** Streams: one per (sink path, groupKey), each in arrival order. Servers may interleave streams differently. */
function streams(got: Got[]): Map<string, Got[]> {
  const m = new Map<string, Got[]>();
  for (const g of got) {
    const k = `${g.path} ${String(bodyField(g, "groupKey"))}`;
    const list = m.get(k) ?? [];
    list.push(g);
    m.set(k, list);
  }
  return m;
}

/** Retry k (1-based) after a 5xx: the envelope of Alertmanager's jittered backoff, widened for a doubling one. */
function retryEnvelopeMs(k: number): [number, number] {
  return [
    BACKOFF_INITIAL_MS * BACKOFF_AM_MULTIPLIER ** (k - 1) * 0.5 - BACKOFF_SLACK_MS / 2,
    BACKOFF_INITIAL_MS * BACKOFF_MAX_MULTIPLIER ** (k - 1) * 1.5 + BACKOFF_SLACK_MS,
  ];
}

/** Structural retry checks, applied to each server on its own. */
function retryProblems(label: string, s: Scenario, list: Got[]): string[] {
  const out: string[] = [];
  const giMs = (s.groupIntervalS ?? 2) * 1000;
  let flushStart: Got | undefined;
  let k = 0;
  list.forEach((g, i) => {
    const prev = list[i - 1];
    if (prev !== undefined && prev.http >= 500) {
      k++;
      const gap = (g.t - prev.t) * 1000;
      const [lo, hi] = retryEnvelopeMs(k);
      if (gap < lo || gap > hi) out.push(`${label}: retry ${k} came ${gap.toFixed(0)} ms after the failed attempt, want ${lo.toFixed(0)}–${hi.toFixed(0)} ms`);
      if (flushStart !== undefined && (g.t - flushStart.t) * 1000 >= giMs) out.push(`${label}: retry ${k} at t=${g.t.toFixed(2)}s is not inside the flush that began at t=${flushStart.t.toFixed(2)}s`);
    } else {
      k = 0;
      flushStart = g;
      // Not a 5xx retry: then it must be a tick, i.e. no earlier than a group_interval after the last flush.
      if (prev !== undefined && (g.t - prev.t) * 1000 < giMs - ARRIVAL_TOLERANCE_MS) {
        out.push(`${label}: request at t=${g.t.toFixed(2)}s follows a ${prev.http} at t=${prev.t.toFixed(2)}s within the same flush (no retry expected)`);
      }
    }
  });
  return out;
}

function compareScenario(s: Scenario, am: Got[], ap: Got[]): string[] {
  const out: string[] = [];
  const sa = streams(am);
  const sp = streams(ap);
  const keys = [...new Set([...sa.keys(), ...sp.keys()])].sort();
  let keyOrderReported = false;
  for (const key of keys) {
    const la = sa.get(key) ?? [];
    const lp = sp.get(key) ?? [];
    if (la.length !== lp.length) {
      out.push(
        `stream ${key}: alertmanager sent ${la.length}, alertprism ${lp.length}\n  alertmanager: ${la.map(describeGot).join(" | ") || "(none)"}\n  alertprism:   ${lp.map(describeGot).join(" | ") || "(none)"}`,
      );
      continue;
    }
    out.push(...retryProblems("alertmanager", s, la), ...retryProblems("alertprism", s, lp));
    la.forEach((a, i) => {
      const p = lp[i]!;
      const where = `stream ${key} #${i + 1} (alertmanager ${describeGot(a)})`;
      const isRetry = i > 0 && la[i - 1]!.http >= 500;
      if (!isRetry && Math.abs(a.t - p.t) * 1000 > ARRIVAL_TOLERANCE_MS) {
        out.push(`${where}: alertprism arrived at t=${p.t.toFixed(2)}s, outside ±${ARRIVAL_TOLERANCE_MS} ms`);
      }
      if (a.http !== p.http) out.push(`${where}: sink answered alertprism ${p.http}, alertmanager ${a.http} (different attempt pattern)`);
      if (a.contentType !== p.contentType) out.push(`${where}: Content-Type alertmanager ${a.contentType}, alertprism ${p.contentType}`);
      const na = normaliseBody(a.body);
      const np = normaliseBody(p.body);
      try {
        assert.deepEqual(np.norm, na.norm);
      } catch (err) {
        out.push(`${where}: payload differs:\n${err instanceof Error ? err.message : String(err)}`);
      }
      // Go's encoder order (struct fields as declared, map keys sorted) is part of the payload's shape.
      if (s.keyOrder === true && !keyOrderReported) {
        const ka = keyOrder(a.body);
        const kp = keyOrder(p.body);
        if (JSON.stringify(ka) !== JSON.stringify(kp)) {
          keyOrderReported = true;
          out.push(`${where}: payload key order differs:\n  alertmanager: ${ka.join("\n                ")}\n  alertprism:   ${kp.join("\n                ")}`);
        }
      }
      na.serverTimes.forEach((ms, j) => {
        const other = np.serverTimes[j];
        if (other !== undefined && Math.abs(other - ms) > ARRIVAL_TOLERANCE_MS) {
          out.push(`${where}: server-made time ${new Date(other).toISOString()} vs alertmanager ${new Date(ms).toISOString()}, outside ±${ARRIVAL_TOLERANCE_MS} ms`);
        }
      });
    });
  }
  return out;
}

/** Log lines of a server that mention the scenario (its group keys and alert labels carry the name). */
function logLinesOf(server: RunningServer, scenario: string): string {
  // Group keys appear quoted once or twice over (logfmt, JSON), hence any run of backslashes and quotes.
  const re = new RegExp(`scenario[=:][\\\\"]*${scenario.replace(/[-]/g, "\\-")}(?![\\w-])`);
  return server.logs().split("\n").filter((l) => re.test(l)).slice(-40).join("\n");
}

// ---------------------------------------------------------------------------------------------
// The test

describe("dispatch differential: notifications of Alertmanager 0.25 vs AlertPrism", { timeout: 120_000 }, () => {
  const sides: Side[] = [];
  // Everything started, recorded as soon as it exists: a failed start of one server must still let
  // after() close the other one and every sink, or the open handles keep the test process alive.
  const servers: RunningServer[] = [];
  const allSinks: ScriptedSink[] = [];
  /** Per scenario: requests to the servers that did not go as planned. */
  const actProblems = new Map<string, string[]>();
  let t0 = 0;

  before(async () => {
    const names = new Set<string>();
    for (const s of SCENARIOS) {
      assert.ok(!names.has(s.name), `duplicate scenario "${s.name}"`);
      names.add(s.name);
    }
    const makeSinks = async (): Promise<Map<string, ScriptedSink>> =>
      new Map(
        await Promise.all(
          SCENARIOS.map(async (s) => {
            const sink = await startScriptedSink(s.sinkStatus ?? (() => 200));
            allSinks.push(sink);
            return [s.name, sink] as const;
          }),
        ),
      );
    const [amSinks, apSinks] = await Promise.all([makeSinks(), makeSinks()]);
    const yamlFor = (sinks: Map<string, ScriptedSink>): string => configYaml((name) => sinks.get(name)!.url);
    const track = <T extends RunningServer>(p: Promise<T>): Promise<T> => p.then((srv) => (servers.push(srv), srv));
    const [am, ap] = await Promise.all([track(startAlertmanager({ configYaml: yamlFor(amSinks) })), track(startAlertPrism({ configYaml: yamlFor(apSinks) }))]);
    sides.push({ label: "alertmanager", server: am, sinks: amSinks, silenceIds: new Map() }, { label: "alertprism", server: ap, sinks: apSinks, silenceIds: new Map() });

    // All scenarios share one start; each one's acts are sequential, the scenarios run side by side.
    t0 = Date.now() + 200;
    await Promise.all(
      SCENARIOS.map(async (s) => {
        const p: string[] = [];
        actProblems.set(s.name, p);
        await runActs(s, t0, sides, p);
      }),
    );
    const end = t0 + Math.max(...SCENARIOS.map((s) => s.untilS)) * 1000 + 100;
    if (end > Date.now()) await sleep(end - Date.now());
  });

  after(async () => {
    // Promise.all in before() rejects at the first failure while the other start may still be running.
    await sleep(0);
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all(allSinks.map((s) => s.close()));
  });

  for (const s of SCENARIOS) {
    it(s.name, () => {
      const [am, ap] = sides;
      assert.ok(am && ap, "servers did not start");
      const ga = collect(am, s, t0);
      const gp = collect(ap, s, t0);
      if (process.env.DIFF_VERBOSE) {
        console.log(`[${s.name}]\n  am: ${ga.map(describeGot).join("\n      ")}\n  ap: ${gp.map(describeGot).join("\n      ")}`);
      }
      const oracle = oracleProblems(s, ga);
      const problems = [...(actProblems.get(s.name) ?? []), ...oracle, ...compareScenario(s, ga, gp)];
      // The oracle's own debug log of this scenario's groups explains a surprising timeline.
      if (oracle.length > 0 || process.env.DIFF_LOGS) problems.push(`alertmanager log for this scenario:\n${logLinesOf(am.server, s.name)}`);
      if (process.env.DIFF_LOGS) problems.push(`alertprism log for this scenario:\n${logLinesOf(ap.server, s.name)}`);
      if (problems.length > 0) assert.fail([`scenario "${s.name}"`, ...problems].join("\n"));
    });
  }
});
