// @ts-check
// Anomalies: every anomaly rule and prediction (GET /anomaly/rules?recent=240) with its health and last
// error, and each series' state, score or predicted crossing; with the series' recent samples, charts of
// the value (expected band shaded) and the score against the threshold, or of the value against the
// threshold with the predicted trend. Refreshes every 30 s.
import { ApiError, ops } from "./api.js";
import { formatNumber, lineChart } from "./chart.js";
import { age, duration, errorBox, h, labelChips, time } from "./util.js";

const RECENT = 240;
const REFRESH_MS = 30_000;
/** Series shown per rule before "show all". */
const SHOWN = 12;
const STATE_ORDER = { firing: 0, pending: 1, inactive: 2 };

/**
 * @typedef {{ labels: Record<string, string>, state: "inactive" | "pending" | "firing", activeAt?: string, firedAt?: string,
 *   lastSample?: string, value?: number | null, score?: number | null, expected?: { low: number, high: number },
 *   outcome?: string, eta?: string, timeToThresholdSeconds?: number, note?: string, recent?: Array<Array<number | null>> }} Series
 * @typedef {{ name: string, kind: "anomaly" | "prediction", query: string, stepSeconds: number, detector?: string, threshold: number,
 *   forSeconds?: number, horizonSeconds?: number, health: string, lastError?: string, lastErrorAt?: string, lastEvaluation?: string,
 *   evaluatedUntil?: string, lastDurationSeconds?: number, overflowSeries: number, series: Series[] }} Rule
 */

/** @param {number | null | undefined} v */
const fmt = (v) => (v === null || v === undefined ? "—" : formatNumber(v));

/** @param {string} label @param {Node | string} value @param {string} [testid] */
function fact(label, value, testid) {
  return h("span", { "data-testid": testid }, [h("span", { class: "muted" }, [`${label} `]), value]);
}

/** @param {Rule} rule @param {Series} s */
function seriesBlock(rule, s) {
  const recent = Array.isArray(s.recent) ? s.recent : undefined;
  const isAnomaly = rule.kind === "anomaly";
  const labels = Object.keys(s.labels ?? {}).length === 0 ? h("span", { class: "muted" }, ["(no labels)"]) : labelChips(s.labels);
  /** @type {Array<Node | null>} */
  const facts = [h("span", { class: `badge ${s.state}`, "data-testid": "anomaly-series-state" }, [s.state])];
  if (isAnomaly) {
    const over = s.score !== null && s.score !== undefined && s.score >= rule.threshold;
    facts.push(
      fact("score", h("span", { class: over ? "error" : "" }, [`${fmt(s.score)} / ${fmt(rule.threshold)}`]), "anomaly-series-score"),
      fact("value", fmt(s.value), "anomaly-series-value"),
      fact("expected", s.expected ? `${fmt(s.expected.low)} – ${fmt(s.expected.high)}` : "— (warming up)", "anomaly-series-expected"),
    );
  } else {
    facts.push(
      fact("value", fmt(s.value), "anomaly-series-value"),
      fact("threshold", fmt(rule.threshold)),
      s.outcome ? h("span", { class: `badge ${s.outcome}`, "data-testid": "anomaly-series-outcome" }, [s.outcome]) : null,
      s.eta ? fact("crosses", time(s.eta), "anomaly-series-eta") : null,
      s.timeToThresholdSeconds !== undefined ? fact("in", duration(s.timeToThresholdSeconds * 1000), "anomaly-series-ttt") : null,
    );
  }
  if (s.activeAt) facts.push(fact(s.state === "firing" ? "active since" : "pending since", time(s.activeAt)));
  if (s.lastSample) facts.push(fact("last sample", time(s.lastSample)));

  /** @type {Array<Node | null>} */
  const charts = [];
  if (recent && recent.length > 0) {
    /** @type {Array<[number, number | null]>} */
    const values = recent.map((p) => [Number(p[0]), p[1] ?? null]);
    if (isAnomaly) {
      /** @type {Array<[number, number | null, number | null]>} */
      const band = recent.map((p) => [Number(p[0]), p[3] ?? null, p[4] ?? null]);
      const v = lineChart({ series: [{ points: values, label: "value" }], band, yLabel: "value", height: 130, width: 520, title: `${rule.name}: value and expected range` });
      v.setAttribute("data-testid", "anomaly-value-chart");
      /** @type {Array<[number, number | null]>} */
      const scores = recent.map((p) => [Number(p[0]), p[2] ?? null]);
      const sc = lineChart({
        series: [{ points: scores, className: "line score", label: "score" }], threshold: rule.threshold, yDomain: [0, 1], yLabel: "score", height: 80, width: 520,
        title: `${rule.name}: anomaly score and threshold`,
      });
      sc.setAttribute("data-testid", "anomaly-score-chart");
      charts.push(v, sc);
    } else {
      /** @type {Array<{ points: Array<[number, number | null]>, className?: string, label?: string }>} */
      const series = [{ points: values, label: "value" }];
      const defined = values.filter(([, x]) => x !== null);
      const last = defined[defined.length - 1];
      const first = defined[0];
      const eta = s.eta ? Date.parse(s.eta) : NaN;
      // The predicted trend to the crossing, when it is near enough to share the chart.
      if (last && first && Number.isFinite(eta) && eta > last[0] && eta - last[0] <= 2 * Math.max(last[0] - first[0], 1)) {
        series.push({ points: [[last[0], last[1]], [eta, rule.threshold]], className: "line projection", label: "trend" });
      }
      const v = lineChart({ series, threshold: rule.threshold, yLabel: "value", height: 130, width: 520, title: `${rule.name}: recent values and threshold` });
      v.setAttribute("data-testid", "anomaly-prediction-chart");
      charts.push(v);
    }
  } else if (recent) charts.push(h("p", { class: "muted chart-note" }, ["No samples yet."]));

  return h("div", { class: `series ${s.state}`, "data-testid": "anomaly-series", "data-state": s.state }, [
    h("div", {}, [labels]),
    h("div", { class: "facts" }, facts),
    !isAnomaly && s.note ? h("p", { class: "muted note", "data-testid": "anomaly-series-note" }, [s.note]) : null,
    ...charts,
  ]);
}

