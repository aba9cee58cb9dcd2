// Compute without its neighbours: the logic wired with no network and no volume service (and
// an image port that breaks) refuses clearly with a 400 instead of failing with a 500, and
// still boots servers that need neither.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { systemClock } from '../../src/core/clock.js';
import { StratusError } from '../../src/core/errors.js';
import { EventBus } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/log.js';
import { FakeComputeDriver } from '../../src/drivers/compute/fake.js';
import { defaultComputeConfig } from '../../src/services/compute/index.js';
import { ComputeLogic, noNetwork, noVolumes, type Caller, type ImageCatalog, type ImageInfo, type ServerCreateInput } from '../../src/services/compute/logic/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { eventually } from '../support/cloud.js';

const IMAGE: ImageInfo = { id: '0b3f4a4e-1111-4222-8333-444455556666', name: 'img', status: 'active', size: 16, diskFormat: 'raw', containerFormat: 'bare', minDisk: 0, minRam: 0, checksum: 'abc', properties: {} };

/** An image port with one image; `broken` makes `get` throw like a bug in another service would. */
function images(state: { broken: boolean }): ImageCatalog {
  return {
    available: true,
    get: async (_c, id) => {
      if (state.broken) throw new TypeError("Cannot read properties of undefined (reading 'owner')");
      if (id !== IMAGE.id) throw new StratusError('NotFound', `image ${id}`);
      return IMAGE;
    },
    open: async () => Readable.from([Buffer.alloc(16, 1)]),
    createSnapshot: async () => IMAGE,
    upload: async () => undefined,
    delete: async () => undefined,
    find: async () => [],
    list: async () => [IMAGE],
    setProperties: async () => IMAGE,
  };
}

describe('compute logic without network and volume services', () => {
  let store: Store;
  let logic: ComputeLogic;
  let dir: string;
  const state = { broken: false };
  const caller: Caller = { userId: 'u1', projectId: 'p1', admin: false, requestId: 'req-1' };
  const input = (over: Partial<ServerCreateInput> = {}): ServerCreateInput => ({
    name: 'solo', imageRef: IMAGE.id, flavorRef: '42', metadata: {}, securityGroups: ['default'], diskConfig: 'MANUAL', configDrive: false, minCount: 1, maxCount: 1, blockDevices: [], ...over,
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-compute-ports-'));
    store = openStore(':memory:');
    logic = new ComputeLogic({
      store,
      events: new EventBus(),
      clock: systemClock,
      log: silentLogger,
      driver: new FakeComputeDriver(),
      ports: { images: images(state), network: noNetwork, volumes: noVolumes },
      config: defaultComputeConfig(':memory:', { imageCacheDir: join(dir, 'cache') }),
    });
    await logic.init();
  });
  after(async () => {
    await logic.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const refused = async (p: Promise<unknown>, status: number, pattern: RegExp) => {
    await assert.rejects(p, (e: unknown) => e instanceof StratusError && e.status === status && pattern.test(e.message));
  };

  test('a server without networks boots; it has no ports', async () => {
    const { servers } = await logic.createServers(caller, input());
    const s = await eventually(async () => {
      const cur = await logic.servers.get(servers[0]!.id);
      return cur?.vmState === 'active' ? cur : undefined;
    });
    assert.deepEqual(s.ports, []);
    assert.equal((await logic.ctx.driver.getInfo(s.id))?.powerState, 'running');
  });

  test('networks, ports, security groups and volumes are a clear 400', async () => {
    await refused(logic.createServers(caller, input({ networks: [{ networkId: crypto.randomUUID() }] })), 400, /network service unavailable/);
    await refused(logic.createServers(caller, input({ securityGroups: ['web'] })), 400, /network service unavailable/);
    const bdm = { sourceType: 'volume' as const, destinationType: 'volume' as const, uuid: crypto.randomUUID(), bootIndex: 0, deleteOnTermination: false };
    await refused(logic.createServers(caller, input({ imageRef: '', blockDevices: [bdm] })), 400, /volume service unavailable/);
    const s = (await logic.servers.all())[0]!;
    await refused(logic.volumes.attach(caller, s.id, crypto.randomUUID()), 400, /volume service unavailable/);
  });

  test('a neighbour failing with a bug is a 400 naming it, never a 500', async () => {
    state.broken = true;
    try {
      await refused(logic.createServers(caller, input()), 400, /image service unavailable/);
    } finally {
      state.broken = false;
    }
  });

  test('the metadata service answers for nothing without addresses', async () => {
    const a = await logic.metadata.answer(crypto.randomUUID(), '10.0.0.5', '/openstack/latest/meta_data.json');
    assert.equal(a.status, 404);
  });
});
