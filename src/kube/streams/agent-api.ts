import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ExecRequest, ExecSession, LogOptions, PodStreams } from '../api.js';
import { KubeError } from '../errors.js';
import type { Status } from '../types.js';
import { Channel, V5, exitCodeStatus, failureStatus, frame, parseResize } from './channels.js';
import { WsPacer, closeSocket } from './pacer.js';

/**
 * The agent API: how the API server reaches a node agent's `PodStreams` (reference §4.3).
 * Plain HTTP on the agent's address; every request carries `Authorization: Bearer <token>`.
 *
 *   GET /containerLogs/<ns>/<pod>/<container>?follow&tailLines&previous&timestamps&sinceSeconds&limitBytes
 *       → 200 text/plain, streamed (headers flushed at once).
 *   GET /exec/<ns>/<pod>/<container>?command=…(repeated)&stdin&stdout&stderr&tty
 *   GET /attach/<ns>/<pod>/<container>?stdin&stdout&stderr&tty
 *       → WebSocket, subprotocol `v5.channel.k8s.io`, v5 channel framing: 0 stdin, 1 stdout,
 *         2 stderr, 3 one JSON Status at the end (then close 1000), 4 resize JSON
 *         `{"Width","Height"}`, 255 half-close (`[255, 0]` = stdin EOF).
 *   GET /portForward/<ns>/<pod>?port=N
 *       → WebSocket carrying the raw bytes of one TCP connection to the pod's port N as binary
 *         messages. An *empty* binary message is a half-close (EOF) of the sender's direction.
 *         Close 1000 when both directions ended; a dial or socket error closes with 1011 and
 *         the error text as the close reason.
 *
 * Errors before a stream starts (bad query, unknown pod or container, failing exec) answer the
 * HTTP request with the KubeError's code and its Status as a JSON body; the API server passes
 * that Status on to the client unchanged.
 */
export interface AgentTarget {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  token: string;
}

export interface AgentApiServer {
  port: number;
  close(): Promise<void>;
}

/** Close code and reason limit for the port-forward socket's error close. */
export const PORT_FORWARD_ERROR_CLOSE = 1011;
const MAX_CLOSE_REASON = 120;

/** Lower-case boolean query flags as kubectl and client-node send them. */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v !== null && (v === '' || v === 'true' || v === '1' || v === 'True');
}

