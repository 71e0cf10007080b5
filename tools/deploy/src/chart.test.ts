// The Helm chart and the dev manifests, checked as far as a machine without a cluster allows:
// helm lint --strict, helm template (default and GPU values) validated against the Kubernetes
// API types with unknown fields rejected, and the properties a GPU deployment depends on.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  chartDir,
  helm,
  helmTemplate,
  kubectl,
  parseManifests,
  repoRoot,
  validateManifests,
  type K8sObject,
} from './index.js';
import { devManifestPath, renderDevManifests } from './render-dev.js';
import { GANG_LABEL, gangManifests } from '@noisy/host';
import { makeTask } from '@noisy/contracts';

type Container = {
  name: string;
  env?: Array<{ name: string; value?: string; valueFrom?: { resourceFieldRef?: unknown; secretKeyRef?: unknown } }>;
  image?: string;
  resources?: { limits?: Record<string, string> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
};
type PodSpec = {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean };
  nodeSelector?: Record<string, string>;
  tolerations?: unknown[];
};

const gpuValues = resolve(chartDir, 'values-gpu.yaml');
const workloads = (docs: K8sObject[]) => docs.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet');
const podOf = (d: K8sObject) => (d as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
const role = (d: K8sObject) => (d.metadata.labels as Record<string, string>)['app.kubernetes.io/component'];
const SECRETISH = /PASSWORD|SECRET|TOKEN|ACCESS_KEY|_KEY$/i;

describe('helm chart helm/noisy-student', () => {
  let cpu: K8sObject[] = [];
  let gpu: K8sObject[] = [];
  beforeAll(async () => {
    cpu = parseManifests(await helmTemplate());
    gpu = parseManifests(
      await helmTemplate({
        values: [gpuValues],
        set: [
          'nats.auth.existingSecret=nats-auth',
          'objectStore.credentials.existingSecret=s3-keys',
          'telemetry.otlpEndpoint=http://otel-collector:4318',
        ],
      }),
    );
  });

  it('passes helm lint --strict with default and with GPU values', async () => {
    expect(await helm(['lint', '--strict', chartDir])).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(await helm(['lint', '--strict', chartDir, '-f', gpuValues])).toMatch(/0 chart\(s\) failed/);
  });

  it('renders manifests that the Kubernetes API types accept, default and GPU', () => {
    expect(validateManifests(cpu)).toEqual([]);
    expect(validateManifests(gpu)).toEqual([]);
    expect(cpu.map((d) => d.kind).sort()).toEqual(
      [
        ...Array(6).fill('Deployment'),
        ...Array(6).fill('PodDisruptionBudget'),
        ...Array(6).fill('Service'),
        'ConfigMap',
        'ServiceAccount',
        'Secret', // the generated gRPC token
        'Secret', // the generated per-service NATS passwords
        'NetworkPolicy',
      ].sort(),
    );
    expect(gpu.filter((d) => d.kind === 'ScaledObject')).toHaveLength(1);
  });

  it('the validator rejects unknown fields at any depth, wrong types and unknown kinds', () => {
    const dep = structuredClone(cpu.find((d) => d.kind === 'Deployment')!);
    (podOf(dep).containers[0] as Record<string, unknown>).gpus = 1;
    expect(validateManifests([dep]).join('\n')).toMatch(
      /Deployment\/noisy-noisy-student-controller: .*'"gpus"' does not exist in type 'Container'/,
    );
    const probe = structuredClone(cpu.find((d) => d.kind === 'Deployment')!);
    (podOf(probe).containers[0].livenessProbe as Record<string, unknown>).grpcPort = 1;
    expect(validateManifests([probe]).join('\n')).toMatch(/'"grpcPort"' does not exist in type 'Probe'/);
    const typed = structuredClone(cpu.find((d) => d.kind === 'Service')!);
    (typed as unknown as { spec: { ports: Array<{ port: unknown }> } }).spec.ports[0].port = 'fifty';
    expect(validateManifests([typed]).join('\n')).toMatch(/Type 'string' is not assignable to type 'number'/);
    expect(validateManifests([{ apiVersion: 'v9', kind: 'Gadget', metadata: { name: 'x' } }])).toEqual([
      'Gadget/x: no schema for apiVersion v9 kind Gadget',
    ]);
  });

  it('GPU values: inference, trainer and evaluator request nvidia.com/gpu on GPU nodes with the GPU image; the others do not', () => {
    for (const d of workloads(gpu)) {
      const pod = podOf(d);
      const c = pod.containers[0];
      if (['inference', 'trainer', 'evaluator'].includes(role(d))) {
        expect(c.resources?.limits?.['nvidia.com/gpu'], role(d)).toBe('1');
        expect((c as { image?: string }).image).toMatch(/-gpu$/);
        expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
        expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
      } else {
        expect(c.resources?.limits?.['nvidia.com/gpu'], role(d)).toBeUndefined();
        expect((c as { image?: string }).image).toMatch(/-cpu$/);
      }
      // CPU containers size the oneDNN kernels' OpenMP pool to their CPU limit; GPU ones do not need it.
      const omp = c.env?.find((e) => e.name === 'OMP_NUM_THREADS');
      if (c.image?.endsWith('-cpu'))
        expect(omp?.valueFrom?.resourceFieldRef, role(d)).toEqual({ resource: 'limits.cpu', divisor: '1' });
      else expect(omp, role(d)).toBeUndefined();
    }
    for (const d of workloads(cpu))
      expect(podOf(d).containers[0].resources?.limits?.['nvidia.com/gpu']).toBeUndefined();
  });

  it('KEDA scales inference on the predict consumer lag, capped at the GPU count', async () => {
    const so = gpu.find((d) => d.kind === 'ScaledObject') as unknown as {
      spec: {
        maxReplicaCount: number;
        scaleTargetRef: { name: string };
        triggers: Array<{ type: string; metadata: Record<string, string> }>;
      };
    };
    expect(so.spec.scaleTargetRef.name).toBe('noisy-noisy-student-inference');
    expect(so.spec.maxReplicaCount).toBe(4); // maxReplicas 8, gpuCount 4, 1 GPU per pod
    expect(so.spec.triggers[0]).toMatchObject({
      type: 'nats-jetstream',
      metadata: { stream: 'NOISY_TASKS', consumer: 'noisy-predict' },
    });
    const mounted = parseManifests(
      await helmTemplate({
        set: [
          'services.ingestion.extraVolumes[0].name=datasets',
          'services.ingestion.extraVolumes[0].persistentVolumeClaim.claimName=datasets',
          'services.ingestion.extraVolumeMounts[0].name=datasets',
          'services.ingestion.extraVolumeMounts[0].mountPath=/datasets',
        ],
      }),
    );
    expect(validateManifests(mounted)).toEqual([]);
    expect(JSON.stringify(podOf(workloads(mounted).find((d) => role(d) === 'ingestion')!))).toContain(
      '"claimName":"datasets"',
    );
    const two = parseManifests(await helmTemplate({ values: [gpuValues], set: ['gpu.perPod=2'] }));
    expect(
      (two.find((d) => d.kind === 'ScaledObject') as unknown as { spec: { maxReplicaCount: number } }).spec
        .maxReplicaCount,
    ).toBe(2);
    const inference = gpu.find((d) => d.kind === 'Deployment' && role(d) === 'inference') as unknown as {
      spec: { replicas?: number };
    };
    expect(inference.spec.replicas).toBeUndefined(); // owned by KEDA's HPA
  });

  it('gang (GPU values): the trainer may submit Indexed Jobs, whose rank pods are valid, one GPU each, and reach each other', () => {
    const named = (kind: string) => gpu.filter((d) => d.kind === kind && d.metadata.name.endsWith('-gang'));
    for (const kind of ['ConfigMap', 'Role', 'RoleBinding', 'NetworkPolicy']) {
      expect(named(kind), kind).toHaveLength(1);
      expect(
        cpu.filter((d) => d.kind === kind && d.metadata.name.endsWith('-gang')),
        kind,
      ).toEqual([]); // off by default
    }
    const rules = (named('Role')[0] as unknown as { rules: Array<{ resources: string[]; verbs: string[] }> }).rules;
    expect(rules.find((r) => r.resources.includes('jobs'))?.verbs).toEqual(
      expect.arrayContaining(['create', 'get', 'watch', 'delete']),
    );
    expect(rules.find((r) => r.resources.includes('services'))?.verbs).toEqual(
      expect.arrayContaining(['create', 'get', 'delete']),
    );
    // Only the trainer gets an API token, and it is told to submit gangs.
    for (const d of workloads(gpu)) {
      const pod = podOf(d) as PodSpec & { automountServiceAccountToken?: boolean };
      expect(pod.automountServiceAccountToken, role(d)).toBe(role(d) === 'trainer');
    }
    const trainer = podOf(workloads(gpu).find((d) => role(d) === 'trainer')!).containers[0];
    expect(trainer.env).toContainEqual({ name: 'NOISY_GANG', value: 'kubernetes' });
    // The Job the trainer generates from the chart's rank pod template validates like the chart.
    const template = JSON.parse(
      (named('ConfigMap')[0] as unknown as { data: Record<string, string> }).data['pod-template.json'],
    );
    const task = makeTask('run-1', 'train', 1);
    const { service, job } = gangManifests('noisy-train-ab12cd34-0f0f0f', task, 4, {
      namespace: 'ml',
      podTemplate: template,
    });
    expect(validateManifests([service, job] as unknown as K8sObject[])).toEqual([]);
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 4, backoffLimit: 0 });
    const pod = job.spec!.template.spec!;
    expect(pod.subdomain).toBe(service.metadata!.name);
    expect(pod.containers[0].resources?.limits?.['nvidia.com/gpu']).toBe('1');
    expect(pod.containers[0].image).toMatch(/-gpu$/);
    expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(pod.containers[0].env).toContainEqual({
      name: 'NOISY_RENDEZVOUS',
      value: 'tcp://noisy-train-ab12cd34-0f0f0f-0.noisy-train-ab12cd34-0f0f0f:29500',
    });
    expect(service.spec).toMatchObject({
      clusterIP: 'None',
      selector: { [GANG_LABEL]: 'noisy-train-ab12cd34-0f0f0f' },
    });
    expect(job.spec!.template.metadata!.labels).toMatchObject(service.spec!.selector!);
    // The NetworkPolicy admits every TCP port between the ranks (Gloo dials ephemeral ports).
    const np = named('NetworkPolicy')[0] as unknown as {
      spec: { podSelector: { matchLabels: Record<string, string> }; ingress: Array<{ ports: unknown[] }> };
    };
    expect(job.spec!.template.metadata!.labels).toMatchObject(np.spec.podSelector.matchLabels);
    expect(np.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 1, endPort: 65535 }]);
  });

  it('chart - the controller runs as one replica, recreated (never two at once), whatever the values say', async () => {
    const docs = parseManifests(await helmTemplate({ set: ['services.controller.replicas=3'] }));
    const controller = docs.find((d) => d.kind === 'Deployment' && role(d) === 'controller') as unknown as {
      spec: { replicas: number; strategy: { type: string } };
    };
    expect(controller.spec.replicas).toBe(1);
    expect(controller.spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('every container has liveness and readiness probes, limits, and a non-root read-only security context', () => {
    for (const docs of [cpu, gpu]) {
      for (const d of workloads(docs)) {
        const pod = podOf(d);
        expect(pod.securityContext?.runAsNonRoot, d.metadata.name).toBe(true);
        for (const c of pod.containers) {
          expect(c.livenessProbe, `${d.metadata.name}/${c.name}`).toBeDefined();
          expect(c.readinessProbe, `${d.metadata.name}/${c.name}`).toBeDefined();
          expect(Object.keys(c.resources?.limits ?? {}), `${d.metadata.name}/${c.name}`).toEqual(
            expect.arrayContaining(['cpu', 'memory']),
          );
          expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
        }
      }
    }
  });

  it('no credential in plain env: NATS and S3 secrets come from secretKeyRef; config from the ConfigMap', () => {
    for (const d of workloads(gpu)) {
      for (const c of podOf(d).containers) {
        for (const e of c.env ?? []) {
          if (SECRETISH.test(e.name)) {
            expect(e.value, `${d.metadata.name} ${e.name}`).toBeUndefined();
            expect(e.valueFrom).toHaveProperty('secretKeyRef');
          }
        }
      }
    }
    const names = podOf(workloads(gpu).find((d) => role(d) === 'trainer')!).containers[0].env!.map((e) => e.name);
    expect(names).toEqual(
      expect.arrayContaining(['NOISY_NATS_USER', 'NOISY_NATS_PASSWORD', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']),
    );
    const config = gpu.find((d) => d.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    expect(Object.keys(config.data).filter((k) => SECRETISH.test(k))).toEqual([]);
    expect(config.data.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel-collector:4318');
  });

  it('closed by default: token auth from a Secret on 0.0.0.0, one NATS user per service, a NetworkPolicy admitting only the release', () => {
    const config = cpu.find((d) => d.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    expect(config.data.NOISY_GRPC_HOST).toBe('0.0.0.0');
    expect(config.data.NOISY_GRPC_ALLOW_INSECURE).toBeUndefined();
    for (const d of workloads(cpu)) {
      const env = podOf(d).containers[0].env!;
      expect(env.find((e) => e.name === 'NOISY_GRPC_TOKEN')?.valueFrom?.secretKeyRef, role(d)).toEqual({
        name: 'noisy-noisy-student-grpc-token',
        key: 'token',
      });
      expect(env.find((e) => e.name === 'NOISY_NATS_USER')?.value).toBe(`noisy-${role(d)}`);
      expect(env.find((e) => e.name === 'NOISY_NATS_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
        name: 'noisy-noisy-student-nats-auth',
        key: role(d),
      });
    }
    const secrets = cpu.filter((d) => d.kind === 'Secret') as unknown as Array<{ data: Record<string, string> }>;
    expect(secrets.map((x) => Object.keys(x.data).sort())).toEqual([
      ['token'],
      ['controller', 'evaluator', 'filter', 'inference', 'ingestion', 'trainer'],
    ]);
    expect(Buffer.from(secrets[0].data.token, 'base64').toString()).toMatch(/^[A-Za-z0-9]{40}$/);
    const policies = cpu.filter((d) => d.kind === 'NetworkPolicy') as unknown as Array<{
      spec: { podSelector: unknown; ingress: Array<{ from: unknown[] }> };
    }>;
    const release = {
      matchLabels: { 'app.kubernetes.io/name': 'noisy-student', 'app.kubernetes.io/instance': 'noisy' },
    };
    expect(policies).toHaveLength(1);
    expect(policies[0].spec.podSelector).toEqual(release);
    expect(policies[0].spec.ingress).toEqual([{ from: [{ podSelector: release }] }]);
  });

  it('the controller NetworkPolicy admits the configured CIDRs and namespaces on the gRPC port only', async () => {
    const docs = parseManifests(
      await helmTemplate({
        set: [
          'networkPolicy.controller.fromCidrs[0]=10.8.0.0/16',
          'networkPolicy.controller.fromNamespaceSelectors[0].matchLabels.team=ml',
        ],
      }),
    );
    expect(validateManifests(docs)).toEqual([]);
    const controller = docs.find(
      (d) => d.kind === 'NetworkPolicy' && d.metadata.name.endsWith('-controller'),
    ) as unknown as {
      spec: { podSelector: { matchLabels: Record<string, string> }; ingress: unknown[] };
    };
    expect(controller.spec.podSelector.matchLabels['app.kubernetes.io/component']).toBe('controller');
    expect(controller.spec.ingress).toEqual([
      {
        ports: [{ protocol: 'TCP', port: 50051 }],
        from: [{ ipBlock: { cidr: '10.8.0.0/16' } }, { namespaceSelector: { matchLabels: { team: 'ml' } } }],
      },
    ]);
    await expect(helmTemplate({ set: ['networkPolicy.controller.fromCidrs[0]=everyone'] })).rejects.toThrow(
      /fromCidrs/,
    );
    const open = parseManifests(await helmTemplate({ set: ['networkPolicy.enabled=false'] }));
    expect(open.filter((d) => d.kind === 'NetworkPolicy')).toEqual([]);
  });

  it('gRPC TLS from a Secret: certificate env, a read-only mount and exec probes; no auth at all needs an explicit opt-out', async () => {
    const docs = parseManifests(
      await helmTemplate({
        set: ['grpc.tls.existingSecret=grpc-tls', 'grpc.tls.clientAuth=true', 'grpc.auth.enabled=false'],
      }),
    );
    expect(validateManifests(docs)).toEqual([]);
    expect(docs.filter((d) => d.kind === 'Secret')).toHaveLength(1); // NATS passwords only
    for (const d of workloads(docs).filter((w) => role(w) !== 'nats')) {
      const c = podOf(d).containers[0] as Container & { volumeMounts?: unknown[] };
      expect(c.env).toEqual(
        expect.arrayContaining([
          { name: 'NOISY_GRPC_TLS_CERT', value: '/etc/noisy/grpc-tls/tls.crt' },
          { name: 'NOISY_GRPC_TLS_KEY', value: '/etc/noisy/grpc-tls/tls.key' },
          { name: 'NOISY_GRPC_TLS_CA', value: '/etc/noisy/grpc-tls/ca.crt' },
        ]),
      );
      expect(c.env!.find((e) => e.name === 'NOISY_GRPC_TOKEN')).toBeUndefined();
      expect(c.volumeMounts).toContainEqual({ name: 'grpc-tls', mountPath: '/etc/noisy/grpc-tls', readOnly: true });
      expect(c.livenessProbe).toMatchObject({ exec: { command: ['node', '/app/tools/healthcheck/grpc-health.mjs'] } });
    }
    await expect(helmTemplate({ set: ['grpc.auth.enabled=false'] })).rejects.toThrow(
      /with grpc\.auth\.enabled=false set grpc\.tls\.existingSecret, or grpc\.allowInsecure=true/,
    );
    const insecure = parseManifests(
      await helmTemplate({ set: ['grpc.auth.enabled=false', 'grpc.allowInsecure=true'] }),
    );
    expect(
      (insecure.find((d) => d.kind === 'ConfigMap') as unknown as { data: Record<string, string> }).data,
    ).toMatchObject({
      NOISY_GRPC_ALLOW_INSECURE: 'true',
    });
  });

  it('NATS stream limits reach every service through the ConfigMap, bounded by the schema', async () => {
    const data = (docs: K8sObject[]) =>
      (docs.find((d) => d.kind === 'ConfigMap') as unknown as { data: Record<string, string> }).data;
    expect(data(cpu)).toMatchObject({
      NOISY_STREAM_REPLICAS: '1',
      NOISY_STREAM_MAX_AGE_HOURS: '168',
      NOISY_STREAM_MAX_BYTES: '1073741824',
    });
    const three = parseManifests(
      await helmTemplate({ set: ['nats.streams.replicas=3', 'nats.streams.maxBytes=10737418240'] }),
    );
    expect(data(three)).toMatchObject({ NOISY_STREAM_REPLICAS: '3', NOISY_STREAM_MAX_BYTES: '10737418240' });
    await expect(helmTemplate({ set: ['nats.streams.replicas=9'] })).rejects.toThrow(/nats\/streams\/replicas/);
  });

  it('dataRoots become NOISY_DATA_ROOTS; relative roots are refused by the schema', async () => {
    const docs = parseManifests(await helmTemplate({ set: ['dataRoots[0]=/datasets', 'dataRoots[1]=/mnt/extra'] }));
    expect(
      (docs.find((d) => d.kind === 'ConfigMap') as unknown as { data: Record<string, string> }).data.NOISY_DATA_ROOTS,
    ).toBe('/datasets:/mnt/extra');
    await expect(helmTemplate({ set: ['dataRoots[0]=datasets'] })).rejects.toThrow(/dataRoots/);
  });

  it('values.schema.json rejects a misspelt key and a bad value; the bundled store needs a credentials Secret', async () => {
    await expect(helmTemplate({ set: ['services.trainer.replica=2'] })).rejects.toThrow(
      /additional properties 'replica' not allowed/,
    );
    await expect(helmTemplate({ set: ['nats.url=http://nats:4222'] })).rejects.toThrow(/nats\/url/);
    await expect(helmTemplate({ set: ['objectStore.bundled.enabled=true'] })).rejects.toThrow(
      /needs objectStore\.credentials\.existingSecret/,
    );
  });

  it('k8s/dev: the rendered manifests are current and the kustomization builds into valid objects', async () => {
    expect(await readFile(devManifestPath, 'utf8'), 'k8s/dev/noisy-student.yaml is stale: npm run k8s:render').toBe(
      await renderDevManifests(),
    );
    const docs = parseManifests(await kubectl(['kustomize', resolve(repoRoot, 'k8s/dev')]));
    expect(validateManifests(docs)).toEqual([]);
    expect(docs.filter((d) => d.kind !== 'Namespace').every((d) => d.metadata.namespace === 'noisy-dev')).toBe(true);
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(
      expect.arrayContaining([
        'Secret/noisy-dev-s3',
        'StatefulSet/noisy-noisy-student-nats',
        'StatefulSet/noisy-noisy-student-minio',
        'Deployment/noisy-noisy-student-trainer',
      ]),
    );
    const gpuRoles = workloads(docs).filter((d) => ['inference', 'trainer', 'evaluator'].includes(role(d)));
    for (const d of gpuRoles)
      expect(podOf(d).containers[0].env).toContainEqual({ name: 'NOISY_ALLOW_CPU_FOR_GPU_ROLE', value: 'true' });
  });
});
