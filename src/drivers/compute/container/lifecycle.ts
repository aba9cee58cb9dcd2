import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDrive } from '../../../images/config-drive.js';
import { ComputeDriverError, type VolumeConnection } from '../driver.js';
import type { DriverContext } from './context.js';
import { until } from './host.js';
import { attachPorts, deleteNetns, ensureNetns, returnPorts } from './network.js';
import { ociConfig } from './oci.js';
import { ensureRootfs, releaseRootfs } from './rootfs.js';
import { V1_CONTROLLERS } from './runtime.js';
import { startShim } from './shim.js';
import { FILES, type InstanceRecord } from './state.js';
import { rmdirQuiet, shimAlive, tail } from './util.js';
import { loopVolume, plugDevice, unloopVolume } from './volumes.js';

// The container driver's lifecycle steps on the host: building and starting an instance's
// container, stopping it, tearing everything of it down, and looping its volumes.

/** Loops the volume's file and, when `live` and the instance runs, shows it in the guest. */
export async function addVolume(ctx: DriverContext, rec: InstanceRecord, volume: VolumeConnection, live: boolean): Promise<void> {
  if (!volume.path) {
    // NOTE: a block backend without local files (the fake) gives no path: the attachment is
    // recorded, the guest sees nothing, and the console says so.
    rec.volumes.push({ volumeId: volume.volumeId, device: volume.device, path: '', loop: '', major: 0, minor: 0 });
    ctx.store.put(rec);
    ctx.consoleNote(rec.id, `=== volume ${volume.volumeId} has no local file: not visible in the guest ===`);
    return;
  }
  const v = await loopVolume(volume.volumeId, volume.device, volume.path).catch((e: Error) => {
    throw new ComputeDriverError('failed', `cannot attach volume ${volume.volumeId}: ${e.message}`);
  });
  ctx.o.inventory?.record({ kind: 'loop', key: v.loop, note: `volume ${volume.volumeId} of instance ${rec.id}`, owner: 'compute' });
  rec.volumes.push(v);
  ctx.store.put(rec);
  if (!live) return;
  const st = await ctx.runtime().state(ctx.cid(rec.id));
  if (st?.pid && (st.status === 'running' || st.status === 'paused')) await plugDevice(st.pid, v);
  ctx.consoleNote(rec.id, `=== volume ${volume.volumeId} attached as ${v.device} ===`);
}

/**
 * The config drive: its files (shown read-only at /mnt/config, since this host's kernel has no
 * iso9660 driver for the guest to mount) and its `config-2` ISO 9660 image, which the guest sees
 * as the read-only block device /dev/sr0, as a VM's cloud-init would find it.
 */
export async function writeConfigDrive(ctx: DriverContext, id: string, files: Record<string, string>): Promise<void> {
  try {
    await configDrive(ctx.store.path(id, FILES.config), ctx.store.path(id, FILES.configImage), files);
  } catch (e) {
    throw new ComputeDriverError('failed', `config drive: ${(e as Error).message}`);
  }
}

/** The guest device of the config drive image. */
const CONFIG_DRIVE_DEVICE = '/dev/sr0';

