import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

// NOTE: src/dataplane/exec.ts has a Runner with the same spawn logic for command lists; this is
// the direct form the OCI runtime code (compute `container` driver, pod runtime) uses.

export interface HostResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A host tool that failed; the message names the command and quotes its stderr. */
export class HostError extends Error {
  constructor(
    readonly argv: string[],
    readonly code: number,
    readonly stderr: string,
  ) {
    super(`'${argv.join(' ')}' exited with ${code}: ${stderr.trim().split('\n').slice(0, 4).join(' | ') || '(no output)'}`);
  }
}

/** Runs `argv` without a shell. Rejects on a non-zero exit unless `mayFail`. */
export function sh(argv: string[], opts: { input?: string; mayFail?: boolean } = {}): Promise<HostResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new HostError(argv, 127, e.message)));
    child.on('close', (code, signal) => {
      const r = { code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (r.code !== 0 && !opts.mayFail) reject(new HostError(argv, r.code, r.stderr || r.stdout));
      else resolve(r);
    });
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
  });
}

/** FIFO async mutex (the same as src/core/mutex.ts; kept here so this module stands alone). */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<R>(fn: () => Promise<R> | R): Promise<R> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `test` every `everyMs` until it is true or `timeoutMs` passed; resolves the last answer. */
export async function until(test: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 10): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await test()) return true;
    if (Date.now() >= end) return false;
    await sleep(everyMs);
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Start time of a process (field 22 of /proc/<pid>/stat), to tell a reused pid apart. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Mount points listed in a mountinfo text (field 5), with `\040`-style escapes decoded. */
export function mountPoints(mountinfo: string): Set<string> {
  const out = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    if (f.length > 5) out.add(f[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}