/** @param {Rule} rule @param {Set<string>} expanded @param {() => void} rerender */
function ruleBlock(rule, expanded, rerender) {
  const isAnomaly = rule.kind === "anomaly";
  const series = [...(rule.series ?? [])].sort((a, b) => (STATE_ORDER[a.state] ?? 3) - (STATE_ORDER[b.state] ?? 3)
    || (isAnomaly ? (b.score ?? 0) - (a.score ?? 0) : (a.timeToThresholdSeconds ?? Infinity) - (b.timeToThresholdSeconds ?? Infinity)));
  const all = expanded.has(rule.name);
  const shown = all ? series : series.slice(0, SHOWN);
  const firing = series.filter((s) => s.state === "firing").length;
  const pending = series.filter((s) => s.state === "pending").length;
  /** @type {Array<Node | null>} */
  const facts = [
    fact("threshold", fmt(rule.threshold)),
    fact("step", duration(rule.stepSeconds * 1000)),
    rule.forSeconds ? fact("for", duration(rule.forSeconds * 1000)) : null,
    rule.horizonSeconds ? fact("horizon", duration(rule.horizonSeconds * 1000)) : null,
    fact("last evaluation", rule.lastEvaluation ? h("span", {}, [time(rule.lastEvaluation), ` (${age(rule.lastEvaluation)} ago)`]) : "never", "anomaly-rule-last-eval"),
    rule.lastDurationSeconds !== undefined ? fact("took", `${formatNumber(rule.lastDurationSeconds)} s`) : null,
    fact("series", `${series.length}${firing ? `, ${firing} firing` : ""}${pending ? `, ${pending} pending` : ""}`, "anomaly-rule-series-count"),
    rule.overflowSeries > 0 ? fact("not tracked (max_series)", h("span", { class: "error" }, [String(rule.overflowSeries)])) : null,
  ];
  return h("section", { class: "panel rule", "data-testid": "anomaly-rule", "data-rule": rule.name, "data-kind": rule.kind, "data-health": rule.health }, [
    h("header", {}, [
      h("h2", {}, [rule.name]),
      h("span", { class: "badge kind", "data-testid": "anomaly-rule-kind" }, [isAnomaly ? `anomaly${rule.detector ? ` · ${rule.detector}` : ""}` : "prediction"]),
      h("span", { class: `badge ${rule.health}`, "data-testid": "anomaly-rule-health" }, [rule.health]),
    ]),
    h("code", { class: "query", "data-testid": "anomaly-rule-query" }, [rule.query]),
    h("div", { class: "facts" }, facts),
    rule.lastError
      ? h("p", { class: "error", role: "alert", "data-testid": "anomaly-rule-error" }, [
        `Last evaluation failed: ${rule.lastError}`, rule.lastErrorAt ? h("span", { class: "muted" }, [" — ", time(rule.lastErrorAt)]) : null,
      ])
      : null,
    series.length === 0
      ? h("p", { class: "muted" }, [rule.health === "unknown" ? "Not evaluated yet." : "The query returned no series."])
      : h("div", { class: "series-grid" }, shown.map((s) => seriesBlock(rule, s))),
    series.length > SHOWN
      ? h("div", { class: "pager" }, [
        h("button", {
          type: "button", class: "quiet", "data-testid": "anomaly-rule-more",
          onclick: () => {
            if (all) expanded.delete(rule.name);
            else expanded.add(rule.name);
            rerender();
          },
        }, [all ? `Show the first ${SHOWN}` : `Show all ${series.length} series`]),
      ])
      : null,
  ]);
}

