// Differential test: the real Alertmanager 0.25 (the oracle) and AlertPrism get the same config and the
// same request sequence in lock-step; every response must match after a narrow normalisation (silence
// ids, server-generated times, Go's JSON-decoder wording and Go's map order in 405 messages).
// Each step is one line of STEPS and one test; DIFF_VERBOSE=1 prints both raw responses of every step.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { sleep, startAlertPrism, startAlertmanager } from "./harness.ts";
import type { RunningServer } from "./harness.ts";

const CONFIG_YAML = `
global:
  resolve_timeout: 5m
route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: ['team="ops"']
      receiver: ops
      continue: true
    - matchers: ['team=~"ops|dev"']
      receiver: dev
    - matchers: ['severity="critical"']
      receiver: critical
receivers:
  - name: default
    webhook_configs:
      - url: http://127.0.0.1:1/default
  - name: ops
    webhook_configs:
      - url: http://127.0.0.1:1/ops
  - name: dev
    webhook_configs:
      - url: http://127.0.0.1:1/dev
  - name: critical
    webhook_configs:
      - url: http://127.0.0.1:1/critical
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [alertname]
`;

const RESOLVE_TIMEOUT_MS = 5 * 60_000;
// Both servers publish inhibition and dispatcher groups through asynchronous subscriptions; a short
// pause after each write keeps a following read from racing them.
const SETTLE_MS = 60;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Client-supplied times sit far from "now" so they can be told apart from server-generated ones and
// compared exactly.
const PAST = "2001-01-01T00:00:00.000Z";
const PAST_LATER = "2001-06-01T00:00:00.000Z";
const PAST_END = "2002-01-01T00:00:00.000Z";
const FUT = "2099-01-01T00:00:00.000Z";
const FUT_EARLIER = "2098-01-01T00:00:00.000Z";
// Sent with nanoseconds and an offset: the API must answer with milliseconds and the same offset.
const FUT_OFFSET = "2099-01-01T04:56:35.123456789+02:00";
const PENDING_START = "2098-03-01T00:00:00.000Z";
const PENDING_START_LATER = "2098-04-01T00:00:00.000Z";
/** Distinct future end per silence, so "active by endsAt" ordering has no ties. */
const day = (n: number): string => new Date(Date.UTC(2099, 0, 1 + n)).toISOString();
/** Whether a time is a fixed client time (not something a server made up while this test ran). */
const isFarTime = (ms: number): boolean => {
  const y = new Date(ms).getUTCFullYear();
  return y < 2010 || y > 2090;
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Requests and the step table

interface Req {
  method: string;
  path: string;
  body?: string | Uint8Array<ArrayBuffer>;
  /** Content-Type header; null sends none (Alertmanager then assumes application/octet-stream). */
  contentType?: string | null;
}

/** What a request builder may know about the server it is about to hit. */
interface ServerCtx {
  /** The silenceID this server answered at an earlier (POST) step. */
  idFrom(step: string): string;
  /** The parsed JSON this server answered at an earlier step. */
  bodyOf(step: string): Json;
}

/** Per-step values shared by both servers (computed once, before the Alertmanager request). */
interface StepCtx {
  /** Date.now() when the step began. */
  readonly now: number;
  /** Registers a client time computed at run time, so normalisation keeps it verbatim. */
  clientTime(ms: number): string;
  /** The shared `now` of an earlier step. */
  nowOf(step: string): number;
}

/**
 * exact: status, body kind and normalised JSON deep-equal (bare handler strings and 422 messages included).
 * parse400: a go-swagger "parsing … body from \"\" failed, because …" error; compared up to "because",
 *   since Go's json wording is not reproduced for every case.
 * method405: the allowed-method list comes from a Go map, so it is compared as a set.
 */
type Mode = "exact" | "parse400" | "method405";

interface Step {
  name: string;
  /** Status the oracle must give: guards against a step silently testing something else. */
  expect: number;
  mode: Mode;
  req: (s: ServerCtx, t: StepCtx) => Req;
  /**
   * A documented, deliberate difference (README "Compatibility"): instead of comparing, assert what each
   * server does, so the step still fails if either one changes.
   */
  deviation?: (am: Resp, ap: Resp) => string[];
}

const qs = (params: Record<string, string | string[]>): string => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) u.append(k, x);
  return `?${u.toString()}`;
};
/** A fixed path, or one built from this server's earlier answers (a silence id). */
type Path = string | ((s: ServerCtx) => string);
const resolvePath = (p: Path, s: ServerCtx): string => (typeof p === "string" ? p : p(s));
const get = (path: Path) => (s: ServerCtx): Req => ({ method: "GET", path: resolvePath(path, s) });
const del = (path: Path) => (s: ServerCtx): Req => ({ method: "DELETE", path: resolvePath(path, s) });
/** /api/v2/silence/{id} of the silence this server created at an earlier step. */
const silenceOf = (stepName: string) => (s: ServerCtx): string => `/api/v2/silence/${s.idFrom(stepName)}`;
/** A well-formed id no server knows; fresh per call, so it cannot collide with a later silence. */
const unknownSilence = (): string => `/api/v2/silence/${randomUUID()}`;
const json = (method: string, path: string, body: unknown): Req => ({ method, path, body: JSON.stringify(body), contentType: "application/json" });
const postJson = (path: string, body: unknown) => (): Req => json("POST", path, body);
const raw = (method: string, path: string, body: string, contentType: string | null) => (): Req => ({ method, path, body, contentType });
const alerts = (...list: unknown[]) => postJson("/api/v2/alerts", list);
const A = "/api/v2/alerts";
const G = "/api/v2/alerts/groups";
const S = "/api/v2/silences";

const step = (name: string, expect: number, mode: Mode, req: Step["req"]): Step => ({ name, expect, mode, req });

