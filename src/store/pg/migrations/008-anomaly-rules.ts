/** PostgreSQL twin of ../../migrations/008-anomaly-rules.ts: anomaly rules' and predictions' state (issue 11). */
export const sql = `
-- One row per rule: under which definition (state_key) its state was saved, and up to which aligned
-- evaluation time the series state includes samples.
CREATE TABLE anomaly_rules (
  name          text PRIMARY KEY,
  state_key     text NOT NULL,
  last_eval_ms  bigint NOT NULL,
  saved_ms      bigint NOT NULL
);

-- One row per tracked series: its labels, the alert state and last sample (JSON), and the detector's
-- snapshot (compressed; NULL for predictions, which refit from Prometheus every evaluation).
CREATE TABLE anomaly_series (
  rule        text NOT NULL REFERENCES anomaly_rules(name) ON DELETE CASCADE,
  fingerprint text NOT NULL,
  labels      text NOT NULL,
  state       text NOT NULL,
  model       bytea,
  PRIMARY KEY (rule, fingerprint)
);
`;
