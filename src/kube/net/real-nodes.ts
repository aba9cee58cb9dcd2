import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { cleanupDataPlane, leftovers } from '../../dataplane/cleanup.js';
import { inNetns, type Runner } from '../../dataplane/exec.js';
import { Inventory, processStartTime } from '../../dataplane/inventory.js';
import { cloudPrefix } from '../../dataplane/names.js';
import { Underlay } from '../../dataplane/underlay.js';
import type { PodRuntime } from '../agent/runtime.js';
import type { KubeApi } from '../api.js';
import { KubeError } from '../errors.js';
import { findResource } from '../resources.js';
import { startKubeProxy, type KubeProxy } from '../proxy/index.js';
import { apiProxyCommand, serveApiSocket } from '../apiproxy/index.js';
import type { KubeObject } from '../types.js';
import { NodeNetwork } from './node-network.js';
import { loadOptional, registryStorage, type ImageCacheLike } from './optional.js';
import { CLUSTER_CIDR, CLUSTER_DNS_IP, nodePlan, type NodePlan } from './plan.js';

/** The `default/kubernetes` Service's ClusterIP (first address of the service CIDR). */
const KUBERNETES_SERVICE_IP = '10.43.0.1';
import { clusterDnsConfig, LinuxPodNetwork } from './pod-network.js';

const SERVICES = findResource('', 'v1', 'services')!;
const ENDPOINTS = findResource('', 'v1', 'endpoints')!;
const SLICES = findResource('discovery.k8s.io', 'v1', 'endpointslices')!;

export interface RealNodesOptions {
  /** The cluster's data dir: its absolute path names the underlay (`stx-<hash>`, see dataplane/names.ts). */
  dataDir: string;
  nodeNames: string[];
  api: KubeApi;
  runner: Runner;
  /** Start the local OCI registry on this loopback port (0 = any; default 0). */
  registryPort?: number;
  /**
   * The API server's loopback listener: when given, pods reach it through the `kubernetes`
   * Service (a unix socket `<dataDir>/api.sock` piped to it, one proxy per node on
   * `<node address>:<port>`, and the Service's Endpoints/EndpointSlice pointed at those).
   */
  apiServer?: { host: string; port: number; accept?: (socket: Socket) => void };
  /** Use the fake runtime even when the crun runtime exists (network, proxy and DNS are still real). */
  fakeRuntime?: boolean;
  log?: (m: string) => void;
  progress?: (m: string) => void;
}

export interface RealNode {
  plan: NodePlan;
  network: LinuxPodNetwork;
  /** The crun runtime over this node's pod network, or undefined (the agent then runs the fake one). */
  runtime?: PodRuntime;
}

export interface RealNodes {
  underlay: string;
  nodes: RealNode[];
  /** What runs the pods: `crun`, or `fake` with the reason. */
  runtime: { kind: 'crun' | 'fake'; why?: string };
  /** The local registry's URL, when it runs. */
  registryUrl?: string;
  dnsSocket?: string;
  /** The unix socket the node API proxies forward to, when `apiServer` was given. */
  apiSocket?: string;
  proxies: KubeProxy[];
  /** Pieces that are not available, with the reason (shown by `kube up`). */
  notes: string[];
  /** Stops stubs, API proxies, kube-proxies, registry and DNS, then removes every namespace, link and process of the cluster. */
  close(): Promise<void>;
}

/**
 * The real data plane of a Kubernetes cluster on this host (root only): an isolated underlay
 * named after the data dir, the node network with one namespace per node (`node-network.ts`),
 * a pod network per node, kube-proxy per node, the cluster DNS server on a unix socket with one
 * stub per node on `<node address>:53` (the `kube-system/kube-dns` Service loses its selector
 * and gets Endpoints/EndpointSlices that point at the stubs, so kube-proxy routes 10.43.0.10
 * there), an API proxy per node on `<node address>:<API port>` forwarding to the API server over
 * the unix socket `<dataDir>/api.sock` (the `default/kubernetes` Endpoints/EndpointSlice point
 * at the proxies, so pods reach 10.43.0.1:443), and the local OCI registry with an image cache
 * per node.
 *
 * Whatever a previous run left behind (after a `kill -9`) is removed first: the node and pod
 * namespaces are rebuilt from nothing, and pods are re-created by their node agents.
 */
