import { ConfigError } from "../lib/errors.ts";
import type { TracingSettings } from "../lib/otel-export.ts";
import type { AlertPrismFile } from "./alertprism.ts";
import { isHttpUrl } from "./url-check.ts";

/** The OTLP/HTTP default (an OpenTelemetry Collector on this host) when tracing is on without an endpoint. */
const DEFAULT_ENDPOINT = "http://localhost:4318";

/**
 * Tracing settings from alertprism.yml's `tracing:` and the standard OTEL_* environment, or undefined when
 * tracing is off. On when the file says `enabled: true`, or when it is silent and an endpoint is given
 * (file or OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); `enabled: false` and
 * OTEL_SDK_DISABLED=true turn it off whatever else is set. The environment beats the file, as for flags.
 */
export function tracingSettings(file: AlertPrismFile["tracing"], env: NodeJS.ProcessEnv, serviceVersion: string): TracingSettings | undefined {
  const given = (name: string) => (env[name] !== undefined && env[name] !== "" ? env[name] : undefined);
  if (given("OTEL_SDK_DISABLED")?.toLowerCase() === "true") return undefined;
  const tracesUrl = given("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const baseUrl = given("OTEL_EXPORTER_OTLP_ENDPOINT");
  const enabled = file?.enabled ?? (tracesUrl !== undefined || baseUrl !== undefined || file?.endpoint !== undefined);
  if (!enabled) return undefined;
  let url: string;
  if (tracesUrl !== undefined) url = checkUrl(tracesUrl, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  else if (baseUrl !== undefined) url = tracesPath(checkUrl(baseUrl, "OTEL_EXPORTER_OTLP_ENDPOINT"));
  else url = tracesPath(file?.endpoint ?? DEFAULT_ENDPOINT);
  return {
    url,
    headers: file?.headers ?? {},
    samplingRatio: file?.sampling_ratio ?? 1,
    serviceName: given("OTEL_SERVICE_NAME") ?? file?.service_name ?? "alertprism",
    serviceVersion,
  };
}

/** The OTLP convention: a base endpoint gets the signal's path appended. */
function tracesPath(base: string): string {
  return `${base.replace(/\/+$/, "")}/v1/traces`;
}

function checkUrl(value: string, name: string): string {
  // The value is not quoted: it may carry a token.
  if (!isHttpUrl(value)) throw new ConfigError(`${name} must be an http:// or https:// URL`);
  return value;
}
