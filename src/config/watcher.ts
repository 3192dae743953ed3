import { watch, readFileSync, type FSWatcher } from "node:fs";
import { createHash } from "node:crypto";
import { basename, dirname } from "node:path";
import type { Logger } from "../lib/log.ts";

/**
 * Calls `onChange` when a config file's content changes on disk. Watches the directory, not the file:
 * editors and config-management tools replace files by rename, which a file watch loses. Bursts of
 * events are debounced and compared by content hash, so touching a file does not reload.
 */
export class ConfigWatcher {
  private readonly watchers: FSWatcher[] = [];
  private readonly hashes = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly files: readonly string[], private readonly onChange: () => void, log: Logger, private readonly debounceMs = 500) {
    for (const f of files) this.hashes.set(f, hash(f));
    for (const dir of new Set(files.map(dirname))) {
      try {
        const w = watch(dir, (_event, name) => {
          if (name === null || files.some((f) => dirname(f) === dir && basename(f) === name.toString())) this.schedule();
        });
        w.on("error", (err) => log.warn({ err: err.message, dir }, "config watch failed; reload with SIGHUP or POST /-/reload"));
        w.unref();
        this.watchers.push(w);
      } catch (err) {
        log.warn({ err: (err as Error).message, dir }, "cannot watch config directory; reload with SIGHUP or POST /-/reload");
      }
    }
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      let changed = false;
      for (const f of this.files) {
        const h = hash(f);
        if (h !== this.hashes.get(f)) {
          this.hashes.set(f, h);
          changed = true;
        }
      }
      if (changed) this.onChange();
    }, this.debounceMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
  }
}

function hash(file: string): string {
  try {
    return createHash("sha256").update(readFileSync(file)).digest("hex");
  } catch {
    return "missing";
  }
}
