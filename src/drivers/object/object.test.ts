import assert from 'node:assert/strict';
import { mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { blobStoreContract, readAll } from './contract.js';
import { FsBlobStore } from './fs.js';
import { MemoryBlobStore } from './memory.js';

const dirs: string[] = [];
const roots = new WeakMap<object, string>();
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function makeFs(): FsBlobStore {
  const root = mkdtempSync(join(tmpdir(), 'stratus-blob-test-'));
  dirs.push(root);
  const s = new FsBlobStore(root);
  roots.set(s, root);
  return s;
}

const tmpOf = (s: object) => join(roots.get(s)!, 'tmp');

blobStoreContract('FsBlobStore', async () => makeFs(), {
  tmpFiles: async (s) => (await fsp.readdir(tmpOf(s)).catch(() => [] as string[])).sort(),
  plantTmp: async (s) => {
    await fsp.mkdir(tmpOf(s), { recursive: true });
    await fsp.writeFile(join(tmpOf(s), `${Math.random().toString(36).slice(2)}.part`), 'partial upload');
  },
});

blobStoreContract('MemoryBlobStore', async () => new MemoryBlobStore(), { tmpFiles: async () => [] });

describe('FsBlobStore on disk', () => {
  it('keeps blobs under <root>/data/<key> and they survive a new instance', async () => {
    const s = makeFs();
    const root = roots.get(s)!;
    await s.put('images/abc', Readable.from([Buffer.from('persist me')]));
    assert.equal(await fsp.readFile(join(root, 'data', 'images', 'abc'), 'utf8'), 'persist me');
    const again = new FsBlobStore(root);
    assert.equal(await again.recover(), 0);
    assert.equal((await readAll(await again.open('images/abc'))).toString(), 'persist me');
  });

  it('recover() on a fresh root (no tmp dir yet) returns 0', async () => {
    assert.equal(await makeFs().recover(), 0);
  });
});
