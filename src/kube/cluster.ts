import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeApi } from './api.js';
import { createAuthenticator, loadOrCreateTokens } from './apiserver/auth.js';
import { loadOrCreateSigningKey } from './apiserver/jwt.js';
import { loadOrCreatePki, serverSans } from './apiserver/pki.js';
import { createServiceAccountTokens } from './apiserver/sa-tokens.js';
import { bootstrapRbac, startRbac } from './apiserver/rbac/index.js';
import { bootstrapCluster, openRegistry } from './apiserver/registry.js';
import { createApiServer, DEFAULT_KUBE_VERSION } from './apiserver/server.js';
import { streamHooks } from './apiserver/stream-hooks.js';
import { startControllers, type ControllerOptions } from './controllers/index.js';
import { startScheduler } from './scheduler/index.js';
import { startNodeAgent, type NodeAgent } from './agent/index.js';
import { hostRunner } from '../dataplane/exec.js';
import { serveAgentApi } from './streams/index.js';
import { localAgentHooks } from './net/agent-hooks.js';
import { startRealNodes, type RealNodes } from './net/real-nodes.js';
import { startCrdController } from './apiextensions/controller.js';
import { ResourceCatalog } from './resources.js';
import { nodePlan } from './net/plan.js';
import { cloudPrefix } from '../dataplane/names.js';

export interface KubeClusterOptions {
  /** Holds the store, the PKI (`pki/`, with the service-account signing key `sa.key`), the tokens and, by default, the kubeconfig. */
  dataDir: string;
  /** HTTPS port of the API server; 0 picks a free one. */
  port: number;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** How many node agents (fake runtime) to start: `node-1`…`node-N`. */
  nodes: number;
  /** What `/version` reports (default 1.32.4). */
  kubeVersion?: string;
  /** Where to write the kubeconfig (default `<dataDir>/kubeconfig`). */
  kubeconfigPath?: string;
  /** Component log lines (access log, controller messages). */
  log?: (line: string) => void;
  /** Start-up steps, for `stratus kube up`. */
  progress?: (line: string) => void;
  /**
   * Real nodes on this host's data plane (root only): each node a network namespace in an
   * isolated underlay, with a pod network, an overlay, kube-proxy and cluster DNS (see
   * `net/real-nodes.ts`). `fakeRuntime` keeps the fake pod runtime over the real network.
   */
  realNodes?: boolean | { fakeRuntime?: boolean; registryPort?: number };
  /** Controller timings (node monitor grace, eviction timeout), for tests. */
  controllers?: ControllerOptions;
  /** Node agent timings, for tests: heartbeat period and lease duration. */
  agent?: { heartbeatMs?: number; leaseDurationSeconds?: number; backoff?: { initialMs: number; maxMs: number } };
}

export interface KubeCluster {
  /** `https://127.0.0.1:<port>`. */
  url: string;
  kubeconfigPath: string;
  caPem: string;
  /** Bearer token of the cluster admin (`kubernetes-admin`, `system:masters`). */
  adminToken: string;
  /** The in-process API (same semantics as HTTP, no authentication). */
  api: KubeApi;
  /** Names of the started node agents. */
  nodeNames: string[];
  /** The real data plane, when `realNodes` was asked for. */
  real?: RealNodes;
  /** What runs pods: `fake`, or `crun` on real nodes. */
  runtime: 'fake' | 'crun';
  /** Notes for the operator (pieces that are missing, fallbacks taken). */
  notes: string[];
  /** Stops one node agent (its node goes NotReady once its lease expires; its pods keep running). */
  stopNodeAgent(name: string): Promise<void>;
  /** Resolves once the controllers have nothing queued or running (tests: "nothing happens" without a sleep). */
  controllersIdle(): Promise<void>;
  /** Stops the agents, scheduler, controllers, the server and the store, in that order. */
  close(): Promise<void>;
}

/** Cluster-wide address plan, k3s-style (the real node network uses the same ranges, `net/plan.ts`). */
const SERVICE_CIDR = '10.43.0.0/16';
const FIRST_SERVICE_IP = '10.43.0.1';

