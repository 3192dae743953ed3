/** PostgreSQL twin of ../../migrations/006-stats.ts: indexes for explain and statistics (issue 10). */
export const sql = `
-- Firing/resolved changes only (episodes start and end): time-range scans for /stats, and "the episode
-- open at time T" per series for explain and MTTA/MTTR.
CREATE INDEX alert_events_lifecycle_by_time ON alert_events(at_ms) WHERE kind IN ('new', 'resolved');
CREATE INDEX alert_events_lifecycle_by_series ON alert_events(series_id, at_ms) WHERE kind IN ('new', 'resolved');

-- Acknowledgements made in a time range (MTTA).
CREATE INDEX acks_by_time ON acks(created_ms);
`;