interface MatcherIn {
  name?: string;
  value?: string;
  isRegex?: boolean;
  isEqual?: boolean;
}
const m = (name: string, value: string, isRegex = false, isEqual = true): MatcherIn => ({ name, value, isRegex, isEqual });
const silence = (matchers: MatcherIn[], endsAt: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  matchers,
  startsAt: PAST,
  endsAt,
  createdBy: "differential",
  comment: "test",
  ...extra,
});
const postSilence = (body: Record<string, unknown>) => postJson(S, body);
const without = (o: Record<string, unknown>, key: string): Record<string, unknown> => {
  const copy = { ...o };
  delete copy[key];
  return copy;
};

// Alerts. WARN is inhibited by CRIT (same alertname) and routed to ops (continue) and dev.
const WARN = { alertname: "DiffA", team: "ops", severity: "warning", instance: "h1" };
const CRIT = { alertname: "DiffA", severity: "critical" };
const DEV = { alertname: "DiffB", team: "dev" };
const MERGE = { alertname: "DiffC", instance: "h2" };
const FUTURE_END = { alertname: "DiffE" };
const EXPLICIT = { alertname: "DiffF" };
const RESOLVE = { alertname: "DiffR" };
const UNICODE = { alertname: "DiffU", note: "café ✓", empty: "" };
const BASE_SILENCE = silence([m("alertname", "DiffB")], day(10));
// Steps whose answers later steps build on.
const NEW_SILENCE = "silence: new (past startsAt clamped to now)";
const AMTOOL_UPDATE = "silence: update with the startsAt read back (amtool silence update)";
const SOON = "silence: starts in 1.5s";
const ACTIVE_IN_PLACE = "silence: update active in place, same startsAt (after 2s)";

