/** Heartbeats (dead man's switch): alerts that must keep arriving, and HeartbeatMissing when they stop. */
export {
  deadlineOf, heartbeatId, HEARTBEAT_MISSING, isArrival, isHeartbeatMissing, missingAnnotations, missingLabels, statusAt,
  type Heartbeat, type HeartbeatState, type HeartbeatStatus,
} from "./heartbeat.ts";
export { HeartbeatTracker, type HeartbeatEffects, type HeartbeatView } from "./tracker.ts";
