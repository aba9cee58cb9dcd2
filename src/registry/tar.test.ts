import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { writeTar, type TarEntry } from './tar.js';

const entries: TarEntry[] = [
  { path: 'bin', type: 'dir', mode: 0o755 },
  { path: 'bin/tool', type: 'file', mode: 0o755, content: Buffer.from('#!/bin/sh\necho hi\n'), uid: 1000, gid: 1000 },
  { path: 'bin/sh', type: 'symlink', mode: 0o777, linkname: '/bin/tool' },
  { path: `deep/${'x'.repeat(120)}/file`, type: 'file', mode: 0o644, content: Buffer.from('long') },
  { path: 'gone', type: 'char', mode: 0, devmajor: 0, devminor: 0 },
  { path: 'opaque', type: 'dir', mode: 0o700, xattrs: { 'trusted.overlay.opaque': 'y' } },
];

describe('writeTar', () => {
  it('writes archives GNU tar lists exactly, including long paths (pax) and devices', () => {
    const tar = writeTar(entries);
    assert.equal(tar.length % 512, 0);
    const r = spawnSync('tar', ['-tvf', '-', '--numeric-owner'], { input: tar });
    assert.equal(r.status, 0, r.stderr.toString());
    const lines = r.stdout.toString().trim().split('\n');
    assert.equal(lines.length, entries.length);
    assert.match(lines[0]!, /^drwxr-xr-x 0\/0 .* bin\/$/);
    assert.match(lines[1]!, /^-rwxr-xr-x 1000\/1000 +18 .* bin\/tool$/);
    assert.match(lines[2]!, /^lrwxrwxrwx 0\/0 .* bin\/sh -> \/bin\/tool$/);
    assert.ok(lines[3]!.endsWith(`deep/${'x'.repeat(120)}/file`), lines[3]);
    assert.match(lines[4]!, /^c--------- 0\/0 +0,0 .* gone$/);
    assert.match(lines[5]!, /^drwx------ 0\/0 .* opaque\/$/);
  });

  it('carries extended attributes as SCHILY.xattr pax records', () => {
    const r = spawnSync('tar', ['--xattrs', '-tvvf', '-'], { input: writeTar([entries[5]!]) });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.ok(writeTar([entries[5]!]).includes('SCHILY.xattr.trusted.overlay.opaque=y'));
  });

  it('is deterministic: the same entries give the same bytes', () => {
    assert.deepEqual(writeTar(entries), writeTar(entries));
  });
});
