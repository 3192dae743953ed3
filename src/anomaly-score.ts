import { readFileSync } from "node:fs";
import { ConfigError, errorMessage } from "./lib/errors.ts";
import { createDetector, DETECTORS, isDetectorName, type DetectorName } from "./anomaly/index.ts";
import { CsvFormatError, parseNabCsv } from "./anomaly/nab-csv.ts";

/**
 * `alertprism anomaly score --detector=zscore|seasonal|iforest|fused FILE.csv`: scores a NAB-format CSV and
 * prints `timestamp,value,anomaly_score`, one row per input row in input order, the timestamp and value
 * exactly as written in the input.
 */
export function anomalyScore(args: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  let detector: DetectorName = "fused";
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("--")) {
      files.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const [flag, inline] = eq >= 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    if (flag !== "--detector") throw new ConfigError(`unknown flag ${flag} (anomaly score takes --detector=${DETECTORS.join("|")} FILE.csv)`);
    const v = inline ?? args[++i];
    if (v === undefined || !isDetectorName(v)) throw new ConfigError(`--detector must be one of ${DETECTORS.join(", ")}, got ${JSON.stringify(v ?? "")}`);
    detector = v;
  }
  if (files.length !== 1) throw new ConfigError("anomaly score takes exactly one FILE.csv");
  const file = files[0]!;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    err.write(`alertprism: error: ${errorMessage(e)}\n`);
    return 1;
  }
  let rows;
  try {
    rows = parseNabCsv(text);
  } catch (e) {
    if (e instanceof CsvFormatError) {
      err.write(`alertprism: error: ${file}:${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const d = createDetector(detector);
  const lines = ["timestamp,value,anomaly_score"];
  for (const r of rows) lines.push(`${r.timestampText},${r.valueText},${d.score(r.timestampMs, r.value)}`);
  out.write(lines.join("\n") + "\n");
  return 0;
}
