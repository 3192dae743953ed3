import { TemplateError } from "./errors.ts";
import type { Token, TokenType } from "./lexer.ts";
import { describeToken, lex } from "./lexer.ts";
import type { Arg, BranchNode, CommandNode, ListNode, Node, PipeNode, Source, TemplateNode, VariableNode } from "./nodes.ts";
import { nodeString } from "./nodes.ts";
import { readNumber } from "./number-literal.ts";
import { quote, unquote, UnquoteError } from "./strconv.ts";
import { isSpace } from "./unicode.ts";

/**
 * Builds parse trees from template text with Go 1.19's text/template grammar and error messages. One call
 * parses one text (a file, or a config field) and yields its main tree plus every {{define}} and {{block}}
 * in it, keyed by name, with Go's rule that a non-empty definition may not be given twice in one text.
 */

export interface Tree {
  readonly name: string;
  readonly root: ListNode;
  readonly src: Source;
}

/** `{{end}}` and `{{else}}` end a list; they never reach a finished tree. */
interface EndMarker {
  readonly type: "end";
}
interface ElseMarker {
  readonly type: "else";
  readonly pos: number;
}
type Item = Node | EndMarker | ElseMarker;

function itemString(n: Item): string {
  if (n.type === "end") return "{{end}}";
  if (n.type === "else") return "{{else}}";
  return nodeString(n);
}

/** Per-tree parser state: a define or block body starts afresh with only `$` in scope. */
interface Scope {
  vars: string[];
  rangeDepth: number;
  /** Line of the action being parsed, so lexer errors on later lines can say where it started. */
  actionLine: number;
}

/** Go's parse.IsEmptyTree: nothing but whitespace text. */
export function isEmptyTree(n: Node): boolean {
  if (n.type === "list") return n.nodes.every(isEmptyTree);
  if (n.type === "text") return trimGoSpace(n.text) === "";
  return false;
}

