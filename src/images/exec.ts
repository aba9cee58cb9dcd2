import { spawn } from 'node:child_process';

/** The outcome of one host tool run. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a host tool without a shell and collects its output. Rejects when it cannot be started
 * or exits non-zero, with the tool's own message, so callers can tell the user what to fix.
 */
export function exec(cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new Error(`cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code, signal) => {
      const r = { code: code ?? 128, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (r.code !== 0 && !opts.allowFail) {
        reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${r.code}`}): ${r.stderr.trim() || r.stdout.trim()}`));
      } else resolve(r);
    });
    if (child.stdin) {
      child.stdin.on('error', () => {}); // a tool that exits without reading its input: its exit code tells
      child.stdin.end(opts.input);
    }
  });
}