const STEPS: Step[] = [
  // --- read-only basics
  step("receivers", 200, "exact", get("/api/v2/receivers")),
  step("alerts: none yet", 200, "exact", get(A)),
  step("groups: none yet", 200, "exact", get(G)),
  step("silences: none yet", 200, "exact", get(S)),

  // --- POST /alerts, good requests
  step("post: single alert with generatorURL", 200, "exact",
    alerts({ labels: WARN, annotations: { summary: "warn" }, startsAt: PAST, generatorURL: "http://example.test/graph?g0.expr=up" })),
  step("post: batch of three", 200, "exact",
    alerts({ labels: CRIT }, { labels: DEV, annotations: { runbook: "rb" } }, { labels: MERGE, startsAt: PAST, annotations: { v: "1" } })),
  step("alerts: after batch (inhibition, receivers)", 200, "exact", get(A)),
  step("post: re-post same fingerprint, startsAt inside interval (merge)", 200, "exact",
    alerts({ labels: MERGE, startsAt: PAST_LATER, annotations: { v: "2" } })),
  step("alerts: merged keeps earliest startsAt, newest annotations", 200, "exact", get(A + qs({ filter: 'alertname="DiffC"' }))),
  step("post: only a future endsAt (startsAt becomes endsAt)", 200, "exact", alerts({ labels: FUTURE_END, endsAt: FUT })),
  step("post: explicit startsAt and offset endsAt with nanoseconds", 200, "exact", alerts({ labels: EXPLICIT, startsAt: PAST, endsAt: FUT_OFFSET })),
  step("post: re-post with an earlier explicit endsAt (kept later)", 200, "exact",
    alerts({ labels: EXPLICIT, startsAt: PAST_LATER, endsAt: FUT_EARLIER, annotations: { again: "yes" } })),
  step("alerts: explicit times kept verbatim", 200, "exact", get(A + qs({ filter: 'alertname=~"DiffE|DiffF"' }))),
  step("post: alert to be resolved", 200, "exact", alerts({ labels: RESOLVE })),
  step("alerts: resolvable alert listed", 200, "exact", get(A + qs({ filter: 'alertname="DiffR"' }))),
  step("post: resolve with endsAt = now", 200, "exact", (_s, t) => json("POST", A, [{ labels: RESOLVE, endsAt: t.clientTime(t.now) }])),
  step("alerts: resolved alert hidden at once", 200, "exact", get(A + qs({ filter: 'alertname="DiffR"' }))),
  step("post: re-fire after resolution (replaced, fresh startsAt)", 200, "exact", alerts({ labels: RESOLVE })),
  step("alerts: re-fired alert", 200, "exact", get(A + qs({ filter: 'alertname="DiffR"' }))),
  step("post: unicode labels, empty-valued label dropped", 200, "exact", alerts({ labels: UNICODE, annotations: { note: "日本語" } })),
  step("post: zero startsAt (amtool's unset) and space-separated layout", 200, "exact",
    alerts({ labels: { alertname: "DiffZ" }, startsAt: "0001-01-01T00:00:00.000Z" }, { labels: { alertname: "DiffL" }, startsAt: "2001-02-03 04:05:06" })),
  step("post: empty array", 200, "exact", alerts()),
  step("post: null body", 200, "exact", raw("POST", A, "null", "application/json")),
  step("post: null label and annotation values", 200, "exact", alerts({ labels: { alertname: "DiffN", gone: null }, annotations: { a: null, b: "" } })),
  step("post: lone surrogate in a label value", 200, "exact", raw("POST", A, '[{"labels":{"alertname":"DiffS","v":"x\\ud800y"}}]', "application/json")),
  step("post: invalid UTF-8 bytes in a label value", 200, "exact", () => ({
    method: "POST",
    path: A,
    contentType: "application/json",
    body: new Uint8Array(Buffer.concat([Buffer.from('[{"labels":{"alertname":"DiffBytes","v":"a'), Buffer.from([0xe2, 0x82, 0x7a, 0xff, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98]), Buffer.from('b"}}]')])),
  })),
  step("post: relative generatorURL", 200, "exact", alerts({ labels: { alertname: "DiffGU" }, generatorURL: "/graph?g0.expr=up" })),
  step("post: already resolved alert", 200, "exact", alerts({ labels: { alertname: "DiffOld" }, startsAt: PAST, endsAt: PAST_END })),
  step("post: time without zone, 10 fraction digits", 200, "exact",
    alerts({ labels: { alertname: "DiffT1" }, startsAt: "2001-01-01T00:00:00" }, { labels: { alertname: "DiffT2" }, startsAt: "2001-01-01T00:00:00.1234567891Z" })),
  step("post: empty-string times (unset)", 200, "exact", alerts({ labels: { alertname: "DiffT3" }, startsAt: "", endsAt: "" })),
  step("post: charset in content type", 200, "exact", raw("POST", A, JSON.stringify([{ labels: { alertname: "DiffCT" } }]), "application/json; charset=utf-8")),
  step("post: upper-case content type", 200, "exact", raw("POST", A, JSON.stringify([{ labels: { alertname: "DiffCT" } }]), "Application/JSON")),

  // --- POST /alerts, bad requests
  step("post: partial batch (valid siblings stored)", 400, "exact",
    alerts({ labels: { alertname: "DiffP1" } }, { labels: { "bad-name": "x" } }, { labels: { alertname: "DiffP2", gone: "" } }, { labels: {} }, { labels: { only: "" } })),
  step("post: empty labels", 400, "exact", alerts({ labels: {} })),
  step("post: only empty-valued labels", 400, "exact", alerts({ labels: { a: "", b: "" } })),
  step("post: bad label name", 400, "exact", alerts({ labels: { "0abc": "x" } })),
  step("post: bad annotation name", 400, "exact", alerts({ labels: { alertname: "DiffBadAnno" }, annotations: { "bad-key": "x" } })),
  step("post: startsAt after endsAt", 400, "exact", alerts({ labels: { alertname: "DiffBad" }, startsAt: FUT, endsAt: PAST })),
  step("post: future startsAt without endsAt", 400, "exact", alerts({ labels: { alertname: "DiffBad" }, startsAt: FUT })),
  step("post: label value not a string", 400, "parse400", alerts({ labels: { alertname: 1 } })),
  step("post: annotation value a number", 400, "parse400", alerts({ labels: { alertname: "DiffBad" }, annotations: { summary: 2 } })),
  step("post: unparsable time", 400, "parse400", alerts({ labels: { alertname: "DiffBad" }, startsAt: "yesterday" })),
  step("post: epoch number time", 400, "parse400", alerts({ labels: { alertname: "DiffBad" }, startsAt: 1700000000 })),
  step("post: object body", 400, "parse400", raw("POST", A, "{}", "application/json")),
  step("post: malformed JSON (truncated)", 400, "parse400", raw("POST", A, '[{"labels":', "application/json")),
  step("post: malformed JSON (bad token)", 400, "parse400", raw("POST", A, "[{labels:1}]", "application/json")),
  step("post: missing labels", 422, "exact", alerts({ annotations: { a: "b" } })),
  step("post: missing labels on 2nd item (whole batch rejected)", 422, "exact", alerts({ labels: { alertname: "DiffNotStored" } }, { annotations: {} })),
  step("post: generatorURL not a URI", 422, "exact", alerts({ labels: { alertname: "DiffBad" }, generatorURL: "not a uri" })),
  step("post: empty body", 422, "exact", raw("POST", A, "", "application/json")),
  step("post: text/plain content type", 415, "exact", raw("POST", A, JSON.stringify([{ labels: { alertname: "DiffBad" } }]), "text/plain")),
  step("post: no content type", 415, "exact", raw("POST", A, JSON.stringify([{ labels: { alertname: "DiffBad" } }]), null)),
  step("post: vendor json content type", 415, "exact", raw("POST", A, "[]", "application/vnd.api+json")),
  step("post: number item", 400, "parse400", raw("POST", A, "[1]", "application/json")),
  step("post: null labels", 422, "exact", alerts({ labels: null })),
  step("post: labels an array", 400, "parse400", alerts({ labels: [] })),
  step("post: lowercase t and z in time", 400, "parse400", alerts({ labels: { alertname: "DiffBad" }, startsAt: "2001-01-01t00:00:00z" })),
  step("post: month out of range", 400, "parse400", alerts({ labels: { alertname: "DiffBad" }, startsAt: "2001-13-01T00:00:00Z" })),
  step("post: generatorURL unparsable URL", 422, "exact", alerts({ labels: { alertname: "DiffBad" }, generatorURL: "http://[::1" })),

  // --- GET /alerts filters and flags
  step("alerts: all after posts", 200, "exact", get(A)),
  step("alerts: filter = quoted", 200, "exact", get(A + qs({ filter: 'alertname="DiffA"' }))),
  step("alerts: filter = unquoted", 200, "exact", get(A + qs({ filter: "alertname=DiffA" }))),
  step("alerts: filter != ", 200, "exact", get(A + qs({ filter: 'alertname!="DiffA"' }))),
  step("alerts: filter =~", 200, "exact", get(A + qs({ filter: 'alertname=~"Diff(A|B)"' }))),
  step("alerts: filter !~", 200, "exact", get(A + qs({ filter: 'alertname!~"Diff[A-E]"' }))),
  step("alerts: filter label missing (team=\"\")", 200, "exact", get(A + qs({ filter: 'team=""' }))),
  step("alerts: filter label present (team!=\"\")", 200, "exact", get(A + qs({ filter: 'team!=""' }))),
  step("alerts: filter regex matching empty (team=~\"ops|\")", 200, "exact", get(A + qs({ filter: 'team=~"ops|"' }))),
  step("alerts: two filters ANDed", 200, "exact", get(A + qs({ filter: ['alertname="DiffA"', 'severity="warning"'] }))),
  step("alerts: filter with spaces and unicode", 200, "exact", get(A + qs({ filter: ' note = "café ✓" ' }))),
  step("alerts: bad filter", 400, "exact", get(A + qs({ filter: "alertname~~x" }))),
  step("alerts: empty filter", 400, "exact", get(A + qs({ filter: "" }))),
  step("alerts: filter with bad regex", 400, "exact", get(A + qs({ filter: 'alertname=~"("' }))),
  step("alerts: filter lookahead regex", 400, "exact", get(A + qs({ filter: 'alertname=~"(?=x)"' }))),
  step("alerts: filter backreference regex", 400, "exact", get(A + qs({ filter: 'alertname=~"(a)\\1"' }))),
  step("alerts: filter huge repeat", 400, "exact", get(A + qs({ filter: 'alertname=~"a{1001}"' }))),
  step("alerts: filter two matchers in one value", 400, "exact", get(A + qs({ filter: 'alertname="DiffA",severity="warning"' }))),
  step("alerts: filter in braces", 400, "exact", get(A + qs({ filter: '{alertname="DiffA"}' }))),
  step("alerts: filter unquoted regex", 200, "exact", get(A + qs({ filter: "alertname=~Diff[AB]" }))),
  step("alerts: filter escaped quote", 200, "exact", get(A + qs({ filter: 'alertname="Diff\\"A"' }))),
  step("alerts: filter bad label name", 400, "exact", get(A + qs({ filter: '1abc="x"' }))),
  step("alerts: filter label name with colon", 200, "exact", get(A + qs({ filter: 'a:b="x"' }))),
  step("alerts: pair with bad percent-encoding ignored", 200, "exact", get(`${A}?filter=%zz`)),
  step("alerts: pair with a semicolon ignored", 200, "exact", get(`${A}?filter=alertname%3D%22DiffA%22;x&active=true`)),
  step("alerts: plus decodes to space", 200, "exact", get(`${A}?filter=note%3D%22caf%C3%A9+%E2%9C%93%22`)),
  step("alerts: receiver exact", 200, "exact", get(A + qs({ receiver: "dev" }))),
  step("alerts: receiver regex (anchored)", 200, "exact", get(A + qs({ receiver: "o.*|crit" }))),
  step("alerts: receiver bad regex", 400, "exact", get(A + qs({ receiver: "(" }))),
  step("alerts: inhibited=false", 200, "exact", get(A + qs({ inhibited: "false" }))),
  step("alerts: active=false", 200, "exact", get(A + qs({ active: "false" }))),
  step("alerts: active=0", 200, "exact", get(A + qs({ active: "0" }))),
  step("alerts: active=garbage (false)", 200, "exact", get(A + qs({ active: "maybe" }))),
  step("alerts: active=True inhibited=no", 200, "exact", get(A + qs({ active: "True", inhibited: "no" }))),
  step("alerts: silenced=false", 200, "exact", get(A + qs({ silenced: "false" }))),
  step("alerts: unprocessed=false (ignored)", 200, "exact", get(A + qs({ unprocessed: "false" }))),
  step("alerts: empty bool values (default true)", 200, "exact", get(A + qs({ active: "", silenced: "", inhibited: "" }))),
  step("alerts: empty receiver", 200, "exact", get(A + qs({ receiver: "" }))),
  step("alerts: go-openapi true words (ok, enabled)", 200, "exact", get(A + qs({ active: "ok", inhibited: "enabled" }))),
  step("alerts: FALSE and off", 200, "exact", get(A + qs({ active: "FALSE", inhibited: "off" }))),
  step("alerts: trailing slash", 200, "exact", get(`${A}/`)),
  step("alerts: wrong case path", 404, "exact", get("/api/v2/Alerts")),

  // --- GET /alerts/groups
  step("groups: all", 200, "exact", get(G)),
  step("groups: filter", 200, "exact", get(G + qs({ filter: 'alertname="DiffA"' }))),
  step("groups: receiver", 200, "exact", get(G + qs({ receiver: "dev" }))),
  step("groups: inhibited=false", 200, "exact", get(G + qs({ inhibited: "false" }))),
  step("groups: bad filter", 400, "exact", get(G + qs({ filter: "alertname~~x" }))),
  step("groups: bad receiver regex", 400, "exact", get(G + qs({ receiver: "(" }))),

  // --- silences: create, update, replace
  step(NEW_SILENCE, 200, "exact", postSilence(BASE_SILENCE)),
  step("silence: get new", 200, "exact", get(silenceOf(NEW_SILENCE))),
  step("alerts: silencedBy shown", 200, "exact", get(A + qs({ filter: 'alertname="DiffB"' }))),
  step(AMTOOL_UPDATE, 200, "exact", (s) => {
    const got = s.bodyOf("silence: get new");
    const startsAt = isObject(got) ? got.startsAt : undefined;
    if (typeof startsAt !== "string") throw new Error(`no startsAt in ${JSON.stringify(got)}`);
    return json("POST", S, { ...BASE_SILENCE, id: s.idFrom(NEW_SILENCE), startsAt, endsAt: day(11), comment: "extended" });
  }),
  step("silences: after amtool-style update", 200, "exact", get(S)),
  step(SOON, 200, "exact", (_s, t) => json("POST", S, silence([m("alertname", "DiffSoon")], day(20), { startsAt: t.clientTime(t.now + 1_500) }))),
  step(ACTIVE_IN_PLACE, 200, "exact", (s, t) => {
    const startsAt = t.clientTime(t.nowOf(SOON) + 1_500);
    return json("POST", S, silence([m("alertname", "DiffSoon")], day(21), { id: s.idFrom(SOON), startsAt, comment: "in place" }));
  }),
  step("silence: change matchers (new id, old expired)", 200, "exact", (s) =>
    json("POST", S, silence([m("alertname", "DiffB"), m("team", "dev")], day(12), { id: s.idFrom(AMTOOL_UPDATE) }))),
  step("silence: get replaced (expired)", 200, "exact", get(silenceOf(AMTOOL_UPDATE))),
  step("silence: pending", 200, "exact", postSilence(silence([m("alertname", "DiffC")], day(13), { startsAt: PENDING_START }))),
  step("silence: pending re-posted with later start (same id)", 200, "exact", (s) =>
    json("POST", S, silence([m("alertname", "DiffC")], day(14), { startsAt: PENDING_START_LATER, id: s.idFrom("silence: pending") }))),
  step("silence: second pending", 200, "exact", postSilence(silence([m("alertname", "DiffE")], day(15), { startsAt: PENDING_START }))),
  step("silence: pending re-posted with past start (new id)", 200, "exact", (s) =>
    json("POST", S, silence([m("alertname", "DiffE")], day(16), { startsAt: PAST, id: s.idFrom("silence: second pending") }))),
  step("silence: isEqual omitted", 200, "exact",
    postSilence(silence([{ name: "alertname", value: "DiffA", isRegex: false }, { name: "severity", value: "warning", isRegex: false }], day(17)))),
  step("silence: negative matcher", 200, "exact", postSilence(silence([m("alertname", "DiffU"), m("note", "nope", false, false)], day(18)))),
  step("silence: regex matcher", 200, "exact", postSilence(silence([m("alertname", "DiffP.*", true)], day(19)))),
  step("silence: zero startsAt (clamped)", 200, "exact", postSilence(silence([m("alertname", "DiffZ")], day(22), { startsAt: "0001-01-01T00:00:00.000Z" }))),
  step("silence: empty id means new", 200, "exact", postSilence(silence([m("alertname", "DiffL")], day(23), { id: "" }))),
  step("silence: not-equal regex matcher, unicode", 200, "exact", postSilence(silence([m("alertname", "DiffU"), m("note", "caf.*", true, false)], day(24)))),
  step("silence: re-post an expired silence (new id)", 200, "exact", (s) =>
    json("POST", S, { ...BASE_SILENCE, endsAt: day(25), id: s.idFrom(AMTOOL_UPDATE) })),
  step("silence: active re-posted with another startsAt (new id)", 200, "exact", (s) =>
    json("POST", S, silence([m("alertname", "DiffSoon")], day(26), { id: s.idFrom(SOON), startsAt: PAST }))),

  // --- silences: bad requests
  step("silence: unknown uuid id", 404, "exact", postSilence({ ...BASE_SILENCE, id: randomUUID() })),
  step("silence: non-uuid id", 404, "exact", postSilence({ ...BASE_SILENCE, id: "not-a-uuid" })),
  step("silence: invalid regex", 400, "exact", postSilence(silence([m("alertname", "(", true)], day(30)))),
  step("silence: bad label name", 400, "exact", postSilence(silence([m("bad-name", "x")], day(30)))),
  step("silence: empty label name", 400, "exact", postSilence(silence([m("", "x")], day(30)))),
  step("silence: lookahead regex", 400, "exact", postSilence(silence([m("alertname", "(?=x)", true)], day(30)))),
  step("silence: zero endsAt", 400, "exact", postSilence(silence([m("alertname", "X")], "0001-01-01T00:00:00.000Z"))),
  step("silence: all matchers match empty (=\"\")", 400, "exact", postSilence(silence([m("a", "")], day(30)))),
  step("silence: all matchers match empty (=~\".*\")", 400, "exact", postSilence(silence([m("a", ".*", true), m("b", "")], day(30)))),
  step("silence: endsAt in the past", 400, "exact", postSilence(silence([m("alertname", "X")], PAST_END))),
  step("silence: startsAt after endsAt", 400, "exact", postSilence(silence([m("alertname", "X")], day(30), { startsAt: day(31) }))),
  step("silence: startsAt equal endsAt", 400, "exact", postSilence(silence([m("alertname", "X")], day(30), { startsAt: day(30) }))),
  step("silence: missing createdBy", 422, "exact", postSilence(without(silence([m("alertname", "X")], day(30)), "createdBy"))),
  step("silence: missing comment", 422, "exact", postSilence(without(silence([m("alertname", "X")], day(30)), "comment"))),
  step("silence: missing startsAt", 422, "exact", postSilence(without(silence([m("alertname", "X")], day(30)), "startsAt"))),
  step("silence: missing endsAt", 422, "exact", postSilence(without(silence([m("alertname", "X")], day(30)), "endsAt"))),
  step("silence: missing matchers", 422, "exact", postSilence(without(silence([], day(30)), "matchers"))),
  step("silence: matcher without isRegex", 422, "exact", postSilence(silence([{ name: "alertname", value: "X" }], day(30)))),
  step("silence: empty matchers", 422, "exact", postSilence(silence([], day(30)))),
  step("silence: empty object", 422, "exact", raw("POST", S, "{}", "application/json")),
  step("silence: empty body", 422, "exact", raw("POST", S, "", "application/json")),
  step("silence: null body", 422, "exact", raw("POST", S, "null", "application/json")),
  step("silence: string body", 400, "parse400", raw("POST", S, '"x"', "application/json")),
  step("silence: id a number", 400, "parse400", postSilence({ ...BASE_SILENCE, id: 1 })),
  step("silence: comment a number", 400, "parse400", postSilence({ ...BASE_SILENCE, comment: 1 })),
  step("silence: startsAt a number", 400, "parse400", postSilence({ ...BASE_SILENCE, startsAt: 1 })),
  step("silence: unparsable endsAt", 400, "parse400", postSilence({ ...BASE_SILENCE, endsAt: "soon" })),
  step("silence: matchers an object", 400, "parse400", postSilence({ ...BASE_SILENCE, matchers: {} })),
  step("silence: matcher a string", 400, "parse400", postSilence({ ...BASE_SILENCE, matchers: ["x"] })),
  step("silence: isRegex a string", 400, "parse400", postSilence({ ...BASE_SILENCE, matchers: [{ name: "a", value: "b", isRegex: "no" }] })),
  step("silence: array body", 400, "parse400", raw("POST", S, "[]", "application/json")),
  step("silence: matcher value a number", 400, "parse400", postSilence(silence([{ name: "alertname", value: 1 } as unknown as MatcherIn], day(30)))),
  step("silence: malformed JSON", 400, "parse400", raw("POST", S, '{"matchers":', "application/json")),
  step("silence: text/plain", 415, "exact", raw("POST", S, JSON.stringify(BASE_SILENCE), "text/plain")),

  // --- silences: reads
  step("silences: all", 200, "exact", get(S)),
  step("silences: filter exact", 200, "exact", get(S + qs({ filter: 'alertname="DiffB"' }))),
  step("silences: filter needs same type (=~ vs =)", 200, "exact", get(S + qs({ filter: 'alertname=~"DiffB"' }))),
  step("silences: filter regex matcher", 200, "exact", get(S + qs({ filter: 'alertname=~"DiffP.*"' }))),
  step("silences: two filters", 200, "exact", get(S + qs({ filter: ['alertname="DiffB"', 'team="dev"'] }))),
  step("silences: bad filter", 400, "exact", get(S + qs({ filter: "alertname~~x" }))),
  step("silences: filter unquoted", 200, "exact", get(S + qs({ filter: "alertname=DiffB" }))),
  step("silence: empty id path", 404, "exact", get("/api/v2/silence/")),
  step("silence: get unknown uuid", 404, "exact", get(unknownSilence)),
  step("silence: get non-uuid", 422, "exact", get("/api/v2/silence/abc")),
  step("alerts: after silences", 200, "exact", get(A)),
  step("alerts: silenced=false after silences", 200, "exact", get(A + qs({ silenced: "false" }))),
  step("alerts: silenced and inhibited hidden", 200, "exact", get(A + qs({ silenced: "false", inhibited: "false" }))),
  step("alerts: active=false after silences", 200, "exact", get(A + qs({ active: "false" }))),
  step("groups: after silences", 200, "exact", get(G)),

  // --- DELETE /silence/{id}
  step("delete: active silence", 200, "exact", del(silenceOf("silence: regex matcher"))),
  step("delete: pending silence", 200, "exact", del(silenceOf("silence: pending"))),
  step("delete: already expired silence", 200, "exact", del(silenceOf(AMTOOL_UPDATE))),
  step("delete: unknown uuid", 500, "exact", del(unknownSilence)),
  step("delete: non-uuid", 422, "exact", del("/api/v2/silence/abc")),
  step("silence: get deleted pending", 200, "exact", get(silenceOf("silence: pending"))),
  step("silences: final", 200, "exact", get(S)),
  step("alerts: final", 200, "exact", get(A)),

  // --- last, so a divergence here cannot shift later ids: Alertmanager expires the old silence
  // before it validates the replacement, so an invalid replacement still ends the old one.
  step("silence: target for an invalid replacement", 200, "exact", postSilence(silence([m("alertname", "DiffQ")], day(27)))),
  step("silence: invalid replacement of an active silence", 400, "exact", (s) =>
    json("POST", S, silence([m("alertname", "(", true)], day(28), { id: s.idFrom("silence: target for an invalid replacement") }))),
  // Deliberate deviation: AlertPrism validates before it touches anything, so a rejected request never
  // ends a working silence. Alertmanager has already expired it.
  {
    ...step("silence: get the silence an invalid replacement targeted", 200, "exact", get(silenceOf("silence: target for an invalid replacement"))),
    deviation: (am, ap) => {
      const state = (r: Resp) => (isObject(r.body) && isObject(r.body.status) ? r.body.status.state : undefined);
      const out: string[] = [];
      if (am.status !== 200 || state(am) !== "expired") out.push(`alertmanager was expected to have expired the silence: ${show(am)}`);
      if (ap.status !== 200 || state(ap) !== "active") out.push(`alertprism must keep the silence active after a rejected replacement: ${show(ap)}`);
      return out;
    },
  },

  // --- routing errors
  step("unknown path", 404, "exact", get("/api/v2/nope")),
  step("api root", 404, "exact", get("/api/v2/")),
  step("wrong method on /alerts", 405, "method405", () => json("PUT", A, [])),
  step("wrong method on /silences", 405, "method405", del(S)),
  step("wrong method on /receivers", 405, "method405", postJson("/api/v2/receivers", {})),
  step("wrong method on /silence/{id}", 405, "method405", () => json("POST", `/api/v2/silence/${randomUUID()}`, {})),
];

