import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openRegistry, bootstrapCluster, type Registry } from '../../src/kube/apiserver/registry.js';
import { createApiServer, type KubeApiServer } from '../../src/kube/apiserver/server.js';
import { streamHooks } from '../../src/kube/apiserver/stream-hooks.js';
import { startNodeAgent, type NodeAgent } from '../../src/kube/agent/index.js';
import { FakeRuntime } from '../../src/kube/agent/fake-runtime.js';
import { KubeClient } from '../../src/kube/client/client.js';
import { findResource } from '../../src/kube/resources.js';
import type { KubeObject } from '../../src/kube/types.js';
import { pollUntil } from '../support/poll.js';

// The node agent against the real registry and HTTP API server (plain HTTP on 127.0.0.1, no
// scheduler: pods name their node in spec.nodeName). The agent only ever talks HTTP to it.

const PODS = findResource('', 'v1', 'pods')!;
const NODES = findResource('', 'v1', 'nodes')!;
const LEASES = findResource('coordination.k8s.io', 'v1', 'leases')!;
const TOKEN = 'node-token-for-tests';

function eventually<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000): Promise<T> {
  return pollUntil(fn, { timeoutMs, what, everyMs: 20 });
}

interface Harness {
  registry: Registry;
  server: KubeApiServer;
  url: string;
  client: KubeClient;
  logs: string[];
  startAgent(name: string, extra?: Partial<Parameters<typeof startNodeAgent>[0]>): Promise<NodeAgent>;
  close(): Promise<void>;
}

async function harness(): Promise<Harness> {
  const registry = await openRegistry({ dataDir: ':memory:' });
  const logs: string[] = [];
  const nodeTokens: Record<string, string> = {};
  const server = createApiServer({ api: registry, streams: streamHooks({ api: registry, nodeTokens }) });
  const url = await server.listen(0, '127.0.0.1');
  await bootstrapCluster(registry, { apiServerIp: '127.0.0.1', apiServerPort: Number(new URL(url).port) });
  const client = new KubeClient({ server: url });
  const agents: NodeAgent[] = [];
  const cidrs = new Map<string, string>();
  return {
    registry,
    server,
    url,
    client,
    logs,
    async startAgent(name, extra = {}) {
      nodeTokens[name] = TOKEN;
      if (!cidrs.has(name)) cidrs.set(name, `10.42.${cidrs.size + 1}.0/24`);
      const agent = await startNodeAgent({ nodeName: name, server: url, caPem: '', token: TOKEN, podCidr: cidrs.get(name)!, heartbeatMs: 100, backoff: { initialMs: 300, maxMs: 2000 }, log: (m) => logs.push(m), runtime: new FakeRuntime({ startDelayMs: 10 }), ...extra });
      agents.push(agent);
      return agent;
    },
    async close() {
      for (const a of agents.splice(0)) await a.stop();
      client.close();
      await server.close();
      await registry.close();
    },
  };
}

function pod(name: string, node: string, spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations }, spec: { nodeName: node, ...spec } };
}

type Status = { phase?: string; podIP?: string; hostIP?: string; conditions?: { type: string; status: string; reason?: string }[]; containerStatuses?: any[]; initContainerStatuses?: any[] };
const statusOf = (p: KubeObject) => (p.status ?? {}) as Status;

