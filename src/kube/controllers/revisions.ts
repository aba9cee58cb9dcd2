import type { KubeApi } from '../api.js';
import type { KubeObject } from '../types.js';
import { controllerRef, isConflict, num, ownerRefTo, R, type Json } from './objects.js';

export const REVISION_HASH = 'controller-revision-hash';

/**
 * ControllerRevisions of a DaemonSet or StatefulSet (`kubectl rollout history/undo` reads them):
 * one per template, named `<ds>-<hash>`, `data` the strategic patch that restores the template,
 * `revision` increasing; the current template's revision is bumped to the highest when an old
 * template comes back. Revisions beyond `historyLimit` that no live pod uses are deleted.
 */
export async function syncRevisions(api: KubeApi, owner: KubeObject, template: Json, hash: string, historyLimit: number, pods: KubeObject[], revisions: KubeObject[]): Promise<void> {
  const ns = owner.metadata.namespace;
  const list = revisions.filter((cr) => controllerRef(cr)?.uid === owner.metadata.uid);
  const maxRev = Math.max(0, ...list.map((cr) => num(cr.revision, 0)));
  const name = `${owner.metadata.name}-${hash}`;
  const current = list.find((cr) => cr.metadata.name === name);
  if (!current) {
    const body: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name, namespace: ns, labels: { ...(((template.metadata as Json | undefined)?.labels as Record<string, string>) ?? {}), [REVISION_HASH]: hash }, ownerReferences: [ownerRefTo(owner)] },
      data: { spec: { template: { ...template, $patch: 'replace' } } },
      revision: maxRev + 1,
    };
    try {
      await api.create(R.controllerrevisions, ns, body);
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  } else if (num(current.revision, 0) < maxRev) {
    await api.update(R.controllerrevisions, ns, name, { ...current, revision: maxRev + 1 });
  }
  const inUse = new Set(pods.map((p) => p.metadata.labels?.[REVISION_HASH]));
  // DaemonSet pods carry the hash, StatefulSet pods the revision's name.
  const old = list.filter((cr) => cr.metadata.name !== name && !inUse.has(cr.metadata.labels?.[REVISION_HASH]) && !inUse.has(cr.metadata.name)).sort((a, b) => num(a.revision, 0) - num(b.revision, 0));
  for (const cr of old.slice(0, Math.max(0, old.length - historyLimit))) {
    await api.delete(R.controllerrevisions, ns, cr.metadata.name!).catch(() => undefined);
  }
}
