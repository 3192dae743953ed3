export { parseTimeInterval, intervalContains, TimeIntervalSet } from "./time-interval.ts";
export type { TimeInterval, TimeIntervalInput, ConfigPathResolver } from "./time-interval.ts";
