import { closeSync, openSync, readFileSync } from "node:fs";

/** What Go's syscall errors say for the errno codes a file read meets. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
  EMFILE: "too many open files",
  EIO: "input/output error",
};

/** A file that could not be read, worded as Go's os.ReadFile words it (`open x: …`, `read x: …`). */
export class GoFileError extends Error {
  override readonly name = "GoFileError";
}

function goError(err: unknown, op: "open" | "read", path: string): unknown {
  const text = ERRNO_TEXT[(err as NodeJS.ErrnoException).code ?? ""];
  return text === undefined ? err : new GoFileError(`${op} ${path}: ${text}`);
}

/** A file opened as Go's os.Open opens it: opening a directory succeeds, reading it fails. */
export interface GoFile {
  /** io.ReadAll, then close. */
  readAll(): Buffer;
  /** Idempotent. */
  close(): void;
}

/** os.Open with Go's error text, for CLI commands whose output must match Go tools' (amtool's). */
export function openLikeGo(path: string): GoFile {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw goError(err, "open", path);
  }
  let open = true;
  const close = (): void => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    readAll(): Buffer {
      try {
        return readFileSync(fd);
      } catch (err) {
        throw goError(err, "read", path);
      } finally {
        close();
      }
    },
    close,
  };
}
