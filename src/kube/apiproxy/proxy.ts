import { connect, createServer, type Server, type Socket } from 'node:net';
import { isMainModule, nodeListenerCommand, parseListen, parseListenerFlags, runNodeListener } from '../node-listener.js';
import { admit, closeServer, forwardTo } from './socket.js';

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
  return nodeListenerCommand(import.meta.url, opts);
}

export async function startApiProxy(o: ApiProxyOptions): Promise<ApiProxy> {
  const { host, port } = parseListen(o.listen, '10.41.0.1:6443');
  const log = o.log ?? (() => undefined);
  const max = o.maxConnections ?? 512;
  const open = new Set<Socket>();
  const stats = { accepted: 0, failed: 0 };
  // Half-open connections pass through (a client may end its side and still read the answer).
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    if (!admit(client, open, max, stats)) return;
    const up = connect({ path: o.socketPath, allowHalfOpen: true });
    forwardTo(client, up, open, (e) => {
      stats.failed++;
      log(`cannot reach the control plane at ${o.socketPath}: ${e.message}`);
    });
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
      closing ??= closeServer(server, open);
      return closing;
    },
  };
}

function parseArgs(argv: string[]): { listen: string; socketPath: string } {
  const out = parseListenerFlags(argv, ['listen', 'socket']);
  return { listen: out.listen, socketPath: out.socket };
}

if (isMainModule(import.meta.url)) {
  void runNodeListener({
    tag: 'api-proxy',
    usage: 'proxy.js --listen <ip>:<port> --socket <unix socket of the control plane>',
    parseArgs,
    start: (args, log) => startApiProxy({ ...args, log }),
  });
}
