/**
 * alertprism.yml's `notify.firewall`, validated into the receiver firewall: CIDR lists whose bad entries
 * fail the load with file:line (path). Off (undefined) when no range is blocked.
 */
import { parseYaml, readYamlFile, validateWith, type YamlSource } from "./yaml-source.ts";
import { alertprismSchema } from "./alertprism.ts";
import { ConfigError, errorMessage } from "../lib/errors.ts";
import { parseCidr, type Cidr } from "../auth/cidr.ts";
import { Firewall } from "../notify/firewall.ts";

export function loadFirewall(file: string, env?: NodeJS.ProcessEnv): Firewall | undefined {
  return firewallFrom(readYamlFile(file, env));
}

/** loadFirewall for text already in memory (tests, tools). */
export function parseFirewall(text: string, file = "alertprism.yml", env?: NodeJS.ProcessEnv): Firewall | undefined {
  return firewallFrom(parseYaml(text, file, env));
}

function firewallFrom(src: YamlSource): Firewall | undefined {
  const fw = validateWith(alertprismSchema, src).notify?.firewall;
  const cidrs = (key: "block_cidrs" | "allow_cidrs"): Cidr[] => (fw?.[key] ?? []).map((text, i) => {
    try {
      return parseCidr(text);
    } catch (err) {
      throw new ConfigError(errorMessage(err), src.where(["notify", "firewall", key, i]));
    }
  });
  const blockCidrs = cidrs("block_cidrs");
  const allowCidrs = cidrs("allow_cidrs");
  if (allowCidrs.length > 0 && blockCidrs.length === 0) {
    throw new ConfigError("allow_cidrs makes exceptions to block_cidrs, which is empty: nothing would be blocked", src.where(["notify", "firewall", "allow_cidrs"]));
  }
  return blockCidrs.length === 0 ? undefined : new Firewall({ blockCidrs, allowCidrs });
}