function podCidr(i: number): string {
  return `10.42.${i}.0/24`;
}

/** The kubeconfig of the admin: CA, client certificate and key embedded; everything named `stratus`. */
export function kubeconfigYaml(url: string, caPem: string, certPem: string, keyPem: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'stratus', cluster: { server: url, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name: 'stratus', user: { 'client-certificate-data': b64(certPem), 'client-key-data': b64(keyPem) } }],
    contexts: [{ name: 'stratus', context: { cluster: 'stratus', user: 'stratus' } }],
    'current-context': 'stratus',
    preferences: {},
  });
}

/**
 * Starts a whole Kubernetes control plane in this process: the registry over the revisioned
 * store, the bootstrap objects, the HTTPS API server (TLS with the cluster CA, client
 * certificates and bearer tokens), the controllers, the scheduler and `nodes` node agents on
 * the fake runtime (pods are not real processes), which reach the API over HTTPS with their
 * own tokens. Writes the admin kubeconfig. On a failure part-way, stops what was started and
 * rethrows.
 */
export async function startKubeCluster(opts: KubeClusterOptions): Promise<KubeCluster> {
  const progress = opts.progress ?? (() => {});
  const log = opts.log ?? (() => {});
  const step = progress;
  const host = opts.host ?? '127.0.0.1';
  const kubeVersion = opts.kubeVersion ?? DEFAULT_KUBE_VERSION;
  const nodeNames = Array.from({ length: opts.nodes }, (_, i) => `node-${i + 1}`);
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });

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

  try {
    // Pods reach the API server at the node addresses (through the node API proxies) and by
    // the `kubernetes` Service's names and ClusterIP: all must be in the server certificate.
    const nodeAddresses = opts.realNodes ? nodeNames.map((n, i) => nodePlan(cloudPrefix(opts.dataDir), i + 1, n).address) : [];
    const pki = await loadOrCreatePki(opts.dataDir, [...serverSans(host, FIRST_SERVICE_IP), ...nodeAddresses]);
    const tokens = loadOrCreateTokens(opts.dataDir, nodeNames);
    const signingKey = loadOrCreateSigningKey(opts.dataDir);
    step('certificates and tokens ready');

    const registry = await openRegistry({ dataDir: join(opts.dataDir, 'store'), serviceCidr: SERVICE_CIDR, log });
    stops.push(() => registry.close());
    step('store opened');

    // Custom resources: the CRD controller fills this cluster's catalog (stored CRDs first).
    const catalog = new ResourceCatalog();
    const crds = startCrdController({ api: registry, catalog, log: (line) => log(`apiextensions: ${line}`) });
    stops.push(() => crds.stop());
    await crds.ready;
    await bootstrapRbac(registry);
    const rbac = await startRbac(registry, { log });
    stops.push(async () => rbac.stop());
    step('RBAC policy loaded');

    // Agents of real nodes serve their API on loopback (their InternalIP lives in a namespace).
    const localAgents = new Map<string, number>();
    const saTokens = createServiceAccountTokens({ api: registry, key: signingKey });
    const server = createApiServer({
      api: registry,
      tls: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert },
      authenticator: createAuthenticator({ tokens, api: registry, serviceAccountTokens: saTokens }),
      authorizer: rbac,
      tokens: saTokens,
      kubeVersion,
      catalog,
      streams: opts.realNodes ? localAgentHooks({ api: registry, nodeTokens: tokens.nodes, local: localAgents, log }) : streamHooks({ api: registry, nodeTokens: tokens.nodes, log }),
      log: (line) => log(`apiserver: ${line}`),
    });
    const url = await server.listen(opts.port, host);
    stops.push(() => server.close());
    const port = Number(new URL(url).port);
    step(`API server listening on ${url}`);

    await bootstrapCluster(registry, { apiServerIp: host === '0.0.0.0' ? '127.0.0.1' : host, apiServerPort: port });
    step('bootstrap objects in place');

    let real: RealNodes | undefined;
    const notes: string[] = [];
    if (opts.realNodes) {
      const ro = typeof opts.realNodes === 'object' ? opts.realNodes : {};
      real = await startRealNodes({ dataDir: opts.dataDir, nodeNames, api: registry, runner: hostRunner, fakeRuntime: ro.fakeRuntime, registryPort: ro.registryPort, apiServer: { host, port, accept: (s) => server.acceptInCluster(s) }, log, progress: step });
      const r = real;
      stops.push(() => r.close());
      notes.push(...real.notes);
      if (real.runtime.kind === 'fake') notes.push(`pods run on the FAKE runtime over the real network: ${real.runtime.why}`);
    }

    const controllers = startControllers(registry, { log, localVolumesDir: join(opts.dataDir, 'nodes'), catalog, ...opts.controllers });
    stops.push(() => controllers.stop());
    const scheduler = startScheduler(registry, { log });
    stops.push(() => scheduler.stop());
    step('controllers and scheduler started');

    const agents = new Map<string, NodeAgent>();
    const startAgent = async (i: number, nodeName: string) => {
      const rn = real?.nodes[i];
      const agent = await startNodeAgent({
        nodeName,
        podCidr: rn?.plan.podCidr ?? podCidr(i + 1),
        address: rn?.plan.address,
        runtime: rn?.runtime,
        server: url,
        caPem: pki.ca.cert,
        token: tokens.nodes[nodeName]!,
        kubeVersion: `v${kubeVersion.replace(/^v/, '')}`,
        heartbeatMs: opts.agent?.heartbeatMs,
        leaseDurationSeconds: opts.agent?.leaseDurationSeconds,
        backoff: opts.agent?.backoff,
        serveApi: rn
          ? async (streams, o) => {
              const api = await serveAgentApi(streams, { ...o, host: '127.0.0.1' });
              localAgents.set(nodeName, api.port);
              return api;
            }
          : undefined,
        log,
      });
      agents.set(nodeName, agent);
      return agent;
    };
    await Promise.all(nodeNames.map((n, i) => startAgent(i, n)));
    stops.push(async () => {
      const all = [...agents.values()];
      await Promise.all(all.map((a) => a.stop()));
      // Shutting the cluster down removes its pods (containers, mounts, cgroups, namespaces);
      // the data plane's cleanup then kills whatever a runtime could not stop.
      for (const a of all.filter((x) => !x.runtime.fake)) {
        await Promise.all(a.runtime.sandboxes().map((sb) => a.runtime.removeSandbox(sb.uid, 2).catch((e: Error) => log(`kube: removing pod ${sb.namespace}/${sb.name}: ${e.message}`))));
        await a.runtime.close().catch((e: Error) => log(`kube: closing the ${a.nodeName} runtime: ${e.message}`));
      }
      // (real.close() then purges the runtimes' cgroups and mount namespaces.)
    });
    const runtime = real?.runtime.kind ?? 'fake';
    if (nodeNames.length) step(`${nodeNames.length} node agent(s) started (${runtime} runtime${real ? ', real node network' : ''})`);

    const kubeconfigPath = opts.kubeconfigPath ?? join(opts.dataDir, 'kubeconfig');
    mkdirSync(dirname(kubeconfigPath), { recursive: true });
    writeFileSync(kubeconfigPath, kubeconfigYaml(url, pki.ca.cert, pki.admin.cert, pki.admin.key), { mode: 0o600 });
    step(`kubeconfig written to ${kubeconfigPath}`);

    let closed: Promise<void> | undefined;
    return {
      url,
      kubeconfigPath,
      caPem: pki.ca.cert,
      adminToken: tokens.admin,
      api: registry,
      nodeNames,
      real,
      runtime,
      notes,
      async stopNodeAgent(name) {
        const a = agents.get(name);
        if (!a) throw new Error(`no running node agent ${name}`);
        agents.delete(name);
        localAgents.delete(name);
        await a.stop();
      },
      controllersIdle: () => controllers.idle(),
      close: () => (closed ??= stopAll()),
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
