// Which controller drives a run: a lease object in the store (holder, expiry) that the holder
// renews while it drives. A controller takes a run only when the lease is free, its own or
// expired, so two controllers (a rollout overlap, a stuck pod) never drive one run at once in the
// normal case. Taking over an expired lease deletes it and creates it again only if absent; two
// controllers taking one expired lease in the same instant could both win, which costs duplicate
// publishes but no wrong result (tasks commit once).
import { runKeys } from '@noisy/contracts';
import { getJson, putJson, putJsonIfAbsent, type ObjectStore } from '@noisy/platform';

export interface Lease {
  holder: string;
  /** ISO time after which another controller may take the run. */
  expires: string;
}

export async function readLease(store: ObjectStore, runId: string): Promise<Lease | null> {
  const key = runKeys.lease(runId);
  if (!(await store.head(key))) return null;
  return getJson<Lease>(store, key).catch(() => null); // unreadable: treated as absent
}

/** Take or renew the run's lease for `ttlMs`; false when another live holder has it. */
export async function acquireLease(store: ObjectStore, runId: string, holder: string, ttlMs: number): Promise<boolean> {
  const key = runKeys.lease(runId);
  const lease: Lease = { holder, expires: new Date(Date.now() + ttlMs).toISOString() };
  if (await putJsonIfAbsent(store, key, lease)) return true;
  const current = await readLease(store, runId);
  if (current?.holder === holder) {
    await putJson(store, key, lease);
    return true;
  }
  if (current && Date.parse(current.expires) > Date.now()) return false;
  await store.delete(key);
  return putJsonIfAbsent(store, key, lease);
}

/** Give the lease up if this holder has it (a finished run, a clean shutdown). */
export async function releaseLease(store: ObjectStore, runId: string, holder: string): Promise<void> {
  if ((await readLease(store, runId))?.holder === holder) await store.delete(runKeys.lease(runId));
}
