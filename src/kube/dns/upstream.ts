import { createConnection, type Socket } from 'node:net';
import { frame, FrameReader } from './framing.js';

export interface UpstreamOptions {
  /** A query without an answer after this long rejects (default 2,000 ms). */
  timeoutMs?: number;
  /** Queries in flight at most; more reject at once (default 4,096). */
  maxPending?: number;
  /** Reconnect delay: starts here, doubles to 40× (default 50 ms). */
  retryMs?: number;
  log?: (msg: string) => void;
}

interface Pending {
  packet: Buffer;
  clientId: number;
  resolve(answer: Buffer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One persistent DNS-over-stream connection to the cluster DNS socket, shared by every client
 * of a stub. Queries get the connection's own message ids (clients may reuse ids) and their
 * answers get the client's id back. The connection is opened at once and reopened with
 * back-off whenever it drops; queries asked while it is down wait for it (up to their
 * timeout), and queries in flight when it drops are sent again on the new connection (DNS
 * queries are idempotent; a late duplicate answer is ignored).
 */
export class Upstream {
  private sock: Socket | undefined;
  private connected = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private delay: number;
  private nextId = Math.floor(Math.random() * 0x10000);
  private readonly pending = new Map<number, Pending>();
  private readonly timeoutMs: number;
  private readonly maxPending: number;
  private readonly retryMs: number;
  private readonly log: (msg: string) => void;
  private lastError = '';
  readonly stats = { connects: 0, sent: 0, answered: 0, timeouts: 0 };

  constructor(
    readonly socketPath: string,
    opts: UpstreamOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.maxPending = opts.maxPending ?? 4096;
    this.retryMs = opts.retryMs ?? 50;
    this.delay = this.retryMs;
    this.log = opts.log ?? (() => undefined);
    this.connect();
  }

  /** Sends a query (wire format, ≥ 12 bytes) and resolves with the answer, client id restored. */
  query(packet: Buffer): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('the DNS stub is closing'));
    if (packet.length < 12) return Promise.reject(new Error('DNS query shorter than its header'));
    if (this.pending.size >= this.maxPending) return Promise.reject(new Error(`more than ${this.maxPending} DNS queries in flight`));
    let id = this.nextId;
    while (this.pending.has(id)) id = (id + 1) & 0xffff;
    this.nextId = (id + 1) & 0xffff;
    const copy = Buffer.from(packet);
    const clientId = copy.readUInt16BE(0);
    copy.writeUInt16BE(id, 0);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.stats.timeouts++;
        reject(new Error(`no answer from cluster DNS at ${this.socketPath} within ${this.timeoutMs} ms${this.connected ? '' : ` (not connected${this.lastError ? `: ${this.lastError}` : ''})`}`));
      }, this.timeoutMs);
      this.pending.set(id, { packet: copy, clientId, resolve, reject, timer });
      if (this.connected) this.send(copy);
    });
  }

  get isConnected(): boolean {
    return this.connected;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.sock?.destroy();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new Error('the DNS stub is closing'));
    }
  }

  private send(packet: Buffer): void {
    this.stats.sent++;
    this.sock!.write(frame(packet));
  }

  private connect(): void {
    if (this.closed) return;
    const sock = createConnection(this.socketPath);
    const reader = new FrameReader();
    this.sock = sock;
    sock.setNoDelay?.(true);
    sock.on('connect', () => {
      this.connected = true;
      this.stats.connects++;
      this.delay = this.retryMs;
      if (this.lastError) this.log(`connected to cluster DNS at ${this.socketPath}`);
      this.lastError = '';
      for (const p of this.pending.values()) this.send(p.packet);
    });
    sock.on('data', (chunk: Buffer) => {
      for (const answer of reader.push(chunk)) this.onAnswer(answer);
    });
    sock.on('error', (err) => {
      if (err.message !== this.lastError) this.log(`cluster DNS at ${this.socketPath}: ${err.message}; retrying`);
      this.lastError = err.message;
    });
    sock.on('close', () => {
      this.connected = false;
      if (this.sock === sock) this.sock = undefined;
      if (this.closed) return;
      this.retryTimer = setTimeout(() => this.connect(), this.delay);
      this.retryTimer.unref?.();
      this.delay = Math.min(this.delay * 2, this.retryMs * 40);
    });
  }

  private onAnswer(answer: Buffer): void {
    if (answer.length < 12) return;
    const id = answer.readUInt16BE(0);
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    this.stats.answered++;
    answer.writeUInt16BE(p.clientId, 0);
    p.resolve(answer);
  }
}
