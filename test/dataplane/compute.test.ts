import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { computeDriverContract, testSpec } from '../../src/drivers/compute/contract.js';
import { ContainerComputeDriver } from '../../src/drivers/compute/container/index.js';
import { peerName } from '../../src/drivers/compute/container/network.js';
import { buildCirrosImage } from '../../src/images/cirros.js';
import { run } from '../support/proc.js';
import { pollUntil } from '../support/poll.js';

const root = process.getuid?.() === 0;
const skip = root ? false : 'needs root (real containers, namespaces, loop devices)';
const work = mkdtempSync(join(tmpdir(), 'stratus-ctr-'));
const drivers: ContainerComputeDriver[] = [];
let image = '';

/** A fresh driver with its own state directory and cloud prefix. */
function makeDriver(extra: Partial<ConstructorParameters<typeof ContainerComputeDriver>[0]> = {}): ContainerComputeDriver {
  const prefix = `stx-${randomBytes(4).toString('hex')}`;
  const d = new ContainerComputeDriver({ stateDir: join(work, prefix), namePrefix: prefix, portWaitMs: 3_000, stopTimeoutMs: 3_000, ...extra });
  drivers.push(d);
  return d;
}

function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, ms: number, what: string): Promise<T> {
  return pollUntil(fn, { timeoutMs: ms, what, retryErrors: false, accept: 'truthy' });
}

before(async () => {
  if (root) image = (await buildCirrosImage({ cacheDir: join(work, 'images') })).path;
});
after(async () => {
  for (const d of drivers) await d.purge().catch((e: Error) => console.error(`purge: ${e.message}`));
  rmSync(work, { recursive: true, force: true });
});

if (root) computeDriverContract('container', async () => makeDriver(), { imagePath: async () => image });
else it('ComputeDriver contract: container', { skip }, () => {});

