import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { parseQuantity } from '../../scheduler/quantity.js';
import type { ContainerConfig, SecurityConfig } from '../runtime.js';

/**
 * Pure pieces of the crun pod runtime: how a container's process, environment, user, limits
 * and OCI `config.json` follow from the pod spec and the image config, and the pod's
 * `/etc/hosts` and `/etc/resolv.conf`. Written from the Kubernetes documentation of each field.
 */

/** The parts of an image config the runtime reads (OCI image config `config` object). */
export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A pod-spec error that the user fixes in the spec: becomes `CreateContainerError`. */
export class SpecError extends Error {}

/**
 * Expands `$(VAR)` from `env` as Kubernetes does in command, args and env values: an unknown
 * name stays as written, `$$` is a literal `$`.
 */
export function expandVars(s: string, env: Map<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return env.has(name!) ? env.get(name!)! : m;
  });
}

/**
 * The container's environment: PATH (the image's, else the usual default), HOSTNAME, the
 * image's variables, then the container's (which win, each expanded against those before it).
 */
export function resolveEnv(image: ImageConfig, container: { name: string; value: string }[], hostname: string): Map<string, string> {
  const env = new Map<string, string>([['PATH', DEFAULT_PATH], ['HOSTNAME', hostname]]);
  for (const kv of image.env ?? []) {
    const i = kv.indexOf('=');
    if (i > 0) env.set(kv.slice(0, i), kv.slice(i + 1));
  }
  for (const e of container) env.set(e.name, expandVars(e.value, env));
  return env;
}

/**
 * argv as Kubernetes builds it: `command` replaces the image's ENTRYPOINT (and then its CMD is
 * not used), `args` replaces CMD.
 */
export function resolveArgv(c: Pick<ContainerConfig, 'command' | 'args'>, image: ImageConfig, env: Map<string, string>): string[] {
  const args = c.args.map((a) => expandVars(a, env));
  const argv = c.command.length ? [...c.command.map((a) => expandVars(a, env)), ...args] : [...(image.entrypoint ?? []), ...(c.args.length ? args : (image.cmd ?? []))];
  if (!argv.length) throw new SpecError('no command specified: the container has no command or args, and its image has no ENTRYPOINT or CMD');
  return argv;
}

/** Looks a user or group name up in the image's `/etc/passwd` or `/etc/group` (highest layer first). */
function lookup(layers: string[], file: 'passwd' | 'group', name: string): { id: number; gid?: number } | undefined {
  for (const dir of [...layers].reverse()) {
    let text: string;
    try {
      text = readFileSync(join(dir, 'etc', file), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length >= 3) return { id: Number(f[2]), gid: file === 'passwd' ? Number(f[3]) : undefined };
    }
    return undefined;
  }
  return undefined;
}

/** uid/gid: `securityContext.runAsUser/runAsGroup`, else the image's `user` (`uid`, `uid:gid`, `name`, `name:group`), else root. */
export function resolveUser(sec: SecurityConfig | undefined, imageUser: string | undefined, layers: string[]): { uid: number; gid: number } {
  let uid = 0;
  let gid = 0;
  if (imageUser) {
    const [u, g] = imageUser.split(':');
    if (u && /^\d+$/.test(u)) uid = Number(u);
    else if (u) {
      const found = lookup(layers, 'passwd', u);
      if (!found) throw new SpecError(`the image's user "${u}" is not in its /etc/passwd; set securityContext.runAsUser`);
      uid = found.id;
      gid = found.gid ?? 0;
    }
    if (g && /^\d+$/.test(g)) gid = Number(g);
    else if (g) {
      const found = lookup(layers, 'group', g);
      if (!found) throw new SpecError(`the image's group "${g}" is not in its /etc/group; set securityContext.runAsGroup`);
      gid = found.id;
    }
  }
  if (sec?.runAsUser !== undefined) uid = sec.runAsUser;
  if (sec?.runAsGroup !== undefined) gid = sec.runAsGroup;
  return { uid, gid };
}

