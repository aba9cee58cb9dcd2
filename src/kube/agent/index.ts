import { randomUUID } from 'node:crypto';
import { KubeClient } from '../client/client.js';
import { Informer } from '../client/informer.js';
import { KubeError } from '../errors.js';
import { findResource } from '../resources.js';
import { serveAgentApi } from '../streams/agent-api.js';
import type { PodStreams } from '../api.js';
import type { KubeObject } from '../types.js';
import { FakeRuntime } from './fake-runtime.js';
import { leaseObject, nodeObject, nodeStatus, type NodeFacts } from './node.js';
import { PodWorkers, type TokenRequestArgs } from './pod-workers.js';
import type { PodRuntime } from './runtime.js';

export type { PodRuntime } from './runtime.js';
export { FakeRuntime } from './fake-runtime.js';

const NODES = findResource('', 'v1', 'nodes')!;
const PODS = findResource('', 'v1', 'pods')!;
const LEASES = findResource('coordination.k8s.io', 'v1', 'leases')!;
const SERVICEACCOUNTS = findResource('', 'v1', 'serviceaccounts')!;

export interface NodeAgentOptions {
  nodeName: string;
  /** API server URL (`https://127.0.0.1:6443`). */
  server: string;
  /** The cluster CA (PEM) that signed the API server's certificate. */
  caPem: string;
  /** The node's bearer token; the agent API accepts the same token from the API server. */
  token: string;
  /** Default: a new `FakeRuntime`. */
  runtime?: PodRuntime;
  /** The node's InternalIP, where the agent API listens (default 127.0.0.1). */
  address?: string;
  podCidr: string;
  /** Agent API port (default 0: a free one, published in `daemonEndpoints`). */
  agentPort?: number;
  /** Extra node labels (`node-role.kubernetes.io/control-plane: ''`…). */
  labels?: Record<string, string>;
  /** `spec.leaseDurationSeconds` of the node's Lease (default 40). */
  leaseDurationSeconds?: number;
  /** Lease renewal and node status period (default 10 000 ms). */
  heartbeatMs?: number;
  /** `nodeInfo.kubeletVersion` (default v1.32.4). */
  kubeVersion?: string;
  /** CrashLoopBackOff / ImagePullBackOff delays (default 10 s doubling to 300 s, as the kubelet). */
  backoff?: { initialMs: number; maxMs: number };
  /** Serves the agent API (default `kube/streams` `serveAgentApi`); tests may replace it. */
  serveApi?: (streams: PodStreams, opts: { host: string; port: number; token: string }) => Promise<{ port: number; close(): Promise<void> }>;
  log?: (m: string) => void;
}

export interface NodeAgent {
  readonly nodeName: string;
  readonly runtime: PodRuntime;
  /** The port of the agent API. */
  readonly agentPort: number;
  /** Counters for diagnostics and tests. */
  readonly stats: { leaseRenewals: number; statusUpdates: number; watches: () => number; lists: () => number };
  /** Stops the loops and the agent API. Pods keep running in the runtime (a new agent adopts them). */
  stop(): Promise<void>;
}

/**
 * Starts a node agent (the kubelet's role) that talks to the API server only over HTTPS:
 * registers the Node (or takes over an existing one), publishes its status and renews its
 * Lease every `heartbeatMs`, serves the agent API for logs/exec/attach/port-forward, and runs
 * the pods bound to it through `runtime` (see `pod-workers.ts` and `pod-plan.ts`).
 *
 * On start it adopts what the runtime already runs: pods still in the API keep their
 * containers and restart counts, the others are killed.
 *
 * @example
 *   const agent = await startNodeAgent({ nodeName: 'node-1', server, caPem, token, podCidr: '10.42.1.0/24' });
 *   …
 *   await agent.stop();
 */
