import { pino, type Logger, type DestinationStream } from "pino";
import { correlationLogFields } from "./correlation.ts";

export type { Logger };
export type LogFormat = "logfmt" | "json";
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Keys whose values are secrets wherever they appear in a log record. */
const REDACT = [
  "password", "*.password", "token", "*.token", "authorization", "*.authorization", "headers.authorization",
  "routing_key", "*.routing_key", "service_key", "*.service_key", "secret", "*.secret", "api_url", "*.api_url",
];

/**
 * Alertmanager logs in logfmt by default; keep that for its users, JSON for log pipelines. `destination`
 * (tests) gets the lines in the chosen format. Every line carries the correlation of the work that logs
 * it (request id, trace id; correlation.ts), whichever component's logger writes it.
 */
export function createLogger(opts: { level: LogLevel; format: LogFormat; destination?: DestinationStream }): Logger {
  const out = opts.destination ?? stderrStream();
  const dest = opts.format === "logfmt" ? logfmtStream(out) : out;
  return pino(
    {
      level: opts.level,
      redact: { paths: REDACT, censor: "<secret>" },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: correlationLogFields,
    },
    dest,
  );
}

/**
 * Standard error, written from libuv's thread pool. A synchronous write blocks the event loop whenever the
 * other end is slow: a full pipe to a stalled log collector, or a file on the database's ext4 volume,
 * where an append waits for the journal commit that the WAL's fdatasync started (the fault bench saw
 * 30-58 ms of such blocking in 10 minutes). Lines still buffered are written out synchronously when the
 * process exits (pino registers that), so only a kill -9 can lose the last few milliseconds of them. A
 * reader that stops for good makes lines beyond MAX_BUFFERED_LOG_BYTES drop instead of growing memory.
 */
function stderrStream(): DestinationStream {
  return pino.destination({ dest: 2, sync: false, minLength: 0, maxLength: MAX_BUFFERED_LOG_BYTES });
}

const MAX_BUFFERED_LOG_BYTES = 16 * 1024 * 1024;

/** Converts pino's JSON lines into `ts=… level=… msg="…" key=value` lines. */
function logfmtStream(out: { write(line: string): unknown }): DestinationStream {
  return {
    write(line: string) {
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        const parts: string[] = [];
        const { time, level, msg, ...rest } = rec;
        parts.push(`ts=${String(time)}`, `level=${String(level)}`);
        for (const [k, v] of Object.entries(rest)) parts.push(`${k}=${logfmtValue(v)}`);
        if (msg !== undefined) parts.push(`msg=${logfmtValue(msg)}`);
        out.write(parts.join(" ") + "\n");
      } catch {
        out.write(line);
      }
    },
  };
}

function logfmtValue(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}

/** A logger that drops everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