export async function startRealNodes(o: RealNodesOptions): Promise<RealNodes> {
  const log = o.log ?? (() => {});
  const step = o.progress ?? (() => {});
  const prefix = cloudPrefix(o.dataDir);
  const inventory = new Inventory(o.dataDir);
  await purgeRuntimes(o.dataDir, o.runner, log);
  const before = leftovers(o.dataDir);
  if (before.namespaces.length || before.processes.length || before.inventory.length) {
    const r = await cleanupDataPlane(o.dataDir, o.runner);
    step(`removed what a previous run left (${r.namespaces} namespaces, ${r.processes} processes)`);
    for (const e of r.errors) log(`kube: cleanup: ${e}`);
  }
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of stops.splice(0).reverse()) {
      try {
        await s();
      } catch (e) {
        log(`kube: stop failed: ${(e as Error).message}`);
      }
    }
  };
  stops.push(async () => {
    await purgeRuntimes(o.dataDir, o.runner, log);
    const r = await cleanupDataPlane(o.dataDir, o.runner);
    for (const e of r.errors) log(`kube: cleanup: ${e}`);
  });
  try {
    const underlay = new Underlay({ prefix, isolated: true }, o.runner, inventory);
    await underlay.ensure();
    const net = new NodeNetwork(prefix, o.nodeNames, o.runner, inventory);
    await net.ensure();
    step(`node network ready in underlay ${prefix} (${net.nodes.map((n) => `${n.name} ${n.address}`).join(', ')})`);

    const opt = await loadOptional();
    const notes: string[] = [];
    const res: RealNodes = { underlay: prefix, nodes: [], runtime: { kind: 'fake' }, proxies: [], notes, close: stopAll };

    // Registry and image caches.
    let images: ((node: NodePlan) => ImageCacheLike) | undefined;
    if (opt.startRegistry && opt.openImageCache) {
      const registry = await opt.startRegistry({ storage: await registryStorage(o.dataDir), host: '127.0.0.1', port: o.registryPort ?? 0, log: (m) => log(`registry: ${m}`) });
      stops.push(() => registry.close());
      res.registryUrl = registry.url;
      if (opt.seedBaseImages) await opt.seedBaseImages(registry.url);
      const open = opt.openImageCache;
      images = (n) => open({ dir: join(o.dataDir, 'nodes', n.name, 'images'), registry: registry.url, log: (m) => log(`images ${n.name}: ${m}`) });
      step(`registry at ${registry.url}${opt.seedBaseImages ? ' (busybox seeded)' : ''}`);
    } else {
      notes.push('no local registry (src/registry or src/kube/images not available yet)');
    }

    // Cluster DNS: server on a unix socket, one stub per node.
    const dnsSocket = join(o.dataDir, 'dns.sock');
    if (opt.startClusterDns && opt.stubCommand) {
      const dns = await opt.startClusterDns(o.api, { socketPath: dnsSocket, log: (m) => log(`dns: ${m}`) });
      stops.push(() => dns.close());
      res.dnsSocket = dnsSocket;
      for (const n of net.nodes) {
        const cmd = opt.stubCommand({ listen: `${n.address}:53`, socketPath: dnsSocket });
        const child = spawnIn(n.netns, [cmd.command, ...cmd.args], (m) => log(`dns stub ${n.name}: ${m}`));
        const st = child.pid ? processStartTime(child.pid) : undefined;
        if (child.pid) inventory.record({ kind: 'pid', key: String(child.pid), startTime: st, note: `dns stub of ${n.name}` });
        stops.push(() => stopChild(child));
      }
      await pointKubeDnsAtStubs(o.api, net.nodes);
      step(`cluster DNS on ${dnsSocket}, stubs on ${net.nodes.map((n) => `${n.address}:53`).join(', ')} behind ${CLUSTER_DNS_IP}`);
    } else {
      notes.push('no cluster DNS (src/kube/dns startClusterDns/stubCommand not available yet): pods get nameserver 10.43.0.10 but nothing answers');
    }

    // API access from pods: unix socket to the API server, one TCP proxy per node.
    if (o.apiServer) {
      const apiSocketPath = join(o.dataDir, 'api.sock');
      const target = { host: o.apiServer.host === '0.0.0.0' || o.apiServer.host === '::' ? '127.0.0.1' : o.apiServer.host, port: o.apiServer.port };
      const sock = await serveApiSocket({ socketPath: apiSocketPath, target, ...(o.apiServer.accept ? { accept: o.apiServer.accept } : {}), log });
      stops.push(() => sock.close());
      res.apiSocket = apiSocketPath;
      const ready: Promise<boolean>[] = [];
      for (const n of net.nodes) {
        const cmd = apiProxyCommand({ listen: `${n.address}:${o.apiServer.port}`, socketPath: apiSocketPath });
        let listening!: (ok: boolean) => void;
        ready.push(new Promise<boolean>((r) => (listening = r)));
        const child = spawnIn(n.netns, [cmd.command, ...cmd.args], (m) => {
          if (/^listening on /.test(m)) listening(true);
          log(`api proxy ${n.name}: ${m}`);
        });
        child.once('exit', () => listening(false));
        const st = child.pid ? processStartTime(child.pid) : undefined;
        if (child.pid) inventory.record({ kind: 'pid', key: String(child.pid), startTime: st, note: `api proxy of ${n.name}` });
        stops.push(() => stopChild(child));
      }
      const oks = await Promise.all(ready.map((p) => Promise.race([p, new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref())])));
      const down = net.nodes.filter((_, i) => !oks[i]).map((n) => n.name);
      if (down.length) notes.push(`the API proxy did not start on ${down.join(', ')} (see the log): pods there cannot reach the API server`);
      await pointKubernetesAtProxies(o.api, net.nodes, o.apiServer.port);
      step(`API server reachable from pods: ${KUBERNETES_SERVICE_IP}:443 → ${net.nodes.map((n) => `${n.address}:${o.apiServer!.port}`).join(', ')} → ${apiSocketPath}`);
    }

    // kube-proxy per node.
    for (const n of net.nodes) {
      const proxy = await startKubeProxy({ api: o.api, netns: n.netns, nodeName: n.name, nodeAddresses: [n.address], clusterCidr: CLUSTER_CIDR, runner: o.runner, log });
      stops.push(() => proxy.stop());
      res.proxies.push(proxy);
    }
    step(`kube-proxy programming ${net.nodes.length} node(s)`);

    // Pod networks and runtimes.
    const Crun = o.fakeRuntime ? undefined : opt.CrunRuntime;
    const why = o.fakeRuntime ? '--fake-runtime was given' : !opt.CrunRuntime ? 'the crun pod runtime (src/kube/agent/crun) is not available yet' : !images ? 'no image cache/registry' : undefined;
    for (const n of net.nodes) {
      const network = new LinuxPodNetwork(prefix, n, o.runner, inventory, clusterDnsConfig());
      let runtime: PodRuntime | undefined;
      if (Crun && images) {
        const stateDir = join(o.dataDir, 'nodes', n.name, 'runtime');
        mkdirSync(stateDir, { recursive: true });
        runtime = new Crun({ stateDir, network, images: images(n), log: (m) => log(`crun ${n.name}: ${m}`) });
      }
      res.nodes.push({ plan: n, network, runtime });
    }
    res.runtime = why ? { kind: 'fake', why } : { kind: 'crun' };
    if (opt.missing.length) log(`kube: optional pieces missing: ${opt.missing.join(' | ')}`);
    return res;
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/**
 * Removes the pods, cgroups and mount namespaces that the crun runtimes of `dataDir`'s nodes
 * hold (`<dataDir>/nodes/<node>/runtime`), also those of a process that was killed: for
 * `kube down` and for the next `kube up` after a crash. Missing runtime code: nothing to do.
 */
