/** PostgreSQL twin of ../../migrations/003-alert-sources.ts: replica dedup's sources (issue 9). */
export const sql = `
-- JSON array of label sets, one per replica whose labels noise.dedup.ignore_labels removed, sorted;
-- '[]' when dedup is off or removed nothing. History events carry the same sets in their detail.
ALTER TABLE alerts ADD COLUMN sources text NOT NULL DEFAULT '[]';
`;
