{{- define "sentry-exporter.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "sentry-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sentry-exporter.labels" -}}
{{ include "sentry-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The image, or one clear failure: no image of ours is published. */}}
{{- define "sentry-exporter.image" -}}
{{- if not (and .Values.image.repository .Values.image.tag) -}}
{{- fail "image.repository and image.tag are required: build and push exporter/Dockerfile (docs/kubernetes.md) and set both" -}}
{{- end -}}
{{- printf "%s:%s" .Values.image.repository (toString .Values.image.tag) -}}
{{- end -}}

{{- define "sentry-exporter.secretName" -}}
{{- .Values.existingSecret | default (include "sentry-exporter.fullname" .) -}}
{{- end -}}

{{/* An environment value from a values entry: lists joined by commas, whole numbers without an exponent. */}}
{{- define "sentry-exporter.envValue" -}}
{{- if kindIs "slice" . -}}
{{- join "," . -}}
{{- else if and (kindIs "float64" .) (eq (floor .) .) -}}
{{- printf "%d" (int64 .) -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/* The TCP port of a URL: its explicit port, else 443 for https and 80 for http. */}}
{{- define "sentry-exporter.urlPort" -}}
{{- $url := urlParse . -}}
{{- $explicit := regexFind ":[0-9]+$" $url.host | trimPrefix ":" -}}
{{- $explicit | default (ternary "443" "80" (eq $url.scheme "https")) -}}
{{- end -}}

{{/* Mount paths inside the container. */}}
{{- define "sentry-exporter.secretsDir" -}}/etc/sentry-exporter/secrets{{- end -}}
{{- define "sentry-exporter.configDir" -}}/etc/sentry-exporter/config{{- end -}}
{{- define "sentry-exporter.caDir" -}}/etc/sentry-exporter/ca{{- end -}}

{{- define "sentry-exporter.demo" -}}
{{- if has (lower (toString .Values.settings.SENTRY_DEMO)) (list "1" "true" "yes" "on") }}true{{ end -}}
{{- end -}}

{{/* Every value that can be wrong stops the render with one line naming it (values.schema.json
   refuses unknown settings, and those the chart wires itself). */}}
{{- define "sentry-exporter.validate" -}}
{{- $_ := include "sentry-exporter.image" . -}}
{{- if not (or .Values.existingSecret .Values.authToken (include "sentry-exporter.demo" .)) -}}
{{- fail "a Sentry token is required: set existingSecret (a Secret with the key secretKeys.authToken) or authToken" -}}
{{- end -}}
{{- if not (has .Values.metricsAuth.type (list "" "bearer" "basic")) -}}
{{- fail (printf "metricsAuth.type must be empty, bearer or basic, got %q" .Values.metricsAuth.type) -}}
{{- end -}}
{{- if and (not .Values.existingSecret) (eq .Values.metricsAuth.type "bearer") (not .Values.metricsAuth.bearerToken) -}}
{{- fail "metricsAuth.type is bearer: set metricsAuth.bearerToken (or existingSecret)" -}}
{{- end -}}
{{- if and (not .Values.existingSecret) (eq .Values.metricsAuth.type "basic") (not (and .Values.metricsAuth.basicAuthUser .Values.metricsAuth.basicAuthPassword)) -}}
{{- fail "metricsAuth.type is basic: set metricsAuth.basicAuthUser and metricsAuth.basicAuthPassword (or existingSecret)" -}}
{{- end -}}
{{- if and .Values.caBundle.pem .Values.caBundle.existingConfigMap -}}
{{- fail "caBundle: set pem or existingConfigMap, not both" -}}
{{- end -}}
{{- if lt (int .Values.shard.count) 1 -}}
{{- fail "shard.count must be at least 1" -}}
{{- end -}}
{{- if and .Values.shard.name (not .Values.settings.SENTRY_PROJECTS) -}}
{{- fail "shard.name is set: give this shard its own settings.SENTRY_PROJECTS, disjoint from the other shards'" -}}
{{- end -}}
{{- end -}}

{{/* The exporter's environment: settings that are set, then what the chart wires. */}}
{{- define "sentry-exporter.env" -}}
{{- $secrets := include "sentry-exporter.secretsDir" . -}}
- name: EXPORTER_PORT
  value: {{ .Values.service.port | quote }}
{{- range $name, $value := .Values.settings }}
{{- $text := include "sentry-exporter.envValue" $value }}
{{- if ne $text "" }}
- name: {{ $name }}
  value: {{ $text | quote }}
{{- end }}
{{- end }}
{{- if and (gt (int .Values.shard.count) 1) (eq (toString .Values.settings.SENTRY_MAX_REQUESTS_PER_SECOND) "") }}
- name: SENTRY_MAX_REQUESTS_PER_SECOND
  value: {{ divf .Values.shard.sharedRequestsPerSecond .Values.shard.count | toString | quote }}
{{- end }}
{{- if not (include "sentry-exporter.demo" .) }}
- name: SENTRY_AUTH_TOKEN_FILE
  value: {{ printf "%s/%s" $secrets .Values.secretKeys.authToken | quote }}
{{- end }}
{{- if .Values.queries }}
- name: EXPORTER_CONFIG
  value: {{ printf "%s/config.yaml" (include "sentry-exporter.configDir" .) | quote }}
{{- end }}
{{- if or .Values.caBundle.pem .Values.caBundle.existingConfigMap }}
- name: SENTRY_CA_BUNDLE
  value: {{ printf "%s/%s" (include "sentry-exporter.caDir" .) .Values.caBundle.key | quote }}
{{- end }}
{{- if eq .Values.metricsAuth.type "bearer" }}
- name: EXPORTER_BEARER_TOKEN_FILE
  value: {{ printf "%s/%s" $secrets .Values.secretKeys.bearerToken | quote }}
{{- else if eq .Values.metricsAuth.type "basic" }}
- name: EXPORTER_BASIC_AUTH_USER
  valueFrom:
    secretKeyRef:
      name: {{ include "sentry-exporter.secretName" . }}
      key: {{ .Values.secretKeys.basicAuthUser }}
- name: EXPORTER_BASIC_AUTH_PASSWORD_FILE
  value: {{ printf "%s/%s" $secrets .Values.secretKeys.basicAuthPassword | quote }}
{{- end }}
{{- if or .Values.existingSecret .Values.otlpHeaders }}
- name: OTEL_EXPORTER_OTLP_HEADERS
  valueFrom:
    secretKeyRef:
      name: {{ include "sentry-exporter.secretName" . }}
      key: {{ .Values.secretKeys.otlpHeaders }}
      optional: true
{{- end }}
{{- end -}}