function trimGoSpace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s.codePointAt(a) as number)) a++;
  while (b > a && isSpace(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

/**
 * Parses `text` as the template `name`. `hasFunction` says which identifiers are callable: Go rejects
 * unknown functions at parse time.
 */
export function parseTemplates(name: string, text: string, hasFunction: (name: string) => boolean): Map<string, Tree> {
  return new Parser(lex(text), { parseName: name, text }, hasFunction).parseMain(name);
}

class Parser {
  private i = 0;
  /** Index of the furthest token read: Go reports the line of the most recently lexed token. */
  private furthest = 0;
  private readonly trees = new Map<string, Tree>();
  private scope: Scope = { vars: ["$"], rangeDepth: 0, actionLine: 0 };

  constructor(
    private readonly tokens: readonly Token[],
    private readonly src: Source,
    private readonly hasFunction: (name: string) => boolean,
  ) {}

  // ---- token stream ----------------------------------------------------------------------------

  private at(i: number): Token {
    // Past the end (only after an error token) the last token repeats.
    const t = this.tokens[Math.min(i, this.tokens.length - 1)] as Token;
    if (i > this.furthest) this.furthest = Math.min(i, this.tokens.length - 1);
    return t;
  }

  private next(): Token {
    return this.at(this.i++);
  }

  private backup(): void {
    this.i--;
  }

  private peek(): Token {
    return this.at(this.i);
  }

  private nextNonSpace(): Token {
    let t: Token;
    do t = this.next();
    while (t.type === "space");
    return t;
  }

  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  private errorf(message: string): never {
    const line = (this.tokens[this.furthest] as Token).line;
    throw new TemplateError(`template: ${this.src.parseName}:${line}: ${message}`, "parse");
  }

  private unexpected(t: Token, context: string): never {
    if (t.type === "error") {
      let extra = "";
      if (this.scope.actionLine !== 0 && this.scope.actionLine !== t.line) {
        extra = ` in action started at ${this.src.parseName}:${this.scope.actionLine}`;
        if (t.val.endsWith(" action")) extra = extra.slice(" in action".length);
      }
      this.errorf(`${t.val}${extra}`);
    }
    this.errorf(`unexpected ${describeToken(t)} in ${context}`);
  }

  private expect(type: TokenType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  // ---- trees -------------------------------------------------------------------------------------

  parseMain(name: string): Map<string, Tree> {
    const root = this.list(this.peek().pos);
    while (this.peek().type !== "eof") {
      if (this.peek().type === "leftDelim") {
        const mark = this.i;
        this.next();
        if (this.nextNonSpace().type === "define") {
          this.inNewScope(() => this.parseDefinition());
          continue;
        }
        this.i = mark;
      }
      const n = this.textOrAction();
      if (n.type === "end" || n.type === "else") this.errorf(`unexpected ${itemString(n)}`);
      root.nodes.push(n);
    }
    this.add(name, root);
    return this.trees;
  }

  private inNewScope<T>(f: () => T): T {
    const saved = this.scope;
    this.scope = { vars: ["$"], rangeDepth: 0, actionLine: 0 };
    try {
      return f();
    } finally {
      this.scope = saved;
    }
  }

  /** Records a finished tree; an empty one never replaces, and two non-empty ones are an error. */
  private add(name: string, root: ListNode): void {
    const existing = this.trees.get(name);
    if (existing === undefined || isEmptyTree(existing.root)) {
      this.trees.set(name, { name, root, src: this.src });
      return;
    }
    if (!isEmptyTree(root)) this.errorf(`template: multiple definition of template ${quote(name)}`);
  }

  private parseDefinition(): void {
    const context = "define clause";
    const t = this.nextNonSpace();
    if (t.type !== "string" && t.type !== "rawString") this.unexpected(t, context);
    const name = this.unquote(t.val);
    this.expect("rightDelim", context);
    const [root, end] = this.itemList();
    if (end.type !== "end") this.errorf(`unexpected ${itemString(end)} in ${context}`);
    this.add(name, root);
  }

  private unquote(lit: string): string {
    try {
      return unquote(lit);
    } catch (err) {
      if (err instanceof UnquoteError) this.errorf(err.message);
      throw err;
    }
  }

  private list(pos: number): ListNode {
    return { type: "list", pos, src: this.src, nodes: [] };
  }

  /** Nodes up to the {{end}} or {{else}} that closes them. */
  private itemList(): [ListNode, EndMarker | ElseMarker] {
    const list = this.list(this.peekNonSpace().pos);
    while (this.peekNonSpace().type !== "eof") {
      const n = this.textOrAction();
      if (n.type === "end" || n.type === "else") return [list, n];
      list.nodes.push(n);
    }
    this.errorf("unexpected EOF");
  }

  private textOrAction(): Item {
    const t = this.nextNonSpace();
    switch (t.type) {
      case "text":
        return { type: "text", pos: t.pos, src: this.src, text: t.val };
      case "leftDelim":
        this.scope.actionLine = t.line;
        try {
          return this.action();
        } finally {
          // Go clears the line when an action ends, even one nested in another's body.
          this.scope.actionLine = 0;
        }
    }
    this.unexpected(t, "input");
  }

  private action(): Item {
    const t = this.nextNonSpace();
    switch (t.type) {
      case "block":
        return this.blockControl();
      case "break":
      case "continue":
        return this.loopControl(t);
      case "else":
        return this.elseControl();
      case "end":
        this.expect("rightDelim", "end");
        return { type: "end" };
      case "if":
        return this.branch("if", true);
      case "range":
        return this.branch("range", false);
      case "template":
        return this.templateControl();
      case "with":
        return this.branch("with", false);
    }
    this.backup();
    const pos = this.peek().pos;
    // Variables declared here stay in scope until the enclosing {{end}}.
    return { type: "action", pos, src: this.src, pipe: this.pipeline("command", "rightDelim") };
  }

  private loopControl(t: Token): Node {
    const name = t.type === "break" ? "break" : "continue";
    const after = this.nextNonSpace();
    if (after.type !== "rightDelim") this.unexpected(after, `{{${name}}}`);
    if (this.scope.rangeDepth === 0) this.errorf(`{{${name}}} outside {{range}}`);
    return { type: name, pos: t.pos, src: this.src };
  }

  private elseControl(): ElseMarker {
    // "{{else if" leaves the "if" for the enclosing {{if}} to read as a nested one.
    const peek = this.peekNonSpace();
    if (peek.type === "if") return { type: "else", pos: peek.pos };
    const t = this.expect("rightDelim", "else");
    return { type: "else", pos: t.pos };
  }

  private branch(type: "if" | "range" | "with", allowElseIf: boolean): BranchNode {
    const savedVars = this.scope.vars.length;
    try {
      const pipe = this.pipeline(type, "rightDelim");
      if (type === "range") this.scope.rangeDepth++;
      const [list, end] = this.itemList();
      let next = end;
      if (type === "range") this.scope.rangeDepth--;
      let elseList: ListNode | undefined;
      if (next.type === "else") {
        if (allowElseIf && this.peek().type === "if") {
          // {{if a}}…{{else if b}}…{{end}} is {{if a}}…{{else}}{{if b}}…{{end}}{{end}}: one {{end}} for both.
          this.next();
          elseList = this.list(next.pos);
          elseList.nodes.push(this.branch("if", true));
        } else {
          [elseList, next] = this.itemList();
          if (next.type !== "end") this.errorf(`expected end; found ${itemString(next)}`);
        }
      }
      return { type, pos: pipe.pos, src: this.src, pipe, list, elseList };
    } finally {
      this.scope.vars.length = savedVars;
    }
  }

  private templateName(t: Token, context: string): string {
    if (t.type === "string" || t.type === "rawString") return this.unquote(t.val);
    this.unexpected(t, context);
  }

  private templateControl(): TemplateNode {
    const context = "template clause";
    const t = this.nextNonSpace();
    const name = this.templateName(t, context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().type !== "rightDelim") {
      this.backup();
      pipe = this.pipeline(context, "rightDelim");
    }
    return { type: "template", pos: t.pos, src: this.src, name, pipe };
  }

  /** {{block "name" pipeline}}body{{end}}: defines "name" and calls it in place. */
  private blockControl(): TemplateNode {
    const context = "block clause";
    const t = this.nextNonSpace();
    const name = this.templateName(t, context);
    const pipe = this.pipeline(context, "rightDelim");
    this.inNewScope(() => {
      const [root, end] = this.itemList();
      if (end.type !== "end") this.errorf(`unexpected ${itemString(end)} in ${context}`);
      this.add(name, root);
    });
    return { type: "template", pos: t.pos, src: this.src, name, pipe };
  }

  // ---- pipelines ---------------------------------------------------------------------------------

  private pipeline(context: string, end: "rightDelim" | "rightParen"): PipeNode {
    const first = this.peekNonSpace();
    const pipe: PipeNode = { type: "pipe", pos: first.pos, src: this.src, isAssign: false, decl: [], cmds: [] };
    this.declarations(pipe, context);
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.type) {
        case "bool": case "charConstant": case "complex": case "dot": case "field": case "identifier":
        case "number": case "nil": case "rawString": case "string": case "variable": case "leftParen":
          this.backup();
          pipe.cmds.push(this.command());
          continue;
      }
      this.unexpected(t, context);
    }
  }

  /** `$x :=`, `$x =`, and in range `$i, $e :=`. */
  private declarations(pipe: PipeNode, context: string): void {
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== "variable") return;
      const mark = this.i;
      this.next();
      const next = this.peekNonSpace();
      if (next.type === "assign" || next.type === "declare") {
        pipe.isAssign = next.type === "assign";
        this.nextNonSpace();
        pipe.decl.push(this.variable(v.pos, v.val));
        this.scope.vars.push(v.val);
        return;
      }
      if (next.type === "char" && next.val === ",") {
        this.nextNonSpace();
        pipe.decl.push(this.variable(v.pos, v.val));
        this.scope.vars.push(v.val);
        if (context === "range" && pipe.decl.length < 2) {
          const after = this.peekNonSpace().type;
          if (after === "variable" || after === "rightDelim" || after === "rightParen") continue;
          this.errorf("range can only initialize variables");
        }
        this.errorf(`too many declarations in ${context}`);
      }
      // An operand after all: "$x foo".
      this.i = mark;
      return;
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    // Only the first command may start with a constant: in A|B|C, B and C receive a value.
    pipe.cmds.slice(1).forEach((c, i) => {
      switch (c.args[0]?.type) {
        case "bool": case "dot": case "nil": case "number": case "string":
          this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: "command", pos: this.peekNonSpace().pos, src: this.src, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand !== undefined) cmd.args.push(operand);
      const t = this.next();
      if (t.type === "space") continue;
      if (t.type === "rightDelim" || t.type === "rightParen") this.backup();
      else if (t.type !== "pipe") this.unexpected(t, "operand");
      break;
    }
    if (cmd.args.length === 0) this.errorf("empty command");
    return cmd;
  }

  /** A term and any `.Field` chain after it. */
  private operand(): Arg | undefined {
    const node = this.term();
    if (node === undefined) return undefined;
    if (this.peek().type !== "field") return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === "field") fields.push(this.next().val.slice(1));
    switch (node.type) {
      // `.A.B` and `$x.A` stay field and variable nodes, positioned where the chain starts.
      case "field":
        return { type: "field", pos, src: this.src, ident: [...node.ident, ...fields] };
      case "variable":
        return { type: "variable", pos, src: this.src, ident: [...node.ident, ...fields] };
      case "bool": case "string": case "number": case "nil": case "dot":
        this.errorf(`unexpected . after term ${quote(nodeString(node))}`);
    }
    return { type: "chain", pos, src: this.src, node, field: fields };
  }

  private term(): Arg | undefined {
    const t = this.nextNonSpace();
    const base = { pos: t.pos, src: this.src };
    switch (t.type) {
      case "identifier":
        if (!this.hasFunction(t.val)) this.errorf(`function ${quote(t.val)} not defined`);
        return { type: "identifier", ...base, ident: t.val };
      case "dot":
        return { type: "dot", ...base };
      case "nil":
        return { type: "nil", ...base };
      case "variable":
        if (!this.scope.vars.includes(t.val)) this.errorf(`undefined variable ${quote(t.val)}`);
        return this.variable(t.pos, t.val);
      case "field":
        return { type: "field", ...base, ident: [t.val.slice(1)] };
      case "bool":
        return { type: "bool", ...base, value: t.val === "true" };
      case "charConstant":
      case "complex":
      case "number": {
        const r = readNumber(t.val, t.type);
        if (typeof r === "string") this.errorf(r);
        return { type: "number", ...base, text: t.val, ...r };
      }
      case "leftParen":
        return this.pipeline("parenthesized pipeline", "rightParen");
      case "string":
      case "rawString":
        return { type: "string", ...base, quoted: t.val, text: this.unquote(t.val) };
    }
    this.backup();
    return undefined;
  }

  private variable(pos: number, name: string): VariableNode {
    return { type: "variable", pos, src: this.src, ident: [name] };
  }
}