/** The container runtime's default capabilities (Docker's set, as containerd grants them to pods). */
export const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];
const ALL_CAPS = [
  ...DEFAULT_CAPS, 'CAP_DAC_READ_SEARCH', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_LEASE', 'CAP_AUDIT_CONTROL', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Capabilities after `securityContext.capabilities` add/drop (`NET_ADMIN` or `CAP_NET_ADMIN`, `ALL`). */
export function resolveCaps(sec: SecurityConfig | undefined): string[] {
  if (sec?.privileged) return [...ALL_CAPS];
  const norm = (c: string) => (c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`);
  const drop = (sec?.capabilities?.drop ?? []).map(norm);
  const add = (sec?.capabilities?.add ?? []).map(norm);
  let caps = drop.includes('CAP_ALL') ? [] : DEFAULT_CAPS.filter((c) => !drop.includes(c));
  if (add.includes('CAP_ALL')) caps = [...ALL_CAPS];
  for (const c of add) if (c !== 'CAP_ALL' && ALL_CAPS.includes(c) && !caps.includes(c)) caps.push(c);
  return caps;
}

/** cgroup limits from `resources` as the kubelet maps them (cgroup v1): quota from the cpu limit, shares from the request, memory limit. */
export function resourceLimits(res: ContainerConfig['resources'], pidsLimit: number | undefined): { memory?: number; cpuQuota?: number; cpuPeriod?: number; cpuShares: number; pids?: number } {
  const lim = res?.limits ?? {};
  const req = res?.requests ?? {};
  const cpuLimit = parseQuantity(lim.cpu);
  const cpuRequest = parseQuantity(req.cpu) ?? cpuLimit;
  const memory = parseQuantity(lim.memory);
  const out: { memory?: number; cpuQuota?: number; cpuPeriod?: number; cpuShares: number; pids?: number } = {
    // No request: the minimum (2), as the kubelet gives BestEffort containers.
    cpuShares: cpuRequest ? Math.min(262_144, Math.max(2, Math.round(cpuRequest * 1024))) : 2,
  };
  if (cpuLimit !== undefined && cpuLimit > 0) {
    out.cpuPeriod = 100_000;
    out.cpuQuota = Math.max(1000, Math.round(cpuLimit * 100_000));
  }
  if (memory !== undefined && memory > 0) out.memory = Math.max(4 * 2 ** 20, Math.round(memory));
  if (pidsLimit !== undefined) out.pids = pidsLimit;
  return out;
}

/** `/etc/resolv.conf` for a pod: `nameserver`s, the search path and options. */
export function resolvConf(nameservers: string[], searches: string[], options: string[]): string {
  const lines = nameservers.map((n) => `nameserver ${n}`);
  if (searches.length) lines.push(`search ${searches.join(' ')}`);
  if (options.length) lines.push(`options ${options.join(' ')}`);
  return lines.join('\n') + '\n';
}

/** The pod's `/etc/hosts`: localhost entries, then its IP with its hostname (and FQDN when a subdomain is set). */
export function hostsFile(ip: string, hostname: string, fqdn?: string): string {
  return [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    `${ip}\t${fqdn ? `${fqdn}\t` : ''}${hostname}`,
    '',
  ].join('\n');
}

/** A hostname as the kernel takes it (≤ 63 characters, no trailing dot or dash). */
export function podHostname(name: string): string {
  return name.slice(0, 63).replace(/[.-]+$/, '') || 'pod';
}

/** Resolves `subPath` under `base`, refusing absolute paths and `..` (they would escape the volume). */
export function subPathUnder(base: string, subPath: string | undefined): string {
  if (!subPath) return base;
  const n = normalize(subPath);
  if (n.startsWith('/') || n === '..' || n.startsWith('../')) throw new SpecError(`subPath "${subPath}" must be a relative path inside the volume`);
  return join(base, n);
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface PodOciSpec {
  rootfs: string;
  argv: string[];
  env: Map<string, string>;
  cwd: string;
  user: { uid: number; gid: number };
  caps: string[];
  readonlyRoot: boolean;
  /** Bind mounts: /etc/hosts, resolv.conf, hostname, /dev/shm, volumes. */
  binds: OciMount[];
  cgroupsPath: string;
  netns: string;
  /** `/proc/<pid>/ns/ipc` and `…/uts` of the pod's namespace holder. */
  ipcns: string;
  utsns: string;
  privileged: boolean;
}

/** Character devices every container may use: null, zero, full, random, urandom, tty, ptmx, pts. */
const CHAR_DEVICES: [number, number | null][] = [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 2], [136, null]];

/** The OCI `config.json` of one pod container: its own pid and mount namespaces, the pod's net, ipc and uts. */
export function ociPodConfig(s: PodOciSpec): Record<string, unknown> {
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ...s.binds,
  ];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: s.user.uid, gid: s.user.gid },
      args: s.argv,
      env: [...s.env].map(([k, v]) => `${k}=${v}`),
      cwd: s.cwd || '/',
      capabilities: { bounding: s.caps, effective: s.caps, permitted: s.caps, inheritable: [], ambient: [] },
      noNewPrivileges: false,
      oomScoreAdj: 0,
    },
    root: { path: s.rootfs, readonly: s.readonlyRoot },
    mounts,
    linux: {
      cgroupsPath: s.cgroupsPath,
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'cgroup' }, { type: 'network', path: s.netns }, { type: 'ipc', path: s.ipcns }, { type: 'uts', path: s.utsns }],
      resources: {
        devices: s.privileged
          ? [{ allow: true, access: 'rwm' }]
          : [{ allow: false, access: 'rwm' }, ...CHAR_DEVICES.map(([major, minor]) => ({ allow: true, type: 'c', major, ...(minor === null ? {} : { minor }), access: 'rwm' }))],
      },
      ...(s.privileged
        ? {}
        : {
            maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
            readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
          }),
    },
  };
}
