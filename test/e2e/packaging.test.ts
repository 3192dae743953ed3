// The container packaging, checked without a container engine (none runs where the tests run):
// - Dockerfile rules (multi-stage, non-root, healthcheck, lockfile install, production-only modules,
//   no secrets, every COPY source present and not excluded by .dockerignore);
// - docker-compose.yml against the essentials of the Compose spec (images or builds, declared volumes
//   and configs, host paths that exist, healthchecks, ports, profiles, interpolation, YAML merge keys), and
//   against the Prometheus and AlertPrism configs it mounts; the profile `ha`: PostgreSQL, three replicas
//   whose settings (loaded by AlertPrism's own code with the environment compose gives them) select it, and
//   a Prometheus alerting to exactly those three;
// - the example configs: `amtool check-config` and `alertprism check-config` with an EMPTY environment,
//   and the routing amtool computes equals the routing AlertPrism computes; the HA example with its
//   variables set, and equal to the single-process example but for storage and ha;
// - the image's start command, run directly: `npm run build`, then exactly ENTRYPOINT + CMD (and the
//   compose service's command) from the repository root with the Dockerfile's ENV, the VOLUME mapped to
//   a temp dir and, when the tests run as root, as the Dockerfile's USER; then the Dockerfile's and the
//   compose file's HEALTHCHECK commands must exit 0, and non-zero once the server is gone.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chownSync, existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, posix, relative, resolve } from "node:path";
import { parse } from "yaml";
import { resolveSettings } from "../../src/settings.ts";
import { REPO_ROOT, freePort, makeTempDir, requireBinary, sleep, waitForHttp } from "./harness.ts";

const DOCKERFILE = join(REPO_ROOT, "Dockerfile");
const DOCKERIGNORE = join(REPO_ROOT, ".dockerignore");
const COMPOSE_FILE = join(REPO_ROOT, "docker-compose.yml");
const EXAMPLE_AM = "alertmanager/alertmanager.example.yml";
const EXAMPLE_PRISM = "alertmanager/alertprism.example.yml";
const EXAMPLE_PRISM_HA = "alertmanager/alertprism.ha.example.yml";
/** The variables alertprism.ha.example.yml needs (no defaults): the database and each replica's identity. */
const HA_VARIABLES = ["ALERTPRISM_POSTGRES_URL", "ALERTPRISM_REPLICA_ID", "ALERTPRISM_ADVERTISE_ADDRESS"];
const FORWARDING_AM = "alertmanager/forwarding-alertmanager.yml";
const MAIN_TS = join(REPO_ROOT, "src", "main.ts");
const TOOL_TIMEOUT_MS = 30_000;
const BUILD_TIMEOUT_MS = 120_000;
/** Names of settings that hold credentials: their values must come from `${VAR}` references. */
const SECRET_NAME = /token|secret|password|passwd|routing_key|service_key|credential|api_key|access_key/i;

// ---------------------------------------------------------------------------------------------
// Small typed accessors for parsed YAML (no `any`)

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Rec = Record<string, unknown>;

function isRec(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function rec(v: unknown, what: string): Rec {
  assert.ok(isRec(v), `${what} must be a mapping, got ${JSON.stringify(v)}`);
  return v;
}
function list(v: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(v), `${what} must be a list, got ${JSON.stringify(v)}`);
  return v;
}
function str(v: unknown, what: string): string {
  assert.equal(typeof v, "string", `${what} must be a string, got ${JSON.stringify(v)}`);
  return v as string;
}
function strList(v: unknown, what: string): string[] {
  return list(v, what).map((x, i) => str(x, `${what}[${i}]`));
}

// ---------------------------------------------------------------------------------------------
// Dockerfile parsing: instructions with continuation lines joined, stages, exec forms, ENV, COPY

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

function parseDockerfile(text: string): { globalArgs: Map<string, string>; stages: Stage[]; all: Instruction[] } {
  const all: Instruction[] = [];
  let buf = "";
  let start = 0;
  text.split("\n").forEach((raw, i) => {
    const t = raw.trim();
    // Comment lines end nothing and are dropped, also inside a continued instruction (as Docker does).
    if (t.startsWith("#") || (t === "" && buf === "")) return;
    if (buf === "") start = i + 1;
    if (t.endsWith("\\")) {
      buf += `${t.slice(0, -1).trim()} `;
      return;
    }
    buf += t;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(buf.trim());
    if (m) all.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start });
    buf = "";
  });
  assert.equal(buf, "", "Dockerfile ends inside a continued instruction");

  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of all) {
    if (ins.keyword === "FROM") {
      const parts = ins.args.split(/\s+/).filter((p) => !p.startsWith("--"));
      const image = (parts[0] ?? "").replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, n: string) => globalArgs.get(n) ?? "");
      const name = parts[1]?.toUpperCase() === "AS" ? parts[2] : undefined;
      stages.push({ image, name, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword === "ARG") {
        const [k, v] = splitOnce(ins.args, "=");
        globalArgs.set(k, v ?? "");
      }
    } else {
      stages[stages.length - 1]!.instructions.push(ins);
    }
  }
  return { globalArgs, stages, all };
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + sep.length)];
}

