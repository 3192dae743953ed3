import { ConfigError, errorMessage } from "./lib/errors.ts";
import { GoFileError, openLikeGo, type GoFile } from "./lib/go-file.ts";
import { globTemplateFiles } from "./config/template-files.ts";
import { templateSetWith } from "./notify/templater.ts";
import { exampleTemplateData, TemplateDataError, TemplateError, templateDataFromJson } from "./template/index.ts";

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
  if (globs.length === 0) throw new ConfigError("required flag --template.glob not provided");
  if (text === undefined) throw new ConfigError("required flag --template.text not provided");
  let dataInput: GoFile | undefined;
  try {
    // In amtool's order: the data file is opened with the flags, read and decoded after the templates.
    dataInput = dataFile === undefined ? undefined : openLikeGo(dataFile);
    // Patterns are used as given, relative to the working directory, as amtool uses them.
    const files = globTemplateFiles(globs);
    const set = templateSetWith(files);
    // Without a data file: amtool's own example data, so the two tools' output can be compared.
    const data = dataInput === undefined ? exampleTemplateData() : templateDataFromJson(dataInput.readAll());
    out.write(set.renderText(text, data));
    return 0;
  } catch (e) {
    if (e instanceof TemplateError || e instanceof TemplateDataError || e instanceof GoFileError || e instanceof ConfigError) {
      err.write(`alertprism: error: ${errorMessage(e)}\n`);
      return 1;
    }
    throw e;
  } finally {
    dataInput?.close();
  }
}