// ---------------------------------------------------------------------------------------------
// Sending, per-server state, normalisation

interface Resp {
  status: number;
  contentType: string;
  text: string;
  /** Parsed body when it is JSON. */
  body: Json | undefined;
}

/** "json" / "empty" / anything else verbatim: what a client would branch on. */
function kind(r: Resp): string {
  if (r.text === "") return "empty";
  return /^application\/json\b/i.test(r.contentType) ? "json" : `other (${r.contentType})`;
}

async function send(baseUrl: string, req: Req): Promise<Resp> {
  const headers: Record<string, string> = {};
  if (req.body !== undefined && req.contentType !== null) headers["content-type"] = req.contentType ?? "application/json";
  // Bytes, not a string: fetch would otherwise add its own text/plain Content-Type.
  const res = await fetch(baseUrl + req.path, {
    method: req.method,
    headers,
    body: typeof req.body === "string" ? new TextEncoder().encode(req.body) : req.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const contentType = res.headers.get("content-type") ?? "";
  let body: Json | undefined;
  if (/^application\/json\b/i.test(contentType) && text !== "") {
    try {
      body = JSON.parse(text) as Json;
    } catch {
      body = undefined; // kind() says json, the deepEqual on body will show the problem
    }
  }
  return { status: res.status, contentType, text, body };
}

class Server implements ServerCtx {
  readonly ids = new Map<string, number>();
  /** When each step's request was in flight on this server: server-made times must fall in one. */
  readonly windows: Array<{ step: string; from: number; to: number }> = [];
  readonly bodies = new Map<string, Json>();

  constructor(readonly label: string, readonly running: RunningServer) {}

  idFrom(stepName: string): string {
    const b = this.bodies.get(stepName);
    if (isObject(b) && typeof b.silenceID === "string") return b.silenceID;
    throw new Error(`${this.label}: step "${stepName}" gave no silenceID (got ${JSON.stringify(b)})`);
  }

  bodyOf(stepName: string): Json {
    const b = this.bodies.get(stepName);
    if (b === undefined) throw new Error(`${this.label}: no JSON body recorded for step "${stepName}"`);
    return b;
  }

  silencePlaceholder(id: string): string {
    let n = this.ids.get(id);
    if (n === undefined) this.ids.set(id, (n = this.ids.size + 1));
    return `<silence-${n}>`;
  }

  /** Which step made a server-generated time (ms precision, Go truncates). */
  stepAt(ms: number): string | undefined {
    return this.windows.find((w) => ms >= w.from && ms <= w.to)?.step;
  }
}

const clientTimes = new Set<number>();
const isClientTime = (ms: number): boolean => isFarTime(ms) || clientTimes.has(ms);
const TIME_KEYS = new Set(["startsAt", "endsAt", "updatedAt"]);

function normTime(value: string, srv: Server): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return value; // left as is: the comparison shows it
  if (isClientTime(ms)) return value; // client times are compared verbatim, offset and all
  const at = srv.stepAt(ms);
  return at === undefined ? `<unexplained time ${value}>` : `<time of "${at}">`;
}

/** Replaces silence ids and server-generated times; everything else is kept as returned. */
function normalise(v: Json, srv: Server, key?: string): Json {
  if (typeof v === "string") {
    if (UUID.test(v)) return srv.silencePlaceholder(v);
    if (key !== undefined && TIME_KEYS.has(key)) return normTime(v, srv);
    return v;
  }
  if (Array.isArray(v)) {
    const items = v.map((x) => normalise(x, srv));
    // Sorted by random UUIDs, so the order is random too; that it is sorted is checked per server.
    return key === "silencedBy" ? items.sort() : items;
  }
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalise(x, srv, k);
    // A timeout-derived alert end is exactly updatedAt + resolve_timeout: say so instead of a step name.
    if (typeof v.fingerprint === "string" && typeof v.endsAt === "string" && typeof v.updatedAt === "string") {
      const ends = Date.parse(v.endsAt);
      if (!isClientTime(ends) && ends - Date.parse(v.updatedAt) === RESOLVE_TIMEOUT_MS) out.endsAt = "<updatedAt + resolve_timeout>";
    }
    return out;
  }
  return v;
}

