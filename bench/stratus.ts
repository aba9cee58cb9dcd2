import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchOnce, type RequestSpec } from './load.js';
import { freePort, sleep, stopChild, track } from './util.js';

/** The checkout root: dist/bench/stratus.js -> ../.. */
export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'stratus.js');

export const TOKEN_PATH = '/identity/v3/auth/tokens';
export const PASSWORD_BODY = Buffer.from(
  JSON.stringify({
    auth: {
      identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'secret' } } },
      scope: { project: { name: 'admin', domain: { id: 'default' } } },
    },
  }),
);
export const ISSUE: RequestSpec = { method: 'POST', path: TOKEN_PATH, body: PASSWORD_BODY, expect: 201 };

export interface RunningStratus {
  child: ChildProcess;
  pid: number;
  port: number;
  /** Milliseconds from spawn to the first 201 from POST /auth/tokens. */
  firstTokenMs: number;
  token: string;
  logFile: string;
}

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // The bench authenticates as admin/secret and picks its own data dir.
  delete env.STRATUS_ADMIN_PASSWORD;
  delete env.STRATUS_DATA_DIR;
  // These parts measure the control planes on the fake drivers, also when run as root (the real
  // data plane has its own part, bench/dataplane.ts).
  env.STRATUS_DATAPLANE = 'fake';
  return env;
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Spawn `node bin/stratus.js up` on `dataDir` and time spawn -> first token, polling POST
 * /auth/tokens every `pollMs`. Output goes to a log file in `logDir` (not a pipe we would have
 * to drain). Retries on another port if the chosen one was taken in the meantime.
 */
export async function startStratus(dataDir: string, logDir: string, name: string, pollMs = 5): Promise<RunningStratus> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const logFile = join(logDir, `${name}.log`);
    const fd = openSync(logFile, 'w');
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, 'up', '--data-dir', dataDir, '--port', String(port), '--no-clouds-yaml'], {
      cwd: ROOT,
      env: childEnv(),
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    track(child);
    try {
      const { ms, token } = await firstToken(child, port, t0, pollMs);
      return { child, pid: child.pid!, port, firstTokenMs: ms, token, logFile };
    } catch (e) {
      await stopChild(child);
      const log = tail(logFile);
      if (attempt < 2 && /in use/.test(log)) continue;
      throw new Error(`${(e as Error).message}\n--- ${logFile} (last lines)\n${log}`);
    }
  }
}

async function firstToken(child: ChildProcess, port: number, t0: number, pollMs: number): Promise<{ ms: number; token: string }> {
  const deadline = t0 + 60_000;
  let last = 'no answer';
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`stratus up exited early (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    try {
      const r = await fetchOnce(port, ISSUE, 10_000);
      if (r.status === 201) {
        const tok = r.headers['x-subject-token'];
        if (typeof tok !== 'string') throw new Error('201 without X-Subject-Token');
        return { ms: performance.now() - t0, token: tok };
      }
      last = `HTTP ${r.status}: ${r.body.slice(0, 200)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(pollMs);
  }
  throw new Error(`no token from stratus within 60 s (last: ${last})`);
}

/** Spawn-to-exit time of `node -e ''`: the floor any Node CLI start pays. */
export function bareNodeMs(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    track(c);
    c.once('error', reject);
    c.once('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`node -e '' exited ${code}`))));
  });
}

/** Baseline servers answering `{}` to everything, port in argv[1]: the ceilings under Stratus. */
export const BARE_HTTP_SRC =
  "const s = require('http').createServer((q, r) => { q.resume(); q.on('end', () => { r.setHeader('content-type', 'application/json'); r.end('{}'); }); });" +
  " s.keepAliveTimeout = 120000; s.listen(Number(process.argv[1]), '127.0.0.1');";
export const BARE_FASTIFY_SRC =
  "import Fastify from 'fastify'; const app = Fastify({ logger: false, keepAliveTimeout: 120000 });" +
  " app.all('/*', async () => ({})); await app.listen({ host: '127.0.0.1', port: Number(process.argv[1]) });";

/** Spawn a baseline server script (`-e` source taking the port as argv[1]) and wait until it answers. */
export async function startBaseline(src: string, name: string, logDir: string, esm = false): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'w');
  const args = esm ? ['--input-type=module', '-e', src, String(port)] : ['-e', src, String(port)];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  track(child);
  const deadline = performance.now() + 20_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      await fetchOnce(port, { method: 'GET', path: '/' }, 2000);
      return { child, port };
    } catch {
      await sleep(10);
    }
  }
  await stopChild(child);
  throw new Error(`baseline ${name} did not start\n${tail(logFile)}`);
}