/** Parses and validates the LogOptions carried in a query string (agent and API server). */
export function parseLogQuery(query: URLSearchParams): LogOptions {
  const opts: LogOptions = {};
  if (queryFlag(query, 'follow')) opts.follow = true;
  if (queryFlag(query, 'previous')) opts.previous = true;
  if (queryFlag(query, 'timestamps')) opts.timestamps = true;
  const int = (name: string, min: number): number | undefined => {
    const raw = query.get(name);
    if (raw === null || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw KubeError.badRequest(`${name} must be an integer >= ${min}, got "${raw}"`);
    return n;
  };
  const tailLines = int('tailLines', 0);
  const sinceSeconds = int('sinceSeconds', 1);
  const limitBytes = int('limitBytes', 1);
  if (tailLines !== undefined) opts.tailLines = tailLines;
  if (sinceSeconds !== undefined) opts.sinceSeconds = sinceSeconds;
  if (limitBytes !== undefined) opts.limitBytes = limitBytes;
  return opts;
}

export function logQuery(opts: LogOptions): URLSearchParams {
  const q = new URLSearchParams();
  if (opts.follow) q.set('follow', 'true');
  if (opts.previous) q.set('previous', 'true');
  if (opts.timestamps) q.set('timestamps', 'true');
  if (opts.tailLines !== undefined) q.set('tailLines', String(opts.tailLines));
  if (opts.sinceSeconds !== undefined) q.set('sinceSeconds', String(opts.sinceSeconds));
  if (opts.limitBytes !== undefined) q.set('limitBytes', String(opts.limitBytes));
  return q;
}

/**
 * Validates exec/attach flags the way the API server does before reaching a node; `command`
 * is required for exec and ignored for attach.
 */
export function parseExecQuery(kind: 'exec' | 'attach', namespace: string, pod: string, container: string, query: URLSearchParams): ExecRequest {
  const req: ExecRequest = {
    namespace,
    pod,
    container,
    command: kind === 'exec' ? query.getAll('command') : [],
    stdin: queryFlag(query, 'stdin'),
    stdout: queryFlag(query, 'stdout'),
    stderr: queryFlag(query, 'stderr'),
    tty: queryFlag(query, 'tty'),
  };
  if (kind === 'exec' && req.command.length === 0) throw KubeError.badRequest('you must specify at least one command for the container');
  if (!req.stdin && !req.stdout && !req.stderr) throw KubeError.badRequest('you must specify at least one of stdin, stdout, stderr');
  // With a terminal, stderr is merged into stdout.
  if (req.tty) req.stderr = false;
  return req;
}

export function execQuery(req: ExecRequest): URLSearchParams {
  const q = new URLSearchParams();
  for (const c of req.command) q.append('command', c);
  for (const f of ['stdin', 'stdout', 'stderr', 'tty'] as const) if (req[f]) q.set(f, 'true');
  return q;
}

export function parsePort(raw: string | null): number {
  const n = Number(raw);
  if (raw === null || raw === '' || !Number.isInteger(n) || n < 1 || n > 65535) throw KubeError.badRequest(`invalid port "${raw ?? ''}": must be an integer in 1-65535`);
  return n;
}

/** Serves the agent API for `streams`; `port: 0` picks a free port. */
export async function serveAgentApi(streams: PodStreams, opts: { host: string; port: number; token: string }): Promise<AgentApiServer> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => (offered.has(V5) ? V5 : false) });
  const server = http.createServer((req, res) => {
    handleRequest(streams, opts.token, req, res).catch((err) => sendError(res, err));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    handleUpgrade(streams, opts.token, wss, req, socket, head).catch((err) => writeUpgradeError(socket, toStatus(err)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer (.+)$/.exec(header);
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

interface Route {
  kind: 'containerLogs' | 'exec' | 'attach' | 'portForward';
  parts: string[];
  query: URLSearchParams;
}

function route(req: IncomingMessage): Route {
  const url = new URL(req.url ?? '/', 'http://agent');
  let segs: string[];
  try {
    segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw KubeError.badRequest(`malformed path ${url.pathname}`);
  }
  const [kind, ...parts] = segs;
  const want = kind === 'portForward' ? 2 : 3;
  if ((kind === 'containerLogs' || kind === 'exec' || kind === 'attach' || kind === 'portForward') && parts.length === want) {
    return { kind, parts, query: url.searchParams };
  }
  throw new KubeError(404, 'NotFound', `the node agent serves no ${url.pathname}; expected /containerLogs|exec|attach/<ns>/<pod>/<container> or /portForward/<ns>/<pod>`);
}

async function handleRequest(streams: PodStreams, token: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!authorized(req, token)) throw KubeError.unauthorized();
  const r = route(req);
  if (r.kind !== 'containerLogs') throw KubeError.badRequest(`/${r.kind} needs a WebSocket upgrade`);
  if (req.method !== 'GET') throw KubeError.methodNotAllowed();
  const [ns, pod, container] = r.parts as [string, string, string];
  const body = await streams.logs(ns, pod, container, parseLogQuery(r.query));
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  res.on('close', () => body.destroy());
  body.on('error', () => res.destroy());
  body.pipe(res);
}

async function handleUpgrade(streams: PodStreams, token: string, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  if (!authorized(req, token)) throw KubeError.unauthorized();
  const r = route(req);
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || !req.headers['sec-websocket-key']) {
    throw KubeError.badRequest('the agent API expects a WebSocket upgrade');
  }
  if (r.kind === 'containerLogs') throw KubeError.badRequest('/containerLogs is a plain GET');
  if (r.kind === 'portForward') {
    const [ns, pod] = r.parts as [string, string];
    const port = parsePort(r.query.get('port'));
    wss.handleUpgrade(req, socket, head, (ws) => servePortForward(streams, ns, pod, port, ws));
    return;
  }
  const [ns, pod, container] = r.parts as [string, string, string];
  const execReq = parseExecQuery(r.kind, ns, pod, container, r.query);
  const session = r.kind === 'exec' ? await streams.exec(execReq) : await streams.attach(execReq);
  let upgraded = false;
  socket.once('close', () => {
    if (!upgraded) session.kill();
  });
  wss.handleUpgrade(req, socket, head, (ws) => {
    upgraded = true;
    serveSession(session, ws);
  });
}

/** Bridges one ExecSession onto a v5 channel WebSocket. */
function serveSession(session: ExecSession, ws: WebSocket): void {
  let finished = false;
  const outputs = [session.stdout, session.stderr].filter((s): s is Readable => s !== null);
  const outputsDone = Promise.all(outputs.map((s) => new Promise<void>((resolve) => {
    s.once('end', resolve);
    s.once('close', resolve);
    s.once('error', () => resolve());
  })));
  const pump = (stream: Readable | null, channel: number): void => {
    if (!stream) return;
    const pacer = new WsPacer(ws, () => stream.pause(), () => stream.resume());
    stream.on('data', (chunk: Buffer | string) => pacer.send(frame(channel, typeof chunk === 'string' ? Buffer.from(chunk) : chunk)));
  };
  pump(session.stdout, Channel.STDOUT);
  pump(session.stderr, Channel.STDERR);

  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary || data.length === 0) return;
    const channel = data[0]!;
    const payload = data.subarray(1);
    if (channel === Channel.STDIN && session.stdin && !session.stdin.writableEnded) {
      if (!session.stdin.write(payload)) {
        ws.pause();
        session.stdin.once('drain', () => ws.resume());
      }
    } else if (channel === Channel.RESIZE) {
      const size = parseResize(payload);
      if (size) session.resize(size.width, size.height);
    } else if (channel === Channel.CLOSE && payload[0] === Channel.STDIN) {
      session.stdin?.end();
    }
  });
  session.stdin?.on('error', () => undefined);

  const finish = (status: Status): void => {
    if (finished) return;
    finished = true;
    if (ws.readyState === ws.OPEN) {
      ws.send(frame(Channel.ERROR, JSON.stringify(status)), { binary: true });
      closeSocket(ws);
    }
  };
  session.exit.then(
    async (code) => {
      // Let the output drain before the status (bounded: a background child may hold a pipe).
      await Promise.race([outputsDone, new Promise((r) => setTimeout(r, 2000).unref())]);
      finish(exitCodeStatus(code));
    },
    (err: unknown) => finish(toStatus(err)),
  );
  ws.on('close', () => {
    if (!finished) {
      finished = true;
      session.kill();
    }
  });
  ws.on('error', () => ws.terminate());
}

