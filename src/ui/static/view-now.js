// @ts-check
// Now: the firing alerts, grouped as the route tree groups them (GET /api/ops/v1/alerts/now), a page of
// 200 alert rows at a time. A matcher filter and "hide muted" live in the URL (#/now?filter=…&hideMuted=1&page=2).
// Each row has the operator actions (actions.js). Refreshes every 30 s unless a form is open.
import { ops } from "./api.js";
import { actionButtons, actionSlot, confirm, formOpen, splitMatchers } from "./actions.js";
import { age, errorBox, h, labelChips, routeQuery, setRouteQuery, time } from "./util.js";

const PAGE_SIZE = 200;
const REFRESH_MS = 30_000;

/**
 * @typedef {object} NowAlert
 * @property {string} fingerprint
 * @property {Record<string, string>} labels
 * @property {Record<string, string>} annotations
 * @property {string} startsAt
 * @property {string} endsAt
 * @property {string} [generatorURL]
 * @property {"active" | "suppressed"} state
 * @property {string[]} silencedBy
 * @property {string[]} inhibitedBy
 * @property {string} [priority]
 * @property {boolean} flapping
 * @property {{ actor: string, comment: string, at: string, expires?: string } | null} ack
 */

/**
 * @typedef {object} NowGroup
 * @property {string} receiver
 * @property {Record<string, string>} labels
 * @property {number} size
 * @property {boolean} storm
 * @property {NowAlert[]} alerts
 */

/** @typedef {{ totalAlerts: number, totalGroups: number, offset: number, groups: NowGroup[] }} NowPage */

/** @param {string | undefined} p */
function priorityBadge(p) {
  return p ? h("span", { class: `badge ${/^P[1-4]$/.test(p) ? p : ""}`, "data-testid": "priority", title: "priority" }, [p]) : h("span", { class: "badge", "data-testid": "priority", title: "no priority label" }, ["—"]);
}

/**
 * @param {HTMLElement} root
 * @param {string[]} _params
 */