/** Derived-time rules each server must obey on its own (not just agree with the other). */
function timeRuleProblems(v: Json | undefined, srv: Server, path = "$"): string[] {
  const out: string[] = [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...timeRuleProblems(x, srv, `${path}[${i}]`)));
  if (!isObject(v)) return out;
  const isAlert = typeof v.fingerprint === "string";
  for (const [k, x] of Object.entries(v)) {
    if (TIME_KEYS.has(k) && typeof x === "string") {
      // An alert's server-set endsAt is checked against its updatedAt below.
      const derivedEnd = isAlert && k === "endsAt" && typeof v.updatedAt === "string" && Date.parse(x) - Date.parse(v.updatedAt) === RESOLVE_TIMEOUT_MS;
      const ms = Date.parse(x);
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$/.test(x)) out.push(`${srv.label} ${path}.${k}: ${x} is not RFC 3339 with 3 fraction digits`);
      else if (!isClientTime(ms) && !derivedEnd && srv.stepAt(ms) === undefined) out.push(`${srv.label} ${path}.${k}: ${x} was not made during any request`);
    } else {
      out.push(...timeRuleProblems(x, srv, `${path}.${k}`));
    }
  }
  const by = isObject(v.status) ? v.status.silencedBy : undefined;
  if (Array.isArray(by) && JSON.stringify(by) !== JSON.stringify([...by].sort())) out.push(`${srv.label} ${path}.status.silencedBy not sorted: ${JSON.stringify(by)}`);
  if (typeof v.fingerprint === "string" && typeof v.endsAt === "string" && typeof v.updatedAt === "string") {
    const ends = Date.parse(v.endsAt);
    const delta = ends - Date.parse(v.updatedAt);
    if (!isClientTime(ends) && delta !== RESOLVE_TIMEOUT_MS) {
      out.push(`${srv.label} ${path}: server-set endsAt ${v.endsAt} is updatedAt ${v.updatedAt} + ${delta} ms, want + ${RESOLVE_TIMEOUT_MS} ms`);
    }
  }
  return out;
}


