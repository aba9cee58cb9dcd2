import type { KubeApi } from '../api.js';
import { KubeError } from '../errors.js';
import { findResource } from '../resources.js';
import type { KubeObject } from '../types.js';
import { specOf } from './pod-spec.js';
import { RuntimeError, type ClaimMount } from './runtime.js';

const PVCS = findResource('', 'v1', 'persistentvolumeclaims')!;
const PVS = findResource('', 'v1', 'persistentvolumes')!;

type Json = Record<string, unknown>;

/**
 * The kubelet's volume manager for `persistentVolumeClaim` volumes: each claim must exist, be
 * bound, and its volume must be a directory on this node (`hostPath` or `local`, with node
 * affinity admitting `nodeName` when it names nodes by hostname). Returns volume name → mount;
 * rejects with a `RuntimeError` whose message says what is missing, so the pod waits in
 * ContainerCreating and is retried.
 */
export async function resolveClaimMounts(api: Pick<KubeApi, 'get'>, pod: KubeObject, nodeName: string): Promise<Record<string, ClaimMount>> {
  const out: Record<string, ClaimMount> = {};
  const ns = pod.metadata.namespace ?? 'default';
  for (const v of specOf(pod).volumes ?? []) {
    const src = v.persistentVolumeClaim as { claimName?: string; readOnly?: boolean } | undefined;
    if (!src) continue;
    const claimName = src.claimName ?? '';
    const pvc = await getOr404(api, PVCS, ns, claimName);
    if (!pvc) throw new RuntimeError('FailedMount', `volume "${v.name}": persistentvolumeclaim "${claimName}" not found in namespace ${ns}; create it`);
    const volumeName = (pvc.spec as Json | undefined)?.volumeName;
    if (typeof volumeName !== 'string' || volumeName === '' || (pvc.status as Json | undefined)?.phase !== 'Bound') {
      throw new RuntimeError('FailedMount', `volume "${v.name}": persistentvolumeclaim "${claimName}" is not bound yet; waiting for the volume controller`);
    }
    const pv = await getOr404(api, PVS, undefined, volumeName);
    if (!pv) throw new RuntimeError('FailedMount', `volume "${v.name}": persistentvolume "${volumeName}" of claim "${claimName}" not found`);
    const ps = (pv.spec as Json | undefined) ?? {};
    const path = ((ps.hostPath ?? ps.local) as { path?: string } | undefined)?.path;
    if (typeof path !== 'string' || path === '') {
      const kind = Object.keys(ps).find((k) => !['capacity', 'accessModes', 'claimRef', 'persistentVolumeReclaimPolicy', 'storageClassName', 'volumeMode', 'nodeAffinity', 'mountOptions'].includes(k)) ?? 'unknown';
      throw new RuntimeError('FailedMount', `volume "${v.name}": persistent volume ${volumeName} is a ${kind} volume; this node mounts hostPath and local volumes only`);
    }
    const pinned = hostnamesOf(ps);
    if (pinned && !pinned.includes(nodeName)) throw new RuntimeError('FailedMount', `volume "${v.name}": persistent volume ${volumeName} lives on node ${pinned.join(', ')}, not on ${nodeName}`);
    out[v.name] = { claimName, volumeName, path, readOnly: src.readOnly === true };
  }
  return out;
}

/** Hostnames a volume's node affinity allows, when it is written as `kubernetes.io/hostname In […]` terms only. */
function hostnamesOf(spec: Json): string[] | undefined {
  const terms = ((spec.nodeAffinity as Json | undefined)?.required as Json | undefined)?.nodeSelectorTerms;
  if (!Array.isArray(terms) || terms.length === 0) return undefined;
  const names: string[] = [];
  for (const t of terms as Json[]) {
    const exprs = (t.matchExpressions as Json[] | undefined) ?? [];
    const host = exprs.find((e) => e.key === 'kubernetes.io/hostname' && e.operator === 'In');
    if (!host || exprs.length !== 1 || t.matchFields) return undefined;
    names.push(...((host.values as string[] | undefined) ?? []));
  }
  return names;
}

async function getOr404(api: Pick<KubeApi, 'get'>, res: typeof PVCS, ns: string | undefined, name: string): Promise<KubeObject | undefined> {
  try {
    return await api.get(res, ns, name);
  } catch (err) {
    if (err instanceof KubeError && err.code === 404) return undefined;
    throw err;
  }
}
