import { basename } from "node:path";
import { loadAlertmanagerConfigFile } from "./config/alertmanager.ts";
import { loadAlertPrismFile } from "./config/alertprism.ts";
import { errorMessage } from "./lib/errors.ts";
import type { Settings } from "./settings.ts";

/** `alertprism check-config [files]`: validates configs without starting, like `amtool check-config`. */
export function checkConfig(settings: Settings, files: readonly string[], out: NodeJS.WritableStream): number {
  const targets = files.length > 0 ? files.map((f) => ({ file: f, kind: basename(f).startsWith("alertprism") ? "alertprism" : "alertmanager" }))
    : [{ file: settings.configFile, kind: "alertmanager" }, ...(settings.alertprismFile ? [{ file: settings.alertprismFile, kind: "alertprism" }] : [])];
  let failed = 0;
  for (const t of targets) {
    try {
      if (t.kind === "alertprism") {
        loadAlertPrismFile(t.file);
        out.write(`Checking '${t.file}'  SUCCESS\n`);
      } else {
        const c = loadAlertmanagerConfigFile(t.file);
        out.write(`Checking '${t.file}'  SUCCESS\nFound:\n - global config\n - route\n - ${c.inhibitRules.length} inhibit rules\n - ${c.receivers.length} receivers\n - ${c.templates.length} templates\n`);
      }
    } catch (err) {
      failed++;
      out.write(`Checking '${t.file}'  FAILED: ${errorMessage(err)}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}
