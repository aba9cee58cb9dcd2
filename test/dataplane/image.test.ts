import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { testSpec } from '../../src/drivers/compute/contract.js';
import { ContainerComputeDriver } from '../../src/drivers/compute/container/index.js';
import { buildCirrosImage, CIRROS_LABEL } from '../../src/images/cirros.js';
import { run } from '../support/proc.js';

const root = process.getuid?.() === 0;

describe('cirros image', { skip: root ? false : 'needs root (mkfs -d with root-owned files, containers)' }, () => {
  const work = mkdtempSync(join(tmpdir(), 'stratus-img-'));
  const drivers: ContainerComputeDriver[] = [];
  after(async () => {
    for (const d of drivers) await d.purge().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it('is a raw ext4 disk labelled cirros-rootfs with busybox init, dropbear and its libraries; a second build is cached', async () => {
    const cache = join(work, 'cache');
    const lines: string[] = [];
    const a = await buildCirrosImage({ cacheDir: cache, log: (l) => lines.push(l) });
    assert.ok(lines.some((l) => /building the cirros image/.test(l)));
    const blk = (await run('blkid', ['-p', '-o', 'export', a.path])).stdout;
    assert.match(blk, /^TYPE=ext4$/m);
    assert.match(blk, new RegExp(`^LABEL=${CIRROS_LABEL}$`, 'm'));
    assert.equal(a.checksum, createHash('md5').update(readFileSync(a.path)).digest('hex'));
    assert.equal(a.sizeBytes, readFileSync(a.path).length);
    const ls = (await run('debugfs', ['-R', 'stat /sbin/init', a.path])).stdout;
    assert.match(ls, /Fast link dest: "\/bin\/busybox"|bin\/busybox/);
    for (const f of ['/usr/sbin/dropbear', '/etc/inittab', '/etc/init.d/rcS', '/lib64/ld-linux-x86-64.so.2', '/home/cirros/.ssh']) {
      const r = await run('debugfs', ['-R', `stat ${f}`, a.path]);
      assert.doesNotMatch(r.stderr, /File not found/, `${f} is in the image`);
    }
    const t0 = Date.now();
    const b = await buildCirrosImage({ cacheDir: cache, log: (l) => lines.push(`second: ${l}`) });
    assert.deepEqual(b, a);
    assert.ok(!lines.some((l) => l.startsWith('second:')), 'the second build does nothing');
    assert.ok(Date.now() - t0 < 1_000, 'a cached build is instant');
  });

  it('boots in a container: CirrOS-like console log, user data run, dropbear answers on port 22', async () => {
    const img = await buildCirrosImage({ cacheDir: join(work, 'cache') });
    const prefix = `stx-${randomBytes(4).toString('hex')}`;
    const d = new ContainerComputeDriver({ stateDir: join(work, prefix), namePrefix: prefix });
    drivers.push(d);
    await d.init();
    const spec = testSpec(img.path, { hostname: 'img-test', ports: [] });
    spec.configDrive = {
      'openstack/latest/meta_data.json': JSON.stringify({ uuid: spec.id, hostname: 'img-test.novalocal', public_keys: {} }),
      'openstack/latest/user_data': '#!/bin/sh\necho user-data-ran-$(hostname)\n',
    };
    await d.spawn(spec);
    const deadline = Date.now() + 15_000;
    let log = '';
    while (Date.now() < deadline && !/user-data-ran/.test(log)) {
      await new Promise((r) => setTimeout(r, 100));
      log = await d.consoleOutput(spec.id);
    }
    for (const re of [/=== cirros: current=/, /=== datasource: configdrive ===/, /BEGIN SSH HOST KEY FINGERPRINTS/, /img-test login:/, /user-data: user-data-ran-img-test/]) assert.match(log, re);
    const ns = `/run/netns/${prefix}-i-${spec.id}`;
    let banner = '';
    while (Date.now() < deadline && !banner.startsWith('SSH-2.0-dropbear')) {
      banner = (await run('nsenter', [`--net=${ns}`, '--', 'sh', '-c', 'echo | nc -w 1 127.0.0.1 22'], { timeoutMs: 5_000 })).stdout;
      if (!banner) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(banner, /^SSH-2\.0-dropbear/);
    assert.equal(await d.destroy(spec.id), true);
    assert.equal(await d.getInfo(randomUUID()), undefined);
  });
});
