/**
 * PostgreSQL only, no SQLite twin (issue 16): the tables replicas sharing one database coordinate through.
 * An embedded SQLite store has a single process, so it has nothing to coordinate. When both backends next
 * share a migration, SQLite first gets an empty 010 of this name, so the shared one is 011 on both.
 */
export const sql = `
-- A lease: who may act alone (one row per lease, e.g. 'sender'). expires_at is set from the database's
-- clock only, never a replica's. token is the fencing token: it grows by one each time the lease is
-- granted anew (another holder, or the same one after its lease lapsed), never on a renewal.
CREATE TABLE ha_leases (
  name        text PRIMARY KEY,
  holder      text,
  token       bigint NOT NULL CHECK (token > 0),
  expires_at  timestamptz NOT NULL
);

-- True when (lease, token) is the current, unexpired grant; otherwise raises SQLSTATE AP409, so a write
-- that carries a stale token (WHERE ha_fence(...), or SELECT ha_fence(...) first in its transaction)
-- fails. FOR SHARE holds off a takeover (an UPDATE of the row) until the writing transaction ends, so a
-- new holder's grant is ordered after every write its predecessor was allowed.
CREATE FUNCTION ha_fence(lease text, fencing_token bigint) RETURNS boolean
LANGUAGE plpgsql AS $fence$
DECLARE
  current ha_leases%ROWTYPE;
BEGIN
  SELECT * INTO current FROM ha_leases WHERE name = lease FOR SHARE;
  IF NOT FOUND OR current.holder IS NULL OR current.token <> fencing_token OR current.expires_at <= clock_timestamp() THEN
    RAISE EXCEPTION 'fenced: token % no longer holds lease %', fencing_token, lease USING ERRCODE = 'AP409';
  END IF;
  RETURN true;
END
$fence$;

-- The replicas on this database: each upserts its row periodically; live ones were seen within the lease.
CREATE TABLE ha_replicas (
  id          text PRIMARY KEY,
  address     text NOT NULL,
  started_at  timestamptz NOT NULL,
  seen_at     timestamptz NOT NULL
);
`;
