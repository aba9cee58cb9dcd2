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
}

export interface PodSpec {
  nodeName?: string;
  hostname?: string;
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  terminationGracePeriodSeconds?: number;
  containers?: ContainerSpec[];
  initContainers?: ContainerSpec[];
  readinessGates?: { conditionType: string }[];
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
