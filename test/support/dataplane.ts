import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupDataPlane, leftovers } from '../../src/dataplane/cleanup.js';
import { hostRunner, inNetns, ipBatch, runAll } from '../../src/dataplane/exec.js';
import { Inventory } from '../../src/dataplane/inventory.js';
import { cloudPrefix, nsName } from '../../src/dataplane/names.js';
import { probe, packagesOf } from '../../src/dataplane/probe.js';
import { Underlay } from '../../src/dataplane/underlay.js';
import { peerName, type PortSpec } from '../../src/drivers/network/driver.js';
import { LinuxNetworkDriver } from '../../src/drivers/network/linux/index.js';

/** Why privileged data-plane tests cannot run here, or undefined when they can. */
export function dataplaneSkipReason(): string | undefined {
  const p = probe(['network']);
  if (!p.root) return 'needs root (the real data plane creates network namespaces)';
  if (p.missing.length) return `missing tools: ${p.missing.map((t) => t.bin).join(', ')} (apt-get install ${packagesOf(p.missing).join(' ')})`;
  return undefined;
}

export interface LinuxNet {
  dataDir: string;
  prefix: string;
  driver: LinuxNetworkDriver;
  underlay: Underlay;
  inventory: Inventory;
  /** The metadata unix socket and what it was asked (headers by request). */
  metadataSocket: string;
  metadataRequests: { url: string; forwardedFor: string; networkId: string }[];
  /** Removes everything: driver processes, namespaces, the data dir. */
  cleanup(): Promise<void>;
}

/**
 * An isolated linux network driver on a fresh temp data dir (so a fresh cloud prefix), with a
 * test metadata server on a unix socket that answers `instance-at <X-Forwarded-For>`.
 */
export async function makeLinuxNetwork(): Promise<LinuxNet> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stx-dp-'));
  const prefix = cloudPrefix(dataDir);
  const inventory = new Inventory(dataDir);
  const underlay = new Underlay({ prefix, isolated: true }, hostRunner, inventory);
  const metadataSocket = join(dataDir, 'metadata.sock');
  const metadataRequests: LinuxNet['metadataRequests'] = [];
  const server: Server = createServer((req, res) => {
    const forwardedFor = String(req.headers['x-forwarded-for'] ?? '');
    const networkId = String(req.headers['x-neutron-network-id'] ?? '');
    metadataRequests.push({ url: req.url ?? '', forwardedFor, networkId });
    res.end(`instance-at ${forwardedFor} on ${networkId} path ${req.url}\n`);
  });
  await new Promise<void>((r) => server.listen(metadataSocket, r));
  const driver = new LinuxNetworkDriver({ dataDir, underlay, inventory, metadataSocket, log: (m) => process.env.STX_DEBUG && console.log(`# driver: ${m}`) });
  return {
    dataDir,
    prefix,
    driver,
    underlay,
    inventory,
    metadataSocket,
    metadataRequests,
    async cleanup() {
      await driver.close().catch(() => {});
      await cleanupDataPlane(dataDir, hostRunner);
      await new Promise<void>((r) => server.close(() => r()));
      const left = leftovers(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
      if (left.namespaces.length || left.processes.length || left.rootLinks.length) {
        throw new Error(`cleanup left ${JSON.stringify(left)}`);
      }
    },
  };
}

/** argv inside namespace `ns` (nsenter, never `ip netns exec`). */
export function within(ns: string, argv: string[]): string[] {
  return inNetns(ns, argv);
}

/** Runs a shell command inside `ns`; resolves with its exit code and output (never rejects). */
export async function sh(ns: string, script: string, timeoutMs = 10_000): Promise<{ code: number; out: string }> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = spawn('nsenter', [`--net=/run/netns/${ns}`, '--', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? 128, out });
    });
  });
}

/** Starts a background shell command inside `ns` (a listener); returns a stop function. */
export async function background(ns: string, script: string): Promise<{ stop(): void; output(): string }> {
  const { spawn } = await import('node:child_process');
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', 'nsenter', `--net=/run/netns/${ns}`, '--', 'sh', '-c', `exec ${script}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise((r) => setTimeout(r, 150));
  return {
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    output: () => out,
  };
}

/**
 * An instance and an outside client for floating-IP checks: port `vm`'s peer moved into a namespace of
 * its own (`eth0` at `vmIp`/24, default route via `gatewayIp`) and a client namespace on the external
 * bridge `extBridge` (`eth0` at `clientIp`/24). Namespaces are `t<tag>vm` and `t<tag>cl`, recorded in the
 * inventory so `L.cleanup()` removes them.
 */
export async function instanceAndClient(L: LinuxNet, vm: PortSpec, o: { tag: string; extBridge: string; vmIp: string; gatewayIp: string; clientIp: string }): Promise<{ vmNs: string; client: string }> {
  const vmNs = nsName(L.prefix, 't', `${o.tag}vm`);
  const client = nsName(L.prefix, 't', `${o.tag}cl`);
  const veth = `t${o.tag}cl`;
  for (const n of [vmNs, client]) L.inventory.record({ kind: 'netns', key: n, note: 'test namespace' });
  await runAll(hostRunner, [
    { argv: ['ip', 'netns', 'add', vmNs] },
    { argv: ['ip', 'netns', 'add', client] },
    ipBatch(L.prefix, [`link set ${peerName(vm.id)} netns ${vmNs}`, `link add ${veth} type veth peer name eth0 netns ${client}`, `link set ${veth} master ${o.extBridge}`, `link set ${veth} up`]),
    ipBatch(vmNs, ['link set lo up', `link set ${peerName(vm.id)} name eth0`, 'link set eth0 up', `addr add ${o.vmIp}/24 dev eth0`, `route add default via ${o.gatewayIp}`]),
    ipBatch(client, ['link set lo up', 'link set eth0 up', `addr add ${o.clientIp}/24 dev eth0`]),
  ]);
  return { vmNs, client };
}
