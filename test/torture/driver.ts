// Crash torture: a real AlertPrism process under mixed load (alert batches, silences created and
// expired, acks, reloads, deliveries to a sink that fails a share of requests), killed with SIGKILL at
// random moments and restarted on the same SQLite file; after each restart the state is checked
// against independent bookkeeping, and at the end every notification against the final state.
import Database from "better-sqlite3";
import { startAlertPrism, sleep, type RunningServer } from "../e2e/harness.ts";
import { Book, type AlertEntry, type AlertState, type SilenceEntry } from "./book.ts";
import { startTortureSink, type SinkRequest, type TortureSink } from "./sink.ts";
import { checkDeliveries, findDuplicates, verifyState, type Duplicate, type KillRecord } from "./verify.ts";

type Server = RunningServer & { dbPath: string };

export interface TortureOptions {
  /** Stop after this many kills... */
  iterations: number;
  /** ...or once this much time has passed, whichever comes first. */
  budgetMs?: number;
  seed: number;
  /** Share of deliveries the sink fails with 500 while under load. */
  failShare?: number;
  log?: (line: string) => void;
}

export interface TortureReport {
  seed: number;
  iterations: number;
  kills: Record<string, number>;
  writes: Record<string, number>;
  /** Writes acknowledged with 2xx (each checked at every later restart). */
  acknowledgedWrites: number;
  /** Writes whose answer the kill cut off (their outcome was read back, either is fine). */
  unanswered: number;
  checks: number;
  losses: string[];
  phantoms: string[];
  deliveryProblems: string[];
  deliveries: number;
  failedRequests: number;
  duplicates: { inWindow: number; outsideWindow: number; details: Duplicate[] };
  integrity: { checked: number; notOk: string[] };
  slowStarts: number;
  durationMs: number;
  /** For a post-mortem of findings: every request the sink saw, and each kill's time, mode and outbox. */
  trace: { requests: SinkRequest[]; kills: Array<{ at: number; mode: string; outbox: string[] }>; alertWrites: AlertWrite[] };
}

const CONFIG = (sinkUrl: string) => `
route:
  receiver: sink
  group_by: [alertname, grp]
  group_wait: 300ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: sink
    webhook_configs:
      - url: ${sinkUrl}/hook
        send_resolved: true
`;

const HOUR_MS = 3_600_000;
const REQUEST_TIMEOUT_MS = 15_000;
const KILL_MODES = ["random", "after-ack", "reload", "replay", "burst"] as const;
type KillMode = (typeof KILL_MODES)[number];

/** Small seeded PRNG (mulberry32), so a failing run can be repeated with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Outcome = "ok" | "unanswered" | "refused";

/** One alert of an alert write, for the trace. */
export interface AlertWrite {
  at: number;
  fp: string;
  firing: boolean;
  startsAt: string;
  outcome: Outcome;
}

class Torture {
  readonly book = new Book();
  readonly random: () => number;
  readonly kills: KillRecord[] = [];
  readonly killCounts: Record<string, number> = Object.fromEntries(KILL_MODES.map((m) => [m, 0]));
  readonly writes: Record<string, number> = { alerts: 0, resolves: 0, silences: 0, expires: 0, acks: 0, unacks: 0, reloads: 0 };
  acknowledged = 0;
  unanswered = 0;
  checks = 0;
  readonly losses: string[] = [];
  readonly phantoms: string[] = [];
  integrityChecked = 0;
  /** Starts that printed nothing within 30 s (an overloaded machine) and were retried. */
  slowStarts = 0;
  readonly integrityNotOk: string[] = [];
  readonly alertWrites: AlertWrite[] = [];
  private seq = 0;
  /** Set by the load when the kill should follow the next acknowledged write. */
  private killAfterAcks: number | undefined;
  private server: Server | undefined;
  private killed = false;
  /** The kill under way (SIGKILL sent; waiting for the exit and reading the database). */
  private killing: Promise<void> | undefined;

  constructor(readonly opts: TortureOptions, readonly sink: TortureSink) {
    this.random = prng(opts.seed);
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[Math.floor(this.random() * items.length)];
  }

