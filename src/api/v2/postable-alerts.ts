import { ApiError, SWAGGER } from "../http-error.ts";
import { goJsonKind, parseFailure } from "./json-body.ts";
import { parseApiTime, TimeParseError, type Timestamp } from "../../types/time.ts";

/** One alert as posted, decoded and schema-checked but not yet defaulted or validated. */
export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: Timestamp | undefined;
  readonly endsAt: Timestamp | undefined;
  readonly generatorURL: string;
}

/**
 * Decodes `postableAlerts` in Alertmanager's order: JSON type errors of the whole body first (400),
 * then schema validation (422: labels required, generatorURL a URI), so a bad batch is rejected whole.
 */
export function decodePostableAlerts(body: unknown): PostableAlert[] {
  if (body === undefined) throw ApiError.framework(422, "alerts in body is required", SWAGGER.required);
  if (body === null) return [];
  if (!Array.isArray(body)) throw parseFailure("alerts", `json: cannot unmarshal ${goJsonKind(body)} into Go value of type models.PostableAlerts`);
  // Alerts of one evaluation share their times: parse each distinct string once and share the (immutable)
  // result, so the live set holds one timestamp per batch rather than one per alert.
  const times = new Map<string, Timestamp>();
  const decoded = body.map((item: unknown) => decodeItem(item, times));
  decoded.forEach((a, i) => {
    if (a.labels === undefined) throw ApiError.framework(422, `${i}.labels in body is required`, SWAGGER.required);
    if (a.generatorURL !== "" && !isRequestUri(a.generatorURL)) {
      throw ApiError.framework(422, `${i}.generatorURL in body must be of type uri: ${JSON.stringify(a.generatorURL)}`, SWAGGER.format);
    }
  });
  return decoded as PostableAlert[];
}

// go-swagger's PostableAlert.UnmarshalJSON decodes this anonymous struct first, so Go names it in type errors.
const ALERT_TIMES_STRUCT =
  'struct { Annotations models.LabelSet "json:\\"annotations,omitempty\\""; EndsAt strfmt.DateTime "json:\\"endsAt,omitempty\\""; StartsAt strfmt.DateTime "json:\\"startsAt,omitempty\\"" }';

type Decoded = Omit<PostableAlert, "labels"> & { labels: Record<string, string> | undefined };

function decodeItem(item: unknown, times: Map<string, Timestamp>): Decoded {
  if (item === null) return { labels: undefined, annotations: {}, startsAt: undefined, endsAt: undefined, generatorURL: "" };
  if (typeof item !== "object" || Array.isArray(item)) {
    throw parseFailure("alerts", `json: cannot unmarshal ${goJsonKind(item)} into Go value of type ${ALERT_TIMES_STRUCT}`);
  }
  const o = item as Record<string, unknown>;
  let labels: Record<string, string> | undefined;
  let annotations: Record<string, string> = {};
  let startsAt: Timestamp | undefined;
  let endsAt: Timestamp | undefined;
  let generatorURL = "";
  // Field by field in document order, like Go's decoder, so the first error reported is the first one found.
  for (const [key, value] of Object.entries(o)) {
    switch (key) {
      case "labels":
        labels = value === null ? undefined : stringMap(value, "Alert.labels");
        break;
      case "annotations":
        annotations = value === null ? {} : stringMap(value, ".annotations");
        break;
      case "startsAt":
        startsAt = time(value, ".startsAt", times);
        break;
      case "endsAt":
        endsAt = time(value, ".endsAt", times);
        break;
      case "generatorURL":
        if (value !== null && typeof value !== "string") throw typeError(value, "Alert.generatorURL", "strfmt.URI");
        generatorURL = value ?? "";
        break;
      default:
        break; // unknown fields are ignored, as by Alertmanager
    }
  }
  return { labels, annotations, startsAt, endsAt, generatorURL };
}

function stringMap(value: unknown, field: string): Record<string, string> {
  if (typeof value !== "object" || Array.isArray(value) || value === null) throw typeError(value, field, "models.LabelSet");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null) out[k] = "";
    else if (typeof v !== "string") throw typeError(v, field, "string");
    else out[k] = v;
  }
  return out;
}

function time(value: unknown, field: string, times: Map<string, Timestamp>): Timestamp | undefined {
  if (value === null) return undefined;
  if (typeof value !== "string") throw typeError(value, field, "string");
  const known = times.get(value);
  if (known !== undefined) return known;
  try {
    const t = parseApiTime(value);
    times.set(value, t);
    return t;
  } catch (err) {
    if (err instanceof TimeParseError) throw parseFailure("alerts", err.message);
    throw err;
  }
}

function typeError(value: unknown, field: string, goType: string): ApiError {
  return parseFailure("alerts", `json: cannot unmarshal ${goJsonKind(value)} into Go struct field ${field} of type ${goType}`);
}

/** Go's url.ParseRequestURI: an absolute URI with a scheme, or an absolute path. */
export function isRequestUri(s: string): boolean {
  if (s.startsWith("/")) return ![...s].some((c) => c <= " " || c === "\u007f");
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s)) return false;
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}
