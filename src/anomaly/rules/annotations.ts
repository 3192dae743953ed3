/**
 * Annotation templates of anomaly rules and predictions, written as in Prometheus alerting rules:
 * `{{ $labels.venue }}`, `{{ $value }}`, plus `$score` (anomaly rules) and `$eta` (predictions). Rendered
 * with the project's Go template engine (Alertmanager's functions; no PromQL `query`).
 */
import { TemplateError, TemplateSet } from "../../template/index.ts";
import type { LabelSet } from "../../types/labels.ts";

/** Like Prometheus, the variables are defined by a prelude in front of the text. */
const PRELUDE = "{{$labels := .Labels}}{{$value := .Value}}{{$score := .Score}}{{$eta := .ETA}}{{$externalLabels := .ExternalLabels}}";

const SET = new TemplateSet();

export interface AnnotationData {
  readonly labels: LabelSet;
  readonly value: number;
  readonly score?: number;
  /** RFC 3339, predictions only. */
  readonly eta?: string;
}

/** Throws TemplateError when the text does not parse. */
export function checkAnnotationTemplate(text: string): void {
  SET.checkText(PRELUDE + text);
}

/**
 * Renders each annotation; one that fails at run time becomes the error text (as Prometheus does, so the
 * alert still goes out and says what went wrong).
 */
export function renderAnnotations(templates: LabelSet, data: AnnotationData): Record<string, string> {
  const out: Record<string, string> = {};
  const goData = { Labels: { ...data.labels }, Value: data.value, Score: data.score ?? 0, ETA: data.eta ?? "", ExternalLabels: {} };
  for (const [name, text] of Object.entries(templates)) {
    try {
      out[name] = SET.renderText(PRELUDE + text, goData);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      out[name] = `<error expanding template: ${err.message}>`;
    }
  }
  return out;
}
