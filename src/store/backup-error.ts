/**
 * Why a backup or restore did not happen. `reason` lets the command line choose an exit code without
 * parsing messages; the message is one line meant for an operator.
 */
export type BackupFailure =
  /** The file given is not a usable AlertPrism database (corrupt, truncated, foreign, missing). */
  | "invalid"
  /** The file was written by a newer AlertPrism than this one. */
  | "newer-schema"
  /** Another process (a running AlertPrism) has the database open. */
  | "in-use"
  /** The destination exists and overwriting was not asked for. */
  | "exists"
  /** Reading or writing a file failed (permissions, disk full, missing directory). */
  | "io";

export class BackupError extends Error {
  override name = "BackupError";
  constructor(message: string, readonly reason: BackupFailure) {
    super(message);
  }
}
