/** AlertPrism's own version, reported in /api/v2/status revision and logs. */
export const VERSION = "0.1.0";
