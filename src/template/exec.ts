import { truth } from "./builtins.ts";
import { execMessage, TemplateError } from "./errors.ts";
import type { FuncMap, GoFunc } from "./funcs.ts";
import type { AnyNode, Arg, BranchNode, ChainNode, CommandNode, FieldNode, IdentifierNode, ListNode, Node, NumberNode, PipeNode, TemplateNode, VariableNode } from "./nodes.ts";
import { nodeString } from "./nodes.ts";
import type { Tree } from "./parser.ts";
import { formatV, sprint } from "./printf.ts";
import { quote } from "./strconv.ts";
import type { Callable, GoType, Param, Value } from "./types.ts";
import { ANY, assignable, bool, complex, float, GoError, int, INVALID, str, STRING, uint, zeroOf } from "./types.ts";
import { compareStrings } from "./unicode.ts";

/**
 * Runs a parse tree against data with Go 1.19 text/template semantics and "missingkey=zero" (as
 * Alertmanager sets it). The structure follows Go's observable behaviour closely, down to which node an
 * error names: Go reports the node it most recently started evaluating, so `at(node)` is called exactly
 * where that changes.
 */

/** Finds a template by name for {{template}}; undefined when not defined. */
export type Lookup = (name: string) => Tree | undefined;

/** The "no value from a previous command" marker, distinct from a missing (invalid) value. */
const MISSING: unique symbol = Symbol("missing");
type Final = Value | typeof MISSING;

type Flow = "normal" | "break" | "continue";

const MAX_DEPTH = 100_000;

interface Variable {
  readonly name: string;
  value: Value;
}

/** What evalCall needs to know about a function or method besides how to run it. */
interface Signature extends Callable {
  readonly shortCircuit?: "and" | "or" | undefined;
}

type Invoke = (args: readonly Value[]) => Value;

function paramName(p: Param): string {
  return p === "any" ? "interface {}" : p === "value" ? "reflect.Value" : p.name;
}

function isHexInt(s: string): boolean {
  return s.length > 2 && s[0] === "0" && (s[1] === "x" || s[1] === "X") && !/[pP]/.test(s);
}

export interface Program {
  readonly lookup: Lookup;
  readonly funcs: FuncMap;
  /** Names whose and/or short-circuit (the builtins, not look-alikes a user might add). */
  readonly builtins: ReadonlySet<string>;
}

/** Executes `tree` as the template `name` with `data` as dot and $. */
export function execute(program: Program, name: string, tree: Tree, data: Value): string {
  const out: string[] = [];
  const s = new State(program, out, name, [{ name: "$", value: data }], 0);
  s.walk(data, tree.root);
  return out.join("");
}

class State {
  /** The node being evaluated, for error messages. */
  private node: AnyNode | undefined;

  constructor(
    private readonly program: Program,
    private readonly out: string[],
    private readonly name: string,
    private readonly vars: Variable[],
    private readonly depth: number,
  ) {}

  private at(node: AnyNode): void {
    this.node = node;
  }

  private errorf(message: string): never {
    throw new TemplateError(execMessage(this.name, this.node, message), "exec");
  }

  // ---- variables ------------------------------------------------------------------------------

  private setVar(name: string, value: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as Variable;
      if (v.name === name) {
        v.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: Value): void {
    (this.vars[this.vars.length - n] as Variable).value = value;
  }

  private varValue(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as Variable;
      if (v.name === name) return v.value;
    }
    this.errorf(`undefined variable: ${name}`);
  }

  // ---- statements -----------------------------------------------------------------------------

  walk(dot: Value, node: Node): Flow {
    this.at(node);
    switch (node.type) {
      case "action": {
        // Declared variables persist until the enclosing {{end}}; declarations print nothing.
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return "normal";
      }
      case "break":
      case "continue":
        return node.type;
      case "if":
      case "with":
        return this.walkIfOrWith(dot, node);
      case "list":
        return this.walkList(dot, node);
      case "range":
        this.walkRange(dot, node);
        return "normal";
      case "template":
        this.walkTemplate(dot, node);
        return "normal";
      case "text":
        this.out.push(node.text);
        return "normal";
    }
  }

  private walkList(dot: Value, list: ListNode): Flow {
    for (const n of list.nodes) {
      const flow = this.walk(dot, n);
      if (flow !== "normal") return flow;
    }
    return "normal";
  }

