/**
 * A recorded statement with its values written into the text as literals, so that a whole unit (or group)
 * of statements goes to PostgreSQL in one simple-protocol round trip instead of one round trip each: the
 * driver does not pipeline, and a unit of one alert is five statements. Values are only of the kinds the
 * repositories record; anything else is refused rather than guessed at.
 */
import pg from "pg";

/** A value as an SQL literal; parenthesised numbers, so `n-$1` with a negative value never becomes a comment. */
export function sqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "boolean") return v ? "TRUE" : "FALSE";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "'NaN'";
    if (!Number.isFinite(v)) return v > 0 ? "'Infinity'" : "'-Infinity'";
    return `(${String(v)})`;
  }
  if (typeof v === "bigint") return `(${v.toString()})`;
  if (typeof v === "string") {
    // The simple protocol ends the query at a NUL byte; PostgreSQL cannot store one in text anyway.
    if (v.includes("\u0000")) throw new RangeError("a text value holds U+0000, which PostgreSQL cannot store");
    return pg.escapeLiteral(v);
  }
  if (Buffer.isBuffer(v)) return `'\\x${v.toString("hex")}'::bytea`;
  if (Array.isArray(v)) return v.length === 0 ? "'{}'" : `ARRAY[${v.map(sqlLiteral).join(", ")}]`;
  throw new TypeError(`cannot write a ${Object.prototype.toString.call(v)} as an SQL literal`);
}

/**
 * `text` with each `$n` replaced by the literal of `values[n - 1]`; string literals and double-quoted
 * identifiers in `text` are left as they are.
 */
export function inlineStatement(text: string, values: readonly unknown[]): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const end = closingQuote(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (c === "$" && /[0-9]/.test(text[i + 1] ?? "")) {
      let j = i + 1;
      while (j < text.length && /[0-9]/.test(text[j]!)) j++;
      const n = Number(text.slice(i + 1, j));
      if (n < 1 || n > values.length) throw new RangeError(`statement refers to $${n}, but ${values.length} values were given`);
      out += sqlLiteral(values[n - 1]);
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The index just past the quote that closes the one at `start` (a doubled quote is part of the text). */
function closingQuote(text: string, start: number): number {
  const q = text[start]!;
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === q) {
      if (text[i + 1] === q) i += 2;
      else return i + 1;
    } else i++;
  }
  return text.length;
}
