{{/* Names, labels, images and the environment shared by every service. */}}

{{- define "noisy.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "noisy.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "noisy.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "noisy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "trainer") */}}
{{- define "noisy.selectorLabels" -}}
app.kubernetes.io/name: {{ include "noisy.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "noisy.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "noisy.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The roles that train or predict: on GPUs when gpu.enabled. */}}
{{- define "noisy.gpuRoles" -}}
inference trainer evaluator
{{- end -}}

{{/* Whether a role runs on a GPU: (dict "root" $ "role" "trainer") -> "true" or "" */}}
{{- define "noisy.onGpu" -}}
{{- if and .root.Values.gpu.enabled (has .role (splitList " " (include "noisy.gpuRoles" .root))) -}}true{{- end -}}
{{- end -}}

{{- define "noisy.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag -}}
{{- printf "%s:%s-%s" .root.Values.image.repository $tag (ternary "gpu" "cpu" (eq (include "noisy.onGpu" .) "true")) -}}
{{- end -}}

{{/* Credentials: only ever from Secrets. (dict "root" $ "role" "trainer") */}}
{{- define "noisy.secretEnv" -}}
{{- $root := .root }}
{{- if $root.Values.nats.auth.enabled }}
- name: NOISY_NATS_USER
  value: noisy-{{ .role }}
- name: NOISY_NATS_INBOX_PREFIX
  value: _INBOX_noisy-{{ .role }}
- name: NOISY_NATS_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ include "noisy.natsAuthSecret" $root }}, key: {{ .role }} } }
{{- end }}
{{- if $root.Values.grpc.auth.enabled }}
- name: NOISY_GRPC_TOKEN
  valueFrom: { secretKeyRef: { name: {{ include "noisy.grpcTokenSecret" $root }}, key: {{ $root.Values.grpc.auth.tokenKey }} } }
{{- end }}
{{- with $root.Values.objectStore.credentials.existingSecret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom: { secretKeyRef: { name: {{ . }}, key: {{ $root.Values.objectStore.credentials.accessKeyIdKey }} } }
- name: AWS_SECRET_ACCESS_KEY
  valueFrom: { secretKeyRef: { name: {{ . }}, key: {{ $root.Values.objectStore.credentials.secretAccessKeyKey }} } }
{{- end }}
{{- end -}}

{{/* The services that hold NATS users (one each). */}}
{{- define "noisy.roles" -}}
controller ingestion inference filter trainer evaluator
{{- end -}}

{{- define "noisy.natsAuthSecret" -}}
{{- default (printf "%s-nats-auth" (include "noisy.fullname" .)) .Values.nats.auth.existingSecret -}}
{{- end -}}

{{- define "noisy.grpcTokenSecret" -}}
{{- default (printf "%s-grpc-token" (include "noisy.fullname" .)) .Values.grpc.auth.existingSecret -}}
{{- end -}}

{{- define "noisy.natsUrl" -}}
{{- if .Values.nats.bundled.enabled -}}
nats://{{ include "noisy.fullname" . }}-nats:4222
{{- else -}}
{{- .Values.nats.url -}}
{{- end -}}
{{- end -}}

{{- define "noisy.storeUrl" -}}
{{- if .Values.objectStore.bundled.enabled -}}
s3://{{ .Values.objectStore.bundled.bucket }}?endpoint=http://{{ include "noisy.fullname" . }}-minio:9000&pathStyle=true
{{- else -}}
{{- .Values.objectStore.url -}}
{{- end -}}
{{- end -}}

{{/* Health probe: kubelet's native gRPC probe speaks plaintext only, so with TLS the image's health script runs instead. */}}
{{- define "noisy.healthProbe" -}}
{{- if .Values.grpc.tls.existingSecret -}}
exec: { command: ["node", "/app/tools/healthcheck/grpc-health.mjs"] }
{{- else -}}
grpc: { port: {{ .Values.grpcPort }} }
{{- end -}}
{{- end -}}