describe('node agent against the API server', () => {
  let h: Harness;
  let agent: NodeAgent;
  before(async () => {
    h = await harness();
    agent = await h.startAgent('node-a', { labels: { 'node-role.kubernetes.io/control-plane': '' } });
  });
  after(async () => h.close());

  it('registers the node Ready with capacity, addresses, endpoint and a fake runtime', async () => {
    const node = await h.client.get(NODES, undefined, 'node-a');
    const st = node.status as any;
    assert.equal(node.metadata.labels?.['kubernetes.io/hostname'], 'node-a');
    assert.equal(node.metadata.labels?.['kubernetes.io/os'], 'linux');
    assert.equal(node.metadata.labels?.['node-role.kubernetes.io/control-plane'], '');
    assert.deepEqual((node.spec as any).podCIDRs, ['10.42.1.0/24']);
    assert.equal(st.conditions.find((c: any) => c.type === 'Ready').status, 'True');
    assert.deepEqual(st.conditions.map((c: any) => c.type).sort(), ['DiskPressure', 'MemoryPressure', 'NetworkUnavailable', 'PIDPressure', 'Ready']);
    for (const k of ['cpu', 'memory', 'pods', 'ephemeral-storage']) assert.ok(st.capacity[k] && st.allocatable[k], k);
    assert.deepEqual(st.addresses, [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'node-a' }]);
    assert.equal(st.daemonEndpoints.kubeletEndpoint.Port, agent.agentPort);
    assert.match(st.nodeInfo.containerRuntimeVersion, /^fake:\/\//);
    assert.equal(st.nodeInfo.kubeletVersion, 'v1.32.4');
    assert.ok(h.logs.some((l) => /FAKE container runtime/.test(l)), 'the fake runtime says so in the log');
  });

  it('renews its lease and heartbeats', async () => {
    const first = await h.client.get(LEASES, 'kube-node-lease', 'node-a');
    assert.equal((first.spec as any).holderIdentity, 'node-a');
    assert.equal((first.spec as any).leaseDurationSeconds, 40);
    const before = agent.stats.leaseRenewals;
    await eventually('three more renewals', () => agent.stats.leaseRenewals >= before + 3);
    const later = await h.client.get(LEASES, 'kube-node-lease', 'node-a');
    assert.notEqual(later.metadata.resourceVersion, first.metadata.resourceVersion);
    assert.ok((later.spec as any).renewTime >= (first.spec as any).renewTime);
    assert.ok(agent.stats.statusUpdates >= 2);
  });

  it('runs a pod: Pending → Running with an IP from the node CIDR, Ready', async () => {
    await h.client.create(PODS, 'default', pod('web', 'node-a', { containers: [{ name: 'c', image: 'nginx:1.27' }] }));
    const p = await eventually('web Running and Ready', async () => {
      const p = await h.client.get(PODS, 'default', 'web');
      return statusOf(p).phase === 'Running' && statusOf(p).conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? p : undefined;
    });
    const st = statusOf(p);
    assert.match(st.podIP!, /^10\.42\.1\.\d+$/);
    assert.equal(st.hostIP, '127.0.0.1');
    const cs = st.containerStatuses![0];
    assert.equal(cs.ready, true);
    assert.equal(cs.started, true);
    assert.equal(cs.restartCount, 0);
    assert.match(cs.containerID, /^fake:\/\/[0-9a-f]{32}$/);
    assert.match(cs.imageID, /^docker\.io\/library\/nginx@sha256:/);
    assert.ok(cs.state.running.startedAt);
    assert.deepEqual(st.conditions!.map((c) => c.type).sort(), ['ContainersReady', 'Initialized', 'PodReadyToStartContainers', 'PodScheduled', 'Ready']);
  });

  it('follows readiness probes: a failing exec probe keeps the pod unready, an httpGet probe passes', async () => {
    await h.client.create(PODS, 'default', pod('probe-bad', 'node-a', { containers: [{ name: 'c', image: 'nginx', readinessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1 } }] }));
    await h.client.create(PODS, 'default', pod('probe-http', 'node-a', { containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 80 }], readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 } }] }));
    await eventually('probe-http Ready', async () => statusOf(await h.client.get(PODS, 'default', 'probe-http')).conditions?.find((c) => c.type === 'Ready')?.status === 'True');
    const bad = statusOf(await h.client.get(PODS, 'default', 'probe-bad'));
    assert.equal(bad.phase, 'Running');
    assert.equal(bad.conditions!.find((c) => c.type === 'Ready')!.status, 'False');
    assert.equal(bad.containerStatuses![0].ready, false);
  });

  it('completes a Job-style pod after its init container (Succeeded) and a failing one (Failed)', async () => {
    await h.client.create(PODS, 'default', pod('job-ok', 'node-a', { restartPolicy: 'Never', initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'echo init'] }], containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo done; exit 0'] }] }));
    await h.client.create(PODS, 'default', pod('job-bad', 'node-a', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'exit 3'] }] }));
    const ok = await eventually('job-ok Succeeded', async () => {
      const p = await h.client.get(PODS, 'default', 'job-ok');
      return statusOf(p).phase === 'Succeeded' ? p : undefined;
    });
    assert.equal(statusOf(ok).initContainerStatuses![0].state.terminated.exitCode, 0);
    assert.equal(statusOf(ok).containerStatuses![0].state.terminated.reason, 'Completed');
    assert.equal(statusOf(ok).conditions!.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
    const bad = await eventually('job-bad Failed', async () => {
      const p = await h.client.get(PODS, 'default', 'job-bad');
      return statusOf(p).phase === 'Failed' ? p : undefined;
    });
    assert.equal(statusOf(bad).containerStatuses![0].state.terminated.exitCode, 3);
    // The log holds the start line and what the command echoed.
    const logs = await (await agent.runtime.logs('default', 'job-ok', 'c', {})).toArray();
    assert.match(Buffer.concat(logs.map((b: any) => Buffer.from(b))).toString(), /fake runtime: started c \(image busybox.*\)\ndone\n/);
  });

  it('reports ErrImagePull then ImagePullBackOff for an image that cannot be pulled', async () => {
    await h.client.create(PODS, 'default', pod('badimg', 'node-a', { containers: [{ name: 'c', image: 'registry.invalid/nothing:1' }] }));
    const seen = new Set<string>();
    await eventually('ErrImagePull and ImagePullBackOff', async () => {
      const p = await h.client.get(PODS, 'default', 'badimg');
      const reason = statusOf(p).containerStatuses?.[0]?.state?.waiting?.reason;
      if (reason) seen.add(reason);
      assert.equal(statusOf(p).phase ?? 'Pending', 'Pending');
      return seen.has('ErrImagePull') && seen.has('ImagePullBackOff');
    });
  });

  it('restarts a crashing container with growing back-off (CrashLoopBackOff, restartCount)', async () => {
    await h.client.create(PODS, 'default', pod('crash', 'node-a', { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo boom; exit 1'] }] }));
    const p = await eventually('CrashLoopBackOff with restarts', async () => {
      const p = await h.client.get(PODS, 'default', 'crash');
      const cs = statusOf(p).containerStatuses?.[0];
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' && cs.restartCount >= 2 ? p : undefined;
    }, 8000);
    const cs = statusOf(p).containerStatuses![0];
    assert.equal(statusOf(p).phase, 'Running');
    assert.equal(cs.lastState.terminated.exitCode, 1);
    assert.match(cs.state.waiting.message, /back-off .* restarting failed container=c pod=crash_default/);
    // Back-off grows: restarts do not happen on every exit (300 ms, 600 ms, 1.2 s…).
    const t0 = Date.now();
    const r0 = cs.restartCount;
    await new Promise((r) => setTimeout(r, 700));
    const r1 = statusOf(await h.client.get(PODS, 'default', 'crash')).containerStatuses![0].restartCount;
    assert.ok(r1 - r0 <= 2, `at most two restarts in ${Date.now() - t0} ms, saw ${r1 - r0}`);
  });

  it('deletes gracefully: kills with the grace period, then removes the pod (uid precondition)', async () => {
    const created = await h.client.create(PODS, 'default', pod('slow', 'node-a', { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'nginx' }] }, { 'fake.stratus.dev/ignore-sigterm': 'true' }));
    await eventually('slow Running', async () => statusOf(await h.client.get(PODS, 'default', 'slow')).phase === 'Running');
    const ip = statusOf(await h.client.get(PODS, 'default', 'slow')).podIP;
    const t0 = Date.now();
    const marked = (await h.client.delete(PODS, 'default', 'slow')) as KubeObject;
    assert.ok(marked.metadata.deletionTimestamp, 'the API marks the pod for deletion first');
    await eventually('slow gone', async () => {
      try {
        await h.client.get(PODS, 'default', 'slow');
        return false;
      } catch (err) {
        return (err as { code?: number }).code === 404;
      }
    }, 5000);
    const took = Date.now() - t0;
    assert.ok(took >= 900, `the container ignored TERM, so deletion waited the 1 s grace (took ${took} ms)`);
    assert.equal(agent.runtime.sandbox(created.metadata.uid!), undefined, 'the sandbox is gone');
    assert.ok(!agent.runtime.sandboxes().some((s) => s.ip === ip), 'its IP was released');
  });

  it('kills a pod that vanished from the API, and resumes its watch after the server drops it', async () => {
    const watchesBefore = agent.stats.watches();
    h.server.server.closeAllConnections();
    await eventually('a new watch', () => agent.stats.watches() > watchesBefore);
    await h.client.create(PODS, 'default', pod('after-drop', 'node-a', { containers: [{ name: 'c', image: 'nginx' }] }));
    const p = await eventually('after-drop Running', async () => {
      const p = await h.client.get(PODS, 'default', 'after-drop');
      return statusOf(p).phase === 'Running' ? p : undefined;
    });
    assert.ok(agent.runtime.sandbox(p.metadata.uid!));
    await h.client.delete(PODS, 'default', 'after-drop', { gracePeriodSeconds: 0 });
    await eventually('after-drop killed', () => agent.runtime.sandbox(p.metadata.uid!) === undefined);
  });
});

