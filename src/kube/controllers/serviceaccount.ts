import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../types.js';
import { objectKey, splitKey } from './informer.js';
import { isConflict, ownerRefTo, R, type Controller, type ControllerContext } from './objects.js';
import { WorkQueue } from './queue.js';

export const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const SA_UID_ANNOTATION = 'kubernetes.io/service-account.uid';
export const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';

/**
 * ServiceAccounts: a `default` ServiceAccount in every active namespace (recreated if deleted),
 * and for every ServiceAccount one token Secret (type `kubernetes.io/service-account-token`,
 * `<sa>-token-xxxxx`, annotations `kubernetes.io/service-account.name`/`.uid`, data `token`
 * (32 random bytes, base64url) and `namespace`), listed in the ServiceAccount's `secrets`. The
 * HTTP layer authenticates bearer tokens by looking them up in these Secrets. The Secret has an
 * ownerReference to its ServiceAccount, so the garbage collector removes it with the account.
 *
 * NOTE: tokens are opaque random strings, not signed JWTs: nothing outside this cluster
 * verifies them, and the lookup is exact.
 */
export function serviceAccountController(ctx: ControllerContext): Controller {
  const nsInf = ctx.informers.for(R.namespaces);
  const saInf = ctx.informers.for(R.serviceaccounts);
  const secretInf = ctx.informers.for(R.secrets);
  const nsQueue = new WorkQueue('serviceaccount-namespace', syncNamespace, ctx.log);
  const saQueue = new WorkQueue('serviceaccount-token', syncAccount, ctx.log);
  /** Token Secrets created but not yet seen by the informer (so a quick resync doesn't make a second). */
  const created = new Map<string, { name: string; at: number }>();

  nsInf.addHandler((type, ns) => {
    if (type !== 'DELETED') nsQueue.add(ns.metadata.name!);
  });
  saInf.addHandler((type, sa) => {
    if (type === 'DELETED' && sa.metadata.name === 'default') nsQueue.add(sa.metadata.namespace!);
    if (type !== 'DELETED') saQueue.add(objectKey(sa));
  });
  secretInf.addHandler((type, secret) => {
    const sa = secret.metadata.annotations?.[SA_NAME_ANNOTATION];
    if (type !== 'DELETED' || !sa || secret.type !== SA_TOKEN_TYPE) return;
    const key = `${secret.metadata.namespace}/${sa}`;
    if (created.get(key)?.name === secret.metadata.name) created.delete(key);
    saQueue.add(key);
  });

  async function syncNamespace(name: string): Promise<void> {
    const ns = nsInf.get(undefined, name);
    if (!ns || ns.metadata.deletionTimestamp) return;
    if (saInf.get(name, 'default')) return;
    try {
      await ctx.api.create(R.serviceaccounts, name, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } });
    } catch (err) {
      if (!isConflict(err) && !isForbidden(err)) throw err;
    }
  }

  async function syncAccount(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const sa = saInf.get(namespace, name);
    if (!sa || sa.metadata.deletionTimestamp) return;
    const ns = nsInf.get(undefined, namespace!);
    if (!ns || ns.metadata.deletionTimestamp) return;
    const token = secretInf
      .list(namespace)
      .find((s) => s.type === SA_TOKEN_TYPE && s.metadata.annotations?.[SA_NAME_ANNOTATION] === name && s.metadata.annotations?.[SA_UID_ANNOTATION] === sa.metadata.uid && !s.metadata.deletionTimestamp);
    let secretName = token?.metadata.name;
    const recent = created.get(key);
    if (token || (recent && Date.now() - recent.at > 10_000)) created.delete(key);
    else if (recent) secretName = recent.name;
    if (!secretName) {
      const body: KubeObject = {
        apiVersion: 'v1',
        kind: 'Secret',
        type: SA_TOKEN_TYPE,
        metadata: {
          generateName: `${name}-token-`,
          namespace,
          annotations: { [SA_NAME_ANNOTATION]: name, [SA_UID_ANNOTATION]: sa.metadata.uid! },
          ownerReferences: [{ ...ownerRefTo(sa), controller: false, blockOwnerDeletion: false }],
        },
        data: {
          token: Buffer.from(randomBytes(32).toString('base64url')).toString('base64'),
          namespace: Buffer.from(namespace!).toString('base64'),
        },
      };
      try {
        secretName = (await ctx.api.create(R.secrets, namespace, body)).metadata.name;
        created.set(key, { name: secretName!, at: Date.now() });
      } catch (err) {
        if (isForbidden(err)) return;
        throw err;
      }
    }
    const refs = (sa.secrets as { name: string }[] | undefined) ?? [];
    if (secretName && !refs.some((r) => r.name === secretName)) {
      const live = new Set([...secretInf.list(namespace).map((s) => s.metadata.name), secretName]);
      const kept = refs.filter((r) => live.has(r.name));
      await ctx.api.update(R.serviceaccounts, namespace, name, { ...sa, secrets: [...kept, { name: secretName }] });
    }
  }

  return {
    name: 'serviceaccount',
    queues: [nsQueue, saQueue],
    start() {
      for (const ns of nsInf.list()) nsQueue.add(ns.metadata.name!);
      for (const sa of saInf.list()) saQueue.add(objectKey(sa));
    },
    stop() {
      nsQueue.stop();
      saQueue.stop();
    },
  };
}

function isForbidden(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: number }).code === 403;
}
