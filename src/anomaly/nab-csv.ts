/** NAB-format CSV (`timestamp,value`, UTC `YYYY-MM-DD HH:MM:SS`), parsed without losing the input text. */

export interface CsvRow {
  /** 1-based line number in the input. */
  line: number;
  /** The timestamp and value fields exactly as written. */
  timestampText: string;
  valueText: string;
  timestampMs: number;
  value: number;
}

export class CsvFormatError extends Error {
  constructor(readonly line: number, reason: string) {
    super(`line ${line}: ${reason}`);
    this.name = "CsvFormatError";
  }
}

const TS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?$/;
const NUM = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Milliseconds since the epoch of a NAB timestamp (UTC), or NaN when it is not one. */
export function parseNabTimestamp(s: string): number {
  const m = TS.exec(s);
  if (!m) return NaN;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, se) + (m[7] ? Math.round(Number(m[7]) * 1000) : 0);
  const back = new Date(ms);
  // Reject calendar nonsense such as 2014-02-30 or 25:00:00 rather than letting Date roll it over.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h || back.getUTCMinutes() !== mi || back.getUTCSeconds() !== se) return NaN;
  return ms;
}

/**
 * Rows of a NAB CSV. The header `timestamp,value` is optional (a first line that is not a data row must be
 * that header). Line endings may be LF or CRLF; one final newline is allowed. Anything else that is not a
 * `timestamp,value` row throws a CsvFormatError naming its line.
 */
export function parseNabCsv(text: string): CsvRow[] {
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const rows: CsvRow[] = [];
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i]!;
    if (l.endsWith("\r")) l = l.slice(0, -1);
    if (i === 0 && l.charCodeAt(0) === 0xfeff) l = l.slice(1);
    const line = i + 1;
    if (i === 0 && /^\s*"?timestamp"?\s*,\s*"?value"?\s*$/i.test(l)) continue;
    const parts = l.split(",");
    if (parts.length !== 2) throw new CsvFormatError(line, `expected 2 fields "timestamp,value", got ${parts.length}: ${JSON.stringify(l.slice(0, 80))}`);
    const [timestampText, valueText] = parts as [string, string];
    const timestampMs = parseNabTimestamp(timestampText);
    if (Number.isNaN(timestampMs)) throw new CsvFormatError(line, `invalid timestamp ${JSON.stringify(timestampText)} (want YYYY-MM-DD HH:MM:SS)`);
    const value = NUM.test(valueText) ? Number(valueText) : NaN;
    if (!Number.isFinite(value)) throw new CsvFormatError(line, `invalid value ${JSON.stringify(valueText)}`);
    rows.push({ line, timestampText, valueText, timestampMs, value });
  }
  return rows;
}
