import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ImageFile } from '../driver.js';
import { sh } from './host.js';
import type { Runtime } from './runtime.js';

/** Filesystems the driver mounts as an image's root. */
const ROOT_FS = new Set(['ext4', 'ext3', 'ext2', 'xfs', 'btrfs']);

/**
 * Images, mounted read-only once each and shared by every instance made from them
 * (`<stateDir>/images/<image id>/root`). A qcow2 (or any non-raw) image is converted to raw
 * with `qemu-img` once. A disk with a partition table is read through a partition-scanning loop
 * device, and its largest Linux filesystem is the root.
 */
export class Images {
  readonly dir: string;

  constructor(
    stateDir: string,
    private readonly rt: Runtime,
  ) {
    this.dir = join(stateDir, 'images');
  }

  root(imageId: string): string {
    return join(this.dir, imageId, 'root');
  }

  /** The raw file of an image: the original when raw, else a converted copy made once. */
  private async raw(image: ImageFile): Promise<string> {
    const dir = join(this.dir, image.id);
    mkdirSync(dir, { recursive: true });
    const fmt = image.diskFormat === 'raw' ? 'raw' : await detectFormat(image.path);
    if (fmt === 'raw') return image.path;
    const out = join(dir, 'disk.raw');
    if (existsSync(out)) return out;
    await sh(['qemu-img', 'convert', '-f', fmt, '-O', 'raw', image.path, `${out}.tmp`]);
    renameSync(`${out}.tmp`, out);
    return out;
  }

  /** Mounts the image read-only (idempotent) and returns its root directory. */
  async mount(image: ImageFile): Promise<string> {
    const root = this.root(image.id);
    if ((await this.rt.mounts()).has(root)) return root;
    const raw = await this.raw(image);
    mkdirSync(root, { recursive: true });
    const probe = await sh(['blkid', '-p', '-o', 'export', raw], { mayFail: true });
    const type = /^TYPE=(\S+)/m.exec(probe.stdout)?.[1];
    if (type && ROOT_FS.has(type)) {
      await this.rt.host(['mount', '-o', 'ro,loop', '-t', type, raw, root]);
      return root;
    }
    if (/^PTTYPE=/m.test(probe.stdout)) {
      await this.mountPartition(raw, root, image.id);
      return root;
    }
    throw new Error(
      `image ${image.id} holds no Linux root filesystem the container driver can mount (found ${type ?? 'no filesystem'}); ` +
        'upload a raw or qcow2 disk holding an ext4/xfs/btrfs filesystem, with or without a partition table',
    );
  }

  private async mountPartition(raw: string, root: string, imageId: string): Promise<void> {
    const loop = (await sh(['losetup', '--find', '--show', '--read-only', '--partscan', raw])).stdout.trim();
    try {
      await sh(['udevadm', 'settle'], { mayFail: true }).catch(() => undefined);
      const parts = (await sh(['lsblk', '-b', '-n', '-r', '-o', 'NAME,FSTYPE,SIZE', loop])).stdout
        .split('\n')
        .map((l) => l.split(' '))
        .filter((f) => f.length >= 3 && ROOT_FS.has(f[1]!))
        .sort((a, b) => Number(b[2]) - Number(a[2]));
      const best = parts[0];
      if (!best) throw new Error(`image ${imageId}: no ext4/xfs/btrfs partition found`);
      await this.rt.host(['mount', '-o', 'ro', `/dev/${best[0]}`, root]);
    } finally {
      // The mount holds the partition open; the loop goes away with it (autoclear).
      await sh(['losetup', '-d', loop], { mayFail: true });
    }
  }

  /** Unmounts an image no instance uses any more; the converted raw copy goes too. */
  async release(imageId: string): Promise<void> {
    const root = this.root(imageId);
    if ((await this.rt.mounts()).has(root)) await this.rt.host(['umount', root]);
    rmSync(join(this.dir, imageId), { recursive: true, force: true });
  }

  /** The filesystem label of a mounted image's source (kept on snapshots), or `rootfs`. */
  async label(image: ImageFile): Promise<string> {
    const r = await sh(['blkid', '-p', '-o', 'value', '-s', 'LABEL', image.path], { mayFail: true });
    return r.stdout.trim() || 'rootfs';
  }

  async ids(): Promise<string[]> {
    const mounts = await this.rt.mounts();
    return [...mounts].filter((m) => m.startsWith(this.dir + '/') && m.endsWith('/root')).map((m) => m.slice(this.dir.length + 1, -'/root'.length));
  }
}

async function detectFormat(path: string): Promise<string> {
  const r = await sh(['qemu-img', 'info', '--output', 'json', path]);
  return (JSON.parse(r.stdout) as { format: string }).format;
}

/** Paths of one instance's root disk. */
export interface DiskPaths {
  disk: string;
  diskMount: string;
  rootfs: string;
}

