import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ComputeDriverError, type ComputeDriver, type InstanceSpec } from './driver.js';

export interface ComputeContractHooks {
  /** A local file with image bytes for spawn. */
  imagePath(): Promise<string>;
}

export function testSpec(path: string, over: Partial<InstanceSpec> = {}): InstanceSpec {
  const id = randomUUID();
  return {
    id,
    name: `instance-${id.slice(0, 8)}`,
    hostname: 'contract-vm',
    flavor: { vcpus: 1, ramMiB: 128, diskGiB: 1, swapMiB: 0, ephemeralGiB: 0, extraSpecs: {} },
    image: { id: randomUUID(), path, diskFormat: 'raw' },
    volumes: [],
    ports: [{ portId: randomUUID(), networkId: randomUUID(), macAddress: 'fa:16:3e:00:00:01', fixedIps: ['10.0.0.5'] }],
    configDrive: null,
    ...over,
  };
}

async function rejectsWith(p: Promise<unknown>, code: ComputeDriverError['code']): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ComputeDriverError && e.code === code);
}

async function power(d: ComputeDriver, id: string): Promise<string | undefined> {
  return (await d.getInfo(id))?.powerState;
}

/**
 * The ComputeDriver contract (driver.ts), run against every implementation. `make` returns a
 * fresh driver with no instances.
 */
export function computeDriverContract(name: string, make: () => Promise<ComputeDriver>, hooks: ComputeContractHooks): void {
  describe(`ComputeDriver contract: ${name}`, () => {
    const spawned = async () => {
      const d = await make();
      await d.init();
      const spec = testSpec(await hooks.imagePath());
      await d.spawn(spec);
      return { d, spec, id: spec.id };
    };

    it('spawn leaves the instance running; a repeat is a no-op', async () => {
      const { d, spec, id } = await spawned();
      assert.equal(await power(d, id), 'running');
      assert.deepEqual(await d.listInstances(), [id]);
      await d.powerOff(id);
      await d.spawn(spec);
      assert.equal(await power(d, id), 'shutdown', 'a repeated spawn leaves the instance alone');
      const info = await d.getInfo(id);
      assert.equal(info?.vcpus, 1);
      assert.equal(info?.memoryMiB, 128);
    });

    it('destroy removes; a repeat resolves false', async () => {
      const { d, id } = await spawned();
      assert.equal(await d.destroy(id), true);
      assert.equal(await d.getInfo(id), undefined);
      assert.equal(await d.destroy(id), false);
      assert.deepEqual(await d.listInstances(), []);
    });

    it('power off and on are idempotent', async () => {
      const { d, id } = await spawned();
      await d.powerOff(id, { timeoutMs: 0 });
      await d.powerOff(id);
      assert.equal(await power(d, id), 'shutdown');
      await d.powerOn(id);
      await d.powerOn(id);
      assert.equal(await power(d, id), 'running');
    });

    it('reboot ends running; SOFT from paused is refused', async () => {
      const { d, id } = await spawned();
      await d.reboot(id, 'SOFT');
      assert.equal(await power(d, id), 'running');
      await d.powerOff(id);
      await d.reboot(id, 'HARD');
      assert.equal(await power(d, id), 'running');
      if (d.capabilities.pause) {
        await d.pause(id);
        await rejectsWith(d.reboot(id, 'SOFT'), 'invalid-state');
        assert.equal(await power(d, id), 'paused');
        await d.reboot(id, 'HARD');
        assert.equal(await power(d, id), 'running');
      }
    });

    it('pause/unpause and suspend/resume follow the state rules', async () => {
      const { d, id } = await spawned();
      if (d.capabilities.pause) {
        await d.pause(id);
        await d.pause(id);
        assert.equal(await power(d, id), 'paused');
        await d.unpause(id);
        await d.unpause(id);
        assert.equal(await power(d, id), 'running');
      } else await rejectsWith(d.pause(id), 'unsupported');
      if (d.capabilities.suspend) {
        await d.suspend(id);
        await d.suspend(id);
        assert.equal(await power(d, id), 'suspended');
        await rejectsWith(d.pause(id), 'invalid-state');
        await d.resume(id);
        assert.equal(await power(d, id), 'running');
        await d.powerOff(id);
        await rejectsWith(d.suspend(id), 'invalid-state');
        await rejectsWith(d.resume(id), 'invalid-state');
        assert.equal(await power(d, id), 'shutdown');
      }
    });

    it('calls on a missing instance reject with not-found', async () => {
      const d = await make();
      const id = randomUUID();
      assert.equal(await d.getInfo(id), undefined);
      await rejectsWith(d.powerOn(id), 'not-found');
      await rejectsWith(d.powerOff(id), 'not-found');
      await rejectsWith(d.reboot(id, 'HARD'), 'not-found');
      await rejectsWith(d.consoleOutput(id), 'not-found');
      await rejectsWith(d.attachVolume(id, { volumeId: 'v1', device: '/dev/vdb' }), 'not-found');
    });

    it('volumes attach and detach idempotently', async () => {
      const { d, id } = await spawned();
      if (!d.capabilities.volumeAttach) return;
      const vol = { volumeId: randomUUID(), device: '/dev/vdb' };
      await d.attachVolume(id, vol);
      await d.attachVolume(id, vol);
      assert.deepEqual((await d.getInfo(id))?.volumes, [vol.volumeId]);
      await d.detachVolume(id, vol.volumeId);
      await d.detachVolume(id, vol.volumeId);
      assert.deepEqual((await d.getInfo(id))?.volumes, []);
    });

    it('console output is text and honours maxLines', async () => {
      const { d, id } = await spawned();
      if (!d.capabilities.consoleOutput) return;
      const all = await d.consoleOutput(id);
      assert.equal(typeof all, 'string');
      const two = await d.consoleOutput(id, 2);
      assert.ok(two.split('\n').filter((l) => l).length <= 2);
      assert.equal(await d.consoleOutput(id, 0), '');
    });

    it('resize keeps the instance and its power state', async () => {
      const { d, id } = await spawned();
      if (!d.capabilities.resize) return;
      await d.resize(id, { vcpus: 2, ramMiB: 256, diskGiB: 1, swapMiB: 0, ephemeralGiB: 0, extraSpecs: {} });
      const info = await d.getInfo(id);
      assert.equal(info?.vcpus, 2);
      assert.equal(info?.powerState, 'running');
    });

    it('snapshot yields the disk bytes', async () => {
      const { d, id } = await spawned();
      if (!d.capabilities.snapshot) return;
      const snap = await d.snapshot(id);
      let n = 0;
      for await (const chunk of snap.stream) n += (chunk as Uint8Array).length;
      assert.ok(n > 0);
      assert.equal(snap.containerFormat, 'bare');
    });
  });
}
