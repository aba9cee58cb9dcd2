import type { KubeObject } from '../types.js';
import { specOf, type ContainerSpec, type VolumeSpec } from './pod-spec.js';

/** Where pods find their API credentials (`token`, `ca.crt`, `namespace`). */
export const SA_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** What the kubelet asks for on the default mount (a bit over an hour, as upstream). */
export const SA_TOKEN_SECONDS = 3607;
/** Marks the volume the agent adds (not in the API object) so its files are made here. */
export const SA_VOLUME_PREFIX = 'kube-api-access-';

/**
 * The service-account volume the agent adds to a pod (upstream's ServiceAccount admission adds
 * it to the stored object; here the registry leaves pods as written and the node agent adds it
 * when it runs the pod, so `kubectl get pod -o yaml` does not show it): a projected volume
 * `kube-api-access-<uid prefix>` with the token, the cluster CA and the namespace, mounted
 * read-only at `SA_MOUNT_PATH` in every container (init ones too) that has nothing mounted
 * there already.
 *
 * Undefined when the pod opts out (`spec.automountServiceAccountToken: false`, or the
 * ServiceAccount's `automountServiceAccountToken: false` when the pod does not say) or when
 * no container would get it.
 */
export function serviceAccountVolumeName(pod: KubeObject, serviceAccount: KubeObject | undefined): string | undefined {
  const spec = specOf(pod);
  const podSays = spec.automountServiceAccountToken;
  const saSays = (serviceAccount as { automountServiceAccountToken?: boolean } | undefined)?.automountServiceAccountToken;
  if (podSays === false || (podSays === undefined && saSays === false)) return undefined;
  const all = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  if (!all.some((c) => !hasMountAt(c, SA_MOUNT_PATH))) return undefined;
  const taken = new Set((spec.volumes ?? []).map((v) => v.name));
  const base = `${SA_VOLUME_PREFIX}${(pod.metadata.uid ?? 'x').replace(/[^a-z0-9]/g, '').slice(0, 5) || 'x'}`;
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  return name;
}

function hasMountAt(c: ContainerSpec, path: string): boolean {
  const norm = (p: string) => p.replace(/\/+$/, '');
  return (c.volumeMounts ?? []).some((m) => norm(m.mountPath) === norm(path));
}

/**
 * The pod as the runtime should see it: with the volume `name` added and mounted (read-only)
 * in every container that has no mount at `SA_MOUNT_PATH`. The input is not changed.
 */
export function withServiceAccountVolume(pod: KubeObject, name: string | undefined): KubeObject {
  if (!name) return pod;
  const spec = specOf(pod);
  const volume: VolumeSpec = {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: SA_TOKEN_SECONDS } }],
    },
  };
  const mount = (c: ContainerSpec): ContainerSpec => (hasMountAt(c, SA_MOUNT_PATH) ? c : { ...c, volumeMounts: [...(c.volumeMounts ?? []), { name, mountPath: SA_MOUNT_PATH, readOnly: true }] });
  return {
    ...pod,
    spec: {
      ...spec,
      volumes: [...(spec.volumes ?? []), volume],
      ...(spec.containers ? { containers: spec.containers.map(mount) } : {}),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map(mount) } : {}),
    },
  };
}

/**
 * The `KUBERNETES_SERVICE_*`/`KUBERNETES_PORT*` variables of the `default/kubernetes` Service
 * (as the kubelet's service links write them), for client libraries' in-cluster config.
 * Empty when the Service has no ClusterIP or no port.
 */
export function kubernetesServiceEnv(svc: KubeObject | undefined): { name: string; value: string }[] {
  const spec = svc?.spec as { clusterIP?: string; ports?: { name?: string; port?: number; protocol?: string }[] } | undefined;
  const ip = spec?.clusterIP;
  const ports = (spec?.ports ?? []).filter((p) => typeof p.port === 'number');
  if (!ip || ip === 'None' || ports.length === 0) return [];
  const first = ports[0]!;
  const out = [
    { name: 'KUBERNETES_SERVICE_HOST', value: ip },
    { name: 'KUBERNETES_SERVICE_PORT', value: String(first.port) },
  ];
  for (const p of ports) if (p.name) out.push({ name: `KUBERNETES_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`, value: String(p.port) });
  const proto = (first.protocol ?? 'TCP').toLowerCase();
  out.push({ name: 'KUBERNETES_PORT', value: `${proto}://${ip}:${first.port}` });
  for (const p of ports) {
    const pr = (p.protocol ?? 'TCP').toUpperCase();
    const k = `KUBERNETES_PORT_${p.port}_${pr}`;
    out.push({ name: k, value: `${pr.toLowerCase()}://${ip}:${p.port}` }, { name: `${k}_PROTO`, value: pr.toLowerCase() }, { name: `${k}_PORT`, value: String(p.port) }, { name: `${k}_ADDR`, value: ip });
  }
  return out;
}

/** `service` env first, then the container's own (which wins on a clash), as the kubelet orders them. */
export function mergeEnv(service: { name: string; value: string }[], own: { name: string; value: string }[]): { name: string; value: string }[] {
  const mine = new Set(own.map((e) => e.name));
  return [...service.filter((e) => !mine.has(e.name)), ...own];
}
