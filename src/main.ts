#!/usr/bin/env node
import { endStartup, holdStartupGrowth } from "./lib/startup-heap.ts";
import { ConfigError, StorageError, errorMessage } from "./lib/errors.ts";
import { VERSION } from "./version.ts";

// Everything else is imported inside main(), after this: static imports would all be loaded first.
holdStartupGrowth();

/** A one-shot command's module, with V8's default young generation again: only a server idles. */
async function command<M>(load: Promise<M>): Promise<M> {
  const m = await load;
  endStartup();
  return m;
}

/** Entry point: parse the command line, build the app, wire signals. Nothing else lives here. */
async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv[0] === "template" && argv[1] === "render") return (await command(import("./template-render.ts"))).templateRender(argv.slice(2), process.stdout, process.stderr);
  if (argv[0] === "anomaly" && argv[1] === "score") return (await command(import("./anomaly-score.ts"))).anomalyScore(argv.slice(2), process.stdout, process.stderr);
  if (argv[0] === "token" && argv[1] === "create") return (await command(import("./token-cli.ts"))).tokenCreate(argv.slice(2), process.env, process.stdout);
  if (argv[0] === "backup") return (await command(import("./backup-cli.ts"))).backupCommand(argv.slice(1), process.env, process.stdout, process.stderr);
  if (argv[0] === "restore") return (await command(import("./backup-cli.ts"))).restoreCommand(argv.slice(1), process.env, process.stdout, process.stderr);
  if (argv[0] === "migrate") return (await command(import("./migrate-cli.ts"))).migrateCommand(argv.slice(1), process.env, process.stdout, process.stderr);
  const { parseArgs, resolveSettings, helpText } = await import("./settings.ts");
  const cmd = parseArgs(argv);
  if (cmd.kind === "help") {
    process.stdout.write(helpText() + "\n");
    return 0;
  }
  if (cmd.kind === "version") {
    process.stdout.write(`alertprism ${VERSION}\n`);
    return 0;
  }
  const settings = resolveSettings(cmd.values);
  if (cmd.kind === "check-config") return (await command(import("./check-config.ts"))).checkConfig(settings, cmd.files, process.stdout);

  const { App } = await import("./app.ts");
  const app = await App.open({ settings });
  await app.start();
  endStartup();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, "shutting down");
    app.stop().then(() => process.exit(0), (err: unknown) => {
      app.log.error({ err: errorMessage(err) }, "shutdown failed");
      process.exit(1);
    });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  // A stray rejection is a bug to log, not a reason to drop every alert in flight.
  process.on("unhandledRejection", (reason: unknown) => {
    app.log.error({ err: errorMessage(reason), stack: (reason as Error)?.stack }, "unhandled promise rejection");
  });
  process.on("SIGHUP", () => {
    app.reload().catch(() => undefined); // reload() logs and counts the failure itself
  });
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    // Configuration and storage problems are the operator's to fix: their message says how; a stack would bury it.
    const explained = err instanceof ConfigError || err instanceof StorageError;
    process.stderr.write(`alertprism: ${explained ? err.message : errorMessage(err)}\n`);
    if (!explained) process.stderr.write(`${(err as Error)?.stack ?? ""}\n`);
    process.exit(1);
  },
);
