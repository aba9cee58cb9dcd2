import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join, relative } from 'node:path';
import { writeTar, type TarEntry } from '../../registry/tar.js';

/**
 * Unpacks one image layer (tar, optionally gzip/zstd compressed: GNU tar detects which) into an
 * empty directory, in the form overlayfs reads as a lower layer:
 *
 * - owners are kept numerically (`--numeric-owner`, never mapped through this host's users);
 * - an OCI whiteout `.wh.NAME` becomes a character device 0/0 named `NAME`;
 * - an opaque marker `.wh..wh..opq` becomes the `trusted.overlay.opaque=y` attribute on its
 *   directory.
 *
 * The whiteouts are applied by a second, generated tar extracted with `--xattrs` (Node has no
 * mknod or setxattr); both need root, so a layer with whiteouts fails without it, saying so.
 * GNU tar refuses members with `..` or absolute names and defers symbolic links that point
 * outside the tree, so a hostile layer cannot write outside `dest`.
 */
export async function unpackLayer(archive: string, dest: string): Promise<{ whiteouts: number; opaque: number }> {
  await fsp.mkdir(dest, { recursive: true });
  await tar(['-x', '-f', archive, '-C', dest, '--numeric-owner', '--no-acls', '--no-selinux']);
  const fix: TarEntry[] = [];
  let whiteouts = 0;
  let opaque = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.name === '.wh..wh..opq') {
        await fsp.rm(p, { force: true });
        const st = await fsp.stat(dir);
        const rel = relative(dest, dir) || '.';
        fix.push({ path: rel, type: 'dir', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000), xattrs: { 'trusted.overlay.opaque': 'y' } });
        opaque++;
      } else if (e.name.startsWith('.wh.')) {
        await fsp.rm(p, { recursive: true, force: true });
        fix.push({ path: relative(dest, join(dir, e.name.slice(4))), type: 'char', mode: 0, devmajor: 0, devminor: 0 });
        whiteouts++;
      } else if (e.isDirectory()) {
        await walk(p);
      }
    }
  };
  await walk(dest);
  if (fix.length) {
    if (process.getuid?.() !== 0) throw new Error('the layer has whiteouts, and turning them into overlayfs whiteouts (device nodes, trusted.* attributes) needs root');
    await tar(['-x', '-f', '-', '-C', dest, '--numeric-owner', '--xattrs', '--xattrs-include=trusted.overlay.*'], writeTar(fix));
  }
  return { whiteouts, opaque };
}

function tar(args: string[], input?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', args, { stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new Error(`cannot run tar: ${e.message} (install it with apt-get install -y tar)`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`tar ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${Buffer.concat(err).toString().trim().slice(0, 500)}`));
    });
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
  });
}
