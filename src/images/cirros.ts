import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, chown, copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { exec } from './exec.js';
import * as guest from './cirros-guest.js';

/** A built image file. `checksum` is the MD5 of its bytes, as Glance records it. */
export interface BuiltImage {
  path: string;
  sizeBytes: number;
  checksum: string;
}

export interface BuildOptions {
  /** Where built images are kept, keyed by a hash of their inputs. */
  cacheDir: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** The filesystem label of the root filesystem (the image's `/`). */
export const CIRROS_LABEL = 'cirros-rootfs';
/** Size of the raw disk; the tree is about 7 MB, the rest is room for the overlay-less case. */
const IMAGE_MIB = 48;
/** Host binaries copied into the image, with the shared libraries they need. */
const BINARIES = { busybox: '/usr/bin/busybox', dropbear: '/usr/sbin/dropbear', dropbearkey: '/usr/bin/dropbearkey', dbclient: '/usr/bin/dbclient' };
const PACKAGES = 'busybox-static dropbear-bin e2fsprogs';
/** Bump when the layout of the tree changes without any input file changing. */
const BUILDER_REVISION = 3;

/** Shared libraries of an ELF file, from `ldd` (absolute paths only). */
async function libraries(bin: string): Promise<string[]> {
  const r = await exec('ldd', [bin], { allowFail: true });
  if (/not a dynamic executable|statically linked/.test(r.stdout + r.stderr)) return [];
  if (r.code !== 0) throw new Error(`ldd ${bin} failed: ${r.stderr.trim()}`);
  const libs: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

async function md5File(path: string): Promise<string> {
  const h = createHash('md5');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function checkTools(): Promise<void> {
  const missing: string[] = [];
  for (const p of [...Object.values(BINARIES), '/usr/sbin/mkfs.ext4']) {
    try {
      await stat(p);
    } catch {
      missing.push(p);
    }
  }
  if (missing.length) throw new Error(`cannot build the cirros image: missing ${missing.join(', ')}; install them with: apt-get install -y ${PACKAGES}`);
}

/** Everything the image is made of, so the cache key changes when any of it does. */
async function inputs(): Promise<{ key: string; libs: string[] }> {
  const libs = new Set<string>();
  for (const b of Object.values(BINARIES)) for (const l of await libraries(b)) libs.add(l);
  const h = createHash('sha256');
  h.update(JSON.stringify({ rev: BUILDER_REVISION, size: IMAGE_MIB, guest }));
  for (const f of [...Object.values(BINARIES), ...[...libs].sort()]) h.update(`${f}\0${await sha256File(f)}\0`);
  return { key: h.digest('hex').slice(0, 16), libs: [...libs].sort() };
}

async function put(root: string, path: string, content: string, mode = 0o644): Promise<void> {
  const p = join(root, path);
  await mkdir(dirname(p), { recursive: true });
  await writeFile(p, content);
  await chmod(p, mode);
}

/** Lays out the root tree: busybox with every applet linked, dropbear, libraries, /etc. */
async function makeTree(root: string, libs: string[]): Promise<void> {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'run', 'tmp', 'mnt/config', 'root', 'etc/dropbear', 'etc/cirros', 'var/log', 'home/cirros', 'media']) {
    await mkdir(join(root, d), { recursive: true });
  }
  await chmod(join(root, 'tmp'), 0o1777);
  await chmod(join(root, 'root'), 0o700);
  await copyFile(BINARIES.busybox, join(root, 'bin/busybox'));
  await chmod(join(root, 'bin/busybox'), 0o755);
  const applets = (await exec(BINARIES.busybox, ['--list-full'])).stdout.split('\n').filter((l) => l && l !== 'bin/busybox');
  for (const a of applets) {
    await symlink('/bin/busybox', join(root, a)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
  for (const [name, src] of Object.entries(BINARIES)) {
    if (name === 'busybox') continue;
    const dst = join(root, src.slice(1));
    await copyFile(src, dst);
    await chmod(dst, 0o755);
  }
  for (const lib of libs) {
    const dst = join(root, lib.slice(1));
    await mkdir(dirname(dst), { recursive: true });
    await copyFile(lib, dst);
    await chmod(dst, 0o755);
  }
  await put(root, 'etc/inittab', guest.INITTAB);
  await put(root, 'etc/init.d/rcS', guest.RCS, 0o755);
  await put(root, 'etc/init.d/rcK', guest.RCK, 0o755);
  await put(root, 'etc/init.d/login-banner', guest.LOGIN_BANNER, 0o755);
  await put(root, 'usr/share/udhcpc/default.script', guest.UDHCPC_SCRIPT, 0o755);
  await put(root, 'etc/passwd', guest.PASSWD);
  await put(root, 'etc/group', guest.GROUP);
  await put(root, 'etc/shadow', guest.SHADOW, 0o600);
  await put(root, 'etc/shells', guest.SHELLS);
  await put(root, 'etc/os-release', guest.OS_RELEASE);
  await put(root, 'etc/cirros/version', `${guest.IMAGE_VERSION}\n`);
  await put(root, 'etc/hostname', 'cirros\n');
  await put(root, 'etc/hosts', '127.0.0.1 localhost\n');
  await put(root, 'etc/resolv.conf', '');
  await put(root, 'etc/profile', 'export PATH=/usr/sbin:/usr/bin:/sbin:/bin\nexport PS1="\\u@\\h:\\w\\$ "\n');
  await mkdir(join(root, 'home/cirros/.ssh'), { recursive: true });
  await chmod(join(root, 'home/cirros/.ssh'), 0o700);
  await chown(join(root, 'home/cirros'), 1000, 1000);
  await chown(join(root, 'home/cirros/.ssh'), 1000, 1000);
}

/**
 * Builds (or takes from the cache) the CirrOS-like image: a raw disk holding one ext4
 * filesystem labelled `cirros-rootfs`, made with `mkfs.ext4 -d` from a tree of Debian's
 * busybox-static and dropbear (with the libraries it links, copied from the host). Its
 * `/sbin/init` is busybox init, so it boots as a system container and, with a kernel, as a VM
 * disk. The file is named by a hash of every input, so a second call returns at once.
 */
export async function buildCirrosImage(opts: BuildOptions): Promise<BuiltImage> {
  const log = opts.log ?? (() => {});
  await checkTools();
  const { key, libs } = await inputs();
  await mkdir(opts.cacheDir, { recursive: true });
  const path = join(opts.cacheDir, `cirros-${key}.raw`);
  const sumPath = `${path}.md5`;
  try {
    const [st, sum] = await Promise.all([stat(path), readFile(sumPath, 'utf8')]);
    return { path, sizeBytes: st.size, checksum: sum.trim() };
  } catch {
    // not cached: build below
  }
  log(`building the cirros image (busybox + dropbear from Debian) into ${path}`);
  const work = await mkdtemp(join(opts.cacheDir, '.build-'));
  try {
    const tree = join(work, 'root');
    await makeTree(tree, libs);
    const tmp = join(work, 'image.raw');
    await exec('truncate', ['-s', `${IMAGE_MIB}M`, tmp]);
    await exec('mkfs.ext4', ['-q', '-F', '-L', CIRROS_LABEL, '-O', '^has_journal', '-E', 'root_owner=0:0', '-d', tree, tmp]);
    const checksum = await md5File(tmp);
    await rename(tmp, path);
    await writeFile(sumPath, `${checksum}\n`);
    const st = await stat(path);
    log(`cirros image ready: ${(st.size / 2 ** 20).toFixed(0)} MiB raw ext4, md5 ${checksum}`);
    return { path, sizeBytes: st.size, checksum };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