export async function purgeRuntimes(dataDir: string, runner: Runner, log: (m: string) => void = () => {}): Promise<number> {
  const nodesDir = join(dataDir, 'nodes');
  if (!existsSync(nodesDir)) return 0;
  const dirs = readdirSync(nodesDir).filter((n) => existsSync(join(nodesDir, n, 'runtime')));
  if (dirs.length === 0) return 0;
  const opt = await loadOptional();
  if (!opt.CrunRuntime) return 0;
  const prefix = cloudPrefix(dataDir);
  const inventory = new Inventory(dataDir);
  let n = 0;
  for (const [i, name] of dirs.entries()) {
    const index = /^node-(\d+)$/.exec(name)?.[1];
    const network = new LinuxPodNetwork(prefix, nodePlan(prefix, index ? Math.min(250, Math.max(1, Number(index))) : i + 1, name), runner, inventory);
    const images: ImageCacheLike = { pull: () => Promise.reject(new Error('no image pulls while purging')) };
    const rt = new opt.CrunRuntime({ stateDir: join(nodesDir, name, 'runtime'), network, images, log: (m) => log(`crun ${name}: ${m}`) }) as PodRuntime & { purge?: () => Promise<void> };
    if (!rt.purge) continue;
    try {
      await rt.purge();
      n++;
    } catch (e) {
      log(`kube: purging the ${name} runtime: ${(e as Error).message}`);
    }
  }
  return n;
}

