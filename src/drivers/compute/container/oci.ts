import type { FlavorSpec } from '../driver.js';

/** A block device the container sees (a volume on a loop device). */
export interface GuestDevice {
  path: string;
  major: number;
  minor: number;
  /** Read-only to the guest (the config drive). */
  readOnly?: boolean;
}

export interface BundleSpec {
  rootfs: string;
  hostname: string;
  netnsPath: string;
  cgroupsPath: string;
  flavor: FlavorSpec;
  devices: GuestDevice[];
  /** A directory shown read-only at /mnt/config (the config drive's files). */
  configDir?: string;
}

/** CFS period; the quota is `vcpus` periods, so N vCPUs = N cores' worth of time. */
export const CPU_PERIOD = 100_000;

/** Limits of a flavor as OCI resources (cgroup v1 or v2; the runtime translates). */
export function limits(f: FlavorSpec): { memory: number; quota: number; pids: number } {
  return { memory: f.ramMiB * 2 ** 20, quota: Math.max(1, f.vcpus) * CPU_PERIOD, pids: Math.max(512, 256 * f.vcpus) };
}

/**
 * Capabilities of a system container: Docker's default set plus NET_ADMIN (DHCP and `ip` in
 * the guest's own netns), SYS_ADMIN (mounting an attached volume, like root in a VM) and
 * SYS_BOOT (busybox init's reboot/poweroff; in a pid namespace reboot(2) only ends that
 * namespace's init, which the shim sees as exit 129/130).
 */
// NOTE: SYS_ADMIN without a user namespace is powerful; the devices cgroup, a read-only /sys and
// cgroup mount, and the masked /proc paths keep the guest off host devices and settings. A
// user-namespaced "unprivileged" profile needs cgroup v2 delegation, which this host lacks.
const CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
  'CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
];

/** Character devices every guest may use: null, zero, full, random, urandom, tty, console, ptmx, pts, tun. */
const CHAR_DEVICES: [number, number | null][] = [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2], [136, null], [10, 200]];

/** The OCI `config.json` of an instance: the image's `/sbin/init` as PID 1 in its own namespaces. */
export function ociConfig(b: BundleSpec): Record<string, unknown> {
  const l = limits(b.flavor);
  const tmpfs = (destination: string, options: string[]) => ({ destination, type: 'tmpfs', source: 'tmpfs', options });
  const mounts: Record<string, unknown>[] = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    tmpfs('/dev', ['nosuid', 'strictatime', 'mode=755', 'size=65536k']),
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    tmpfs('/run', ['nosuid', 'nodev', 'mode=755', 'size=16m']),
  ];
  if (b.configDir) mounts.push({ destination: '/mnt/config', type: 'bind', source: b.configDir, options: ['rbind', 'ro', 'nosuid', 'nodev'] });
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['/sbin/init'],
      env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=linux', 'container=stratus'],
      cwd: '/',
      capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS, inheritable: [], ambient: [] },
      noNewPrivileges: false,
    },
    root: { path: b.rootfs, readonly: false },
    hostname: b.hostname,
    mounts,
    linux: {
      cgroupsPath: b.cgroupsPath,
      namespaces: [{ type: 'pid' }, { type: 'network', path: b.netnsPath }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      devices: b.devices.map((d) => ({ path: d.path, type: 'b', major: d.major, minor: d.minor, fileMode: d.readOnly ? 0o440 : 0o660, uid: 0, gid: 6 })),
      resources: {
        memory: { limit: l.memory },
        cpu: { quota: l.quota, period: CPU_PERIOD },
        pids: { limit: l.pids },
        devices: [
          { allow: false, access: 'rwm' },
          ...CHAR_DEVICES.map(([major, minor]) => ({ allow: true, type: 'c', major, ...(minor === null ? {} : { minor }), access: 'rwm' })),
          ...b.devices.map((d) => ({ allow: true, type: 'b', major: d.major, minor: d.minor, access: d.readOnly ? 'rm' : 'rwm' })),
        ],
      },
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
