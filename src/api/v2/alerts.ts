import type { Request, Response } from "express";
import type { Alert, AlertStatus } from "../../types/alert.ts";
import { compareAlertsForNotification } from "../../types/alert.ts";
import { compareLabelSets, type LabelSet } from "../../types/labels.ts";
import { formatApiTime } from "../../types/time.ts";
import type { Matcher } from "../../types/matcher.ts";
import { matchesAll } from "../../matchers/index.ts";
import { ApiError } from "../http-error.ts";
import { readJsonBody, requireJsonContentType } from "./json-body.ts";
import { decodePostableAlerts } from "./postable-alerts.ts";
import { boolParam, filterParam, receiverParam } from "./query.ts";
import type { ApiContext } from "./context.ts";

/** gettableAlert, fields in Alertmanager's order. */
export function gettableAlert(alert: Alert, status: AlertStatus, receivers: readonly string[]): Record<string, unknown> {
  const suppressed = status.silencedBy.length > 0 || status.inhibitedBy.length > 0;
  const out: Record<string, unknown> = {
    annotations: alert.annotations,
    endsAt: formatApiTime(alert.endsAt),
    fingerprint: alert.fingerprint,
    receivers: receivers.map((name) => ({ name })),
    startsAt: formatApiTime(alert.startsAt),
    status: { inhibitedBy: status.inhibitedBy, silencedBy: status.silencedBy, state: suppressed ? "suppressed" : "active" },
    updatedAt: formatApiTime(alert.updatedAt),
  };
  if (alert.generatorURL !== "") out.generatorURL = alert.generatorURL;
  out.labels = alert.labels;
  return out;
}

interface AlertFilter {
  readonly matchers: readonly Matcher[];
  readonly active: boolean;
  readonly silenced: boolean;
  readonly inhibited: boolean;
}

function alertFilterFrom(req: Request): AlertFilter {
  return {
    matchers: filterParam(req),
    active: boolParam(req, "active"),
    silenced: boolParam(req, "silenced"),
    inhibited: boolParam(req, "inhibited"),
  };
}

/** Alertmanager's alertFilter: hides ended alerts at once, then applies the state flags and matchers. */
function visible(alert: Alert, status: AlertStatus, f: AlertFilter, nowMs: number): boolean {
  if (alert.endsAt.ms < nowMs) return false;
  const silenced = status.silencedBy.length > 0;
  const inhibited = status.inhibitedBy.length > 0;
  if (!f.active && !silenced && !inhibited) return false;
  if (!f.silenced && silenced) return false;
  if (!f.inhibited && inhibited) return false;
  return matchesAll(f.matchers, alert.labels);
}

/**
 * An alert's JSON is the same from one listing to the next unless the alert, its status or its receivers
 * changed: keep it per alert object, already encoded, so a listing of many alerts is one copy of bytes.
 * (Joined as strings, the ~4 MB of 10,000 alerts were flattened and UTF-8 encoded again at every listing:
 * about a third of the request's time.)
 */
const jsonCache = new WeakMap<Alert, { key: string; json: Buffer }>();

function gettableAlertJson(alert: Alert, status: AlertStatus, receivers: readonly string[]): Buffer {
  // Unambiguous whatever the names hold: the common case (one receiver, nothing muting) is "=" and the name,
  // everything else JSON, which starts with "[".
  const key = status.silencedBy.length + status.inhibitedBy.length === 0 && receivers.length === 1
    ? `=${receivers[0]!}`
    : JSON.stringify([receivers, status.silencedBy, status.inhibitedBy]);
  const hit = jsonCache.get(alert);
  if (hit && hit.key === key) return hit.json;
  const text = JSON.stringify(gettableAlert(alert, status, receivers));
  // Memory of its own: a slice of Node's shared 8 KiB pool would keep the whole pool alive as long as it lives.
  const json = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  json.write(text);
  jsonCache.set(alert, { key, json });
  return json;
}

const COMMA = Buffer.from(",");

/** Appends `open`, the items separated by commas, and `close` to `pieces`: a JSON array, or an object holding one. */
function pushJsonList(pieces: Buffer[], open: string, items: readonly Buffer[], close: string): void {
  pieces.push(Buffer.from(open));
  items.forEach((item, i) => {
    if (i > 0) pieces.push(COMMA);
    pieces.push(item);
  });
  pieces.push(Buffer.from(close));
}

