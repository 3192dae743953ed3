/** Anomaly rules and predictions (issue 11): each rule's state, so models and pending `for` timers survive restarts. */
export const sql = `
-- One row per rule: under which definition (state_key) its state was saved, and up to which aligned
-- evaluation time the series state includes samples.
CREATE TABLE anomaly_rules (
  name          TEXT PRIMARY KEY,
  state_key     TEXT NOT NULL,
  last_eval_ms  INTEGER NOT NULL,
  saved_ms      INTEGER NOT NULL
) STRICT;

-- One row per tracked series: its labels, the alert state and last sample (JSON), and the detector's
-- snapshot (compressed; NULL for predictions, which refit from Prometheus every evaluation).
CREATE TABLE anomaly_series (
  rule        TEXT NOT NULL REFERENCES anomaly_rules(name) ON DELETE CASCADE,
  fingerprint TEXT NOT NULL,
  labels      TEXT NOT NULL,
  state       TEXT NOT NULL,
  model       BLOB,
  PRIMARY KEY (rule, fingerprint)
) STRICT, WITHOUT ROWID;
`;
