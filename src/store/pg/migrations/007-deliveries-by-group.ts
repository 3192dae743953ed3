/** PostgreSQL twin of ../../migrations/007-deliveries-by-group.ts: a group's deliveries in a time range (issue 10). */
export const sql = `
CREATE INDEX deliveries_by_group_time ON deliveries(group_key, at_ms);
`;
