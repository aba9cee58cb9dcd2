import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A host tool the data plane runs, and the Debian package that ships it. */
export interface Tool {
  bin: string;
  pkg: string;
  /** What needs it: the network driver, the compute driver, or the test suites. */
  for: 'network' | 'compute' | 'tests';
  /** Another binary that serves instead. */
  alt?: string;
}

/** Every host tool of the real data plane. */
export const TOOLS: Tool[] = [
  { bin: 'ip', pkg: 'iproute2', for: 'network' },
  { bin: 'nft', pkg: 'nftables', for: 'network' },
  { bin: 'iptables-nft-restore', pkg: 'iptables', for: 'network' },
  { bin: 'dnsmasq', pkg: 'dnsmasq-base', for: 'network' },
  { bin: 'nsenter', pkg: 'util-linux', for: 'network' },
  { bin: 'setpriv', pkg: 'util-linux', for: 'network' },
  // crun, or runc when crun is absent (the compute driver probes which one works).
  { bin: 'crun', pkg: 'crun', for: 'compute', alt: 'runc' },
  { bin: 'busybox', pkg: 'busybox-static', for: 'compute' },
  { bin: 'dropbear', pkg: 'dropbear-bin', for: 'compute' },
  { bin: 'mkfs.ext4', pkg: 'e2fsprogs', for: 'compute' },
  { bin: 'qemu-img', pkg: 'qemu-utils', for: 'compute' },
  { bin: 'genisoimage', pkg: 'genisoimage', for: 'compute' },
  { bin: 'ssh', pkg: 'openssh-client', for: 'tests' },
  { bin: 'ping', pkg: 'iputils-ping', for: 'tests' },
  { bin: 'socat', pkg: 'socat', for: 'tests' },
  { bin: 'tcpdump', pkg: 'tcpdump', for: 'tests' },
];

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The absolute path of `bin` on PATH (plus the sbin directories), or undefined. */
export function which(bin: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...SBIN]) {
    if (!dir) continue;
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return join(dir, bin);
    } catch {
      // not here
    }
  }
  return undefined;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export interface Probe {
  root: boolean;
  /** Tools not found, with their packages. */
  missing: Tool[];
}

/** Root and the tools needed `for` the given parts of the data plane. */
export function probe(parts: Tool['for'][] = ['network', 'compute']): Probe {
  return { root: isRoot(), missing: TOOLS.filter((t) => parts.includes(t.for) && !which(t.bin) && !(t.alt && which(t.alt))) };
}

/** The distinct Debian packages of `tools`. */
export function packagesOf(tools: Tool[]): string[] {
  return [...new Set(tools.map((t) => t.pkg))];
}

/** The command a user runs to install `pkgs`. */
export function installCommand(pkgs: string[]): string {
  return `apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
}

/**
 * Installs Debian packages with apt-get (root only), reporting each step through `progress`.
 * Resolves true on success; false (with the reason in `progress`) when apt is absent or fails.
 */
export async function aptInstall(pkgs: string[], progress: (line: string) => void): Promise<boolean> {
  if (!which('apt-get')) {
    progress(`apt-get not found: install ${pkgs.join(', ')} with your package manager`);
    return false;
  }
  const step = (argv: string[]) =>
    new Promise<boolean>((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      let last = '';
      const onLine = (b: Buffer) => {
        for (const line of b.toString().split('\n')) {
          const l = line.trim();
          if (/^(Get:|Unpacking|Setting up)/.test(l)) progress(l.slice(0, 100));
          if (l) last = l;
        }
      };
      child.stdout.on('data', onLine);
      child.stderr.on('data', onLine);
      child.on('error', () => resolve(false));
      child.on('close', (code) => {
        if (code !== 0) progress(`'${argv.join(' ')}' failed (${code}): ${last}`);
        resolve(code === 0);
      });
    });
  progress('apt-get update');
  if (!(await step(['apt-get', 'update', '-q']))) return false;
  progress(`apt-get install ${pkgs.join(' ')}`);
  return step(['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...pkgs]);
}
