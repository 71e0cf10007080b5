// One rank of a data-parallel train step, as a process: `node --import tsx rank-main.ts '<task json>'`.
// Started by the local gang (libs/pipeline/src/gang.ts) or as a pod of the Kubernetes gang
// (kube-gang.ts). Environment: NOISY_STORE_URL (+ AWS_* for s3://), NOISY_BACKEND, and the rank
// contract of @noisy/collective (NOISY_RANK or JOB_COMPLETION_INDEX, NOISY_WORLD_SIZE,
// NOISY_RENDEZVOUS, ...). Prints JSON lines: rank 0 its progress, any rank its error; exits 0 only
// when its part of the step succeeded (rank 0: the model manifest is committed).
import { writeFileSync } from 'node:fs';
import { openCollective, type Collective } from '@noisy/collective';
import { NoisyError } from '@noisy/core';
import { taskCodec, type Task } from '@noisy/contracts';
import { selectBackend, useNativeKernels } from '@noisy/ml';
import { ModelCache, describeError, loadRun, trainStage, type RankLine, type StageContext } from '@noisy/pipeline';
import { openObjectStore } from '@noisy/platform/s3';

const say = (line: RankLine) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function main(env: Record<string, string | undefined>): Promise<number> {
  // The task arrives as JSON (argv) and is validated like one from the bus.
  const task: Task = taskCodec.decode(taskCodec.encode(JSON.parse(process.argv[2] ?? '{}') as Task));
  const url = env.NOISY_STORE_URL;
  if (!url) throw new NoisyError('NOISY_STORE_URL is not set: the launcher passes the run store to every rank');
  const id = env.AWS_ACCESS_KEY_ID,
    secret = env.AWS_SECRET_ACCESS_KEY;
  const store = await openObjectStore(url, id && secret ? { accessKeyId: id, secretAccessKey: secret } : undefined);
  const run = await loadRun(store, task.runId);
  useNativeKernels(env.NOISY_ONEDNN !== '0');
  await selectBackend((env.NOISY_BACKEND ?? run.experiment.backend) as 'auto');
  let stopping = false;
  process.once('SIGTERM', () => (stopping = true)); // every rank stops after the current step
  const collective: Collective = await openCollective(env);
  try {
    const ctx: StageContext = {
      store,
      allowDownload: false,
      shouldStop: () => stopping,
      progress: (p) => collective.rank === 0 && say({ progress: p }),
    };
    await trainStage(ctx, task, new ModelCache(), collective);
    return 0;
  } finally {
    await collective.close();
  }
}

main(process.env).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const line: RankLine = { error: describeError(err), retryable: err instanceof NoisyError && err.retryable };
    say(line);
    // On Kubernetes the pod's termination message carries it to the trainer (kube-gang.ts).
    if (process.env.NOISY_TERMINATION_LOG) writeFileSync(process.env.NOISY_TERMINATION_LOG, JSON.stringify(line));
    process.exit(1);
  },
);
