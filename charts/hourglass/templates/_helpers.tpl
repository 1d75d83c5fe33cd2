{{/*
The prefix of every object's name: fullnameOverride, else the release name when it contains the chart's name,
else <release>-<chart>. At most 42 characters, so that the longest suffix (-webhook-server-cert) keeps a Service
or Secret name within 63.
*/}}
{{- define "hourglass.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 42 | trimSuffix "-" }}
{{- else if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 42 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 42 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
Labels Helm's own tooling expects on every object, beside config/'s labels. Never in a selector or a Pod
template, so that an upgrade of the chart alone rolls no Pod and changes no selector.
*/}}
{{- define "hourglass.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
