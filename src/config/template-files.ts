import { lstatSync, readdirSync, statSync } from "node:fs";
import { ConfigError } from "../lib/errors.ts";
import { GoFileError, openLikeGo } from "../lib/go-file.ts";

/**
 * Template files as Alertmanager 0.25 (Go 1.19) finds them: `path/filepath.Glob` + `Match` semantics
 * (wildcards in any path element, `\` escapes, `[…]` classes with ranges and `^`), then
 * `text/template.ParseGlob` per pattern — each file named after its base name.
 */

/** Go's filepath.ErrBadPattern text. */
export const ERR_BAD_PATTERN = "syntax error in pattern";

/** A malformed glob pattern (Go's filepath.ErrBadPattern). */
export class BadPatternError extends Error {
  override name = "BadPatternError";
  constructor() {
    super(ERR_BAD_PATTERN);
  }
}

// ---- path/filepath (Unix) ----------------------------------------------------------------------

/** Go's filepath.Clean: the shortest lexically equivalent path. */
export function goClean(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(seg);
  }
  const joined = out.join("/");
  if (rooted) return "/" + joined;
  return joined === "" ? "." : joined;
}

/** Go's filepath.Join: the non-empty elements joined by "/" and cleaned; "" when all are empty. */
export function goJoin(...elems: string[]): string {
  const parts = elems.filter((e) => e !== "");
  return parts.length === 0 ? "" : goClean(parts.join("/"));
}

/** Go's filepath.Split: everything up to and including the last "/", and the rest. */
export function goSplit(path: string): [dir: string, file: string] {
  const i = path.lastIndexOf("/");
  return [path.slice(0, i + 1), path.slice(i + 1)];
}

/** Go's filepath.Dir. */
export function goDir(path: string): string {
  return goClean(goSplit(path)[0]);
}

