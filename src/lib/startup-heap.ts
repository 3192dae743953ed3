/**
 * Keeps V8's young generation at its initial size while the process loads its code. Compiling the modules
 * and building the configuration allocate ~20 MiB that all survive, which V8 reads as a busy young
 * generation and grows it towards its 32 MiB maximum; nothing shrinks it again until V8's memory reducer
 * runs, tens of seconds into idleness (~10 MiB of resident memory meanwhile). main.ts calls `holdStartupGrowth()`
 * before it imports anything else and `endStartup()` once the server runs, which restores V8's default,
 * so a process under load sizes its young generation as usual.
 */
import { setFlagsFromString } from "node:v8";

/** V8's default (`node --v8-options`): the young generation doubles when most of it survived a scavenge. */
const DEFAULT_GROWTH_FACTOR = 2;

export function holdStartupGrowth(): void {
  setFlagsFromString("--semi-space-growth-factor=1");
}

export function endStartup(): void {
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
}
