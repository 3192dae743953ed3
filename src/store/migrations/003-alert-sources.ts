/** Replica dedup (issue 9): the replicas that sent each alert's current firing episode. */
export const sql = `
-- JSON array of label sets, one per replica whose labels noise.dedup.ignore_labels removed, sorted;
-- '[]' when dedup is off or removed nothing. History events carry the same sets in their detail.
ALTER TABLE alerts ADD COLUMN sources TEXT NOT NULL DEFAULT '[]';
`;
