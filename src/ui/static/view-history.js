// @ts-check
// History: search alert events by matchers, time range and kind (kept in the URL), a chart of episodes
// started per bucket over the range, and the events table paged with the API's cursor.
import { ops } from "./api.js";
import { barChart, bucketText } from "./chart.js";
import { errorBox, h, labelChips, routeQuery, setRouteQuery, time } from "./util.js";

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** @type {Record<string, number>} */
export const PRESETS = { "1h": HOUR, "24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY };
const KINDS = ["new", "updated", "resolved", "silenced", "unsilenced", "inhibited", "uninhibited", "source_added"];
/** Badge classes of style.css for event kinds. @type {Record<string, string>} */
const KIND_BADGE = { new: "firing", resolved: "resolved", silenced: "silenced", inhibited: "inhibited", acked: "acked" };
const PAGE = 100;
/** Episode starts read for the chart when a filter rules out /stats/timeseries (pages of 1000). */
const CHART_PAGES = 5;

/**
 * Matchers in Alertmanager syntax — `{a="1", b=~"x.*"}` or `a="1", b=~"x.*"` — split into one string per
 * matcher (commas inside double quotes do not split), for repeated `filter` parameters.
 * @param {string} text
 * @returns {string[]}
 */
export function splitMatchers(text) {
  let body = text.trim();
  if (body.startsWith("{")) body = body.slice(1);
  if (body.endsWith("}")) body = body.slice(0, -1);
  /** @type {string[]} */
  const out = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quoted && c === "\\" && i + 1 < body.length) {
      cur += c + body[i + 1];
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out.map((m) => m.trim()).filter((m) => m !== "");
}

/**
 * @typedef {{ range: string, since: string, until: string }} RangeState  range: a preset or "custom"; since/until: RFC 3339 (custom)
 * @typedef {{ preset: string, sinceMs: number, untilMs: number }} Range
 */

/** The range in the URL's query (a preset, or custom since/until). @param {Record<string, string>} q @param {string} dflt @returns {RangeState} */
export function rangeState(q, dflt) {
  const range = q.range === "custom" || (q.range !== undefined && q.range in PRESETS) ? q.range : dflt;
  return { range, since: q.since ?? "", until: q.until ?? "" };
}

/** @param {RangeState} st @param {string} dflt @returns {Range} */
export function resolveRange(st, dflt) {
  const now = Date.now();
  if (st.range === "custom") {
    const s = Date.parse(st.since);
    const u = st.until === "" ? now : Date.parse(st.until);
    if (Number.isFinite(s) && Number.isFinite(u) && s < u) return { preset: "custom", sinceMs: s, untilMs: u };
  }
  const preset = st.range in PRESETS ? st.range : dflt;
  return { preset, sinceMs: now - (PRESETS[preset] ?? DAY), untilMs: now };
}

/** The URL query of a range. @param {RangeState} st @returns {Record<string, string>} */
export function rangeQuery(st) {
  return st.range === "custom" ? { range: "custom", since: st.since, until: st.until } : { range: st.range };
}

/** ms → the value of an <input type="datetime-local"> in the viewer's zone. @param {number} ms */
function localInput(ms) {
  if (!Number.isFinite(ms)) return "";
  const off = new Date(ms).getTimezoneOffset() * MIN;
  return new Date(ms - off).toISOString().slice(0, 16);
}

/**
 * Preset buttons (1h/24h/7d/30d/custom) and, for custom, since/until inputs. Clicking a preset sets
 * `st` and submits `form`; custom shows the inputs (applied when the form is submitted).
 * @param {RangeState} st mutated
 * @param {string} prefix data-testid prefix
 */
export function rangeControls(st, prefix) {
  const sinceInput = /** @type {HTMLInputElement} */ (h("input", { type: "datetime-local", name: "since", "data-testid": `${prefix}-since`, step: 60 }));
  const untilInput = /** @type {HTMLInputElement} */ (h("input", { type: "datetime-local", name: "until", "data-testid": `${prefix}-until`, step: 60 }));
  const custom = h("div", { class: "custom-range" }, [
    h("label", {}, ["From (local time)", sinceInput]),
    h("label", {}, ["To (empty: now)", untilInput]),
  ]);
  /** @type {HTMLButtonElement[]} */
  const buttons = [];
  const sync = () => {
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.value === st.range));
    custom.hidden = st.range !== "custom";
  };
  const sinceMs = Date.parse(st.since);
  sinceInput.value = localInput(Number.isFinite(sinceMs) ? sinceMs : Date.now() - DAY);
  untilInput.value = st.until === "" ? "" : localInput(Date.parse(st.until));
  for (const name of [...Object.keys(PRESETS), "custom"]) {
    const b = /** @type {HTMLButtonElement} */ (h("button", { type: "button", value: name, "data-testid": `${prefix}-preset-${name}` }, [name === "custom" ? "Custom…" : name]));
    b.addEventListener("click", () => {
      st.range = name;
      sync();
      if (name !== "custom") b.form?.requestSubmit();
      else sinceInput.focus();
    });
    buttons.push(b);
  }
  sync();
  /** Copies the custom inputs into `st`; an error text when they are not a range. */
  const read = () => {
    if (st.range !== "custom") return "";
    const s = sinceInput.value === "" ? NaN : new Date(sinceInput.value).getTime();
    const u = untilInput.value === "" ? Date.now() : new Date(untilInput.value).getTime();
    if (!Number.isFinite(s)) return "Give the start of the custom range.";
    if (!(s < u)) return "The custom range must start before it ends.";
    st.since = new Date(s).toISOString();
    st.until = untilInput.value === "" ? "" : new Date(u).toISOString();
    return "";
  };
  const el = h("div", { class: "range-controls" }, [
    h("div", { class: "presets", role: "group", "aria-label": "Time range", "data-testid": `${prefix}-range` }, buttons),
    custom,
  ]);
  return { el, read };
}

