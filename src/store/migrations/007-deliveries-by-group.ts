/** The ops API's alert timeline (issue 10): a group's delivery attempts in a time range. */
export const sql = `
-- GET /api/ops/v1/alerts/{fingerprint} reads the deliveries of the alert's groups during its episodes:
-- without this, each lookup walks every delivery of every group in the time range.
CREATE INDEX deliveries_by_group_time ON deliveries(group_key, at_ms);
`;
