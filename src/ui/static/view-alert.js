// @ts-check
// Alert: one alert (#/alert/<fingerprint>): its labels, annotations, state and times, the operator actions
// (actions.js), its timeline (GET /api/ops/v1/alerts/{fp}: events, notification decisions, deliveries, acks,
// comments, escalations; oldest first, more pages on demand), and why it is or is not notified now
// (GET /api/ops/v1/alerts/{fp}/explain).
import { ops } from "./api.js";
import { actionButtons, actionSlot, confirm } from "./actions.js";
import { duration, errorBox, h, labelChips, time } from "./util.js";

const TIMELINE_PAGE = 500;

/** @typedef {Record<string, any>} Json */

/** Key/value rows in a wrapped table. @param {Array<[string, Node | string]>} rows @param {string} testid */
function kvTable(rows, testid) {
  return h("div", { class: "table-wrap" }, [
    h("table", { class: "kv", "data-testid": testid }, [h("tbody", {}, rows.map(([k, v]) => h("tr", { "data-key": k }, [h("td", {}, [k]), h("td", {}, [v])])))]),
  ]);
}

/** @param {Record<string, string> | undefined} m @param {string} testid @param {string} empty */
function mapTable(m, testid, empty) {
  const keys = Object.keys(m ?? {}).sort();
  if (keys.length === 0) return h("p", { class: "muted", "data-testid": testid }, [empty]);
  return kvTable(keys.map((k) => [k, m?.[k] ?? ""]), testid);
}

