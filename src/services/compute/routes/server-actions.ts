import type { FastifyInstance, FastifyReply } from 'fastify';
import { badRequest, forbidden } from '../../../core/errors.js';
import { isObject, type Json } from '../../../core/validate.js';
import type { RebuildInput } from '../logic/actions.js';
import type { Caller } from '../logic/models.js';
import { changeSecurityGroup } from '../logic/security-groups.js';
import { authorize } from '../policy.js';
import { canonicalIpv6, intLike, invalid, ipv4, ipv6, metadata, name, onlyKeys, refId } from '../schemas/common.js';
import { serverBasic } from '../views/server.js';
import { viewCtx, type ComputeRouteDeps, type IdParams } from './deps.js';
import { floatingAddress, networkProxy } from './proxies-network.js';

type Handler = (d: ComputeRouteDeps, caller: Caller, id: string, arg: unknown, reply: FastifyReply) => Promise<unknown>;

function obj(arg: unknown, action: string): Json {
  if (!isObject(arg)) throw invalid(action, `${JSON.stringify(arg)}. ${JSON.stringify(arg)} is not of type 'object'`);
  return arg;
}

function parseRebuild(arg: unknown): RebuildInput {
  const b = obj(arg, 'rebuild');
  onlyKeys(b, ['imageRef', 'name', 'metadata', 'adminPass', 'accessIPv4', 'accessIPv6', 'OS-DCF:diskConfig', 'personality', 'preserve_ephemeral'], 'rebuild');
  if (typeof b.imageRef !== 'string' || !b.imageRef) throw invalid('imageRef', "None. 'imageRef' is a required property");
  const out: RebuildInput = { imageRef: refId(b.imageRef) };
  if (b.name !== undefined) out.name = name(b.name);
  if (b.metadata !== undefined) out.metadata = metadata(b.metadata);
  if (b.adminPass !== undefined) {
    if (typeof b.adminPass !== 'string') throw invalid('adminPass', 'is not of type string');
    out.adminPass = b.adminPass;
  }
  if (b.accessIPv4 !== undefined && b.accessIPv4 !== '') out.accessIPv4 = ipv4(b.accessIPv4, 'accessIPv4');
  if (b.accessIPv6 !== undefined && b.accessIPv6 !== '') out.accessIPv6 = canonicalIpv6(ipv6(b.accessIPv6, 'accessIPv6'));
  const dc = b['OS-DCF:diskConfig'];
  if (dc !== undefined) {
    if (dc !== 'AUTO' && dc !== 'MANUAL') throw invalid('OS-DCF:diskConfig', `${JSON.stringify(dc)} is not one of ['AUTO', 'MANUAL']`);
    out.diskConfig = dc;
  }
  return out;
}

/** 202 with no body; the second argument only sequences the awaited call before it. */
const accepted = (reply: FastifyReply, _done?: unknown): undefined => {
  reply.code(202);
  return undefined;
};

