import { chmodSync, existsSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * The control plane's end of in-cluster API access: a unix socket whose every connection is
 * handed to the API server in this process (or piped, byte for byte, to its TLS listener). The per-node proxies
 * (`proxy.ts`, inside the node namespaces, which have no IP path to the host) forward pods'
 * TCP connections here, so TLS runs end to end between the pod and the API server, and client
 * certificates and bearer tokens work as on the real port.
 */
export interface ApiSocket {
  readonly socketPath: string;
  /** Open pipes, for tests and diagnostics. */
  readonly stats: { accepted: number; open: () => number; failed: number };
  close(): Promise<void>;
}

export interface ApiSocketOptions {
  socketPath: string;
  /**
   * Where connections go: `accept` hands each one to the API server in this process
   * (`KubeApiServer.acceptInCluster`); else they are piped to `target`, its TCP listener.
   */
  accept?: (socket: Socket) => void;
  target?: { host: string; port: number };
  log?: (msg: string) => void;
  /** Cap on simultaneous pipes (default 1024); more are closed at once. */
  maxConnections?: number;
}

/**
 * Pipes two sockets together, half-closes included: one side's end ends the other after
 * what was read has been written; an error, or a close without an end (a reset), destroys both.
 */
export function splice(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const kill = () => {
    a.destroy();
    b.destroy();
  };
  a.once('error', kill);
  b.once('error', kill);
  a.once('close', () => {
    if (!a.readableEnded) b.destroy();
  });
  b.once('close', () => {
    if (!b.readableEnded) a.destroy();
  });
}

/**
 * Forwards `client` (paused until then) to `upstream` once it connects, tracking both in `open`
 * until they close. If `upstream` fails before connecting, `unreachable` is told why; either
 * way a failed upstream destroys the client, and a client error destroys the upstream.
 */
export function forwardTo(client: Socket, upstream: Socket, open: Set<Socket>, unreachable: (e: Error) => void): void {
  client.pause();
  open.add(upstream);
  upstream.once('close', () => open.delete(upstream));
  let connected = false;
  upstream.once('connect', () => {
    connected = true;
    splice(client, upstream);
    client.resume();
  });
  upstream.once('error', (e) => {
    if (!connected) unreachable(e);
    client.destroy();
  });
  client.on('error', () => upstream.destroy());
}

/**
 * Takes `client` in unless `open` already holds `max` sockets (then destroys it and answers
 * false): counts it in `stats.accepted` and tracks it in `open` until it closes.
 */
export function admit(client: Socket, open: Set<Socket>, max: number, stats: { accepted: number }): boolean {
  if (open.size >= max) {
    client.destroy();
    return false;
  }
  stats.accepted++;
  open.add(client);
  client.once('close', () => open.delete(client));
  return true;
}

/** Closes `server` and destroys every socket in `open`; resolves once the server has closed. */
export async function closeServer(server: Server, open: Set<Socket>): Promise<void> {
  const done = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const s of open) s.destroy();
  await done;
}

export async function serveApiSocket(o: ApiSocketOptions): Promise<ApiSocket> {
  if (!o.accept && !o.target) throw new Error('serveApiSocket needs accept or target');
  const log = o.log ?? (() => undefined);
  const open = new Set<Socket>();
  const stats = { accepted: 0, failed: 0, open: () => open.size };
  const max = o.maxConnections ?? 1024;
  // Half-open connections pass through (a client may end its side and still read the answer).
  const server: Server = createServer({ allowHalfOpen: !o.accept }, (client) => {
    if (!admit(client, open, max, stats)) return;
    if (o.accept) {
      o.accept(client);
      return;
    }
    const target = o.target!;
    const upstream = connect({ port: target.port, host: target.host, allowHalfOpen: true });
    forwardTo(client, upstream, open, (e) => {
      stats.failed++;
      log(`api socket: cannot reach the API server at ${target.host}:${target.port}: ${e.message}`);
    });
  });
  if (existsSync(o.socketPath)) rmSync(o.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Only root (the node proxies run as root) may connect.
  chmodSync(o.socketPath, 0o600);
  server.on('error', (e) => log(`api socket: ${e.message}`));
  let closing: Promise<void> | undefined;
  return {
    socketPath: o.socketPath,
    stats,
    close() {
      closing ??= (async () => {
        await closeServer(server, open);
        rmSync(o.socketPath, { force: true });
      })();
      return closing;
    },
  };
}
