import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { computeDriverContract, testSpec } from './contract.js';
import { ComputeDriverError } from './driver.js';
import { FakeComputeDriver } from './fake.js';

const dir = mkdtempSync(join(tmpdir(), 'stratus-compute-'));
const image = join(dir, 'image.raw');
writeFileSync(image, Buffer.alloc(4096, 1));
after(() => rmSync(dir, { recursive: true, force: true }));

computeDriverContract('fake', async () => new FakeComputeDriver(), { imagePath: async () => image });

describe('FakeComputeDriver knobs', () => {
  it('fails the next call when told, then recovers', async () => {
    const d = new FakeComputeDriver();
    const spec = testSpec(image);
    d.failNext('spawn', 'no room');
    await assert.rejects(d.spawn(spec), (e: unknown) => e instanceof ComputeDriverError && e.message === 'no room');
    assert.equal(await d.getInfo(spec.id), undefined, 'a failed spawn leaves nothing');
    await d.spawn(spec);
    assert.equal((await d.getInfo(spec.id))?.powerState, 'running');
    assert.deepEqual(d.calls.map((c) => c.op), ['spawn', 'spawn']);
  });

  it('is slow when told', async () => {
    const d = new FakeComputeDriver({ delays: { spawn: 30 } });
    const t0 = Date.now();
    await d.spawn(testSpec(image));
    assert.ok(Date.now() - t0 >= 25);
    d.setDelay('spawn', 0);
    const t1 = Date.now();
    await d.spawn(testSpec(image));
    assert.ok(Date.now() - t1 < 25);
  });

  it('writes a boot log naming the instance and its address', async () => {
    const d = new FakeComputeDriver();
    const spec = testSpec(image);
    await d.spawn(spec);
    const log = await d.consoleOutput(spec.id);
    assert.match(log, /10\.0\.0\.5/);
    assert.match(log, new RegExp(spec.id));
    assert.match(log, /contract-vm login:/);
  });
});
