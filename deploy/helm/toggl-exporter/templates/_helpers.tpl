{{/* The name of every object: the release name, with the chart's unless it holds it. */}}
{{- define "toggl-exporter.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "toggl-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "toggl-exporter.labels" -}}
{{ include "toggl-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The image: the tag the release workflow publishes for this chart's appVersion, v<appVersion>,
unless image.tag says otherwise. */}}
{{- define "toggl-exporter.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default (printf "v%s" .Chart.AppVersion)) -}}
{{- end -}}

{{/* What the exporter's container and the init container checking its configuration share:
a hardened securityContext, the configuration and the token files. */}}
{{- define "toggl-exporter.securityAndMounts" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  runAsNonRoot: true
  capabilities:
    drop: [ALL]
volumeMounts:
  - name: config
    mountPath: /etc/toggl_exporter/toggl.yml
    subPath: toggl.yml
    readOnly: true
  - name: tokens
    mountPath: /etc/toggl_exporter/secrets
    readOnly: true
{{- end -}}

{{- define "toggl-exporter.secretName" -}}
{{- .Values.existingSecret | default (printf "%s-tokens" (include "toggl-exporter.fullname" .)) -}}
{{- end -}}

{{/* Refuses a secret written into the configuration: it would be stored in a ConfigMap. */}}
{{- define "toggl-exporter.checkNoInlineSecrets" -}}
{{- $places := list (dict "where" "config" "m" .Values.config) -}}
{{- range $i, $r := .Values.config.reports | default list -}}
{{- $places = append $places (dict "where" (printf "config.reports[%d]" $i) "m" $r) -}}
{{- end -}}
{{- range $i, $d := .Values.config.discover | default list -}}
{{- $places = append $places (dict "where" (printf "config.discover[%d]" $i) "m" $d) -}}
{{- end -}}
{{- range $places -}}
{{- $p := . -}}
{{- range $key := list "token" "api_token" "password" -}}
{{- $v := get $p.m $key -}}
{{- if and $v (not (hasPrefix "${" (toString $v))) -}}
{{- fail (printf "%s.%s: a secret in config would be stored in a ConfigMap; put it in secrets (or existingSecret) and use %s_file: /etc/toggl_exporter/secrets/<key>" $p.where $key $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