/** A bucket for charts of the range: at most about 200 bars. @param {number} spanMs */
export function chartBucket(spanMs) {
  return [5 * MIN, HOUR, 6 * HOUR, DAY].find((b) => spanMs / b <= 200) ?? Math.ceil(spanMs / 200 / DAY) * DAY;
}

/** Query string with repeated filters. @param {string[]} filters @param {Record<string, string | number | undefined>} rest */
function historyQuery(filters, rest) {
  const p = new URLSearchParams();
  for (const f of filters) p.append("filter", f);
  for (const [k, v] of Object.entries(rest)) if (v !== undefined && v !== "") p.append(k, String(v));
  return `/alerts/history?${p}`;
}

/** A short text of an event's detail. @param {unknown} detail */
function detailText(detail) {
  if (detail === null || typeof detail !== "object") return detail === undefined || detail === null ? "" : String(detail);
  /** @param {string} k @param {unknown} v */
  const show = (k, v) => {
    // Millisecond times (startsAt, acked_at_ms, …) as UTC text.
    if (typeof v === "number" && v > 1e12 && v < 1e14 && /(at|time|ms)$/i.test(k)) return new Date(v).toISOString().replace(".000Z", "Z");
    return typeof v === "string" ? v : JSON.stringify(v);
  };
  const parts = Object.entries(detail).filter(([, v]) => !(v !== null && typeof v === "object" && Object.keys(v).length === 0)).map(([k, v]) => `${k}: ${show(k, v)}`);
  const s = parts.join("; ");
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

/** @param {any} e a HistoryEvent */
function eventRow(e) {
  const labels = /** @type {Record<string, string>} */ (e.labels ?? {});
  const name = labels.alertname ?? e.fingerprint;
  const detail = detailText(e.detail);
  return h("tr", { "data-testid": "history-row", "data-kind": e.kind, "data-fingerprint": e.fingerprint }, [
    h("td", { class: "nowrap" }, [time(e.time)]),
    h("td", {}, [h("a", { href: `#/alert/${encodeURIComponent(e.fingerprint)}`, title: e.fingerprint }, [name])]),
    h("td", {}, [labelChips(labels, ["alertname"])]),
    h("td", {}, [h("span", { class: `badge ${KIND_BADGE[e.kind] ?? ""}` }, [e.kind])]),
    h("td", { class: "detail", title: detail === "" ? undefined : JSON.stringify(e.detail) }, [detail]),
  ]);
}

/**
 * @param {HTMLElement} root
 * @returns {() => void}
 */
export function render(root) {
  const q = routeQuery();
  const st = { ...rangeState(q, "24h"), f: q.f ?? "", kind: KINDS.includes(q.kind ?? "") ? q.kind ?? "" : "" };
  let gen = 0;
  let disposed = false;

  const filterInput = /** @type {HTMLInputElement} */ (h("input", {
    type: "search", name: "filter", class: "filter-input", "data-testid": "history-filter", value: st.f, spellcheck: "false", autocomplete: "off",
    placeholder: '{alertname="HighLatency", severity=~"crit.*"}', "aria-label": "Label matchers",
  }));
  const kindSelect = /** @type {HTMLSelectElement} */ (h("select", { name: "kind", "data-testid": "history-kind" }, [
    h("option", { value: "" }, ["all kinds"]),
    ...KINDS.map((k) => h("option", { value: k, selected: k === st.kind }, [k])),
  ]));
  const range = rangeControls(st, "history");
  const formError = h("p", { class: "error", role: "alert", hidden: true, "data-testid": "history-form-error" });
  const form = /** @type {HTMLFormElement} */ (h("form", { class: "panel search-form", "data-testid": "history-form", role: "search" }, [
    h("div", { class: "row" }, [
      h("label", { class: "grow" }, ["Matchers (Alertmanager syntax, comma-separated)", filterInput]),
      h("label", {}, ["Kind", kindSelect]),
    ]),
    h("div", { class: "row" }, [range.el, h("button", { type: "submit", "data-testid": "history-search" }, ["Search"])]),
    formError,
  ]));
  const chartBox = h("section", { class: "panel chart-box", "data-testid": "history-chart" });
  const results = h("section", { class: "panel", "data-testid": "history-results" });
  root.replaceChildren(h("div", { class: "view-head" }, [h("h1", {}, ["History"])]), form, chartBox, results);

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const err = range.read();
    formError.hidden = err === "";
    formError.textContent = err;
    if (err !== "") return;
    st.f = filterInput.value.trim();
    st.kind = kindSelect.value;
    setRouteQuery({ ...rangeQuery(st), f: st.f, kind: st.kind });
    void load();
  });

  async function load() {
    const my = ++gen;
    const r = resolveRange(st, "24h");
    const filters = splitMatchers(st.f);
    const since = new Date(r.sinceMs).toISOString();
    const until = new Date(r.untilMs).toISOString();
    const live = () => !disposed && my === gen;
    results.replaceChildren(h("p", { class: "muted" }, ["Loading…"]));
    chartBox.hidden = false;
    chartBox.replaceChildren(h("p", { class: "muted" }, ["Loading…"]));

    const tbody = h("tbody");
    const count = h("span", { class: "muted", "data-testid": "history-count" });
    const more = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "quiet", "data-testid": "history-more", hidden: true }, ["Load more"]));
    const pageError = h("div");
    let shown = 0;
    /** @type {string | null} */
    let cursor = null;
    /** @param {string | undefined} c */
    const page = async (c) => {
      const res = await ops(historyQuery(filters, { since, until, kind: st.kind, limit: PAGE, cursor: c }));
      return /** @type {{ events: any[], next_cursor: string | null }} */ (res);
    };
    /** @param {{ events: any[], next_cursor: string | null }} p */
    const add = (p) => {
      for (const e of p.events) tbody.append(eventRow(e));
      shown += p.events.length;
      cursor = p.next_cursor;
      more.hidden = cursor === null;
      count.textContent = `${shown} event${shown === 1 ? "" : "s"}${cursor === null ? "" : " (more in the range)"}`;
    };
    more.addEventListener("click", async () => {
      if (cursor === null) return;
      more.disabled = true;
      pageError.replaceChildren();
      try {
        const p = await page(cursor);
        if (live()) add(p);
      } catch (err) {
        if (live()) pageError.replaceChildren(errorBox(err));
      } finally {
        more.disabled = false;
      }
    });
    try {
      const first = await page(undefined);
      if (!live()) return;
      // After the table's first page: a bad filter is then one 400, reported once.
      void loadChart(r, filters, live);
      if (first.events.length === 0) {
        results.replaceChildren(h("p", { class: "muted", "data-testid": "history-empty" }, ["No events match in this range."]));
        return;
      }
      results.replaceChildren(
        h("div", { class: "table-wrap" }, [
          h("table", { class: "events-table", "data-testid": "history-table" }, [
            h("thead", {}, [h("tr", {}, [h("th", {}, ["Time"]), h("th", {}, ["Alert"]), h("th", {}, ["Labels"]), h("th", {}, ["Kind"]), h("th", {}, ["Detail"])])]),
            tbody,
          ]),
        ]),
        pageError,
        h("div", { class: "pager" }, [count, more]),
      );
      add(first);
    } catch (err) {
      if (!live()) return;
      const box = errorBox(err);
      box.setAttribute("data-testid", "history-error");
      results.replaceChildren(box);
      chartBox.replaceChildren();
      chartBox.hidden = true;
    }
  }

  /**
   * Episodes started per bucket: /stats/timeseries when there is no filter (it takes none), else the
   * `new` events of the filtered history, counted here (up to CHART_PAGES pages of 1000).
   * @param {Range} r @param {string[]} filters @param {() => boolean} live
   */
  async function loadChart(r, filters, live) {
    const bucket = chartBucket(r.untilMs - r.sinceMs);
    const since = new Date(r.sinceMs).toISOString();
    const until = new Date(r.untilMs).toISOString();
    const n = Math.max(1, Math.ceil((r.untilMs - r.sinceMs) / bucket));
    const counts = new Array(n).fill(0);
    let note;
    try {
      if (filters.length === 0) {
        const ts = await ops("/stats/timeseries", { since, until, step: `${bucket / 1000}s`, limit: 1 });
        const started = /** @type {number[]} */ (ts.total?.started ?? []);
        for (let i = 0; i < Math.min(n, started.length); i++) counts[i] = started[i] ?? 0;
        note = "From /stats/timeseries.";
      } else {
        /** @type {string | undefined} */
        let cursor;
        let read = 0;
        for (let p = 0; p < CHART_PAGES; p++) {
          const res = await ops(historyQuery(filters, { since, until, kind: "new", limit: 1000, cursor }));
          for (const e of res.events ?? []) {
            const i = Math.floor((Date.parse(e.time) - r.sinceMs) / bucket);
            if (i >= 0 && i < n) counts[i]++;
          }
          read += (res.events ?? []).length;
          cursor = res.next_cursor ?? undefined;
          if (cursor === undefined || !live()) break;
        }
        note = cursor === undefined
          ? "Counted from the matching history's new events."
          : `Counted from the newest ${read} matching new events only: the earlier part of the range is incomplete.`;
      }
    } catch (err) {
      if (!live()) return;
      chartBox.replaceChildren(errorBox(err));
      return;
    }
    if (!live()) return;
    const total = counts.reduce((a, b) => a + b, 0);
    /** @type {Array<[number, number]>} */
    const bars = counts.map((c, i) => [r.sinceMs + i * bucket, c]);
    const svg = barChart({ bars, bucketMs: bucket, xDomain: [r.sinceMs, r.untilMs], yLabel: "episodes", height: 140, title: `Episodes started per ${bucketText(bucket)}` });
    svg.setAttribute("data-testid", "history-chart-svg");
    chartBox.replaceChildren(
      h("h3", {}, [`Episodes started per ${bucketText(bucket)} `, h("span", { class: "muted", "data-testid": "history-chart-total" }, [`(${total} in the range)`])]),
      svg,
      h("p", { class: "muted chart-note" }, [note]),
    );
  }

  void load();
  return () => {
    disposed = true;
  };
}
