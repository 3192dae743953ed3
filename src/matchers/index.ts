export {
  MatcherError,
  newMatcher,
  checkRegex,
  matcherString,
  matchersString,
  sortMatchers,
  matchesAll,
  matchersFromLegacy,
} from "./matcher.ts";
export { parseMatcher, parseMatchers, parseFilterParam } from "./parse.ts";
export type { Matcher, MatchType } from "../types/matcher.ts";
