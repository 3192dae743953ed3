/** Initial schema. Migrations are append-only: never edit a released one, add the next number. */
export const sql = `
CREATE TABLE series (
  fingerprint TEXT PRIMARY KEY,
  labels      TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- One row per label pair of a series: history queries by label go through this index.
CREATE TABLE series_labels (
  name        TEXT NOT NULL,
  value       TEXT NOT NULL,
  fingerprint TEXT NOT NULL REFERENCES series(fingerprint) ON DELETE CASCADE,
  PRIMARY KEY (name, value, fingerprint)
) STRICT, WITHOUT ROWID;
CREATE INDEX series_labels_by_fp ON series_labels(fingerprint);

-- Current state of each alert in the live set. Times keep the client's offset and precision (RFC 3339).
CREATE TABLE alerts (
  fingerprint   TEXT PRIMARY KEY REFERENCES series(fingerprint),
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
  id          INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL REFERENCES series(fingerprint),
  at_ms       INTEGER NOT NULL,
  kind        TEXT NOT NULL,
  detail      TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX alert_events_by_time ON alert_events(at_ms);
CREATE INDEX alert_events_by_fp_time ON alert_events(fingerprint, at_ms);
CREATE INDEX alert_events_by_kind_time ON alert_events(kind, at_ms);

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
