import type { LabelSet } from "../types/labels.ts";
import type { Timestamp } from "../types/time.ts";
import { TIME, timeValue } from "./time-values.ts";
import type { Method, StructValue, TimeValue, Value } from "./types.ts";
import { ANY, defineType, mapOf, slice, sliceOf, str, STRING, STRINGS, stringSlice } from "./types.ts";
import { fromMillis } from "../types/time.ts";
import { compareStrings } from "./unicode.ts";

/**
 * Alertmanager 0.25's template data (package template: Data, Alert, Alerts, KV, Pair, Pairs) with the
 * methods templates call: `.Alerts.Firing`, `.Labels.SortedPairs`, `.CommonLabels.Remove`, ….
 */

export const KV = mapOf(STRING, STRING, "template.KV");
export const PAIR = defineType({
  kind: "struct",
  name: "template.Pair",
  fields: [
    { name: "Name", type: STRING, exported: true },
    { name: "Value", type: STRING, exported: true },
  ],
});
export const PAIRS = sliceOf(PAIR, "template.Pairs");
export const ALERT = defineType({
  kind: "struct",
  name: "template.Alert",
  fields: [
    { name: "Status", type: STRING, exported: true },
    { name: "Labels", type: KV, exported: true },
    { name: "Annotations", type: KV, exported: true },
    { name: "StartsAt", type: TIME, exported: true },
    { name: "EndsAt", type: TIME, exported: true },
    { name: "GeneratorURL", type: STRING, exported: true },
    { name: "Fingerprint", type: STRING, exported: true },
  ],
});
export const ALERT_LIST = sliceOf(ALERT);
export const ALERTS = sliceOf(ALERT, "template.Alerts");
export const DATA = defineType({
  kind: "struct",
  name: "template.Data",
  fields: [
    { name: "Receiver", type: STRING, exported: true },
    { name: "Status", type: STRING, exported: true },
    { name: "Alerts", type: ALERTS, exported: true },
    { name: "GroupLabels", type: KV, exported: true },
    { name: "CommonLabels", type: KV, exported: true },
    { name: "CommonAnnotations", type: KV, exported: true },
    { name: "ExternalURL", type: STRING, exported: true },
  ],
});

function kv(labels: LabelSet | undefined): Value {
  const m = new Map<string, Value>();
  for (const [k, v] of Object.entries(labels ?? {})) m.set(k, str(v));
  return { kind: "map", type: KV, v: m, isNil: labels === undefined };
}

function kvEntries(v: Value): Map<string, Value> {
  return v.kind === "map" ? new Map(v.v) : new Map();
}

function stringOf(v: Value | undefined): string {
  return v !== undefined && v.kind === "string" ? v.v : "";
}

/** KV.SortedPairs: "alertname" first, then the other names in byte order. */
function sortedPairs(recv: Value): Value {
  const m = kvEntries(recv);
  const names = [...m.keys()].filter((k) => k !== "alertname").sort(compareStrings);
  if (m.has("alertname")) names.unshift("alertname");
  return slice(
    PAIRS,
    names.map((n): StructValue => ({ kind: "struct", type: PAIR, v: [str(n), m.get(n) as Value] })),
  );
}

function pairsColumn(recv: Value, column: 0 | 1): Value {
  const items = recv.kind === "slice" ? recv.v : [];
  return stringSlice(items.map((p) => (p.kind === "struct" ? stringOf(p.v[column]) : "")));
}

function method(params: Method["params"], call: Method["call"]): Method {
  return { params, variadic: false, results: 1, returnsError: false, call };
}

KV.methods.set("SortedPairs", method([], sortedPairs));
KV.methods.set("Names", method([], (r) => pairsColumn(sortedPairs(r), 0)));
KV.methods.set("Values", method([], (r) => pairsColumn(sortedPairs(r), 1)));
KV.methods.set(
  "Remove",
  method([STRINGS], (r, [keys]) => {
    const m = kvEntries(r);
    if (keys !== undefined && keys.kind === "slice") for (const k of keys.v) m.delete(stringOf(k));
    return { kind: "map", type: KV, v: m };
  }),
);
PAIRS.methods.set("Names", method([], (r) => pairsColumn(r, 0)));
PAIRS.methods.set("Values", method([], (r) => pairsColumn(r, 1)));

function alertsWithStatus(recv: Value, status: string): Value {
  const items = recv.kind === "slice" ? recv.v : [];
  return slice(ALERT_LIST, items.filter((a) => a.kind === "struct" && stringOf(a.v[0]) === status));
}
ALERTS.methods.set("Firing", method([], (r) => alertsWithStatus(r, "firing")));
ALERTS.methods.set("Resolved", method([], (r) => alertsWithStatus(r, "resolved")));

/** One alert of a notification (the shape of src/notify's NotifyAlert). */
export interface TemplateAlertInput {
  readonly status: string;
  readonly labels: LabelSet;
  readonly annotations: LabelSet;
  readonly startsAt: Timestamp;
  readonly endsAt: Timestamp;
  readonly generatorURL: string;
  readonly fingerprint: string;
  /** AlertPrism's acknowledgement of the alert: reached through the `.Ack` method, never a field. */
  readonly ack?: { readonly by: string; readonly atMs: number; readonly comment: string };
  /** AlertPrism's outlier class of the alert's episode (new, rare, frequent): the `.Unusual` method, never a field. */
  readonly unusual?: string;
}