/** Shell-like words: whitespace-separated, with '…' and "…" quoting. */
function words(s: string): string[] {
  const out: string[] = [];
  for (const m of s.matchAll(/(?:[^\s"']+|"(?:[^"\\]|\\.)*"|'[^']*')+/g)) {
    out.push(m[0].replace(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g, (_x, dq: string | undefined, sq: string | undefined) => dq ?? sq ?? ""));
  }
  return out;
}

function execForm(ins: Instruction | undefined, what: string): string[] {
  assert.ok(ins, `${what} is missing`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(ins.args);
  } catch {
    assert.fail(`${what} (line ${ins.line}) must be in exec form (a JSON array), got: ${ins.args}`);
  }
  return strList(parsed, what);
}

function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const ins of stage.instructions.filter((i) => i.keyword === "ENV")) {
    const ws = words(ins.args);
    if (ws.length > 0 && !ws[0]!.includes("=")) {
      env.set(ws[0]!, ws.slice(1).join(" ")); // legacy `ENV key value`
      continue;
    }
    for (const w of ws) {
      const [k, v] = splitOnce(w, "=");
      env.set(k, v ?? "");
    }
  }
  return env;
}

interface Copy {
  from: string | undefined;
  sources: string[];
  dest: string;
  line: number;
}

function copiesOf(stage: Stage): Copy[] {
  return stage.instructions.filter((i) => i.keyword === "COPY" || i.keyword === "ADD").map((ins) => {
    assert.equal(ins.keyword, "COPY", `line ${ins.line}: use COPY, not ADD (no remote URLs or auto-extraction)`);
    const ws = words(ins.args);
    const flags = ws.filter((w) => w.startsWith("--"));
    const paths = ws.filter((w) => !w.startsWith("--"));
    assert.ok(paths.length >= 2, `line ${ins.line}: COPY needs a source and a destination`);
    const from = flags.find((f) => f.startsWith("--from="))?.slice("--from=".length);
    return { from, sources: paths.slice(0, -1), dest: paths[paths.length - 1]!, line: ins.line };
  });
}

function workdirOf(stage: Stage): string {
  let wd = "/";
  for (const ins of stage.instructions.filter((i) => i.keyword === "WORKDIR")) wd = posix.resolve(wd, ins.args);
  return wd;
}

function healthcheckOf(stage: Stage): { options: Map<string, string>; command: string[] } {
  const hc = stage.instructions.filter((i) => i.keyword === "HEALTHCHECK").at(-1);
  assert.ok(hc, "the runtime stage needs a HEALTHCHECK");
  const m = /^((?:--[a-z-]+=\S+\s+)*)CMD\s+([\s\S]+)$/.exec(hc.args);
  assert.ok(m, `HEALTHCHECK (line ${hc.line}) must be \`HEALTHCHECK [--option=value…] CMD [..]\`, got: ${hc.args}`);
  const options = new Map<string, string>();
  for (const o of (m[1] ?? "").trim().split(/\s+/).filter(Boolean)) {
    const [k, v] = splitOnce(o.slice(2), "=");
    options.set(k, v ?? "");
  }
  return { options, command: execForm({ ...hc, args: m[2]!.trim() }, "HEALTHCHECK CMD") };
}

function durationMs(s: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(s);
  assert.ok(m, `not a duration: ${s}`);
  return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
}

// ---------------------------------------------------------------------------------------------
// .dockerignore, with the semantics of moby/patternmatcher: the last pattern matching the path or
// one of its parent directories decides; `!` re-includes; `*` and `?` stay within a path segment,
// `**` spans segments.

interface IgnorePattern {
  negate: boolean;
  re: RegExp;
  text: string;
}

function parseDockerignore(text: string): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  for (const raw of text.split("\n")) {
    let t = raw.trim();
    if (t === "" || t.startsWith("#")) continue;
    const negate = t.startsWith("!");
    if (negate) t = t.slice(1).trim();
    t = posix.normalize(t).replace(/^\/+/, "").replace(/\/+$/, "");
    let re = "";
    for (let i = 0; i < t.length; i++) {
      const c = t[i]!;
      if (c === "*" && t[i + 1] === "*") {
        i++;
        if (t[i + 1] === "/") {
          i++;
          re += "(?:.*/)?";
        } else re += ".*";
      } else if (c === "*") re += "[^/]*";
      else if (c === "?") re += "[^/]";
      else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    out.push({ negate, re: new RegExp(`^${re}$`), text: raw.trim() });
  }
  return out;
}

function ignored(patterns: IgnorePattern[], path: string): boolean {
  const parts = path.split("/");
  const candidates = parts.map((_p, i) => parts.slice(0, i + 1).join("/"));
  let excluded = false;
  for (const p of patterns) {
    if (candidates.some((c) => p.re.test(c))) excluded = !p.negate;
  }
  return excluded;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Compose helpers

/** Compose interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}; anything else is invalid. */
function interpolate(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$(?:(\$)|([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|)/g,
    (m, dollar: string | undefined, bare: string | undefined, braced: string | undefined, op: string | undefined, def: string | undefined) => {
      if (dollar !== undefined) return "$";
      const name = bare ?? braced;
      assert.ok(name !== undefined, `invalid interpolation in docker-compose.yml near ${JSON.stringify(text.slice(Math.max(0, text.indexOf(m) - 20), text.indexOf(m) + 20))}`);
      const v = env[name];
      if (op === ":-") return v === undefined || v === "" ? def ?? "" : v;
      if (op === "-") return v === undefined ? def ?? "" : v;
      return v ?? "";
    });
}

interface Mount {
  kind: "bind" | "volume";
  source: string;
  target: string;
  readOnly: boolean;
}

function mountsOf(service: Rec, name: string): Mount[] {
  if (service.volumes === undefined) return [];
  return list(service.volumes, `services.${name}.volumes`).map((v, i): Mount => {
    if (typeof v === "string") {
      const [source, target, mode] = v.split(":");
      assert.ok(source && target, `services.${name}.volumes[${i}] must be source:target[:mode], got ${v}`);
      const kind = source.startsWith(".") || source.startsWith("/") || source.startsWith("~") ? "bind" : "volume";
      return { kind, source, target, readOnly: (mode ?? "").split(",").includes("ro") };
    }
    const m = rec(v, `services.${name}.volumes[${i}]`);
    const kind = str(m.type, `services.${name}.volumes[${i}].type`);
    assert.ok(kind === "bind" || kind === "volume", `services.${name}.volumes[${i}].type: ${kind}`);
    return { kind, source: str(m.source, "source"), target: str(m.target, "target"), readOnly: m.read_only === true };
  });
}

/** Long or short `ports` entries → { hostIp, published, target }. */
function portsOf(service: Rec, name: string): Array<{ hostIp: string | undefined; published: number; target: number }> {
  if (service.ports === undefined) return [];
  return list(service.ports, `services.${name}.ports`).map((p, i) => {
    const s = str(p, `services.${name}.ports[${i}] (use the quoted short syntax)`);
    const m = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d+):(\d+)(?:\/tcp)?$/.exec(s);
    assert.ok(m, `services.${name}.ports[${i}]: ${s} must be [ip:]published:target`);
    return { hostIp: m[1], published: Number(m[2]), target: Number(m[3]) };
  });
}

// ---------------------------------------------------------------------------------------------
// Processes

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  transcript: string;
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; uid?: number; gid?: number } = {}): Run {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? REPO_ROOT,
    env: opts.env ?? process.env,
    encoding: "utf8",
    timeout: opts.timeoutMs ?? TOOL_TIMEOUT_MS,
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid } : {}),
  });
  if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, transcript: `$ ${cmd} ${args.join(" ")}\n--- exit ${String(r.status)} ${r.signal ?? ""}\n--- stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}` };
}

/** An environment with nothing in it but what a command needs to be found and to run. */
function cleanEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home };
}

const dockerfileText = readFileSync(DOCKERFILE, "utf8");
const dockerfile = parseDockerfile(dockerfileText);
const runtime = dockerfile.stages.at(-1);
const composeText = readFileSync(COMPOSE_FILE, "utf8");
/** As Compose reads it: `<<` merges the `x-` fragments (YAML merge keys), aliases are resolved. */
const parseCompose = (): unknown => parse(composeText, { merge: true });

// ---------------------------------------------------------------------------------------------

