import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../../core/log.js';
import { defaultDataDir } from '../../config/config.js';
import { startKubeCluster } from '../../kube/cluster.js';
import { isRoot } from '../../dataplane/probe.js';
import { clearState, running, writeState } from '../state.js';
import { down } from './down.js';
import { hostRunner } from '../../dataplane/exec.js';
import { purgeRuntimes } from '../../kube/net/real-nodes.js';

export const KUBE_USAGE = `Usage: stratus kube up [options]
       stratus kube down [--data-dir DIR]

  up: runs a Kubernetes control plane (API server, controllers, scheduler) and N node agents in
  the foreground; Ctrl-C (or 'stratus kube down') stops it and removes everything it created.
  As root, each node is a network namespace inside an isolated underlay (node network
  10.41.0.0/24, pod CIDR 10.42.<i>.0/24 on a cni0 bridge, VXLAN overlay, kube-proxy rules in
  nftables, cluster DNS at 10.43.0.10) and pods run with crun; reach node addresses and
  NodePorts with 'stratus netns exec --data-dir DIR -- CMD'. Without root (or with
  --fake-runtime and no root) the agents use the fake runtime: pods go Running with an IP, and
  logs/exec/port-forward answer from a test double, but no container processes run.

  down: stops a running 'kube up' of DIR and removes its namespaces, links, nft tables, mounts
  and processes (also after a crash or kill -9).

  --nodes N            node agents to start (default 1)
  --fake-runtime       no real nodes: the fake runtime, even as root
  --real-network       as root with --fake-runtime: real node network, proxy and DNS, fake pods
  --port P             HTTPS port of the API server (default 6443; 0 picks a free one)
  --host H             listen address (default 127.0.0.1)
  --data-dir DIR       state, certificates and kubeconfig (default ~/.stratus/kube, or $STRATUS_DATA_DIR/kube)
  --kubeconfig FILE    where to write the kubeconfig (default <data-dir>/kubeconfig)
  --kube-version V     version the server reports (default 1.32.4; kubectl's dispatcher picks its binary by it)
  --log-level L        debug shows the access log (default info)
`;

