import { ConfigError } from "../lib/errors.ts";

const UNITS: Array<[string, number]> = [
  ["y", 365 * 24 * 3600_000], ["w", 7 * 24 * 3600_000], ["d", 24 * 3600_000],
  ["h", 3600_000], ["m", 60_000], ["s", 1000], ["ms", 1],
];
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Prometheus' model.ParseDuration: units y w d h m s ms, largest first, each at most once; "0" allowed. */
export function parseDuration(s: string): number {
  if (s === "0") return 0;
  const m = s === "" ? null : DURATION.exec(s);
  if (!m) throw new ConfigError(`not a valid duration string: ${JSON.stringify(s)}`);
  let ms = 0;
  UNITS.forEach(([, mult], i) => {
    const v = m[i + 1];
    if (v !== undefined) ms += Number(v) * mult;
  });
  if (!Number.isSafeInteger(ms)) throw new ConfigError(`duration out of range: ${JSON.stringify(s)}`);
  return ms;
}

/** Prometheus' model.Duration.String(): years and weeks only when exact, e.g. 90m → "1h30m". */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  UNITS.forEach(([unit, mult], i) => {
    const exactOnly = i < 2;
    if (exactOnly && rest % mult !== 0) return;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      rest -= v * mult;
    }
  });
  return out;
}
