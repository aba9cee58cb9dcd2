import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Readable } from 'node:stream';
import type { StratusConfig } from '../../src/config/config.js';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';

/** A raw HTTP answer: lower-case headers, body bytes and text. */
export interface Res {
  status: number;
  headers: Record<string, string>;
  buf: Buffer;
  text: string;
}

export type Body = string | Buffer | Readable | AsyncIterable<Uint8Array>;

export interface ReqOptions {
  /** Token to send; null sends none (anonymous); default: the demo token. */
  token?: string | null;
  headers?: Record<string, string | number>;
  body?: Body;
  /** Use a new connection that closes afterwards (for requests that may desync a socket). */
  fresh?: boolean;
  /** Give up after this many ms (default 10 s). */
  timeoutMs?: number;
}

/** A cloud plus Swift helpers, acting as demo (member of project demo) unless told otherwise. */
export interface Swift {
  tc: TestCloud;
  /** Host root, e.g. http://127.0.0.1:40000. */
  url: string;
  /** Demo's account, `AUTH_<demo project id>`. */
  account: string;
  /** Path of demo's account: /swift/v1/AUTH_<id>. */
  accountPath: string;
  token: string;
  /** A request to a path under the host (sent byte for byte: no normalisation). */
  raw(method: string, path: string, opts?: ReqOptions): Promise<Res>;
  /** A request to a path under demo's account (`''`, `/c`, `/c/o`). */
  req(method: string, path: string, opts?: ReqOptions): Promise<Res>;
  /** Storage path and token for another user. */
  as(user: string, project?: string): Promise<{ token: string; accountPath: string; account: string }>;
  close(): Promise<void>;
}

/** Percent-encodes an object path the way Swift clients do (slashes kept). */
export const enc = (name: string) => encodeURIComponent(name).replace(/%2F/gi, '/');

export async function startSwift(opts: { sqlite?: boolean; dataDir?: string; config?: Partial<StratusConfig> } = {}): Promise<Swift> {
  const tc = await startTestCloud(opts);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const token = await tc.token('demo');
  const host = new URL(tc.url);
  const raw: Swift['raw'] = (method, path, o = {}) => send(agent, host, method, path, o.token === undefined ? token : o.token, o);
  const as: Swift['as'] = async (user, project) => {
    const t = await tc.token(user, project);
    const r = await tc.req('GET', '/identity/v3/auth/catalog', { token: t });
    const ep = r.body.catalog.find((s: any) => s.type === 'object-store').endpoints.find((e: any) => e.interface === 'public');
    const p = new URL(ep.url).pathname;
    return { token: t, accountPath: p, account: p.split('/').pop()! };
  };
  const demo = await as('demo');
  return {
    tc,
    url: tc.url,
    account: demo.account,
    accountPath: demo.accountPath,
    token,
    raw,
    req: (method, path, o) => raw(method, demo.accountPath + path, o),
    as,
    async close() {
      agent.destroy();
      await tc.close();
    },
  };
}

function send(agent: Agent, host: URL, method: string, path: string, token: string | null, o: ReqOptions): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...(o.headers ?? {}) };
    if (token !== null) headers['x-auth-token'] = token;
    const body = o.body;
    if ((typeof body === 'string' || Buffer.isBuffer(body)) && !hasHeader(headers, 'content-length') && !hasHeader(headers, 'transfer-encoding'))
      headers['content-length'] = Buffer.byteLength(body);
    if (body === undefined && ['PUT', 'POST'].includes(method) && !hasHeader(headers, 'content-length') && !hasHeader(headers, 'transfer-encoding'))
      headers['content-length'] = 0;
    if (o.fresh) headers.connection = 'close';
    const req = request({ agent: o.fresh ? false : agent, host: host.hostname, port: host.port, method, path, headers, timeout: o.timeoutMs ?? 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const h: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 0, headers: h, buf, text: buf.toString('utf8') });
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in time`)));
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else Readable.from(body as AsyncIterable<Uint8Array>).pipe(req);
  });
}

function hasHeader(h: Record<string, unknown>, name: string): boolean {
  return Object.keys(h).some((k) => k.toLowerCase() === name);
}

/** Creates a container with a unique name (PUT must answer 201). */
export async function mkContainer(s: Swift, prefix = 'c', headers: Record<string, string> = {}): Promise<string> {
  const name = uniqueName(prefix);
  const r = await s.req('PUT', `/${enc(name)}`, { headers });
  assert.equal(r.status, 201, r.text);
  return name;
}

/** Uploads an object (PUT must answer 201) and returns the response. */
export async function put(s: Swift, container: string, name: string, body: Body, headers: Record<string, string | number> = {}): Promise<Res> {
  const r = await s.req('PUT', `/${enc(container)}/${enc(name)}`, { body, headers });
  assert.equal(r.status, 201, `PUT ${container}/${name}: ${r.status} ${r.text}`);
  return r;
}

export const md5hex = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

/** Swift's X-Trans-Id shape, which tempest checks. */
export const TRANS_ID = /^tx[0-9a-f]{21}-[0-9a-f]{10}$/;

/**
 * Sends raw bytes on a fresh socket and returns what came back before the server closed it or
 * `waitMs` passed: for requests no HTTP client would send.
 */
export async function rawSocket(s: Swift, text: string | Buffer, opts: { waitMs?: number; endAfterWrite?: boolean } = {}): Promise<string> {
  const { connect } = await import('node:net');
  const host = new URL(s.url);
  return new Promise((resolve) => {
    const sock = connect(Number(host.port), host.hostname);
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, opts.waitMs ?? 500);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('close', done);
    sock.on('error', done);
    sock.write(text);
    if (opts.endAfterWrite) sock.end();
  });
}

/** The status code of the first response in raw HTTP text (0 if none). */
export const statusOf = (raw: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);

/** A `stratus up` child process and the URL it printed. */
export interface UpProcess {
  child: import('node:child_process').ChildProcess;
  url: string;
  exited: Promise<void>;
}

/**
 * Spawns `node bin/stratus.js up --data-dir <dir> --port <port> --no-clouds-yaml` and
 * resolves once it prints `listening on http://...`. Stop it by PID (`child.kill`).
 */
export async function stratusUp(root: string, dataDir: string, port = 0): Promise<UpProcess> {
  const { spawn } = await import('node:child_process');
  const { join } = await import('node:path');
  const child = spawn(process.execPath, [join(root, 'bin/stratus.js'), 'up', '--data-dir', dataDir, '--port', String(port), '--no-clouds-yaml'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`stratus up did not start:\n${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, exited });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stratus up exited (${code}):\n${out}`));
    });
  });
}