/**
 * Points the `default/kubernetes` Service's Endpoints and EndpointSlice at the node API proxies
 * (bootstrap writes the loopback listener, which pods cannot reach).
 */
export async function pointKubernetesAtProxies(api: KubeApi, nodes: NodePlan[], port: number): Promise<void> {
  const ports = [{ name: 'https', port, protocol: 'TCP' }];
  const ep: KubeObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: nodes.map((n) => ({ ip: n.address, nodeName: n.name })), ports }],
  };
  const slice: KubeObject = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: 'IPv4',
    endpoints: nodes.map((n) => ({ addresses: [n.address], conditions: { ready: true, serving: true, terminating: false }, nodeName: n.name })),
    ports,
  };
  await upsert(api, ENDPOINTS, 'default', ep);
  await upsert(api, SLICES, 'default', slice);
}

/** Makes `kube-system/kube-dns` selector-less and points its Endpoints and EndpointSlice at the node stubs. */
export async function pointKubeDnsAtStubs(api: KubeApi, nodes: NodePlan[]): Promise<void> {
  const svc = await api.get(SERVICES, 'kube-system', 'kube-dns');
  if ((svc.spec as { selector?: unknown } | undefined)?.selector) {
    await api.patch(SERVICES, 'kube-system', 'kube-dns', 'merge', { spec: { selector: null } });
  }
  const ports = [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' },
  ];
  const ep: KubeObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: nodes.map((n) => ({ ip: n.address, nodeName: n.name })), ports }],
  };
  const slice: KubeObject = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'kube-dns-stubs',
      namespace: 'kube-system',
      labels: { 'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': 'stratus.kube-net' },
    },
    addressType: 'IPv4',
    endpoints: nodes.map((n) => ({ addresses: [n.address], conditions: { ready: true, serving: true, terminating: false }, nodeName: n.name })),
    ports,
  };
  await upsert(api, ENDPOINTS, 'kube-system', ep);
  await upsert(api, SLICES, 'kube-system', slice);
  // Slices the endpoints controller made while the service still had its selector.
  const old = await api.list(SLICES, 'kube-system', { labelSelector: 'kubernetes.io/service-name=kube-dns' });
  for (const s of old.items) if (s.metadata.name !== 'kube-dns-stubs') await api.delete(SLICES, 'kube-system', s.metadata.name!).catch(() => {});
}

async function upsert(api: KubeApi, res: typeof SERVICES, ns: string, body: KubeObject): Promise<void> {
  try {
    const cur = await api.get(res, ns, body.metadata.name!);
    await api.update(res, ns, body.metadata.name!, { ...body, metadata: { ...body.metadata, resourceVersion: cur.metadata.resourceVersion } });
  } catch (e) {
    if (!(e instanceof KubeError && e.code === 404)) throw e;
    await api.create(res, ns, body);
  }
}

/** A long-running helper inside a node namespace; its output goes to the log. */
function spawnIn(netns: string, argv: string[], log: (m: string) => void): ChildProcess {
  const full = inNetns(netns, argv);
  const child = spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const relay = (b: Buffer) => {
    for (const line of b.toString().split('\n')) if (line.trim()) log(line);
  };
  child.stdout!.on('data', relay);
  child.stderr!.on('data', relay);
  child.on('error', (e) => log(`could not start ${argv[0]}: ${e.message}`));
  child.on('exit', (code, sig) => log(`exited (${code ?? sig})`));
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(t);
}
