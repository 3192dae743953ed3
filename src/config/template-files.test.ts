import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, describe, test } from "node:test";
import { ConfigError } from "../lib/errors.ts";
import { BadPatternError, globTemplateFiles, goBase, goClean, goDir, goGlob, goJoin, goMatch, readTemplateFiles } from "./template-files.ts";

const BAD = "bad";

/** Go 1.19's path/filepath matchTests (Unix), plus cases for the checks Go 1.16 added. */
const MATCH_TESTS: Array<[pattern: string, name: string, want: boolean | typeof BAD]> = [
  ["abc", "abc", true],
  ["*", "abc", true],
  ["*c", "abc", true],
  ["a*", "a", true],
  ["a*", "abc", true],
  ["a*", "ab/c", false],
  ["a*/b", "abc/b", true],
  ["a*/b", "a/c/b", false],
  ["a*b*c*d*e*/f", "axbxcxdxe/f", true],
  ["a*b*c*d*e*/f", "axbxcxdxexxx/f", true],
  ["a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false],
  ["a*b*c*d*e*/f", "axbxcxdxexxx/fff", false],
  ["a*b?c*x", "abxbbxdbxebxczzx", true],
  ["a*b?c*x", "abxbbxdbxebxczzy", false],
  ["ab[c]", "abc", true],
  ["ab[b-d]", "abc", true],
  ["ab[e-g]", "abc", false],
  ["ab[^c]", "abc", false],
  ["ab[^b-d]", "abc", false],
  ["ab[^e-g]", "abc", true],
  ["a\\*b", "a*b", true],
  ["a\\*b", "ab", false],
  ["a?b", "a☺b", true],
  ["a[^a]b", "a☺b", true],
  ["a???b", "a☺b", false],
  ["a[^a][^a][^a]b", "a☺b", false],
  ["[a-ζ]*", "α", true],
  ["*[a-ζ]", "A", false],
  ["a?b", "a/b", false],
  ["a*b", "a/b", false],
  ["[\\]a]", "]", true],
  ["[\\-]", "-", true],
  ["[x\\-]", "x", true],
  ["[x\\-]", "-", true],
  ["[x\\-]", "z", false],
  ["[\\-x]", "x", true],
  ["[\\-x]", "-", true],
  ["[\\-x]", "a", false],
  ["[]a]", "]", BAD],
  ["[-]", "-", BAD],
  ["[x-]", "x", BAD],
  ["[x-]", "-", BAD],
  ["[x-]", "z", BAD],
  ["[-x]", "x", BAD],
  ["[-x]", "-", BAD],
  ["[-x]", "a", BAD],
  ["\\", "a", BAD],
  ["[a-b-c]", "a", BAD],
  ["[", "a", BAD],
  ["[^", "a", BAD],
  ["[^bc", "a", BAD],
  ["a[", "a", BAD],
  ["a[", "ab", BAD],
  ["a[", "x", BAD],
  ["a/b[", "x", BAD],
  ["*x", "xxx", true],
  // More of Go's behaviour, as amtool shows it.
  ["[]", "", BAD],
  ["x[", "", BAD],
  ["[^]", "x", BAD],
  ["[\\]", "x", BAD],
  ["*/[", "a/b", BAD],
  ["[z-a]", "b", false], // an empty range is well-formed and matches nothing
  ["[!a]", "!", true], // ! is not negation in Go
  ["\\a", "a", true],
  ["", "", true],
  ["", "a", false],
  ["*", "", true],
  ["*", ".hidden", true], // no special case for dotfiles
  ["?", "é", true], // one rune, two bytes
  ["??", "é", false],
  ["[à-ÿ]", "é", true],
  // A star tries later positions, never across a /.
  ["*.tmpl", "a.tmpl.tmpl", true],
  ["*b", "a/b", false],
];

describe("Go's filepath.Match", () => {
  for (const [pattern, name, want] of MATCH_TESTS) {
    test(`Match(${JSON.stringify(pattern)}, ${JSON.stringify(name)}) = ${String(want)}`, () => {
      if (want === BAD) {
        assert.throws(() => goMatch(pattern, name), (err: unknown) => err instanceof BadPatternError && err.message === "syntax error in pattern");
      } else {
        assert.equal(goMatch(pattern, name), want);
      }
    });
  }

  test("a failed match still checks the rest of the pattern (Go 1.16+)", () => {
    assert.throws(() => goMatch("a*[", "b"), BadPatternError);
    assert.throws(() => goMatch("a[", "b"), BadPatternError);
    assert.throws(() => goMatch("x*y[", "x/y"), BadPatternError);
  });
});

describe("Go's path functions", () => {
  const cases: Array<[string, string]> = [
    ["", "."], ["abc", "abc"], ["abc/def", "abc/def"], ["a/b/c", "a/b/c"], [".", "."], ["..", ".."], ["../..", "../.."],
    ["../../abc", "../../abc"], ["/abc", "/abc"], ["/", "/"], ["abc/", "abc"], ["abc/def/", "abc/def"], ["/abc/", "/abc"],
    ["abc//def//ghi", "abc/def/ghi"], ["//abc", "/abc"], ["abc//", "abc"], ["abc/./def", "abc/def"], ["/./abc/def", "/abc/def"],
    ["abc/.", "abc"], ["abc/def/ghi/../jkl", "abc/def/jkl"], ["abc/def/../ghi/../jkl", "abc/jkl"], ["abc/def/..", "abc"],
    ["abc/def/../..", "."], ["/abc/def/../..", "/"], ["abc/def/../../..", ".."], ["/abc/def/../../..", "/"],
    ["abc/def/../../../ghi/jkl/../../../mno", "../../mno"], ["/../abc", "/abc"], ["abc/./../def", "def"], ["abc//./../def", "def"],
    ["abc/../../././../def", "../../def"], ["a\\b/../*", "*"],
  ];
  for (const [path, want] of cases) test(`Clean(${JSON.stringify(path)}) = ${JSON.stringify(want)}`, () => assert.equal(goClean(path), want));

  test("Join, Dir, Base", () => {
    assert.equal(goJoin(".", "templates/*.tmpl"), "templates/*.tmpl");
    assert.equal(goJoin("/etc/am", "../x/[ab].tmpl"), "/etc/x/[ab].tmpl");
    assert.equal(goJoin("", ""), "");
    assert.equal(goJoin("a", ""), "a");
    assert.equal(goDir("alertmanager.yml"), ".");
    assert.equal(goDir("/etc/am/alertmanager.yml"), "/etc/am");
    assert.equal(goDir("conf/am.yml"), "conf");
    assert.equal(goBase("a/b/c.tmpl"), "c.tmpl");
    assert.equal(goBase("a/b/"), "b");
    assert.equal(goBase("/"), "/");
    assert.equal(goBase(""), ".");
  });
});

describe("Go's filepath.Glob and Alertmanager's FromGlobs", () => {
  const root = mkdtempSync(join(tmpdir(), "alertprism-glob-"));
  after(() => rmSync(root, { recursive: true, force: true }));
  const file = (path: string, text = "") => {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  file("t/a/one.tmpl", '{{ define "one" }}a{{ end }}');
  file("t/b/one.tmpl", "b top");
  file("t/b/z.tmpl");
  file("t/b/B.tmpl");
  file("t/b/é.tmpl");
  file("t/b/.hidden.tmpl");
  file("t/b/deep/x.tmpl");
  file("t/[x].tmpl", "literal");
  file("t/x.tmpl", "class");
  mkdirSync(join(root, "t/dir.tmpl"));
  symlinkSync(join(root, "missing"), join(root, "t/dangling.tmpl"));
  const rel = (paths: string[]) => paths.map((p) => relative(root, p));

  test("wildcards in directory parts; each directory's matches sorted by bytes", () => {
    assert.deepEqual(rel(goGlob(`${root}/t/*/*.tmpl`)), ["t/a/one.tmpl", "t/b/.hidden.tmpl", "t/b/B.tmpl", "t/b/one.tmpl", "t/b/z.tmpl", "t/b/é.tmpl"]);
    assert.deepEqual(rel(goGlob(`${root}/t/?/one.tmpl`)), ["t/a/one.tmpl", "t/b/one.tmpl"]);
    assert.deepEqual(rel(goGlob(`${root}/*/[^a]/*/*.tmpl`)), ["t/b/deep/x.tmpl"]);
  });

  test("escapes and classes", () => {
    assert.deepEqual(rel(goGlob(`${root}/t/\\[x\\].tmpl`)), ["t/[x].tmpl"]);
    assert.deepEqual(rel(goGlob(`${root}/t/[x].tmpl`)), ["t/x.tmpl"]);
    assert.deepEqual(rel(goGlob(`${root}/t/a/one\\.tmpl`)), ["t/a/one.tmpl"]);
  });

  test("bad patterns fail even when nothing could match; a well-formed pattern matching nothing is fine", () => {
    for (const p of ["[", "x[", "[]", "a\\", `${root}/nowhere/[`, `${root}/*/[`, "nowhere/*/["]) assert.throws(() => goGlob(p), BadPatternError, p);
    assert.deepEqual(goGlob(`${root}/nomatch*.tmpl`), []);
    assert.deepEqual(goGlob("/nonexistent.tmpl"), []);
    assert.deepEqual(goGlob(`${root}/t/a/one.tmpl/*`), [], "a file is not searched as a directory");
  });

  test("a pattern without meta characters names what exists (lstat): a directory, a dangling symlink", () => {
    assert.deepEqual(goGlob(`${root}/t/a`), [`${root}/t/a`]);
    assert.deepEqual(goGlob(`${root}/t/dangling.tmpl`), [`${root}/t/dangling.tmpl`]);
    assert.deepEqual(goGlob(`${root}/t/a/`), [`${root}/t/a/`], "kept as given, trailing slash and all");
  });

  test("files are named after their base names, in Glob's order, pattern by pattern", () => {
    const files = globTemplateFiles([`${root}/t/b/one.tmpl`, `${root}/t/*/one.tmpl`]);
    assert.deepEqual(files.map((f) => [f.name, relative(root, f.path), f.text]), [
      ["one.tmpl", "t/b/one.tmpl", "b top"],
      ["one.tmpl", "t/a/one.tmpl", '{{ define "one" }}a{{ end }}'],
      ["one.tmpl", "t/b/one.tmpl", "b top"],
    ]);
  });

  test("loading stops at a bad pattern or an unreadable match, after the files before it", () => {
    const where = (i: number) => `am.yml:${i + 10}:5 (templates[${i}])`;
    const bad = globTemplateFiles([`${root}/t/a/*.tmpl`, "[", `${root}/t/b/*.tmpl`], where);
    assert.deepEqual(bad.map((f) => f.name), ["one.tmpl", ""]);
    assert.ok(bad[1]!.error instanceof ConfigError);
    assert.equal(bad[1]!.error.message, "am.yml:11:5 (templates[1]): syntax error in pattern");
    const dir = globTemplateFiles([`${root}/t/*.tmpl`]);
    assert.deepEqual(dir.map((f) => f.name), ["[x].tmpl", ""]);
    assert.equal(dir.at(-1)!.error?.message, `open ${root}/t/dangling.tmpl: no such file or directory`);
    const isDir = globTemplateFiles([`${root}/t/d*.tmpl`]);
    assert.equal(isDir[0]!.error?.message, `open ${root}/t/dangling.tmpl: no such file or directory`);
    assert.equal(globTemplateFiles([`${root}/t/di*.tmpl`])[0]!.error?.message, `read ${root}/t/dir.tmpl: is a directory`);
    assert.equal(globTemplateFiles(["."])[0]!.error?.message, "read .: is a directory");
  });

  test("templates: patterns are joined to the config file's directory as Alertmanager joins them", () => {
    const config = join(root, "t", "am.yml");
    assert.deepEqual(readTemplateFiles(["b/one.tmpl", "./a/../a/*.tmpl", "/nonexistent.tmpl"], config).map((f) => relative(root, f.path)), ["t/b/one.tmpl", "t/a/one.tmpl"]);
    // Join cleans: a trailing slash goes, so "*/" names directories (and fails), as in Alertmanager.
    assert.equal(readTemplateFiles(["a/"], config)[0]!.error?.message, `read ${root}/t/a: is a directory`);
    // A relative config path gives relative paths, as Alertmanager's errors show them.
    const cwd = process.cwd();
    process.chdir(root);
    try {
      assert.equal(readTemplateFiles(["dee*"], "t/b/am.yml", (i) => `t/b/am.yml:6:5 (templates[${i}])`)[0]!.error?.message, "t/b/am.yml:6:5 (templates[0]): read t/b/deep: is a directory");
      assert.deepEqual(readTemplateFiles(["nomatch*", "a/*"], "t/am.yml").map((f) => f.path), ["t/a/one.tmpl"]);
    } finally {
      process.chdir(cwd);
    }
  });
});
