/** A set of label name → value pairs, as Alertmanager's model.LabelSet. */
export type LabelSet = Readonly<Record<string, string>>;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Alertmanager's (Prometheus's) label name rule for alerts. */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}

/**
 * Label names in Go's byte order. Valid label names are ASCII, where UTF-16 order equals byte order;
 * the explicit comparison keeps the order right for any name a webhook might carry.
 */
export function sortedLabelNames(labels: LabelSet): string[] {
  const names = Object.keys(labels);
  if (inAsciiOrder(names)) return names; // what Go's JSON encoder (Prometheus) sends: no sort needed
  return names.every(isAscii) ? names.sort() : names.sort(compareUtf8);
}

/** Whether the set's names are in Go's order already (ASCII names, each after the one before it). */
export function hasSortedNames(labels: LabelSet): boolean {
  return inAsciiOrder(Object.keys(labels));
}

/** Whether every name is ASCII and each sorts after the one before it. */
function inAsciiOrder(names: readonly string[]): boolean {
  for (let i = 0; i < names.length; i++) {
    if (!isAscii(names[i]!)) return false;
    if (i > 0 && names[i - 1]! >= names[i]!) return false;
  }
  return true;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

// 64-bit FNV-1a over four 16-bit limbs: plain numbers stay exact (< 2^53) and avoid BigInt's cost,
// which matters when Prometheus re-sends tens of thousands of alerts per evaluation.
class Fnv64a {
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;

  addByte(b: number): void {
    const h0 = this.h0 ^ b;
    // prime = 2^40 + 0x1b3: limb0 × 0x1b3 plus limb2 += limb0 × 0x100 (the 2^40 term), and so on.
    const t0 = h0 * 0x1b3;
    const t1 = this.h1 * 0x1b3 + (t0 >>> 16);
    const t2 = this.h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
    const t3 = this.h3 * 0x1b3 + this.h1 * 0x100 + (t2 >>> 16);
    this.h0 = t0 & 0xffff;
    this.h1 = t1 & 0xffff;
    this.h2 = t2 & 0xffff;
    this.h3 = t3 & 0xffff;
  }

  addString(s: string): void {
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        this.addByte(c);
        continue;
      }
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const lo = s.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
          i++;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate: encoded as U+FFFD, like Buffer.from
      if (c < 0x800) {
        this.addByte(0xc0 | (c >> 6));
        this.addByte(0x80 | (c & 0x3f));
      } else if (c < 0x10000) {
        this.addByte(0xe0 | (c >> 12));
        this.addByte(0x80 | ((c >> 6) & 0x3f));
        this.addByte(0x80 | (c & 0x3f));
      } else {
        this.addByte(0xf0 | (c >> 18));
        this.addByte(0x80 | ((c >> 12) & 0x3f));
        this.addByte(0x80 | ((c >> 6) & 0x3f));
        this.addByte(0x80 | (c & 0x3f));
      }
    }
  }

  hex(): string {
    return limbHex(this.h3) + limbHex(this.h2) + limbHex(this.h1) + limbHex(this.h0);
  }
}

/** "00" … "ff": a 16-bit limb is two lookups (Number#toString(16) and padding cost more per fingerprint). */
const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

function limbHex(x: number): string {
  return BYTE_HEX[x >>> 8]! + BYTE_HEX[x & 0xff]!;
}

const SEPARATOR = 0xff;

/** Alertmanager's alert fingerprint: FNV-1a 64 over sorted name, 0xFF, value, 0xFF; 16 hex digits. */
export function fingerprint(labels: LabelSet): string {
  const h = new Fnv64a();
  for (const name of sortedLabelNames(labels)) {
    h.addString(name);
    h.addByte(SEPARATOR);
    h.addString(labels[name] ?? "");
    h.addByte(SEPARATOR);
  }
  return h.hex();
}

/** Whether goQuote's loop would rewrite anything: a control character, quote, backslash or DEL. */
function needsGoEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x7f) return true;
  }
  return false;
}

/** Go's strconv.Quote for the characters label values contain in practice. */
export function goQuote(s: string): string {
  if (!needsGoEscape(s)) return '"' + s + '"';
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"': out += '\\"'; break;
      case "\\": out += "\\\\"; break;
      case "\n": out += "\\n"; break;
      case "\r": out += "\\r"; break;
      case "\t": out += "\\t"; break;
      case "\x07": out += "\\a"; break;
      case "\b": out += "\\b"; break;
      case "\f": out += "\\f"; break;
      case "\v": out += "\\v"; break;
      default:
        if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
        else if (c === 0xfffd && ch !== "\ufffd") out += "\\ufffd";
        else out += ch;
    }
  }
  return out + '"';
}

/** Go's model.LabelSet.String(): `{a="1", b="2"}`, sorted by name, values Go-quoted. */
export function labelSetString(labels: LabelSet): string {
  return "{" + sortedLabelNames(labels).map((n) => `${n}=${goQuote(labels[n] ?? "")}`).join(", ") + "}";
}

/** Copy without empty-valued labels: Alertmanager drops them before validating and fingerprinting. */
export function withoutEmptyValues(labels: LabelSet): LabelSet {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (v !== "") out[k] = v;
  return out;
}

/**
 * sortedLabelSet(withoutEmptyValues(labels)), but no copy at all when `labels` already is that (Prometheus
 * sends names sorted and no empty values): only for a set the caller owns and will not change.
 */
export function sortedNonEmptyLabelSet(labels: LabelSet): LabelSet {
  const names = Object.keys(labels);
  let clean = inAsciiOrder(names);
  for (let i = 0; clean && i < names.length; i++) if (labels[names[i]!] === "") clean = false;
  return clean ? labels : sortedLabelSet(withoutEmptyValues(labels));
}

/** Copy with keys in Go's order: Go's JSON encoder sorts map keys, so clients see them sorted. */
export function sortedLabelSet(labels: LabelSet): LabelSet {
  const out: Record<string, string> = {};
  for (const k of sortedLabelNames(labels)) out[k] = labels[k]!;
  return out;
}

/** The subset of labels named in `names` that the set has. */
export function pickLabels(labels: LabelSet, names: readonly string[]): LabelSet {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = labels[n];
    if (v !== undefined) out[n] = v;
  }
  return out;
}

export function labelSetsEqual(a: LabelSet, b: LabelSet): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

/** Go's model.LabelSet.Before: fewer labels first, then by sorted names and values. */
export function labelSetBefore(a: LabelSet, b: LabelSet): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return ka.length < kb.length;
  for (const name of [...new Set([...ka, ...kb])].sort()) {
    const av = a[name];
    const bv = b[name];
    if (av === undefined) return true;
    if (bv === undefined) return false;
    if (av !== bv) return av < bv;
  }
  return false;
}

export function compareLabelSets(a: LabelSet, b: LabelSet): number {
  if (labelSetBefore(a, b)) return -1;
  return labelSetBefore(b, a) ? 1 : 0;
}
