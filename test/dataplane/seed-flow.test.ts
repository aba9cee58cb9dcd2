import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cloudPrefix } from '../../src/dataplane/names.js';
import { run } from '../support/proc.js';
import { realCloud, realCloudSkipReason, until } from '../support/real-cloud.js';
import { BIN } from '../support/stratus-process.js';

/**
 * The seed flow of issue #6, end to end: a real `stratus up` child as root, in isolated mode,
 * driven by Debian's `openstack` CLI; ssh runs inside the underlay (`stratus netns exec`).
 */
describe('seed flow on the real data plane', { skip: realCloudSkipReason(), timeout: 240_000 }, () => {
  const c = realCloud({ tmpPrefix: 'stratus-seed-', sshConnectTimeoutS: 3 });
  const { data, key, os, ssh, sshOk } = c;

  before(() => c.start());
  after(() => c.cleanup());

  it('keypair, two servers, floating IP, security group, ssh, ping/TCP, volume move, reboot, delete, down', async (t) => {
    if (!c.requireReal(t)) return;
    await os(['keypair', 'create', '--public-key', `${key}.pub`, 'k1']);
    const boot = async (name: string, extra: string[] = []) => {
      const t0 = Date.now();
      await os(['server', 'create', '--image', 'cirros', '--flavor', 'cirros256', '--network', 'private', '--key-name', 'k1', ...extra, '--wait', name], 120_000);
      return Date.now() - t0;
    };
    const activeA = await boot('vm-a');
    // vm-b reads a config drive (an ISO 9660 image labelled config-2) and runs its user data.
    writeFileSync(join(data, 'ud.sh'), '#!/bin/sh\necho from-user-data > /root/ud\n');
    await boot('vm-b', ['--config-drive', 'True', '--user-data', join(data, 'ud.sh')]);
    const ipOf = async (name: string) => /(10\.0\.0\.\d+)/.exec(await os(['server', 'show', name, '-f', 'value', '-c', 'addresses']))?.[1] ?? '';
    const ipB = await ipOf('vm-b');
    assert.match(ipB, /^10\.0\.0\.\d+$/, 'vm-b has an address on private');
    const fip = await os(['floating', 'ip', 'create', 'public', '-f', 'value', '-c', 'floating_ip_address']);
    await os(['server', 'add', 'floating', 'ip', 'vm-a', fip]);

    // No ingress rule for tcp/22 yet: ssh fails.
    const denied = await ssh(`cirros@${fip}`, 'hostname');
    assert.notEqual(denied.code, 0, 'ssh must fail without a tcp/22 ingress rule');
    await os(['security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', 'default']);
    await os(['security', 'group', 'rule', 'create', '--protocol', 'icmp', 'default']);
    const t1 = Date.now();
    const host = await sshOk(`cirros@${fip}`, 'hostname', [], 30_000);
    assert.equal(host, 'vm-a', 'hostname and key came from metadata');
    console.log(`# vm-a ACTIVE in ${activeA} ms (CLI round trips included); ssh after the rule in ${Date.now() - t1} ms`);

    // Ping and TCP between the two instances.
    // (as root: busybox ping needs a raw socket)
    let r = await ssh(`root@${fip}`, `ping -c 1 -W 2 ${ipB} >/dev/null && echo ping-ok; echo | nc -w 2 ${ipB} 22 | head -c 7`);
    assert.match(r.stdout, /ping-ok/, `code ${r.code}: ${r.stderr}`);
    assert.match(r.stdout, /SSH-2\.0/);

    // A volume: mkfs + write on vm-a, detach, attach to vm-b, data intact.
    await os(['volume', 'create', '--size', '1', 'v1']);
    await until(async () => (await os(['volume', 'show', 'v1', '-f', 'value', '-c', 'status'])) === 'available' || false, 30_000, 'volume available');
    await os(['server', 'add', 'volume', 'vm-a', 'v1']);
    await until(async () => (await ssh(`root@${fip}`, 'test -b /dev/vdb && echo y')).stdout.trim() === 'y' || false, 30_000, '/dev/vdb in vm-a');
    r = await ssh(`root@${fip}`, 'mke2fs /dev/vdb >/dev/null && mkdir -p /mnt/v && mount /dev/vdb /mnt/v && echo seed-data > /mnt/v/f && umount /mnt/v && echo ok');
    assert.equal(r.stdout.trim(), 'ok', r.stderr);
    await os(['server', 'remove', 'volume', 'vm-a', 'v1']);
    await until(async () => (await os(['volume', 'show', 'v1', '-f', 'value', '-c', 'status'])) === 'available' || false, 30_000, 'volume detached');
    await os(['server', 'add', 'volume', 'vm-b', 'v1']);
    const jump = c.jump(fip);
    const data2 = await sshOk(`root@${ipB}`, 'mkdir -p /mnt/v && mount /dev/vdb /mnt/v && cat /mnt/v/f && umount /mnt/v', jump, 30_000);
    assert.equal(data2, 'seed-data');
    const fromDrive = await sshOk(`root@${ipB}`, 'findfs LABEL=config-2; cat /root/ud', jump, 30_000);
    assert.deepEqual(fromDrive.split('\n'), ['/dev/sr0', 'from-user-data']);
    assert.match(await os(['console', 'log', 'show', 'vm-b']), /=== datasource: configdrive ===/);

    // Reboot keeps the root disk.
    r = await ssh(`root@${fip}`, 'echo kept > /root/keep && sync && echo ok');
    assert.equal(r.stdout.trim(), 'ok');
    await os(['server', 'reboot', '--wait', 'vm-a'], 120_000);
    const kept = await sshOk(`root@${fip}`, 'cat /root/keep', [], 30_000);
    assert.equal(kept, 'kept');

    // Delete removes every host resource of the instances.
    const prefix = cloudPrefix(data);
    await os(['server', 'remove', 'volume', 'vm-b', 'v1']);
    const ids = [await os(['server', 'show', 'vm-a', '-f', 'value', '-c', 'id']), await os(['server', 'show', 'vm-b', '-f', 'value', '-c', 'id'])];
    await os(['server', 'delete', '--wait', 'vm-a', 'vm-b'], 120_000);
    assert.deepEqual(readdirSync('/run/netns').filter((n) => n.startsWith(`${prefix}-i-`)), []);
    // (the runtime's own mount namespace stays until `down`; nothing of the instances does)
    const left = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => ids.some((id) => l.includes(id)));
    assert.deepEqual(left, [], 'no mount of a deleted instance is left');
    assert.equal((await run('sh', ['-c', `losetup -a | grep -c '${data}' || true`])).stdout.trim(), '0');

    // `stratus down` leaves nothing with the cloud's prefix.
    await c.cloud!.stop();
    await run(process.execPath, [BIN, 'down', '--data-dir', data], { timeoutMs: 60_000 });
    assert.deepEqual(readdirSync('/run/netns').filter((n) => n.startsWith(prefix)), []);
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(data));
    assert.equal((await run('sh', ['-c', `losetup -a | grep -c '${data}' || true`])).stdout.trim(), '0');
    assert.equal((await run('sh', ['-c', `ps -eo args | grep -v grep | grep -c -e '${prefix}' -e '${data}' || true`])).stdout.trim(), '0');
  });
});
