import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../../lib/errors.ts";
import { GoTemplater } from "../templater.ts";
import type { Channel, ChannelDeps, Where } from "../channel.ts";
import type { Notifier } from "../notifier.ts";
import { PAGERDUTY_SEVERITIES, PagerDutyNotifier, Secret, isPagerDutySeverity } from "./pagerduty.ts";
import type { PagerDutyConfig, TlsSettings } from "./pagerduty.ts";
import { scalarString, tlsConfigSchema, TLS_VERSIONS } from "../tls-config.ts";

/** Alertmanager's defaults for pagerduty_configs (config/notifiers.go, v0.25). */
export const PAGERDUTY_DEFAULTS = {
  url: "https://events.pagerduty.com/v2/enqueue",
  client: '{{ template "pagerduty.default.client" . }}',
  clientUrl: '{{ template "pagerduty.default.clientURL" . }}',
  description: '{{ template "pagerduty.default.description" .}}',
  details: {
    firing: '{{ template "pagerduty.default.instances" .Alerts.Firing }}',
    num_firing: "{{ .Alerts.Firing | len }}",
    num_resolved: "{{ .Alerts.Resolved | len }}",
    resolved: '{{ template "pagerduty.default.instances" .Alerts.Resolved }}',
  },
} as const;




/**
 * Alertmanager's http_config keys. All are recognised so that a valid Alertmanager file never fails with
 * "unknown field"; the ones this integration cannot honour yet fail the load with a clear message instead of
 * being ignored — a silently dropped proxy_url would only show up as failed pages.
 */
const UNSUPPORTED_HTTP_KEYS = [
  "basic_auth", "authorization", "bearer_token", "bearer_token_file", "oauth2", "proxy_url", "no_proxy",
  "proxy_from_environment", "proxy_connect_header",
] as const;

const httpConfigSchema = z.strictObject({
  tls_config: tlsConfigSchema.optional(),
  follow_redirects: z.boolean().optional(),
  // Only allows HTTP/2; speaking HTTP/1.1 is always acceptable to PagerDuty, so the value needs no action.
  enable_http2: z.boolean().optional(),
  ...Object.fromEntries(UNSUPPORTED_HTTP_KEYS.map((k) => [k, z.unknown().optional()])),
});

const imageSchema = z.strictObject({ src: z.string().optional(), alt: z.string().optional(), href: z.string().optional() });
const linkSchema = z.strictObject({ href: z.string().optional(), text: z.string().optional() });

const rawPagerDutySchema = z.strictObject({
  send_resolved: z.boolean().optional(),
  http_config: z.record(z.string(), z.unknown()).optional(),
  service_key: z.string().optional(),
  service_key_file: z.string().optional(),
  routing_key: z.string().optional(),
  routing_key_file: z.string().optional(),
  url: z.string().optional(),
  client: z.string().optional(),
  client_url: z.string().optional(),
  description: z.string().optional(),
  details: z.record(z.string(), scalarString).optional(),
  images: z.array(imageSchema).optional(),
  links: z.array(linkSchema).optional(),
  source: z.string().optional(),
  severity: z.string().optional(),
  class: z.string().optional(),
  component: z.string().optional(),
  group: z.string().optional(),
});

type Path = ReadonlyArray<string | number>;

/** Validates with zod, reporting the first problem at its own path (unknown keys at the key itself). */
function validate<S extends z.ZodType>(schema: S, raw: unknown, where: Where, note = ""): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    throw new ConfigError(`unknown field "${key}" in pagerduty_configs${note}`, where([...path, key]));
  }
  throw new ConfigError(`${issue.message}${note}`, where(path));
}

function parseHttpConfig(raw: unknown, inherited: boolean, where: Where): PagerDutyConfig["http"] {
  // An inherited block has no position of its own in the receiver; point at the entry and say where it came from.
  const note = inherited ? " (inherited from global.http_config)" : "";
  const at = (path: Path) => (inherited ? where([]) : where(["http_config", ...path]));
  if (raw === undefined) return { followRedirects: true };
  const h = validate(httpConfigSchema, raw, at, note) as z.output<typeof httpConfigSchema> & Record<string, unknown>;
  for (const key of UNSUPPORTED_HTTP_KEYS) {
    if (h[key] !== undefined) {
      throw new ConfigError(`http_config.${key} is not supported by AlertPrism's pagerduty integration yet${note}`, at([key]));
    }
  }
  const t = h.tls_config;
  let tls: TlsSettings | undefined;
  if (t) {
    for (const key of ["ca_file", "cert_file", "key_file"] as const) {
      const file = t[key];
      if (file !== undefined) checkReadable(file, `tls_config.${key}`, at(["tls_config", key]));
    }
    if ((t.cert_file === undefined) !== (t.key_file === undefined)) {
      throw new ConfigError(`tls_config needs both cert_file and key_file, or neither${note}`, at(["tls_config"]));
    }
    tls = {
      ...(t.ca_file !== undefined ? { caFile: t.ca_file } : {}),
      ...(t.cert_file !== undefined ? { certFile: t.cert_file } : {}),
      ...(t.key_file !== undefined ? { keyFile: t.key_file } : {}),
      ...(t.server_name !== undefined ? { serverName: t.server_name } : {}),
      insecureSkipVerify: t.insecure_skip_verify ?? false,
      ...(t.min_version !== undefined ? { minVersion: TLS_VERSIONS[t.min_version] } : {}),
    };
  }
  return { ...(tls ? { tls } : {}), followRedirects: h.follow_redirects ?? true };
}