/** Go's filepath.Base. */
export function goBase(path: string): string {
  if (path === "") return ".";
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

// ---- filepath.Match ----------------------------------------------------------------------------

const SEP = 0x2f; // '/'
const BACKSLASH = 0x5c;
const RUNE_ERROR = 0xfffd;
const utf8 = new TextEncoder();

/** utf8.DecodeRune: the rune at the start of b and its width; (RuneError, 1) for invalid encodings. */
function decodeRune(b: Uint8Array): [rune: number, size: number] {
  const n = b.length;
  if (n === 0) return [RUNE_ERROR, 0];
  const c0 = b[0]!;
  if (c0 < 0x80) return [c0, 1];
  const cont = (i: number): number => (i < n && (b[i]! & 0xc0) === 0x80 ? b[i]! & 0x3f : -1);
  if (c0 >= 0xc2 && c0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? [RUNE_ERROR, 1] : [((c0 & 0x1f) << 6) | c1, 2];
  }
  if (c0 >= 0xe0 && c0 <= 0xef) {
    const c1 = cont(1);
    const c2 = cont(2);
    if (c1 < 0 || c2 < 0) return [RUNE_ERROR, 1];
    const r = ((c0 & 0x0f) << 12) | (c1 << 6) | c2;
    return r < 0x800 || (r >= 0xd800 && r <= 0xdfff) ? [RUNE_ERROR, 1] : [r, 3];
  }
  if (c0 >= 0xf0 && c0 <= 0xf4) {
    const c1 = cont(1);
    const c2 = cont(2);
    const c3 = cont(3);
    if (c1 < 0 || c2 < 0 || c3 < 0) return [RUNE_ERROR, 1];
    const r = ((c0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
    return r < 0x10000 || r > 0x10ffff ? [RUNE_ERROR, 1] : [r, 4];
  }
  return [RUNE_ERROR, 1];
}

/** scanChunk: leading stars, then the pattern up to the next star outside a class. */
function scanChunk(pattern: Uint8Array): [star: boolean, chunk: Uint8Array, rest: Uint8Array] {
  let star = false;
  while (pattern.length > 0 && pattern[0] === 0x2a) {
    pattern = pattern.subarray(1);
    star = true;
  }
  let inrange = false;
  let i = 0;
  scan: for (; i < pattern.length; i++) {
    switch (pattern[i]) {
      case BACKSLASH:
        // The error for a trailing backslash is matchChunk's.
        if (i + 1 < pattern.length) i++;
        break;
      case 0x5b: // [
        inrange = true;
        break;
      case 0x5d: // ]
        inrange = false;
        break;
      case 0x2a: // *
        if (!inrange) break scan;
        break;
    }
  }
  return [star, pattern.subarray(0, i), pattern.subarray(i)];
}

/** getEsc: a possibly escaped character of a class. */
function getEsc(chunk: Uint8Array): [rune: number, rest: Uint8Array] {
  if (chunk.length === 0 || chunk[0] === 0x2d || chunk[0] === 0x5d) throw new BadPatternError();
  if (chunk[0] === BACKSLASH) {
    chunk = chunk.subarray(1);
    if (chunk.length === 0) throw new BadPatternError();
  }
  const [r, n] = decodeRune(chunk);
  if (r === RUNE_ERROR && n === 1) throw new BadPatternError();
  const rest = chunk.subarray(n);
  if (rest.length === 0) throw new BadPatternError();
  return [r, rest];
}

/**
 * matchChunk: whether the chunk (literals, classes and `?` only) matches the start of s, and the rest of
 * s. After a failed match the chunk is still read to the end, so a malformed chunk is always reported.
 */
function matchChunk(chunk: Uint8Array, s: Uint8Array): Uint8Array | undefined {
  let failed = false;
  while (chunk.length > 0) {
    if (!failed && s.length === 0) failed = true;
    const c = chunk[0]!;
    if (c === 0x5b) {
      let r = 0;
      if (!failed) {
        const [rr, n] = decodeRune(s);
        r = rr;
        s = s.subarray(n);
      }
      chunk = chunk.subarray(1);
      let negated = false;
      if (chunk.length > 0 && chunk[0] === 0x5e) {
        negated = true;
        chunk = chunk.subarray(1);
      }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (chunk.length > 0 && chunk[0] === 0x5d && nrange > 0) {
          chunk = chunk.subarray(1);
          break;
        }
        let lo: number;
        let hi: number;
        [lo, chunk] = getEsc(chunk);
        hi = lo;
        if (chunk[0] === 0x2d) [hi, chunk] = getEsc(chunk.subarray(1));
        if (lo <= r && r <= hi) match = true;
        nrange++;
      }
      if (match === negated) failed = true;
    } else if (c === 0x3f) {
      if (!failed) {
        if (s[0] === SEP) failed = true;
        s = s.subarray(decodeRune(s)[1]);
      }
      chunk = chunk.subarray(1);
    } else {
      if (c === BACKSLASH) {
        chunk = chunk.subarray(1);
        if (chunk.length === 0) throw new BadPatternError();
      }
      if (!failed) {
        if (chunk[0] !== s[0]) failed = true;
        s = s.subarray(1);
      }
      chunk = chunk.subarray(1);
    }
  }
  return failed ? undefined : s;
}

/** matchChunk, with a malformed chunk reported as a value rather than thrown. */
function tryChunk(chunk: Uint8Array, s: Uint8Array): { rest?: Uint8Array; bad?: BadPatternError } {
  try {
    const rest = matchChunk(chunk, s);
    return rest === undefined ? {} : { rest };
  } catch (err) {
    if (err instanceof BadPatternError) return { bad: err };
    throw err;
  }
}

/**
 * Go's filepath.Match: whether name matches the shell pattern. Throws BadPatternError when the pattern is
 * malformed — always, when nothing matches (Go 1.16+); when the name matches early, the rest of the
 * pattern is checked only as far as matching reads it, as in Go.
 */
export function goMatch(pattern: string, name: string): boolean {
  let p: Uint8Array = utf8.encode(pattern);
  let s: Uint8Array = utf8.encode(name);
  patterns: while (p.length > 0) {
    const [star, chunk, rest] = scanChunk(p);
    p = rest;
    if (star && chunk.length === 0) return !s.includes(SEP); // a trailing * matches the rest without a /
    const here = tryChunk(chunk, s);
    // The last chunk must use up the name; otherwise a star may still match it.
    if (here.rest !== undefined && (here.rest.length === 0 || p.length > 0)) {
      s = here.rest;
      continue;
    }
    if (here.bad) throw here.bad;
    if (star) {
      // Look for a match skipping i+1 bytes; a star cannot skip a /.
      for (let i = 0; i < s.length && s[i] !== SEP; i++) {
        const t = tryChunk(chunk, s.subarray(i + 1));
        if (t.rest !== undefined) {
          if (p.length === 0 && t.rest.length > 0) continue;
          s = t.rest;
          continue patterns;
        }
        if (t.bad) throw t.bad;
      }
    }
    // Before returning false, check that the rest of the pattern is well-formed.
    while (p.length > 0) {
      const [, c, r] = scanChunk(p);
      p = r;
      matchChunk(c, new Uint8Array(0));
    }
    return false;
  }
  return s.length === 0;
}

// ---- filepath.Glob -----------------------------------------------------------------------------

/** Go 1.19 bounds the recursion over directory parts (CVE-2022-30632). */
const PATH_SEPARATORS_LIMIT = 10_000;

function hasMeta(path: string): boolean {
  return /[*?[\\]/.test(path);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Go's filepath.Glob: the names matching the pattern, sorted per directory, as paths built like Go
 * builds them (Join(dir, name), so relative patterns give relative paths). Throws BadPatternError for a
 * malformed pattern even when nothing matches; I/O errors (an unreadable or missing directory) are
 * ignored; a pattern without meta characters matches the file it names when that exists (lstat).
 */
export function goGlob(pattern: string): string[] {
  return globWithLimit(pattern, 0);
}

function globWithLimit(pattern: string, depth: number): string[] {
  if (depth === PATH_SEPARATORS_LIMIT) throw new BadPatternError();
  goMatch(pattern, ""); // well-formed?
  if (!hasMeta(pattern)) {
    try {
      lstatSync(pattern);
    } catch {
      return [];
    }
    return [pattern];
  }
  const [rawDir, file] = goSplit(pattern);
  const dir = cleanGlobPath(rawDir);
  if (!hasMeta(dir)) return globDir(dir, file, []);
  // Prevent infinite recursion (Go's issue 15879).
  if (dir === pattern) throw new BadPatternError();
  const matches: string[] = [];
  for (const d of globWithLimit(dir, depth + 1)) globDir(d, file, matches);
  return matches;
}

function cleanGlobPath(path: string): string {
  if (path === "") return ".";
  if (path === "/") return path;
  return path.slice(0, -1); // chop off the trailing separator
}

/** Go's glob(): the entries of dir matching pattern, appended to matches in byte order. */
function globDir(dir: string, pattern: string, matches: string[]): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) return matches;
    names = readdirSync(dir);
  } catch {
    return matches; // ignore I/O errors, as Go does
  }
  names.sort(byteOrder);
  for (const n of names) if (goMatch(pattern, n)) matches.push(goJoin(dir, n));
  return matches;
}

// ---- FromGlobs ---------------------------------------------------------------------------------

/** A template file to parse, named as ParseGlob names it (its base name). */
export interface TemplateFileEntry {
  readonly name: string;
  readonly path: string;
  readonly text: string;
  /**
   * Set on the last entry when loading stops there, as Alertmanager's FromGlobs would: a malformed
   * pattern or a file Go fails to read. Loading parses the files before it, then throws this error, so
   * a parse error in an earlier file is reported first, as in Go.
   */
  readonly error?: ConfigError;
}

/**
 * Alertmanager's template.FromGlobs over already-resolved patterns: for each pattern in order, Go's Glob
 * (a malformed pattern stops loading with "syntax error in pattern"; a pattern matching nothing adds
 * nothing), then each match read in Glob's order and named after its base name.
 * `where(i)` locates pattern i for errors (a config file's line); without it errors carry no location.
 */
export function globTemplateFiles(patterns: readonly string[], where?: (index: number) => string): TemplateFileEntry[] {
  const out: TemplateFileEntry[] = [];
  for (const [i, pattern] of patterns.entries()) {
    const stop = (message: string): TemplateFileEntry[] => {
      out.push({ name: "", path: "", text: "", error: new ConfigError(message, where?.(i)) });
      return out;
    };
    let matches: string[];
    try {
      matches = goGlob(pattern);
    } catch (err) {
      if (err instanceof BadPatternError) return stop(err.message);
      throw err;
    }
    for (const path of matches) {
      let text: string;
      try {
        text = openLikeGo(path).readAll().toString("utf8");
      } catch (err) {
        if (err instanceof GoFileError) return stop(err.message);
        throw err;
      }
      out.push({ name: goBase(path), path, text });
    }
  }
  return out;
}

/**
 * Expands Alertmanager's `templates:` globs. Relative patterns are joined to the config file's
 * directory as Alertmanager does (Go's filepath.Join(filepath.Dir(file), pattern), which cleans the
 * path), so paths in errors look like Alertmanager's: relative when the config file's path is. `where(i)`
 * locates pattern i in the config file. See globTemplateFiles.
 */
export function readTemplateFiles(patterns: readonly string[], configFile: string, where?: (index: number) => string): TemplateFileEntry[] {
  const base = goDir(configFile);
  const resolved = patterns.map((p) => (p === "" || p.startsWith("/") ? p : goJoin(base, p)));
  return globTemplateFiles(resolved, where);
}
