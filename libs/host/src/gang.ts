// Which launcher starts the ranks of a train step with `train.replicas` > 1 in a service:
// local rank processes (`noisy dev up`, one machine) unless NOISY_GANG=kubernetes, where the
// trainer submits the gang as an Indexed Job (kube-gang.ts).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localGang, type GangLauncher } from '@noisy/pipeline';
import { kubeGangFromEnv, kubernetesGang } from './kube-gang.js';

/** The rank process's main, run as `node --import tsx <RANK_ENTRY> '<task json>'`. */
export const RANK_ENTRY = fileURLToPath(new URL('./rank-main.ts', import.meta.url));
/** The repository (or image) root, where `--import tsx` resolves. */
export const REPO_ROOT = resolve(dirname(RANK_ENTRY), '..', '..', '..');

/** The service's launcher: NOISY_GANG=kubernetes submits Indexed Jobs, else local rank processes. */
export function gangFromEnv(env: Record<string, string | undefined>): GangLauncher {
  return env.NOISY_GANG === 'kubernetes' ? kubernetesGang(kubeGangFromEnv(env)) : localRanks(env);
}

export function localRanks(env: Record<string, string | undefined>): GangLauncher {
  const ms = (v: string | undefined) => (v ? Number(v) : undefined);
  return localGang({
    entry: RANK_ENTRY,
    cwd: REPO_ROOT,
    env,
    storeUrl: env.NOISY_STORE_URL,
    timeoutMs: ms(env.NOISY_COLLECTIVE_TIMEOUT_MS),
    joinTimeoutMs: ms(env.NOISY_JOIN_TIMEOUT_MS),
  });
}
