import type { KubeObject } from '../types.js';

/** The parts of a Pod the agent reads (everything else passes through untouched). */
export interface ProbeSpec {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string };
  tcpSocket?: { port: number | string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface ContainerSpec {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  workingDir?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  stdin?: boolean;
  tty?: boolean;
  readinessProbe?: ProbeSpec;
  livenessProbe?: ProbeSpec;
  startupProbe?: ProbeSpec;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  securityContext?: SecurityContextSpec;
}

export interface SecurityContextSpec {
  runAsUser?: number;
  runAsGroup?: number;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
}

/** `spec.volumes[]`: the sources the agent reads (others pass through to the runtime). */
export interface VolumeSpec {
  name: string;
  configMap?: { name?: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  secret?: { secretName?: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  downwardAPI?: { items?: DownwardFile[]; defaultMode?: number };
  projected?: {
    defaultMode?: number;
    sources?: {
      configMap?: { name?: string; items?: KeyToPath[]; optional?: boolean };
      secret?: { name?: string; items?: KeyToPath[]; optional?: boolean };
      downwardAPI?: { items?: DownwardFile[] };
      serviceAccountToken?: { path: string; audience?: string; expirationSeconds?: number };
    }[];
  };
  [other: string]: unknown;
}

export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface DownwardFile {
  path: string;
  fieldRef?: { fieldPath: string };
  mode?: number;
}

export interface PodSpec {
  nodeName?: string;
  hostname?: string;
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  terminationGracePeriodSeconds?: number;
  containers?: ContainerSpec[];
  initContainers?: ContainerSpec[];
  readinessGates?: { conditionType: string }[];
  volumes?: VolumeSpec[];
  securityContext?: { runAsUser?: number; runAsGroup?: number };
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
}

export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}

export interface PodStatus {
  phase?: string;
  conditions?: PodCondition[];
  hostIP?: string;
  podIP?: string;
  startTime?: string;
  qosClass?: string;
  [field: string]: unknown;
}

export function specOf(pod: KubeObject): PodSpec {
  return (pod.spec ?? {}) as PodSpec;
}

export function statusOf(pod: KubeObject): PodStatus {
  return (pod.status ?? {}) as PodStatus;
}

export function containersOf(pod: KubeObject): ContainerSpec[] {
  const c = specOf(pod).containers;
  return Array.isArray(c) ? c : [];
}

export function initContainersOf(pod: KubeObject): ContainerSpec[] {
  const c = specOf(pod).initContainers;
  return Array.isArray(c) ? c : [];
}

export function restartPolicyOf(pod: KubeObject): 'Always' | 'OnFailure' | 'Never' {
  const p = specOf(pod).restartPolicy;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

/** The pull policy the kubelet applies: as written, else Always for `:latest`/untagged, else IfNotPresent. */
export function pullPolicyOf(c: ContainerSpec): 'Always' | 'IfNotPresent' | 'Never' {
  if (c.imagePullPolicy === 'Always' || c.imagePullPolicy === 'IfNotPresent' || c.imagePullPolicy === 'Never') return c.imagePullPolicy;
  const image = c.image ?? '';
  const tag = image.includes('@') ? 'digest' : /:([^/:]+)$/.exec(image)?.[1];
  return !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Literal env values (`valueFrom` sources are not resolved by the agent yet). */
export function envOf(c: ContainerSpec): { name: string; value: string }[] {
  return (c.env ?? []).filter((e) => typeof e?.name === 'string').map((e) => ({ name: e.name, value: typeof e.value === 'string' ? e.value : '' }));
}

/**
 * A downward-API field of the pod (`metadata.name`, `metadata.namespace`, `metadata.uid`,
 * `metadata.labels['k']`, `metadata.annotations['k']`, `spec.nodeName`,
 * `spec.serviceAccountName`, `status.podIP`, `status.hostIP`); undefined when unsupported.
 */
export function podField(pod: KubeObject, path: string, ips: { podIP?: string; hostIP?: string }): string | undefined {
  const meta = pod.metadata;
  const spec = specOf(pod);
  const m = /^metadata\.(labels|annotations)\['([^']*)'\]$/.exec(path);
  if (m) return ((m[1] === 'labels' ? meta.labels : meta.annotations) ?? {})[m[2]!] ?? '';
  const kv = (o: Record<string, string> | undefined) => Object.entries(o ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n');
  switch (path) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? 'default';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return kv(meta.labels);
    case 'metadata.annotations':
      return kv(meta.annotations);
    case 'spec.nodeName':
      return spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return spec.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return ips.podIP ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return ips.hostIP ?? '';
    default:
      return undefined;
  }
}

/** Reads a key of a ConfigMap or Secret for `valueFrom`; undefined when the object or key is absent. */
export type KeyLookup = (kind: 'configmaps' | 'secrets', name: string, key: string) => Promise<string | undefined>;

/**
 * Env with `valueFrom` resolved: `fieldRef` (the downward API basics), `resourceFieldRef`
 * (limits/requests as written), `configMapKeyRef`/`secretKeyRef` through `lookup`. A missing
 * non-optional reference rejects with a message saying what to create.
 */
export async function resolveEnvOf(c: ContainerSpec, pod: KubeObject, ips: { podIP?: string; hostIP?: string }, lookup?: KeyLookup): Promise<{ name: string; value: string }[]> {
  const out: { name: string; value: string }[] = [];
  for (const e of c.env ?? []) {
    if (typeof e?.name !== 'string') continue;
    if (typeof e.value === 'string' || !e.valueFrom) {
      out.push({ name: e.name, value: typeof e.value === 'string' ? e.value : '' });
      continue;
    }
    const from = e.valueFrom as {
      fieldRef?: { fieldPath?: string };
      resourceFieldRef?: { resource?: string };
      configMapKeyRef?: { name?: string; key?: string; optional?: boolean };
      secretKeyRef?: { name?: string; key?: string; optional?: boolean };
    };
    if (from.fieldRef?.fieldPath) {
      out.push({ name: e.name, value: podField(pod, from.fieldRef.fieldPath, ips) ?? '' });
    } else if (from.resourceFieldRef?.resource) {
      const [kind, res] = from.resourceFieldRef.resource.split('.') as [string, string];
      const list = kind === 'limits' ? c.resources?.limits : c.resources?.requests;
      out.push({ name: e.name, value: list?.[res] ?? '' });
    } else {
      const ref = from.configMapKeyRef ?? from.secretKeyRef;
      const kind = from.configMapKeyRef ? 'configmaps' : 'secrets';
      if (!ref?.name || !ref.key || !lookup) continue;
      const v = await lookup(kind, ref.name, ref.key);
      if (v === undefined) {
        if (ref.optional) continue;
        throw new Error(`${kind === 'configmaps' ? 'configmap' : 'secret'} "${ref.name}" (key "${ref.key}") for env ${e.name} not found; create it or mark the reference optional`);
      }
      out.push({ name: e.name, value: v });
    }
  }
  return out;
}

/** BestEffort / Burstable / Guaranteed from requests and limits, as the API server computes it. */
export function qosClassOf(pod: KubeObject): string {
  const all = [...containersOf(pod), ...initContainersOf(pod)];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l;
      if (l === undefined || q !== l) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