/** Bridges one TCP connection to a pod's port onto a WebSocket (empty message = EOF). */
function servePortForward(streams: PodStreams, ns: string, pod: string, port: number, ws: WebSocket): void {
  let conn: Duplex | null = null;
  let sentEof = false;
  let gotEof = false;
  let closed = false;
  const closeWith = (code: number, reason = ''): void => {
    if (closed) return;
    closed = true;
    closeSocket(ws, code, truncate(reason));
    conn?.destroy();
  };
  ws.on('close', () => {
    closed = true;
    conn?.destroy();
  });
  ws.on('error', () => ws.terminate());
  // Hold client bytes until the pod connection exists.
  ws.pause();
  streams.portForward(ns, pod, port).then(
    (c) => {
      conn = c;
      if (closed) return c.destroy();
      const pacer = new WsPacer(ws, () => c.pause(), () => c.resume());
      c.on('data', (chunk: Buffer) => {
        if (chunk.length > 0) pacer.send(chunk);
      });
      c.on('end', () => {
        sentEof = true;
        pacer.send(Buffer.alloc(0));
        if (gotEof) closeWith(1000);
      });
      c.on('error', (err: Error) => closeWith(PORT_FORWARD_ERROR_CLOSE, `error on the connection to port ${port}: ${err.message}`));
      c.on('close', () => closeWith(1000));
      ws.on('message', (data: Buffer) => {
        if (data.length === 0) {
          gotEof = true;
          c.end();
          if (sentEof) closeWith(1000);
          return;
        }
        if (!c.write(data)) {
          ws.pause();
          c.once('drain', () => ws.resume());
        }
      });
      ws.resume();
    },
    (err: unknown) => closeWith(PORT_FORWARD_ERROR_CLOSE, err instanceof Error ? err.message : String(err)),
  );
}

function truncate(reason: string): string {
  const buf = Buffer.from(reason, 'utf8');
  if (buf.length <= MAX_CLOSE_REASON) return reason;
  return buf.subarray(0, MAX_CLOSE_REASON).toString('utf8').replace(/\uFFFD+$/, '');
}

export function toStatus(err: unknown): Status {
  if (err instanceof KubeError) return err.toStatus();
  return failureStatus(`Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
}

function sendError(res: ServerResponse, err: unknown): void {
  const status = toStatus(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(status);
  res.writeHead(status.code ?? 500, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Answers an upgrade request with an HTTP error whose body is the Status, then closes. */
export function writeUpgradeError(socket: Duplex, status: Status): void {
  if (socket.destroyed || !socket.writable) return;
  const code = status.code ?? 500;
  const body = JSON.stringify(status);
  socket.end(
    `HTTP/1.1 ${code} ${http.STATUS_CODES[code] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
