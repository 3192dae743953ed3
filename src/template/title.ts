import { toTitleRune, toUpperRune } from "./unicode.ts";

/**
 * Alertmanager 0.25's `title` is golang.org/x/text/cases.Title(language.AmericanEnglish), not the
 * deprecated strings.Title: the first cased letter of each word is title-cased and the rest of the word
 * lower-cased ("wORLD" → "World"), with full case mappings ("ß" → "Ss") and Greek final sigma.
 * Words are split the way x/text does: letters, marks, digits, connector punctuation and format
 * characters continue a word; a single "mid" character (' . : · ’) continues it too, two in a row end it;
 * anything else (spaces, commas, hyphens, brackets …) ends it.
 */

const CASED = /^\p{Cased}$/u;
const CASE_IGNORABLE = /^\p{Case_Ignorable}$/u;
const WORD = /^[\p{L}\p{M}\p{Nd}\p{Pc}\p{Cf}]$/u;
// Word_Break MidLetter, MidNumLet and Single_Quote.
const MID = new Set([
  0x27, 0x2e, 0x3a, 0xb7, 0x387, 0x55f, 0x5f4, 0x2018, 0x2019, 0x2024, 0x2027, 0xfe13, 0xfe52, 0xfe55, 0xff07, 0xff0e, 0xff1a,
]);

function isCased(ch: string): boolean {
  return CASED.test(ch);
}

function isMid(cp: number): boolean {
  return MID.has(cp);
}

function isBreak(ch: string, cp: number): boolean {
  return !isMid(cp) && !WORD.test(ch);
}

/** Full title-case mapping of one character. */
function titleCase(ch: string, cp: number): string {
  const simpleTitle = toTitleRune(cp);
  const simpleUpper = toUpperRune(cp);
  // Digraphs (ǆ → ǅ) and Georgian (no title case) differ from their upper case.
  if (simpleTitle !== simpleUpper) return String.fromCodePoint(simpleTitle);
  const upper = ch.toUpperCase();
  if (upper.length === (cp > 0xffff ? 2 : 1) || [...upper].length === 1) return upper;
  // Greek with ypogegrammeni title-cases to one letter although it upper-cases to two.
  if (simpleUpper !== cp) return String.fromCodePoint(simpleUpper);
  if (cp === 0x149) return "\u02bcN"; // ŉ
  // Ligatures and ß: only the first letter of the expansion is capital ("ß" → "Ss", "ﬁ" → "Fi").
  const first = String.fromCodePoint(upper.codePointAt(0) as number);
  return first + upper.slice(first.length).toLowerCase();
}

/** Σ is ς at the end of a word: after a cased letter and not before one (case-ignorables skipped). */
function lowerSigma(chars: readonly string[], i: number): string {
  let before = false;
  for (let j = i - 1; j >= 0; j--) {
    const c = chars[j] as string;
    if (CASE_IGNORABLE.test(c)) continue;
    before = isCased(c);
    break;
  }
  let after = false;
  for (let j = i + 1; j < chars.length; j++) {
    const c = chars[j] as string;
    if (CASE_IGNORABLE.test(c)) continue;
    after = isCased(c);
    break;
  }
  return before && !after ? "ς" : "σ";
}

export function title(s: string): string {
  const chars = [...s];
  let out = "";
  let midWord = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    const cp = ch.codePointAt(0) as number;
    const wasMid = isMid(cp);
    if (isCased(ch)) {
      if (!midWord) {
        out += titleCase(ch, cp);
        midWord = true;
      } else {
        out += cp === 0x3a3 ? lowerSigma(chars, i) : ch.toLowerCase();
      }
    } else {
      out += ch;
      if (isBreak(ch, cp)) midWord = false;
    }
    const next = chars[i + 1];
    if (wasMid && next !== undefined && isMid(next.codePointAt(0) as number)) midWord = false;
  }
  return out;
}
