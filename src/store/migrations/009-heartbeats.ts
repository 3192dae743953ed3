/** Heartbeats (issue 15): the last arrival of each, so a restart does not reset its timer. */
export const sql = `
-- One row per configured heartbeat, keyed by its matchers (sorted, as text).
CREATE TABLE heartbeats (
  id               TEXT PRIMARY KEY,
  first_seen_ms    INTEGER NOT NULL,
  last_arrival_ms  INTEGER
) STRICT;
`;
