/**
 * For the PostgreSQL tests: a throwaway cluster in a temporary directory, run by the real server programs
 * (Debian's postgresql package, from scripts/install-system-deps.sh), listening on a free port of
 * 127.0.0.1 only, never a system service. initdb and postgres refuse to run as root, so as root (CI) they
 * run as the `postgres` system user the package creates; otherwise as the current user.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { accessSync, chownSync, closeSync, constants, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import pg from "pg";

const INSTALL_HINT = "run `bash scripts/install-system-deps.sh` (installs Debian's postgresql)";
const SERVER_PROGRAMS = ["initdb", "postgres"] as const;
const SUPERUSER = "alertprism";
const DEFAULT_DATABASE = "alertprism";
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** A port taken by someone else between our probe and postgres' bind: try another. */
const START_ATTEMPTS = 5;

export interface PostgresCluster {
  /** `postgres://alertprism:<password>@127.0.0.1:<port>/alertprism`: a superuser, password (SCRAM) auth. */
  readonly url: string;
  readonly port: number;
  /** The temporary directory: data/, the server log postgres.log, and the unix socket. */
  readonly dir: string;
  /** Creates an empty database (a fresh one per test keeps one cluster per file) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /**
   * Immediate shutdown (no checkpoint: nothing is kept), then removes `dir`; idempotent. End your pools
   * first: the server closes their connections, and an idle pg client without an error listener throws.
   */
  stop(): Promise<void>;
}

/** The server programs' directory: the highest major in Debian's /usr/lib/postgresql, else `pg_config --bindir`. */
export function postgresBinDir(): string {
  const debian = "/usr/lib/postgresql";
  let majors: string[] = [];
  try {
    majors = readdirSync(debian).filter((m) => /^\d+$/.test(m)).sort((a, b) => Number(b) - Number(a));
  } catch {
    // not Debian's layout
  }
  for (const major of majors) {
    if (hasServerPrograms(join(debian, major, "bin"))) return join(debian, major, "bin");
  }
  try {
    const dir = execFileSync("pg_config", ["--bindir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (hasServerPrograms(dir)) return dir;
  } catch {
    // pg_config is not on PATH
  }
  throw new Error(`PostgreSQL server programs (initdb, postgres) not found in ${debian}/<major>/bin nor in \`pg_config --bindir\`: ${INSTALL_HINT}`);
}

function hasServerPrograms(dir: string): boolean {
  return SERVER_PROGRAMS.every((p) => {
    try {
      accessSync(join(dir, p), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

interface RunAs {
  uid: number;
  gid: number;
}

/** Whom initdb and postgres run as: undefined means the current user. */
function serverUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    throw new Error(`running as root, which initdb and postgres refuse, and there is no \`postgres\` system user to run them as: ${INSTALL_HINT}`);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").slice(-2000).trim();
  } catch {
    return "";
  }
}

/** Servers still running and their directories: killed and removed if the test process exits without stop(). */
const running = new Map<ChildProcess, string>();
process.once("exit", () => {
  for (const [child, dir] of running) {
    child.kill("SIGKILL");
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // its last processes may still be going away; the OS's temp cleanup gets the rest
    }
  }
});

export async function startPostgres(): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  const runAs = serverUser();
  const dir = mkdtempSync(join(tmpdir(), "alertprism-pg-"));
  const data = join(dir, "data");
  const log = join(dir, "postgres.log");
  const password = randomBytes(16).toString("hex");
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C" };
  const childOptions = { cwd: dir, env, ...runAs };
  try {
    if (runAs) chownSync(dir, runAs.uid, runAs.gid);
    const pwfile = join(dir, "pwfile");
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (runAs) chownSync(pwfile, runAs.uid, runAs.gid);
    try {
      // C locale: byte order, as SQLite's default BINARY collation compares text.
      await promisify(execFile)(join(bin, "initdb"), [
        "-D", data, `--username=${SUPERUSER}`, `--pwfile=${pwfile}`, "--auth-local=trust", "--auth-host=scram-sha-256",
        "--locale=C", "--encoding=UTF8", "--no-sync",
      ], childOptions);
    } catch (err) {
      throw new Error(`initdb failed: ${(err as { stderr?: string }).stderr?.trim() || String(err)}`, { cause: err });
    } finally {
      rmSync(pwfile, { force: true });
    }

    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const logFd = openSync(log, "a");
      const child = spawn(join(bin, "postgres"), [
        "-D", data, "-p", String(port),
        "-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${dir}`,
        // A throwaway cluster: durability buys nothing here, and fsyncs slow every test down.
        "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
      ], { ...childOptions, stdio: ["ignore", logFd, logFd] });
      closeSync(logFd);
      running.set(child, dir);
      child.once("exit", () => running.delete(child));
      child.unref();
      const adminUrl = `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/postgres`;
      try {
        await waitUntilReady(child, adminUrl, log);
      } catch (err) {
        await stopServer(child);
        if (attempt < START_ATTEMPTS && /could not bind|address already in use/i.test(tail(log))) continue;
        throw err;
      }
      const cluster = clusterHandle(child, dir, port, password);
      try {
        await cluster.createDatabase(DEFAULT_DATABASE);
      } catch (err) {
        await cluster.stop();
        throw err;
      }
      return cluster;
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function clusterHandle(child: ChildProcess, dir: string, port: number, password: string): PostgresCluster {
  const urlOf = (db: string) => `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/${db}`;
  let stopping: Promise<void> | undefined;
  return {
    url: urlOf(DEFAULT_DATABASE),
    port,
    dir,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`database name ${JSON.stringify(name)}: use [a-z0-9_], at most 63`);
      await withClient(urlOf("postgres"), (c) => c.query(`CREATE DATABASE "${name}"`));
      return urlOf(name);
    },
    stop() {
      stopping ??= stopServer(child).then(() => rmSync(dir, { recursive: true, force: true }));
      return stopping;
    },
  };
}

async function withClient<T>(url: string, use: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Resolves once the server answers a query; rejects with the server log's tail if it exits or times out. */
async function waitUntilReady(child: ChildProcess, url: string, log: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`postgres exited (${child.exitCode ?? child.signalCode}) while starting:\n${tail(log)}`);
    }
    try {
      await withClient(url, (c) => c.query("SELECT 1"));
      return;
    } catch (err) {
      lastError = err; // refused while it binds, 57P03 while it starts up
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`postgres did not accept connections within ${READY_TIMEOUT_MS} ms (${String(lastError)}):\n${tail(log)}`);
}

/** SIGQUIT is PostgreSQL's immediate shutdown; SIGKILL if it does not go in time. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGQUIT");
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), STOP_TIMEOUT_MS)));
  if ((await Promise.race([exited, late])) === "late") {
    child.kill("SIGKILL");
    await exited;
  }
  clearTimeout(timer);
}