  private walkIfOrWith(dot: Value, node: BranchNode): Flow {
    const mark = this.vars.length;
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (truth(val)) return this.walk(node.type === "with" ? val : dot, node.list);
      if (node.elseList) return this.walk(dot, node.elseList);
      return "normal";
    } finally {
      this.vars.length = mark;
    }
  }

  private walkRange(dot: Value, r: BranchNode): void {
    this.at(r);
    const outer = this.vars.length;
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.vars.length;
      const decl = r.pipe.decl;
      const iteration = (index: Value, elem: Value): Flow => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar((decl[0] as VariableNode).ident[0] as string, decl.length > 1 ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar((decl[1] as VariableNode).ident[0] as string, elem);
          else this.setTopVar(2, index);
        }
        try {
          return this.walk(elem, r.list);
        } finally {
          this.vars.length = mark;
        }
      };
      switch (val.kind) {
        case "slice":
          if (val.v.length === 0) break;
          for (let i = 0; i < val.v.length; i++) {
            if (iteration(int(i), val.v[i] as Value) === "break") return;
          }
          return;
        case "map": {
          if (val.v.size === 0) break;
          const keyType = val.type.key as GoType;
          for (const k of [...val.v.keys()].sort(compareStrings)) {
            if (iteration(str(k, keyType), val.v.get(k) as Value) === "break") return;
          }
          return;
        }
        case "invalid":
          // A missing value (a nil map, say) just has nothing to iterate over.
          break;
        default:
          this.errorf(`range can't iterate over ${formatV(val)}`);
      }
      if (r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.vars.length = outer;
    }
  }

  private walkTemplate(dot: Value, t: TemplateNode): void {
    this.at(t);
    const tree = this.program.lookup(t.name);
    if (tree === undefined) this.errorf(`template ${quote(t.name)} not defined`);
    if (this.depth === MAX_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
    const newDot = t.pipe ? this.evalPipeline(dot, t.pipe) : INVALID;
    // No dynamic scoping: the callee sees only $.
    const callee = new State(this.program, this.out, t.name, [{ name: "$", value: newDot }], this.depth + 1);
    try {
      callee.walk(newDot, tree.root);
    } catch (err) {
      // Go allows 100000 nested calls; JavaScript's stack gives out first. Report it the same way.
      // (No regular expressions here: with the stack exhausted, compiling one throws too. If building the
      // message overflows again, the caller's frame catches that RangeError and tries with more room.)
      if (err instanceof RangeError && err.message.includes("call stack")) {
        this.at(t);
        this.errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
      }
      throw err;
    }
  }

  private printValue(node: AnyNode, v: Value): void {
    this.at(node);
    this.out.push(v.kind === "invalid" ? "<no value>" : v.kind === "nil" ? "<nil>" : sprint([v]));
  }

  // ---- pipelines and commands --------------------------------------------------------------

  private evalPipeline(dot: Value, pipe: PipeNode): Value {
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // A value of type interface{} is replaced by what it holds; a nil one becomes "no value".
      if (value.kind === "nil") value = INVALID;
    }
    const result: Value = value === MISSING ? INVALID : value;
    for (const v of pipe.decl) {
      const name = v.ident[0] as string;
      if (pipe.isAssign) this.setVar(name, result);
      else this.vars.push({ name, value: result });
    }
    return result;
  }

  private notAFunction(args: readonly Arg[] | undefined, final: Final): void {
    if ((args !== undefined && args.length > 1) || final !== MISSING) {
      this.errorf(`can't give argument to non-function ${nodeString((args as readonly Arg[])[0] as Arg)}`);
    }
  }

  private evalCommand(dot: Value, cmd: CommandNode, final: Final): Value {
    const first = cmd.args[0] as Arg;
    switch (first.type) {
      case "field":
        return this.evalFieldNode(dot, first, cmd.args, final);
      case "chain":
        return this.evalChainNode(dot, first, cmd.args, final);
      case "identifier":
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case "pipe":
        // A parenthesised pipeline: its arguments are inside it.
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case "variable":
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case "bool":
        return bool(first.value);
      case "dot":
        return dot;
      case "nil":
        this.errorf("nil is not a command");
      // falls through (errorf never returns)
      case "number":
        return this.idealConstant(first);
      case "string":
        return str(first.text);
    }
  }

  /** A number with no type to guide it: complex, float (when written like one), else int. */
  private idealConstant(n: NumberNode): Value {
    this.at(n);
    if (n.isComplex) return complex(n.re, n.im);
    if (n.isFloat && !isHexInt(n.text) && n.text[0] !== "'" && /[.eEpP]/.test(n.text)) return float(n.float);
    if (n.isInt) return int(n.int);
    if (n.isUint) this.errorf(`${n.text} overflows int`);
    return INVALID;
  }

  private evalFieldNode(dot: Value, field: FieldNode, args: readonly Arg[] | undefined, final: Final): Value {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: Value, chain: ChainNode, args: readonly Arg[] | undefined, final: Final): Value {
    this.at(chain);
    if (chain.node.type === "nil") this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const receiver = this.evalArg(dot, undefined, chain.node);
    return this.evalFieldChain(dot, receiver, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: Value, variable: VariableNode, args: readonly Arg[] | undefined, final: Final): Value {
    this.at(variable);
    const value = this.varValue(variable.ident[0] as string);
    if (variable.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: Value, receiver: Value, node: AnyNode, ident: readonly string[], args: readonly Arg[] | undefined, final: Final): Value {
    let r = receiver;
    for (let i = 0; i < ident.length - 1; i++) r = this.evalField(dot, ident[i] as string, node, undefined, MISSING, r);
    return this.evalField(dot, ident[ident.length - 1] as string, node, args, final, r);
  }

  private evalField(dot: Value, fieldName: string, node: AnyNode, args: readonly Arg[] | undefined, final: Final, receiver: Value): Value {
    if (receiver.kind === "invalid") return INVALID;
    const typ = receiver.type;
    if (receiver.kind === "nil") this.errorf(`nil pointer evaluating ${typ.name}.${fieldName}`);
    const method = typ.methods.get(fieldName);
    if (method !== undefined) {
      return this.evalCall(dot, method, (a) => method.call(receiver, a), node, fieldName, args, final);
    }
    const hasArgs = (args !== undefined && args.length > 1) || final !== MISSING;
    if (receiver.kind === "struct" || receiver.kind === "time") {
      const index = typ.fields.findIndex((f) => f.name === fieldName);
      const info = typ.fields[index];
      if (info !== undefined) {
        if (!info.exported) this.errorf(`${fieldName} is an unexported field of struct type ${typ.name}`);
        if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
        if (receiver.kind === "struct") return receiver.v[index] as Value;
      }
    } else if (receiver.kind === "map" && typ.key !== undefined && assignable(STRING, typ.key)) {
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      // missingkey=zero: an absent key reads as the element type's zero value.
      return receiver.v.get(fieldName) ?? zeroOf(typ.elem as GoType);
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${typ.name}`);
  }

  private evalFunction(dot: Value, node: IdentifierNode, cmd: AnyNode, args: readonly Arg[] | undefined, final: Final): Value {
    this.at(node);
    const name = node.ident;
    const fn: GoFunc | undefined = this.program.funcs.get(name);
    if (fn === undefined) this.errorf(`${quote(name)} is not a defined function`);
    // Only the real and/or short-circuit (a same-named user function would not).
    const sig: Signature = fn.shortCircuit !== undefined && !this.program.builtins.has(name) ? { ...fn, shortCircuit: undefined } : fn;
    return this.evalCall(dot, sig, (a) => fn.call(a), cmd, name, args, final);
  }

  /** Calls a function or method: checks the argument count and types as Go does, then runs it. */
  private evalCall(dot: Value, fn: Signature, invoke: Invoke, node: AnyNode, name: string, args: readonly Arg[] | undefined, final: Final): Value {
    const argNodes = args !== undefined ? args.slice(1) : [];
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    const params = fn.params;
    let numFixed = argNodes.length;
    if (fn.variadic) {
      numFixed = params.length - 1;
      if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${argNodes.length}`);
    } else if (numIn !== params.length) {
      this.errorf(`wrong number of args for ${name}: want ${params.length} got ${numIn}`);
    }
    if (!(fn.results === 1 || (fn.results === 2 && fn.returnsError))) {
      this.errorf(`can't call method/function ${quote(name)} with ${fn.results} results`);
    }
    if (fn.shortCircuit !== undefined) {
      let v: Value = INVALID;
      for (const a of argNodes) {
        v = this.evalArg(dot, "value", a);
        if (truth(v) === (fn.shortCircuit === "or")) return v;
      }
      if (final !== MISSING) v = this.validateType(final, "value");
      return v;
    }
    const argv: Value[] = [];
    let i = 0;
    for (; i < numFixed && i < argNodes.length; i++) argv.push(this.evalArg(dot, params[i] as Param, argNodes[i] as Arg));
    if (fn.variadic) {
      const elem = params[params.length - 1] as Param;
      for (; i < argNodes.length; i++) argv.push(this.evalArg(dot, elem, argNodes[i] as Arg));
    }
    if (final !== MISSING) {
      // The piped value is the last argument: a fixed parameter's type, or the variadic element's.
      const t = fn.variadic && numIn - 1 < numFixed ? (params[numIn - 1] as Param) : (params[params.length - 1] as Param);
      argv.push(this.validateType(final, t));
    }
    try {
      return invoke(argv);
    } catch (err) {
      if (err instanceof GoError) {
        this.at(node);
        this.errorf(`error calling ${name}: ${err.message}`);
      }
      throw err;
    }
  }

  // ---- arguments ------------------------------------------------------------------------------

  /** Evaluates an argument for a parameter of type `typ` (undefined: no expectation). */
  private evalArg(dot: Value, typ: Param | undefined, n: Arg): Value {
    this.at(n);
    switch (n.type) {
      case "dot":
        return this.validateType(dot, typ);
      case "nil":
        if (typ === "value" || typ === undefined) return INVALID;
        if (typ === "any") return zeroOf(ANY);
        if (typ.kind === "slice" || typ.kind === "map" || typ.kind === "interface") return zeroOf(typ);
        this.errorf(`cannot assign nil to ${typ.name}`);
      // falls through (errorf never returns)
      case "field":
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case "variable":
        return this.validateType(this.evalVariableNode(dot, n, undefined, MISSING), typ);
      case "pipe":
        return this.validateType(this.evalPipeline(dot, n), typ);
      case "identifier":
        return this.validateType(this.evalFunction(dot, n, n, undefined, MISSING), typ);
      case "chain":
        return this.validateType(this.evalChainNode(dot, n, undefined, MISSING), typ);
    }
    if (typ === undefined) this.errorf(`can't handle ${nodeString(n)} for arg of type <nil>`);
    if (typ === "any" || typ === "value") return this.evalEmptyInterface(dot, n);
    switch (typ.kind) {
      case "bool":
        if (n.type === "bool") return bool(n.value, typ);
        this.errorf(`expected bool; found ${nodeString(n)}`);
      // falls through
      case "int":
        if (n.type === "number" && n.isInt) return int(n.int, typ);
        this.errorf(`expected integer; found ${nodeString(n)}`);
      // falls through
      case "uint":
        if (n.type === "number" && n.isUint) return uint(n.uint, typ);
        this.errorf(`expected unsigned integer; found ${nodeString(n)}`);
      // falls through
      case "float":
        if (n.type === "number" && n.isFloat) return float(n.float, typ);
        this.errorf(`expected float; found ${nodeString(n)}`);
      // falls through
      case "complex":
        if (n.type === "number" && n.isComplex) return complex(n.re, n.im);
        this.errorf(`expected complex; found ${nodeString(n)}`);
      // falls through
      case "string":
        if (n.type === "string") return str(n.text, typ);
        this.errorf(`expected string; found ${nodeString(n)}`);
      // falls through
      case "interface":
        return this.evalEmptyInterface(dot, n);
    }
    this.errorf(`can't handle ${nodeString(n)} for arg of type ${typ.name}`);
  }

  private evalEmptyInterface(dot: Value, n: Arg): Value {
    this.at(n);
    switch (n.type) {
      case "bool":
        return bool(n.value);
      case "dot":
        return dot;
      case "field":
        return this.evalFieldNode(dot, n, undefined, MISSING);
      case "identifier":
        return this.evalFunction(dot, n, n, undefined, MISSING);
      case "nil":
        this.errorf("evalEmptyInterface: nil (can't happen)");
      // falls through
      case "number":
        return this.idealConstant(n);
      case "string":
        return str(n.text);
      case "variable":
        return this.evalVariableNode(dot, n, undefined, MISSING);
      case "pipe":
        return this.evalPipeline(dot, n);
      case "chain":
        return this.evalChainNode(dot, n, undefined, MISSING);
    }
  }

  /** Checks that a computed value can be passed as `typ`, as Go's reflection-based call would. */
  private validateType(value: Value, typ: Param | undefined): Value {
    if (typ === undefined || typ === "value" || typ === "any") return value;
    if (value.kind === "invalid") {
      if (typ.kind === "slice" || typ.kind === "map" || typ.kind === "interface") return zeroOf(typ);
      this.errorf(`invalid value; expected ${typ.name}`);
    }
    if (!assignable(value.type, typ)) this.errorf(`wrong type for value; expected ${paramName(typ)}; got ${value.type.name}`);
    return value;
  }
}
