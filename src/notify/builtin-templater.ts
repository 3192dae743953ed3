import type { LabelSet } from "../types/labels.ts";
import { ConfigError } from "../lib/errors.ts";
import type { NotificationData, NotifyAlert, Templater } from "./notifier.ts";

/**
 * Alertmanager's default templates, written as functions. Config fields default to references such as
 * `{{ template "slack.default.title" . }}`; this templater resolves those references and passes plain
 * text through. Anything else in `{{ … }}` needs the Go template engine, which replaces this class.
 */

type Render = (d: NotificationData) => string;

const sortedValues = (ls: LabelSet): string[] => Object.keys(ls).sort().map((k) => ls[k]!);
const firing = (d: NotificationData): NotifyAlert[] => d.alerts.filter((a) => a.status === "firing");
const resolved = (d: NotificationData): NotifyAlert[] => d.alerts.filter((a) => a.status === "resolved");

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, "+").replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** `[FIRING:2] <group label values> (<other common label values>)`, as Alertmanager's __subject. */
export function subject(d: NotificationData): string {
  let s = `[${d.status.toUpperCase()}${d.status === "firing" ? `:${firing(d).length}` : ""}] ${sortedValues(d.groupLabels).join(" ")} `;
  if (Object.keys(d.commonLabels).length > Object.keys(d.groupLabels).length) {
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.commonLabels)) if (!(k in d.groupLabels)) extra[k] = v;
    s += `(${sortedValues(extra).join(" ")})`;
  }
  return s;
}

export function alertmanagerUrl(d: NotificationData): string {
  return `${d.externalURL}/#/alerts?receiver=${queryEscape(d.receiver)}`;
}

/** Labels, annotations and source of each alert, one block per alert (Alertmanager's __text_alert_list). */
export function textAlertList(alerts: readonly NotifyAlert[]): string {
  let out = "";
  for (const a of alerts) {
    out += "Labels:\n";
    for (const k of Object.keys(a.labels).sort()) out += ` - ${k} = ${a.labels[k]}\n`;
    out += "Annotations:\n";
    for (const k of Object.keys(a.annotations).sort()) out += ` - ${k} = ${a.annotations[k]}\n`;
    out += `Source: ${a.generatorURL}\n`;
  }
  return out;
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&#34;").replace(/'/g, "&#39;");

function emailHtml(d: NotificationData): string {
  const section = (title: string, alerts: NotifyAlert[]) => alerts.length === 0 ? "" :
    `<h3>${title}</h3>\n` + alerts.map((a) => {
      const labels = Object.keys(a.labels).sort().map((k) => `${escapeHtml(k)} = ${escapeHtml(a.labels[k]!)}`).join("<br />");
      const ann = Object.keys(a.annotations).sort().map((k) => `${escapeHtml(k)} = ${escapeHtml(a.annotations[k]!)}`).join("<br />");
      return `<p><strong>Labels</strong><br />${labels}<br /><strong>Annotations</strong><br />${ann}<br /><a href="${escapeHtml(a.generatorURL)}">Source</a></p>`;
    }).join("\n");
  return `<!DOCTYPE html>\n<html><head><meta charset="UTF-8"><title>${escapeHtml(subject(d))}</title></head><body>\n` +
    `<p><a href="${escapeHtml(alertmanagerUrl(d))}">View in AlertPrism</a></p>\n` +
    `<p>${firing(d).length} alert${firing(d).length === 1 ? "" : "s"} firing, ${resolved(d).length} resolved for ${escapeHtml(sortedValues(d.groupLabels).join(" "))}</p>\n` +
    section("Firing", firing(d)) + section("Resolved", resolved(d)) + "\n</body></html>\n";
}

function emailText(d: NotificationData): string {
  return `${subject(d)}\n\n${firing(d).length > 0 ? `Firing:\n${textAlertList(firing(d))}\n` : ""}${resolved(d).length > 0 ? `Resolved:\n${textAlertList(resolved(d))}\n` : ""}${alertmanagerUrl(d)}\n`;
}

function dingtalkText(d: NotificationData): string {
  const block = (a: NotifyAlert) => {
    const lines = [`**${a.labels.alertname ?? ""}** ${a.status === "firing" ? "🔥" : "✅"}`];
    for (const k of Object.keys(a.annotations).sort()) lines.push(`> ${k}: ${a.annotations[k]}`);
    lines.push(`> labels: ${Object.keys(a.labels).sort().map((k) => `${k}=${a.labels[k]}`).join(", ")}`);
    if (a.generatorURL) lines.push(`> [source](${a.generatorURL})`);
    return lines.join("\n\n");
  };
  return `### ${subject(d)}\n\n${d.alerts.map(block).join("\n\n---\n\n")}\n\n[AlertPrism](${alertmanagerUrl(d)})`;
}

const TEMPLATES: Record<string, Render> = {
  "__subject": subject,
  "__alertmanager": () => "AlertPrism",
  "__alertmanagerURL": alertmanagerUrl,
  "slack.default.title": subject,
  "slack.default.username": () => "AlertPrism",
  "slack.default.fallback": (d) => `${subject(d)} | ${alertmanagerUrl(d)}`,
  "slack.default.callbackid": () => "",
  "slack.default.pretext": () => "",
  "slack.default.titlelink": alertmanagerUrl,
  "slack.default.iconemoji": () => "",
  "slack.default.iconurl": () => "",
  "slack.default.text": () => "",
  "slack.default.footer": () => "",
  "pagerduty.default.description": subject,
  "pagerduty.default.client": () => "AlertPrism",
  "pagerduty.default.clientURL": alertmanagerUrl,
  "email.default.subject": subject,
  "email.default.html": emailHtml,
  "email.default.text": emailText,
  "dingtalk.default.title": subject,
  "dingtalk.default.text": dingtalkText,
};

const TEMPLATE_REF = /^\{\{\s*template\s+"([^"]+)"\s+\.\s*\}\}$/;
const EXPRESSIONS: Record<string, Render> = {
  '{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}': (d) => (d.status === "firing" ? "danger" : "good"),
  "{{ .Alerts.Firing | len }}": (d) => String(firing(d).length),
  "{{ .Alerts.Resolved | len }}": (d) => String(resolved(d).length),
  '{{ template "pagerduty.default.instances" .Alerts.Firing }}': (d) => textAlertList(firing(d)),
  '{{ template "pagerduty.default.instances" .Alerts.Resolved }}': (d) => textAlertList(resolved(d)),
};

export class BuiltinTemplater implements Templater {
  render(text: string, data: NotificationData): string {
    const fn = this.lookup(text);
    return fn ? fn(data) : text;
  }

  /** Fails config load for template text this templater cannot render, instead of sending it raw. */
  check(text: string, where: string): void {
    if (text.includes("{{") && !this.lookup(text)) {
      throw new ConfigError(`custom Go templates are not supported yet (only Alertmanager's default template references and plain text): ${JSON.stringify(text)}`, where);
    }
  }

  private lookup(text: string): Render | undefined {
    const trimmed = text.trim();
    const ref = TEMPLATE_REF.exec(trimmed);
    if (ref) return TEMPLATES[ref[1]!];
    return EXPRESSIONS[trimmed];
  }
}
