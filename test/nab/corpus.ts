/**
 * Reads the NAB subset in test/fixtures/nab: the series CSVs, combined_windows.json, and NAB's result tables.
 * Everything is read from the project's own fixture copy, never from ../shared.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const NAB_DIR = fileURLToPath(new URL("../fixtures/nab/", import.meta.url));

/** One NAB series: rows in file order (duplicate and backward timestamps kept as they are). */
export interface NabSeries {
  /** Relative path as used in NAB's label files, e.g. "realKnownCause/nyc_taxi.csv". */
  key: string;
  /** Timestamps exactly as written in the file ("YYYY-MM-DD HH:MM:SS"). */
  timestamps: string[];
  /** The same timestamps as epoch milliseconds (UTC). */
  times: number[];
  values: number[];
}

/** A labelled window as row indices, both ends inclusive. */
export interface RowWindow {
  start: number;
  end: number;
}

export interface NabFile extends NabSeries {
  windows: RowWindow[];
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

export function parseTimestamp(ts: string): number {
  const m = TS_RE.exec(ts);
  if (!m) throw new Error(`bad timestamp ${JSON.stringify(ts)}`);
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

/** Parses a NAB CSV (`timestamp,value` header, one row per line). Extra columns are ignored. */
export function parseNabCsv(key: string, text: string): NabSeries {
  const lines = text.split(/\r?\n/);
  if (!lines[0]?.startsWith("timestamp,value")) throw new Error(`${key}: line 1: expected header timestamp,value`);
  const timestamps: string[] = [];
  const times: number[] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const cols = line.split(",");
    const ts = cols[0] ?? "";
    const v = Number(cols[1]);
    if (!TS_RE.test(ts) || cols[1] === undefined || cols[1] === "" || !Number.isFinite(v)) {
      throw new Error(`${key}: line ${i + 1}: malformed row ${JSON.stringify(line)}`);
    }
    timestamps.push(ts);
    times.push(parseTimestamp(ts));
    values.push(v);
  }
  return { key, timestamps, times, values };
}

/** combined_windows.json: key → [[start, end], ...] with "YYYY-MM-DD HH:MM:SS.ffffff" timestamps. */
export function readWindowLabels(dir = NAB_DIR): Record<string, Array<[string, string]>> {
  return JSON.parse(readFileSync(join(dir, "labels", "combined_windows.json"), "utf8")) as Record<string, Array<[string, string]>>;
}

function stripFraction(ts: string): string {
  return ts.replace(/\.\d+$/, "");
}

/**
 * Turns timestamp windows into row windows. NAB matches each edge to the FIRST row carrying that
 * timestamp (files have duplicate and backward timestamps); an edge that matches no row is an error.
 */
export function toRowWindows(key: string, timestamps: readonly string[], windows: ReadonlyArray<readonly [string, string]>): RowWindow[] {
  const first = new Map<string, number>();
  timestamps.forEach((ts, i) => {
    if (!first.has(ts)) first.set(ts, i);
  });
  const out = windows.map(([a, b]) => {
    const start = first.get(stripFraction(a));
    const end = first.get(stripFraction(b));
    if (start === undefined || end === undefined) throw new Error(`${key}: window [${a}, ${b}] does not match a row`);
    if (end < start) throw new Error(`${key}: window [${a}, ${b}] ends before it starts`);
    return { start, end };
  });
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.start <= out[i - 1]!.end) throw new Error(`${key}: windows overlap or are out of order`);
  }
  return out;
}

/** A minimal glob: `**` any path, `*` any run of non-slash characters, `?` one character; `.csv` optional. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      re += ".*";
      i++;
      if (glob[i + 1] === "/") i++;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}(\\.csv)?$`);
}

/** The label keys whose CSV is present, sorted; optionally filtered by a glob on the key. */
export function corpusKeys(glob?: string, dir = NAB_DIR): string[] {
  const re = glob ? globToRegExp(glob) : null;
  return Object.keys(readWindowLabels(dir))
    .filter((k) => existsSync(join(dir, "data", k)))
    .filter((k) => !re || re.test(k) || re.test(k.split("/").pop()!))
    .sort();
}

export function loadFile(key: string, labels = readWindowLabels(), dir = NAB_DIR): NabFile {
  const series = parseNabCsv(key, readFileSync(join(dir, "data", key), "utf8"));
  return { ...series, windows: toRowWindows(key, series.timestamps, labels[key] ?? []) };
}

export function loadCorpus(glob?: string, dir = NAB_DIR): NabFile[] {
  const labels = readWindowLabels(dir);
  return corpusKeys(glob, dir).map((k) => loadFile(k, labels, dir));
}

/** One row of NAB's `<detector>_<profile>_scores.csv` table. */
export interface NabScoreRow {
  file: string;
  threshold: number;
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
  total: number;
}

/** Reads a NAB score table; the `Totals` row is returned separately. */
export function readScoreTable(path: string): { rows: NabScoreRow[]; totals: NabScoreRow } {
  const lines = readFileSync(path, "utf8").split(/\r?\n/).filter((l) => l !== "");
  const header = lines[0]!.split(",");
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${path}: no column ${name}`);
    return i;
  };
  const [iFile, iThr, iScore, iTp, iTn, iFp, iFn, iTotal] = ["File", "Threshold", "Score", "TP", "TN", "FP", "FN", "Total_Count"].map(col) as number[];
  let totals: NabScoreRow | undefined;
  const rows: NabScoreRow[] = [];
  for (const line of lines.slice(1)) {
    const c = line.split(",");
    const num = (i: number): number => (c[i] === "" ? NaN : Number(c[i]));
    const row: NabScoreRow = {
      file: c[iFile!] ?? "", threshold: num(iThr!), score: num(iScore!), tp: num(iTp!), tn: num(iTn!), fp: num(iFp!), fn: num(iFn!), total: num(iTotal!),
    };
    if (c[0] === "Totals") totals = row;
    else rows.push(row);
  }
  if (!totals) throw new Error(`${path}: no Totals row`);
  return { rows, totals };
}