/** The body in one buffer, each piece copied once. */
function sendJsonBytes(res: Response, pieces: readonly Buffer[]): void {
  res.status(200).type("application/json").send(Buffer.concat(pieces));
}

export function getAlerts(ctx: ApiContext) {
  return (req: Request, res: Response): void => {
    const filter = alertFilterFrom(req);
    const receiver = receiverParam(req);
    const now = ctx.clock.now();
    const out: Array<{ fingerprint: string; json: Buffer }> = [];
    for (const { alert } of ctx.provider.all()) {
      if (alert.endsAt.ms < now) continue;
      const status = ctx.provider.statusOf(alert);
      if (!visible(alert, status, filter, now)) continue;
      const receivers = ctx.receiversFor(alert);
      if (receiver && !receivers.some((r) => receiver.matches(r))) continue;
      out.push({ fingerprint: alert.fingerprint, json: gettableAlertJson(alert, status, receivers) });
    }
    out.sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1));
    const pieces: Buffer[] = [];
    pushJsonList(pieces, "[", out.map((o) => o.json), "]\n");
    sendJsonBytes(res, pieces);
  };
}

export function postAlerts(ctx: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    requireJsonContentType(req);
    await acceptAlerts(ctx, readJsonBody(req, "alerts"));
    res.status(200).end();
  };
}

/**
 * POST /api/v2/alerts once the media type is checked and the body parsed: decodes, ingests, and resolves
 * after the commit; throws the error to answer otherwise. Shared by the express route and the fast route.
 */
export async function acceptAlerts(ctx: ApiContext, body: unknown): Promise<void> {
  const alerts = decodePostableAlerts(body);
  const { errors, limited } = await ctx.ingest(alerts);
  // As for invalid alerts, the accepted part of the batch is committed before the 400 is sent.
  if (errors.length + limited.length > 0) throw ApiError.handler(400, [...errors, ...limited].join("; "));
}

interface Group {
  labels: LabelSet;
  receiver: string;
  alerts: Alert[];
}

/** Groups as the dispatcher forms them: per matching route and its group labels. */
export function getAlertGroups(ctx: ApiContext) {
  return (req: Request, res: Response): void => {
    const filter = alertFilterFrom(req);
    const receiver = receiverParam(req);
    const routing = ctx.routing();
    const now = ctx.clock.now();
    const groups = new Map<string, Group>();
    const receiversOf = new Map<string, string[]>();
    const statusOf = new Map<string, AlertStatus>();
    for (const { alert } of ctx.provider.all()) {
      if (alert.endsAt.ms < now) continue;
      const status = ctx.provider.statusOf(alert);
      if (!visible(alert, status, filter, now)) continue;
      for (const { route, labels, key } of routing.groupsFor(alert)) {
        if (receiver && !receiver.matches(route.opts.receiver)) continue;
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { labels, receiver: route.opts.receiver, alerts: [] }));
        g.alerts.push(alert);
        const list = receiversOf.get(alert.fingerprint);
        if (list) list.push(route.opts.receiver);
        else receiversOf.set(alert.fingerprint, [route.opts.receiver]);
        statusOf.set(alert.fingerprint, status);
      }
    }
    const sorted = [...groups.values()].sort(
      (a, b) => compareLabelSets(a.labels, b.labels) || (a.receiver < b.receiver ? -1 : a.receiver > b.receiver ? 1 : 0),
    );
    // Each alert's JSON comes from the per-alert cache the flat listing uses; keys in Alertmanager's order.
    const pieces: Buffer[] = [Buffer.from("[")];
    sorted.forEach((g, i) => {
      if (i > 0) pieces.push(COMMA);
      const alerts = g.alerts.sort(compareAlertsForNotification).map((a) => {
        const receivers = receiversOf.get(a.fingerprint)!;
        return gettableAlertJson(a, statusOf.get(a.fingerprint)!, receivers.length > 1 ? [...receivers].sort() : receivers);
      });
      pushJsonList(pieces, '{"alerts":[', alerts, `],"labels":${JSON.stringify(g.labels)},"receiver":${JSON.stringify({ name: g.receiver })}}`);
    });
    pieces.push(Buffer.from("]\n"));
    sendJsonBytes(res, pieces);
  };
}

export function sendJson(res: Response, body: unknown): void {
  res.status(200).type("application/json").send(JSON.stringify(body) + "\n");
}