/** Key order of every struct-like object (gettableAlert, gettableSilence, status, matchers, …). */
function keyOrder(v: Json | undefined, path = "$"): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => keyOrder(x, `${path}[${i}]`));
  if (!isObject(v)) return [];
  const own = `${path}: ${Object.keys(v).join(",")}`;
  // Label and annotation maps included: Go's encoder sorts map keys, so their order is observable too.
  return [own, ...Object.entries(v).flatMap(([k, x]) => keyOrder(x, `${path}.${k}`))];
}

/** The body as compared for a mode; undefined when the shape needed by the mode is missing. */
function comparable(r: Resp, mode: Mode, srv: Server): Json | undefined {
  const body = r.body === undefined ? undefined : normalise(r.body, srv);
  if (mode === "exact" || !isObject(body) || typeof body.message !== "string") return body;
  if (mode === "parse400") {
    const at = body.message.indexOf(" because ");
    return { ...body, message: at < 0 ? `<no "because" in: ${body.message}>` : `${body.message.slice(0, at)} because …` };
  }
  return {
    ...body,
    message: body.message.replace(/\[([^\]]*)\]/, (_all, list: string) => `[${list.split(",").sort().join(",")}]`),
  };
}

const show = (r: Resp): string => `${r.status} ${r.contentType || "(no content type)"} ${r.text === "" ? "(empty body)" : r.text.trimEnd()}`;

