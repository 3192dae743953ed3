// @ts-check
// Stats: for a range (presets or custom, kept in the URL): episode and notification counts, MTTA and MTTR
// (cards, and over time), the episodes timeline with storm periods shaded, the noisiest, most flapping and
// longest-standing alerts, and notifications per receiver and per integration (channel).
import { ops } from "./api.js";
import { barChart, bucketText, lineChart } from "./chart.js";
import { duration, errorBox, h, labelChips, routeQuery, setRouteQuery, time } from "./util.js";
import { chartBucket, rangeControls, rangeQuery, rangeState, resolveRange } from "./view-history.js";

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Delivery log pages (of 1000) read for notifications per integration. */
const DELIVERY_PAGES = 5;
/** Parallel /stats calls for MTTA/MTTR over time. */
const CONCURRENCY = 4;

/** @param {number | null | undefined} seconds */
const secs = (seconds) => (seconds === null || seconds === undefined ? "—" : duration(seconds * 1000));

/** MTTA/MTTR slices of the range: at most 30. @param {number} spanMs */
function sliceLength(spanMs) {
  return [5 * MIN, 15 * MIN, HOUR, 2 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 7 * DAY].find((b) => spanMs / b <= 30) ?? Math.ceil(spanMs / 30 / DAY) * DAY;
}

/**
 * Runs `f` over `items`, at most `n` at a time.
 * @template T, R
 * @param {T[]} items @param {number} n @param {(x: T) => Promise<R>} f
 * @returns {Promise<R[]>}
 */
