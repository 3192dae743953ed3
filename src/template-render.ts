import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, errorMessage } from "./lib/errors.ts";
import { readTemplateFiles } from "./config/template-files.ts";
import { templateSetWith } from "./notify/templater.ts";
import { TemplateError, templateDataFromJson } from "./template/index.ts";

/** Alertmanager's example data, used when no --template.data is given (as amtool does). */
const EXAMPLE_DATA = {
  receiver: "receiver",
  status: "firing",
  alerts: [
    { status: "firing", labels: { alertname: "Example", instance: "host1:9100", severity: "critical" }, annotations: { summary: "an example alert" }, startsAt: "2026-11-22T03:00:00Z", endsAt: "0001-01-01T00:00:00Z", generatorURL: "http://prometheus:9090/graph", fingerprint: "0000000000000001" },
    { status: "resolved", labels: { alertname: "Example", instance: "host2:9100", severity: "critical" }, annotations: { summary: "an example alert" }, startsAt: "2026-11-22T02:00:00Z", endsAt: "2026-11-22T02:30:00Z", generatorURL: "http://prometheus:9090/graph", fingerprint: "0000000000000002" },
  ],
  groupLabels: { alertname: "Example" },
  commonLabels: { alertname: "Example", severity: "critical" },
  commonAnnotations: { summary: "an example alert" },
  externalURL: "http://alertprism:9093",
};

/**
 * `alertprism template render --template.glob=… --template.text=… [--template.data=file.json]`: amtool's
 * command, so a template can be tried before it is deployed. AlertPrism's built-in default templates
 * are loaded first, so `{{ template "slack.default.title" . }}` works too.
 */
export function templateRender(args: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  const globs: string[] = [];
  let text: string | undefined;
  let dataFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf("=");
    const [flag, inline] = eq >= 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new ConfigError(`flag ${flag} needs a value`);
      return v;
    };
    if (flag === "--template.glob") globs.push(value());
    else if (flag === "--template.text") text = value();
    else if (flag === "--template.data") dataFile = value();
    else if (flag === "--template.type") value(); // text only; accepted for amtool compatibility
    else throw new ConfigError(`unknown flag ${flag} (template render takes --template.glob, --template.text, --template.data)`);
  }
  if (text === undefined) throw new ConfigError("required flag --template.text not provided");
  try {
    const files = readTemplateFiles(globs, join(process.cwd(), "cli"));
    const set = templateSetWith(files);
    const data = dataFile ? (JSON.parse(readFileSync(dataFile, "utf8")) as unknown) : EXAMPLE_DATA;
    out.write(set.renderText(text, templateDataFromJson(data)));
    return 0;
  } catch (e) {
    if (e instanceof TemplateError || e instanceof SyntaxError || e instanceof ConfigError) {
      err.write(`alertprism: error: ${errorMessage(e)}\n`);
      return 1;
    }
    throw e;
  }
}
