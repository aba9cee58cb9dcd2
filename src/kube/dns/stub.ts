import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6, createServer, type Server, type Socket } from 'node:net';
import { isMainModule, nodeListenerCommand, parseListenerFlags, parseListen as parseListenFlag, runNodeListener } from '../node-listener.js';
import { errorResponse } from './answer.js';
import { frame, FrameReader } from './framing.js';
import { Upstream } from './upstream.js';
import { decodeMessage, encodeMessage, peekHeader, RCODE, truncateResponse, type DnsMessage } from './wire.js';

/**
 * The per-node DNS stub: answers UDP and TCP on an address inside a node's network namespace
 * (the pods' resolver) by forwarding every query over the unix socket of the control plane's
 * cluster DNS (`server.ts`). It holds no records and keeps no cache, so answers are as fresh
 * as the server's.
 *
 * - UDP answers larger than the client allows (512 bytes without EDNS, else the client's
 *   advertised size) are cut to header + question with TC set, so the client retries on TCP.
 * - TCP: DNS-over-TCP framing, pipelined queries, answers in any order; idle connections close
 *   after 30 s.
 * - The socket connection reconnects by itself; a query without an answer within `timeoutMs`
 *   gets SERVFAIL (the client's resolver then retries or moves on), never a made-up NXDOMAIN.
 *
 * Run as a process: `node dist/src/kube/dns/stub.js --listen <ip>:<port> --socket <path>`
 * (see `stubCommand`); it prints one line `listening on <ip>:<port>` when ready and exits 0
 * on SIGTERM/SIGINT.
 */

export interface StubOptions {
  /** `<ipv4>:<port>` or `[<ipv6>]:<port>`; port 0 picks a free one (the same for UDP and TCP). */
  listen: string;
  socketPath: string;
  timeoutMs?: number;
  log?: (msg: string) => void;
}

export interface DnsStub {
  readonly address: string;
  readonly port: number;
  readonly upstream: Upstream;
  readonly stats: { udpQueries: number; tcpQueries: number; truncated: number; servfail: number };
  close(): Promise<void>;
}

const TCP_IDLE_MS = 30_000;
const MAX_TCP_CONNECTIONS = 512;

/** The command line that runs the stub (the wiring helper prefixes `nsenter --net=…`). */
export function stubCommand(opts: { listen: string; socketPath: string }): { command: string; args: string[] } {
  return nodeListenerCommand(import.meta.url, opts);
}

export function parseListen(listen: string): { host: string; port: number } {
  return parseListenFlag(listen, '10.42.0.1:53');
}

export async function startStub(opts: StubOptions): Promise<DnsStub> {
  const { host, port: wantedPort } = parseListen(opts.listen);
  const log = opts.log ?? (() => undefined);
  const upstream = new Upstream(opts.socketPath, { timeoutMs: opts.timeoutMs, log });
  const stats = { udpQueries: 0, tcpQueries: 0, truncated: 0, servfail: 0 };
  const tcpSockets = new Set<Socket>();
  let closed = false;

  const failure = (query: Buffer, err: Error): Buffer | undefined => {
    log(`query failed: ${err.message}`);
    stats.servfail++;
    try {
      return encodeMessage(errorResponse(decodeMessage(query), RCODE.SERVFAIL));
    } catch {
      const h = peekHeader(query);
      return h ? encodeMessage(errorResponse(h, RCODE.SERVFAIL)) : undefined;
    }
  };

  const onUdp = (udp: UdpSocket) => (msg: Buffer, rinfo: { address: string; port: number }) => {
    const h = peekHeader(msg);
    if (!h || h.qr) return;
    stats.udpQueries++;
    let query: DnsMessage | undefined;
    try {
      query = decodeMessage(msg);
    } catch {
      // Forwarded anyway: the server answers FORMERR.
    }
    const limit = query?.edns ? Math.min(Math.max(512, query.edns.udpSize), 65507) : 512;
    upstream.query(msg).then(
      (answer) => {
        if (answer.length > limit) {
          stats.truncated++;
          answer = truncateResponse(answer);
        }
        reply(answer);
      },
      (err: Error) => {
        const a = closed ? undefined : failure(msg, err);
        if (a) reply(a);
      },
    );
    function reply(answer: Buffer): void {
      if (closed) return;
      udp.send(answer, rinfo.port, rinfo.address, (err) => {
        if (err) log(`udp reply to ${rinfo.address}:${rinfo.port}: ${err.message}`);
      });
    }
  };

  const tcp: Server = createServer((sock) => {
    if (tcpSockets.size >= MAX_TCP_CONNECTIONS) {
      sock.destroy();
      return;
    }
    tcpSockets.add(sock);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    const reader = new FrameReader();
    sock.on('data', (chunk: Buffer) => {
      for (const q of reader.push(chunk)) {
        const h = peekHeader(q);
        if (!h || h.qr) continue;
        stats.tcpQueries++;
        upstream.query(q).then(
          (answer) => {
            if (!sock.destroyed) sock.write(frame(answer));
          },
          (err: Error) => {
            const a = closed ? undefined : failure(q, err);
            if (a && !sock.destroyed) sock.write(frame(a));
          },
        );
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => tcpSockets.delete(sock));
  });

  // UDP first; then TCP on the same port (with port 0, retry if TCP finds it taken).
  let udp: UdpSocket | undefined;
  let port = wantedPort;
  for (let attempt = 0; ; attempt++) {
    udp = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    const u = udp;
    try {
      await new Promise<void>((resolve, reject) => {
        u.once('error', reject);
        u.bind(wantedPort, host, () => {
          u.off('error', reject);
          resolve();
        });
      });
      port = u.address().port;
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      break;
    } catch (err) {
      u.close();
      if (wantedPort !== 0 || attempt >= 5 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        upstream.close();
        throw new Error(`DNS stub cannot listen on ${opts.listen}: ${(err as Error).message}`);
      }
    }
  }
  const udpSock = udp;
  udpSock.on('message', onUdp(udpSock));
  udpSock.on('error', (err) => log(`udp: ${err.message}`));
  tcp.on('error', (err) => log(`tcp: ${err.message}`));

  let closing: Promise<void> | undefined;
  return {
    address: host,
    port,
    upstream,
    stats,
    close() {
      closing ??= (async () => {
        closed = true;
        upstream.close();
        const tcpClosed = new Promise<void>((resolve) => tcp.close(() => resolve()));
        for (const s of tcpSockets) s.destroy();
        await new Promise<void>((resolve) => udpSock.close(() => resolve()));
        await tcpClosed;
      })();
      return closing;
    },
  };
}

function parseArgs(argv: string[]): { listen: string; socketPath: string; timeoutMs?: number } {
  const out = parseListenerFlags(argv, ['listen', 'socket', 'timeout-ms']);
  const timeoutMs = out['timeout-ms'] === undefined ? undefined : Number(out['timeout-ms']);
  if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new Error('--timeout-ms wants a positive number');
  return { listen: out.listen, socketPath: out.socket, timeoutMs };
}

if (isMainModule(import.meta.url)) {
  void runNodeListener({
    tag: 'dns-stub',
    usage: 'stub.js --listen <ip>:<port> --socket <unix socket of the cluster DNS> [--timeout-ms N]',
    parseArgs,
    start: (args, log) => startStub({ ...args, log }),
  });
}