/** Builds what is missing (namespace, ports, root filesystem, volume loops) and starts the container. */
export async function startInstance(ctx: DriverContext, rec: InstanceRecord): Promise<void> {
  const rt = ctx.runtime();
  const id = rec.id;
  const ns = ctx.netns(id);
  const t0 = performance.now();
  const steps: string[] = [];
  const step = (what: string) => steps.push(`${what} ${(performance.now() - t0).toFixed(0)}`);
  const nsPath = await ensureNetns(ns);
  ctx.o.inventory?.record({ kind: 'netns', key: ns, note: `instance ${id}`, owner: 'compute' });
  step('netns');
  // The ports (which may wait for the network driver to plug them) and the root filesystem
  // are independent: made at the same time, so a boot waits for the slower of the two.
  const ports = attachPorts(ns, rec.ports, ctx.underlay(), ctx.o.portWaitMs ?? 60_000).then((notes) => {
    step('ports');
    return notes;
  });
  const disk = (async () => {
    const lower = rec.image ? await ctx.mountImage(rec) : null;
    await ensureRootfs(rt, ctx.disk(id), lower, rec.flavor.diskGiB, rec.bootVolumePath);
    for (const [i, v] of rec.volumes.entries()) if (v.path) rec.volumes[i] = await loopVolume(v.volumeId, v.device, v.path, v.loop);
    const iso = ctx.store.path(id, FILES.configImage);
    if (rec.hasConfigDrive && existsSync(iso)) {
      rec.configDriveLoop = await loopVolume('config-drive', CONFIG_DRIVE_DEVICE, iso, rec.configDriveLoop?.loop, true);
      ctx.o.inventory?.record({ kind: 'loop', key: rec.configDriveLoop.loop, note: `config drive of instance ${id}`, owner: 'compute' });
    }
    step('rootfs');
  })();
  // Both settle before a failure is thrown, so the teardown that follows never races either.
  const [pr, dr] = await Promise.allSettled([ports, disk]);
  if (pr.status === 'rejected') throw pr.reason;
  if (dr.status === 'rejected') throw dr.reason;
  for (const n of pr.value) ctx.consoleNote(id, `=== ${n} ===`);
  const bundle = ctx.store.path(id, FILES.bundle);
  mkdirSync(bundle, { recursive: true });
  const config = ociConfig({
    rootfs: ctx.disk(id).rootfs,
    hostname: rec.hostname,
    netnsPath: nsPath,
    cgroupsPath: ctx.cgroupsPath(id),
    flavor: rec.flavor,
    devices: [
      ...rec.volumes.filter((v) => v.loop).map((v) => ({ path: v.device, major: v.major, minor: v.minor })),
      ...(rec.configDriveLoop ? [{ path: CONFIG_DRIVE_DEVICE, major: rec.configDriveLoop.major, minor: rec.configDriveLoop.minor, readOnly: true }] : []),
    ],
    ...(rec.hasConfigDrive ? { configDir: ctx.store.path(id, FILES.config) } : {}),
  });
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 1));
  rmSync(ctx.store.path(id, FILES.noRestart), { force: true });
  rmSync(ctx.store.path(id, FILES.exit), { force: true });
  const cid = ctx.cid(id);
  rec.shim = startShim({
    runArgv: rt.argv(['run', '--bundle', bundle, cid]),
    deleteArgv: rt.argv(['delete', '-f', cid]),
    console: ctx.store.path(id, FILES.console),
    exitFile: ctx.store.path(id, FILES.exit),
    noRestartFile: ctx.store.path(id, FILES.noRestart),
  });
  rec.desired = 'running';
  rec.suspended = false;
  ctx.store.put(rec);
  ctx.o.inventory?.record({ kind: 'pid', key: String(rec.shim.pid), startTime: rec.shim.startTime, note: `shim of instance ${id}`, owner: 'compute' });
  const shim = rec.shim;
  let exited = false;
  step('shim');
  const up = await until(async () => {
    const st = await rt.state(cid);
    if (st?.status === 'running') return true;
    exited = !shimAlive(shim);
    return exited;
  }, 15_000);
  step('running');
  ctx.o.debug?.(`instance ${id} start (ms since start): ${steps.join(', ')}`);
  if (!up || exited) {
    const why = tail(ctx.store.path(id, FILES.console), 2000).trim().split('\n').slice(-3).join(' | ');
    throw new ComputeDriverError('failed', `instance ${id} did not start: ${why || 'no output from the runtime'}`, !exited);
  }
}

/** Stops the container: the poweroff signal, up to `timeoutMs`, then SIGKILL; waits for the shim. */
export async function stopInstance(ctx: DriverContext, rec: InstanceRecord, timeoutMs: number): Promise<void> {
  const rt = ctx.runtime();
  const cid = ctx.cid(rec.id);
  writeFileSync(ctx.store.path(rec.id, FILES.noRestart), '');
  let st = await rt.state(cid);
  if (st?.status === 'paused') await rt.run(['resume', cid], true);
  if (st && st.status !== 'stopped' && timeoutMs > 0) {
    await rt.run(['kill', cid, ctx.o.stopSignal ?? 'USR2'], true);
    await until(async () => !(await rt.state(cid)), timeoutMs, 25);
    st = await rt.state(cid);
  }
  if (st) {
    await rt.run(['kill', '--all', cid, 'KILL'], true);
    await until(async () => !(await rt.state(cid)), 5_000, 10);
  }
  const shim = rec.shim;
  if (shim) {
    await until(() => !shimAlive(shim), 3_000, 10);
    ctx.o.inventory?.forget('pid', String(shim.pid));
  }
  await rt.run(['delete', '-f', cid], true);
  rec.shim = null;
  ctx.store.put(rec);
}

/** Everything of one instance, gone: container, volumes' loops, ports given back, namespace, mounts, files. */
export async function teardownInstance(ctx: DriverContext, rec: InstanceRecord): Promise<void> {
  const id = rec.id;
  await stopInstance(ctx, rec, 0);
  for (const v of [...rec.volumes, ...(rec.configDriveLoop ? [rec.configDriveLoop] : [])]) {
    if (!v.loop) continue;
    await unloopVolume(v);
    ctx.o.inventory?.forget('loop', v.loop);
  }
  const ns = ctx.netns(id);
  await returnPorts(ns, rec.ports, ctx.underlay());
  await deleteNetns(ns);
  ctx.o.inventory?.forget('netns', ns);
  await releaseRootfs(ctx.runtime(), ctx.disk(id));
  rmSync(ctx.store.path(id), { recursive: true, force: true });
  for (const c of [...V1_CONTROLLERS, 'systemd']) rmdirQuiet(`/sys/fs/cgroup/${c}/${ctx.o.namePrefix}/${id}`);
  if (rec.image && !ctx.store.ids().some((o) => ctx.store.get(o)?.image?.id === rec.image!.id)) {
    await ctx.imageLock.run(() => ctx.images!.release(rec.image!.id)).catch((e: Error) => ctx.log(`release of image ${rec.image!.id}: ${e.message}`));
  }
  if (ctx.store.ids().length === 0) removeCgroupParents(ctx);
  ctx.locks.delete(id);
}

export function removeCgroupParents(ctx: DriverContext): void {
  for (const c of [...V1_CONTROLLERS, 'systemd', 'unified']) rmdirQuiet(`/sys/fs/cgroup/${c}/${ctx.o.namePrefix}`);
}