/**
 * The instance's root disk: a sparse ext4 file the size of the flavor's disk, holding the
 * overlay's upper and work directories, so writes persist across stop/start and are capped at
 * that size (the image's own bytes are not counted: they stay in the shared lower layer).
 */
export async function ensureRootfs(rt: Runtime, p: DiskPaths, lower: string | null, diskGiB: number, bootVolume: string | null): Promise<void> {
  const mounts = await rt.mounts();
  if (mounts.has(p.rootfs)) return;
  mkdirSync(p.rootfs, { recursive: true });
  if (bootVolume) {
    await rt.host(['mount', '-o', 'loop', bootVolume, p.rootfs]);
    return;
  }
  if (!lower) throw new Error('an instance needs an image or a boot volume');
  if (!existsSync(p.disk)) {
    // NOTE: a sparse copy of an empty filesystem made once per size (32 ms here) instead of
    // mkfs per instance (112 ms for 1 GiB on this host).
    await sh(['cp', '--sparse=always', await diskTemplate(dirname(dirname(p.disk)), diskGiB), `${p.disk}.tmp`]);
    renameSync(`${p.disk}.tmp`, p.disk);
  }
  mkdirSync(p.diskMount, { recursive: true });
  if (existsSync(`${p.disk}.grow`) && !mounts.has(p.diskMount)) await offlineGrow(p.disk);
  const script = [
    'set -e',
    `mountpoint -q "$1" || mount -o loop,noatime "$0" "$1"`,
    'mkdir -p "$1/upper" "$1/work"',
    `mount -t overlay overlay -o "lowerdir=$2,upperdir=$1/upper,workdir=$1/work" "$3"`,
  ].join('\n');
  await rt.host(['sh', '-c', script, p.disk, p.diskMount, lower, p.rootfs]);
}

/** An empty ext4 root disk of `diskGiB`, made once under `<instances dir>/../templates`. */
async function diskTemplate(instancesDir: string, diskGiB: number): Promise<string> {
  const dir = join(dirname(instancesDir), 'templates');
  const file = join(dir, `disk-${Math.max(1, diskGiB)}G.ext4`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await sh(['truncate', '-s', `${Math.max(1, diskGiB)}G`, tmp]);
  await sh(['mkfs.ext4', '-q', '-F', '-L', 'root-disk', '-E', 'lazy_itable_init=1,lazy_journal_init=1,root_owner=0:0', tmp]);
  renameSync(tmp, file);
  return file;
}

/** Unmounts the overlay and the root disk (their loop devices are freed with them). */
export async function releaseRootfs(rt: Runtime, p: DiskPaths): Promise<void> {
  const mounts = await rt.mounts();
  if (mounts.has(p.rootfs)) await rt.host(['umount', p.rootfs]);
  if (mounts.has(p.diskMount)) await rt.host(['umount', p.diskMount]);
}

/**
 * Grows the root disk file to `diskGiB` (never shrinks). The filesystem is grown online when
 * the kernel lets us (it needs CAP_SYS_RESOURCE, which some sandboxes drop), else at the next
 * start, offline, before the disk is mounted (`ensureRootfs`).
 */
export async function growDisk(rt: Runtime, p: DiskPaths, diskGiB: number): Promise<void> {
  if (!existsSync(p.disk)) return;
  const want = Math.max(1, diskGiB) * 2 ** 30;
  if (statSync(p.disk).size >= want) return;
  await sh(['truncate', '-s', String(want), p.disk]);
  const loop = (await sh(['losetup', '-j', p.disk])).stdout.split(':')[0]?.trim();
  if (!loop) return offlineGrow(p.disk);
  await sh(['losetup', '-c', loop]);
  const r = await rt.host(['resize2fs', loop], { mayFail: true });
  if (r.code !== 0) writeFileSync(`${p.disk}.grow`, '');
}

async function offlineGrow(disk: string): Promise<void> {
  await sh(['e2fsck', '-f', '-p', disk], { mayFail: true });
  await sh(['resize2fs', disk]);
  rmSync(`${disk}.grow`, { force: true });
}

/**
 * A raw ext4 image of the instance's current root filesystem, made with `mkfs.ext4 -d` from
 * the overlay's merged view (the caller freezes the instance meanwhile). Sized to what is used
 * plus a margin, never smaller than the image it came from.
 */
export async function snapshotRootfs(rt: Runtime, rootfs: string, out: string, minBytes: number, label: string): Promise<void> {
  const used = Number((await rt.host(['du', '-sxb', rootfs])).stdout.split(/\s/)[0] ?? 0);
  const size = Math.max(minBytes, Math.ceil((used * 1.3 + 32 * 2 ** 20) / 2 ** 20) * 2 ** 20);
  await sh(['truncate', '-s', String(size), out]);
  await rt.host(['mkfs.ext4', '-q', '-F', '-L', label.slice(0, 16), '-E', 'root_owner=0:0', '-d', rootfs, out]);
}
