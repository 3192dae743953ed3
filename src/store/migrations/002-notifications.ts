/** Notification log, outbox and delivery attempts (issue 3). */
export const sql = `
-- Alertmanager's notification log: what each integration was last told about each group.
CREATE TABLE nflog (
  group_key   TEXT NOT NULL,
  receiver    TEXT NOT NULL,
  integration TEXT NOT NULL,
  firing      TEXT NOT NULL,
  resolved    TEXT NOT NULL,
  sent_at_ms  INTEGER NOT NULL,
  PRIMARY KEY (group_key, receiver, integration)
) STRICT, WITHOUT ROWID;

-- Notifications decided but not yet delivered; one per group and integration, the latest decision wins.
CREATE TABLE outbox (
  group_key   TEXT NOT NULL,
  receiver    TEXT NOT NULL,
  integration TEXT NOT NULL,
  payload     TEXT NOT NULL,
  created_ms  INTEGER NOT NULL,
  PRIMARY KEY (group_key, receiver, integration)
) STRICT, WITHOUT ROWID;

-- Every send attempt.
CREATE TABLE deliveries (
  id          INTEGER PRIMARY KEY,
  at_ms       INTEGER NOT NULL,
  group_key   TEXT NOT NULL,
  receiver    TEXT NOT NULL,
  integration TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('success', 'failed')),
  retryable   INTEGER NOT NULL,
  error       TEXT,
  duration_ms REAL NOT NULL,
  firing      INTEGER NOT NULL,
  resolved    INTEGER NOT NULL
) STRICT;
CREATE INDEX deliveries_by_time ON deliveries(at_ms);
CREATE INDEX deliveries_by_receiver_time ON deliveries(receiver, at_ms);
`;
