/**
 * Event-loop stalls of this process, each with what overlapped it, for the fault bench. A 5 ms interval
 * timer notes how late it fires: firing L ms late means the loop was busy for those L ms. Overlapping
 * intervals come from two sources recorded beside it: the commit queue's group commits (how long each
 * flush ran, and within it the COMMIT statement, where SQLite fsyncs) and V8's garbage collections.
 * What is neither is JavaScript of the app itself (flushes, sends, HTTP parsing, error objects).
 *
 * On a shared machine a stall also holds time the main thread was ready to run but had no CPU: Linux's
 * per-thread schedstat (/proc/self/task/<pid>/schedstat: ns on a CPU, ns waiting in the run queue) splits
 * each stall into on-CPU, waiting for a CPU (the machine's load, not ours) and blocked (off the CPU and
 * not runnable: synchronous I/O such as fsync).
 */
import { readFileSync } from "node:fs";
import { PerformanceObserver, performance } from "node:perf_hooks";

const TICK_MS = 5;

export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface Stall extends Span {
  readonly ms: number;
  /** The main thread's time on a CPU, in a run queue waiting for one, and neither (blocked in a syscall). */
  readonly cpuMs: number;
  readonly runQueueMs: number;
  readonly blockedMs: number;
  /** Milliseconds of the stall spent in group commits, of those in COMMIT, and in GC; the rest is other JS. */
  readonly commitQueueMs: number;
  readonly commitMs: number;
  readonly gcMs: number;
}

export interface DurationSummary {
  readonly count: number;
  readonly totalMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface StallReport {
  readonly thresholdMs: number;
  /** How late the 5 ms tick fired, over the measured time: the event loop's delay, paused stretches left out. */
  readonly delay: { readonly maxMs: number; readonly p99Ms: number; readonly perSecondMaxMs: readonly number[] };
  /** Stalls of at least `thresholdMs`, the longest first. */
  readonly stalls: readonly Stall[];
  /** Summed over those stalls. */
  readonly causesMs: {
    readonly total: number; readonly commitQueue: number; readonly commit: number; readonly gc: number; readonly other: number;
    readonly cpu: number; readonly runQueue: number; readonly blocked: number;
  };
  /** The longest stall without its run-queue wait: what a machine with a free CPU would have seen, about. */
  readonly maxOwnMs: number;
  /** Stalls of at least `thresholdMs` without their run-queue wait. */
  readonly ownStalls: number;
  /** Over the whole measured period, not only stalls. */
  readonly commitQueueFlushes: DurationSummary;
  readonly commits: DurationSummary;
  readonly gcPauses: DurationSummary;
}

export class StallRecorder {
  private readonly stalls: Array<Span & { cpuMs: number; runQueueMs: number }> = [];
  readonly commitQueueSpans: Span[] = [];
  readonly commitSpans: Span[] = [];
  private readonly gcSpans: Span[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private startedAt = 0;
  /** Every tick's lateness, and the worst of each second since start(). */
  private readonly lateness: number[] = [];
  private readonly perSecondMax: number[] = [];
  /** Stretches between pause() and resume(): GC entries arrive late, and those of such a stretch are dropped. */
  private readonly paused: Span[] = [];
  private pausedAt: number | undefined;
  private readonly gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.gcSpans.push({ start: e.startTime, end: e.startTime + e.duration });
  });

  start(): void {
    this.startedAt = performance.now();
    this.gcObserver.observe({ entryTypes: ["gc"] });
    this.resume();
  }

  /** Stops counting, e.g. around the bench's own forced GC. */
  pause(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.pausedAt = performance.now();
  }

  resume(): void {
    this.last = performance.now();
    if (this.pausedAt !== undefined) this.paused.push({ start: this.pausedAt, end: this.last });
    this.pausedAt = undefined;
    let sched = schedstat();
    this.timer = setInterval(() => {
      const now = performance.now();
      const nowSched = schedstat();
      const late = Math.max(0, now - this.last - TICK_MS);
      this.last = now;
      this.lateness.push(late);
      const second = Math.floor((now - this.startedAt) / 1000);
      this.perSecondMax[second] = Math.max(this.perSecondMax[second] ?? 0, late);
      if (late >= 10) {
        // The deltas cover the whole interval since the last tick; the TICK_MS of it that was not late
        // is idle time, neither on a CPU nor waiting for one, so they belong to the stall.
        this.stalls.push({ start: now - late, end: now, cpuMs: nowSched.cpuMs - sched.cpuMs, runQueueMs: nowSched.runQueueMs - sched.runQueueMs });
      }
      sched = nowSched;
    }, TICK_MS);
  }

