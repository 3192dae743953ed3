// @ts-check
// A tiny SVG time-series chart (no library): lines with an optional shaded band, shaded periods and a
// threshold line, or bars per time bucket. Responsive (viewBox, width 100%), axes with local-time and
// value ticks, and a <title> on every point and bar with its local and UTC time and value.

const NS = "http://www.w3.org/2000/svg";

/**
 * @typedef {[number, number | null]} Point  [time ms, value] (null: a gap)
 * @typedef {{ points: Point[], className?: string, label?: string }} Series
 * @typedef {[number, number | null, number | null]} BandPoint  [time ms, low, high]
 * @typedef {[number, number, string?]} Mark  [from ms, to ms, title]
 * @typedef {(v: number) => string} Format
 *
 * @typedef {object} LineChartOptions
 * @property {Series[]} series
 * @property {BandPoint[]} [band] an expected range, shaded
 * @property {Mark[]} [marks] shaded periods (storms, …)
 * @property {number} [threshold] a dashed horizontal line
 * @property {string} [yLabel] what the values are (axis caption and tooltips)
 * @property {number} [height] in px (default 160)
 * @property {number} [width] the drawing width hint in px (default: about the window's width)
 * @property {[number, number]} [xDomain] the time range shown (default: the data's)
 * @property {boolean} [includeZero] keep 0 on the value axis
 * @property {[number, number]} [yDomain] a fixed value range (widened to fit the data)
 * @property {Format} [yFormat] value → text (ticks and tooltips)
 * @property {string} [title] the chart's accessible name
 *
 * @typedef {object} BarChartOptions
 * @property {Array<[number, number]>} bars [bucket start ms, value]
 * @property {number} bucketMs
 * @property {Mark[]} [marks]
 * @property {string} [yLabel]
 * @property {number} [height]
 * @property {number} [width]
 * @property {[number, number]} [xDomain]
 * @property {Format} [yFormat]
 * @property {string} [className] extra class of the bars
 * @property {string} [title]
 */

const M = { top: 18, right: 10, bottom: 22, left: 46 };
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const TIME_STEPS = [MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 3 * DAY, 7 * DAY, 14 * DAY, 30 * DAY];

const hhmm = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const fullFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
const numFmt = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 4 });
const compactFmt = new Intl.NumberFormat(undefined, { notation: "compact", maximumSignificantDigits: 3 });

/** @param {number} v */
export function formatNumber(v) {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 10_000 ? compactFmt.format(v) : numFmt.format(v);
}

/** "local time (UTC time)" for tooltips. @param {number} ms */
export function tooltipTime(ms) {
  const d = new Date(ms);
  return `${fullFmt.format(d)} — ${d.toISOString().replace(/\.\d{3}Z$/, "Z")} UTC`;
}

/**
 * @param {string} tag
 * @param {Record<string, string | number | undefined>} [attrs]
 * @param {Array<Element | string | null | undefined>} [children]
 * @returns {SVGElement}
 */
function s(tag, attrs = {}, children = []) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) {
    if (c === null || c === undefined) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return el;
}

/** @param {number} x */
const r1 = (x) => Math.round(x * 10) / 10;