describe('container driver with the cirros image', { skip }, () => {
  const key = join(work, 'id_ed25519');
  const underlay = `stx-${randomBytes(4).toString('hex')}`;
  before(async () => {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    await run('ip', ['netns', 'add', underlay]);
  });
  after(async () => {
    await run('ip', ['netns', 'del', underlay]);
  });

  /** ssh inside the instance's own namespace (loopback), as `user`. */
  const ssh = (d: ContainerComputeDriver, id: string, user: string, cmd: string) =>
    run('nsenter', [`--net=/run/netns/${(d as any).netns(id)}`, '--', 'ssh', '-i', key, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=3', '-o', 'LogLevel=ERROR', `${user}@127.0.0.1`, cmd], { timeoutMs: 15_000 });

  it('boots: port as eth0 with its MAC, config drive keys and hostname, ssh, volumes, reboot keeps data, destroy leaves nothing', async () => {
    const d = makeDriver({ underlayNetns: `/run/netns/${underlay}` });
    await d.init();
    const portId = randomUUID();
    const mac = 'fa:16:3e:12:34:56';
    await run('ip', ['-n', underlay, 'link', 'add', `tap${portId.slice(0, 11)}`, 'type', 'veth', 'peer', 'name', peerName(portId), 'address', mac]);
    // Up, so the guest sees a carrier at once (no DHCP server here: udhcpc gives up after its tries).
    await run('ip', ['-n', underlay, 'link', 'set', `tap${portId.slice(0, 11)}`, 'up']);
    const pub = readFileSync(`${key}.pub`, 'utf8').trim();
    const spec = testSpec(image, {
      hostname: 'boot-vm',
      ports: [{ portId, networkId: randomUUID(), macAddress: mac, fixedIps: ['10.0.0.9'] }],
    });
    spec.configDrive = { 'openstack/latest/meta_data.json': JSON.stringify({ uuid: spec.id, hostname: 'boot-vm.novalocal', public_keys: { k: pub } }) };
    const t0 = Date.now();
    await d.spawn(spec);
    const active = Date.now() - t0;
    const id = spec.id;
    const ns = (d as any).netns(id) as string;

    const links = JSON.parse((await run('ip', ['-n', ns, '-json', 'link', 'show', 'eth0'])).stdout) as { address: string }[];
    assert.equal(links[0]?.address, mac, 'the port peer is eth0 inside, with the port MAC');
    const log = await eventually(async () => {
      const l = await d.consoleOutput(id);
      return /boot-vm login:/.test(l) && l;
    }, 20_000, 'the login prompt on the console');
    assert.match(log, /=== datasource: configdrive ===/);
    assert.match(log, /public-keys: 1 installed/);
    const who = await eventually(async () => {
      const r = await ssh(d, id, 'cirros', 'hostname; id -un');
      return r.code === 0 && r.stdout;
    }, 10_000, 'ssh as cirros');
    const ready = Date.now() - t0;
    assert.deepEqual(who.trim().split('\n'), ['boot-vm', 'cirros']);
    // The config drive is also an ISO 9660 image labelled config-2: /dev/sr0 in the guest, read-only.
    assert.match(log, /config drive: \/dev\/sr0 \(label config-2\)/);
    const cd = await ssh(d, id, 'root', 'findfs LABEL=config-2; dd if=/dev/sr0 bs=2048 skip=16 count=1 2>/dev/null | head -c 48 | tail -c 8; echo; dd if=/dev/zero of=/dev/sr0 count=1 2>/dev/null && echo writable || echo read-only');
    assert.deepEqual(cd.stdout.trim().split('\n'), ['/dev/sr0', 'config-2', 'read-only'], cd.stderr);
    console.log(`# spawn → running ${active} ms, → ssh answered ${ready} ms`);

    // A volume: visible as /dev/vdb, a filesystem made and written, detached, attached again.
    const vol = join(work, `vol-${randomBytes(3).toString('hex')}.raw`);
    writeFileSync(vol, '');
    await run('truncate', ['-s', '64M', vol]);
    const volumeId = randomUUID();
    await d.attachVolume(id, { volumeId, device: '/dev/vdb', path: vol });
    let r = await ssh(d, id, 'root', 'mke2fs /dev/vdb >/dev/null && mkdir -p /mnt/v && mount /dev/vdb /mnt/v && echo kept-on-volume > /mnt/v/f && umount /mnt/v && echo ok');
    assert.equal(r.stdout.trim(), 'ok', r.stderr);
    await d.detachVolume(id, volumeId);
    r = await ssh(d, id, 'root', 'test -e /dev/vdb && echo present || echo absent');
    assert.equal(r.stdout.trim(), 'absent');
    assert.equal((await run('losetup', ['-j', vol])).stdout.trim(), '', 'the loop device is freed');
    await d.attachVolume(id, { volumeId, device: '/dev/vdb', path: vol });
    r = await ssh(d, id, 'root', 'mount /dev/vdb /mnt/v && cat /mnt/v/f && umount /mnt/v');
    assert.equal(r.stdout.trim(), 'kept-on-volume');

    // The root disk keeps what was written across a soft reboot.
    r = await ssh(d, id, 'root', 'echo kept-on-root > /root/keep && sync && echo ok');
    assert.equal(r.stdout.trim(), 'ok');
    await d.reboot(id, 'SOFT');
    assert.equal((await d.getInfo(id))?.powerState, 'running');
    r = await eventually(async () => {
      const x = await ssh(d, id, 'root', 'cat /root/keep; test -e /dev/vdb && echo vdb');
      return x.code === 0 && x;
    }, 15_000, 'ssh after the reboot');
    assert.deepEqual(r.stdout.trim().split('\n'), ['kept-on-root', 'vdb']);

    // A snapshot is an ext4 image of the current root filesystem.
    const snap = await d.snapshot(id);
    const out = join(work, 'snap.raw');
    const chunks: Buffer[] = [];
    for await (const c of snap.stream) chunks.push(Buffer.from(c as Uint8Array));
    writeFileSync(out, Buffer.concat(chunks));
    assert.equal((await run('debugfs', ['-R', 'cat /root/keep', out])).stdout.trim(), 'kept-on-root');

    // Destroy leaves nothing: container, namespace, mounts, loops, cgroups, files; the port goes back.
    const stateDir = (d as any).o.stateDir as string;
    assert.equal(await d.destroy(id), true);
    assert.equal(existsSync(`/run/netns/${ns}`), false);
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(join(stateDir, 'instances')));
    const rt = (d as any).rt;
    assert.ok(![...(await rt.mounts())].some((m: string) => m.includes(join(stateDir, 'instances'))), 'no mount left in the runtime namespace');
    assert.equal((await run('losetup', ['-j', vol])).stdout.trim(), '');
    assert.equal((await run('sh', ['-c', `losetup -a | grep -c ${stateDir} || true`])).stdout.trim(), '0');
    assert.equal(existsSync(`/sys/fs/cgroup/memory/${(d as any).o.namePrefix}/${id}`), false);
    assert.deepEqual(readdirSync(join(stateDir, 'instances')), []);
    assert.ok((await run('ip', ['-n', underlay, 'link', 'show', peerName(portId)])).code === 0, 'the port peer is back in the underlay');
  });

  it('enforces the flavor: memory limit, cpu quota, and resize changes them live', async () => {
    const d = makeDriver();
    await d.init();
    const spec = testSpec(image, { flavor: { vcpus: 1, ramMiB: 96, diskGiB: 1, swapMiB: 0, ephemeralGiB: 0, extraSpecs: {} } });
    await d.spawn(spec);
    const cg = `/sys/fs/cgroup/memory/${(d as any).o.namePrefix}/${spec.id}`;
    assert.equal(Number(readFileSync(`${cg}/memory.limit_in_bytes`, 'utf8')), 96 * 2 ** 20);
    const cpu = `/sys/fs/cgroup/cpu/${(d as any).o.namePrefix}/${spec.id}`;
    assert.equal(Number(readFileSync(`${cpu}/cpu.cfs_quota_us`, 'utf8')), 100_000);
    await d.resize(spec.id, { vcpus: 2, ramMiB: 192, diskGiB: 2, swapMiB: 0, ephemeralGiB: 0, extraSpecs: {} });
    assert.equal(Number(readFileSync(`${cg}/memory.limit_in_bytes`, 'utf8')), 192 * 2 ** 20);
    assert.equal(Number(readFileSync(`${cpu}/cpu.cfs_quota_us`, 'utf8')), 200_000);
    const info = await d.getInfo(spec.id);
    assert.equal(info?.memoryMiB, 192);
    assert.ok((info?.cpuTimeNs ?? 0) > 0, 'cpu time comes from the cgroup');
    await d.destroy(spec.id);
  });

  it('a new driver on the same state adopts running instances; a guest poweroff shows as shutdown, a killed init as crashed', async () => {
    const d = makeDriver();
    await d.init();
    const spec = testSpec(image);
    await d.spawn(spec);
    const again = new ContainerComputeDriver({ ...(d as any).o });
    await again.init();
    assert.deepEqual(await again.listInstances(), [spec.id]);
    assert.equal((await again.getInfo(spec.id))?.powerState, 'running');
    const rt = (again as any).rt;
    const cid = (again as any).cid(spec.id);
    await rt.run(['kill', cid, 'KILL']);
    await eventually(async () => (await again.getInfo(spec.id))?.powerState === 'crashed', 5_000, 'crashed');
    await again.powerOn(spec.id);
    assert.equal((await again.getInfo(spec.id))?.powerState, 'running');
    await eventually(async () => /login:/.test(await again.consoleOutput(spec.id)), 20_000, 'boot');
    await rt.run(['kill', cid, 'USR2']); // busybox init: poweroff, as `poweroff` in the guest
    await eventually(async () => (await again.getInfo(spec.id))?.powerState === 'shutdown', 10_000, 'shutdown');
    assert.equal(await again.destroy(spec.id), true);
  });
});
