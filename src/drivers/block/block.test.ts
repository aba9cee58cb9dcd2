import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { blockDriverContract, qcow2Header } from './contract.js';
import { GiB, type BlockDriver } from './driver.js';
import { FakeBlockDriver } from './fake.js';
import { FileBlockDriver } from './file.js';

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});
const rootOf = new WeakMap<BlockDriver, string>();

function makeFile(opts: ConstructorParameters<typeof FileBlockDriver>[1] = {}): FileBlockDriver {
  const root = mkdtempSync(join(tmpdir(), 'stratus-block-'));
  roots.push(root);
  const d = new FileBlockDriver(root, opts);
  rootOf.set(d, root);
  return d;
}

async function readFile(path: string, start: number, length: number): Promise<Buffer> {
  const fh = await fsp.open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, start);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

blockDriverContract('file', async () => makeFile({ qemuImg: null }), {
  read: async (d, id, start, length, kind = 'volume') => {
    const info = kind === 'volume' ? await d.info(id) : await d.snapshotInfo(id);
    return readFile(info!.path, start, length);
  },
  tmpFiles: async (d) => fsp.readdir(join(rootOf.get(d)!, '.tmp')).catch(() => []),
  plantTmp: async (d) => {
    await fsp.mkdir(join(rootOf.get(d)!, '.tmp'), { recursive: true });
    await fsp.writeFile(join(rootOf.get(d)!, '.tmp', 'crashed.part'), 'partial');
  },
  allocated: async (d, id) => (await fsp.stat((await d.info(id))!.path)).blocks * 512,
});

blockDriverContract('fake', async () => new FakeBlockDriver(), {
  read: async (d, id, start, length, kind) => (d as FakeBlockDriver).read(id, start, length, kind),
  tmpFiles: async () => [],
});

describe('FakeBlockDriver test controls', () => {
  it('records calls, fails on request, and holds calls until released', async () => {
    const d = new FakeBlockDriver();
    await d.create('a', 1);
    assert.deepEqual(d.calls, [{ op: 'create', args: ['a', 1] }]);
    d.failNext('extend', new Error('disk on fire'));
    await assert.rejects(d.extend('a', 2), /disk on fire/);
    await d.extend('a', 2);
    assert.equal((await d.info('a'))?.sizeBytes, 2 * GiB);
    const release = d.hold('delete');
    let done = false;
    const p = d.delete('a').then((r) => (done = r));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(done, false);
    release();
    assert.equal(await p, true);
  });
});

describe('FileBlockDriver specifics', () => {
  it('keeps files named by id under its root', async () => {
    const d = makeFile({ qemuImg: null });
    await d.create('v1', 1);
    await d.snapshot('v1', 's1');
    assert.deepEqual((await fsp.readdir(rootOf.get(d)!)).filter((n) => !n.startsWith('.')).sort(), ['snapshot-s1', 'volume-v1']);
    assert.equal((await d.info('v1'))?.path, join(rootOf.get(d)!, 'volume-v1'));
  });

  it('converts qcow2 to raw with qemu-img when it is installed', async (t) => {
    const d = makeFile();
    if (!d.capabilities.convertsQcow2) {
      t.skip('qemu-img is not installed (apt-get install -y qemu-utils)');
      return;
    }
    const root = rootOf.get(d)!;
    const raw = join(root, 'src.raw');
    const payload = Buffer.from('hello from a qcow2 image');
    await fsp.writeFile(raw, Buffer.concat([payload, Buffer.alloc(1024 * 1024 - payload.length)]));
    await promisify(execFile)('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, join(root, 'src.qcow2')]);
    const r = await d.createFromImage('q1', 1, { stream: Readable.from([await fsp.readFile(join(root, 'src.qcow2'))]), diskFormat: 'qcow2' });
    assert.deepEqual(r, { format: 'raw', converted: true });
    assert.equal((await d.info('q1'))?.sizeBytes, GiB);
    assert.deepEqual(await readFile((await d.info('q1'))!.path, 0, payload.length), payload);
  });

  it('a qcow2 disk stored as-is keeps its virtual size on extend without qemu-img', async () => {
    const d = makeFile({ qemuImg: null });
    await d.createFromImage('q2', 1, { stream: Readable.from([qcow2Header(GiB / 4)]), diskFormat: 'qcow2' });
    await d.extend('q2', 2);
    assert.deepEqual({ ...(await d.info('q2')), path: '' }, { path: '', sizeBytes: GiB / 4, format: 'qcow2' });
  });
});
