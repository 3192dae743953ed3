/**
 * DingTalk markdown messages: their JSON shape, their size, and how an oversized one is cut into numbered
 * parts. Everything here is pure so the size rules can be table-tested without a server.
 *
 * "Size" is the UTF-8 length of the whole request body as sent. Measuring the body rather than only
 * `markdown.text` is the conservative reading of DingTalk's limit: if the body fits, the text fits too.
 */

/** Who a message @mentions. */
export interface AtTargets {
  readonly atMobiles: readonly string[];
  readonly atUserIds: readonly string[];
  readonly isAtAll: boolean;
}

/** The robot API's `markdown` message, field order as sent. */
export interface MarkdownBody {
  readonly msgtype: "markdown";
  readonly markdown: { readonly title: string; readonly text: string };
  readonly at: { readonly atMobiles: readonly string[]; readonly atUserIds: readonly string[]; readonly isAtAll: boolean };
}

/** The separator `dingtalk.default.text` puts between alerts; the preferred place to cut. */
export const ALERT_SEPARATOR = "\n\n---\n\n";

/** Titles longer than this are cut: DingTalk shows the title in the chat list, where a long one is useless. */
export const TITLE_MAX_BYTES = 256;

/** Below this many bytes of room for text per part, splitting would produce absurd fragments. */
export const MIN_TEXT_ROOM = 128;

/** Widest part number the config check allows for: 99 parts of a 20 000-byte limit is ~2 MB of text. */
const WIDEST_CHECKED_PART = 99;

const ELLIPSIS = "…";

export function markdownBody(title: string, text: string, at: AtTargets): MarkdownBody {
  return {
    msgtype: "markdown",
    markdown: { title, text },
    at: { atMobiles: [...at.atMobiles], atUserIds: [...at.atUserIds], isAtAll: at.isAtAll },
  };
}

/**
 * DingTalk only pings a mentioned mobile or user id if it also appears as `@…` in the text, so every
 * message (and every part of a split one) ends with them. `isAtAll` needs nothing in the text.
 */
export function mentionSuffix(at: AtTargets): string {
  const names = [...at.atMobiles, ...at.atUserIds];
  return names.length === 0 ? "" : "\n\n" + names.map((n) => "@" + n).join(" ");
}

export function serializeBody(body: MarkdownBody): string {
  return JSON.stringify(body);
}

export function bodyBytes(body: MarkdownBody): number {
  return Buffer.byteLength(serializeBody(body), "utf8");
}

/**
 * UTF-8 bytes `s` costs inside a JSON string literal (quotes excluded). JSON escapes code point by code
 * point, so as long as nobody cuts a surrogate pair this is additive: cost(a + b) = cost(a) + cost(b).
 * The splitter relies on that to budget chunks without re-serialising the body for every candidate.
 */
export function jsonStringBytes(s: string): number {
  return Buffer.byteLength(JSON.stringify(s), "utf8") - 2;
}

/** Cuts `s` to at most `max` JSON bytes at a code point boundary, marking the cut with "…". */
export function truncateToJsonBytes(s: string, max: number): string {
  if (jsonStringBytes(s) <= max) return s;
  const room = max - jsonStringBytes(ELLIPSIS);
  let out = "";
  let used = 0;
  for (const cp of s) {
    const c = jsonStringBytes(cp);
    if (used + c > room) break;
    out += cp;
    used += c;
  }
  return out + ELLIPSIS;
}

export function partTitle(title: string, i: number, n: number): string {
  return `(${i}/${n}) ${title}`;
}

export function partHeader(i: number, n: number): string {
  return `**(${i}/${n})**\n\n`;
}

/**
 * Bytes left for the text of one part once the envelope, the numbered title, the part header and the
 * mentions are paid for, assuming the widest part number `widest/widest`.
 */
export function textRoom(title: string, at: AtTargets, maxBytes: number, widest: number): number {
  const fixed = bodyBytes(markdownBody(partTitle(title, widest, widest), partHeader(widest, widest) + mentionSuffix(at), at));
  return maxBytes - fixed;
}