// ---------------------------------------------------------------------------------------------
// The test

describe("differential: Alertmanager 0.25 vs AlertPrism, same requests in lock-step", { timeout: 300_000 }, () => {
  let am: Server | undefined;
  let ap: Server | undefined;
  const stepNow = new Map<string, number>();

  before(async () => {
    const names = new Set<string>();
    for (const s of STEPS) {
      assert.ok(!names.has(s.name), `duplicate step name "${s.name}"`);
      names.add(s.name);
    }
    const [a, b] = await Promise.all([startAlertmanager({ configYaml: CONFIG_YAML }), startAlertPrism({ configYaml: CONFIG_YAML })]);
    am = new Server("alertmanager", a);
    ap = new Server("alertprism", b);
  });

  after(async () => {
    await Promise.all([am?.running.stop(), ap?.running.stop()]);
  });

  async function hit(srv: Server, st: Step, t: StepCtx): Promise<{ req: Req; res: Resp }> {
    const req = st.req(srv, t);
    const from = Date.now();
    const res = await send(srv.running.url, req);
    srv.windows.push({ step: st.name, from, to: Date.now() });
    if (res.body !== undefined) srv.bodies.set(st.name, res.body);
    if (req.method !== "GET") await sleep(SETTLE_MS);
    return { req, res };
  }

  for (const st of STEPS) {
    it(st.name, async (tc) => {
      assert.ok(am && ap, "servers did not start");
      // The one active-silence-in-place update needs its silence to have become active.
      if (st.name === ACTIVE_IN_PLACE) {
        const wait = (stepNow.get(SOON) ?? 0) + 2_000 - Date.now();
        if (wait > 0) await sleep(wait);
      }
      const now = Date.now();
      stepNow.set(st.name, now);
      const t: StepCtx = {
        now,
        clientTime: (ms) => {
          clientTimes.add(ms);
          return new Date(ms).toISOString();
        },
        nowOf: (name) => {
          const v = stepNow.get(name);
          if (v === undefined) throw new Error(`step "${name}" has not run`);
          return v;
        },
      };
      const x = await hit(am, st, t);
      const y = await hit(ap, st, t);

      if (st.deviation) {
        const problems = st.deviation(x.res, y.res);
        if (problems.length > 0) assert.fail([`step "${st.name}" (documented deviation)`, ...problems].join("\n"));
        return;
      }
      const problems: string[] = [];
      if (x.res.status !== st.expect) problems.push(`oracle answered ${x.res.status}, the step expects ${st.expect} (step is wrong, or AM differs from the spec)`);
      if (x.res.status !== y.res.status) problems.push(`status: alertmanager ${x.res.status}, alertprism ${y.res.status}`);
      if (kind(x.res) !== kind(y.res)) problems.push(`body kind: alertmanager ${kind(x.res)}, alertprism ${kind(y.res)}`);
      const cx = comparable(x.res, st.mode, am);
      const cy = comparable(y.res, st.mode, ap);
      try {
        assert.deepEqual(cy, cx);
      } catch (err) {
        problems.push(`normalised body differs (${st.mode}):\n${err instanceof Error ? err.message : String(err)}`);
      }
      // Tolerated, but worth seeing in the report: Go's exact wording after "because".
      const mx = isObject(x.res.body) ? x.res.body.message : undefined;
      const my = isObject(y.res.body) ? y.res.body.message : undefined;
      if (st.mode === "parse400" && mx !== my) tc.diagnostic(`wording after "because" differs; alertmanager: ${String(mx)} | alertprism: ${String(my)}`);
      if (st.mode === "parse400" && !(isObject(cx) && cx.code === 400 && typeof cx.message === "string" && cx.message.startsWith("parsing "))) {
        problems.push("oracle did not give a go-swagger parse error");
      }
      const kx = keyOrder(x.res.body);
      const ky = keyOrder(y.res.body);
      if (problems.length === 0 && JSON.stringify(kx) !== JSON.stringify(ky)) {
        problems.push(`key order differs:\n  alertmanager: ${kx.join("\n                ")}\n  alertprism:   ${ky.join("\n                ")}`);
      }
      problems.push(...timeRuleProblems(x.res.body, am), ...timeRuleProblems(y.res.body, ap));

      if (process.env.DIFF_VERBOSE) console.log(`[${st.name}]\n  am: ${show(x.res)}\n  ap: ${show(y.res)}`);
      if (problems.length > 0) {
        const r = y.req;
        assert.fail(
          [
            `step "${st.name}"`,
            `request: ${r.method} ${r.path}${r.body !== undefined ? ` (${r.contentType === null ? "no content type" : (r.contentType ?? "")}) ${typeof r.body === "string" ? r.body : Buffer.from(r.body).toString("latin1")}` : ""}`,
            `alertmanager: ${show(x.res)}`,
            `alertprism:   ${show(y.res)}`,
            ...problems,
          ].join("\n"),
        );
      }
    });
  }
});
