import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { writeTar } from '../../registry/tar.js';
import { unpackLayer } from './unpack.js';

const isRoot = process.getuid?.() === 0;

describe('unpackLayer', () => {
  it('unpacks a gzip layer keeping numeric owners, modes and links', async (t) => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'stratus-unpack-'));
    t.after(() => fsp.rm(dir, { recursive: true, force: true }));
    const layer = join(dir, 'layer.tgz');
    await fsp.writeFile(
      layer,
      gzipSync(
        writeTar([
          { path: 'etc', type: 'dir', mode: 0o755 },
          { path: 'etc/conf', type: 'file', mode: 0o640, uid: 1234, gid: 4321, content: Buffer.from('x=1\n') },
          { path: 'etc/link', type: 'symlink', mode: 0o777, linkname: 'conf' },
        ]),
      ),
    );
    const out = join(dir, 'out');
    assert.deepEqual(await unpackLayer(layer, out), { whiteouts: 0, opaque: 0 });
    const st = await fsp.stat(join(out, 'etc/conf'));
    assert.equal(st.mode & 0o777, 0o640);
    if (isRoot) assert.deepEqual([st.uid, st.gid], [1234, 4321]);
    assert.equal(await fsp.readlink(join(out, 'etc/link')), 'conf');
  });

  it('never writes outside the layer directory', async (t) => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'stratus-unpack-'));
    t.after(() => fsp.rm(dir, { recursive: true, force: true }));
    const layer = join(dir, 'evil.tar');
    await fsp.writeFile(
      layer,
      writeTar([
        { path: '../escaped', type: 'file', mode: 0o644, content: Buffer.from('no') },
        { path: 'up', type: 'symlink', mode: 0o777, linkname: '..' },
        { path: 'up/escaped2', type: 'file', mode: 0o644, content: Buffer.from('no') },
      ]),
    );
    await unpackLayer(layer, join(dir, 'out')).catch(() => undefined);
    await assert.rejects(fsp.stat(join(dir, 'escaped')));
    await assert.rejects(fsp.stat(join(dir, 'escaped2')));
  });

  it('turns OCI whiteouts into overlayfs whiteouts that hide lower files', { skip: !isRoot && 'needs root (mknod, trusted xattrs, mount)' }, async (t) => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'stratus-unpack-'));
    const mnt = join(dir, 'mnt');
    let mounted = false;
    t.after(async () => {
      if (mounted) spawnSync('umount', [mnt]);
      await fsp.rm(dir, { recursive: true, force: true });
    });
    const lowerTar = join(dir, 'lower.tar');
    const upperTar = join(dir, 'upper.tar');
    await fsp.writeFile(
      lowerTar,
      writeTar([
        { path: 'a', type: 'file', mode: 0o644, content: Buffer.from('a') },
        { path: 'keep', type: 'file', mode: 0o644, content: Buffer.from('k') },
        { path: 'd', type: 'dir', mode: 0o755 },
        { path: 'd/old', type: 'file', mode: 0o644, content: Buffer.from('old') },
      ]),
    );
    await fsp.writeFile(
      upperTar,
      writeTar([
        { path: '.wh.a', type: 'file', mode: 0o644 },
        { path: 'd', type: 'dir', mode: 0o755 },
        { path: 'd/.wh..wh..opq', type: 'file', mode: 0o644 },
        { path: 'd/new', type: 'file', mode: 0o644, content: Buffer.from('new') },
      ]),
    );
    await unpackLayer(lowerTar, join(dir, 'lower'));
    assert.deepEqual(await unpackLayer(upperTar, join(dir, 'upper')), { whiteouts: 1, opaque: 1 });
    const wh = await fsp.stat(join(dir, 'upper/a'));
    assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'a whiteout is a 0/0 character device');
    await assert.rejects(fsp.stat(join(dir, 'upper/d/.wh..wh..opq')));
    await fsp.mkdir(mnt);
    const m = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${join(dir, 'upper')}:${join(dir, 'lower')}`, mnt]);
    assert.equal(m.status, 0, m.stderr.toString());
    mounted = true;
    assert.deepEqual((await fsp.readdir(mnt)).sort(), ['d', 'keep']);
    assert.deepEqual(await fsp.readdir(join(mnt, 'd')), ['new']);
  });
});
