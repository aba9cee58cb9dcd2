import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv } from './proc.js';

/** Compiled to dist/test/support/: the checkout root is three levels up. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'stratus.js');

/** A free TCP port on 127.0.0.1 (below the ephemeral range is not guaranteed). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface StratusProcess {
  proc: ChildProcess;
  url: string;
  /** SIGTERM, then SIGKILL after `graceMs`; always by this child's PID. */
  stop(graceMs?: number): Promise<void>;
}

/** `stratus up` in its own process, the way a user runs it; resolves once /health is 200. */
export async function startStratusProcess(dataDir: string, opts: { port?: number; env?: Record<string, string>; readyMs?: number } = {}): Promise<StratusProcess> {
  const port = opts.port ?? (await freePort());
  const proc = spawn(process.execPath, [BIN, 'up', '--data-dir', dataDir, '--port', String(port), '--no-clouds-yaml', '--log-level', 'warn'], {
    stdio: 'ignore',
    env: cleanEnv(opts.env),
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async (graceMs = 10_000) => {
    if (!proc.pid || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    process.kill(proc.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
    if (proc.exitCode === null && proc.signalCode === null) {
      process.kill(proc.pid, 'SIGKILL');
      await exited;
    }
  };
  const end = Date.now() + (opts.readyMs ?? 30_000);
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`stratus up exited with ${proc.exitCode}`);
    if (await fetch(`${url}/health`).then((r) => r.status === 200, () => false)) return { proc, url, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop(0);
  throw new Error(`stratus up did not become healthy within ${(opts.readyMs ?? 30_000) / 1000} s`);
}

/** An admin token (admin/secret on project admin). */
export async function adminToken(url: string): Promise<string> {
  const r = await fetch(`${url}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'secret' } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  });
  if (r.status !== 201) throw new Error(`admin token: ${r.status} ${await r.text()}`);
  return r.headers.get('x-subject-token')!;
}
