/**
 * AlertPrism's built-in notification templates, in Go template syntax, under the names Alertmanager's
 * users reference (`slack.default.title`, `email.default.subject`, …) plus `dingtalk.default.*`. The
 * output follows the format of Alertmanager's defaults: `[FIRING:2] <group values> (<other common
 * values>)` subjects, an alert list of labels, annotations and source, and a link back to the UI.
 */
export const DEFAULT_TEMPLATES = `
{{- define "prism.name" }}AlertPrism{{ end -}}

{{- define "prism.url" }}{{ .ExternalURL }}/#/alerts?receiver={{ .Receiver | urlquery }}{{ end -}}

{{- define "prism.subject" -}}
[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ len .Alerts.Firing }}{{ end }}] {{ join " " .GroupLabels.SortedPairs.Values }} {{ if gt (len .CommonLabels) (len .GroupLabels) }}({{ with .CommonLabels.Remove .GroupLabels.Names }}{{ join " " .Values }}{{ end }}){{ end }}
{{- end -}}

{{- define "prism.alert_list" -}}
{{ range . }}Labels:
{{ range .Labels.SortedPairs }} - {{ .Name }} = {{ .Value }}
{{ end }}Annotations:
{{ range .Annotations.SortedPairs }} - {{ .Name }} = {{ .Value }}
{{ end }}Source: {{ .GeneratorURL }}
{{ with .Ack }}Acknowledged by {{ .By }} at {{ .At }}{{ with .Comment }}: {{ . }}{{ end }}
{{ end }}{{ end }}
{{- end -}}

{{- define "__alertmanager" }}{{ template "prism.name" . }}{{ end -}}
{{- define "__alertmanagerURL" }}{{ template "prism.url" . }}{{ end -}}
{{- define "__subject" }}{{ template "prism.subject" . }}{{ end -}}
{{- define "__text_alert_list" }}{{ template "prism.alert_list" . }}{{ end -}}

{{- define "slack.default.title" }}{{ template "prism.subject" . }}{{ end -}}
{{- define "slack.default.username" }}{{ template "prism.name" . }}{{ end -}}
{{- define "slack.default.fallback" }}{{ template "prism.subject" . }} | {{ template "prism.url" . }}{{ end -}}
{{- define "slack.default.callbackid" }}{{ end -}}
{{- define "slack.default.pretext" }}{{ end -}}
{{- define "slack.default.titlelink" }}{{ template "prism.url" . }}{{ end -}}
{{- define "slack.default.iconemoji" }}{{ end -}}
{{- define "slack.default.iconurl" }}{{ end -}}
{{- define "slack.default.text" }}{{ range .Alerts }}{{ $name := index .Labels "alertname" }}{{ with .Ack }}*{{ reReplaceAll "[<>&]" "" $name }}* acknowledged by {{ reReplaceAll "[<>&]" "" .By }}{{ with .Comment }}: {{ reReplaceAll "[<>&]" "" . }}{{ end }}
{{ end }}{{ end }}{{ with .AckURL }}<{{ . }}|Acknowledge>{{ end }}{{ end -}}
{{- define "slack.default.footer" }}{{ end -}}

{{- define "pagerduty.default.description" }}{{ template "prism.subject" . }}{{ end -}}
{{- define "pagerduty.default.client" }}{{ template "prism.name" . }}{{ end -}}
{{- define "pagerduty.default.clientURL" }}{{ template "prism.url" . }}{{ end -}}
{{- define "pagerduty.default.instances" }}{{ template "prism.alert_list" . }}{{ end -}}

{{- define "email.default.subject" }}{{ template "prism.subject" . }}{{ end -}}

{{- define "prism.subject_html" -}}
[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ len .Alerts.Firing }}{{ end }}] {{ html (join " " .GroupLabels.SortedPairs.Values) }} {{ if gt (len .CommonLabels) (len .GroupLabels) }}({{ with .CommonLabels.Remove .GroupLabels.Names }}{{ html (join " " .Values) }}{{ end }}){{ end }}
{{- end -}}

{{- define "prism.email_section" -}}
{{ range . }}<tr><td style="padding:8px;border-top:1px solid #ddd">
<strong>{{ html (index .Labels "alertname") }}</strong><br>
{{ range .Labels.SortedPairs }}{{ html .Name }} = {{ html .Value }}<br>
{{ end }}{{ range .Annotations.SortedPairs }}{{ html .Name }} = {{ html .Value }}<br>
{{ end }}{{ if .GeneratorURL }}<a href="{{ html .GeneratorURL }}">Source</a>{{ end }}{{ with .Ack }}<br>
<em>Acknowledged by {{ html .By }} at {{ .At }}{{ with .Comment }}: {{ html . }}{{ end }}</em>{{ end }}
</td></tr>
{{ end }}
{{- end -}}

{{- define "email.default.html" -}}
<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>{{ template "prism.subject_html" . }}</title></head>
<body style="font-family:sans-serif">
<p><strong>{{ len .Alerts.Firing }} firing, {{ len .Alerts.Resolved }} resolved</strong> for {{ html (join " " .GroupLabels.SortedPairs.Values) }}</p>
<p><a href="{{ html (print .ExternalURL "/#/alerts?receiver=" (urlquery .Receiver)) }}">View in AlertPrism</a>{{ with .AckURL }} · <a href="{{ html . }}">Acknowledge</a>{{ end }}</p>
<table style="border-collapse:collapse">
{{ if .Alerts.Firing }}<tr><th align="left">Firing</th></tr>
{{ template "prism.email_section" .Alerts.Firing }}{{ end -}}
{{ if .Alerts.Resolved }}<tr><th align="left">Resolved</th></tr>
{{ template "prism.email_section" .Alerts.Resolved }}{{ end -}}
</table>
</body></html>
{{ end -}}

{{- define "email.default.text" -}}
{{ template "prism.subject" . }}
{{ if .Alerts.Firing }}
Firing:
{{ template "prism.alert_list" .Alerts.Firing }}{{ end }}{{ if .Alerts.Resolved }}
Resolved:
{{ template "prism.alert_list" .Alerts.Resolved }}{{ end }}
{{ template "prism.url" . }}
{{ with .AckURL }}Acknowledge: {{ . }}
{{ end }}{{ end -}}

{{- define "dingtalk.default.title" }}{{ template "prism.subject" . }}{{ end -}}

{{- define "dingtalk.default.text" -}}
### {{ template "prism.subject" . }}
{{ range $i, $a := .Alerts }}{{ if $i }}
---
{{ end }}
**{{ index $a.Labels "alertname" }}** {{ if eq $a.Status "firing" }}🔥{{ else }}✅{{ end }}
{{ range $a.Annotations.SortedPairs }}
> {{ .Name }}: {{ .Value }}
{{ end }}
> labels: {{ range $j, $p := $a.Labels.SortedPairs }}{{ if $j }}, {{ end }}{{ $p.Name }}={{ $p.Value }}{{ end }}
{{ if $a.GeneratorURL }}
> [source]({{ $a.GeneratorURL }})
{{ end }}{{ with $a.Ack }}
> acknowledged by {{ .By }}{{ with .Comment }}: {{ . }}{{ end }}
{{ end }}{{ end }}
[AlertPrism]({{ template "prism.url" . }}){{ with .AckURL }} · [Acknowledge]({{ . }}){{ end }}
{{- end -}}
`;
