import { NO_VALID_HOST } from '../errors.js';
import type { BlockDevice, Caller, Server, ServerPort, ServerTask } from '../models.js';
import type { PortInfo } from '../ports.js';
import { TASK } from '../states.js';
import { actingCaller, instanceSpec, recordUsage, traced, type TaskDeps } from './deps.js';

function portOf(p: PortInfo, owned: boolean): ServerPort {
  return { portId: p.id, networkId: p.networkId, networkName: p.networkName, macAddress: p.macAddress, fixedIps: p.fixedIps, owned };
}

/** Moves the build on to `taskState` if the build is still the server's task; undefined when replaced. */
async function advance(d: TaskDeps, s: Server, task: ServerTask, patch: Partial<Server>): Promise<Server | undefined> {
  let current = true;
  const out = await d.servers.mutate(s.id, (cur) => {
    current = cur.task?.id === task.id;
    return current ? { ...cur, ...patch } : undefined;
  });
  return current ? out : undefined;
}

/** Records a port on the server at once, whatever its task, so a delete always finds it. */
async function addPort(d: TaskDeps, id: string, port: ServerPort): Promise<Server> {
  return d.servers.mutate(id, (cur) => (cur.ports.some((p) => p.portId === port.portId) ? undefined : { ...cur, ports: [...cur.ports, port] }));
}

/**
 * Gives the server one port per network request: a new port on a requested network (with
 * the fixed IP and security groups asked for), or the user's own port bound to it. Ports
 * already recorded are skipped, and ports bound to the server but not recorded (a crash
 * between creating and recording) are adopted, so a re-run never makes a second port.
 */
async function allocateNetwork(d: TaskDeps, s: Server, caller: Caller): Promise<Server> {
  const requests = Array.isArray(s.requestedNetworks) ? s.requestedNetworks : [];
  const net = d.ctx.ports.network;
  let cur = s;
  for (let i = cur.ports.length; i < requests.length; i++) {
    const r = requests[i]!;
    const host = cur.host ?? d.ctx.config.host;
    const zone = cur.availabilityZone;
    if (r.portId) {
      cur = await addPort(d, cur.id, portOf(await net.bindPort(r.portId, cur.id, host, zone), false));
      continue;
    }
    const known = new Set(cur.ports.map((p) => p.portId));
    const orphan = (await net.portsOf(cur.id)).find((p) => !known.has(p.id) && p.networkId === r.networkId);
    const sgIds = cur.securityGroups.map((g) => g.id).filter((x): x is string => !!x);
    const port = orphan ?? (await net.createPort(caller, { networkId: r.networkId!, serverId: cur.id, securityGroupIds: sgIds, host, zone, ...(r.fixedIp ? { fixedIp: r.fixedIp } : {}) }));
    cur = await addPort(d, cur.id, portOf(port, true));
  }
  return cur;
}

async function setDevice(d: TaskDeps, id: string, index: number, patch: Partial<BlockDevice>): Promise<Server> {
  return d.servers.mutate(id, (cur) => {
    const devices = cur.blockDevices.map((b, i) => (i === index ? { ...b, ...patch } : b));
    return { ...cur, blockDevices: devices };
  });
}

/**
 * Makes the volumes the server boots with (from an image, a snapshot or blank), reserves and
 * attaches every volume device, recording each step so a re-run continues where it stopped.
 */
async function prepareDevices(d: TaskDeps, s: Server, caller: Caller): Promise<Server> {
  const vols = d.ctx.ports.volumes;
  let cur = s;
  for (let i = 0; i < cur.blockDevices.length; i++) {
    let b = cur.blockDevices[i]!;
    if (b.state === 'attached') continue;
    if (!b.volumeId) {
      const made = await vols.create(caller, {
        size: b.size ?? 1,
        name: `${cur.name}-${b.device.replace('/dev/', '')}`,
        ...(b.sourceType === 'image' && b.imageId ? { imageId: b.imageId } : {}),
      });
      cur = await setDevice(d, cur.id, i, { volumeId: made.id });
      b = cur.blockDevices[i]!;
    }
    await vols.reserve(caller, b.volumeId!, cur.id);
    const { path } = await vols.attach(b.volumeId!, cur.id, b.device, cur.host ?? d.ctx.config.host);
    cur = await setDevice(d, cur.id, i, { state: 'attached', ...(path ? { path } : {}) });
  }
  return cur;
}

/** A build that cannot go on: ERROR with a fault; the claim is released. */
export async function failBuild(d: TaskDeps, s: Server, task: ServerTask, fault: { code: number; message: string; details?: string }): Promise<void> {
  const recorded = await d.servers.finish(s.id, task, {
    vmState: 'error',
    taskState: null,
    powerState: 0,
    fault: { code: fault.code, message: fault.message, details: fault.details ?? '', createdAt: d.ctx.now() },
  });
  if (!recorded) return;
  await d.scheduler.release(s.id);
  await d.ctx.driver.destroy(s.id).catch(() => false);
  await recordUsage(d, s.id, { state: 'error' });
}

/**
 * The build task: claim a host (or ERROR "No valid host was found"), make the ports, make
 * and attach the volumes, fetch the image, spawn, and record ACTIVE. Each step is recorded
 * as it finishes; when a delete replaces the build the handler stops at the next step.
 */
export async function build(d: TaskDeps, s0: Server, task: ServerTask): Promise<void> {
  const caller = actingCaller(s0, task);
  let s: Server | undefined = s0;
  if (!s.host) {
    const p = await d.scheduler.claim(s);
    if (!p) return failBuild(d, s, task, NO_VALID_HOST);
    const zone = s.requestedZone ?? (await d.zoneOf(p.name));
    s = await advance(d, s, task, { host: p.name, node: p.name, availabilityZone: zone, taskState: TASK.networking });
    if (!s) return;
  }
  s = await allocateNetwork(d, s, caller);
  if (s.blockDevices.some((b) => b.state !== 'attached')) {
    s = await advance(d, s, task, { taskState: TASK.blockDeviceMapping });
    if (!s) return;
    s = await prepareDevices(d, s, caller);
  }
  s = s.taskState === TASK.spawning ? s : await advance(d, s, task, { taskState: TASK.spawning });
  if (!s) return;
  const spec = await instanceSpec(d, s, caller);
  await traced(d, s, task, 'compute__do_build_and_run_instance', () => d.ctx.driver.spawn(spec));
  const now = d.ctx.now();
  if (await d.servers.finish(s.id, task, { vmState: 'active', taskState: null, powerState: 1, launchedAt: now })) {
    await recordUsage(d, s.id, { state: 'active', startedAt: now });
  }
}
