import type { KubeApi, Watch } from '../api.js';
import { kubeTime, type KubeObject } from '../types.js';
import { R, updateWithRetry, type Json } from './objects.js';

/**
 * Test doubles for controller and scheduler tests: nodes as a node agent registers them, and a
 * fake kubelet that runs every pod bound to a node it serves (Running, Ready, a pod IP) and
 * finishes graceful deletions at once, all through the public `KubeApi`.
 */

export function nodeBody(name: string, opts: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: Json[]; ready?: boolean; unschedulable?: boolean } = {}): KubeObject {
  const capacity = { cpu: opts.cpu ?? '4', memory: opts.memory ?? '8Gi', pods: opts.pods ?? '110' };
  const now = kubeTime();
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...(opts.labels ?? {}) } },
    spec: { ...(opts.taints ? { taints: opts.taints } : {}), ...(opts.unschedulable ? { unschedulable: true } : {}) },
    status: {
      capacity,
      allocatable: capacity,
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  };
}

/** Creates a node and writes its status (the main resource ignores status). */
export async function createNode(api: KubeApi, name: string, opts: Parameters<typeof nodeBody>[1] = {}): Promise<KubeObject> {
  const body = nodeBody(name, opts);
  const created = await api.create(R.nodes, undefined, body);
  return api.update(R.nodes, undefined, name, { ...created, status: body.status }, { subresource: 'status' });
}

export async function renewLease(api: KubeApi, node: string): Promise<void> {
  // MicroTime, as kubelets write it.
  const spec = { holderIdentity: node, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace('Z', '000Z') };
  try {
    const cur = await api.get(R.leases, 'kube-node-lease', node);
    await api.update(R.leases, 'kube-node-lease', node, { ...cur, spec: { ...(cur.spec as Json), ...spec } });
  } catch {
    await api.create(R.leases, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: node, namespace: 'kube-node-lease' }, spec });
  }
}

let ipCounter = 1;

/** Marks a pod Running with an IP, Ready or not. */
export async function runPod(api: KubeApi, pod: KubeObject, ready = true, phase = 'Running'): Promise<KubeObject | undefined> {
  return updateWithRetry(
    api,
    R.pods,
    pod.metadata.namespace,
    pod.metadata.name!,
    (cur) => {
      const st = (cur.status as Json | undefined) ?? {};
      const now = kubeTime();
      const ip = (st.podIP as string | undefined) ?? `10.42.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 2}`;
      const conds = ((st.conditions as Json[] | undefined) ?? []).filter((c) => c.type !== 'Ready' && c.type !== 'ContainersReady');
      const isReady = ready && phase === 'Running';
      conds.push({ type: 'Ready', status: isReady ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: now });
      conds.push({ type: 'ContainersReady', status: isReady ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: now });
      return { ...cur, status: { ...st, phase, podIP: ip, podIPs: [{ ip }], conditions: conds } };
    },
    'status',
  );
}

export interface FakeKubelet {
  /** Whether newly bound pods become Ready (default true). */
  ready: boolean;
  stop(): Promise<void>;
}

/**
 * Runs every pod bound to a node (any node unless `nodes` is given): Running + Ready with an
 * IP; pods marked for deletion are removed (DELETE with grace 0), as a kubelet does after
 * stopping containers. Pods whose `metadata.annotations["test/exit"]` is "0" or "1" finish
 * Succeeded or Failed instead (for Jobs).
 */
export async function startFakeKubelet(api: KubeApi, nodes?: string[]): Promise<FakeKubelet> {
  let chain = Promise.resolve();
  const self: FakeKubelet = { ready: true, stop: async () => undefined };
  const handle = async (pod: KubeObject) => {
    const spec = (pod.spec as Json | undefined) ?? {};
    const node = spec.nodeName as string | undefined;
    if (!node || (nodes && !nodes.includes(node))) return;
    if (pod.metadata.deletionTimestamp) {
      await api.delete(R.pods, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0 }).catch(() => undefined);
      return;
    }
    const st = (pod.status as Json | undefined) ?? {};
    if (st.podIP) return;
    const exit = pod.metadata.annotations?.['test/exit'];
    if (exit !== undefined) await runPod(api, pod, false, exit === '0' ? 'Succeeded' : 'Failed').catch(() => undefined);
    else await runPod(api, pod, self.ready).catch(() => undefined);
  };
  const w: Watch = await api.watch(R.pods, undefined, {}, (ev) => {
    if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') return;
    chain = chain.then(() => handle(ev.object));
  });
  self.stop = async () => {
    w.stop();
    await chain;
  };
  return self;
}

/** Polls `fn` until it returns a truthy value (instead of sleeping a fixed time). */
export async function eventually<T>(fn: () => Promise<T | undefined | false | null>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}
