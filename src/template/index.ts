/**
 * Go's text/template as Alertmanager 0.25 uses it (Go 1.19 semantics, "missingkey=zero"), with
 * Alertmanager's template functions and its notification data model. Verified against
 * `amtool template render` by test/e2e/template-differential.test.ts.
 *
 * Typical use:
 *   const set = new TemplateSet();
 *   set.addFile("slack.tmpl", text);                        // each `templates:` file, by base name
 *   set.renderText(fieldText, templateDataFrom(notification)); // each config field
 *
 * Known differences from Go:
 * - html/template (Alertmanager's email `html` field) is not implemented: this is text/template only.
 * - Alertmanager's default templates (default.tmpl) are not bundled; add them with addFile.
 * - time.Local is UTC. Times keep only their UTC offset and whether they are Local: a "+00:00" time
 *   prints as "UTC" (right when the server runs in UTC), and `.Location`/`.In` are not available.
 * - Strings are JavaScript strings: invalid UTF-8 (from "\xff" escapes or slicing inside a character)
 *   becomes U+FFFD instead of raw bytes.
 * - `call` has nothing to call (the data holds no functions); slices have no spare capacity.
 * - A time printed with a non-string verb (%d of .StartsAt) shows its String(), not Go's struct internals.
 */
export { TemplateSet } from "./template-set.ts";
export { TemplateError } from "./errors.ts";
export { templateDataFrom } from "./data.ts";
export { templateDataFromJson, TemplateDataError } from "./data-json.ts";
export { exampleTemplateData } from "./example-data.ts";
export type { TemplateAlertInput, TemplateDataInput } from "./data.ts";
export { goValueOf } from "./jsvalue.ts";
export type { Value as TemplateValue } from "./types.ts";
