/**
 * The few properties of Go's `unicode` package the engine needs, on code points. JavaScript's regular
 * expression property classes carry the same Unicode data (a newer version than Go 1.19's, which only
 * matters for characters assigned since).
 */

const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;
const SPACE = /^\p{White_Space}$/u;
const PRINT = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** unicode.IsLetter. */
export function isLetter(cp: number): boolean {
  if (cp < 0x80) return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
  return LETTER.test(String.fromCodePoint(cp));
}

/** unicode.IsDigit (decimal digits of every script). */
export function isDigit(cp: number): boolean {
  if (cp < 0x80) return cp >= 0x30 && cp <= 0x39;
  return DIGIT.test(String.fromCodePoint(cp));
}

/** unicode.IsSpace: the White_Space property, which includes U+0085 and U+00A0. */
export function isSpace(cp: number): boolean {
  if (cp < 0x80) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d);
  return SPACE.test(String.fromCodePoint(cp));
}

/** unicode.IsPrint (and strconv.IsPrint): letters, marks, numbers, punctuation, symbols and ASCII space. */
export function isPrint(cp: number): boolean {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7f;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  return PRINT.test(String.fromCodePoint(cp));
}

/** Length of the UTF-8 encoding: Go measures strings (len, positions, slicing) in bytes. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** Number of code points (Go's utf8.RuneCountInString), which fmt uses for widths and precisions. */
export function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Go orders strings by their UTF-8 bytes, which is code point order; JavaScript's `<` compares UTF-16
 * units and puts U+E000..U+FFFF after astral characters.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

// Go's unicode.To{Upper,Lower,Title} use the one-to-one mappings of UnicodeData.txt. JavaScript applies the
// full (SpecialCasing) mappings, so a result longer than one code point means "no simple mapping", except
// for the few characters whose simple mapping differs from the first code point of the full one.

function single(s: string): number | undefined {
  const cp = s.codePointAt(0);
  if (cp === undefined) return undefined;
  return s.length === (cp > 0xffff ? 2 : 1) ? cp : undefined;
}

/** unicode.ToUpper. */
export function toUpperRune(cp: number): number {
  if (cp < 0x80) return cp >= 0x61 && cp <= 0x7a ? cp - 32 : cp;
  // Greek letters with ypogegrammeni: the simple upper case is the titlecase letter.
  if (cp >= 0x1f80 && cp <= 0x1faf && (cp & 0xf) < 8) return cp + 8;
  if (cp === 0x1fb3 || cp === 0x1fc3 || cp === 0x1ff3) return cp + 9;
  return single(String.fromCodePoint(cp).toUpperCase()) ?? cp;
}

/** unicode.ToLower. */
export function toLowerRune(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
  if (cp === 0x130) return 0x69; // İ: the full mapping adds a combining dot
  return single(String.fromCodePoint(cp).toLowerCase()) ?? cp;
}

const TITLE_DIGRAPHS = new Map<number, number>([
  [0x1c4, 0x1c5], [0x1c5, 0x1c5], [0x1c6, 0x1c5],
  [0x1c7, 0x1c8], [0x1c8, 0x1c8], [0x1c9, 0x1c8],
  [0x1ca, 0x1cb], [0x1cb, 0x1cb], [0x1cc, 0x1cb],
  [0x1f1, 0x1f2], [0x1f2, 0x1f2], [0x1f3, 0x1f2],
]);

/** unicode.ToTitle: the upper case except for the digraphs and Georgian (which has no title case). */
export function toTitleRune(cp: number): number {
  const digraph = TITLE_DIGRAPHS.get(cp);
  if (digraph !== undefined) return digraph;
  if ((cp >= 0x10d0 && cp <= 0x10fa) || (cp >= 0x10fd && cp <= 0x10ff)) return cp;
  return toUpperRune(cp);
}

/** Maps every code point of s (Go's strings.Map with a rune function). */
export function mapRunes(s: string, f: (cp: number) => number): string {
  let out = "";
  for (const ch of s) out += String.fromCodePoint(f(ch.codePointAt(0) as number));
  return out;
}
