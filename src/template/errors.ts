import type { AnyNode, Source } from "./nodes.ts";
import { nodeString } from "./nodes.ts";
import { quote } from "./strconv.ts";
import { utf8Length } from "./unicode.ts";

/**
 * A template that failed to parse or execute. The message is Go's, e.g.
 * `template: name:1: function "nope" not defined` or
 * `template: name:1:5: executing "name" at <.Foo>: can't evaluate field Foo in type template.Data`,
 * so what users see matches Alertmanager's logs and `amtool template render`.
 */
export class TemplateError extends Error {
  override readonly name = "TemplateError";
  constructor(
    message: string,
    /** Whether the text was rejected before running ("parse") or failed while running ("exec"). */
    readonly phase: "parse" | "exec",
  ) {
    super(message);
  }
}

/** 1-based line of a UTF-16 position. */
export function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < pos; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/**
 * Go's ErrorContext: "parseName:line:col" with col the byte offset within the line (0-based, in UTF-8
 * bytes, as Go counts), and the node printed back.
 */
export function errorContext(node: AnyNode): { location: string; context: string } {
  const src: Source = node.src;
  const before = src.text.slice(0, node.pos);
  const nl = before.lastIndexOf("\n");
  const col = utf8Length(before.slice(nl + 1));
  return { location: `${src.parseName}:${lineAt(src.text, node.pos)}:${col}`, context: nodeString(node) };
}

/** An execution error message, with or without the node being evaluated. */
export function execMessage(templateName: string, node: AnyNode | undefined, message: string): string {
  if (node === undefined) return `template: ${templateName}: ${message}`;
  const { location, context } = errorContext(node);
  return `template: ${location}: executing ${quote(templateName)} at <${context}>: ${message}`;
}