  async start(dbPath?: string): Promise<Server> {
    this.killed = false;
    this.killing = undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        this.server = await startAlertPrism({ configYaml: CONFIG(this.sink.url), ...(dbPath !== undefined ? { dbPath } : {}) });
        return this.server;
      } catch (err) {
        // On a crowded machine node + tsx may not even print its first line within the harness's 30 s;
        // that is starvation, not a start-up failure (which would have logged its error): try again.
        const silent = err instanceof Error && /did not become ready[\s\S]*--- alertprism logs ---\s*$/.test(err.message);
        if (!silent || attempt >= 3) throw err;
        this.slowStarts++;
      }
    }
  }

  /** SIGKILL now (synchronously sent), then read what the dead process left in its database. */
  kill(mode: KillMode): Promise<void> {
    const server = this.server;
    if (server === undefined) return Promise.resolve();
    if (this.killing !== undefined) return this.killing;
    this.killed = true;
    const at = Date.now();
    this.killing = server.kill9().then(() => {
      this.killCounts[mode] = (this.killCounts[mode] ?? 0) + 1;
      this.kills.push({ at, mode, ...this.postMortem(server.dbPath, `after kill ${this.kills.length + 1} (${mode})`) });
    });
    return this.killing;
  }

  /** Resolves when a kill has been sent, or after `ms`. */
  private async killedOr(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.killed && Date.now() < until) await sleep(10);
  }

  /** integrity_check, outbox and notification log of a database no process has open. */
  postMortem(dbPath: string, when: string): Omit<KillRecord, "at" | "mode"> {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      const result = (db.pragma("integrity_check") as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
      this.integrityChecked++;
      if (result.length !== 1 || result[0] !== "ok") this.integrityNotOk.push(`${when}: ${result.slice(0, 5).join("; ")}`);
      const outbox = (db.prepare("SELECT group_key FROM outbox").all() as Array<{ group_key: string }>).map((r) => r.group_key);
      const nflog = new Map((db.prepare("SELECT group_key, firing, resolved FROM nflog").all() as Array<{ group_key: string; firing: string; resolved: string }>)
        .map((r) => [r.group_key, { firing: JSON.stringify((JSON.parse(r.firing) as string[]).sort()), resolved: JSON.stringify((JSON.parse(r.resolved) as string[]).sort()) }]));
      return { outbox, nflog };
    } finally {
      db.close();
    }
  }

  async verify(server: Server, when: string): Promise<void> {
    const f = await verifyState(server.url, this.book);
    this.checks += f.checked;
    this.losses.push(...f.losses.map((l) => `${when}: ${l}`));
    this.phantoms.push(...f.phantoms.map((l) => `${when}: ${l}`));
    if (f.losses.length + f.phantoms.length > 0) this.log(`${when}: ${f.losses.length} losses, ${f.phantoms.length} phantoms: ${[...f.losses, ...f.phantoms].slice(0, 3).join(" | ")}`);
  }

  // -------------------------------------------------------------------------------------------
  // Writes. Each records its effect in the book only once answered 2xx; a cut-off one stays
  // "pending" (busy) until the next verification settles it.

  private async send(method: string, path: string, body?: unknown): Promise<{ outcome: Outcome; status: number; json: unknown }> {
    const server = this.server;
    if (server === undefined || this.killed) return { outcome: "refused", status: 0, json: undefined };
    try {
      const res = await fetch(`${server.url}${path}`, {
        method,
        ...(body !== undefined ? { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = text === "" ? undefined : JSON.parse(text);
      } catch {
        json = text;
      }
      if (res.status >= 200 && res.status < 300) return { outcome: "ok", status: res.status, json };
      if (res.status >= 500) return { outcome: "unanswered", status: res.status, json };
      throw new Error(`${method} ${path}: ${res.status} ${text}`);
    } catch (err) {
      if (err instanceof Error && /^(GET|POST|DELETE) /.test(err.message)) throw err;
      return { outcome: "unanswered", status: 0, json: undefined };
    }
  }

  /** After an acknowledged write: count it, and kill at once if this is the write the kill waits for. */
  private acked(): void {
    this.acknowledged++;
    if (this.killAfterAcks !== undefined && --this.killAfterAcks <= 0) {
      this.killAfterAcks = undefined;
      void this.kill("after-ack");
    }
  }

  private nextState(e: AlertEntry, now: number): AlertState {
    const tag = ++this.seq;
    const base = { labels: e.labels, annotations: { summary: `write ${tag}`, seq: String(tag) }, generatorURL: `http://torture.invalid/w/${tag}` };
    const c = e.confirmed;
    if (c?.firing) {
      if (this.random() < 0.3) {
        const startMs = Date.parse(c.startsAt);
        return { ...base, startsAt: c.startsAt, endsAt: new Date(Math.max(now - 1, startMs + 1)).toISOString(), firing: false };
      }
      return { ...base, startsAt: c.startsAt, endsAt: c.endsAt, firing: true };
    }
    const startMs = Math.max(now, c === undefined ? 0 : Date.parse(c.endsAt) + 1);
    return { ...base, startsAt: new Date(startMs).toISOString(), endsAt: new Date(startMs + 2 * HOUR_MS).toISOString(), firing: true };
  }

  async postAlerts(max: number): Promise<void> {
    const free = this.book.alerts.filter((e) => !e.busy);
    const chosen: AlertEntry[] = [];
    const k = 1 + Math.floor(this.random() * max);
    while (chosen.length < k && free.length > 0) chosen.push(free.splice(Math.floor(this.random() * free.length), 1)[0]!);
    if (chosen.length === 0) return;
    const now = Date.now();
    for (const e of chosen) {
      e.busy = true;
      e.pending = this.nextState(e, now);
    }
    const body = chosen.map((e) => {
      const s = e.pending!;
      return { labels: s.labels, annotations: s.annotations, startsAt: s.startsAt, endsAt: s.endsAt, generatorURL: s.generatorURL };
    });
    const r = await this.send("POST", "/api/v2/alerts", body);
    const at = Date.now();
    for (const e of chosen) this.alertWrites.push({ at, fp: e.fp, firing: e.pending!.firing, startsAt: e.pending!.startsAt, outcome: r.outcome });
    if (r.outcome === "refused") {
      for (const e of chosen) {
        e.pending = undefined;
        e.busy = false;
      }
      return;
    }
    if (r.outcome === "unanswered") {
      this.unanswered++;
      return;
    }
    for (const e of chosen) {
      const s = e.pending!;
      this.writes[s.firing ? "alerts" : "resolves"]!++;
      e.confirmed = s;
      if (!s.firing) e.ack = undefined;
      e.pending = undefined;
      e.busy = false;
    }
    this.acked();
  }

  async createSilence(): Promise<void> {
    if (this.book.activeSilences().length >= 5) return;
    const grp = `g${Math.floor(this.random() * 6)}`;
    const n = this.pick(["[0-3]", "[4-7]", "1[01]|[89]", "[0-9]"])!;
    const tag = ++this.seq;
    const sentMs = Date.now();
    const s: SilenceEntry = {
      comment: `torture silence ${tag}`, id: undefined, created: "pending",
      matchers: [{ name: "grp", value: grp, isRegex: false, isEqual: true }, { name: "n", value: n, isRegex: true, isEqual: true }],
      endsAt: new Date(sentMs + HOUR_MS).toISOString(), startsLo: sentMs, startsHi: sentMs, expire: undefined, busy: true,
    };
    this.book.silences.push(s);
    const r = await this.send("POST", "/api/v2/silences", { matchers: s.matchers, startsAt: new Date(sentMs).toISOString(), endsAt: s.endsAt, createdBy: "torture", comment: s.comment });
    if (r.outcome === "refused") {
      this.book.silences.splice(this.book.silences.indexOf(s), 1);
      return;
    }
    if (r.outcome === "unanswered") {
      s.startsHi = Date.now(); // if it was committed, its start was clamped to some time before now
      this.unanswered++;
      return;
    }
    s.id = (r.json as { silenceID: string }).silenceID;
    s.created = "confirmed";
    s.startsHi = Date.now();
    s.busy = false;
    this.writes.silences!++;
    this.acked();
  }

  async expireSilence(): Promise<void> {
    const s = this.pick(this.book.activeSilences().filter((x) => !x.busy));
    if (s === undefined) return;
    s.busy = true;
    const lo = Date.now();
    s.expire = { lo, hi: Number.MAX_SAFE_INTEGER, confirmed: false };
    const r = await this.send("DELETE", `/api/v2/silence/${s.id}`);
    if (r.outcome === "refused") {
      s.expire = undefined;
      s.busy = false;
      return;
    }
    if (r.outcome === "unanswered") {
      this.unanswered++;
      return;
    }
    s.expire = { lo, hi: Date.now(), confirmed: true };
    s.busy = false;
    this.writes.expires!++;
    this.acked();
  }

  async ack(): Promise<void> {
    const e = this.pick(this.book.alerts.filter((x) => !x.busy && x.confirmed?.firing === true));
    if (e === undefined) return;
    const c = e.confirmed!;
    const comment = `on it ${++this.seq}`;
    e.busy = true;
    e.ackOp = { kind: "ack", comment };
    const r = await this.send("POST", `/api/ops/v1/alerts/${e.fp}/ack`, { comment });
    if (r.outcome === "refused") {
      e.ackOp = undefined;
      e.busy = false;
      return;
    }
    if (r.outcome === "unanswered") {
      this.unanswered++;
      return;
    }
    e.ack = { comment, at: (r.json as { at: string }).at, episode: c.startsAt };
    e.ackOp = undefined;
    e.busy = false;
    this.writes.acks!++;
    this.acked();
  }

  async unack(): Promise<void> {
    const e = this.pick(this.book.alerts.filter((x) => !x.busy && this.book.expectedAck(x) !== undefined));
    if (e === undefined) return;
    e.busy = true;
    e.ackOp = { kind: "unack" };
    const r = await this.send("DELETE", `/api/ops/v1/alerts/${e.fp}/ack`);
    if (r.outcome === "refused") {
      e.ackOp = undefined;
      e.busy = false;
      return;
    }
    if (r.outcome === "unanswered") {
      this.unanswered++;
      return;
    }
    e.ack = undefined;
    e.ackOp = undefined;
    e.busy = false;
    this.writes.unacks!++;
    this.acked();
  }

  async reload(): Promise<void> {
    const r = await this.send("POST", "/-/reload");
    if (r.outcome === "ok") this.writes.reloads!++;
  }

  /** One worker of mixed load until the process is killed. */
  async loadWorker(burst: boolean): Promise<void> {
    while (!this.killed) {
      const x = this.random();
      if (burst || x < 0.45) await this.postAlerts(burst ? 40 : 8);
      else if (x < 0.57) await this.createSilence();
      else if (x < 0.65) await this.expireSilence();
      else if (x < 0.8) await this.ack();
      else if (x < 0.85) await this.unack();
      else if (x < 0.88) await this.reload();
      else await sleep(Math.floor(this.random() * 50));
      // An operation that found nothing to do resolves at once: without a real wait this loop would
      // hold the event loop, so the answers that free its alerts would never be read.
      await sleep(1);
    }
  }

  /** One iteration: load, the kill at a moment chosen by `mode`, the post-mortem read. */
  async loadAndKill(mode: KillMode): Promise<void> {
    const workers = Array.from({ length: 3 }, () => this.loadWorker(mode === "burst"));
    switch (mode) {
      case "after-ack":
        this.killAfterAcks = 1 + Math.floor(this.random() * 20);
        await this.killedOr(20_000); // the kill normally comes from acked()
        break;
      case "reload":
        await sleep(200 + this.random() * 1_500);
        void this.reload();
        await sleep(this.random() * 40);
        break;
      default:
        await sleep(100 + this.random() * 2_000);
    }
    await this.kill(mode === "after-ack" && !this.killed ? "random" : mode);
    this.killAfterAcks = undefined;
    await Promise.all(workers);
  }
}

/** Runs the torture and reports; never throws for findings (the caller asserts on the report). */
export async function runTorture(opts: TortureOptions): Promise<TortureReport> {
  const t0 = Date.now();
  const sink = await startTortureSink(prng(opts.seed ^ 0x5eed));
  const t = new Torture(opts, sink);
  const failShare = opts.failShare ?? 0.3;
  sink.setFailShare(failShare);
  let server: Server | undefined;
  let iterations = 0;
  try {
    server = await t.start();
    const dbPath = server.dbPath;
    const more = () => iterations < opts.iterations && (opts.budgetMs === undefined || Date.now() - t0 < opts.budgetMs);
    while (more()) {
      iterations++;
      await t.loadAndKill(t.pick(["random", "random", "after-ack", "after-ack", "reload", "burst"] as const)!);
      server = await t.start(dbPath);
      // Right after a restart whose outbox holds decisions: kill while they are being replayed.
      if (t.kills.at(-1)!.outbox.length > 0 && t.random() < 0.5 && more()) {
        iterations++;
        await sleep(t.random() * 150);
        await t.kill("replay");
        server = await t.start(dbPath);
      }
      await t.verify(server, `iteration ${iterations}`);
      if (iterations % 10 === 0) opts.log?.(`iteration ${iterations}: ${t.acknowledged} acknowledged writes, ${t.checks} checks, ${t.losses.length} losses, ${sink.delivered().length} deliveries`);
    }
    // Final phase: a healthy receiver, a clean restart (the replay now succeeds), then quiet.
    sink.setFailShare(0);
    await server.stop();
    server = await t.start(dbPath);
    await t.verify(server, "final restart");
    const deadline = Date.now() + 30_000;
    let problems = checkDeliveries(t.book, sink.delivered(), t.kills);
    for (let quietSince = sink.requests.length; Date.now() < deadline; ) {
      await sleep(3_000);
      problems = checkDeliveries(t.book, sink.delivered(), t.kills);
      if (problems.length === 0 && sink.requests.length === quietSince) break;
      quietSince = sink.requests.length;
    }
    await t.verify(server, "end");
    await server.stop();
    const final = t.postMortem(dbPath, "after the clean stop");
    if (final.outbox.length > 0) problems.push(`outbox not empty after the final run with a healthy receiver: ${final.outbox.join(", ")}`);
    const dups = findDuplicates(sink.delivered(), t.kills);
    return {
      seed: opts.seed,
      iterations,
      kills: t.killCounts,
      writes: t.writes,
      acknowledgedWrites: t.acknowledged,
      unanswered: t.unanswered,
      checks: t.checks,
      losses: t.losses,
      phantoms: t.phantoms,
      deliveryProblems: problems,
      deliveries: sink.delivered().length,
      failedRequests: sink.requests.length - sink.delivered().length,
      duplicates: { inWindow: dups.filter((d) => d.inWindow).length, outsideWindow: dups.filter((d) => !d.inWindow).length, details: dups },
      integrity: { checked: t.integrityChecked, notOk: t.integrityNotOk },
      slowStarts: t.slowStarts,
      durationMs: Date.now() - t0,
      trace: { requests: sink.requests, kills: t.kills.map((k) => ({ at: k.at, mode: k.mode, outbox: k.outbox })), alertWrites: t.alertWrites },
    };
  } finally {
    await server?.kill9();
    await sink.close();
  }
}

/** The figures in a few lines, for the CLI and test output. */
export function summary(r: TortureReport): string {
  const kills = Object.entries(r.kills).map(([m, n]) => `${m} ${n}`).join(", ");
  const total = Object.values(r.kills).reduce((a, b) => a + b, 0);
  return [
    `crash torture (seed ${r.seed}): ${r.iterations} iterations, ${total} kills -9 (${kills}) in ${(r.durationMs / 1000).toFixed(0)} s`,
    `writes acknowledged: ${r.acknowledgedWrites} requests (${Object.entries(r.writes).map(([k, n]) => `${k} ${n}`).join(", ")}); unanswered (cut off by a kill): ${r.unanswered}; values checked after restarts: ${r.checks}`,
    `losses: ${r.losses.length}; phantoms: ${r.phantoms.length}; delivery problems: ${r.deliveryProblems.length}`,
    `deliveries: ${r.deliveries} (plus ${r.failedRequests} answered 500); duplicates: ${r.duplicates.inWindow} inside the documented window, ${r.duplicates.outsideWindow} outside`,
    `integrity_check: ${r.integrity.checked} checks, ${r.integrity.notOk.length} not ok${r.slowStarts > 0 ? `; ${r.slowStarts} silent starts retried (machine overloaded)` : ""}`,
    ...[...r.losses, ...r.phantoms, ...r.deliveryProblems, ...r.integrity.notOk].slice(0, 20).map((l) => `  ! ${l}`),
    ...r.duplicates.details.filter((d) => !d.inWindow).slice(0, 10).map((d) => `  ! duplicate outside the window: ${d.groupKey} at ${new Date(d.firstAt).toISOString()} and ${new Date(d.secondAt).toISOString()}: ${d.why}`),
  ].join("\n");
}
