import { ConfigError, errorMessage } from "./lib/errors.ts";
import { databaseFile, FLAGS, resolveSettings } from "./settings.ts";
import { backupDatabase } from "./store/backup.ts";
import { restoreDatabase } from "./store/restore.ts";
import { BackupError, type BackupFailure } from "./store/backup-error.ts";

/** Exit codes of `alertprism backup` and `alertprism restore`, as documented in the README. */
export const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3 } as const;

const EXIT_FOR: Record<BackupFailure, number> = {
  invalid: EXIT.failed,
  "newer-schema": EXIT.failed,
  io: EXIT.failed,
  "in-use": EXIT.refused,
  exists: EXIT.refused,
};

interface Invocation {
  readonly file: string;
  readonly force: boolean;
  /** The database the server would open with the same flags, environment and alertprism.yml. */
  readonly database: string;
}

/**
 * `alertprism backup [--force] [server flags] FILE`: an online, consistent copy of the database of a
 * running (or stopped) instance. The server's flags are accepted so the command line that starts it,
 * or its environment, points this at the same --storage.path.
 */
export async function backupCommand(args: readonly string[], env: NodeJS.ProcessEnv, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) return usage(out, "backup [--force] [--storage.path=DIR] FILE");
  return runCommand("backup", err, async () => {
    const inv = parseInvocation("backup", args, env, true);
    const r = await backupDatabase(inv.database, inv.file, { overwrite: inv.force });
    out.write(`backup of ${inv.database} written to ${r.file}: ${r.bytes} bytes, schema version ${r.schemaVersion}, integrity ok\n`);
  });
}

/** `alertprism restore [server flags] FILE`: replaces the database of a stopped instance with a backup. */
export async function restoreCommand(args: readonly string[], env: NodeJS.ProcessEnv, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) return usage(out, "restore [--storage.path=DIR] FILE");
  return runCommand("restore", err, () => {
    const inv = parseInvocation("restore", args, env, false);
    const r = restoreDatabase(inv.file, inv.database);
    out.write(
      `restored ${inv.file} to ${r.file}: ${r.bytes} bytes, schema version ${r.schemaVersion}, integrity ok; ` +
        (r.replaced ? `the previous database was kept as ${r.replaced}` : "there was no previous database") +
        (r.strays.length > 0 ? `; stray files without a database were moved aside: ${r.strays.join(", ")}` : "") +
        "\n",
    );
    return Promise.resolve();
  });
}

function usage(out: NodeJS.WritableStream, synopsis: string): number {
  out.write(`usage: alertprism ${synopsis}\n(the server's other flags and ALERTPRISM_* variables are accepted too; exit codes: 0 ok, 1 failed, 2 usage, 3 refused)\n`);
  return EXIT.ok;
}

/** Runs a command and turns every failure into one line on stderr and an exit code (never a stack trace). */
export async function runCommand(name: string, err: NodeJS.WritableStream, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return EXIT.ok;
  } catch (e) {
    err.write(`alertprism ${name}: ${errorMessage(e).replace(/\s*\n\s*/g, " ")}\n`);
    if (e instanceof BackupError) return EXIT_FOR[e.reason];
    if (e instanceof ConfigError) return EXIT.usage;
    return EXIT.failed;
  }
}

function parseInvocation(name: string, args: readonly string[], env: NodeJS.ProcessEnv, allowForce: boolean): Invocation {
  const values = new Map<string, string>();
  const files: string[] = [];
  let force = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--force" && allowForce) {
      force = true;
      continue;
    }
    if (!a.startsWith("--")) {
      files.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const flag = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (!FLAGS.some((f) => f.flag === flag)) {
      throw new ConfigError(`unknown flag --${flag} (${name} takes ${allowForce ? "--force, " : ""}the server's flags such as --storage.path, and FILE)`);
    }
    const v = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (v === undefined) throw new ConfigError(`flag --${flag} needs a value`);
    values.set(flag, v.trim());
  }
  if (files.length !== 1) throw new ConfigError(`${name} takes exactly one FILE, got ${files.length}`);
  const settings = resolveSettings(values, env);
  if (settings.postgres) {
    throw new ConfigError(`${name} is for the SQLite database; with storage.backend postgres, back up and restore with PostgreSQL's own tools (pg_dump and pg_restore, or your provider's backups)`);
  }
  return { file: files[0]!, force, database: databaseFile(settings) };
}
