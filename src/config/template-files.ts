import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { ConfigError, errorMessage } from "../lib/errors.ts";

/**
 * Expands Alertmanager's `templates:` globs, relative to the config file's directory as Alertmanager
 * resolves them. Wildcards (`*`, `?`, `[…]`) are supported in the file name part, which is how they are
 * used in practice (`templates/*.tmpl`); a pattern matching nothing adds nothing, as in Alertmanager.
 */
export function readTemplateFiles(patterns: readonly string[], configFile: string): Array<{ name: string; text: string; path: string }> {
  const base = dirname(resolve(configFile));
  const out: Array<{ name: string; text: string; path: string }> = [];
  for (const pattern of patterns) {
    const full = isAbsolute(pattern) ? pattern : join(base, pattern);
    const dir = dirname(full);
    const namePattern = basename(full);
    let names: string[];
    if (/[*?[]/.test(dirname(full))) throw new ConfigError(`templates: wildcards are supported in file names only: ${JSON.stringify(pattern)}`, configFile);
    if (/[*?[]/.test(namePattern)) {
      const re = globToRegExp(namePattern);
      try {
        names = readdirSync(dir).filter((n) => re.test(n)).sort();
      } catch {
        names = [];
      }
    } else {
      names = [namePattern];
    }
    for (const n of names) {
      const path = join(dir, n);
      try {
        if (!statSync(path).isFile()) continue;
        out.push({ name: n, text: readFileSync(path, "utf8"), path });
      } catch (err) {
        if (/[*?[]/.test(namePattern)) continue;
        throw new ConfigError(`cannot read template file: ${errorMessage(err)}`, path);
      }
    }
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  let re = "^";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        const body = glob.slice(i + 1, end);
        re += `[${body.startsWith("^") ? "^" + body.slice(1).replace(/\\/g, "\\\\") : body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(re + "$");
}
