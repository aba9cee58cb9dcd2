import { readFileSync } from 'node:fs';
import { arch, release } from 'node:os';
import type { KubeObject } from '../types.js';
import { kubeTime } from '../types.js';
import type { NodeResources } from './runtime.js';

export interface NodeFacts {
  nodeName: string;
  address: string;
  podCidr: string;
  agentPort: number;
  labels: Record<string, string>;
  kubeletVersion: string;
  runtimeVersion: string;
  capacity: NodeResources;
  bootID: string;
}

/** `amd64`/`arm64` from Node's `process.arch`. */
export function kubeArch(): string {
  const a = arch();
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

/** `PRETTY_NAME` of /etc/os-release, as the kubelet reports `osImage`. */
export function osImage(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m?.[1]) return m[1];
  } catch {
    // fall through
  }
  return 'Linux';
}

/** The Node object the agent registers (status is written separately, through `/status`). */
export function nodeObject(f: NodeFacts): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: f.nodeName,
      labels: {
        'kubernetes.io/hostname': f.nodeName,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': kubeArch(),
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': kubeArch(),
        ...f.labels,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { podCIDR: f.podCidr, podCIDRs: [f.podCidr] },
  };
}

type Condition = { type: string; status: string; reason: string; message: string; lastHeartbeatTime: string; lastTransitionTime: string };

/**
 * The node's status at `now`. Condition transition times are kept from `previous` while a
 * condition's status stays the same; heartbeat times are always `now`.
 */
export function nodeStatus(f: NodeFacts, previous: KubeObject | undefined, now = Date.now()): Record<string, unknown> {
  const t = kubeTime(now);
  const prev = ((previous?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []) as Condition[];
  const cond = (type: string, status: string, reason: string, message: string): Condition => {
    const old = prev.find((c) => c.type === type);
    return { type, status, reason, message, lastHeartbeatTime: t, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : t };
  };
  const fake = f.runtimeVersion.startsWith('fake://');
  return {
    capacity: { ...f.capacity },
    allocatable: { ...f.capacity },
    conditions: [
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      cond('Ready', 'True', 'KubeletReady', fake ? 'kubelet is posting ready status (fake container runtime: pods are simulated)' : 'kubelet is posting ready status'),
      cond('NetworkUnavailable', 'False', 'RouteCreated', fake ? 'fake runtime: pod addresses are allocated, no network is set up' : 'pod network is configured'),
    ],
    addresses: [
      { type: 'InternalIP', address: f.address },
      { type: 'Hostname', address: f.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: f.agentPort } },
    nodeInfo: {
      machineID: f.bootID.replace(/-/g, ''),
      systemUUID: f.bootID,
      bootID: f.bootID,
      kernelVersion: release(),
      osImage: osImage(),
      containerRuntimeVersion: f.runtimeVersion,
      kubeletVersion: f.kubeletVersion,
      kubeProxyVersion: f.kubeletVersion,
      operatingSystem: 'linux',
      architecture: kubeArch(),
    },
    phase: 'Running',
  };
}

/** The node's Lease in `kube-node-lease`, renewed at `now`. */
export function leaseObject(nodeName: string, nodeUid: string | undefined, durationSeconds: number, now = Date.now()): KubeObject {
  const lease: KubeObject = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: nodeName, namespace: 'kube-node-lease' },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) },
  };
  if (nodeUid) lease.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }];
  return lease;
}

/** MicroTime: RFC 3339 with microseconds (`2025-01-01T00:00:00.123000Z`). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
