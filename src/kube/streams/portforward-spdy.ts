import type { WebSocket } from 'ws';
import type { AgentTarget } from './agent-api.js';
import { openAgentPortForward } from './agent-client.js';
import type { SpdyConnection, SpdyStream } from './spdy-connection.js';
import { RstStatus } from './spdy.js';
import { WsPacer, closeSocket } from './pacer.js';

/**
 * kubectl's port-forward over SPDY/3.1 (plain or tunnelled in a WebSocket; reference §3.3).
 * Per local connection kubectl opens an error stream and a data stream carrying the same
 * `port` and `requestid` headers. Once both are present, one agent port-forward WebSocket is
 * opened for the pair and bytes are copied both ways:
 *
 * - client FIN on the data stream → EOF to the pod (empty agent message);
 * - pod EOF / agent close → FIN on the data stream and on the error stream (the client waits
 *   for the error stream's EOF before it finishes);
 * - dial failure or agent error → its text on the error stream, then FIN on both;
 * - client RST on the data stream → the agent socket is closed (the pod connection dropped).
 */
export function servePortForwardSpdy(conn: SpdyConnection, agent: AgentTarget, namespace: string, pod: string): void {
  const pairs = new Map<string, Pair>();
  const pausedAgents = new Set<WebSocket>();
  conn.setMaxListeners(0);
  conn.on('drain', () => {
    for (const ws of pausedAgents) ws.resume();
    pausedAgents.clear();
  });

  conn.on('stream', (stream: SpdyStream) => {
    const type = stream.headers['streamtype'];
    const portText = stream.headers['port'] ?? '';
    const port = Number(portText);
    if (type !== 'error' && type !== 'data') {
      stream.reset(RstStatus.PROTOCOL_ERROR);
      return;
    }
    // Old clients send no requestid: the error stream is N, its data stream N+2.
    const key = stream.headers['requestid'] ?? String(type === 'error' ? stream.id : stream.id - 2);
    let pair = pairs.get(key);
    if (!pair) {
      pair = new Pair(key, conn, agent, namespace, pod, pausedAgents, () => pairs.delete(key));
      pairs.set(key, pair);
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      pair.attach(type, stream);
      pair.fail(`invalid port "${portText}": must be an integer in 1-65535`);
      return;
    }
    pair.attach(type, stream);
    pair.port = port;
    pair.maybeStart();
  });
}

class Pair {
  port = 0;
  private error: SpdyStream | null = null;
  private data: SpdyStream | null = null;
  private ws: WebSocket | null = null;
  private started = false;
  private done = false;
  private clientEof = false;
  /** Client bytes that arrived before the agent socket opened. */
  private early: Buffer[] = [];

  constructor(
    readonly key: string,
    private readonly conn: SpdyConnection,
    private readonly agent: AgentTarget,
    private readonly namespace: string,
    private readonly pod: string,
    private readonly pausedAgents: Set<WebSocket>,
    private readonly forget: () => void,
  ) {}

  attach(type: 'error' | 'data', stream: SpdyStream): void {
    if (type === 'error') {
      this.error = stream;
      // The client half-closes the error stream at once; nothing it sends there matters.
      stream.on('reset', () => this.teardown());
      return;
    }
    this.data = stream;
    stream.on('data', (chunk: Buffer) => this.fromClient(chunk));
    stream.on('end', () => {
      this.clientEof = true;
      if (this.ws) this.ws.send(Buffer.alloc(0), { binary: true });
    });
    stream.on('reset', () => this.teardown());
  }

  maybeStart(): void {
    if (this.started || !this.error || !this.data || this.done) return;
    this.started = true;
    openAgentPortForward(this.agent, this.namespace, this.pod, this.port).then(
      (ws) => this.run(ws),
      (err: Error) => this.fail(err.message),
    );
  }

  private fromClient(chunk: Buffer): void {
    if (this.done) return;
    if (!this.ws) {
      this.early.push(chunk);
      this.conn.pause(this);
      return;
    }
    this.pacer!.send(chunk);
  }

  private pacer: WsPacer | null = null;

  private run(ws: WebSocket): void {
    if (this.done) {
      closeSocket(ws);
      return;
    }
    this.ws = ws;
    this.pacer = new WsPacer(ws, () => this.conn.pause(this), () => this.conn.resume(this));
    for (const chunk of this.early) this.pacer.send(chunk);
    this.early = [];
    if (this.clientEof) ws.send(Buffer.alloc(0), { binary: true });
    this.conn.resume(this);

    ws.on('message', (msg: Buffer) => {
      if (msg.length === 0) {
        this.data?.end();
        return;
      }
      if (this.data && !this.data.write(msg)) {
        ws.pause();
        this.pausedAgents.add(ws);
      }
    });
    ws.on('close', (code, reason) => {
      this.ws = null;
      this.pausedAgents.delete(ws);
      if (code !== 1000 && code !== 1005) {
        const text = reason.toString() || `the node agent closed the connection (${code})`;
        this.fail(text);
      } else {
        this.finish();
      }
    });
    ws.on('error', () => ws.terminate());
    ws.resume();
  }

  /** Reports `message` on the error stream and ends the pair. */
  fail(message: string): void {
    if (this.done) return;
    this.error?.write(Buffer.from(message, 'utf8'));
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.data?.end();
    this.error?.end();
    this.cleanup();
  }

  private teardown(): void {
    if (!this.done) {
      this.done = true;
      this.data?.reset();
      this.error?.end();
    }
    this.cleanup();
  }

  private cleanup(): void {
    this.conn.resume(this);
    this.early = [];
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      this.pausedAgents.delete(ws);
      closeSocket(ws);
    }
    this.forget();
  }
}