function howTo() {
  const example = [
    "prometheus:",
    "  url: http://prometheus:9090",
    "anomaly_rules:",
    "  - name: OrderRateAnomaly",
    "    query: sum by (venue) (rate(orders_total[5m]))",
    "    detector: fused        # zscore, seasonal, iforest or fused",
    "    threshold: 0.95        # score from 0 to 1",
    "    for: 3m",
    "    labels: { severity: warning }",
    "predictions:",
    "  - name: DiskWillFillIn24h",
    "    query: node_filesystem_avail_bytes",
    "    threshold: 0",
    "    horizon: 24h",
  ].join("\n");
  return h("section", { class: "panel howto", "data-testid": "anomaly-empty" }, [
    h("h2", {}, ["No anomaly rules or predictions configured"]),
    h("p", {}, [
      "AlertPrism can query Prometheus itself and alert on values that are unusual for a series (anomaly rules) or that are trending towards a threshold (predictions). ",
      "Add ", h("code", {}, ["anomaly_rules"]), " and/or ", h("code", {}, ["predictions"]), " with a ", h("code", {}, ["prometheus"]),
      " URL to alertprism.yml (the file given with --alertprism.config.file), then reload or restart:",
    ]),
    h("pre", {}, [example]),
    h("p", { class: "muted" }, ["Their alerts go through the same routes, silences and notifications as any other alert. See the README's “Anomaly rules and predictions”."]),
  ]);
}

/**
 * @param {HTMLElement} root
 * @returns {() => void}
 */
export function render(root) {
  let disposed = false;
  let busy = false;
  let withRecent = true;
  /** @type {Rule[] | undefined} */
  let rules;
  const expanded = new Set();
  const updated = h("span", { class: "muted", "data-testid": "anomaly-updated" });
  const refresh = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "quiet", "data-testid": "anomaly-refresh" }, ["Refresh"]));
  const list = h("div", { "data-testid": "anomaly-rules" }, [h("p", { class: "muted" }, ["Loading…"])]);
  const errorLine = h("div", { "data-testid": "anomaly-error" });
  root.replaceChildren(h("div", { class: "view-head" }, [h("h1", {}, ["Anomalies"]), h("div", { class: "row" }, [updated, refresh])]), errorLine, list);

  const draw = () => {
    if (!rules) return;
    if (rules.length === 0) list.replaceChildren(howTo());
    else list.replaceChildren(...rules.map((r) => ruleBlock(r, expanded, draw)));
  };

  async function load() {
    if (busy || disposed) return;
    busy = true;
    refresh.disabled = true;
    try {
      let res;
      try {
        res = await ops("/anomaly/rules", withRecent ? { recent: RECENT } : undefined);
      } catch (err) {
        // A server without ?recent=: show the rules without charts.
        if (!(err instanceof ApiError && err.status === 400 && withRecent)) throw err;
        withRecent = false;
        res = await ops("/anomaly/rules");
      }
      if (disposed) return;
      rules = /** @type {Rule[]} */ (res.rules ?? []);
      errorLine.replaceChildren();
      updated.replaceChildren("Updated ", time(Date.now()), " · every 30 s");
      draw();
    } catch (err) {
      if (disposed) return;
      // Keep the last good state on screen; say the refresh failed.
      errorLine.replaceChildren(errorBox(err));
      if (!rules) list.replaceChildren();
    } finally {
      busy = false;
      refresh.disabled = false;
    }
  }

  refresh.addEventListener("click", () => void load());
  const timer = setInterval(() => {
    if (!document.hidden) void load();
  }, REFRESH_MS);
  void load();
  return () => {
    disposed = true;
    clearInterval(timer);
  };
}
