import { quote } from "./strconv.ts";
import type { NumberReadings } from "./number-literal.ts";

/**
 * The parse tree, shaped like Go's text/template/parse nodes. Every node keeps its source (the text of the
 * Parse call it came from and that call's name) and its position in it, because execution errors name
 * the place as "name:line:column" and quote the node back as `at <…>` the way Go prints it.
 */

export interface Source {
  /** Name of the template whose text this is (Go's ParseName): a file's name, or "" for a config field. */
  readonly parseName: string;
  readonly text: string;
}

interface Base {
  /** UTF-16 index into src.text. */
  readonly pos: number;
  readonly src: Source;
}

export interface ListNode extends Base {
  readonly type: "list";
  readonly nodes: Node[];
}

export interface TextNode extends Base {
  readonly type: "text";
  readonly text: string;
}

export interface ActionNode extends Base {
  readonly type: "action";
  readonly pipe: PipeNode;
}

export interface BranchNode extends Base {
  readonly type: "if" | "range" | "with";
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | undefined;
}

export interface TemplateNode extends Base {
  readonly type: "template";
  readonly name: string;
  readonly pipe: PipeNode | undefined;
}

export interface LoopControlNode extends Base {
  readonly type: "break" | "continue";
}

export type Node = ListNode | TextNode | ActionNode | BranchNode | TemplateNode | LoopControlNode;

export interface PipeNode extends Base {
  readonly type: "pipe";
  /** `$x = …` rather than `$x := …`. */
  isAssign: boolean;
  readonly decl: VariableNode[];
  readonly cmds: CommandNode[];
}

export interface CommandNode extends Base {
  readonly type: "command";
  readonly args: Arg[];
}

export interface FieldNode extends Base {
  readonly type: "field";
  /** Field names without the dots: `.A.B` is ["A", "B"]. */
  readonly ident: readonly string[];
}

export interface VariableNode extends Base {
  readonly type: "variable";
  /** Variable name then fields: `$x.A` is ["$x", "A"]. */
  readonly ident: readonly string[];
}

export interface ChainNode extends Base {
  readonly type: "chain";
  readonly node: Arg;
  readonly field: readonly string[];
}

export interface IdentifierNode extends Base {
  readonly type: "identifier";
  readonly ident: string;
}

export interface DotNode extends Base {
  readonly type: "dot";
}

export interface NilNode extends Base {
  readonly type: "nil";
}

export interface BoolNode extends Base {
  readonly type: "bool";
  readonly value: boolean;
}

/** A numeric constant with every interpretation Go's parser found valid for it. */
export interface NumberNode extends Base, NumberReadings {
  readonly type: "number";
  readonly text: string;
}

export interface StringNode extends Base {
  readonly type: "string";
  /** As written, quotes included. */
  readonly quoted: string;
  readonly text: string;
}

export type Arg =
  | FieldNode | VariableNode | ChainNode | IdentifierNode | DotNode | NilNode | BoolNode | NumberNode | StringNode | PipeNode;

export type AnyNode = Node | Arg | CommandNode;

/** Go's Node.String(): the canonical text of a node, used in error messages. */
export function nodeString(n: AnyNode): string {
  switch (n.type) {
    case "list":
      return n.nodes.map(nodeString).join("");
    case "text":
      return n.text;
    case "action":
      return `{{${nodeString(n.pipe)}}}`;
    case "if":
    case "range":
    case "with":
      return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${n.elseList ? `{{else}}${nodeString(n.elseList)}` : ""}{{end}}`;
    case "template":
      return n.pipe ? `{{template ${quote(n.name)} ${nodeString(n.pipe)}}}` : `{{template ${quote(n.name)}}}`;
    case "break":
    case "continue":
      return `{{${n.type}}}`;
    case "pipe": {
      let s = "";
      if (n.decl.length > 0) s = n.decl.map(nodeString).join(", ") + (n.isAssign ? " = " : " := ");
      return s + n.cmds.map(nodeString).join(" | ");
    }
    case "command":
      return n.args.map((a) => (a.type === "pipe" ? `(${nodeString(a)})` : nodeString(a))).join(" ");
    case "field":
      return n.ident.map((id) => `.${id}`).join("");
    case "variable":
      return n.ident.join(".");
    case "chain":
      return (n.node.type === "pipe" ? `(${nodeString(n.node)})` : nodeString(n.node)) + n.field.map((f) => `.${f}`).join("");
    case "identifier":
      return n.ident;
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "bool":
      return n.value ? "true" : "false";
    case "number":
      return n.text;
    case "string":
      return n.quoted;
  }
}
