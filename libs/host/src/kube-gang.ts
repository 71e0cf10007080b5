// The ranks of a train step on Kubernetes: the trainer submits one Indexed Job (completions =
// parallelism = replicas, backoffLimit 0) and a headless Service per attempt, watches the Job,
// and deletes both when it ends. Why an Indexed Job: it is built in (no operator to install),
// gives every pod its rank (JOB_COMPLETION_INDEX) and a stable DNS name
// (<job>-<index>.<service>) for the rendezvous, and fails as a whole when one rank fails
// (backoffLimit 0); the task's retry then starts a fresh gang that resumes from the in-training
// checkpoint. Gang scheduling (all-or-nothing GPU allocation) is left to the cluster (Kueue,
// Volcano), see docs/operations.md.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createHash, randomBytes } from 'node:crypto';
import { NoisyError } from '@noisy/core';
import type { Task } from '@noisy/contracts';
import type { GangLauncher, RankLine, RankOutcome } from '@noisy/pipeline';
import type { Job } from 'kubernetes-types/batch/v1';
import type { EnvVar, Pod, PodTemplateSpec, Service } from 'kubernetes-types/core/v1';

/** The few Kubernetes API calls the trainer makes. */
export interface KubeApi {
  /** JSON in, JSON out; throws KubeApiError on a status >= 300. */
  call<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

export class KubeApiError extends NoisyError {
  constructor(
    readonly status: number,
    method: string,
    path: string,
    detail: string,
  ) {
    // 5xx and 429 are the API server's trouble (retry); 4xx are ours (RBAC, invalid spec).
    super(`Kubernetes API ${method} ${path}: ${status} ${detail}`, { retryable: status >= 500 || status === 429 });
  }
}

/** A client for `url` (https with the pod's token and CA in the cluster; plain http in tests). */
export function kubeApi(o: { url: string; token?: string; ca?: Buffer }): KubeApi {
  return {
    call: <T>(method: string, path: string, body?: unknown) =>
      new Promise<T>((resolve, reject) => {
        const u = new URL(path, o.url);
        const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
        const req = send(
          u,
          {
            method,
            ca: o.ca,
            headers: {
              accept: 'application/json',
              ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
              ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
            },
          },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => {
              const status = res.statusCode ?? 0;
              if (status >= 300) reject(new KubeApiError(status, method, path, text.slice(0, 500)));
              else resolve((text ? JSON.parse(text) : {}) as T);
            });
          },
        );
        req.on('error', (err) =>
          reject(new NoisyError(`Kubernetes API ${method} ${path}: ${err.message}`, { cause: err, retryable: true })),
        );
        req.end(body === undefined ? undefined : JSON.stringify(body));
      }),
  };
}

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The in-cluster API, namespace and the chart's rank pod template (NOISY_GANG_POD_TEMPLATE, JSON). */
export function kubeGangFromEnv(env: Record<string, string | undefined>): KubeGangOptions {
  const host = env.KUBERNETES_SERVICE_HOST,
    port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new NoisyError('NOISY_GANG=kubernetes, but this process is not in a Kubernetes pod');
  const file = env.NOISY_GANG_POD_TEMPLATE ?? '/etc/noisy/gang/pod-template.json';
  const num = (v: string | undefined) => (v ? Number(v) : undefined);
  return {
    api: kubeApi({
      url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
      token: readFileSync(`${SA}/token`, 'utf8').trim(),
      ca: readFileSync(`${SA}/ca.crt`),
    }),
    namespace: readFileSync(`${SA}/namespace`, 'utf8').trim(),
    podTemplate: JSON.parse(readFileSync(file, 'utf8')) as PodTemplateSpec,
    port: num(env.NOISY_GANG_RENDEZVOUS_PORT),
    timeoutMs: num(env.NOISY_COLLECTIVE_TIMEOUT_MS),
    joinTimeoutMs: num(env.NOISY_JOIN_TIMEOUT_MS),
  };
}

export interface KubeGangOptions {
  api: KubeApi;
  namespace: string;
  /** The rank pod (image, env, resources with one GPU, placement), rendered by the chart. */
  podTemplate: PodTemplateSpec;
  /** The rendezvous port rank 0 serves. @default 29500 */
  port?: number;
  /** How often the Job's status is read. @default 2000 */
  pollMs?: number;
  timeoutMs?: number;
  joinTimeoutMs?: number;
}

export const GANG_LABEL = 'noisy.dev/gang';

/** A DNS-1123 name unique per attempt: `noisy-train-<task hash>-<random>` (pods: `<name>-<rank>`). */
export function gangName(task: Task): string {
  const h = createHash('sha256').update(task.taskId).digest('hex').slice(0, 8);
  return `noisy-train-${h}-${randomBytes(3).toString('hex')}`;
}