  /** Wraps a synchronous call, recording its span in `into` while the recorder runs. */
  timed<T>(into: Span[], fn: () => T): T {
    if (!this.timer) return fn();
    const start = performance.now();
    try {
      return fn();
    } finally {
      into.push({ start, end: performance.now() });
    }
  }

  stop(thresholdMs: number): StallReport {
    this.pause();
    for (const e of this.gcObserver.takeRecords()) this.gcSpans.push({ start: e.startTime, end: e.startTime + e.duration });
    this.gcObserver.disconnect();
    const gcSpans = this.gcSpans.filter((g) => g.start < (this.pausedAt ?? Infinity) && !this.paused.some((p) => g.start >= p.start && g.start < p.end));
    const stalls = this.stalls
      .filter((s) => s.end - s.start >= thresholdMs)
      .map((s): Stall => ({
        start: s.start, end: s.end, ms: round(s.end - s.start),
        cpuMs: round(s.cpuMs), runQueueMs: round(s.runQueueMs), blockedMs: round(Math.max(0, s.end - s.start - s.cpuMs - s.runQueueMs)),
        commitQueueMs: round(overlap(s, this.commitQueueSpans)),
        commitMs: round(overlap(s, this.commitSpans)),
        gcMs: round(overlap(s, gcSpans)),
      }))
      .sort((a, b) => b.ms - a.ms);
    const sum = (f: (s: Stall) => number) => round(stalls.reduce((n, s) => n + f(s), 0));
    const total = sum((s) => s.ms);
    const commitQueue = sum((s) => s.commitQueueMs);
    const gc = sum((s) => s.gcMs);
    const sortedLateness = [...this.lateness].sort((a, b) => a - b);
    const delay = {
      maxMs: round(sortedLateness.at(-1) ?? 0),
      p99Ms: round(sortedLateness[Math.floor(sortedLateness.length * 0.99)] ?? 0),
      perSecondMaxMs: Array.from(this.perSecondMax, (ms) => Math.round(ms ?? 0)),
    };
    return {
      thresholdMs, delay, stalls,
      // A GC inside a commit is in both figures, so "other" is a lower bound.
      causesMs: {
        total, commitQueue, commit: sum((s) => s.commitMs), gc, other: round(Math.max(0, total - commitQueue - gc)),
        cpu: sum((s) => s.cpuMs), runQueue: sum((s) => s.runQueueMs), blocked: sum((s) => s.blockedMs),
      },
      maxOwnMs: round(Math.max(0, ...stalls.map((s) => s.ms - s.runQueueMs))),
      ownStalls: stalls.filter((s) => s.ms - s.runQueueMs >= thresholdMs).length,
      commitQueueFlushes: summary(this.commitQueueSpans), commits: summary(this.commitSpans), gcPauses: summary(gcSpans),
    };
  }
}

/** The main thread's CPU and run-queue time so far (Linux); zeros elsewhere. */
function schedstat(): { cpuMs: number; runQueueMs: number } {
  try {
    const [cpu, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ").map(Number);
    return { cpuMs: (cpu ?? 0) / 1e6, runQueueMs: (wait ?? 0) / 1e6 };
  } catch {
    return { cpuMs: 0, runQueueMs: 0 };
  }
}

function overlap(s: Span, spans: readonly Span[]): number {
  let ms = 0;
  for (const x of spans) ms += Math.max(0, Math.min(s.end, x.end) - Math.max(s.start, x.start));
  return ms;
}

function summary(spans: readonly Span[]): DurationSummary {
  const d = spans.map((s) => s.end - s.start).sort((a, b) => a - b);
  const pct = (p: number) => round(d[Math.min(d.length - 1, Math.floor(d.length * p))] ?? 0);
  return { count: d.length, totalMs: round(d.reduce((a, b) => a + b, 0)), p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: round(d.at(-1) ?? 0) };
}

const round = (x: number) => Math.round(x * 10) / 10;