describe('node agent restart', () => {
  let h: Harness;
  after(async () => h.close());

  it('adopts running pods without restarting them and kills pods deleted meanwhile', async () => {
    h = await harness();
    const runtime = new FakeRuntime({ startDelayMs: 5 });
    const first = await h.startAgent('node-r', { runtime });
    await h.client.create(PODS, 'default', pod('keep', 'node-r', { containers: [{ name: 'c', image: 'nginx' }] }));
    await h.client.create(PODS, 'default', pod('drop', 'node-r', { containers: [{ name: 'c', image: 'nginx' }] }));
    const keep = await eventually('keep Running', async () => {
      const p = await h.client.get(PODS, 'default', 'keep');
      return statusOf(p).phase === 'Running' ? p : undefined;
    });
    await eventually('drop Running', async () => statusOf(await h.client.get(PODS, 'default', 'drop')).phase === 'Running');
    const id = statusOf(keep).containerStatuses![0].containerID;
    const dropUid = (await h.client.get(PODS, 'default', 'drop')).metadata.uid!;
    await first.stop();
    await h.registry.delete(PODS, 'default', 'drop', { gracePeriodSeconds: 0 });
    await h.startAgent('node-r', { runtime });
    await eventually('drop killed', () => runtime.sandbox(dropUid) === undefined);
    const again = await h.client.get(PODS, 'default', 'keep');
    assert.equal(statusOf(again).phase, 'Running');
    assert.equal(statusOf(again).containerStatuses![0].containerID, id, 'same container instance');
    assert.equal(statusOf(again).containerStatuses![0].restartCount, 0);
  });
});