export async function startNodeAgent(opts: NodeAgentOptions): Promise<NodeAgent> {
  const log = opts.log ?? (() => undefined);
  const runtime = opts.runtime ?? new FakeRuntime();
  const address = opts.address ?? '127.0.0.1';
  const heartbeatMs = opts.heartbeatMs ?? 10_000;
  const client = new KubeClient({ server: opts.server, caPem: opts.caPem, token: opts.token, userAgent: `stratus-node-agent/${opts.nodeName}` });
  const say = (m: string) => log(`agent ${opts.nodeName}: ${m}`);
  const stops: (() => Promise<void> | void)[] = [() => client.close()];
  const stopAll = async () => {
    for (const s of stops.splice(0).reverse()) {
      try {
        await s();
      } catch (err) {
        say(`stop: ${(err as Error).message}`);
      }
    }
  };

  try {
    await runtime.init({ nodeName: opts.nodeName, podCidr: opts.podCidr, log: say });
    const api = await (opts.serveApi ?? serveAgentApi)(runtime, { host: address, port: opts.agentPort ?? 0, token: opts.token });
    stops.push(() => api.close());

    const facts: NodeFacts = {
      nodeName: opts.nodeName,
      address,
      podCidr: opts.podCidr,
      agentPort: api.port,
      labels: opts.labels ?? {},
      kubeletVersion: opts.kubeVersion ?? 'v1.32.4',
      runtimeVersion: runtime.version,
      capacity: runtime.capacity(),
      bootID: randomUUID(),
    };
    const stats = { leaseRenewals: 0, statusUpdates: 0 };
    let node = await registerNode(client, facts);
    const postStatus = async () => {
      node = await client.patch(NODES, undefined, opts.nodeName, 'merge', { status: nodeStatus(facts, node) }, { subresource: 'status' });
      stats.statusUpdates++;
    };
    await postStatus();
    say(`registered (${address}, pod CIDR ${opts.podCidr}, runtime ${runtime.version}, agent API on port ${api.port})`);

    let lease: KubeObject | undefined;
    const renewLease = async () => {
      const want = leaseObject(opts.nodeName, node.metadata.uid, opts.leaseDurationSeconds ?? 40);
      if (lease) {
        want.metadata.resourceVersion = lease.metadata.resourceVersion;
        try {
          lease = await client.update(LEASES, 'kube-node-lease', opts.nodeName, want);
        } catch (err) {
          lease = undefined; // conflict or gone: read it again next time
          throw err;
        }
      } else {
        try {
          lease = await client.create(LEASES, 'kube-node-lease', want);
        } catch (err) {
          if (!(err instanceof KubeError && err.code === 409)) throw err;
          const cur = await client.get(LEASES, 'kube-node-lease', opts.nodeName);
          want.metadata.resourceVersion = cur.metadata.resourceVersion;
          lease = await client.update(LEASES, 'kube-node-lease', opts.nodeName, want);
        }
      }
      stats.leaseRenewals++;
    };
    await renewLease().catch((err: Error) => say(`lease renewal failed: ${err.message}`));
    let beating = false;
    const heartbeat = setInterval(() => {
      if (beating) return;
      beating = true;
      Promise.all([
        renewLease().catch((err: Error) => say(`lease renewal failed: ${err.message}; retrying in ${heartbeatMs} ms`)),
        postStatus().catch((err: Error) => say(`node status update failed: ${err.message}; retrying in ${heartbeatMs} ms`)),
      ]).finally(() => (beating = false));
    }, heartbeatMs);
    stops.push(() => clearInterval(heartbeat));

    // Projected service-account tokens: a TokenRequest bound to the pod, with the node's credentials.
    const serviceAccountToken = async (r: TokenRequestArgs) => {
      const body = {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: { name: r.serviceAccount, namespace: r.namespace },
        spec: { audiences: r.audience ? [r.audience] : [], expirationSeconds: r.expirationSeconds, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: r.pod.name, uid: r.pod.uid } },
      } as KubeObject;
      const out = await client.create(SERVICEACCOUNTS, r.namespace, body, { subresource: 'token' });
      const status = out.status as { token?: string; expirationTimestamp?: string } | undefined;
      if (!status?.token) throw new Error(`the API server answered a TokenRequest for ${r.namespace}/${r.serviceAccount} without a token`);
      return { token: status.token, ...(status.expirationTimestamp ? { expirationTimestamp: status.expirationTimestamp } : {}) };
    };
    const workers = new PodWorkers({ api: client, runtime, hostIP: address, backoff: opts.backoff ?? { initialMs: 10_000, maxMs: 300_000 }, serviceAccountToken, caPem: opts.caPem, log: say });
    stops.push(() => workers.stop());
    const unsubscribe = runtime.onChange((uid) => workers.kick(uid));
    stops.push(unsubscribe);
    const informer = new Informer(client, PODS, undefined, { fieldSelector: `spec.nodeName=${opts.nodeName}`, log: say }, {
      add: (pod) => workers.update(pod),
      update: (pod) => workers.update(pod),
      delete: (pod) => workers.remove(pod),
    });
    stops.push(() => informer.stop());
    await informer.start();
    await workers.reconcileOrphans(new Set(informer.list().map((p) => p.metadata.uid ?? '')));

    return {
      nodeName: opts.nodeName,
      runtime,
      agentPort: api.port,
      stats: {
        get leaseRenewals() {
          return stats.leaseRenewals;
        },
        get statusUpdates() {
          return stats.statusUpdates;
        },
        watches: () => informer.stats.watches,
        lists: () => informer.stats.lists,
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Creates the Node, or takes over an existing one of the same name (labels and pod CIDR merged in). */
async function registerNode(client: KubeClient, facts: NodeFacts): Promise<KubeObject> {
  const want = nodeObject(facts);
  try {
    return await client.create(NODES, undefined, want);
  } catch (err) {
    if (!(err instanceof KubeError && err.code === 409)) throw err;
  }
  const cur = await client.get(NODES, undefined, facts.nodeName);
  const spec = cur.spec as { podCIDR?: string } | undefined;
  const patch: Record<string, unknown> = { metadata: { labels: want.metadata.labels, annotations: want.metadata.annotations } };
  // spec.podCIDR is immutable once set; a different one stays (and is what the API reports).
  if (!spec?.podCIDR) patch.spec = want.spec;
  return client.patch(NODES, undefined, facts.nodeName, 'merge', patch);
}
