import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeApi } from './api.js';
import { createAuthenticator, loadOrCreateTokens } from './apiserver/auth.js';
import { loadOrCreatePki, serverSans } from './apiserver/pki.js';
import { bootstrapCluster, openRegistry } from './apiserver/registry.js';
import { createApiServer, DEFAULT_KUBE_VERSION } from './apiserver/server.js';
import { streamHooks } from './apiserver/stream-hooks.js';
import { startControllers } from './controllers/index.js';
import { startScheduler } from './scheduler/index.js';
import { startNodeAgent } from './agent/index.js';

export interface KubeClusterOptions {
  /** Holds the store, the PKI (`pki/`), the tokens and, by default, the kubeconfig. */
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
  /** Stops the agents, scheduler, controllers, the server and the store, in that order. */
  close(): Promise<void>;
}

/** Cluster-wide address plan, k3s-style. */
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
    const pki = await loadOrCreatePki(opts.dataDir, serverSans(host, FIRST_SERVICE_IP));
    const tokens = loadOrCreateTokens(opts.dataDir, nodeNames);
    step('certificates and tokens ready');

    const registry = await openRegistry({ dataDir: join(opts.dataDir, 'store'), serviceCidr: SERVICE_CIDR, log });
    stops.push(() => registry.close());
    step('store opened');

    const server = createApiServer({
      api: registry,
      tls: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert },
      authenticator: createAuthenticator({ tokens, api: registry }),
      kubeVersion,
      streams: streamHooks({ api: registry, nodeTokens: tokens.nodes, log }),
      log: (line) => log(`apiserver: ${line}`),
    });
    const url = await server.listen(opts.port, host);
    stops.push(() => server.close());
    const port = Number(new URL(url).port);
    step(`API server listening on ${url}`);

    await bootstrapCluster(registry, { apiServerIp: host === '0.0.0.0' ? '127.0.0.1' : host, apiServerPort: port });
    step('bootstrap objects in place');

    const controllers = startControllers(registry, { log });
    stops.push(() => controllers.stop());
    const scheduler = startScheduler(registry, { log });
    stops.push(() => scheduler.stop());
    step('controllers and scheduler started');

    for (const [i, nodeName] of nodeNames.entries()) {
      const agent = await startNodeAgent({
        nodeName,
        podCidr: podCidr(i + 1),
        server: url,
        caPem: pki.ca.cert,
        token: tokens.nodes[nodeName]!,
        kubeVersion: `v${kubeVersion.replace(/^v/, '')}`,
        log,
      });
      stops.push(() => agent.stop());
    }
    if (nodeNames.length) step(`${nodeNames.length} node agent(s) started (fake runtime)`);

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
      close: () => (closed ??= stopAll()),
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