describe("Dockerfile", () => {
  it("has a build stage and a separate runtime stage on a pinned Node 20 base", () => {
    assert.ok(dockerfile.stages.length >= 2, `multi-stage: expected at least two FROM, found ${dockerfile.stages.length}`);
    for (const s of dockerfile.stages) {
      assert.match(s.image, /^node:20[.\w-]*$/, `base image ${s.image}: Node 20 with an explicit tag`);
      assert.doesNotMatch(s.image, /:latest$/);
    }
    const build = dockerfile.stages[0]!;
    assert.ok(build.name, "the build stage is named (COPY --from refers to it)");
    assert.ok(runtime);
    const names = new Set(dockerfile.stages.map((s) => s.name).filter((n): n is string => n !== undefined));
    for (const c of copiesOf(runtime).filter((c) => c.from !== undefined)) {
      assert.ok(names.has(c.from!), `line ${c.line}: COPY --from=${c.from} names no stage`);
    }
    assert.ok(copiesOf(runtime).some((c) => c.from === build.name), "the runtime stage copies the build output from the build stage");
    // Compilers stay in the build stage.
    for (const ins of runtime.instructions.filter((i) => i.keyword === "RUN")) {
      assert.doesNotMatch(ins.args, /apt-get install|\bg\+\+|build-essential|npm (ci|install)\b/, `line ${ins.line}: the runtime stage installs nothing`);
    }
  });

  it("installs from the lockfile, builds the native addons from source and keeps production modules only", () => {
    const build = dockerfile.stages[0]!;
    const text = dockerfile.all.map((i) => `${i.keyword} ${i.args}`).join("\n");
    assert.doesNotMatch(text, /\bnpm (install|i|add)\b/, "npm install ignores/rewrites the lockfile: use npm ci");
    const runs = build.instructions.map((ins, idx) => ({ ins, idx }));
    const ci = runs.find(({ ins }) => ins.keyword === "RUN" && /\bnpm ci\b/.test(ins.args));
    assert.ok(ci, "the build stage runs npm ci");
    const lockCopied = runs.some(({ ins, idx }) => idx < ci.idx && ins.keyword === "COPY" && /package-lock\.json/.test(ins.args));
    assert.ok(lockCopied, "package-lock.json is copied before npm ci");
    // Prebuilt downloads are unreachable where we build: both addons compile from source.
    const env = envOf({ ...build, instructions: build.instructions.slice(0, ci.idx) });
    const inline = ci.ins.args;
    assert.ok(env.get("npm_config_build_from_source") === "true" || /npm_config_build_from_source=true/.test(inline), "npm_config_build_from_source=true before npm ci (better-sqlite3)");
    assert.ok(env.get("DOWNLOAD_FORCE_BUILD") === "1" || /DOWNLOAD_FORCE_BUILD=1/.test(inline), "DOWNLOAD_FORCE_BUILD=1 before npm ci (re2)");
    const installsCompilers = build.instructions.some((i) => i.keyword === "RUN" && /apt-get install/.test(i.args) && /\bg\+\+/.test(i.args) && /\bmake\b/.test(i.args) && /\bpython3\b/.test(i.args));
    assert.ok(installsCompilers, "the build stage installs python3, make and g++ for node-gyp");
    const buildIdx = runs.find(({ ins }) => ins.keyword === "RUN" && /npm run build/.test(ins.args));
    assert.ok(buildIdx, "the build stage runs npm run build");
    const prunes = build.instructions.some((i) => i.keyword === "RUN" && /npm prune --omit=dev|npm prune --production/.test(i.args)) || /npm ci --omit=dev/.test(text);
    assert.ok(prunes, "dev dependencies are dropped (npm prune --omit=dev) before node_modules is copied");
    // tsc writes where the runtime stage copies from.
    const tsBuild = rec(JSON.parse(readFileSync(join(REPO_ROOT, "tsconfig.build.json"), "utf8")), "tsconfig.build.json");
    const outDir = str(rec(tsBuild.compilerOptions, "compilerOptions").outDir, "outDir");
    const dist = copiesOf(runtime!).find((c) => c.from === build.name && c.sources.some((s) => s.endsWith("/dist")));
    assert.ok(dist, "the runtime stage copies dist/");
    assert.equal(dist.sources[0], posix.join(workdirOf(build), outDir), "COPY --from the build stage takes tsc's outDir");
  });

  it("apt-get follows the usual hygiene (update+install in one layer, no recommends, lists removed)", () => {
    for (const ins of dockerfile.all.filter((i) => i.keyword === "RUN" && /apt-get install/.test(i.args))) {
      assert.match(ins.args, /apt-get update/, `line ${ins.line}: update and install in the same RUN`);
      assert.match(ins.args, /--no-install-recommends/, `line ${ins.line}`);
      assert.match(ins.args, /rm -rf \/var\/lib\/apt\/lists/, `line ${ins.line}`);
      assert.match(ins.args, /apt-get install -y/, `line ${ins.line}: non-interactive`);
    }
  });

  it("runs as a non-root user with a volume, the port, a health check and an exec-form entrypoint", () => {
    assert.ok(runtime);
    const users = runtime.instructions.filter((i) => i.keyword === "USER");
    const user = users.at(-1);
    assert.ok(user, "the runtime stage sets USER");
    const [uid, gid] = user.args.split(":");
    assert.match(uid ?? "", /^\d+$/, "numeric uid, so Kubernetes' runAsNonRoot can verify it");
    assert.notEqual(Number(uid), 0, "not root");
    assert.equal(uid, "10001");
    assert.ok(gid === undefined || Number(gid) !== 0, "not the root group");
    const idx = (kw: string) => runtime.instructions.findIndex((i) => i.keyword === kw);
    assert.ok(idx("USER") < idx("ENTRYPOINT"), "USER comes before ENTRYPOINT");
    assert.ok(runtime.instructions.some((i) => i.keyword === "RUN" && new RegExp(`useradd[^&]*--uid ${uid}`).test(i.args)), "the user is created with that uid");

    const env = envOf(runtime);
    assert.equal(env.get("ALERTPRISM_STORAGE_PATH"), "/var/lib/alertprism");
    const volumes = runtime.instructions.filter((i) => i.keyword === "VOLUME").flatMap((i) => (i.args.startsWith("[") ? execForm(i, "VOLUME") : i.args.split(/\s+/)));
    assert.deepEqual(volumes, ["/var/lib/alertprism"], "the storage path is the volume");
    assert.ok(runtime.instructions.some((i) => i.keyword === "RUN" && /chown[^&]*10001[^&]*\/var\/lib\/alertprism/.test(i.args)), "the volume directory belongs to the service user (a new named volume copies its ownership)");
    const exposed = runtime.instructions.filter((i) => i.keyword === "EXPOSE").flatMap((i) => i.args.split(/\s+/));
    assert.deepEqual(exposed, ["9093"]);

    const entry = execForm(runtime.instructions.find((i) => i.keyword === "ENTRYPOINT"), "ENTRYPOINT");
    assert.equal(entry[0], "node", "node is PID 1 and gets SIGTERM itself (no shell in between)");
    const pkg = rec(JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")), "package.json");
    assert.equal(entry[1], str(rec(pkg.bin, "bin").alertprism, "bin.alertprism"), "the entrypoint is the package's bin");
    execForm(runtime.instructions.find((i) => i.keyword === "CMD"), "CMD");

    const hc = healthcheckOf(runtime);
    assert.equal(hc.command[0], "node", "no curl/wget in the slim image: the health check uses node");
    assert.match(hc.command.join(" "), /\/-\/healthy/);
    for (const o of ["interval", "timeout", "start-period", "retries"]) assert.ok(hc.options.has(o), `HEALTHCHECK --${o}`);
    assert.ok(durationMs(hc.options.get("timeout")!) < durationMs(hc.options.get("interval")!));
  });

  it("contains no secrets", () => {
    for (const ins of dockerfile.all.filter((i) => i.keyword === "ENV" || i.keyword === "ARG")) {
      for (const w of words(ins.args)) {
        const name = splitOnce(w, "=")[0];
        assert.doesNotMatch(name, SECRET_NAME, `line ${ins.line}: ${name} would be baked into the image (docker history shows it); pass it at run time`);
      }
    }
    assert.doesNotMatch(dockerfileText, /-----BEGIN [A-Z ]*PRIVATE KEY-----|xox[abprs]-[0-9A-Za-z-]+|AKIA[0-9A-Z]{16}|access_token=[A-Za-z0-9]|hooks\.slack\.com\/services\/T/);
    for (const c of copiesOf(runtime!).concat(copiesOf(dockerfile.stages[0]!))) {
      for (const s of c.sources) assert.doesNotMatch(s, /(^|\/)\.env|\.pem$|\.key$|id_rsa/, `line ${c.line}: COPY ${s}`);
    }
  });

  it("every COPY source exists and is part of the build context (.dockerignore), which excludes local state", () => {
    const patterns = parseDockerignore(readFileSync(DOCKERIGNORE, "utf8"));
    for (const stage of dockerfile.stages) {
      for (const c of copiesOf(stage).filter((c) => c.from === undefined)) {
        for (const src of c.sources) {
          const abs = join(REPO_ROOT, src);
          assert.ok(existsSync(abs), `line ${c.line}: COPY source ${src} does not exist`);
          assert.ok(!ignored(patterns, posix.normalize(src)), `line ${c.line}: COPY source ${src} is excluded by .dockerignore`);
          if (statSync(abs).isDirectory()) {
            const files = filesUnder(abs).map((f) => relative(REPO_ROOT, f).split("\\").join("/"));
            // Sources the build compiles, and the configs the image ships, must all get through (not the
            // kustomization that turns alertmanager/ into the Kubernetes ConfigMap).
            const needed = files.filter((f) => !f.endsWith(".test.ts") && f !== "alertmanager/kustomization.yaml");
            assert.ok(needed.length > 0, `${src} is empty`);
            for (const f of needed) assert.ok(!ignored(patterns, f), `${f} (under COPY ${src}) is excluded by .dockerignore`);
          }
        }
      }
    }
    const mustBeOut = ["node_modules/yaml/package.json", "dist/src/main.js", "data/alertprism.db", ".git/HEAD", "test/e2e/harness.ts", ".tmp-x/y",
      ".env", "bench/run.ts", "src/config/alertmanager.test.ts", "alertmanager/alertprism.db", "alertmanager/.env", "alertmanager/kustomization.yaml"];
    for (const p of mustBeOut) assert.ok(ignored(patterns, p), `.dockerignore must exclude ${p}`);
    for (const p of ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "src/main.ts", "alertmanager/alertmanager.yml"]) {
      assert.ok(!ignored(patterns, p), `.dockerignore must keep ${p}`);
    }
  });

  it("the runtime layout under WORKDIR mirrors the repository (what lets the start command run from the repo root)", () => {
    assert.ok(runtime);
    const wd = workdirOf(runtime);
    const buildWd = workdirOf(dockerfile.stages[0]!);
    for (const c of copiesOf(runtime)) {
      const dest = posix.resolve(wd, c.dest);
      if (!dest.startsWith(`${wd}/`)) continue; // e.g. the default config in /etc/alertprism, mapped below
      const rel = posix.relative(wd, dest);
      const src = c.from !== undefined ? posix.relative(buildWd, c.sources[0]!) : posix.normalize(c.sources[0]!);
      assert.equal(rel, src, `line ${c.line}: ${c.sources.join(" ")} → ${c.dest} must keep the path it has in the repository`);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe("docker-compose.yml", () => {
  const compose = rec(parseCompose(), "docker-compose.yml");
  const services = rec(compose.services, "services");
  const declaredVolumes = new Set(Object.keys(isRec(compose.volumes) ? compose.volumes : {}));
  const declaredConfigs = new Set(Object.keys(isRec(compose.configs) ? compose.configs : {}));
  const service = (name: string): Rec => rec(services[name], `services.${name}`);
  const profilesOf = (name: string): string[] => {
    const p = service(name).profiles;
    return p === undefined ? [] : strList(p, `services.${name}.profiles`);
  };
  const HA_REPLICAS = ["alertprism-ha-1", "alertprism-ha-2", "alertprism-ha-3"];

  /** A path inside a service's container → the repository file behind it (its bind mounts; the longest target wins). */
  const hostPath = (name: string, p: string): string | undefined => {
    const m = mountsOf(service(name), name).filter((x) => x.kind === "bind" && (p === x.target || p.startsWith(`${x.target}/`))).sort((a, b) => b.target.length - a.target.length)[0];
    return m ? resolve(REPO_ROOT, m.source, posix.relative(m.target, p)) : undefined;
  };
  /** The repository file (relative path) that a service's `--flag=<path>` reads. */
  const commandFile = (name: string, flag: string): string => {
    const args = strList(service(name).command, `services.${name}.command`);
    const a = args.find((x) => x.startsWith(`--${flag}=`));
    assert.ok(a, `services.${name}: --${flag}`);
    const host = hostPath(name, a.slice(flag.length + 3));
    assert.ok(host, `services.${name}: ${a} is not inside a bind mount`);
    return relative(REPO_ROOT, host).split("\\").join("/");
  };
  /** A service's environment as compose gives it to the container, interpolated from `hostEnv`. */
  const containerEnv = (name: string, hostEnv: Record<string, string> = {}): Record<string, string> =>
    Object.fromEntries(Object.entries(rec(service(name).environment, `services.${name}.environment`)).map(([k, v]) => [k, interpolate(String(v), hostEnv)]));
  /** The `${VAR…}` names in the values of config files (comments may mention variables that are not used). */
  const variablesOf = (files: string[]): Set<string> => {
    const referenced = new Set<string>();
    for (const f of files) {
      const text = readFileSync(join(REPO_ROOT, f), "utf8").split("\n").filter((l) => !l.trim().startsWith("#")).join("\n");
      for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) referenced.add(m[1]!);
    }
    return referenced;
  };

  it("uses the Compose spec without the obsolete version key, and only known top-level keys", () => {
    assert.equal(compose.version, undefined, "`version` is obsolete in the Compose spec");
    for (const k of Object.keys(compose)) assert.ok(["name", "services", "volumes", "networks", "configs", "secrets"].includes(k) || k.startsWith("x-"), `unknown top-level key ${k}`);
    for (const name of ["alertprism", "prometheus", "node-exporter", "alertmanager", "grafana", "alertprism-postgres", ...HA_REPLICAS, "prometheus-ha"]) assert.ok(isRec(services[name]), `service ${name}`);
    // Merge keys are resolved (Compose does; a `<<` left over would be an unknown key to it).
    const leftovers = (v: unknown, path: string): string[] =>
      Array.isArray(v) ? v.flatMap((x, i) => leftovers(x, `${path}[${i}]`)) : isRec(v) ? Object.entries(v).flatMap(([k, x]) => (k === "<<" ? [path] : leftovers(x, `${path}.${k}`))) : [];
    assert.deepEqual(leftovers(compose, ""), []);
    assert.ok(composeText.includes("<<: *alertprism-ha"), "the replicas share one fragment (this test parses merge keys as Compose does)");
  });

  it("every $ is a valid interpolation, and secrets are passed through from the environment only", () => {
    // Throws on `$` followed by anything that is not $, a name or {name…}: compose refuses such files.
    interpolate(composeText, {});
    for (const [name, svc] of Object.entries(services)) {
      const env = rec(svc, name).environment;
      if (env === undefined) continue;
      for (const [k, v] of Object.entries(rec(env, `services.${name}.environment (use the mapping form)`))) {
        if (!SECRET_NAME.test(k) && !/WEBHOOK_PATH|DINGTALK_TOKEN/.test(k)) continue;
        assert.match(String(v), /^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$/, `services.${name}.environment.${k} must be a \${VAR} reference, not a literal`);
      }
    }
  });

  it("every service has an image or a build, pinned images, a healthcheck, and restarts", () => {
    for (const [name, raw] of Object.entries(services)) {
      const svc = rec(raw, name);
      assert.ok(svc.image !== undefined || svc.build !== undefined, `services.${name} needs image or build`);
      if (svc.build !== undefined) {
        const b = typeof svc.build === "string" ? { context: svc.build } : rec(svc.build, `services.${name}.build`);
        const ctx = resolve(REPO_ROOT, str(b.context ?? ".", "build.context"));
        const df = join(ctx, typeof b.dockerfile === "string" ? b.dockerfile : "Dockerfile");
        assert.ok(existsSync(df), `services.${name}: ${df} does not exist`);
      } else {
        const image = str(svc.image, `services.${name}.image`);
        assert.match(image, /^[\w./-]+:[\w.-]+$/, `services.${name}.image ${image} needs an explicit tag`);
        assert.doesNotMatch(image, /:latest$/, `services.${name}.image must not be :latest`);
      }
      const hc = rec(svc.healthcheck, `services.${name}.healthcheck`);
      const test = strList(hc.test, `services.${name}.healthcheck.test`);
      assert.equal(test[0], "CMD", `services.${name}: exec-form healthcheck (no shell needed in the image)`);
      for (const k of ["interval", "timeout", "retries"]) assert.ok(hc[k] !== undefined, `services.${name}.healthcheck.${k}`);
      assert.equal(svc.restart, "unless-stopped", `services.${name}.restart`);
    }
  });

  it("volumes and configs used are declared (and declared ones used); bind mounts exist in the repository", () => {
    const usedVolumes = new Set<string>();
    for (const [name, raw] of Object.entries(services)) {
      for (const m of mountsOf(rec(raw, name), name)) {
        if (m.kind === "volume") {
          assert.ok(declaredVolumes.has(m.source), `services.${name} uses volume ${m.source}, which the top-level volumes do not declare`);
          usedVolumes.add(m.source);
        } else if (m.source.startsWith("/")) {
          // Host system paths (node-exporter reads the host's filesystems) only read-only.
          assert.ok(m.readOnly, `services.${name}: host path ${m.source} must be mounted :ro`);
        } else {
          const host = resolve(dirname(COMPOSE_FILE), m.source);
          assert.ok(existsSync(host), `services.${name}: bind mount source ${m.source} does not exist in the repository`);
          assert.ok(m.readOnly, `services.${name}: configuration ${m.source} is mounted read-only`);
        }
      }
      const configs = rec(raw, name).configs;
      if (configs !== undefined) {
        for (const c of list(configs, `services.${name}.configs`)) {
          const source = typeof c === "string" ? c : str(rec(c, "config").source, "configs[].source");
          assert.ok(declaredConfigs.has(source), `services.${name} uses config ${source}, which is not declared`);
        }
      }
    }
    assert.deepEqual([...declaredVolumes].sort(), [...usedVolumes].sort(), "declared volumes that no service uses");
    for (const [name, c] of Object.entries(isRec(compose.configs) ? compose.configs : {})) {
      const cfg = rec(c, `configs.${name}`);
      if (typeof cfg.content === "string") parse(cfg.content); // inline provisioning is valid YAML
      else assert.ok(typeof cfg.file === "string" && existsSync(resolve(REPO_ROOT, cfg.file)), `configs.${name}: file or content`);
    }
    // The data of AlertPrism lives in the image's VOLUME path.
    const data = mountsOf(service("alertprism"), "alertprism").find((m) => m.kind === "volume");
    assert.equal(data?.target, envOf(runtime!).get("ALERTPRISM_STORAGE_PATH"));
  });

  it("ports are published on 127.0.0.1 without clashes; AlertPrism's is the one the image exposes", () => {
    const published = new Set<number>();
    for (const [name, raw] of Object.entries(services)) {
      for (const p of portsOf(rec(raw, name), name)) {
        assert.equal(p.hostIp, "127.0.0.1", `services.${name}: publish on 127.0.0.1 (${p.published})`);
        assert.ok(!published.has(p.published), `host port ${p.published} published twice`);
        published.add(p.published);
      }
    }
    const prismPorts = portsOf(service("alertprism"), "alertprism");
    assert.deepEqual(prismPorts.map((p) => p.target), [9093]);
  });

  it("profiles: the core stack has none, the optional services have theirs, and nothing depends on an inactive service", () => {
    for (const core of ["alertprism", "prometheus", "node-exporter"]) assert.deepEqual(profilesOf(core), [], core);
    assert.deepEqual(profilesOf("alertmanager"), ["alertmanager"]);
    assert.deepEqual(profilesOf("grafana"), ["grafana"]);
    assert.deepEqual(Object.keys(services).filter((n) => profilesOf(n).includes("ha")).sort(), ["alertprism-postgres", ...HA_REPLICAS, "prometheus-ha"].sort());
    for (const n of ["alertprism-postgres", ...HA_REPLICAS, "prometheus-ha"]) assert.deepEqual(profilesOf(n), ["ha"], n);
    for (const [name, raw] of Object.entries(services)) {
      const dep = rec(raw, name).depends_on;
      if (dep === undefined) continue;
      for (const [target, cond] of Object.entries(rec(dep, `services.${name}.depends_on (long form)`))) {
        assert.ok(isRec(services[target]), `services.${name} depends on unknown service ${target}`);
        const tp = profilesOf(target);
        assert.ok(tp.length === 0 || tp.every((p) => profilesOf(name).includes(p)), `services.${name} depends on ${target}, which only runs with profile ${tp.join(",")}`);
        const condition = str(rec(cond, `depends_on.${target}`).condition, "condition");
        assert.ok(["service_started", "service_healthy"].includes(condition));
        if (condition === "service_healthy") assert.ok(isRec(rec(services[target], target).healthcheck), `${target} has a healthcheck`);
      }
    }
  });

  it("Prometheus gets its config and the rule file where prometheus.yml expects them, and reaches AlertPrism by service name", () => {
    const prom = service("prometheus");
    const args = strList(prom.command, "services.prometheus.command");
    const configPath = args.find((a) => a.startsWith("--config.file="))?.slice("--config.file=".length);
    assert.ok(configPath, "--config.file");
    const toHost = (p: string): string | undefined => hostPath("prometheus", p);
    const hostConfig = toHost(configPath);
    assert.equal(hostConfig, join(REPO_ROOT, "prometheus", "prometheus.yml"));
    const promConfig = rec(parse(readFileSync(hostConfig, "utf8")), "prometheus.yml");
    const ruleFiles = strList(promConfig.rule_files, "rule_files");
    assert.ok(ruleFiles.length > 0);
    for (const rf of ruleFiles) {
      const inContainer = posix.resolve(posix.dirname(configPath), rf);
      const host = toHost(inContainer);
      assert.equal(host, join(REPO_ROOT, "rules", "alert.rules"), `rule file ${rf} → ${inContainer} in the container`);
      assert.ok(existsSync(host));
    }
    // Alerting and scrape targets that are part of this stack must be service names with the right port.
    const alerting = rec(promConfig.alerting, "alerting");
    const amTargets = list(alerting.alertmanagers, "alertmanagers").flatMap((am) =>
      list(rec(am, "alertmanager").static_configs, "static_configs").flatMap((sc) => strList(rec(sc, "static_config").targets, "targets")));
    assert.deepEqual(amTargets, ["alertprism:9093"]);
    const scrapeTargets = list(promConfig.scrape_configs, "scrape_configs").flatMap((sc) =>
      list(rec(sc, "scrape_config").static_configs ?? [], "static_configs").flatMap((s) => strList(rec(s, "static_config").targets, "targets")));
    for (const [svc, port] of [["alertprism", 9093], ["node-exporter", 9100]] as const) {
      assert.ok(scrapeTargets.includes(`${svc}:${port}`), `prometheus.yml scrapes ${svc}:${port}`);
    }
  });

  it("AlertPrism's command files are the example configs mounted from the repository; every variable they use is passed through", () => {
    const prism = service("alertprism");
    assert.equal(commandFile("alertprism", "config.file"), EXAMPLE_AM);
    assert.equal(commandFile("alertprism", "alertprism.config.file"), EXAMPLE_PRISM);
    const env = rec(prism.environment, "services.alertprism.environment");
    const referenced = variablesOf([EXAMPLE_AM, EXAMPLE_PRISM]);
    assert.ok(referenced.size >= 8, `variables found: ${[...referenced].join(", ")}`);
    for (const v of referenced) assert.equal(env[v], `\${${v}:-}`, `services.alertprism.environment.${v} passes the variable through`);
    // The forwarding Alertmanager posts to AlertPrism's webhook receiver by service name.
    const fwd = rec(parse(readFileSync(join(REPO_ROOT, FORWARDING_AM), "utf8")), FORWARDING_AM);
    const urls = list(fwd.receivers, "receivers").flatMap((r) => list(rec(r, "receiver").webhook_configs ?? [], "webhook_configs").map((w) => str(rec(w, "webhook").url, "url")));
    assert.deepEqual(urls, ["http://alertprism:9093/api/v1/webhook"]);
    const amMounts = mountsOf(service("alertmanager"), "alertmanager");
    assert.ok(amMounts.some((m) => m.source === `./${FORWARDING_AM}` && m.target === "/etc/alertmanager/alertmanager.yml"));
  });

  it("the AlertPrism healthcheck is the image's HEALTHCHECK", () => {
    const test = strList(rec(service("alertprism").healthcheck, "healthcheck").test, "test");
    assert.deepEqual(test.slice(1), healthcheckOf(runtime!).command);
  });

  it("profile ha: PostgreSQL from the official Debian image, pinned, healthy by pg_isready over TCP, its data on a named volume, no published port", () => {
    const pg = service("alertprism-postgres");
    assert.match(str(pg.image, "image"), /^postgres:\d+\.\d+(-bookworm|-bullseye)?$/, "the official image (Debian-based; not -alpine), pinned to a minor version");
    const test = strList(rec(pg.healthcheck, "healthcheck").test, "test");
    assert.deepEqual(test.slice(0, 2), ["CMD", "pg_isready"]);
    // The image's first start runs a socket-only server for its init scripts: a socket check calls it ready.
    assert.ok(test.includes("--host=127.0.0.1") || test.join(" ").includes("-h 127.0.0.1"), "pg_isready checks over TCP");
    const env = rec(pg.environment, "environment");
    assert.equal(env.POSTGRES_PASSWORD, "${POSTGRES_PASSWORD:-change-me}");
    const volumes = mountsOf(pg, "alertprism-postgres").filter((m) => m.kind === "volume");
    assert.deepEqual(volumes.map((m) => m.target), ["/var/lib/postgresql/data"]);
    assert.ok(declaredVolumes.has(volumes[0]!.source));
    assert.deepEqual(portsOf(pg, "alertprism-postgres"), [], "reachable on the project's network only");
  });

  it("profile ha: three replicas of the core service's image, command and healthcheck, each with its own hostname, identity and port, waiting for PostgreSQL", () => {
    const core = service("alertprism");
    const ports = new Set<number>();
    for (const name of HA_REPLICAS) {
      const r = service(name);
      assert.deepEqual(r.build, core.build, `${name}: the core service's build`);
      assert.equal(r.image, core.image);
      assert.deepEqual(r.healthcheck, core.healthcheck, `${name}: the core service's (the image's) healthcheck`);
      assert.equal(r.stop_grace_period, core.stop_grace_period);
      assert.equal(r.hostname, name, "a fixed hostname");
      assert.equal(commandFile(name, "config.file"), EXAMPLE_AM);
      assert.equal(commandFile(name, "alertprism.config.file"), EXAMPLE_PRISM_HA);
      assert.deepEqual(mountsOf(r, name).filter((m) => m.kind === "volume"), [], "no data volume: the state is in PostgreSQL");
      assert.deepEqual(rec(r.depends_on, "depends_on")["alertprism-postgres"], { condition: "service_healthy" });
      const p = portsOf(r, name);
      assert.deepEqual(p.map((x) => x.target), [9093]);
      ports.add(p[0]!.published);
    }
    assert.equal(ports.size, 3);
    assert.ok(![...ports].some((p) => portsOf(core, "alertprism").some((c) => c.published === p)), "beside the core service's port");
  });

  it("profile ha: each replica's settings, loaded with the environment compose gives it, select the compose PostgreSQL and a unique identity; every variable is passed", () => {
    const referenced = variablesOf([EXAMPLE_AM, EXAMPLE_PRISM_HA]);
    for (const v of HA_VARIABLES) assert.ok(referenced.has(v), `${EXAMPLE_PRISM_HA} uses ${v}`);
    const coreEnv = rec(service("alertprism").environment, "environment");
    const ids = new Set<string>();
    // Without a .env (the default password) and with POSTGRES_PASSWORD set.
    const hostEnvs: Array<Record<string, string>> = [{}, { POSTGRES_PASSWORD: "0123456789abcdef" }];
    for (const hostEnv of hostEnvs) {
      const pgEnv = containerEnv("alertprism-postgres", hostEnv);
      for (const name of HA_REPLICAS) {
        const raw = rec(service(name).environment, `services.${name}.environment`);
        // The credentials and endpoints pass through as in the core service.
        for (const v of [...referenced].filter((x) => !HA_VARIABLES.includes(x))) assert.equal(raw[v], `\${${v}:-}`, `services.${name}.environment.${v}`);
        for (const [k, v] of Object.entries(coreEnv).filter(([k]) => k !== "ALERTPRISM_EXTERNAL_URL")) assert.equal(raw[k], v, `services.${name}.environment.${k}`);
        const env = containerEnv(name, hostEnv);
        for (const v of HA_VARIABLES) assert.ok(env[v], `services.${name}.environment.${v} is set`);
        const settings = resolveSettings(new Map([
          ["config.file", join(REPO_ROOT, commandFile(name, "config.file"))],
          ["alertprism.config.file", join(REPO_ROOT, commandFile(name, "alertprism.config.file"))],
        ]), env);
        assert.ok(settings.postgres, `${name}: storage.backend postgres`);
        assert.equal(settings.postgres.replicaId, name);
        assert.equal(settings.postgres.advertiseAddress, `${name}:9093`, "reachable by the service name, on the port it listens on");
        ids.add(settings.postgres.replicaId);
        assert.equal(settings.postgres.leaseMs, 10_000);
        const url = new URL(settings.postgres.url);
        assert.equal(url.hostname, "alertprism-postgres", "the PostgreSQL service");
        assert.equal(url.port, "5432");
        assert.equal(decodeURIComponent(url.username), pgEnv.POSTGRES_USER);
        assert.equal(decodeURIComponent(url.password), pgEnv.POSTGRES_PASSWORD, "the password PostgreSQL was created with");
        assert.equal(url.pathname, `/${pgEnv.POSTGRES_DB}`);
      }
    }
    assert.deepEqual([...ids].sort(), HA_REPLICAS);
  });

  it("profile ha: prometheus-ha loads prometheus-ha.yml and the rules like the core one, and alerts to and scrapes exactly the three replicas", () => {
    const prom = service("prometheus-ha");
    assert.equal(prom.image, service("prometheus").image);
    assert.deepEqual(prom.command, service("prometheus").command, "the core Prometheus's flags");
    const configPath = strList(prom.command, "command").find((a) => a.startsWith("--config.file="))!.slice("--config.file=".length);
    assert.equal(hostPath("prometheus-ha", configPath), join(REPO_ROOT, "prometheus", "prometheus-ha.yml"));
    const ha = rec(parse(readFileSync(join(REPO_ROOT, "prometheus", "prometheus-ha.yml"), "utf8")), "prometheus-ha.yml");
    const core = rec(parse(readFileSync(join(REPO_ROOT, "prometheus", "prometheus.yml"), "utf8")), "prometheus.yml");
    for (const rf of strList(ha.rule_files, "rule_files")) assert.equal(hostPath("prometheus-ha", posix.resolve(posix.dirname(configPath), rf)), join(REPO_ROOT, "rules", "alert.rules"));
    const replicas = HA_REPLICAS.map((n) => `${n}:9093`);
    const amTargets = list(rec(ha.alerting, "alerting").alertmanagers, "alertmanagers").flatMap((am) =>
      list(rec(am, "alertmanager").static_configs, "static_configs").flatMap((sc) => strList(rec(sc, "static_config").targets, "targets")));
    assert.deepEqual(amTargets.sort(), replicas, "alerts go to every replica");
    const jobs = new Map(list(ha.scrape_configs, "scrape_configs").map((j) => [str(rec(j, "job").job_name, "job_name"), rec(j, "job")]));
    const scraped = list(jobs.get("alertprism")?.static_configs, "static_configs").flatMap((sc) => strList(rec(sc, "static_config").targets, "targets"));
    assert.deepEqual(scraped.sort(), replicas, "job alertprism scrapes every replica");
    // Otherwise prometheus.yml: the same rules, intervals, Alertmanager settings and jobs.
    const withoutTargets = (c: Rec): unknown => {
      const copy = structuredClone(c) as { global: { external_labels?: unknown }; alerting: { alertmanagers: Array<{ static_configs?: unknown }> }; scrape_configs: Array<{ job_name: string; static_configs?: unknown }> };
      delete copy.global.external_labels;
      for (const am of copy.alerting.alertmanagers) delete am.static_configs;
      for (const j of copy.scrape_configs) if (j.job_name === "alertprism") delete j.static_configs;
      return copy;
    };
    assert.deepEqual(withoutTargets(ha), withoutTargets(core));
    const cluster = (c: Rec) => rec(rec(c.global, "global").external_labels, "external_labels").cluster;
    assert.notEqual(cluster(ha), cluster(core), "external_labels.cluster is unique per Prometheus deployment");
    for (const n of HA_REPLICAS) assert.ok(isRec(rec(prom.depends_on, "depends_on")[n]), `prometheus-ha waits for ${n}`);
    const r = run(requireBinary("promtool"), ["check", "config", "prometheus/prometheus-ha.yml"]);
    assert.equal(r.status, 0, r.transcript);
  });
});

// ---------------------------------------------------------------------------------------------

describe("example configurations, with an empty environment", () => {
  const home = makeTempDir("packaging-home");
  const amtool = (args: string[]) => run(requireBinary("amtool"), args, { env: cleanEnv(home) });
  const prismCli = (args: string[]) => run(process.execPath, ["--import", "tsx", MAIN_TS, ...args], { env: cleanEnv(home) });

  it("amtool check-config accepts them", () => {
    for (const f of [EXAMPLE_AM, FORWARDING_AM]) {
      const r = amtool(["check-config", f]);
      assert.equal(r.status, 0, r.transcript);
      assert.match(r.stdout, /SUCCESS/);
    }
  });

  it("alertprism check-config accepts them, one by one and together (the DingTalk robot attaches to receiver p2)", () => {
    const single = prismCli(["check-config", EXAMPLE_AM, EXAMPLE_PRISM, FORWARDING_AM]);
    assert.equal(single.status, 0, single.transcript);
    const together = prismCli(["check-config", `--config.file=${EXAMPLE_AM}`, `--alertprism.config.file=${EXAMPLE_PRISM}`]);
    assert.equal(together.status, 0, together.transcript);
    assert.match(together.stdout, /5 receivers \(5 integrations\)/, "pagerduty, slack, email, webhook + the DingTalk robot");
    assert.match(together.stdout, /1 time intervals/);
  });

  it("the example settings are not named alertprism.yml: npm start would load them with the default routing, which has no p2", () => {
    assert.ok(!existsSync(join(REPO_ROOT, "alertmanager", "alertprism.yml")), "alertmanager/alertprism.yml would be picked up by `npm start`");
    const r = prismCli(["check-config", "--config.file=alertmanager/alertmanager.yml", `--alertprism.config.file=${EXAMPLE_PRISM}`]);
    assert.equal(r.status, 1, r.transcript);
    assert.match(r.stdout, /receiver "p2", which alertmanager\.yml does not define/);
  });

  it("secrets and endpoints come only from ${VAR} references", () => {
    const secretKeys = new Set(["routing_key", "service_key", "api_url", "auth_password", "auth_secret", "auth_username", "secret", "webhook_url", "bearer_token", "credentials", "password", "access_token"]);
    const check = (node: unknown, path: string): void => {
      if (Array.isArray(node)) node.forEach((v, i) => check(v, `${path}[${i}]`));
      else if (isRec(node)) {
        for (const [k, v] of Object.entries(node)) {
          if (secretKeys.has(k)) assert.match(String(v), /\$\{[A-Za-z_]/, `${path}.${k} must come from the environment`);
          check(v, `${path}.${k}`);
        }
      }
    };
    for (const f of [EXAMPLE_AM, EXAMPLE_PRISM, EXAMPLE_PRISM_HA]) check(parse(readFileSync(join(REPO_ROOT, f), "utf8")) as Json, f);
  });

  it("routing: priorities reach the receivers the header documents, per amtool (Alertmanager's own router)", () => {
    const cases: Array<[string[], string]> = [
      [["alertname=BackendDown", "priority=P1", "severity=critical", "service=backend"], "p1"],
      [["alertname=RedisDown", "priority=P2", "severity=critical", "service=redis"], "p2"],
      [["alertname=HighCpuUsage", "priority=P3", "severity=warning", "service=host"], "webhook,email"],
      [["alertname=SomethingInformational", "priority=P4", "severity=warning"], "webhook,email"],
      [["alertname=Watchdog", "priority=P4", "severity=none", "service=alertprism"], "watchdog"],
      [["alertname=NoPriority"], "webhook"],
    ];
    for (const [labels, want] of cases) {
      const r = amtool(["config", "routes", "test", `--config.file=${EXAMPLE_AM}`, ...labels]);
      assert.equal(r.status, 0, r.transcript);
      assert.equal(r.stdout.trim(), want, labels.join(" "));
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe("the HA example configuration (alertprism.ha.example.yml), with its variables", () => {
  const home = makeTempDir("packaging-ha-home");
  const haEnv = { ALERTPRISM_POSTGRES_URL: "postgres://alertprism@localhost:5432/alertprism", ALERTPRISM_REPLICA_ID: "a", ALERTPRISM_ADVERTISE_ADDRESS: "localhost:9093" };
  const args = ["check-config", `--config.file=${EXAMPLE_AM}`, `--alertprism.config.file=${EXAMPLE_PRISM_HA}`];
  const prismCli = (env: NodeJS.ProcessEnv) => run(process.execPath, ["--import", "tsx", MAIN_TS, ...args], { env: { ...cleanEnv(home), ...env } });
  const settings = (env: NodeJS.ProcessEnv) => resolveSettings(new Map([["config.file", join(REPO_ROOT, EXAMPLE_AM)], ["alertprism.config.file", join(REPO_ROOT, EXAMPLE_PRISM_HA)]]), env);

  it("alertprism check-config accepts it with the three variables set, and refuses it without", () => {
    const ok = prismCli(haEnv);
    assert.equal(ok.status, 0, ok.transcript);
    assert.match(ok.stdout, /5 receivers \(5 integrations\)/, "the DingTalk robot attaches to p2 as with the single-process example");
    const none = prismCli({});
    assert.equal(none.status, 1, none.transcript);
    assert.match(none.stderr + none.stdout, /environment variable ALERTPRISM_POSTGRES_URL is not set/);
    // Each variable is required: a replica without its own identity must not start.
    assert.equal(settings(haEnv).postgres?.replicaId, "a");
    for (const missing of HA_VARIABLES) {
      const env: NodeJS.ProcessEnv = { ...haEnv };
      delete env[missing];
      assert.throws(() => settings(env), new RegExp(`environment variable ${missing} is not set`));
    }
    assert.throws(() => settings({ ...haEnv, ALERTPRISM_POSTGRES_URL: "mysql://x@y/z" }), /postgres:\/\//, "the URL is validated, not only present");
  });

  it("it is the single-process example but for storage (PostgreSQL) and ha", () => {
    const single = rec(parse(readFileSync(join(REPO_ROOT, EXAMPLE_PRISM), "utf8")), EXAMPLE_PRISM);
    const ha = rec(parse(readFileSync(join(REPO_ROOT, EXAMPLE_PRISM_HA), "utf8")), EXAMPLE_PRISM_HA);
    const { storage: singleStorage, ...singleRest } = single;
    const { storage: haStorage, ha: haSection, ...haRest } = ha;
    assert.deepEqual(haRest, singleRest, `edit both: ${EXAMPLE_PRISM_HA} repeats ${EXAMPLE_PRISM} apart from storage and ha`);
    const storage = rec(haStorage, "storage");
    assert.equal(storage.backend, "postgres");
    assert.equal(rec(storage.postgres, "storage.postgres").url, "${ALERTPRISM_POSTGRES_URL}", "the URL (and its password) from the environment");
    assert.equal(storage.history_retention, rec(singleStorage, "storage").history_retention);
    assert.deepEqual(rec(haSection, "ha"), { lease: "10s", replica_id: "${ALERTPRISM_REPLICA_ID}", advertise_address: "${ALERTPRISM_ADVERTISE_ADDRESS}" });
  });
});

// ---------------------------------------------------------------------------------------------

describe("the image's start command, run directly", { timeout: 80_000 }, () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });

  const compose = rec(parseCompose(), "docker-compose.yml");
  const composeAlertprism = rec(rec(compose.services, "services").alertprism, "services.alertprism");
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;

  /** The USER of the runtime stage, applied when we can (root can switch user). */
  function userIds(): { uid: number; gid: number } | undefined {
    const u = runtime!.instructions.filter((i) => i.keyword === "USER").at(-1)!.args.split(":");
    return asRoot ? { uid: Number(u[0]), gid: Number(u[1] ?? u[0]) } : undefined;
  }

  /**
   * What a container of the image sees, as host paths: WORKDIR is the repository root (checked above), a
   * COPY of a repository file to an absolute path is that file, the VOLUME is a fresh temp dir, and any
   * `extra` bind mount (compose) maps onto the repository.
   */
  function containerFs(extra: Mount[] = []): { volumeDir: string; toHost(arg: string): string } {
    const volumeDir = makeTempDir("packaging-volume");
    const ids = userIds();
    if (ids) chownSync(volumeDir, ids.uid, ids.gid);
    const map: Array<[string, string]> = [[workdirOf(runtime!), REPO_ROOT]];
    for (const c of copiesOf(runtime!).filter((c) => c.from === undefined && c.dest.startsWith("/"))) map.push([c.dest, join(REPO_ROOT, c.sources[0]!)]);
    const env = envOf(runtime!);
    map.push([env.get("ALERTPRISM_STORAGE_PATH")!, volumeDir]);
    // A bind mount hides what the image has at and below its target.
    for (const m of extra.filter((m) => m.kind === "bind" && !m.source.startsWith("/"))) {
      for (let i = map.length - 1; i >= 0; i--) if (map[i]![0] === m.target || map[i]![0].startsWith(`${m.target}/`)) map.splice(i, 1);
      map.push([m.target, resolve(REPO_ROOT, m.source)]);
    }
    map.sort((a, b) => b[0].length - a[0].length);
    const toHost = (arg: string): string => {
      // A whole argument or the value of a --flag=value.
      const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
      const head = eq >= 0 ? arg.slice(0, eq + 1) : "";
      const value = eq >= 0 ? arg.slice(eq + 1) : arg;
      for (const [inside, outside] of map) {
        if (value === inside || value.startsWith(`${inside}/`)) return head + join(outside, value.slice(inside.length));
      }
      return arg;
    };
    return { volumeDir, toHost };
  }

  async function startContainerCommand(args: string[], env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess; logs: () => string; exited: Promise<number | null> }> {
    const port = await freePort();
    const ids = userIds();
    let logs = "";
    const [cmd, ...rest] = args;
    // The published port: the container listens on :9093, here on 127.0.0.1:<free port>.
    const child = spawn(cmd!, rest, {
      cwd: REPO_ROOT,
      env: { ...env, ALERTPRISM_LISTEN_ADDRESS: `127.0.0.1:${port}` },
      stdio: ["ignore", "pipe", "pipe"],
      ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
    });
    children.push(child);
    child.stdout?.on("data", (d: Buffer) => (logs += d.toString("utf8")));
    child.stderr?.on("data", (d: Buffer) => (logs += d.toString("utf8")));
    const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(`${url}/-/ready`, 30_000, () => (child.exitCode !== null ? `exited with ${child.exitCode}` : undefined));
    } catch (err) {
      child.kill("SIGKILL");
      throw new Error(`${args.join(" ")} did not become ready: ${(err as Error).message}\n--- logs ---\n${logs}`, { cause: err });
    }
    return { url, child, logs: () => logs, exited };
  }

  function runHealthcheck(command: string[], env: NodeJS.ProcessEnv, port: string): Run {
    const ids = userIds();
    const timeout = durationMs(healthcheckOf(runtime!).options.get("timeout") ?? "30s");
    const [cmd, ...args] = command;
    return run(cmd!, args, { env: { ...env, ALERTPRISM_LISTEN_ADDRESS: `127.0.0.1:${port}` }, timeoutMs: timeout, ...(ids ?? {}) });
  }

  it("npm run build produces the entrypoint's script", () => {
    const r = run(requireBinary("npm"), ["run", "build"], { timeoutMs: BUILD_TIMEOUT_MS });
    assert.equal(r.status, 0, r.transcript);
    const entry = execForm(runtime!.instructions.find((i) => i.keyword === "ENTRYPOINT"), "ENTRYPOINT");
    assert.ok(existsSync(join(REPO_ROOT, entry[1]!)), `${entry[1]} after the build`);
  });

  it("ENTRYPOINT + CMD with the image's ENV serve /-/healthy and pass the HEALTHCHECK, which fails once stopped", async (t) => {
    if (!asRoot) t.diagnostic("not root: running as the current user instead of the image's USER");
    const fs = containerFs();
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: fs.volumeDir };
    for (const [k, v] of envOf(runtime!)) env[k] = fs.toHost(v);
    const entry = execForm(runtime!.instructions.find((i) => i.keyword === "ENTRYPOINT"), "ENTRYPOINT");
    const cmd = execForm(runtime!.instructions.find((i) => i.keyword === "CMD"), "CMD");
    const srv = await startContainerCommand([...entry, ...cmd].map(fs.toHost), env);
    const res = await fetch(`${srv.url}/-/healthy`);
    assert.equal(res.status, 200);
    assert.equal((await res.text()).trim(), "OK");
    // The database is in the volume, not in the working directory.
    const db = join(fs.volumeDir, "alertprism.db");
    assert.ok(existsSync(db), `alertprism.db in the volume; logs:\n${srv.logs()}`);
    const ids = userIds();
    if (ids) assert.equal(statSync(db).uid, ids.uid, "written by the image's USER");
    const port = new URL(srv.url).port;
    const hc = runHealthcheck(healthcheckOf(runtime!).command, env, port);
    assert.equal(hc.status, 0, hc.transcript);
    // docker stop: SIGTERM, clean exit.
    srv.child.kill("SIGTERM");
    assert.equal(await srv.exited, 0, srv.logs());
    const down = runHealthcheck(healthcheckOf(runtime!).command, env, port);
    assert.equal(down.status, 1, `the health check must fail when nothing answers\n${down.transcript}`);
  });

  it("the compose service's command and environment start the example configuration; its routing matches amtool's", async () => {
    const mounts = mountsOf(composeAlertprism, "alertprism");
    const fs = containerFs(mounts);
    // Compose environment, interpolated as compose would with none of the variables set.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: fs.volumeDir };
    for (const [k, v] of envOf(runtime!)) env[k] = fs.toHost(v);
    for (const [k, v] of Object.entries(rec(composeAlertprism.environment, "environment"))) env[k] = interpolate(String(v), {});
    const entry = execForm(runtime!.instructions.find((i) => i.keyword === "ENTRYPOINT"), "ENTRYPOINT");
    const command = strList(composeAlertprism.command, "services.alertprism.command");
    const srv = await startContainerCommand([...entry, ...command].map(fs.toHost), env);
    const stop = async (): Promise<void> => {
      srv.child.kill("SIGTERM");
      const grace = durationMs(str(composeAlertprism.stop_grace_period, "stop_grace_period"));
      const code = await Promise.race([srv.exited, sleep(grace).then(() => "timeout" as const)]);
      assert.equal(code, 0, `exits cleanly within stop_grace_period after SIGTERM; logs:\n${srv.logs()}`);
    };
    try {
      const receivers = (await (await fetch(`${srv.url}/api/v2/receivers`)).json()) as Array<{ name: string }>;
      assert.deepEqual(receivers.map((r) => r.name), ["watchdog", "p1", "p2", "email", "webhook"]);
      const status = (await (await fetch(`${srv.url}/api/v2/status`)).json()) as { config: { original: string } };
      assert.ok(!status.config.original.includes("00000000000000000000000000000000"), "the PagerDuty key (a default here) is masked");
      assert.match(status.config.original, /routing_key: <secret>/);

      // Silence everything first (nothing may be sent anywhere), then post one alert per priority.
      const silence = await fetch(`${srv.url}/api/v2/silences`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ matchers: [{ name: "alertname", value: ".+", isRegex: true, isEqual: true }], startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(), createdBy: "packaging test", comment: "no notifications" }),
      });
      assert.equal(silence.status, 200, await silence.text());
      const alerts: Array<[Record<string, string>, string[]]> = [
        [{ alertname: "BackendDown", priority: "P1", severity: "critical", service: "backend" }, ["p1"]],
        [{ alertname: "RedisDown", priority: "P2", severity: "critical", service: "redis" }, ["p2"]],
        [{ alertname: "HighCpuUsage", priority: "P3", severity: "warning", service: "host" }, ["email", "webhook"]],
        [{ alertname: "SomethingInformational", priority: "P4", severity: "warning" }, ["email", "webhook"]],
        [{ alertname: "Watchdog", priority: "P4", severity: "none", service: "alertprism" }, ["watchdog"]],
        // No priority: alertprism.example.yml's enrichment makes it P4.
        [{ alertname: "NoPriority" }, ["email", "webhook"]],
      ];
      const post = await fetch(`${srv.url}/api/v2/alerts`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(alerts.map(([labels]) => ({ labels }))) });
      assert.equal(post.status, 200, await post.text());
      const listed = (await (await fetch(`${srv.url}/api/v2/alerts`)).json()) as Array<{ labels: Record<string, string>; receivers: Array<{ name: string }>; status: { state: string } }>;
      const amtool = requireBinary("amtool");
      for (const [labels, want] of alerts) {
        const a = listed.find((x) => x.labels.alertname === labels.alertname);
        assert.ok(a, `${labels.alertname} listed`);
        assert.equal(a.status.state, "suppressed");
        const got = a.receivers.map((r) => r.name).sort();
        assert.deepEqual(got, want, labels.alertname);
        // amtool routes the labels AlertPrism stored (after enrichment at ingest).
        const am = run(amtool, ["config", "routes", "test", `--config.file=${EXAMPLE_AM}`, ...Object.entries(a.labels).map(([k, v]) => `${k}=${v}`)], { env: cleanEnv(fs.volumeDir) });
        assert.deepEqual(am.stdout.trim().split(",").sort(), got, `amtool and AlertPrism agree on ${labels.alertname}`);
      }

      const hcTest = strList(rec(composeAlertprism.healthcheck, "healthcheck").test, "test");
      const hc = runHealthcheck(hcTest.slice(1), env, new URL(srv.url).port);
      assert.equal(hc.status, 0, hc.transcript);
    } catch (err) {
      srv.child.kill("SIGKILL"); // the first failure is the one to report
      throw err;
    }
    await stop();
  });
});
