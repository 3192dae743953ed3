import { ConfigError } from "./lib/errors.ts";
import { redactUrls } from "./lib/redact.ts";
import { copySqliteFileToPostgres } from "./store/pg/copy-from-sqlite.ts";
import { EXIT, runCommand } from "./backup-cli.ts";

const SYNOPSIS = "migrate --from sqlite FILE [--to postgres://USER@HOST:PORT/DB]";

/**
 * `alertprism migrate --from sqlite FILE`: copies a stopped instance's SQLite database into an empty
 * PostgreSQL database. The target is --to, else ALERTPRISM_POSTGRES_URL (the variable keeps a password
 * out of `ps`; libpq's PGPASSWORD is honoured too when the URL has none).
 */
export async function migrateCommand(args: readonly string[], env: NodeJS.ProcessEnv, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    out.write(
      `usage: alertprism ${SYNOPSIS}\n` +
        "copies a SQLite database (AlertPrism stopped) into an empty PostgreSQL database; the URL defaults to ALERTPRISM_POSTGRES_URL\n" +
        "(exit codes: 0 ok, 1 failed, 2 usage, 3 refused: the database is in use or PostgreSQL already holds data)\n",
    );
    return EXIT.ok;
  }
  return runCommand("migrate", err, async () => {
    const { file, url } = parseMigrateArgs(args, env);
    const r = await copySqliteFileToPostgres(file, url);
    const perTable = r.tables.filter((t) => t.rows > 0).map((t) => `${t.table} ${t.rows}`).join(", ");
    out.write(
      `copied ${file} (schema version ${r.schemaVersion}) into ${redactUrls(url)}: ${r.rows} rows in ${r.tables.length} tables` +
        (perTable ? ` (${perTable})` : "") +
        "\n",
    );
  });
}

export function parseMigrateArgs(args: readonly string[], env: NodeJS.ProcessEnv): { file: string; url: string } {
  let from: string | undefined;
  let to: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf("=");
    const flag = a.startsWith("--") ? (eq >= 0 ? a.slice(2, eq) : a.slice(2)) : undefined;
    if (flag === undefined) {
      files.push(a);
      continue;
    }
    if (flag !== "from" && flag !== "to") throw new ConfigError(`unknown flag --${flag} (usage: alertprism ${SYNOPSIS})`);
    const v = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (v === undefined || v.trim() === "") throw new ConfigError(`flag --${flag} needs a value`);
    if (flag === "from") from = v.trim();
    else to = v.trim();
  }
  if (from === undefined) throw new ConfigError(`--from is required (usage: alertprism ${SYNOPSIS})`);
  if (from !== "sqlite") throw new ConfigError(`--from ${JSON.stringify(from)}: only sqlite can be migrated from`);
  if (files.length !== 1) throw new ConfigError(`migrate takes exactly one FILE (the SQLite database, e.g. data/alertprism.db), got ${files.length}`);
  const url = to ?? (env.ALERTPRISM_POSTGRES_URL || undefined);
  if (url === undefined) throw new ConfigError("no PostgreSQL database given: pass --to URL or set ALERTPRISM_POSTGRES_URL");
  if (!/^postgres(ql)?:\/\//i.test(url)) throw new ConfigError("the PostgreSQL URL must start with postgres:// or postgresql:// (the value is not shown: it may hold a password)");
  return { file: files[0]!, url };
}