/** The headless Service and the Indexed Job of one attempt. Pure: the unit tests check these. */
export function gangManifests(
  name: string,
  task: Task,
  replicas: number,
  o: Pick<KubeGangOptions, 'namespace' | 'podTemplate' | 'port' | 'timeoutMs' | 'joinTimeoutMs'>,
): { service: Service; job: Job } {
  const port = o.port ?? 29500;
  const labels = { ...(o.podTemplate.metadata?.labels ?? {}), [GANG_LABEL]: name };
  const spec = o.podTemplate.spec!;
  const [rank, ...sidecars] = spec.containers;
  const env: EnvVar[] = [
    ...(rank.env ?? []),
    { name: 'NOISY_WORLD_SIZE', value: String(replicas) },
    { name: 'NOISY_RENDEZVOUS', value: `tcp://${name}-0.${name}:${port}` },
    { name: 'NOISY_RENDEZVOUS_ID', value: name },
    { name: 'NOISY_RANK_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: 'NOISY_TERMINATION_LOG', value: '/dev/termination-log' },
    ...(o.timeoutMs ? [{ name: 'NOISY_COLLECTIVE_TIMEOUT_MS', value: String(o.timeoutMs) }] : []),
    ...(o.joinTimeoutMs ? [{ name: 'NOISY_JOIN_TIMEOUT_MS', value: String(o.joinTimeoutMs) }] : []),
  ];
  const service: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: o.namespace, labels },
    spec: {
      clusterIP: 'None', // headless: <pod hostname>.<service> resolves to the pod IP
      publishNotReadyAddresses: true, // rank 0 must resolve before any readiness
      selector: { [GANG_LABEL]: name },
      ports: [{ name: 'rendezvous', port, targetPort: port, protocol: 'TCP' }],
    },
  };
  const job: Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: o.namespace, labels },
    spec: {
      completionMode: 'Indexed', // JOB_COMPLETION_INDEX is the rank
      completions: replicas,
      parallelism: replicas,
      backoffLimit: 0, // one failed rank fails the gang; the task's retry starts a new one
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels },
        spec: {
          ...spec,
          restartPolicy: 'Never',
          subdomain: name,
          containers: [
            {
              ...rank,
              args: ['libs/host/src/rank-main.ts', JSON.stringify(task)],
              env,
              ports: [{ name: 'rendezvous', containerPort: port, protocol: 'TCP' }],
            },
            ...sidecars,
          ],
        },
      },
    },
  };
  return { service, job };
}

/** Each rank's outcome from the Job's pods (the pod's termination message is the rank's error line). */
export function rankOutcomes(replicas: number, pods: Pod[], jobFailure: string | null): RankOutcome[] {
  const out: RankOutcome[] = Array.from({ length: replicas }, (_, rank) => ({
    rank,
    ok: false,
    how: jobFailure ? `did not finish: job ${jobFailure}` : 'no pod',
  }));
  for (const pod of pods) {
    const rank = Number(pod.metadata?.annotations?.['batch.kubernetes.io/job-completion-index']);
    if (!(rank >= 0 && rank < replicas)) continue;
    const term = pod.status?.containerStatuses?.[0]?.state?.terminated;
    if (pod.status?.phase === 'Succeeded') out[rank] = { rank, ok: true, how: 'exit 0' };
    else if (term) {
      let error: RankOutcome['error'];
      try {
        const line = JSON.parse(term.message ?? '') as RankLine;
        if ('error' in line) error = { message: line.error, retryable: line.retryable };
      } catch {
        /* no message: killed, OOM, evicted */
      }
      out[rank] = {
        rank,
        ok: false,
        how: `pod ${pod.metadata?.name} ${term.reason ?? 'exit'} ${term.exitCode}`,
        error,
      };
    }
  }
  return out;
}

/** Submits each attempt as an Indexed Job and waits for it to complete or fail. */
export function kubernetesGang(o: KubeGangOptions): GangLauncher {
  const ns = `/namespaces/${o.namespace}`;
  return async (ctx, task, replicas) => {
    const name = gangName(task);
    const { service, job } = gangManifests(name, task, replicas, o);
    await o.api.call('POST', `/api/v1${ns}/services`, service);
    try {
      await o.api.call('POST', `/apis/batch/v1${ns}/jobs`, job);
      for (;;) {
        const j = await o.api.call<Job>('GET', `/apis/batch/v1${ns}/jobs/${name}`);
        const cond = (type: string) => j.status?.conditions?.find((c) => c.type === type && c.status === 'True');
        const failed = cond('Failed');
        if (cond('Complete') || failed || ctx.shouldStop()) {
          const pods = await o.api.call<{ items: Pod[] }>(
            'GET',
            `/api/v1${ns}/pods?labelSelector=${encodeURIComponent(`${GANG_LABEL}=${name}`)}`,
          );
          const why = failed
            ? `${failed.reason ?? 'Failed'}: ${failed.message ?? ''}`.trim()
            : ctx.shouldStop()
              ? 'stopped'
              : null;
          return rankOutcomes(replicas, pods.items, why);
        }
        ctx.progress({ unit: 'steps', done: -1, total: -1 }); // keeps the task's lease while the gang trains
        await new Promise((r) => setTimeout(r, o.pollMs ?? 2000));
      }
    } finally {
      const del = (path: string) => o.api.call('DELETE', `${path}?propagationPolicy=Background`).catch(() => undefined);
      await del(`/apis/batch/v1${ns}/jobs/${name}`);
      await del(`/api/v1${ns}/services/${name}`);
    }
  };
}
