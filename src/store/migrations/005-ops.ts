/** The ops API (issue 10): acknowledgements, comments, escalations and the audit log. */
export const sql = `
-- Acknowledgements: one row per ack of one alert's firing episode (episode_starts_ms is its startsAt).
-- An ack ends (ended_ms) when it is removed, expires, or the episode resolves.
CREATE TABLE acks (
  id                INTEGER PRIMARY KEY,
  fingerprint       TEXT NOT NULL,
  episode_starts_ms INTEGER NOT NULL,
  actor             TEXT NOT NULL,
  comment           TEXT NOT NULL,
  created_ms        INTEGER NOT NULL,
  expires_ms        INTEGER,
  ended_ms          INTEGER,
  ended_by          TEXT
) STRICT;
CREATE INDEX acks_by_fingerprint ON acks(fingerprint, created_ms);
CREATE INDEX acks_open ON acks(fingerprint) WHERE ended_ms IS NULL;

-- Comments on an alert, by anyone with the operator role.
CREATE TABLE comments (
  id          INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  actor       TEXT NOT NULL,
  text        TEXT NOT NULL,
  created_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX comments_by_fingerprint ON comments(fingerprint, created_ms);

-- Escalations due or done: one row per alert episode and escalation rule. rule is the rule's identity
-- (its receiver and matchers, so a reload that reorders rules does not re-fire them); group_key is the
-- group whose first notification started the wait.
CREATE TABLE escalations (
  id                INTEGER PRIMARY KEY,
  fingerprint       TEXT NOT NULL,
  episode_starts_ms INTEGER NOT NULL,
  rule              TEXT NOT NULL,
  receiver          TEXT NOT NULL,
  group_key         TEXT NOT NULL,
  notified_ms       INTEGER NOT NULL,
  due_ms            INTEGER NOT NULL,
  fired_ms          INTEGER,
  cancelled_ms      INTEGER,
  cancelled_by      TEXT,
  UNIQUE (fingerprint, episode_starts_ms, rule)
) STRICT;
CREATE INDEX escalations_pending ON escalations(due_ms) WHERE fired_ms IS NULL AND cancelled_ms IS NULL;

-- Who changed what: every write through the ops API, silences through /api/v2 when auth is on, reloads.
CREATE TABLE audit (
  id     INTEGER PRIMARY KEY,
  at_ms  INTEGER NOT NULL,
  actor  TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX audit_by_time ON audit(at_ms);
`;