/** Room per part for the worst title the channel will send (see TITLE_MAX_BYTES); the config check uses this. */
export function worstCaseTextRoom(at: AtTargets, maxBytes: number): number {
  return textRoom("x".repeat(TITLE_MAX_BYTES - jsonStringBytes(ELLIPSIS)) + ELLIPSIS, at, maxBytes, WIDEST_CHECKED_PART);
}

/** The limit is too small to carry even one chunk of text next to the title and mentions. */
export class MessageSizeError extends Error {
  override name = "MessageSizeError";
}

/**
 * One message if it fits in `maxBytes`, else numbered parts `(i/n)` in the title and at the top of the
 * text, each ending with the mentions and each no larger than `maxBytes`. Cuts prefer alert boundaries,
 * then line boundaries, and only then fall back to code point boundaries inside a line.
 */
export function splitMarkdown(title: string, text: string, at: AtTargets, maxBytes: number): MarkdownBody[] {
  const suffix = mentionSuffix(at);
  const whole = markdownBody(title, text + suffix, at);
  if (bodyBytes(whole) <= maxBytes) return [whole];
  // The part number's width changes the overhead, and the overhead changes the part count: try one digit,
  // then two, … until the count fits the width that was paid for.
  for (let digits = 1; digits <= 6; digits++) {
    const widest = 10 ** digits - 1;
    const room = textRoom(title, at, maxBytes, widest);
    if (room < MIN_TEXT_ROOM) {
      throw new MessageSizeError(`max_message_bytes ${maxBytes} leaves ${room} bytes per part for text (need ${MIN_TEXT_ROOM})`);
    }
    const chunks = chunkText(text, room);
    if (chunks.length <= widest) {
      const n = chunks.length;
      return chunks.map((c, i) => markdownBody(partTitle(title, i + 1, n), partHeader(i + 1, n) + c + suffix, at));
    }
  }
  throw new MessageSizeError("message would need a million parts");
}

/**
 * Cuts `text` into chunks of at most `room` JSON bytes each: whole alerts where they fit, else whole lines,
 * else code points. Separators at a cut are dropped (a part does not start or end with `---`).
 */
export function chunkText(text: string, room: number): string[] {
  return pack(text.split(ALERT_SEPARATOR), ALERT_SEPARATOR, room, (alert) =>
    pack(alert.split("\n"), "\n", room, (line) => chunkCodePoints(line, room)));
}

/**
 * Greedily joins `pieces` with `sep` while a chunk stays within `room`. A piece too big on its own goes
 * to `tooBig`; the last of its sub-chunks stays open so the next piece can still join it.
 */
function pack(pieces: readonly string[], sep: string, room: number, tooBig: (piece: string) => string[]): string[] {
  const out: string[] = [];
  const sepCost = jsonStringBytes(sep);
  let cur: string | undefined;
  let curCost = 0;
  for (const piece of pieces) {
    const cost = jsonStringBytes(piece);
    if (cur !== undefined && curCost + sepCost + cost <= room) {
      cur += sep + piece;
      curCost += sepCost + cost;
      continue;
    }
    if (cur !== undefined) out.push(cur);
    if (cost <= room) {
      cur = piece;
      curCost = cost;
      continue;
    }
    const subs = tooBig(piece);
    out.push(...subs.slice(0, -1));
    cur = subs[subs.length - 1] ?? "";
    curCost = jsonStringBytes(cur);
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

/** Last resort for a single over-long line: cut between code points, never inside a character. */
function chunkCodePoints(line: string, room: number): string[] {
  const out: string[] = [];
  let cur = "";
  let used = 0;
  for (const cp of line) {
    const c = jsonStringBytes(cp);
    if (used + c > room && cur !== "") {
      out.push(cur);
      cur = "";
      used = 0;
    }
    cur += cp;
    used += c;
  }
  out.push(cur);
  return out;
}