function intOption(name: string, raw: string | undefined, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, not '${raw}'`);
  return n;
}

/** `stratus kube <subcommand>`. */
export async function kube(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === 'help' || sub === '--help' || sub === '-h') {
    process.stdout.write(KUBE_USAGE);
    return sub ? 0 : 2;
  }
  if (sub === 'down') {
    let dataDir: string;
    try {
      const { values } = parseArgs({ args: rest, options: { 'data-dir': { type: 'string' } }, strict: true });
      dataDir = values['data-dir'] ?? join(defaultDataDir(), 'kube');
    } catch (e) {
      process.stderr.write(`stratus kube down: ${(e as Error).message}\n\n${KUBE_USAGE}`);
      return 2;
    }
    const rc = await down({ dataDir });
    // Pods' cgroups and the runtimes' mount namespaces, also after a kill -9 of 'kube up'.
    if (isRoot()) {
      const n = await purgeRuntimes(dataDir, hostRunner, (m) => process.stderr.write(`${m}\n`));
      if (n) process.stdout.write(`Purged the pod runtimes of ${n} node(s).\n`);
    }
    return rc;
  }
  if (sub !== 'up') {
    process.stderr.write(`stratus kube: unknown subcommand '${sub}'.\n\n${KUBE_USAGE}`);
    return 2;
  }
  let o;
  try {
    const { values } = parseArgs({
      args: rest,
      options: {
        nodes: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        kubeconfig: { type: 'string' },
        'kube-version': { type: 'string' },
        'log-level': { type: 'string' },
        'fake-runtime': { type: 'boolean' },
        'real-network': { type: 'boolean' },
      },
      strict: true,
    });
    const level = values['log-level'] ?? 'info';
    if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new Error('--log-level must be one of debug, info, warn, error');
    const kubeVersion = values['kube-version'];
    if (kubeVersion !== undefined && !/^v?1\.\d+\.\d+$/.test(kubeVersion)) throw new Error(`--kube-version must look like 1.32.4, not '${kubeVersion}'`);
    o = {
      nodes: intOption('nodes', values.nodes, 1, 0, 100),
      port: intOption('port', values.port, 6443, 0, 65535),
      host: values.host ?? '127.0.0.1',
      dataDir: values['data-dir'] ?? join(defaultDataDir(), 'kube'),
      kubeconfig: values.kubeconfig,
      kubeVersion,
      level: level as 'debug' | 'info' | 'warn' | 'error',
      fakeRuntime: values['fake-runtime'] ?? false,
      realNetwork: values['real-network'] ?? false,
    };
  } catch (e) {
    process.stderr.write(`stratus kube up: ${(e as Error).message}\n\n${KUBE_USAGE}`);
    return 2;
  }
  return kubeUp(o);
}

async function kubeUp(o: {
  nodes: number;
  port: number;
  host: string;
  dataDir: string;
  kubeconfig?: string;
  kubeVersion?: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  fakeRuntime: boolean;
  realNetwork: boolean;
}): Promise<number> {
  const t0 = performance.now();
  const out = (s: string) => process.stdout.write(s + '\n');
  const step = (s: string) => out(`  [${((performance.now() - t0) / 1000).toFixed(2)}s] ${s}`);
  const other = running(o.dataDir);
  if (other) {
    process.stderr.write(`stratus: another 'stratus kube up' (pid ${other.pid}) already serves ${o.dataDir} at ${other.url}.\nStop it first, or pass a different --data-dir.\n`);
    return 1;
  }
  const logger = createLogger({ level: o.level, prefix: 'kube' });
  const root = isRoot();
  const real = o.nodes > 0 && root && (!o.fakeRuntime || o.realNetwork);
  if (o.nodes > 0 && !root && !o.fakeRuntime) {
    out('note: not running as root, so nodes cannot be network namespaces and pods cannot be real');
    out('      containers; starting the node agents on the FAKE runtime. Run as root for real nodes.');
  }
  if (o.realNetwork && !root) process.stderr.write('stratus kube up: --real-network needs root; ignoring it.\n');
  out(`Starting Kubernetes (data dir ${o.dataDir}, ${o.nodes} node${o.nodes === 1 ? '' : 's'}${real ? ', real nodes' : ''})`);
  let cluster;
  try {
    cluster = await startKubeCluster({
      dataDir: o.dataDir,
      port: o.port,
      host: o.host,
      nodes: o.nodes,
      kubeVersion: o.kubeVersion,
      kubeconfigPath: o.kubeconfig,
      realNodes: real ? { fakeRuntime: o.fakeRuntime } : undefined,
      // Access-log lines are debug; component messages info.
      log: (line) => (line.startsWith('apiserver: ') && !line.startsWith('apiserver: ERROR') ? logger.debug(line) : logger.info(line)),
      progress: step,
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') process.stderr.write(`stratus: port ${o.port} on ${o.host} is in use; pick another with --port.\n`);
    else if (err.code === 'EACCES') process.stderr.write(`stratus: no permission to listen on ${o.host}:${o.port}; use a port above 1024.\n`);
    else process.stderr.write(`stratus: could not start Kubernetes: ${err.message}\n`);
    if (real) process.stderr.write(`  (what was created has been removed; 'stratus kube down --data-dir ${o.dataDir}' cleans up after a crash)\n`);
    return 1;
  }
  writeState(o.dataDir, { pid: process.pid, url: cluster.url, startedAt: new Date().toISOString() });
  out('');
  out(`Kubernetes is up in ${((performance.now() - t0) / 1000).toFixed(2)}s.`);
  out(`  API server   ${cluster.url}`);
  out(`  kubeconfig   ${cluster.kubeconfigPath}  (user kubernetes-admin, context stratus)`);
  out(`  Nodes        ${cluster.nodeNames.join(', ') || '(none)'}`);
  out(`  Try:         kubectl --kubeconfig ${cluster.kubeconfigPath} get nodes`);
  if (cluster.real) {
    out(`  Underlay     ${cluster.real.underlay} (isolated; enter it with: stratus netns exec --data-dir ${o.dataDir} -- CMD)`);
    for (const n of cluster.real.nodes) out(`  ${n.plan.name.padEnd(12)} ${n.plan.address}  pods ${n.plan.podCidr}  netns ${n.plan.netns}`);
    if (cluster.real.registryUrl) out(`  Registry     ${cluster.real.registryUrl}`);
  }
  for (const n of cluster.notes) out(`  note: ${n}`);
  if (o.nodes > 0 && cluster.runtime === 'fake' && !cluster.real) {
    out(`  note: the node agents run the FAKE runtime: pods go Running with an IP from 10.42.<n>.0/24,`);
    out(`        and logs, exec and port-forward talk to a test double; no container processes run.`);
  }
  out('Press Ctrl-C to stop.');

  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      out(`\nReceived ${sig}, stopping…`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await cluster.close();
  clearState(o.dataDir);
  out('Kubernetes stopped.');
  return 0;
}