/** A "nice" step (1, 2, 2.5, 5 × 10^k) giving about `n` ticks over `span`. @param {number} span @param {number} n */
function niceStep(span, n) {
  const raw = span / Math.max(1, n);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** @param {number} lo @param {number} hi @param {number} n */
function valueTicks(lo, hi, n) {
  const step = niceStep(hi - lo, n);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Tick times at local-time-aligned steps. @param {number} from @param {number} to @param {number} maxTicks */
function timeTicks(from, to, maxTicks) {
  const span = to - from;
  const step = TIME_STEPS.find((st) => span / st <= maxTicks) ?? Math.ceil(span / maxTicks / DAY) * DAY;
  const offset = -new Date(from).getTimezoneOffset() * MIN; // align to local midnight/hours
  const out = [];
  for (let t = Math.ceil((from + offset) / step) * step - offset; t <= to; t += step) out.push(t);
  return { ticks: out, step };
}

/** @param {number} t @param {number} step */
function timeLabel(t, step) {
  const d = new Date(t);
  if (step >= DAY || (d.getHours() === 0 && d.getMinutes() === 0)) return dayFmt.format(d);
  return hhmm.format(d);
}

/** @param {number | undefined} w */
function drawingWidth(w) {
  const win = typeof window === "undefined" ? 1000 : window.innerWidth - 32;
  return Math.round(Math.max(280, Math.min(w ?? 1000, win, 1200)));
}

/**
 * The frame: an <svg> with axes and ticks, and scale functions.
 * @param {{ width: number, height: number, xDomain: [number, number], yDomain: [number, number], yLabel?: string, yFormat: Format, title?: string, extraClass?: string }} o
 */
function frame(o) {
  const { width: W, height: H } = o;
  const [x0, x1] = o.xDomain;
  const [y0, y1] = o.yDomain;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  /** @param {number} t */
  const x = (t) => M.left + ((t - x0) / (x1 - x0 || 1)) * pw;
  /** @param {number} v */
  const y = (v) => M.top + ph - ((v - y0) / (y1 - y0 || 1)) * ph;
  const svg = /** @type {SVGSVGElement} */ (s("svg", {
    viewBox: `0 0 ${W} ${H}`, class: `chart${o.extraClass ? ` ${o.extraClass}` : ""}`, role: "img", preserveAspectRatio: "xMidYMid meet",
    "aria-label": o.title ?? o.yLabel ?? "chart",
  }));
  if (o.title) svg.append(s("title", {}, [o.title]));
  const axes = s("g", { class: "axes" });
  axes.append(s("line", { class: "axis", x1: M.left, x2: M.left + pw, y1: M.top + ph, y2: M.top + ph }));
  axes.append(s("line", { class: "axis", x1: M.left, x2: M.left, y1: M.top, y2: M.top + ph }));
  for (const v of valueTicks(y0, y1, Math.max(2, Math.floor(ph / 30)))) {
    const yy = r1(y(v));
    axes.append(s("line", { class: "grid", x1: M.left, x2: M.left + pw, y1: yy, y2: yy }));
    axes.append(s("text", { x: M.left - 4, y: yy + 3, "text-anchor": "end" }, [o.yFormat(v)]));
  }
  const { ticks, step } = timeTicks(x0, x1, Math.max(3, Math.floor(pw / 75)));
  for (const t of ticks) {
    const xx = r1(x(t));
    axes.append(s("line", { class: "axis", x1: xx, x2: xx, y1: M.top + ph, y2: M.top + ph + 4 }));
    axes.append(s("text", { x: xx, y: H - 6, "text-anchor": "middle" }, [timeLabel(t, step)]));
  }
  if (o.yLabel) axes.append(s("text", { class: "ylabel", x: M.left, y: 11 }, [o.yLabel]));
  svg.append(axes);
  return { svg, x, y, pw, ph, x0, x1, y0, y1 };
}

/** @param {ReturnType<typeof frame>} f @param {Mark[] | undefined} marks */
function drawMarks(f, marks) {
  for (const [from, to, label] of marks ?? []) {
    const a = Math.max(f.x0, from);
    const b = Math.min(f.x1, to);
    if (b < a) continue;
    const xa = f.x(a);
    const w = Math.max(2, f.x(b) - xa);
    const text = `${label ? `${label}\n` : ""}${tooltipTime(from)}\n→ ${tooltipTime(to)}`;
    f.svg.append(s("rect", { class: "mark", x: r1(xa), y: M.top, width: r1(w), height: f.ph }, [s("title", {}, [text])]));
  }
}

/** @param {number} lo @param {number} hi @param {boolean} [zero] @returns {[number, number]} */
function padDomain(lo, hi, zero) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (zero) {
    lo = Math.min(0, lo);
    hi = Math.max(0, hi);
  }
  if (hi === lo) {
    const d = Math.abs(hi) * 0.1 || 1;
    return [zero && lo === 0 ? 0 : lo - d, hi + d];
  }
  const pad = (hi - lo) * 0.06;
  return [zero && lo === 0 ? 0 : lo - pad, zero && hi === 0 ? 0 : hi + pad];
}

/**
 * A line chart of one or more series over time.
 * @param {LineChartOptions} o
 * @returns {SVGSVGElement}
 */
export function lineChart(o) {
  return responsive(drawLine, o);
}

/**
 * Draws with the width hint, then redraws at the width the chart actually gets on the page (and when it
 * changes by more than a tenth), so text stays at its size in narrow columns and on phones.
 * @template {{ width?: number }} O
 * @param {(o: O) => SVGSVGElement} draw @param {O} o
 * @returns {SVGSVGElement}
 */
function responsive(draw, o) {
  const svg = draw(o);
  if (typeof window === "undefined" || !window.ResizeObserver) return svg;
  let drawn = Number(svg.viewBox.baseVal?.width) || drawingWidth(o.width);
  let seen = false;
  const ro = new window.ResizeObserver((entries) => {
    const w = Math.round(entries[0]?.contentRect.width ?? 0);
    if (!svg.isConnected || w === 0) {
      if (seen) ro.disconnect();
      return;
    }
    seen = true;
    const want = drawingWidth(w);
    if (Math.abs(want - drawn) / drawn <= 0.1) return;
    const fresh = draw({ ...o, width: want });
    drawn = want;
    svg.setAttribute("viewBox", fresh.getAttribute("viewBox") ?? "");
    svg.replaceChildren(...fresh.childNodes);
  });
  ro.observe(svg);
  return svg;
}

/** @param {LineChartOptions} o */
function drawLine(o) {
  const width = drawingWidth(o.width);
  const height = o.height ?? 160;
  const fmt = o.yFormat ?? formatNumber;
  let tMin = Infinity;
  let tMax = -Infinity;
  let vMin = Infinity;
  let vMax = -Infinity;
  /** @param {number} t @param {number | null} v */
  const see = (t, v) => {
    if (!Number.isFinite(t)) return;
    tMin = Math.min(tMin, t);
    tMax = Math.max(tMax, t);
    if (v !== null && Number.isFinite(v)) {
      vMin = Math.min(vMin, v);
      vMax = Math.max(vMax, v);
    }
  };
  for (const se of o.series) for (const [t, v] of se.points) see(t, v);
  for (const [t, lo, hi] of o.band ?? []) {
    see(t, lo);
    see(t, hi);
  }
  if (o.threshold !== undefined && Number.isFinite(o.threshold)) {
    vMin = Math.min(vMin, o.threshold);
    vMax = Math.max(vMax, o.threshold);
  }
  /** @type {[number, number]} */
  const xDomain = o.xDomain ?? (Number.isFinite(tMin) ? (tMin === tMax ? [tMin - HOUR / 2, tMax + HOUR / 2] : [tMin, tMax]) : [Date.now() - HOUR, Date.now()]);
  /** @type {[number, number]} */
  const yDomain = o.yDomain ? [Math.min(o.yDomain[0], vMin), Math.max(o.yDomain[1], vMax)] : padDomain(vMin, vMax, o.includeZero);
  const f = frame({ width, height, xDomain, yDomain, yLabel: o.yLabel, yFormat: fmt, title: o.title });
  drawMarks(f, o.marks);

  // The band: one polygon per run of points with both bounds.
  if (o.band && o.band.length > 0) {
    /** @type {BandPoint[][]} */
    const runs = [[]];
    for (const p of o.band) {
      if (p[1] === null || p[2] === null || !Number.isFinite(p[1]) || !Number.isFinite(p[2])) {
        if (runs[runs.length - 1]?.length) runs.push([]);
      } else runs[runs.length - 1]?.push(p);
    }
    for (const run of runs) {
      if (run.length === 0) continue;
      const top = run.map(([t, , hi]) => `${r1(f.x(t))},${r1(f.y(/** @type {number} */ (hi)))}`);
      const bottom = run.slice().reverse().map(([t, lo]) => `${r1(f.x(t))},${r1(f.y(/** @type {number} */ (lo)))}`);
      if (run.length === 1) {
        const [t, lo, hi] = run[0] ?? [0, 0, 0];
        f.svg.append(s("line", { class: "band-tick", x1: r1(f.x(t)), x2: r1(f.x(t)), y1: r1(f.y(/** @type {number} */ (lo))), y2: r1(f.y(/** @type {number} */ (hi))) }));
      } else f.svg.append(s("polygon", { class: "band", points: [...top, ...bottom].join(" ") }));
    }
  }

  if (o.threshold !== undefined && Number.isFinite(o.threshold)) {
    const yy = r1(f.y(o.threshold));
    f.svg.append(s("line", { class: "threshold", x1: M.left, x2: M.left + f.pw, y1: yy, y2: yy }, [s("title", {}, [`threshold ${fmt(o.threshold)}`])]));
  }

  for (const se of o.series) {
    const cls = se.className ?? "line";
    let d = "";
    let pen = false;
    const defined = se.points.filter(([, v]) => v !== null && Number.isFinite(v));
    for (const [t, v] of se.points) {
      if (v === null || !Number.isFinite(v) || t < f.x0 - 1 || t > f.x1 + 1) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${r1(f.x(t))},${r1(f.y(v))}`;
      pen = true;
    }
    const g = s("g", { class: `series ${cls.split(/\s+/).map((c) => `s-${c}`).join(" ")}` });
    if (d !== "") g.append(s("path", { class: cls, d }));
    // Dots (visible when few) that carry the tooltips.
    const few = defined.length <= 60;
    for (const [t, v] of defined) {
      if (v === null || t < f.x0 - 1 || t > f.x1 + 1) continue;
      const label = `${tooltipTime(t)}\n${se.label ?? o.yLabel ?? "value"}: ${fmt(v)}`;
      g.append(s("circle", { class: few ? "point" : "point hit", cx: r1(f.x(t)), cy: r1(f.y(v)), r: few ? 2.5 : 3 }, [s("title", {}, [label])]));
    }
    f.svg.append(g);
  }
  if (!o.series.some((se) => se.points.some(([, v]) => v !== null && Number.isFinite(v)))) {
    f.svg.append(s("text", { class: "empty", x: M.left + f.pw / 2, y: M.top + f.ph / 2, "text-anchor": "middle" }, ["no data"]));
  }
  if (o.series.length > 1 && o.series.some((se) => se.label)) legend(f, o.series);
  return f.svg;
}

/** @param {ReturnType<typeof frame>} f @param {Series[]} series */
function legend(f, series) {
  const g = s("g", { class: "legend" });
  let xx = M.left + f.pw;
  for (const se of [...series].reverse()) {
    if (!se.label) continue;
    const w = se.label.length * 6 + 22;
    xx -= w;
    g.append(s("line", { class: se.className ?? "line", x1: xx, x2: xx + 14, y1: 8, y2: 8 }));
    g.append(s("text", { x: xx + 17, y: 11 }, [se.label]));
  }
  f.svg.append(g);
}

/**
 * A bar chart of values per time bucket.
 * @param {BarChartOptions} o
 * @returns {SVGSVGElement}
 */
export function barChart(o) {
  return responsive(drawBars, o);
}

/** @param {BarChartOptions} o */
function drawBars(o) {
  const width = drawingWidth(o.width);
  const height = o.height ?? 140;
  const fmt = o.yFormat ?? formatNumber;
  const bars = o.bars.filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v));
  const ts = bars.map(([t]) => t);
  /** @type {[number, number]} */
  const xDomain = o.xDomain ?? (ts.length > 0 ? [Math.min(...ts), Math.max(...ts) + o.bucketMs] : [Date.now() - DAY, Date.now()]);
  const vMax = bars.reduce((m, [, v]) => Math.max(m, v), 0);
  // Whole counts: no 0.5 ticks on a small axis.
  const yDomain = /** @type {[number, number]} */ ([0, vMax <= 0 ? 1 : vMax < 4 ? Math.ceil(vMax) : vMax * 1.06]);
  const f = frame({ width, height, xDomain, yDomain, yLabel: o.yLabel, yFormat: fmt, title: o.title });
  drawMarks(f, o.marks);
  const g = s("g", { class: "bars" });
  const bw = Math.max(1, (o.bucketMs / (f.x1 - f.x0 || 1)) * f.pw);
  const gap = bw > 4 ? 1 : 0;
  for (const [t, v] of bars) {
    if (t + o.bucketMs <= f.x0 || t >= f.x1) continue;
    const x0 = Math.max(f.x(t), M.left);
    const x1 = Math.min(f.x(t) + bw, M.left + f.pw);
    const top = f.y(v);
    const label = `${tooltipTime(t)} (${bucketText(o.bucketMs)})\n${o.yLabel ?? "value"}: ${fmt(v)}`;
    // A zero bar is an invisible hit area so its tooltip still says 0.
    g.append(s("rect", {
      class: `bar${v === 0 ? " zero" : ""}${o.className ? ` ${o.className}` : ""}`,
      x: r1(x0), y: r1(v === 0 ? M.top : top), width: r1(Math.max(0.5, x1 - x0 - gap)), height: r1(v === 0 ? f.ph : M.top + f.ph - top),
      "data-t": t, "data-v": v,
    }, [s("title", {}, [label])]));
  }
  f.svg.append(g);
  return f.svg;
}

/** @param {number} ms */
function bucketText(ms) {
  if (ms % DAY === 0) return `${ms / DAY}d`;
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  if (ms % MIN === 0) return `${ms / MIN}m`;
  return `${ms / 1000}s`;
}

export { bucketText };