/** Fails the load now rather than at the first page; the message names the file, never its content. */
function checkReadable(file: string, field: string, at: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${field} ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`, at);
  }
}

export function parsePagerDutyConfig(raw: Readonly<Record<string, unknown>>, global: Readonly<Record<string, unknown>>, where: Where): PagerDutyConfig {
  const c = validate(rawPagerDutySchema, raw, where);

  if (c.service_key !== undefined || c.service_key_file !== undefined) {
    // Events API v1 is PagerDuty's legacy integration; v2 carries everything v1 did (plus severity, links,
    // images) and every PagerDuty service can add a v2 integration. One wire format means one tested path.
    throw new ConfigError(
      "service_key selects PagerDuty's Events API v1, which AlertPrism does not send; add an \"Events API v2\" integration to the PagerDuty service and configure its integration key as routing_key",
      where([c.service_key !== undefined ? "service_key" : "service_key_file"]),
    );
  }
  if (c.routing_key === undefined && c.routing_key_file === undefined) {
    throw new ConfigError("missing routing key in PagerDuty config (routing_key or routing_key_file)", where([]));
  }
  if (c.routing_key !== undefined && c.routing_key_file !== undefined) {
    throw new ConfigError("at most one of routing_key & routing_key_file must be configured", where(["routing_key_file"]));
  }
  if (c.routing_key !== undefined && c.routing_key.trim() === "") throw new ConfigError("routing_key is empty", where(["routing_key"]));
  if (c.routing_key_file !== undefined && checkReadable(c.routing_key_file, "routing_key_file", where(["routing_key_file"])).trim() === "") {
    throw new ConfigError(`routing_key_file ${c.routing_key_file} is empty`, where(["routing_key_file"]));
  }

  const globalUrl = typeof global.pagerduty_url === "string" ? global.pagerduty_url : undefined;
  const url = c.url ?? globalUrl ?? PAGERDUTY_DEFAULTS.url;
  let parsedUrl: URL | undefined;
  try {
    parsedUrl = new URL(url);
  } catch {
    parsedUrl = undefined;
  }
  if (!parsedUrl || (parsedUrl.protocol !== "http:" && parsedUrl.protocol !== "https:")) {
    // The URL itself is not quoted: it may carry credentials.
    throw new ConfigError("url must be an absolute http:// or https:// URL", c.url !== undefined ? where(["url"]) : where([]));
  }

  if (c.severity !== undefined && !c.severity.includes("{{") && !isPagerDutySeverity(c.severity)) {
    // PagerDuty answers 400 to any other value, on every notification; catch it at load instead.
    throw new ConfigError(`severity must be one of ${PAGERDUTY_SEVERITIES.join(", ")} (got ${JSON.stringify(c.severity)})`, where(["severity"]));
  }

  // Alertmanager merges the default details into configured ones: a key the user sets replaces the default.
  const details: Record<string, string> = { ...PAGERDUTY_DEFAULTS.details, ...(c.details ?? {}) };

  const client = c.client ?? PAGERDUTY_DEFAULTS.client;
  const cfg: PagerDutyConfig = {
    sendResolved: c.send_resolved ?? true,
    ...(c.routing_key !== undefined ? { routingKey: new Secret(c.routing_key.trim()) } : { routingKeyFile: c.routing_key_file! }),
    url,
    client,
    clientUrl: c.client_url ?? PAGERDUTY_DEFAULTS.clientUrl,
    description: c.description ?? PAGERDUTY_DEFAULTS.description,
    details,
    images: (c.images ?? []).map((i) => ({ src: i.src ?? "", alt: i.alt ?? "", href: i.href ?? "" })),
    links: (c.links ?? []).map((l) => ({ href: l.href ?? "", text: l.text ?? "" })),
    // Alertmanager: an unset source is the client, including a configured one.
    source: c.source ?? client,
    ...(c.severity !== undefined ? { severity: c.severity } : {}),
    ...(c.class !== undefined ? { class: c.class } : {}),
    ...(c.component !== undefined ? { component: c.component } : {}),
    ...(c.group !== undefined ? { group: c.group } : {}),
    http: parseHttpConfig(c.http_config ?? global.http_config, c.http_config === undefined, where),
  };
  checkTemplates(cfg, where);
  return cfg;
}

/** Every text field the notifier renders must be renderable; the routing key is not templated (it is a secret). */
function checkTemplates(cfg: PagerDutyConfig, where: Where): void {
  const templater = new GoTemplater();
  const check = (text: string | undefined, path: Path) => {
    if (text !== undefined) templater.check(text, where(path));
  };
  check(cfg.client, ["client"]);
  check(cfg.clientUrl, ["client_url"]);
  check(cfg.description, ["description"]);
  check(cfg.source, ["source"]);
  check(cfg.severity, ["severity"]);
  check(cfg.class, ["class"]);
  check(cfg.component, ["component"]);
  check(cfg.group, ["group"]);
  for (const [k, v] of Object.entries(cfg.details)) check(v, ["details", k]);
  cfg.images.forEach((i, n) => {
    check(i.src, ["images", n, "src"]);
    check(i.alt, ["images", n, "alt"]);
    check(i.href, ["images", n, "href"]);
  });
  cfg.links.forEach((l, n) => {
    check(l.href, ["links", n, "href"]);
    check(l.text, ["links", n, "text"]);
  });
}

export const pagerdutyChannel: Channel<PagerDutyConfig> = {
  kind: "pagerduty",
  parseConfig: parsePagerDutyConfig,
  create(config: PagerDutyConfig, index: number, deps: ChannelDeps): Notifier {
    return new PagerDutyNotifier(config, index, deps);
  },
};
