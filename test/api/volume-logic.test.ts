// The block storage logic without HTTP: the interface compute will call, the reconciler's
// failure paths (driven by the fake driver), and create-from-image through an ImageSource.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { StratusError } from '../../src/core/errors.js';
import { EventBus } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/log.js';
import { GiB } from '../../src/drivers/block/driver.js';
import { FakeBlockDriver } from '../../src/drivers/block/fake.js';
import { BlockStorage, type Caller, type ImageSource } from '../../src/services/volume/logic/index.js';
import { MemoryStore } from '../../src/store/memory/index.js';
import { eventually } from '../support/cloud.js';

const alice: Caller = { userId: 'u-alice', projectId: 'p-alice', roles: ['member', 'reader'], admin: false };
const bob: Caller = { userId: 'u-bob', projectId: 'p-bob', roles: ['member', 'reader'], admin: false };
const root: Caller = { userId: 'u-root', projectId: 'p-root', roles: ['admin', 'member', 'reader'], admin: true };

async function setup(images?: ImageSource) {
  const driver = new FakeBlockDriver();
  const events = new EventBus();
  const seen: string[] = [];
  events.subscribe((e) => seen.push(`${e.kind}:${e.action}`));
  const bs = new BlockStorage({ store: new MemoryStore(), events, clock: { now: () => Date.now() }, log: silentLogger, driver, ...(images ? { images } : {}) });
  await bs.init();
  await bs.start();
  return { bs, driver, seen };
}

async function available(bs: BlockStorage, size = 1, caller = alice) {
  const v = await bs.create(caller, { size, name: null, description: null, metadata: {}, source: { kind: 'blank' } });
  await bs.idle();
  assert.equal((await bs.get(v.id)).status, 'available');
  return v;
}

const status = async (bs: BlockStorage, id: string) => (await bs.get(id)).status;

describe('block storage logic: the interface for compute', () => {
  it('reserve → attach → detach by server, idempotent at each step', async () => {
    const { bs, seen } = await setup();
    const v = await available(bs);
    const server = randomUUID();
    await bs.reserve(v.id, server);
    await bs.reserve(v.id, server);
    assert.equal(await status(bs, v.id), 'attaching');
    await assert.rejects(bs.reserve(v.id, randomUUID()), (e: unknown) => e instanceof StratusError && e.status === 400);
    const a1 = await bs.attach(v.id, server, '/dev/vdb');
    const a2 = await bs.attach(v.id, server, '/dev/vdb');
    assert.equal(a1.id, a2.id);
    assert.equal(await status(bs, v.id), 'in-use');
    assert.deepEqual((await bs.attachmentsForServer(server)).map((x) => [x.volume.id, x.attachment.device]), [[v.id, '/dev/vdb']]);
    await assert.rejects(bs.attach(v.id, randomUUID(), '/dev/vdc'), (e: unknown) => e instanceof StratusError && e.status === 400);
    const file = await bs.backingFile(v.id);
    assert.equal(file.devicePath, `memory:volume-${v.id}`);
    assert.equal(file.driverVolumeType, 'local');
    await bs.detach(v.id, server);
    await bs.detach(v.id, server);
    assert.equal(await status(bs, v.id), 'available');
    assert.deepEqual(await bs.attachmentsForServer(server), []);
    assert.ok(seen.includes('volume:created') && seen.includes('volume:updated'));
  });

  it('attaches without a prior reserve, and unreserve gives a reservation back', async () => {
    const { bs } = await setup();
    const v = await available(bs);
    const server = randomUUID();
    await bs.attach(v.id, server, null);
    assert.equal(await status(bs, v.id), 'in-use');
    await bs.detach(v.id, server);
    await bs.reserve(v.id, server);
    await bs.unreserve(v.id, server);
    assert.equal(await status(bs, v.id), 'available');
  });

  it('scopes by caller: another project gets 404, the trusted caller and admins see all', async () => {
    const { bs } = await setup();
    const v = await available(bs);
    await assert.rejects(bs.get(v.id, bob), (e: unknown) => e instanceof StratusError && e.status === 404);
    await assert.rejects(bs.reserve(v.id, randomUUID(), bob), (e: unknown) => e instanceof StratusError && e.status === 404);
    assert.equal((await bs.get(v.id, root)).id, v.id);
    assert.equal((await bs.get(v.id)).id, v.id);
  });
});

