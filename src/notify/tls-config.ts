import type { SecureVersion } from "node:tls";
import { z } from "zod";

/** Alertmanager's tls_config as the non-HTTP-client integrations (SMTP, PagerDuty) honour it. */
export interface TlsSettings {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly serverName?: string;
  readonly insecureSkipVerify: boolean;
  readonly minVersion?: SecureVersion;
}

export const tlsConfigSchema = z.strictObject({
  ca_file: z.string().optional(),
  cert_file: z.string().optional(),
  key_file: z.string().optional(),
  server_name: z.string().optional(),
  insecure_skip_verify: z.boolean().optional(),
  min_version: z.enum(["TLS10", "TLS11", "TLS12", "TLS13"]).optional(),
});

/** Go's tls.VersionTLSxx names, as prometheus/common spells them, in Node's spelling. */
export const TLS_VERSIONS = { TLS10: "TLSv1", TLS11: "TLSv1.1", TLS12: "TLSv1.2", TLS13: "TLSv1.3" } as const;

/** YAML turns `X-Priority: 1` into a number; Alertmanager's Go YAML decoder reads any scalar into a string. */
export const scalarString = z.union([z.string(), z.number(), z.boolean()]).transform(String);
