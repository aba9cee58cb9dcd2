import { createSocket } from 'node:dgram';
import { isIPv6, createConnection } from 'node:net';
import { frame, FrameReader } from './framing.js';
import { CLASS_IN, decodeMessage, encodeMessage, TYPE, type DnsMessage, type Edns } from './wire.js';

/** Where to send a query: UDP or TCP to an address, or the cluster DNS unix socket. */
export type DnsTarget = { transport: 'udp' | 'tcp'; host: string; port: number } | { transport: 'unix'; path: string };

export interface QueryOptions {
  timeoutMs?: number;
  /** Adds an OPT record advertising this UDP payload size. */
  edns?: number;
  id?: number;
}

/** A query message for one name and type (RD set, class IN). */
export function buildQuery(name: string, type: number | keyof typeof TYPE, opts: QueryOptions = {}): DnsMessage {
  const edns: Edns | undefined = opts.edns ? { udpSize: opts.edns, extendedRcode: 0, version: 0, flags: 0, options: Buffer.alloc(0) } : undefined;
  return {
    id: opts.id ?? Math.floor(Math.random() * 0x10000),
    qr: false,
    opcode: 0,
    aa: false,
    tc: false,
    rd: true,
    ra: false,
    ad: false,
    cd: false,
    rcode: 0,
    questions: [{ name, type: typeof type === 'number' ? type : TYPE[type], class: CLASS_IN }],
    answers: [],
    authorities: [],
    additionals: [],
    ...(edns ? { edns } : {}),
  };
}

/**
 * Sends one raw query and resolves with the raw answer (rejects on timeout, default 2 s).
 * A small client for tests and health checks; it does not retry or fall back to TCP itself.
 */
export function exchange(target: DnsTarget, packet: Buffer, timeoutMs = 2000): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let finish: (err: Error | undefined, answer?: Buffer) => void;
    const timer = setTimeout(() => finish(new Error(`no DNS answer within ${timeoutMs} ms from ${describe(target)}`)), timeoutMs);
    const id = packet.readUInt16BE(0);
    if (target.transport === 'udp') {
      const sock = createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
      finish = (err, answer) => {
        clearTimeout(timer);
        sock.close();
        if (err) reject(err);
        else resolve(answer!);
      };
      sock.on('error', (err) => finish(err));
      sock.on('message', (msg) => {
        if (msg.length >= 2 && msg.readUInt16BE(0) === id) finish(undefined, msg);
      });
      sock.send(packet, target.port, target.host);
    } else {
      const sock = target.transport === 'unix' ? createConnection(target.path) : createConnection(target.port, target.host);
      const reader = new FrameReader();
      finish = (err, answer) => {
        clearTimeout(timer);
        sock.destroy();
        if (err) reject(err);
        else resolve(answer!);
      };
      sock.on('error', (err) => finish(err));
      sock.on('connect', () => sock.write(frame(packet)));
      sock.on('data', (chunk: Buffer) => {
        for (const msg of reader.push(chunk)) if (msg.length >= 2 && msg.readUInt16BE(0) === id) finish(undefined, msg);
      });
    }
  });
}

/** Queries `name`/`type` and decodes the answer. */
export async function dnsQuery(target: DnsTarget, name: string, type: number | keyof typeof TYPE, opts: QueryOptions = {}): Promise<DnsMessage> {
  return decodeMessage(await exchange(target, encodeMessage(buildQuery(name, type, opts)), opts.timeoutMs));
}

function describe(t: DnsTarget): string {
  return t.transport === 'unix' ? t.path : `${t.transport}://${t.host}:${t.port}`;
}