/** What a notification carries (the shape of src/notify's NotificationData). */
export interface TemplateDataInput {
  readonly receiver: string;
  readonly status: string;
  readonly alerts: readonly TemplateAlertInput[];
  readonly groupLabels: LabelSet;
  readonly commonLabels: LabelSet;
  readonly commonAnnotations: LabelSet;
  readonly externalURL: string;
  /** AlertPrism's one-click ack link: reached through the `.AckURL` method, never a field. */
  readonly ackURL?: string;
}

/** An alert whose maps may be absent (nil), as JSON allows, and whose times may carry Go's extras. */
export type LooseAlert = Omit<TemplateAlertInput, "labels" | "annotations" | "startsAt" | "endsAt"> & {
  readonly labels: LabelSet | undefined;
  readonly annotations: LabelSet | undefined;
  readonly startsAt: Timestamp | TimeValue;
  readonly endsAt: Timestamp | TimeValue;
};

function asTimeValue(t: Timestamp | TimeValue): TimeValue {
  return "kind" in t ? t : timeValue(t);
}

function alertValue(a: LooseAlert): StructValue {
  const v: StructValue = {
    kind: "struct",
    type: ALERT,
    v: [str(a.status), kv(a.labels), kv(a.annotations), asTimeValue(a.startsAt), asTimeValue(a.endsAt), str(a.generatorURL), str(a.fingerprint)],
  };
  if (a.ack !== undefined) acks.set(v, a.ack);
  if (a.unusual !== undefined && a.unusual !== "") unusuals.set(v, a.unusual);
  return v;
}

/**
 * AlertPrism's additions are methods, not fields: Go's fmt prints a struct's fields only, so `{{ . }}`,
 * `{{ printf "%#v" . }}` and friends print exactly what Alertmanager prints. The values they return live
 * beside the struct values, keyed by them.
 */
const acks = new WeakMap<Value, NonNullable<TemplateAlertInput["ack"]>>();
const ackURLs = new WeakMap<Value, string>();
const unusuals = new WeakMap<Value, string>();

/** `template.Ack`, what `.Ack` holds for an acknowledged alert: who, when and why. */
export const ACK = defineType({
  kind: "struct",
  name: "template.Ack",
  fields: [
    { name: "By", type: STRING, exported: true },
    { name: "At", type: TIME, exported: true },
    { name: "Comment", type: STRING, exported: true },
  ],
});

/** `.Ack`: an interface{} holding a template.Ack, or nil for an alert nobody acknowledged. */
ALERT.methods.set("Ack", method([], (r) => {
  const ack = acks.get(r);
  if (ack === undefined) return { kind: "nil", type: ANY };
  return { kind: "struct", type: ACK, v: [str(ack.by), timeValue(fromMillis(ack.atMs)), str(ack.comment)] };
}));
/**
 * `.Unusual`: how often this alertname and service started an episode in the 30 days before this one —
 * "new" (never), "rare" (on at most 1 day), "frequent" — or "" when unknown.
 */
ALERT.methods.set("Unusual", method([], (r) => str(unusuals.get(r) ?? "")));
/** `.AckURL`: the notification's one-click ack link, or "" when none is configured or nothing fires. */
DATA.methods.set("AckURL", method([], (r) => str(ackURLs.get(r) ?? "")));

/** Notifications are immutable and each renders several fields: convert each one once. */
const converted = new WeakMap<TemplateDataInput, Value>();

/** Alertmanager's template.Data for a notification, ready to render templates against. */
export function templateDataFrom(d: TemplateDataInput): Value {
  let v = converted.get(d);
  if (v === undefined) {
    v = dataValue(d);
    converted.set(d, v);
  }
  return v;
}

/** template.Data where maps and the alert list may be absent (Go's nil, which %#v shows). */
export type LooseData = Omit<TemplateDataInput, "alerts" | "groupLabels" | "commonLabels" | "commonAnnotations"> & {
  readonly alerts: readonly LooseAlert[] | undefined;
  readonly groupLabels: LabelSet | undefined;
  readonly commonLabels: LabelSet | undefined;
  readonly commonAnnotations: LabelSet | undefined;
};

/** As templateDataFrom, for data whose maps and alert list may be nil. */
export function dataValue(d: LooseData): Value {
  const v: Value = {
    kind: "struct",
    type: DATA,
    v: [
      str(d.receiver),
      str(d.status),
      { kind: "slice", type: ALERTS, v: (d.alerts ?? []).map(alertValue), isNil: d.alerts === undefined },
      kv(d.groupLabels),
      kv(d.commonLabels),
      kv(d.commonAnnotations),
      str(d.externalURL),
    ],
  };
  if (d.ackURL !== undefined && d.ackURL !== "") ackURLs.set(v, d.ackURL);
  return v;
}

