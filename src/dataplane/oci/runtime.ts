import { existsSync, mkdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mountPoints, sh, type HostResult } from './host.js';

export type CgroupMode = 'v1' | 'v2' | 'hybrid';
export type RuntimeName = 'crun' | 'runc';

const CGROUP2_MAGIC = 0x63677270;
/** The v1 hierarchies shown to crun on a hybrid host (dataplane.md §2). */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids'];

/** How this host's cgroups are mounted: pure v2, pure v1, or v1 with a v2 hierarchy beside it. */
export function cgroupMode(): CgroupMode {
  try {
    if (statfsSync('/sys/fs/cgroup').type === CGROUP2_MAGIC) return 'v2';
  } catch {
    return 'v1';
  }
  return existsSync('/sys/fs/cgroup/unified/cgroup.controllers') ? 'hybrid' : 'v1';
}

async function has(bin: string): Promise<boolean> {
  return (await sh([bin, '--version'], { mayFail: true }).catch(() => ({ code: 127 }))).code === 0;
}

/** A container state as the runtime reports it. */
export interface RuntimeState {
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
}

/**
 * One OCI runtime (crun or runc) with its own state directory.
 *
 * On a hybrid-cgroup host crun refuses to run ("cgroups in hybrid mode not supported"), so it
 * runs inside a private mount namespace in which `/sys/fs/cgroup` shows only the v1
 * hierarchies; runc works as is. That namespace is kept in a file (`unshare --mount=<file>`)
 * so that it outlives this process, and every runtime command, and every mount the
 * containers use (image, root disk, overlay), is made inside it with `nsenter --mount`: the
 * host's `/` is not a shared mount, so mounts made outside would not reach it.
 */
export class Runtime {
  readonly name: RuntimeName;
  /** The persistent mount namespace file, or null when commands run in the host's namespace. */
  readonly mntns: string | null;

  private constructor(
    name: RuntimeName,
    private readonly root: string,
    mntns: string | null,
  ) {
    this.name = name;
    this.mntns = mntns;
  }

  /**
   * Picks the runtime: crun when installed (faster: 23 ms to the first process against 40 ms),
   * in the v1-only mount namespace when the host is hybrid; else runc. `prefer` forces one.
   */
  static async probe(stateDir: string, prefer?: RuntimeName): Promise<Runtime> {
    const mode = cgroupMode();
    const crun = prefer !== 'runc' && (await has('crun'));
    const runc = prefer !== 'crun' && (await has('runc'));
    if (!crun && !runc) throw new Error('no OCI runtime found: install one with: apt-get install -y crun (or runc)');
    const root = join(stateDir, 'runtime');
    mkdirSync(root, { recursive: true });
    if (!crun) return new Runtime('runc', root, null);
    if (mode !== 'hybrid') return new Runtime('crun', root, null);
    return new Runtime('crun', root, await ensureV1Namespace(join(stateDir, 'mntns')));
  }

  /** `argv` run inside the runtime's mount namespace (unchanged when there is none). */
  wrap(argv: string[]): string[] {
    return this.mntns ? ['nsenter', `--mount=${this.mntns}`, '--', ...argv] : argv;
  }

  /** A host command in the runtime's mount namespace. */
  host(argv: string[], opts: { input?: string; mayFail?: boolean } = {}): Promise<HostResult> {
    return sh(this.wrap(argv), opts);
  }

  /** The runtime's own command line for `args` (with its state root). */
  argv(args: string[]): string[] {
    return this.wrap([this.name, '--root', this.root, ...args]);
  }

  run(args: string[], mayFail = false): Promise<HostResult> {
    return sh(this.argv(args), { mayFail });
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    const r = await this.run(['state', id], true);
    if (r.code !== 0) return undefined;
    try {
      const s = JSON.parse(r.stdout) as { status: RuntimeState['status']; pid: number };
      return { status: s.status, pid: s.pid };
    } catch {
      return undefined;
    }
  }

  /** Mount points visible to the runtime (its namespace's mountinfo). */
  async mounts(): Promise<Set<string>> {
    if (!this.mntns) return mountPoints(readFileSync('/proc/self/mountinfo', 'utf8'));
    return mountPoints((await this.host(['cat', '/proc/self/mountinfo'])).stdout);
  }
}

/**
 * Creates (or adopts) the v1-only mount namespace kept in `<dir>/mnt`. `<dir>` is bind-mounted
 * onto itself and made private, as a namespace file must not sit on a shared mount. `/run/netns`
 * is made a shared mount first (what `ip netns add` does), so instance namespaces created later
 * show up inside (slave propagation).
 */
export async function ensureV1Namespace(dir: string): Promise<string> {
  const file = join(dir, 'mnt');
  const points = mountPoints(readFileSync('/proc/self/mountinfo', 'utf8'));
  if (points.has(file)) return file;
  mkdirSync(dir, { recursive: true });
  mkdirSync('/run/netns', { recursive: true });
  if (!points.has('/run/netns')) {
    await sh(['mount', '--bind', '/run/netns', '/run/netns']);
  }
  await sh(['mount', '--make-shared', '/run/netns']);
  if (!points.has(dir)) {
    await sh(['mount', '--bind', dir, dir]);
    await sh(['mount', '--make-private', dir]);
  }
  writeFileSync(file, '');
  const script = [
    'set -e',
    'mount -t tmpfs -o mode=755,size=64k stratus-cgroup /sys/fs/cgroup',
    ...V1_CONTROLLERS.map((c) => `mkdir -p /sys/fs/cgroup/${c} && mount -t cgroup -o ${c} cgroup /sys/fs/cgroup/${c}`),
    'mkdir -p /sys/fs/cgroup/systemd && mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd',
  ].join('\n');
  await sh(['unshare', `--mount=${file}`, '--propagation', 'slave', 'sh', '-c', script]);
  return file;
}

/** Releases the namespace: unmounts its file and the private bind under it. */
export async function dropV1Namespace(dir: string): Promise<void> {
  const file = join(dir, 'mnt');
  const points = mountPoints(readFileSync('/proc/self/mountinfo', 'utf8'));
  if (points.has(file)) await sh(['umount', file], { mayFail: true });
  if (points.has(dir)) await sh(['umount', dir], { mayFail: true });
}
