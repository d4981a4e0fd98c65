{{/* Base name of every object: the release name, prefixed to the chart name unless it holds it. */}}
{{- define "checkout-saga.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object; pass a dict with root (.) and component. */}}
{{- define "checkout-saga.labels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: checkout-saga
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{/* The stable subset used by selectors (never changes across upgrades). */}}
{{- define "checkout-saga.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* DNS suffix of pods behind a headless Service: pass root and the Service's name. */}}
{{- define "checkout-saga.podDomain" -}}
{{- printf "%s.%s.svc.cluster.local" .service .root.Release.Namespace -}}
{{- end -}}

{{/* host:port list of the Sentinels the services and Redis nodes ask for the masters. */}}
{{- define "checkout-saga.sentinels" -}}
{{- if .Values.redis.enabled -}}
{{- $name := printf "%s-sentinel" (include "checkout-saga.fullname" .) -}}
{{- $domain := include "checkout-saga.podDomain" (dict "root" . "service" $name) -}}
{{- $hosts := list -}}
{{- range $i := until (int .Values.redis.sentinel.replicas) -}}
{{- $hosts = append $hosts (printf "%s-%d.%s:26379" $name $i $domain) -}}
{{- end -}}
{{- join "," $hosts -}}
{{- else -}}
{{- required "redis.external.sentinels is required when redis.enabled is false" .Values.redis.external.sentinels -}}
{{- end -}}
{{- end -}}

{{/* Comma-separated pod host names of one service's Redis group: pass root and service. */}}
{{- define "checkout-saga.redisGroup" -}}
{{- $name := printf "%s-%s-redis" (include "checkout-saga.fullname" .root) .service -}}
{{- $domain := include "checkout-saga.podDomain" (dict "root" .root "service" $name) -}}
{{- $hosts := list -}}
{{- range $i := until (int .root.Values.redis.nodes) -}}
{{- $hosts = append $hosts (printf "%s-%d.%s" $name $i $domain) -}}
{{- end -}}
{{- join "," $hosts -}}
{{- end -}}

{{/* Soft anti-affinity: spread the pods of one component over nodes, but still schedule on one. */}}
{{- define "checkout-saga.spread" -}}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "checkout-saga.selector" . | nindent 8 }}
{{- end -}}

{{/* Container hardening shared by every container of the chart. */}}
{{- define "checkout-saga.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: [ALL]
{{- end -}}
