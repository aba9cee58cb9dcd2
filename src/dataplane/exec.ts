import { spawn } from 'node:child_process';

/** One host command: argv plus optional stdin (batches for `ip -batch -`, `nft -f -`, `*-restore`). */
export interface Cmd {
  argv: string[];
  input?: string;
  /** A non-zero exit is not an error (deleting what may be absent). */
  mayFail?: boolean;
}

export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A failed host command, with its command line and stderr so the message says what broke. */
export class HostCommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly code: number,
    readonly stderr: string,
  ) {
    super(`'${argv.join(' ')}' exited with ${code}: ${stderr.trim().split('\n').slice(0, 6).join(' | ') || '(no output)'}`);
  }
}

/**
 * Executes commands. The data plane builds command lists (pure, testable: see `planUnderlay`)
 * and hands them to a runner; tests use `RecordingRunner` to check exactly what would run.
 */
export interface Runner {
  run(cmd: Cmd): Promise<CmdResult>;
}

/** Runs commands on this host with `spawn` (no shell). */
export const hostRunner: Runner = {
  run(cmd) {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd.argv[0]!, cmd.argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => reject(new HostCommandError(cmd.argv, 127, e.message)));
      child.stdin.on('error', () => {}); // the command may exit before reading its input
      child.on('close', (code) => {
        const r = { code: code ?? 128, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
        if (r.code !== 0 && !cmd.mayFail) reject(new HostCommandError(cmd.argv, r.code, r.stderr || r.stdout));
        else resolve(r);
      });
      child.stdin.end(cmd.input ?? '');
    });
  },
};

/** Records commands instead of running them; answers every one with exit 0 and no output. */
export class RecordingRunner implements Runner {
  readonly cmds: Cmd[] = [];
  async run(cmd: Cmd): Promise<CmdResult> {
    this.cmds.push(cmd);
    return { code: 0, stdout: '', stderr: '' };
  }
  /** The recorded command lines, each joined with spaces (stdin shown after ` <<< `). */
  lines(): string[] {
    return this.cmds.map((c) => c.argv.join(' ') + (c.input ? ` <<< ${c.input.trim()}` : ''));
  }
}

/** Runs a list of commands in order, stopping at the first failure. */
export async function runAll(runner: Runner, cmds: Cmd[]): Promise<void> {
  for (const c of cmds) await runner.run(c);
}

/** The path of a named network namespace, as `ip netns add` creates it. */
export function netnsPath(ns: string): string {
  return `/run/netns/${ns}`;
}

/**
 * `argv` run inside the network namespace `ns`. `nsenter --net` only switches the network
 * namespace; `ip netns exec` would also remount /sys, which hides cgroup files from runtimes.
 */
export function inNetns(ns: string, argv: string[]): string[] {
  return ['nsenter', `--net=${netnsPath(ns)}`, '--', ...argv];
}

/** One `ip -batch -` per namespace (`ip -batch` does not take `-n` per line). */
export function ipBatch(ns: string, lines: string[]): Cmd {
  return { argv: ['ip', '-n', ns, '-batch', '-'], input: lines.join('\n') + '\n' };
}

/** One atomic nftables transaction inside `ns`. */
export function nftScript(ns: string, script: string): Cmd {
  return { argv: inNetns(ns, ['nft', '-f', '-']), input: script };
}

/** Replaces the whole `filter` table of iptables-nft (IPv4 or IPv6) inside `ns`, atomically. */
export function iptablesRestore(ns: string, family: 4 | 6, rules: string): Cmd {
  return { argv: inNetns(ns, [family === 4 ? 'iptables-nft-restore' : 'ip6tables-nft-restore']), input: rules };
}

/** Sets a sysctl inside `ns` (/proc/sys/net follows the network namespace of the writer). */
export function sysctl(ns: string, key: string, value: string): Cmd {
  return { argv: inNetns(ns, ['sysctl', '-q', '-w', `${key}=${value}`]) };
}

/** Sets several sysctls inside `ns` with one process. */
export function sysctls(ns: string, kv: Record<string, string>): Cmd {
  return { argv: inNetns(ns, ['sysctl', '-q', '-w', ...Object.entries(kv).map(([k, v]) => `${k}=${v}`)]) };
}

/** `ip -json` output of `args` in `ns`, parsed; [] when the namespace or object is absent. */
export async function ipJson<T = Record<string, unknown>>(runner: Runner, ns: string | null, args: string[]): Promise<T[]> {
  const argv = ['ip', '-json', ...(ns ? ['-n', ns] : []), ...args];
  const r = await runner.run({ argv, mayFail: true });
  if (r.code !== 0 || !r.stdout.trim()) return [];
  return JSON.parse(r.stdout) as T[];
}