export function render(root, _params) {
  const q = routeQuery();
  const state = {
    filter: q.filter ?? "",
    hideMuted: q.hideMuted === "1",
    page: Math.max(1, Number.parseInt(q.page ?? "1", 10) || 1),
  };
  let seq = 0;
  let busy = false;
  let stopped = false;

  const input = /** @type {HTMLInputElement} */ (h("input", {
    type: "search", id: "now-filter", "data-testid": "now-filter", spellcheck: "false", autocomplete: "off", value: state.filter,
    placeholder: '{alertname="DiskFull", instance=~"db.*"}', "aria-label": "Filter: Alertmanager matchers",
  }));
  const hideMuted = /** @type {HTMLInputElement} */ (h("input", { type: "checkbox", id: "now-hide-muted", "data-testid": "now-hide-muted", checked: state.hideMuted }));
  const form = h("form", { class: "row now-filter", "data-testid": "now-filter-form", role: "search" }, [
    input,
    h("label", { class: "now-toggle" }, [hideMuted, " hide muted"]),
    h("button", { type: "submit", "data-testid": "now-apply" }, ["Filter"]),
  ]);
  const filterError = h("div", { "data-testid": "now-filter-error" });
  const status = h("div", { class: "now-status", "data-testid": "now-status" });
  const summary = h("div", { class: "now-summary muted", "data-testid": "now-summary" });
  const pagerTop = h("div", { class: "pager", "data-testid": "now-pager" });
  const pagerBottom = h("div", { class: "pager", "data-testid": "now-pager-bottom" });
  const list = h("div", { class: "now-groups", "data-testid": "now-groups" });
  root.replaceChildren(h("section", { class: "now", "data-testid": "view-now" }, [form, filterError, status, summary, pagerTop, list, pagerBottom]));

  const keepInUrl = () => setRouteQuery({ filter: state.filter, hideMuted: state.hideMuted ? "1" : "", page: state.page > 1 ? String(state.page) : "" });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    state.filter = input.value.trim();
    state.page = 1;
    keepInUrl();
    void load();
  });
  hideMuted.addEventListener("change", () => {
    state.hideMuted = hideMuted.checked;
    state.page = 1;
    keepInUrl();
    void load();
  });

  /** @param {string} message */
  const afterAction = async (message) => {
    // The line appears once the list shows the result (tests can wait for it, then use the new rows).
    await load();
    confirm(status, message);
  };

  /** @param {NowAlert} a */
  function alertRow(a) {
    const muted = a.silencedBy.length > 0 || a.inhibitedBy.length > 0;
    const summaryText = a.annotations.summary ?? a.annotations.description ?? "";
    const slot = actionSlot();
    const since = time(a.startsAt);
    since.textContent = `firing for ${age(a.startsAt)}`;
    since.title = `since ${new Date(a.startsAt).toLocaleString()} — ${since.title}`;
    since.classList.add("now-age");
    const badges = [
      a.ack && h("span", { class: "badge acked", "data-testid": "badge-acked", title: `${a.ack.comment}${a.ack.expires ? ` (until ${new Date(a.ack.expires).toLocaleString()})` : ""}` }, [`acked by ${a.ack.actor}`]),
      a.flapping && h("span", { class: "badge flapping", "data-testid": "badge-flapping" }, ["flapping"]),
      a.silencedBy.length > 0 && h("span", { class: "badge silenced", "data-testid": "badge-silenced", title: `silence ${a.silencedBy.join(", ")}` }, ["silenced"]),
      a.inhibitedBy.length > 0 && h("span", { class: "badge inhibited", "data-testid": "badge-inhibited", title: `inhibited by ${a.inhibitedBy.join(", ")}` }, ["inhibited"]),
    ];
    return h("div", {
      class: `alert-row${muted ? " muted-alert" : ""}`, "data-testid": "alert-row", "data-fingerprint": a.fingerprint,
      "data-state": a.state, "data-acked": a.ack ? "true" : "false", "data-priority": a.priority ?? "",
    }, [
      priorityBadge(a.priority),
      h("div", { class: "now-main" }, [
        h("div", { class: "now-title" }, [
          h("a", { href: `#/alert/${encodeURIComponent(a.fingerprint)}`, class: "now-name", "data-testid": "alert-link" }, [a.labels.alertname ?? "(no alertname)"]),
          summaryText !== "" && h("span", { class: "now-summarytext" }, [summaryText]),
        ]),
        h("div", { class: "now-meta" }, [labelChips(a.labels, ["alertname", "priority"]), ...badges]),
      ]),
      h("div", { class: "now-side" }, [since, actionButtons({ fingerprint: a.fingerprint, labels: a.labels, acked: a.ack !== null }, { slot, onDone: afterAction })]),
      slot,
    ]);
  }

  /** @param {NowGroup} g */
  function groupBox(g) {
    const shown = g.alerts.length < g.size ? ` (${g.alerts.length} on this page)` : "";
    return h("section", { class: "panel group", "data-testid": "now-group", "data-receiver": g.receiver }, [
      h("header", {}, [
        h("strong", { class: "now-receiver", "data-testid": "group-receiver" }, [g.receiver]),
        labelChips(g.labels),
        h("span", { class: "muted", "data-testid": "group-size" }, [`${g.size} alert${g.size === 1 ? "" : "s"}${shown}`]),
        g.storm && h("span", { class: "badge storm", "data-testid": "badge-storm", title: "the receiver is in a storm: notifications are held for a summary" }, ["storm"]),
      ]),
      ...g.alerts.map(alertRow),
    ]);
  }

  /** @param {HTMLElement} box @param {NowPage} page */
  function pager(box, page) {
    const from = page.totalAlerts === 0 ? 0 : page.offset + 1;
    const to = Math.min(page.offset + PAGE_SIZE, page.totalAlerts);
    const pages = Math.max(1, Math.ceil(page.totalAlerts / PAGE_SIZE));
    const go = (/** @type {number} */ p) => {
      state.page = p;
      keepInUrl();
      void load().then(() => window.scrollTo({ top: 0 }));
    };
    box.replaceChildren(
      h("span", { class: "muted", "data-testid": "now-range" }, [`showing ${from}–${to} of ${page.totalAlerts}`]),
      h("button", { type: "button", class: "quiet", "data-testid": "now-prev", disabled: state.page <= 1, onclick: () => go(state.page - 1) }, ["‹ Prev"]),
      h("span", { class: "muted" }, [`page ${state.page} of ${pages}`]),
      h("button", { type: "button", class: "quiet", "data-testid": "now-next", disabled: state.page >= pages, onclick: () => go(state.page + 1) }, ["Next ›"]),
    );
  }

  async function load() {
    const mine = ++seq;
    busy = true;
    const filters = splitMatchers(state.filter);
    const params = new URLSearchParams();
    for (const f of filters) params.append("filter", f);
    if (state.hideMuted) params.set("muted", "false");
    params.set("limit", String(PAGE_SIZE));
    params.set("offset", String((state.page - 1) * PAGE_SIZE));
    list.setAttribute("aria-busy", "true");
    try {
      /** @type {NowPage} */
      const page = await ops(`/alerts/now?${params.toString()}`);
      if (mine !== seq || stopped) return;
      // Alerts resolved since the last look can leave the page past the end: go to the last page.
      if (page.groups.length === 0 && page.totalAlerts > 0 && state.page > 1) {
        state.page = Math.ceil(page.totalAlerts / PAGE_SIZE);
        keepInUrl();
        busy = false;
        await load();
        return;
      }
      filterError.replaceChildren();
      summary.replaceChildren(`${page.totalAlerts} firing alert row${page.totalAlerts === 1 ? "" : "s"} in ${page.totalGroups} group${page.totalGroups === 1 ? "" : "s"}`, h("span", {}, [" · updated "]), time(Date.now()));
      pager(pagerTop, page);
      pager(pagerBottom, page);
      pagerBottom.hidden = page.totalAlerts <= PAGE_SIZE;
      list.replaceChildren(...(page.groups.length > 0 ? page.groups.map(groupBox)
        : [h("p", { class: "muted", "data-testid": "now-empty" }, [state.filter !== "" || state.hideMuted ? "No firing alerts match." : "No firing alerts. 🎉"])]));
    } catch (err) {
      if (mine !== seq || stopped) return;
      const e = /** @type {{ status?: number }} */ (err);
      if (e.status === 400) filterError.replaceChildren(errorBox(err));
      else list.replaceChildren(errorBox(err));
      if (e.status === 400) {
        list.replaceChildren();
        pagerTop.replaceChildren();
        pagerBottom.replaceChildren();
        summary.replaceChildren();
      }
    } finally {
      if (mine === seq) {
        busy = false;
        list.removeAttribute("aria-busy");
      }
    }
  }

  const timer = setInterval(() => {
    if (busy || document.hidden || formOpen(root)) return;
    void load();
  }, REFRESH_MS);

  void load();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
