import { Agent, request, type RequestOptions } from 'node:http';
import { connect } from 'node:net';
import { percentileSorted } from './util.js';

/** One request shape, built once and reused for every request of a run. */
export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Status that counts as success. */
  expect: number;
}

export interface LoadResult {
  ok: number;
  errors: number;
  seconds: number;
  rate: number;
  p50: number;
  p99: number;
  /** CPU the load generator itself used, as a fraction of one core. */
  genCpu: number;
  firstError?: string;
}

export interface LoadOptions {
  port: number;
  clients: number;
  seconds: number;
  /** Unmeasured warm-up before the run (JIT, connection setup). */
  warmupSeconds?: number;
  /**
   * 'raw' (default): HTTP/1.1 over net.Socket with a prebuilt request and a minimal parser
   * (status + Content-Length), ~10-20 us of client CPU per request. 'http': node:http with a
   * keep-alive Agent, ~60-100 us per request, which on a 2-CPU machine caps any server at
   * ~9k req/s with 2 clients and so is reported as a cross-check only.
   */
  client?: 'raw' | 'http';
}

/** Per-run bookkeeping shared by both client kinds; the hot path only calls ok/fail. */
class Tally {
  lat = new Float64Array(1 << 16);
  n = 0;
  errors = 0;
  firstError: string | undefined;
  readonly t0 = performance.now();
  readonly end: number;
  tLast = this.t0;
  private readonly cpu0 = process.cpuUsage();
  constructor(seconds: number) {
    this.end = this.t0 + seconds * 1000;
  }
  ok(ms: number): void {
    if (this.n === this.lat.length) {
      const bigger = new Float64Array(this.lat.length * 2);
      bigger.set(this.lat);
      this.lat = bigger;
    }
    this.lat[this.n++] = ms;
  }
  fail(what: string): void {
    this.errors++;
    this.firstError ??= what;
  }
  /** False once the run is over; records the finish time of the last client. */
  more(now: number): boolean {
    if (now < this.end && this.errors <= 1000) return true;
    if (now > this.tLast) this.tLast = now;
    return false;
  }
  result(): LoadResult {
    const seconds = (this.tLast - this.t0) / 1000;
    const cpu = process.cpuUsage(this.cpu0);
    const sorted = this.lat.subarray(0, this.n).sort();
    const r: LoadResult = {
      ok: this.n,
      errors: this.errors,
      seconds,
      rate: this.n / seconds,
      p50: percentileSorted(sorted, 50),
      p99: percentileSorted(sorted, 99),
      genCpu: (cpu.user + cpu.system) / 1e6 / seconds,
    };
    if (this.firstError) r.firstError = this.firstError;
    return r;
  }
}

/**
 * Closed-loop load: `clients` loops, each on one keep-alive connection, each sending the next
 * request as soon as the previous response is complete. The hot path does no JSON parsing and
 * keeps only the status code and a timestamp.
 */
export async function runLoad(o: LoadOptions, spec: RequestSpec): Promise<LoadResult> {
  const once = async (seconds: number) => {
    const t = new Tally(seconds);
    if (o.client === 'http') await httpClients(o, spec, t);
    else await Promise.all(Array.from({ length: o.clients }, () => rawClient(o.port, spec, t)));
    return t.result();
  };
  if (o.warmupSeconds) await once(o.warmupSeconds);
  return once(o.seconds);
}

function headersOf(spec: RequestSpec): Record<string, string | number> {
  const h: Record<string, string | number> = { ...spec.headers };
  if (spec.body) {
    h['content-type'] = 'application/json';
    h['content-length'] = spec.body.length;
  }
  return h;
}

/** node:http with a keep-alive Agent; options reused, bodies drained with res.resume(). */
async function httpClients(o: LoadOptions, spec: RequestSpec, t: Tally): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.clients, maxFreeSockets: o.clients });
  const opts: RequestOptions = { host: '127.0.0.1', port: o.port, method: spec.method, path: spec.path, headers: headersOf(spec), agent };
  const what = `${spec.method} ${spec.path}`;
  const client = () =>
    new Promise<void>((resolve) => {
      const next = (): void => {
        const start = performance.now();
        if (!t.more(start)) return resolve();
        const req = request(opts, (res) => {
          const status = res.statusCode;
          res.on('end', () => {
            if (status === spec.expect) t.ok(performance.now() - start);
            else t.fail(`HTTP ${status} for ${what}`);
            next();
          });
          res.resume();
        });
        req.on('error', (e) => {
          t.fail(`${what}: ${e.message}`);
          setTimeout(next, 10);
        });
        req.end(spec.body);
      };
      next();
    });
  try {
    await Promise.all(Array.from({ length: o.clients }, client));
  } finally {
    agent.destroy();
  }
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** One keep-alive connection speaking just enough HTTP/1.1: a prebuilt request, status + length. */
function rawClient(port: number, spec: RequestSpec, t: Tally): Promise<void> {
  const head = Object.entries(headersOf(spec)).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const req = Buffer.concat([Buffer.from(`${spec.method} ${spec.path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n${head}\r\n`, 'latin1'), spec.body ?? Buffer.alloc(0)]);
  const what = `${spec.method} ${spec.path}`;
  return new Promise<void>((resolve) => {
    const open = (): void => {
      const sock = connect(port, '127.0.0.1');
      sock.setNoDelay(true);
      let buf: Buffer | undefined;
      let need = -1;
      let status = 0;
      let start = 0;
      let done = false;
      const send = (): void => {
        start = performance.now();
        if (!t.more(start)) {
          done = true;
          sock.destroy();
          return resolve();
        }
        sock.write(req);
      };
      const broken = (why: string): void => {
        if (done) return;
        done = true;
        t.fail(`${what}: ${why}`);
        sock.destroy();
        setTimeout(() => (t.more(performance.now()) ? open() : resolve()), 10);
      };
      sock.on('connect', send);
      sock.on('error', (e) => broken(e.message));
      sock.on('close', () => broken('connection closed by the server'));
      sock.on('data', (chunk: Buffer) => {
        buf = buf ? Buffer.concat([buf, chunk]) : chunk;
        if (need < 0) {
          const end = buf.indexOf(CRLF2);
          if (end < 0) return;
          const h = buf.toString('latin1', 0, end);
          status = Number(h.slice(9, 12));
          const len = /\r\ncontent-length: *(\d+)/i.exec(h);
          if (!len) return broken(`response without Content-Length (HTTP ${status})`);
          need = end + 4 + Number(len[1]);
        }
        if (buf.length < need) return;
        if (buf.length > need) return broken('more bytes than one response');
        if (status === spec.expect) t.ok(performance.now() - start);
        else t.fail(`HTTP ${status} for ${what}`);
        buf = undefined;
        need = -1;
        send();
      });
    };
    open();
  });
}

/** One request with the body read, for setup (tokens) and checks; not for the hot path. */
export function fetchOnce(
  port: number,
  spec: Omit<RequestSpec, 'expect'>,
  timeoutMs = 5000,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...spec.headers };
    if (spec.body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = spec.body.length;
    }
    const req = request({ host: '127.0.0.1', port, method: spec.method, path: spec.path, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(spec.body);
  });
}
