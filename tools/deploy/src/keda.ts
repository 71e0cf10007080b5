// KEDA's ScaledObject (keda.sh/v1alpha1) as a type, from the fields its CRD defines
// (https://keda.sh/docs/2.16/reference/scaledobject-spec/); the chart only renders these.
import type { ObjectMeta } from 'kubernetes-types/meta/v1';

export interface ScaledObject {
  apiVersion: 'keda.sh/v1alpha1';
  kind: 'ScaledObject';
  metadata: ObjectMeta;
  spec: {
    scaleTargetRef: { name: string; apiVersion?: string; kind?: string; envSourceContainerName?: string };
    pollingInterval?: number;
    cooldownPeriod?: number;
    initialCooldownPeriod?: number;
    idleReplicaCount?: number;
    minReplicaCount?: number;
    maxReplicaCount?: number;
    fallback?: { failureThreshold: number; replicas: number };
    advanced?: {
      restoreToOriginalReplicaCount?: boolean;
      horizontalPodAutoscalerConfig?: { name?: string; behavior?: Record<string, unknown> };
    };
    triggers: Array<{
      type: string;
      metadata: Record<string, string>;
      name?: string;
      metricType?: 'AverageValue' | 'Value' | 'Utilization';
      useCachedMetrics?: boolean;
      authenticationRef?: { name: string; kind?: string };
    }>;
  };
}
