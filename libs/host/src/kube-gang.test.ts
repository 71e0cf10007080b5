// The trainer's Kubernetes gang against a fake API server (an in-process HTTP server that plays
// the Job controller): what it submits, how it reads the Job's end and each rank's pod, and that
// it always deletes the Job and the Service. A real cluster is not available here.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTask } from '@noisy/contracts';
import { gangOutcome, RankFailedError, type StageContext } from '@noisy/pipeline';
import { MemoryObjectStore } from '@noisy/platform';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1';
import { GANG_LABEL, gangManifests, kubeApi, kubernetesGang, KubeApiError, rankOutcomes } from './kube-gang.js';

const template: PodTemplateSpec = {
  metadata: { labels: { 'app.kubernetes.io/component': 'train-rank' } },
  spec: {
    containers: [
      {
        name: 'rank',
        image: 'noisy:1-gpu',
        env: [{ name: 'OTEL_SERVICE_NAME', value: 'noisy-train-rank' }],
        resources: { limits: { 'nvidia.com/gpu': '1' } },
      },
    ],
  },
};
const task = makeTask('run-1', 'train', 1);
const ctx: StageContext = {
  store: new MemoryObjectStore(),
  allowDownload: false,
  shouldStop: () => false,
  progress: () => undefined,
};

interface Call {
  method: string;
  path: string;
  body?: Record<string, unknown>;
}