describe('block storage logic: the reconciler', () => {
  it('records driver failures: create → error, extend → error_extending, delete → error_deleting (retry works)', async () => {
    const { bs, driver } = await setup();
    driver.failNext('create', new Error('no space left'));
    const bad = await bs.create(alice, { size: 1, name: null, description: null, metadata: {}, source: { kind: 'blank' } });
    await bs.idle();
    assert.equal(await status(bs, bad.id), 'error');

    const v = await available(bs);
    driver.failNext('extend');
    await bs.volumes.extend(alice, v.id, 2);
    await bs.idle();
    const after = await bs.get(v.id);
    assert.deepEqual([after.status, after.size], ['error_extending', 1]);

    driver.failNext('delete');
    await bs.delete(v.id, alice);
    await bs.idle();
    assert.equal(await status(bs, v.id), 'error_deleting');
    await bs.delete(v.id, alice);
    await bs.idle();
    await assert.rejects(bs.get(v.id), (e: unknown) => e instanceof StratusError && e.status === 404);
    assert.deepEqual((await driver.list()).volumes, []);
  });

  it('a delete that replaces a running create wins; stop() waits for the call in flight', async () => {
    const { bs, driver } = await setup();
    const release = driver.hold('create');
    const v = await bs.create(alice, { size: 1, name: null, description: null, metadata: {}, source: { kind: 'blank' } });
    await eventually(async () => driver.calls.some((c) => c.op === 'create'));
    assert.equal(await status(bs, v.id), 'creating');
    await bs.volumes.delete(root, v.id, { force: true });
    assert.equal(await status(bs, v.id), 'deleting');
    release();
    await bs.idle();
    await assert.rejects(bs.get(v.id), (e: unknown) => e instanceof StratusError && e.status === 404);
    assert.equal(await driver.info(v.id), undefined);

    const gate = driver.hold('create');
    await bs.create(alice, { size: 1, name: null, description: null, metadata: {}, source: { kind: 'blank' } });
    await eventually(async () => driver.calls.filter((c) => c.op === 'create').length === 2);
    let stopped = false;
    const stopping = bs.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(stopped, false, 'stop waits for the driver call');
    gate();
    await stopping;
  });

  it('snapshots copy the volume; failures leave the snapshot in error', async () => {
    const { bs, driver } = await setup();
    const v = await available(bs, 2);
    const s = await bs.snapshots.create(alice, { volumeId: v.id, name: 's', description: null, metadata: {}, force: false });
    await bs.idle();
    assert.equal((await bs.snapshots.visible(alice, s.id)).status, 'available');
    assert.equal((await driver.snapshotInfo(s.id))?.sizeBytes, 2 * GiB);
    driver.failNext('snapshot');
    const bad = await bs.snapshots.create(alice, { volumeId: v.id, name: 'bad', description: null, metadata: {}, force: false });
    await bs.idle();
    assert.equal((await bs.snapshots.visible(alice, bad.id)).status, 'error');
  });
});

