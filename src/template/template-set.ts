import { ALERTMANAGER_FUNCS } from "./alertmanager-funcs.ts";
import { BUILTINS } from "./builtins.ts";
import { TemplateError } from "./errors.ts";
import type { Program } from "./exec.ts";
import { execute } from "./exec.ts";
import type { FuncMap, GoFunc } from "./funcs.ts";
import { goValueOf } from "./jsvalue.ts";
import type { Tree } from "./parser.ts";
import { isEmptyTree, parseTemplates } from "./parser.ts";
import { quote } from "./strconv.ts";

const FUNCS: FuncMap = new Map<string, GoFunc>([...BUILTINS, ...ALERTMANAGER_FUNCS]);
const BUILTIN_NAMES: ReadonlySet<string> = new Set(BUILTINS.keys());
const hasFunction = (name: string): boolean => FUNCS.has(name);

/** How many distinct config field texts keep their parse trees. */
const FIELD_CACHE_LIMIT = 1000;

/**
 * A set of associated templates, like Go's *template.Template after Alertmanager's FromGlobs: built-in
 * definitions are added with addDefinitions, the `templates:` files with addFile (as ParseGlob adds
 * them), and each config field is rendered as its own template that can call the files' {{define}}s
 * (Alertmanager's ExecuteTextString). Functions are text/template's builtins plus Alertmanager 0.25's;
 * missing map keys read as zero values ("missingkey=zero").
 *
 * Data may be a Go value from templateDataFrom/goValueOf, or plain JavaScript data (see goValueOf).
 * Everything that fails throws TemplateError with Go's message.
 */
export class TemplateSet {
  private readonly trees = new Map<string, Tree>();
  /** Parsed config fields: parsing depends only on the text, so one parse serves every render. */
  private readonly fieldCache = new Map<string, ReadonlyMap<string, Tree>>();

  constructor(private readonly rootName = "") {}

  /** template.New(name).Parse(text): a set holding `name` and whatever the text defines. */
  static parse(name: string, text: string): TemplateSet {
    const set = new TemplateSet(name);
    set.addFile(name, text);
    return set;
  }

  /**
   * Parses a templates file (named like Go's ParseGlob names it: the file's base name) and adds its
   * definitions and its top level under that name, even a top level that is only whitespace between
   * {{define}}s. A later non-empty tree replaces an earlier one of the same name (also a file of the same
   * base name from another directory); an empty one never replaces an existing one (Go's associate).
   */
  addFile(name: string, text: string): void {
    const parsed = parseTemplates(name, text, hasFunction);
    for (const [n, tree] of parsed) this.associate(this.trees, n, tree);
  }

  /**
   * Adds only the templates `text` {{define}}s; its top level takes no name. This is how Alertmanager
   * adds its built-in default.tmpl (parsed into the unnamed root template), so no file name is taken.
   */
  addDefinitions(text: string): void {
    const parsed = parseTemplates("", text, hasFunction);
    for (const [n, tree] of parsed) if (n !== "") this.associate(this.trees, n, tree);
  }

  private associate(into: Map<string, Tree>, name: string, tree: Tree): void {
    const old = into.get(name);
    if (old !== undefined && isEmptyTree(tree.root)) return;
    into.set(name, tree);
  }

  /** Whether a template of that name is defined. */
  has(name: string): boolean {
    return this.trees.has(name);
  }

  /** Names of the defined templates, sorted. */
  names(): string[] {
    return [...this.trees.keys()].sort();
  }

  /** Runs the named template (Go's ExecuteTemplate). */
  executeTemplate(name: string, data: unknown): string {
    const tree = this.trees.get(name);
    if (tree === undefined) {
      throw new TemplateError(`template: no template ${quote(name)} associated with template ${quote(this.rootName)}`, "exec");
    }
    return execute(this.program((n) => this.trees.get(n)), name, tree, goValueOf(data));
  }

  /**
   * Renders a config field's text as a template of its own, named "" (Alertmanager's ExecuteTextString):
   * an empty text renders as "", and the text may {{define}} templates for itself, which shadow the
   * set's (unless empty) without changing the set.
   */
  renderText(text: string, data: unknown): string {
    if (text === "") return "";
    const local = this.parseField(text);
    const lookup = (n: string): Tree | undefined => {
      const own = local.get(n);
      const shared = this.trees.get(n);
      if (own !== undefined && (shared === undefined || !isEmptyTree(own.root))) return own;
      return shared;
    };
    return execute(this.program(lookup), "", local.get("") as Tree, goValueOf(data));
  }

  /** Checks that a config field parses (for validating configuration up front). Throws TemplateError. */
  checkText(text: string): void {
    if (text !== "") this.parseField(text);
  }

  private parseField(text: string): ReadonlyMap<string, Tree> {
    const hit = this.fieldCache.get(text);
    if (hit !== undefined) return hit;
    const parsed = parseTemplates("", text, hasFunction);
    if (this.fieldCache.size >= FIELD_CACHE_LIMIT) this.fieldCache.delete(this.fieldCache.keys().next().value as string);
    this.fieldCache.set(text, parsed);
    return parsed;
  }

  private program(lookup: Program["lookup"]): Program {
    return { lookup, funcs: FUNCS, builtins: BUILTIN_NAMES };
  }
}
