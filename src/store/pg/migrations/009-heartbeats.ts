/** PostgreSQL twin of ../../migrations/009-heartbeats.ts: each heartbeat's last arrival (issue 15). */
export const sql = `
-- One row per configured heartbeat, keyed by its matchers (sorted, as text).
CREATE TABLE heartbeats (
  id               text PRIMARY KEY,
  first_seen_ms    bigint NOT NULL,
  last_arrival_ms  bigint
);
`;
