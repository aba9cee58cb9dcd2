import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { InformerSource } from '../client/informer.js';
import { frame, FrameReader } from './framing.js';
import { ClusterZone, type ZoneOptions } from './zone.js';

export interface ClusterDnsOptions extends ZoneOptions {
  /** The unix socket the node stubs connect to (created with its directory; mode 0600). */
  socketPath: string;
  /** Simultaneous stub connections kept (default 256); extra ones are closed at once. */
  maxConnections?: number;
}

export interface ClusterDns {
  readonly zone: ClusterZone;
  readonly socketPath: string;
  /** Stops the informers, closes every connection and removes the socket. */
  close(): Promise<void>;
}

/**
 * Starts the cluster DNS server of the control plane: a `ClusterZone` over `api`, answering
 * DNS-over-TCP framing (2-byte length prefix, RFC 7766) on a unix socket. Nodes and pods reach
 * it through the per-node stub (`stub.ts`), never over IP (DESIGN §4: no IP path to the host).
 *
 * Resolves once the informers have synced and the socket listens. A stale socket left by a
 * crashed process is replaced; a socket another live server answers on is an error. Each
 * connection may pipeline queries; answers come back in query order. Undecodable queries get
 * FORMERR (or nothing when even the header is missing); they never close the connection.
 *
 * @example
 * const dns = await startClusterDns(registry, { socketPath: '/run/stratus/dns.sock' });
 * // node stubs: stubCommand({ listen: '10.42.0.1:53', socketPath: dns.socketPath })
 * await dns.close();
 */
export async function startClusterDns(api: InformerSource, opts: ClusterDnsOptions): Promise<ClusterDns> {
  const log = opts.log ?? (() => undefined);
  const zone = new ClusterZone(api, opts);
  await zone.start();
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    if (sockets.size >= (opts.maxConnections ?? 256)) {
      log(`cluster DNS: more than ${opts.maxConnections ?? 256} connections on ${opts.socketPath}; closing the newest`);
      sock.destroy();
      return;
    }
    sockets.add(sock);
    const reader = new FrameReader();
    sock.on('data', (chunk: Buffer) => {
      for (const q of reader.push(chunk)) {
        const a = zone.answerWire(q);
        if (a && !sock.destroyed) sock.write(frame(a));
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => sockets.delete(sock));
  });
  try {
    await mkdir(dirname(opts.socketPath), { recursive: true });
    await removeStaleSocket(opts.socketPath);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await chmod(opts.socketPath, 0o600);
  } catch (err) {
    server.close();
    await zone.stop();
    throw err;
  }
  server.on('error', (err) => log(`cluster DNS socket ${opts.socketPath}: ${err.message}`));
  log(`cluster DNS for ${zone.domain} on ${opts.socketPath}`);
  let closing: Promise<void> | undefined;
  return {
    zone,
    socketPath: opts.socketPath,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await closed;
        await zone.stop();
        await unlink(opts.socketPath).catch(() => undefined);
      })();
      return closing;
    },
  };
}

/** Removes a socket file nobody listens on; refuses to take over a live one or a non-socket. */
async function removeStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket; remove it or choose another socketPath`);
  const alive = await new Promise<boolean>((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another cluster DNS server already listens on ${path}; stop it or choose another socketPath`);
  await unlink(path);
}
