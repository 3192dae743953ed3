// The crash torture's independent bookkeeping: what each acknowledged (2xx) write made true, and what a
// write whose answer was cut off by the kill may or may not have made true. After each restart the
// observed state must match: an acknowledged value (or, for an unanswered write, either value), exactly.
import { fingerprint } from "../../src/types/labels.ts";

export interface AlertState {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  firing: boolean;
}

export interface AckState {
  comment: string;
  /** The `at` the ack write answered; undefined for an unanswered write (any time matches). */
  at: string | undefined;
  /** startsAt of the episode acknowledged: a later episode is not acknowledged. */
  episode: string;
}

export interface AlertEntry {
  fp: string;
  labels: Record<string, string>;
  grp: string;
  confirmed: AlertState | undefined;
  /** An unanswered write: its state may or may not have been committed. */
  pending: AlertState | undefined;
  ack: AckState | undefined;
  ackOp: { kind: "ack"; comment: string } | { kind: "unack" } | undefined;
  /** An operation is in flight or its outcome is unknown until the next verification. */
  busy: boolean;
}

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

export interface SilenceEntry {
  /** Unique per silence: how an unanswered create is recognised after the restart. */
  comment: string;
  id: string | undefined;
  created: "confirmed" | "pending";
  matchers: SilenceMatcher[];
  endsAt: string;
  /** The server clamps a start in the past to its own now: between sending and the answer. */
  startsLo: number;
  startsHi: number;
  expire: { lo: number; hi: number; confirmed: boolean } | undefined;
  busy: boolean;
}

export const GROUPS = 6;
export const PER_GROUP = 12;

export class Book {
  readonly alerts: AlertEntry[] = [];
  readonly byFp = new Map<string, AlertEntry>();
  readonly silences: SilenceEntry[] = [];

  constructor() {
    for (let g = 0; g < GROUPS; g++) {
      for (let n = 0; n < PER_GROUP; n++) {
        const labels = { alertname: "Torture", grp: `g${g}`, n: String(n) };
        const e: AlertEntry = { fp: fingerprint(labels), labels, grp: `g${g}`, confirmed: undefined, pending: undefined, ack: undefined, ackOp: undefined, busy: false };
        this.alerts.push(e);
        this.byFp.set(e.fp, e);
      }
    }
  }

  /** The ack that must show for a confirmed firing alert (none for a later episode). */
  expectedAck(e: AlertEntry): AckState | undefined {
    const c = e.confirmed;
    if (!c?.firing || e.ack === undefined || e.ack.episode !== c.startsAt) return undefined;
    return e.ack;
  }

  /** Confirmed active silences (not expired, no operation of unknown outcome). */
  activeSilences(): SilenceEntry[] {
    return this.silences.filter((s) => s.created === "confirmed" && s.expire === undefined);
  }

  isMuted(labels: Record<string, string>): boolean {
    return this.activeSilences().some((s) => s.matchers.every((m) => matches(m, labels[m.name] ?? "")));
  }

  /** Something that may or may not mute `labels`: an unknown create or expire. */
  mayBeMuted(labels: Record<string, string>): boolean {
    return this.silences.some((s) => s.matchers.every((m) => matches(m, labels[m.name] ?? "")));
  }
}

function matches(m: SilenceMatcher, value: string): boolean {
  const hit = m.isRegex ? new RegExp(`^(?:${m.value})$`).test(value) : value === m.value;
  return hit === m.isEqual;
}
