import { realpathSync } from 'node:fs';
import { connect, createServer, isIPv4, isIPv6, type Server, type Socket } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { splice } from './socket.js';

/**
 * The per-node API proxy: listens on TCP inside a node's network namespace (the node address
 * and the API server's port; the `default/kubernetes` Service points there) and forwards every
 * connection, unread, to the control plane's unix socket (`socket.ts`). Node namespaces live in
 * an isolated underlay with no IP path to the host (DESIGN.md §4), so the unix socket is the
 * only way through, as for the DNS stubs.
 *
 * Run as a process: `node dist/src/kube/apiproxy/proxy.js --listen <ip>:<port> --socket <path>`
 * (see `apiProxyCommand`); it prints `listening on <ip>:<port>` when ready and exits 0 on
 * SIGTERM/SIGINT.
 */
export interface ApiProxyOptions {
  /** `<ipv4>:<port>` or `[<ipv6>]:<port>`; port 0 picks a free one. */
  listen: string;
  socketPath: string;
  log?: (msg: string) => void;
  /** Cap on simultaneous connections (default 512). */
  maxConnections?: number;
}

export interface ApiProxy {
  readonly address: string;
  readonly port: number;
  readonly stats: { accepted: number; failed: number };
  close(): Promise<void>;
}

/** The command line that runs the proxy (the wiring prefixes `nsenter --net=…`). */
export function apiProxyCommand(opts: { listen: string; socketPath: string }): { command: string; args: string[] } {
  return { command: process.execPath, args: [fileURLToPath(import.meta.url), '--listen', opts.listen, '--socket', opts.socketPath] };
}

function parseListen(listen: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(listen) ?? /^([^:]+):(\d+)$/.exec(listen);
  const host = m?.[1];
  const port = Number(m?.[2]);
  if (!host || !(isIPv4(host) || isIPv6(host)) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--listen ${JSON.stringify(listen)}: want <ipv4>:<port> or [<ipv6>]:<port>, e.g. 10.41.0.1:6443`);
  }
  return { host, port };
}

export async function startApiProxy(o: ApiProxyOptions): Promise<ApiProxy> {
  const { host, port } = parseListen(o.listen);
  const log = o.log ?? (() => undefined);
  const max = o.maxConnections ?? 512;
  const open = new Set<Socket>();
  const stats = { accepted: 0, failed: 0 };
  // Half-open connections pass through (a client may end its side and still read the answer).
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    if (open.size >= max) {
      client.destroy();
      return;
    }
    stats.accepted++;
    open.add(client);
    client.once('close', () => open.delete(client));
    client.pause();
    const up = connect({ path: o.socketPath, allowHalfOpen: true });
    open.add(up);
    up.once('close', () => open.delete(up));
    let connected = false;
    up.once('connect', () => {
      connected = true;
      splice(client, up);
      client.resume();
    });
    up.once('error', (e) => {
      if (!connected) {
        stats.failed++;
        log(`cannot reach the control plane at ${o.socketPath}: ${e.message}`);
      }
      client.destroy();
    });
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: Error) => {
    throw new Error(`API proxy cannot listen on ${o.listen}: ${e.message}`);
  });
  server.on('error', (e) => log(`listener: ${e.message}`));
  const bound = server.address() as { port: number };
  let closing: Promise<void> | undefined;
  return {
    address: host,
    port: bound.port,
    stats,
    close() {
      closing ??= (async () => {
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of open) s.destroy();
        await done;
      })();
      return closing;
    },
  };
}

function parseArgs(argv: string[]): { listen: string; socketPath: string } {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(listen|socket)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${JSON.stringify(a)}`);
    const v = m[2] ?? argv[++i];
    if (v === undefined) throw new Error(`--${m[1]} needs a value`);
    out[m[1]!] = v;
  }
  if (!out.listen || !out.socket) throw new Error('--listen and --socket are required');
  return { listen: out.listen, socketPath: out.socket };
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nusage: proxy.js --listen <ip>:<port> --socket <unix socket of the control plane>\n`);
    process.exit(2);
  }
  const log = (msg: string) => process.stderr.write(`api-proxy: ${msg}\n`);
  let proxy: ApiProxy;
  try {
    proxy = await startApiProxy({ ...args, log });
  } catch (err) {
    log((err as Error).message);
    process.exit(1);
  }
  const addr = proxy.address.includes(':') ? `[${proxy.address}]` : proxy.address;
  process.stdout.write(`listening on ${addr}:${proxy.port}\n`);
  const stop = () => void proxy.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function isMain(): boolean {
  try {
    return Boolean(process.argv[1]) && pathToFileURL(realpathSync(process.argv[1]!)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isMain()) void main();
