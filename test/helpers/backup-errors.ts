import assert from "node:assert/strict";
import { BackupError } from "../../src/store/backup-error.ts";

/** Asserts that `p` rejects with a BackupError of this reason whose message matches. */
export async function rejectsWithBackupError(p: Promise<unknown>, reason: BackupError["reason"], message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof BackupError, `expected a BackupError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    assert.match(err.message, message);
    return true;
  });
}
