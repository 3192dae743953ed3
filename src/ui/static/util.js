// @ts-check
// Small helpers shared by the views: building DOM safely, times in the viewer's zone (UTC on hover),
// durations, and matcher filters kept in the URL.

/**
 * Creates an element. Children are nodes or text (never parsed as HTML).
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined | ((e: Event) => void)>} [attrs]
 * @param {Array<Node | string | number | null | undefined | false>} [children]
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return el;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });

/**
 * A <time> in the viewer's time zone, with the UTC time as its title (hover).
 * @param {string | number | undefined | null} at RFC 3339 or ms
 */
export function time(at) {
  if (at === undefined || at === null || at === "") return h("span", { class: "muted" }, ["—"]);
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return h("span", {}, [String(at)]);
  return h("time", { datetime: d.toISOString(), title: `${d.toISOString().replace(".000Z", "Z")} (UTC)` }, [timeFormat.format(d)]);
}

/** @param {number} ms */
export function duration(ms) {
  if (!Number.isFinite(ms)) return "—";
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${hh}h`;
  if (hh > 0) return `${hh}h ${m}m`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}

/** @param {string | undefined} since */
export function age(since) {
  return since ? duration(Date.now() - new Date(since).getTime()) : "—";
}

/** @param {Record<string, string>} labels @param {string[]} [skip] */
export function labelChips(labels, skip = []) {
  return h("span", { class: "labels" }, Object.keys(labels).sort().filter((k) => !skip.includes(k)).map((k) => h("span", { class: "label" }, [`${k}=${labels[k]}`])));
}

/** A message in the view: loading, empty, or an error with what to do. @param {unknown} err */
export function errorBox(err) {
  const e = /** @type {{ status?: number, message?: string }} */ (err);
  const hint = e.status === 401 ? " — set a token (Token, top right)" : e.status === 403 ? " — your token's role does not allow this" : "";
  return h("p", { class: "error", role: "alert" }, [`${e.message ?? String(err)}${hint}`]);
}

/** The hash route's query as an object. */
export function routeQuery() {
  const q = window.location.hash.split("?")[1] ?? "";
  return Object.fromEntries(new URLSearchParams(q));
}

/** Replaces the hash route's query without adding a history entry. @param {Record<string, string>} query */
export function setRouteQuery(query) {
  const path = window.location.hash.split("?")[0] || "#/now";
  const p = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== ""));
  const s = p.toString();
  history.replaceState(null, "", s === "" ? path : `${path}?${s}`);
}