describe('block storage logic: create from an image', () => {
  const bytes = Buffer.from('bootable bytes of a tiny image');
  const images: ImageSource = {
    async open(imageId, caller) {
      if (imageId === 'missing' || caller.projectId === 'p-bob') throw new StratusError('NotFound', `image ${imageId} not found`);
      if (imageId === 'broken') return { stream: Readable.from((async function* () { throw new Error('read failed'); })()), size: 10, diskFormat: 'raw' };
      return { stream: Readable.from([bytes]), size: bytes.length, diskFormat: 'raw', name: 'tiny', minDisk: 0, containerFormat: 'bare' };
    },
  };

  it('copies the bytes, marks the volume bootable and keeps the image properties', async () => {
    const { bs, driver } = await setup(images);
    const v = await bs.create(alice, { name: 'boot', description: null, metadata: {}, source: { kind: 'image', imageId: 'img-1' } });
    assert.equal(v.size, 1, 'the size defaults to what the image needs');
    await bs.idle();
    const done = await bs.get(v.id);
    assert.equal(done.status, 'available');
    assert.equal(done.bootable, true);
    assert.deepEqual(done.imageMetadata, { image_id: 'img-1', disk_format: 'raw', size: String(bytes.length), image_name: 'tiny', container_format: 'bare', min_disk: '0' });
    assert.deepEqual(driver.read(v.id, 0, bytes.length), bytes);
  });

  it('an invisible image is a 400 at once; a read failure later leaves the volume in error', async () => {
    const { bs } = await setup(images);
    for (const [caller, id] of [[alice, 'missing'], [bob, 'img-1']] as const) {
      await assert.rejects(bs.create(caller, { name: null, description: null, metadata: {}, source: { kind: 'image', imageId: id } }), (e: unknown) => e instanceof StratusError && e.status === 400);
    }
    const v = await bs.create(alice, { size: 1, name: null, description: null, metadata: {}, source: { kind: 'image', imageId: 'broken' } });
    await bs.idle();
    assert.equal(await status(bs, v.id), 'error');
  });

  it('without an image source, create-from-image is a clear 400', async () => {
    const { bs } = await setup();
    await assert.rejects(
      bs.create(alice, { size: 1, name: null, description: null, metadata: {}, source: { kind: 'image', imageId: 'img-1' } }),
      (e: unknown) => e instanceof StratusError && e.status === 400 && /image service/.test(e.message),
    );
  });
});

describe('block storage logic: upload to an image', () => {
  it('streams every byte of the volume into the sink, then the volume is available again', async () => {
    const made: string[] = [];
    let received = 0;
    let declared = 0;
    const images: ImageSource = {
      async open() {
        throw new StratusError('NotFound', 'no images here');
      },
      sink: {
        async create(_c, meta) {
          made.push(`${meta.name}:${meta.diskFormat}:${meta.minDisk}`);
          return { id: 'img-1' };
        },
        async upload(_c, _id, data, size) {
          declared = size;
          for await (const chunk of data) received += chunk.length;
        },
        async discard() {},
      },
    };
    const { bs } = await setup(images);
    const v = await available(bs);
    const r = await bs.uploads.upload(alice, v.id, { imageName: 'snap' });
    assert.equal(r.volume.status, 'uploading');
    await bs.idle();
    assert.equal(await status(bs, v.id), 'available');
    assert.deepEqual(made, ['snap:raw:1']);
    assert.equal(declared, GiB);
    assert.equal(received, GiB);
    await assert.rejects(bs.uploads.upload(alice, v.id, { imageName: 'q', diskFormat: 'qcow2' }), /does not convert/);
  });

  it('a failed copy removes the image and leaves the volume as it was', async () => {
    const discarded: string[] = [];
    const images: ImageSource = {
      async open() {
        throw new StratusError('NotFound', 'no images here');
      },
      sink: {
        create: async () => ({ id: 'img-2' }),
        async upload() {
          throw new Error('image store full');
        },
        async discard(_c, id) {
          discarded.push(id);
        },
      },
    };
    const { bs } = await setup(images);
    const v = await available(bs);
    await bs.uploads.upload(alice, v.id, { imageName: 'x' });
    await bs.idle();
    assert.equal(await status(bs, v.id), 'available');
    assert.deepEqual(discarded, ['img-2']);
    await assert.rejects(bs.uploads.upload(bob, v.id, { imageName: 'x' }), (e: unknown) => e instanceof StratusError && e.kind === 'NotFound');
  });
});