/** A fake API server: records calls; the Job ends after `polls` GETs with `end` and these pods. */
async function fakeApi(polls: number, end: 'Complete' | 'Failed', pods: (name: string) => Pod[]) {
  const calls: Call[] = [];
  let gets = 0,
    name = '';
  const server: Server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      calls.push({ method: req.method!, path: req.url!, body });
      const json = (status: number, v: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (req.headers.authorization !== 'Bearer t0ken') return json(401, { message: 'Unauthorized' });
      if (req.method === 'POST') {
        name = (body!.metadata as { name: string }).name;
        return json(201, body);
      }
      if (req.method === 'DELETE') return json(200, {});
      if (req.url!.startsWith('/api/v1/namespaces/ml/pods')) return json(200, { items: pods(name) });
      gets++;
      const job: Job = {
        status:
          gets > polls
            ? {
                conditions: [
                  { type: end, status: 'True', reason: end === 'Failed' ? 'BackoffLimitExceeded' : undefined },
                ],
              }
            : { active: 2 },
      };
      return json(200, job);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { calls, url };
}
const servers: Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

const pod = (job: string, rank: number, status: Pod['status']): Pod => ({
  metadata: { name: `${job}-${rank}-x`, annotations: { 'batch.kubernetes.io/job-completion-index': String(rank) } },
  status,
});

describe('kubernetes gang', () => {
  it('kube gang - the Job is Indexed with one pod per rank, the Service headless, rendezvous at rank 0 through its DNS name', () => {
    const { service, job } = gangManifests('noisy-train-1-a', task, 3, {
      namespace: 'ml',
      podTemplate: template,
      timeoutMs: 30_000,
    });
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimit: 0 });
    const c = job.spec!.template.spec!.containers[0];
    expect(c.args).toEqual(['libs/host/src/rank-main.ts', JSON.stringify(task)]);
    expect(c.resources?.limits?.['nvidia.com/gpu']).toBe('1');
    expect(c.env).toEqual(
      expect.arrayContaining([
        { name: 'OTEL_SERVICE_NAME', value: 'noisy-train-rank' },
        { name: 'NOISY_WORLD_SIZE', value: '3' },
        { name: 'NOISY_RENDEZVOUS', value: 'tcp://noisy-train-1-a-0.noisy-train-1-a:29500' },
        { name: 'NOISY_RANK_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'NOISY_COLLECTIVE_TIMEOUT_MS', value: '30000' },
      ]),
    );
    expect(job.spec!.template.spec).toMatchObject({ restartPolicy: 'Never', subdomain: 'noisy-train-1-a' });
    expect(service.spec).toMatchObject({
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: { [GANG_LABEL]: 'noisy-train-1-a' },
    });
    expect(job.spec!.template.metadata!.labels).toEqual({
      'app.kubernetes.io/component': 'train-rank',
      [GANG_LABEL]: 'noisy-train-1-a',
    });
  });

  it('kube gang - a completed Job: every rank succeeded; the Service and Job are created, then deleted', async () => {
    const api = await fakeApi(2, 'Complete', (job) => [0, 1].map((r) => pod(job, r, { phase: 'Succeeded' })));
    const launch = kubernetesGang({
      api: kubeApi({ url: api.url, token: 't0ken' }),
      namespace: 'ml',
      podTemplate: template,
      pollMs: 10,
    });
    const outcomes = await launch(ctx, task, 2);
    expect(outcomes).toEqual([
      { rank: 0, ok: true, how: 'exit 0' },
      { rank: 1, ok: true, how: 'exit 0' },
    ]);
    expect(() => gangOutcome(task, outcomes)).not.toThrow();
    const seq = api.calls.map((c) => `${c.method} ${c.path.split('?')[0].replace(/noisy-train-[\w-]+/, 'NAME')}`);
    expect(seq).toEqual([
      'POST /api/v1/namespaces/ml/services',
      'POST /apis/batch/v1/namespaces/ml/jobs',
      'GET /apis/batch/v1/namespaces/ml/jobs/NAME',
      'GET /apis/batch/v1/namespaces/ml/jobs/NAME',
      'GET /apis/batch/v1/namespaces/ml/jobs/NAME',
      'GET /api/v1/namespaces/ml/pods',
      'DELETE /apis/batch/v1/namespaces/ml/jobs/NAME',
      'DELETE /api/v1/namespaces/ml/services/NAME',
    ]);
    expect(api.calls.at(-2)!.path).toMatch(/propagationPolicy=Background/); // the pods go with the Job
  });

  it('kube gang - a failed Job names the failed ranks: a killed pod is retryable, a rank reporting a permanent error is not', async () => {
    const killed = await fakeApi(1, 'Failed', (job) => [
      pod(job, 0, {
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'rank',
            image: 'x',
            imageID: 'x',
            ready: false,
            restartCount: 0,
            state: {
              terminated: {
                exitCode: 1,
                reason: 'Error',
                message: JSON.stringify({ error: 'CollectiveError: rank 0: allReduce failed (IO)', retryable: true }),
              },
            },
          },
        ],
      }),
      pod(job, 1, {
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'rank',
            image: 'x',
            imageID: 'x',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
          },
        ],
      }),
    ]);
    const launch = kubernetesGang({
      api: kubeApi({ url: killed.url, token: 't0ken' }),
      namespace: 'ml',
      podTemplate: template,
      pollMs: 10,
    });
    const outcomes = await launch(ctx, task, 3);
    expect(outcomes.map((o) => [o.rank, o.ok])).toEqual([
      [0, false],
      [1, false],
      [2, false], // never scheduled: the Job failed first
    ]);
    expect(outcomes[1].how).toMatch(/OOMKilled 137/);
    expect(outcomes[2].how).toBe('did not finish: job BackoffLimitExceeded:');
    let err: unknown;
    try {
      gangOutcome(task, outcomes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RankFailedError);
    expect((err as RankFailedError).retryable).toBe(true);
    expect((err as RankFailedError).failedRanks).toEqual([0, 1, 2]);
    expect((err as Error).message).toMatch(/rank 0 \(pod .* Error 1: CollectiveError/);
    expect(killed.calls.filter((c) => c.method === 'DELETE')).toHaveLength(2);

    const permanent = rankOutcomes(
      1,
      [
        pod('j', 0, {
          phase: 'Failed',
          containerStatuses: [
            {
              name: 'rank',
              image: 'x',
              imageID: 'x',
              ready: false,
              restartCount: 0,
              state: {
                terminated: {
                  exitCode: 1,
                  message: JSON.stringify({
                    error: 'ConfigError: train.batchSize: 1 is smaller than the 2 replicas',
                    retryable: false,
                  }),
                },
              },
            },
          ],
        }),
      ],
      'BackoffLimitExceeded',
    );
    expect(() => gangOutcome(task, permanent)).toThrow(
      expect.objectContaining({ retryable: false, message: expect.stringMatching(/ConfigError: train.batchSize/) }),
    );
  });

  it('kube gang - an API error is a KubeApiError, retryable only for server trouble (5xx, 429)', async () => {
    const api = await fakeApi(0, 'Complete', () => []);
    const launch = kubernetesGang({
      api: kubeApi({ url: api.url, token: 'wrong' }),
      namespace: 'ml',
      podTemplate: template,
    });
    const err = await launch(ctx, task, 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(401);
    expect((err as KubeApiError).retryable).toBe(false);
    expect(new KubeApiError(503, 'GET', '/x', '').retryable).toBe(true);
  });
});