/** Every action of `POST /servers/{id}/action`, by its key. */
const ACTIONS: Record<string, Handler> = {
  'os-start': async (d, c, id, _a, r) => accepted(r, await d.logic.actions.simple(c, id, 'start')),
  'os-stop': async (d, c, id, _a, r) => accepted(r, await d.logic.actions.simple(c, id, 'stop')),
  pause: async (d, c, id, _a, r) => accepted(r, await d.logic.actions.simple(c, id, 'pause')),
  unpause: async (d, c, id, _a, r) => accepted(r, await d.logic.actions.simple(c, id, 'unpause')),
  suspend: async (d, c, id, _a, r) => accepted(r, await d.logic.actions.simple(c, id, 'suspend')),
  resume: async (d, c, id, _a, r) => accepted(r, await d.logic.actions.simple(c, id, 'resume')),
  revertResize: async (d, c, id, _a, r) => accepted(r, await d.logic.actions.simple(c, id, 'revertResize')),
  confirmResize: async (d, c, id, _a, r) => {
    await d.logic.actions.simple(c, id, 'confirmResize');
    r.code(204);
    return undefined;
  },
  lock: async (d, c, id, _a, r) => accepted(r, await d.logic.actions.lock(c, id, true)),
  unlock: async (d, c, id, _a, r) => accepted(r, await d.logic.actions.lock(c, id, false)),
  reboot: async (d, c, id, a, r) => {
    const b = obj(a, 'reboot');
    const type = typeof b.type === 'string' ? b.type.toUpperCase() : undefined;
    if (type !== 'SOFT' && type !== 'HARD') throw invalid('reboot/type', `${JSON.stringify(b.type)}. ${JSON.stringify(b.type)} is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']`);
    return accepted(r, await d.logic.actions.reboot(c, id, type));
  },
  resize: async (d, c, id, a, r) => {
    const b = obj(a, 'resize');
    onlyKeys(b, ['flavorRef', 'OS-DCF:diskConfig'], 'resize');
    if ((typeof b.flavorRef !== 'string' && typeof b.flavorRef !== 'number') || String(b.flavorRef) === '') throw invalid('flavorRef', "None. 'flavorRef' is a required property");
    const dc = b['OS-DCF:diskConfig'];
    if (dc !== undefined && dc !== 'AUTO' && dc !== 'MANUAL') throw invalid('OS-DCF:diskConfig', `${JSON.stringify(dc)} is not one of ['AUTO', 'MANUAL']`);
    return accepted(r, await d.logic.actions.resize(c, id, refId(String(b.flavorRef)), dc));
  },
  rebuild: async (d, c, id, a, r) => {
    const input = parseRebuild(a);
    const s = await d.logic.actions.rebuild(c, id, input);
    r.code(202);
    return { server: { ...serverBasic(s, await viewCtx(d, c, [s])), adminPass: input.adminPass ?? Math.random().toString(36).slice(2, 14) } };
  },
  createImage: async (d, c, id, a, r) => {
    const b = obj(a, 'createImage');
    onlyKeys(b, ['name', 'metadata'], 'createImage');
    const imageId = await d.logic.actions.createImage(c, id, name(b.name), b.metadata === undefined ? {} : metadata(b.metadata));
    r.code(202).header('location', `${d.base()}/v2.1/images/${imageId}`);
    return undefined;
  },
  createBackup: async (d, c, id, a, r) => {
    const b = obj(a, 'createBackup');
    onlyKeys(b, ['name', 'backup_type', 'rotation', 'metadata'], 'createBackup');
    if (typeof b.backup_type !== 'string' || !b.backup_type) throw invalid('backup_type', "'backup_type' is a required property");
    if (b.rotation === undefined) throw invalid('rotation', "'rotation' is a required property");
    const backup = { type: b.backup_type, rotation: intLike(b.rotation, 'rotation', 0) };
    const imageId = await d.logic.actions.createImage(c, id, name(b.name), b.metadata === undefined ? {} : metadata(b.metadata), backup);
    r.code(202).header('location', `${d.base()}/v2.1/images/${imageId}`);
    return undefined;
  },
  'os-getConsoleOutput': async (d, c, id, a) => {
    const b = a === null || a === undefined ? {} : obj(a, 'os-getConsoleOutput');
    const length = b.length === undefined || b.length === null ? undefined : intLike(b.length, 'length', -1);
    return { output: await d.logic.actions.consoleOutput(c, id, length === -1 ? undefined : length) };
  },
  forceDelete: async (d, c, id) => d.logic.actions.softDeleted(c, id, 'forceDelete'),
  restore: async (d, c, id) => d.logic.actions.softDeleted(c, id, 'restore'),
  addSecurityGroup: async (d, c, id, a, r) => {
    const b = obj(a, 'addSecurityGroup');
    if (typeof b.name !== 'string' || !b.name.trim()) throw invalid('addSecurityGroup/name', "'name' is a required property");
    return accepted(r, await changeSecurityGroup(d.logic.ctx, d.logic.servers, c, id, b.name.trim(), true));
  },
  removeSecurityGroup: async (d, c, id, a, r) => {
    const b = obj(a, 'removeSecurityGroup');
    if (typeof b.name !== 'string' || !b.name.trim()) throw invalid('removeSecurityGroup/name', "'name' is a required property");
    return accepted(r, await changeSecurityGroup(d.logic.ctx, d.logic.servers, c, id, b.name.trim(), false));
  },
  addFloatingIp: async (d, c, id, a, r) => {
    const address = floatingAddress(a, 'addFloatingIp')!;
    const fixed = floatingAddress(a, 'addFloatingIp', 'fixed_address', false);
    const s = await d.logic.servers.find(c, id);
    return accepted(r, await networkProxy(d).associate(c, address, s.id, fixed));
  },
  removeFloatingIp: async (d, c, id, a, r) => {
    const address = floatingAddress(a, 'removeFloatingIp')!;
    const s = await d.logic.servers.find(c, id);
    return accepted(r, await networkProxy(d).disassociate(c, address, s.id));
  },
  migrate: async (d, c, id) => {
    if (!c.admin) throw forbidden();
    return d.logic.actions.migrate(c, id, false);
  },
  'os-migrateLive': async (d, c, id) => {
    if (!c.admin) throw forbidden();
    return d.logic.actions.migrate(c, id, true);
  },
  'os-resetState': async (d, c, id, a, r) => {
    if (!c.admin) throw forbidden();
    const b = obj(a, 'os-resetState');
    if (b.state !== 'active' && b.state !== 'error') throw invalid('os-resetState/state', `${JSON.stringify(b.state)} is not one of ['active', 'error']`);
    await d.logic.servers.find(c, id);
    await d.logic.servers.mutate(id, (s) => ({ ...s, vmState: b.state as 'active' | 'error', taskState: null, task: null }));
    return accepted(r);
  },
};

/** `POST /servers/{id}/action`: one action per body, dispatched by its key. */
export function serverActionRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  app.post<IdParams>('/servers/:id/action', async (req, reply) => {
    const caller = authorize(req, 'write');
    if (!isObject(req.body) || Object.keys(req.body).length === 0) throw badRequest('Malformed request body: an action is required.');
    const key = Object.keys(req.body).find((k) => k in ACTIONS);
    if (!key) throw badRequest(`There is no such action: ${Object.keys(req.body)[0]}`);
    const out = await ACTIONS[key]!(d, caller, req.params.id, req.body[key], reply);
    if (out === undefined) return reply.send();
    return out;
  });
}