/** A safe link for a URL from the alert (http/https only), else the text. @param {string | undefined} url */
function externalLink(url) {
  if (!url) return h("span", { class: "muted" }, ["—"]);
  if (!/^https?:\/\//i.test(url)) return h("span", { class: "mono" }, [url]);
  return h("a", { href: url, rel: "noopener noreferrer", target: "_blank", "data-testid": "generator-url" }, [url]);
}

/** A record's detail object as short "key: value" text; *_ms numbers as times. @param {Json | undefined} detail */
function detailText(detail) {
  if (!detail || typeof detail !== "object") return "";
  return Object.entries(detail).map(([k, v]) => {
    if (typeof v === "number" && /(_ms|At|_at)$/.test(k) && v > 1e11) return `${k.replace(/_ms$/, "")}: ${new Date(v).toLocaleString()}`;
    if (Array.isArray(v)) return `${k}: ${v.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x))).join(", ")}`;
    if (v !== null && typeof v === "object") return `${k}: ${JSON.stringify(v)}`;
    return `${k}: ${String(v)}`;
  }).join(" · ");
}

const EVENT_TEXT = /** @type {Record<string, string>} */ ({
  new: "started firing", updated: "updated (labels, annotations or end time)", resolved: "resolved", silenced: "silenced", unsilenced: "no longer silenced",
  inhibited: "inhibited", uninhibited: "no longer inhibited", source_added: "also received from another source",
  acked: "acknowledged", unacked: "ack removed", commented: "commented",
});

/** Events that repeat an ack or comment entry of the timeline (which says more). */
const ECHO_EVENTS = /** @type {Record<string, string>} */ ({ acked: "ack", unacked: "ack", commented: "comment" });

/** The entries to show: without ack/comment events when their own entries are there. @param {Json[]} entries */
function withoutEchoes(entries) {
  const types = new Set(entries.map((e) => e.type));
  return entries.filter((e) => !(e.type === "event" && types.has(ECHO_EVENTS[e.kind] ?? "")));
}

const DECISION_TEXT = /** @type {Record<string, string>} */ ({
  "inhibit/inhibited": "held: inhibited",
  "time_intervals/outside_active": "held: outside the route's active time intervals",
  "time_intervals/muted": "held: in a mute time interval",
  "silence/silenced": "held: silenced",
  "ack/acked": "held: acknowledged",
  "flap/flapping": "flapping",
  "flap/damped": "resolve damped: flapping (shown as firing)",
  "storm/held": "held: the receiver is in a storm (covered by its summary)",
  "dedup/not_due": "not sent: repeat not due yet",
  "notify/sent": "notification sent",
  "notify/failed": "notification failed",
  "notify/covered": "covered by a storm summary",
});

/** @param {Json} e one timeline entry @returns {{ kind: string, text: string, detail: string }} */
function describe(e) {
  switch (e.type) {
    case "event":
      return { kind: "Event", text: EVENT_TEXT[e.kind] ?? e.kind, detail: detailText(e.detail) };
    case "decision": {
      const what = DECISION_TEXT[`${e.stage}/${e.outcome}`] ?? (e.outcome === "released" ? `released by ${e.stage}` : `${e.stage}: ${e.outcome}`);
      const to = `${e.receiver}${e.integration ? ` / ${e.integration}` : ""}`;
      return { kind: "Decision", text: `${what} — ${to}${e.scope === "group" ? " (whole group)" : ""}`, detail: detailText(e.detail) };
    }
    case "delivery": {
      const parts = [`attempt ${e.attempt}`, `${e.firing} firing, ${e.resolved} resolved`, `took ${Math.round(e.duration_ms)} ms`];
      if (e.status === "failed") parts.push(e.retryable ? "will retry" : "not retryable");
      return { kind: "Delivery", text: `${e.status === "success" ? "delivered" : "failed"} via ${e.receiver} / ${e.integration}${e.error ? `: ${e.error}` : ""}`, detail: parts.join(" · ") };
    }
    case "ack":
      return e.action === "acked"
        ? { kind: "Ack", text: `acknowledged by ${e.actor}: ${e.comment}`, detail: e.expires ? `until ${new Date(e.expires).toLocaleString()}` : "until it resolves" }
        : { kind: "Ack", text: `ack removed${e.ended_by ? ` (${e.ended_by})` : ""}`, detail: `was: ${e.comment}` };
    case "comment":
      return { kind: "Comment", text: `${e.actor}: ${e.text}`, detail: "" };
    case "escalation": {
      const text = e.state === "pending" ? `escalation to ${e.receiver} due` : e.state === "fired" ? `escalated to ${e.receiver}` : `escalation to ${e.receiver} cancelled${e.cancelled_by ? ` by ${e.cancelled_by}` : ""}`;
      return { kind: "Escalation", text, detail: `rule ${e.rule} · due ${new Date(e.due).toLocaleString()}` };
    }
    default:
      return { kind: String(e.type), text: "", detail: detailText(e) };
  }
}

/** @param {Json} e */
function timelineItem(e) {
  const d = describe(e);
  return h("li", { "data-testid": "timeline-entry", "data-type": e.type, "data-status": e.status ?? e.outcome ?? e.kind ?? e.action ?? e.state ?? "" }, [
    time(e.time),
    h("div", {}, [h("span", { class: "tl-kind" }, [d.kind]), d.text, d.detail !== "" && h("div", { class: "tl-detail" }, [d.detail])]),
  ]);
}

/** @param {string} status */
function statusBadge(status) {
  return h("span", { class: `badge ${status}`, "data-testid": "explain-status" }, [status.replace(/_/g, " ")]);
}

const secs = (/** @type {number} */ s) => duration(s * 1000);

/** @param {Json} r one RouteExplanation */
function explainRoute(r) {
  const path = h("div", { class: "explain-path" }, (r.path ?? []).flatMap((/** @type {Json} */ p, /** @type {number} */ i) => [
    i > 0 && h("span", { class: "muted" }, ["→"]),
    h("span", { class: "label", title: `route ${p.id}${p.continue ? " (continue)" : ""}` }, [p.matchers === "" || p.matchers === "{}" ? `${p.receiver} (root)` : `${p.matchers} → ${p.receiver}`]),
  ]));
  const g = r.group;
  const rows = /** @type {Array<[string, Node | string]>} */ ([
    ["route", h("span", {}, [r.route_id, r.pinned ? " (outside the tree: storm summary)" : "", r.continue ? " · continue" : ""])],
    ["path", path],
    ["group by", (r.group_by ?? []).join(", ") || "—"],
    ["timers", `wait ${secs(r.group_wait_seconds)} · interval ${secs(r.group_interval_seconds)} · repeat ${secs(r.repeat_interval_seconds)}`],
    ["group", g ? h("span", {}, [labelChips(g.group_labels ?? {}), g.first_flush_pending ? " first flush pending" : "", g.next_flush_at ? " · next flush " : "", g.next_flush_at ? time(g.next_flush_at) : ""]) : "not in a group"],
  ]);
  if ((r.time_intervals ?? []).length > 0) {
    rows.push(["time intervals", (r.time_intervals ?? []).map((/** @type {Json} */ t) => `${t.name} (${t.kind}${t.in_force ? ", in force" : ""})`).join(", ")]);
  }
  if (r.storm) rows.push(["storm", h("span", {}, [`${r.storm.id} since `, time(r.storm.since), r.storm.bypassed ? " (this alert bypasses it)" : ""])]);
  const integrations = (r.integrations ?? []).length === 0 ? h("p", { class: "muted" }, ["no integrations"]) : h("div", { class: "table-wrap" }, [
    h("table", { "data-testid": "explain-integrations" }, [
      h("thead", {}, [h("tr", {}, ["integration", "status", "last notified", "next repeat", "verdict"].map((t) => h("th", {}, [t])))]),
      h("tbody", {}, (r.integrations ?? []).map((/** @type {Json} */ i) => h("tr", { "data-integration": i.integration }, [
        h("td", { class: "mono" }, [i.integration, i.send_resolved ? "" : h("div", { class: "muted" }, ["no resolves"])]),
        h("td", {}, [statusBadge(i.status), i.reason ? h("div", { class: "muted" }, [i.reason.replace(/_/g, " ")]) : ""]),
        h("td", {}, [i.last_notification ? time(i.last_notification.sent_at) : "never", i.last_notification ? h("div", { class: "muted" }, [i.last_notification.alert_resolved ? "as resolved" : i.last_notification.alert_firing ? "as firing" : "without this alert"]) : ""]),
        h("td", {}, [time(i.next_repeat_at)]),
        h("td", { class: "verdict" }, [i.verdict]),
      ]))),
    ]),
  ]);
  return h("div", { class: "explain-route", "data-testid": "explain-route", "data-receiver": r.receiver, "data-status": r.status }, [
    h("div", { class: "row" }, [h("strong", {}, [r.receiver]), statusBadge(r.status), r.reason && h("span", { class: "muted", "data-testid": "explain-reason" }, [r.reason.replace(/_/g, " ")])]),
    h("p", { class: "verdict", "data-testid": "explain-verdict" }, [r.verdict]),
    kvTable(rows, "explain-route-facts"),
    integrations,
  ]);
}

/** @param {Json} x the Explanation */
function explainPanel(x) {
  const muting = [];
  for (const s of x.silenced_by ?? []) {
    muting.push(h("li", { "data-testid": "explain-silence" }, [
      `silenced by ${s.id} (${s.created_by}: ${s.comment}) until `, time(s.ends_at), " ", h("span", { class: "mono" }, [`{${(s.matchers ?? []).join(", ")}}`]),
    ]));
  }
  for (const i of x.inhibited_by ?? []) {
    muting.push(h("li", { "data-testid": "explain-inhibitor" }, ["inhibited by ", h("a", { href: `#/alert/${encodeURIComponent(i.fingerprint)}` }, [i.fingerprint]), " ", i.labels ? labelChips(i.labels) : h("span", { class: "muted" }, ["(labels unknown)"])]));
  }
  if (x.flapping?.flapping) muting.push(h("li", {}, ["flapping since ", time(x.flapping.since), x.flapping.quiet_until ? " · quiet until " : "", x.flapping.quiet_until ? time(x.flapping.quiet_until) : ""]));
  if (x.ack) muting.push(h("li", { "data-testid": "explain-ack" }, [`acknowledged by ${x.ack.by} at `, time(x.ack.at), x.ack.expires_at ? " until " : "", x.ack.expires_at ? time(x.ack.expires_at) : "", `: ${x.ack.comment}`]));
  const routes = x.routes ?? [];
  return [
    h("h2", {}, ["Why is / isn't this notified?"]),
    h("p", { class: "explain-summary", "data-testid": "explain-summary" }, [x.summary]),
    h("p", { class: "muted" }, ["as of ", time(x.now), x.in_live_set ? "" : " · no longer in the live set", x.flapping?.enabled ? "" : " · flap damping off"]),
    muting.length > 0 && h("ul", { class: "explain-list" }, muting),
    routes.length === 0 ? h("p", { class: "muted" }, ["No route to explain."]) : h("div", {}, routes.map(explainRoute)),
  ];
}

/**
 * @param {HTMLElement} root
 * @param {string[]} params [fingerprint]
 */
export async function render(root, params) {
  const fp = params[0] ?? "";
  let stopped = false;
  const status = h("div", { class: "now-status", "data-testid": "alert-status" });

  /** @param {string} message */
  const afterAction = async (message) => {
    await load();
    confirm(status, message);
  };

  async function load() {
    const [tl, ex] = await Promise.allSettled([
      ops(`/alerts/${encodeURIComponent(fp)}`, { limit: TIMELINE_PAGE }),
      ops(`/alerts/${encodeURIComponent(fp)}/explain`),
    ]);
    if (stopped) return;
    if (tl.status === "rejected") {
      root.replaceChildren(h("section", { "data-testid": "view-alert" }, [h("p", {}, [h("a", { href: "#/now" }, ["← Now"])]), errorBox(tl.reason)]));
      return;
    }
    /** @type {Json} */
    const data = tl.value;
    const a = data.alert;
    /** @type {Json | undefined} */
    const x = ex.status === "fulfilled" ? ex.value : undefined;
    const labels = /** @type {Record<string, string>} */ (a.labels ?? {});
    const silenced = a.status?.silenced_by ?? [];
    const inhibited = a.status?.inhibited_by ?? [];
    const slot = actionSlot();
    const head = h("div", { class: "alert-head", "data-testid": "alert-head" }, [
      labels.priority && h("span", { class: `badge ${/^P[1-4]$/.test(labels.priority) ? labels.priority : ""}`, "data-testid": "priority" }, [labels.priority]),
      h("h1", {}, [labels.alertname ?? "(no alertname)"]),
      h("span", { class: `badge ${a.state}`, "data-testid": "alert-state" }, [a.state]),
      x?.ack && h("span", { class: "badge acked", "data-testid": "badge-acked" }, [`acked by ${x.ack.by}`]),
      x?.flapping?.flapping && h("span", { class: "badge flapping", "data-testid": "badge-flapping" }, ["flapping"]),
      silenced.length > 0 && h("span", { class: "badge silenced", "data-testid": "badge-silenced" }, ["silenced"]),
      inhibited.length > 0 && h("span", { class: "badge inhibited", "data-testid": "badge-inhibited" }, ["inhibited"]),
      h("span", { class: "alert-fp muted" }, [a.fingerprint]),
    ]);
    const actions = actionButtons({ fingerprint: a.fingerprint, labels, acked: x ? x.ack !== null : undefined }, { slot, onDone: afterAction });
    // A resolved alert can still be commented on; ack and silence are for firing ones.
    if (!(a.state === "firing" && a.live)) for (const b of actions.querySelectorAll('[data-action="ack"], [data-action="unack"]')) b.remove();

    const unusual = a.unusual ? `${a.unusual.class} (episodes on ${a.unusual.days_with_episodes} of the ${a.unusual.window_days} days before this one)` : "";
    const facts = /** @type {Array<[string, Node | string]>} */ ([
      ["state", `${a.state}${a.live ? "" : " (known from history only)"}${silenced.length > 0 ? ` · silenced by ${silenced.join(", ")}` : ""}${inhibited.length > 0 ? ` · inhibited by ${inhibited.join(", ")}` : ""}`],
      ["started", time(a.starts_at)],
      ["ends", time(a.ends_at)],
      ["updated", time(a.updated_at)],
      ["last event", time(a.last_event_time)],
      ["source", externalLink(a.generator_url)],
      ["groups", h("span", { class: "mono" }, [(a.groups ?? []).join(" ; ") || "—"])],
    ]);
    if (unusual !== "") facts.push(["unusual", unusual]);

    const timeline = h("ol", { class: "timeline", "data-testid": "timeline" }, withoutEchoes(data.timeline ?? []).map(timelineItem));
    const more = h("div", { class: "row" });
    /** @param {string | null} cursor */
    const setMore = (cursor) => {
      more.replaceChildren();
      if (!cursor) return;
      const b = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "quiet", "data-testid": "timeline-more" }, ["Load more"]));
      b.addEventListener("click", () => {
        b.disabled = true;
        ops(`/alerts/${encodeURIComponent(fp)}`, { limit: TIMELINE_PAGE, cursor }).then((/** @type {Json} */ next) => {
          timeline.append(...withoutEchoes(next.timeline ?? []).map(timelineItem));
          setMore(next.next_cursor);
        }, (/** @type {unknown} */ err) => more.replaceChildren(errorBox(err)));
      });
      more.append(b);
    };
    setMore(data.next_cursor);

    root.replaceChildren(h("section", { "data-testid": "view-alert", "data-fingerprint": a.fingerprint }, [
      h("p", {}, [h("a", { href: "#/now" }, ["← Now"])]),
      head,
      h("div", { class: "row" }, [actions]),
      slot,
      status,
      h("div", { class: "alert-panels" }, [
        h("section", { class: "panel", "data-testid": "alert-facts" }, [h("h2", {}, ["Alert"]), kvTable(facts, "alert-facts-table")]),
        h("section", { class: "panel", "data-testid": "alert-labels" }, [h("h2", {}, ["Labels"]), mapTable(labels, "labels-table", "no labels")]),
        h("section", { class: "panel", "data-testid": "alert-annotations" }, [h("h2", {}, ["Annotations"]), a.annotations ? mapTable(a.annotations, "annotations-table", "no annotations") : h("p", { class: "muted" }, ["not in the live set: annotations unknown"])]),
      ]),
      h("section", { class: "panel", "data-testid": "explain" }, ex.status === "fulfilled" ? explainPanel(ex.value) : [h("h2", {}, ["Why is / isn't this notified?"]), errorBox(ex.reason)]),
      h("section", { class: "panel", "data-testid": "alert-timeline" }, [
        h("h2", {}, [`Timeline (${(data.timeline ?? []).length}${data.next_cursor ? "+" : ""} entries, oldest first)`]),
        (data.timeline ?? []).length === 0 ? h("p", { class: "muted" }, ["Nothing recorded yet."]) : timeline,
        more,
      ]),
    ]));
  }

  await load();
  return () => {
    stopped = true;
  };
}
