import { AsyncLocalStorage } from "node:async_hooks";
import { ConfigError } from "../lib/errors.ts";
import { TemplateSet, TemplateError, templateDataFrom } from "../template/index.ts";
import { DEFAULT_TEMPLATES } from "./default-templates.ts";
import type { NotificationData, Templater } from "./notifier.ts";

/** A template file to load, as `templates:` globs find them (see config/template-files.ts). */
export interface TemplateFile {
  /** The file's base name, under which its top level can be executed (`{{ template "x.tmpl" . }}`). */
  readonly name: string;
  readonly text: string;
  /** Loading stops at this entry with this error, after the files before it are parsed (Go's order). */
  readonly error?: Error;
}

/**
 * The built-in defaults, then the user's files, as Alertmanager's FromGlobs builds its set: the built-ins
 * contribute only their {{define}}s and take no file name (so a user's `default.tmpl` is executable by
 * name), and each file's definitions replace the defaults of the same name.
 */
export function templateSetWith(files: readonly TemplateFile[] = []): TemplateSet {
  const set = new TemplateSet();
  set.addDefinitions(DEFAULT_TEMPLATES);
  for (const f of files) {
    if (f.error) throw f.error;
    set.addFile(f.name, f.text);
  }
  return set;
}

/**
 * Template errors met while one notification is being sent, so the pipeline can record them on the
 * delivery. The pipeline runs each send inside `templateErrors.run([], …)`.
 */
export const templateErrors = new AsyncLocalStorage<string[]>();

export interface GoTemplaterOptions {
  readonly set?: TemplateSet;
  /** For a config text that fails at send time: the built-in default of the same field. */
  readonly fallbacks?: ReadonlyMap<string, string>;
  /** Called for every render error (metrics, logs). */
  readonly onError?: (message: string) => void;
}

/**
 * Renders config fields with the Go template engine. A render error never loses a notification: the
 * field falls back to its built-in default (or to empty text), and the error is reported.
 */
export class GoTemplater implements Templater {
  private readonly set: TemplateSet;
  private readonly converted = new WeakMap<NotificationData, ReturnType<typeof templateDataFrom>>();

  constructor(private readonly opts: GoTemplaterOptions = {}) {
    this.set = opts.set ?? templateSetWith();
  }

  render(text: string, data: NotificationData): string {
    let value = this.converted.get(data);
    if (!value) this.converted.set(data, (value = templateDataFrom(data)));
    try {
      return this.set.renderText(text, value);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      this.opts.onError?.(err.message);
      templateErrors.getStore()?.push(err.message);
      const fallback = this.opts.fallbacks?.get(text);
      if (fallback === undefined || fallback === text) return "";
      try {
        return this.set.renderText(fallback, value);
      } catch {
        return "";
      }
    }
  }

  /** Syntax check at config load; references to other templates are checked by rendering sample data. */
  check(text: string, where: string): void {
    try {
      TemplateSet.parse("", text);
    } catch (err) {
      if (err instanceof TemplateError) throw new ConfigError(`template: ${err.message}`, where);
      throw err;
    }
  }
}
