/** Noise control (issue 9): flap and storm state, and every notification decision the pipeline takes. */
export const sql = `
-- Flap damping state per alert (noise.flapping), written after each firing/resolved change. History is
-- the log it is rebuilt from: on start, changes recorded after updated_ms are applied again.
CREATE TABLE flap_states (
  fingerprint TEXT PRIMARY KEY,
  state       TEXT NOT NULL,
  updated_ms  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Storms per receiver (noise.storm); ended_ms is NULL while the storm goes on.
CREATE TABLE storms (
  id         TEXT PRIMARY KEY,
  receiver   TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  ended_ms   INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX storms_by_start ON storms(started_ms);

-- The alerts a storm covered: their labels, the receiver's groups they are in, first and last seen.
CREATE TABLE storm_alerts (
  storm_id    TEXT NOT NULL REFERENCES storms(id) ON DELETE CASCADE,
  fingerprint TEXT NOT NULL,
  labels      TEXT NOT NULL,
  groups      TEXT NOT NULL,
  first_ms    INTEGER NOT NULL,
  last_ms     INTEGER NOT NULL,
  PRIMARY KEY (storm_id, fingerprint)
) STRICT, WITHOUT ROWID;
CREATE INDEX storm_alerts_by_fingerprint ON storm_alerts(fingerprint);

-- What the notification pipeline decided for each group flush: states (held by a silence, muted by a
-- time interval, damped as flapping, held by a storm, …) when they start, change or end, and events
-- (sent, failed, covered by a storm summary). fingerprint '' is the whole group; integration '' all.
CREATE TABLE notify_decisions (
  id          INTEGER PRIMARY KEY,
  at_ms       INTEGER NOT NULL,
  group_key   TEXT NOT NULL,
  receiver    TEXT NOT NULL,
  integration TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  stage       TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  detail      TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX notify_decisions_by_time ON notify_decisions(at_ms);
CREATE INDEX notify_decisions_by_group ON notify_decisions(group_key, at_ms);
CREATE INDEX notify_decisions_by_fingerprint ON notify_decisions(fingerprint, at_ms);
`;
