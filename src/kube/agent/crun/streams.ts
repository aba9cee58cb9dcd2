import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Duplex, PassThrough, type Readable } from 'node:stream';
import { until } from '../../../dataplane/oci/index.js';
import type { ExecRequest, ExecSession, LogOptions } from '../../api.js';
import { KubeError } from '../../errors.js';
import type { CrunState } from './context.js';
import { logStream } from './logs.js';
import type { ContainerRecord, SandboxRecord } from './state.js';

// Streams of the crun runtime's pods: logs, exec, attach and port-forward.

function find(s: CrunState, namespace: string, pod: string): SandboxRecord {
  let found: SandboxRecord | undefined;
  for (const r of s.pods.values()) if (r.namespace === namespace && r.name === pod && (!found || r.createdAt > found.createdAt)) found = r;
  if (!found) throw new KubeError(404, 'NotFound', `pod "${pod}" not found on this node`);
  return found;
}

function instances(rec: SandboxRecord, container: string): ContainerRecord[] {
  return rec.containers.filter((c) => c.name === container).sort((a, b) => b.attempt - a.attempt || b.startedAt - a.startedAt);
}

function running(s: CrunState, namespace: string, pod: string, container: string): { rec: SandboxRecord; c: ContainerRecord } {
  const rec = find(s, namespace, pod);
  const c = instances(rec, container)[0];
  if (!c) throw KubeError.badRequest(`container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
  if (c.state !== 'running') throw KubeError.badRequest(`container "${container}" in pod "${pod}" is not running (it exited with code ${c.exitCode})`);
  return { rec, c };
}

export async function logs(s: CrunState, namespace: string, pod: string, container: string, opts: LogOptions): Promise<Readable> {
  const rec = find(s, namespace, pod);
  const all = instances(rec, container);
  const c = opts.previous ? all[1] : all[0];
  if (!c) {
    if (opts.previous) throw KubeError.badRequest(`previous terminated container "${container}" in pod "${pod}" not found`);
    throw KubeError.badRequest(`container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
  }
  return logStream(s.store.path(rec.uid, 'c', c.hex, 'log'), opts, () => c.state === 'exited' || !s.pods.has(rec.uid));
}

export async function exec(s: CrunState, req: ExecRequest): Promise<ExecSession> {
  const { c } = running(s, req.namespace, req.pod, req.container);
  if (!req.command.length) throw KubeError.badRequest('exec needs a command');
  const rt = await s.runtime();
  const crunArgv = rt.argv(['exec', ...(req.tty ? ['--tty'] : []), c.hex, ...req.command]);
  // NOTE: Node has no pty; with a tty, util-linux `script` gives crun one (it then relays
  // the terminal itself), so the command sees a terminal and stderr is merged.
  const argv = req.tty ? ['script', '-qfec', crunArgv.map(shq).join(' '), '/dev/null'] : crunArgv;
  return session(argv, req);
}

export async function attach(s: CrunState, req: ExecRequest): Promise<ExecSession> {
  const { rec, c } = running(s, req.namespace, req.pod, req.container);
  if (req.stdin && !c.stdin) throw KubeError.badRequest(`container "${req.container}" in pod "${req.pod}" was not started with stdin: true; attach without stdin, or set stdin in the pod spec`);
  const cdir = s.store.path(rec.uid, 'c', c.hex);
  const done = () => c.state === 'exited' || !s.pods.has(rec.uid);
  const size = existsSync(join(cdir, 'log')) ? statSync(join(cdir, 'log')).size : 0;
  const follow = (stream?: 'stdout' | 'stderr') => logStream(join(cdir, 'log'), { follow: true }, done, 50, { stream, from: size });
  const stdout = req.stdout ? follow(req.tty ? undefined : 'stdout') : null;
  const stderr = req.stderr && !req.tty ? follow('stderr') : null;
  let stdin: PassThrough | null = null;
  if (req.stdin) {
    stdin = new PassThrough();
    const fifo = createWriteStream(join(cdir, 'stdin'), { flags: 'a' });
    fifo.on('error', () => undefined);
    stdin.pipe(fifo);
  }
  let ended = false;
  const exit = (async () => {
    await until(() => ended || done(), 24 * 3600_000, 50);
    return c.state === 'exited' ? (c.exitCode ?? 0) : 0;
  })();
  return {
    stdin,
    stdout,
    stderr,
    resize: () => undefined,
    exit,
    kill: () => {
      ended = true;
      stdout?.destroy();
      stderr?.destroy();
      stdin?.end();
    },
  };
}

export async function portForward(s: CrunState, namespace: string, pod: string, port: number): Promise<Duplex> {
  const rec = find(s, namespace, pod);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw KubeError.badRequest(`port ${port} is not a TCP port (1-65535)`);
  const child = spawn('nsenter', [`--net=${rec.netns}`, '--', 'socat', 'STDIO', `TCP:127.0.0.1:${port}`], { stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdin.on('error', () => undefined);
  const d = Duplex.from({ readable: child.stdout, writable: child.stdin });
  d.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  child.on('error', (err) => d.destroy(err));
  return d;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** An exec session over a spawned command. */
function session(argv: string[], req: ExecRequest): ExecSession {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: [req.stdin ? 'pipe' : 'ignore', 'pipe', req.tty ? 'ignore' : 'pipe'] });
  child.stdin?.on('error', () => undefined);
  const exit = new Promise<number>((res) => {
    child.on('error', () => res(126));
    child.on('close', (code, signal) => res(code ?? (signal ? 128 + 9 : 1)));
  });
  return {
    stdin: child.stdin ?? null,
    stdout: req.stdout ? child.stdout! : (child.stdout!.resume(), null),
    stderr: req.tty ? null : req.stderr ? child.stderr : (child.stderr?.resume(), null),
    resize: () => undefined,
    exit,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