async function pool(items, n, f) {
  /** @type {R[]} */
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(/** @type {T} */ (items[i]));
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** @param {string} label @param {string | number} value @param {string} testid @param {string} [sub] */
function card(label, value, testid, sub) {
  return h("div", { class: "card", "data-testid": testid }, [
    h("div", { class: "muted" }, [label]),
    h("div", { class: "value" }, [String(value)]),
    sub ? h("div", { class: "muted" }, [sub]) : null,
  ]);
}

/** @param {string} fp @param {Record<string, string>} labels */
function alertLink(fp, labels) {
  return h("a", { href: `#/alert/${encodeURIComponent(fp)}`, title: fp }, [labels.alertname ?? fp]);
}

/**
 * @param {string} testid
 * @param {string[]} heads (a head starting with "#" is a number column)
 * @param {Array<Array<Node | string | number>>} rows
 * @param {string} empty
 */
function table(testid, heads, rows, empty) {
  if (rows.length === 0) return h("p", { class: "muted", "data-testid": `${testid}-empty` }, [empty]);
  const num = heads.map((x) => x.startsWith("#"));
  return h("div", { class: "table-wrap" }, [
    h("table", { "data-testid": testid }, [
      h("thead", {}, [h("tr", {}, heads.map((x, i) => h("th", { class: num[i] ? "num" : undefined }, [x.replace(/^#/, "")])))]),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => h("td", { class: num[i] ? "num" : undefined }, [c]))))),
    ]),
  ]);
}

/** @param {string} title @param {string} testid @param {Array<Node | null>} children */
function section(title, testid, children) {
  return h("section", { class: "panel", "data-testid": testid }, [h("h2", {}, [title]), ...children]);
}

/**
 * @param {HTMLElement} root
 * @returns {() => void}
 */
export function render(root) {
  const st = rangeState(routeQuery(), "24h");
  let gen = 0;
  let disposed = false;
  const range = rangeControls(st, "stats");
  const formError = h("p", { class: "error", role: "alert", hidden: true });
  const form = /** @type {HTMLFormElement} */ (h("form", { class: "search-form", "data-testid": "stats-form" }, [
    h("div", { class: "row" }, [range.el, h("button", { type: "submit", "data-testid": "stats-apply" }, ["Apply"])]),
    formError,
  ]));
  const body = h("div", { "data-testid": "stats-body" });
  root.replaceChildren(h("div", { class: "view-head" }, [h("h1", {}, ["Stats"]), form]), body);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const err = range.read();
    formError.hidden = err === "";
    formError.textContent = err;
    if (err !== "") return;
    setRouteQuery(rangeQuery(st));
    void load();
  });

  async function load() {
    const my = ++gen;
    const live = () => !disposed && my === gen;
    const r = resolveRange(st, "24h");
    const since = new Date(r.sinceMs).toISOString();
    const until = new Date(r.untilMs).toISOString();
    const span = r.untilMs - r.sinceMs;
    const step = chartBucket(span);
    const slice = sliceLength(span);
    body.replaceChildren(h("p", { class: "muted" }, ["Loading…"]));

    // Cards, timeline and tables first; MTTA/MTTR over time and the per-integration counts fill in after.
    let stats, byReceiver, ts, storms;
    try {
      [stats, byReceiver, ts, storms] = await Promise.all([
        ops("/stats", { since, until, limit: 1 }),
        ops("/stats", { since, until, by: "receiver", limit: 1000 }),
        ops("/stats/timeseries", { since, until, step: `${step / 1000}s`, limit: 1 }),
        ops("/storms", { since, until, limit: 1000 }),
      ]);
    } catch (err) {
      if (live()) body.replaceChildren(errorBox(err));
      return;
    }
    if (!live()) return;
    const t = stats.totals;
    const cards = h("div", { class: "cards", "data-testid": "stats-cards" }, [
      card("Episodes started", t.episodes_started, "stats-card-started"),
      card("Episodes resolved", t.episodes_resolved, "stats-card-resolved"),
      card("Notifications sent", t.notifications_sent, "stats-card-notifications", "successful deliveries"),
      card("MTTA p50 / p90", `${secs(t.mtta_seconds.p50)} / ${secs(t.mtta_seconds.p90)}`, "stats-card-mtta", `${t.mtta_seconds.samples} acknowledged`),
      card("MTTR p50 / p90", `${secs(t.mttr_seconds.p50)} / ${secs(t.mttr_seconds.p90)}`, "stats-card-mttr", `${t.mttr_seconds.samples} resolved`),
    ]);

    // Episodes per step, storms shaded.
    /** @type {Array<[number, number, string]>} */
    const marks = (storms.storms ?? []).map((/** @type {any} */ s) => [
      Date.parse(s.started), s.ended === null ? r.untilMs : Date.parse(s.ended),
      `storm on ${s.receiver}${s.active ? " (active)" : ""}: ${s.alerts} alerts in ${s.groups} groups`,
    ]);
    const stepStarts = (/** @type {string[]} */ (ts.steps ?? [])).map((x) => Date.parse(x));
    /** @param {number[]} xs @returns {Array<[number, number]>} */
    const barsOf = (xs) => stepStarts.map((s, i) => [s, xs[i] ?? 0]);
    const episodesChart = barChart({
      bars: barsOf(ts.total?.started ?? []), bucketMs: step, marks, xDomain: [r.sinceMs, r.untilMs], yLabel: "episodes started", title: `Episodes started per ${bucketText(step)}`,
    });
    episodesChart.setAttribute("data-testid", "stats-episodes-chart");
    const notifChart = barChart({
      bars: barsOf(ts.total?.notifications ?? []), bucketMs: step, marks, xDomain: [r.sinceMs, r.untilMs], yLabel: "notifications", className: "notifications", height: 110,
      title: `Notifications sent per ${bucketText(step)}`,
    });
    notifChart.setAttribute("data-testid", "stats-notifications-chart");

    const mttaBox = h("div", { class: "chart-box", "data-testid": "stats-mtta" }, [h("h3", {}, ["MTTA over time"]), h("p", { class: "muted" }, ["Loading…"])]);
    const mttrBox = h("div", { class: "chart-box", "data-testid": "stats-mttr" }, [h("h3", {}, ["MTTR over time"]), h("p", { class: "muted" }, ["Loading…"])]);
    const channelsBox = h("div", { "data-testid": "stats-channels-box" }, [h("p", { class: "muted" }, ["Loading…"])]);

    const noisiest = table("stats-noisiest", ["Alert", "Labels", "#Episodes"],
      (stats.noisiest ?? []).map((/** @type {any} */ a) => [alertLink(a.fingerprint, a.labels), labelChips(a.labels, ["alertname"]), a.episodes]), "No episodes started in the range.");
    const flapping = table("stats-flapping", ["Alert", "Labels", "#Changes"],
      (stats.most_flapping ?? []).map((/** @type {any} */ a) => [alertLink(a.fingerprint, a.labels), labelChips(a.labels, ["alertname"]), a.changes]), "No alert changed state in the range.");
    const standing = table("stats-longest", ["Alert", "Labels", "Started", "#Duration"],
      (stats.longest_standing ?? []).map((/** @type {any} */ a) => [
        alertLink(a.fingerprint, a.labels), labelChips(a.labels, ["alertname"]), time(a.started_at),
        a.open ? `${duration(a.duration_seconds * 1000)} (open)` : duration(a.duration_seconds * 1000),
      ]), "No episodes in the range.");
    const receivers = table("stats-receivers", ["Receiver", "#Notifications sent", "#Episodes started"],
      [...(byReceiver.buckets ?? [])].sort((/** @type {any} */ a, /** @type {any} */ b) => b.notifications_sent - a.notifications_sent || b.episodes_started - a.episodes_started)
        .map((/** @type {any} */ b) => [b.value === "" ? h("span", { class: "muted" }, ["(none)"]) : b.value, b.notifications_sent, b.episodes_started]),
      "No receiver had alerts or notifications in the range.");
    const stormTable = table("stats-storms", ["Receiver", "Started", "Ended", "#Alerts", "#Groups"],
      (storms.storms ?? []).map((/** @type {any} */ s) => [
        s.receiver, time(s.started), s.ended === null ? h("span", { class: "badge storm" }, ["active"]) : time(s.ended), s.alerts, s.groups,
      ]), "No storm in the range.");

    body.replaceChildren(
      cards,
      section("Episodes", "stats-timeline", [
        episodesChart,
        marks.length > 0 ? h("p", { class: "muted chart-note" }, [`Shaded: ${marks.length} storm period${marks.length === 1 ? "" : "s"} (hover for details).`]) : null,
        notifChart,
      ]),
      h("section", { class: "panel two-col", "data-testid": "stats-durations" }, [mttaBox, mttrBox]),
      h("div", { class: "two-col" }, [
        section("Noisiest alerts (episodes started)", "stats-noisiest-box", [noisiest]),
        section("Most flapping alerts (state changes)", "stats-flapping-box", [flapping]),
      ]),
      h("div", { class: "two-col" }, [
        section("Notifications per receiver", "stats-receivers-box", [receivers, h("p", { class: "muted chart-note" }, ["From /stats?by=receiver (successful deliveries; episodes of the alerts routed to it)."])]),
        section("Delivery attempts per channel", "stats-channels-section", [channelsBox]),
      ]),
      section("Longest-standing episodes", "stats-longest-box", [standing]),
      section("Storms", "stats-storms-box", [stormTable]),
    );

    void loadDurations(r, slice, live, mttaBox, mttrBox);
    void loadChannels(since, until, live, channelsBox);
  }

  /**
   * MTTA and MTTR per slice: /stats/timeseries has counts only, so one /stats call per slice.
   * @param {import("./view-history.js").Range} r @param {number} slice @param {() => boolean} live
   * @param {HTMLElement} mttaBox @param {HTMLElement} mttrBox
   */
  async function loadDurations(r, slice, live, mttaBox, mttrBox) {
    /** @type {number[]} */
    const starts = [];
    for (let s = r.sinceMs; s < r.untilMs; s += slice) starts.push(s);
    let rows;
    try {
      rows = await pool(starts, CONCURRENCY, async (s) => {
        if (!live()) return null;
        const res = await ops("/stats", { since: new Date(s).toISOString(), until: new Date(Math.min(s + slice, r.untilMs)).toISOString(), limit: 1 });
        return res.totals;
      });
    } catch (err) {
      if (live()) {
        mttaBox.replaceChildren(errorBox(err));
        mttrBox.replaceChildren();
      }
      return;
    }
    if (!live()) return;
    /** @param {"mtta_seconds" | "mttr_seconds"} key @param {string} name @param {HTMLElement} box */
    const draw = (key, name, box) => {
      /** @type {Array<[number, number | null]>} */
      const p50 = starts.map((s, i) => [s + slice / 2, rows[i]?.[key]?.p50 ?? null]);
      /** @type {Array<[number, number | null]>} */
      const p90 = starts.map((s, i) => [s + slice / 2, rows[i]?.[key]?.p90 ?? null]);
      const samples = rows.reduce((n, x) => n + (x?.[key]?.samples ?? 0), 0);
      const svg = lineChart({
        series: [{ points: p50, className: "line", label: "p50" }, { points: p90, className: "line p90", label: "p90" }],
        xDomain: [r.sinceMs, r.untilMs], includeZero: true, yLabel: name, yFormat: (v) => duration(v * 1000), height: 150,
        title: `${name} p50 and p90 per ${bucketText(slice)}`,
      });
      svg.setAttribute("data-testid", `stats-${key.slice(0, 4)}-chart`);
      box.replaceChildren(
        h("h3", {}, [`${name} over time`]), svg,
        h("p", { class: "muted chart-note" }, [`p50 and p90 per ${bucketText(slice)}; ${samples} sample${samples === 1 ? "" : "s"}. ${key === "mtta_seconds" ? "Counted when acknowledged." : "Counted when resolved."}`]),
      );
    };
    draw("mtta_seconds", "MTTA", mttaBox);
    draw("mttr_seconds", "MTTR", mttrBox);
  }

  /**
   * Delivery attempts per receiver and integration, aggregated here from the delivery log (the API has
   * no per-integration counts).
   * @param {string} since @param {string} until @param {() => boolean} live @param {HTMLElement} box
   */
  async function loadChannels(since, until, live, box) {
    /** @type {Map<string, { receiver: string, integration: string, success: number, failed: number, last: string }>} */
    const agg = new Map();
    /** @type {string | undefined} */
    let cursor;
    let read = 0;
    try {
      for (let p = 0; p < DELIVERY_PAGES; p++) {
        const res = await ops("/deliveries", { since, until, limit: 1000, cursor });
        if (!live()) return;
        for (const d of res.deliveries ?? []) {
          const k = `${d.receiver}\u0000${d.integration}`;
          let a = agg.get(k);
          if (!a) agg.set(k, (a = { receiver: d.receiver, integration: d.integration, success: 0, failed: 0, last: d.time }));
          if (d.status === "success") a.success++;
          else a.failed++;
        }
        read += (res.deliveries ?? []).length;
        cursor = res.next_cursor ?? undefined;
        if (cursor === undefined) break;
      }
    } catch (err) {
      if (live()) box.replaceChildren(errorBox(err));
      return;
    }
    if (!live()) return;
    const rows = [...agg.values()].sort((a, b) => b.success + b.failed - (a.success + a.failed));
    box.replaceChildren(
      table("stats-channels", ["Receiver", "Integration", "#Sent", "#Failed", "Last attempt"],
        rows.map((a) => [a.receiver, a.integration, a.success, a.failed > 0 ? h("span", { class: "error" }, [String(a.failed)]) : "0", time(a.last)]),
        "No delivery attempts in the range."),
      h("p", { class: "muted chart-note" }, [
        cursor === undefined
          ? `Aggregated from the delivery log (${read} attempts).`
          : `Aggregated from the newest ${read} delivery attempts only; older ones in the range are not counted.`,
      ]),
    );
  }

  void load();
  return () => {
    disposed = true;
  };
}
