import type { FastifyInstance, FastifyReply } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { isObject, str, type Json } from '../../../core/validate.js';
import { UUID_RE } from '../../../core/ids.js';
import type { BlockStorage } from '../logic/index.js';
import { VOLUME_STATUSES, type Caller, type VolumeStatus } from '../logic/models.js';
import { callerOf, type Access } from '../policy.js';
import { boolOf, metadataOf, sizeOf } from '../schemas/common.js';
import type { UploadInput } from '../logic/upload.js';
import { cinderTime, cinderTimeOrNull } from '../views/common.js';
import type { IdParams, VolumeRouteDeps } from './deps.js';

type Handler = (bs: BlockStorage, c: Caller, id: string, args: Json, reply: FastifyReply) => Promise<unknown>;

interface Action {
  need: Access;
  /** Status code when the handler returns nothing. */
  status: number;
  run: Handler;
}

const a = (need: Access, status: number, run: Handler): Action => ({ need, status, run });

function attachArgs(args: Json) {
  const serverId = str(args, 'instance_uuid', { nullable: true, max: 255 }) ?? null;
  const hostName = str(args, 'host_name', { nullable: true, max: 255 }) ?? null;
  if (!serverId && !hostName) throw badRequest('Invalid request to attach volume to an invalid target: instance_uuid or host_name is required.');
  if (serverId && !UUID_RE.test(serverId)) throw badRequest(`Invalid request to attach volume to an instance ${serverId.slice(0, 40)}: not a UUID.`);
  const device = str(args, 'mountpoint', { required: true, max: 255 });
  const mode = str(args, 'mode', { nullable: true }) ?? 'rw';
  if (mode !== 'rw' && mode !== 'ro') throw badRequest(`Invalid attaching mode '${mode.slice(0, 20)}' for volume: must be 'rw' or 'ro'.`);
  return { serverId, hostName, device, mode: mode as 'rw' | 'ro' };
}

function connectorOf(args: Json): Json {
  if (!isObject(args.connector)) throw badRequest("Invalid input received: 'connector' is required and must be an object.");
  return args.connector;
}

const VISIBILITIES = ['private', 'shared', 'community', 'public'] as const;

/** os-volume_upload_image: starts the upload and answers with the image it makes. */
const uploadImage: Handler = async (bs, c, id, args, reply) => {
  const input: UploadInput = { imageName: str(args, 'image_name', { required: true, max: 255 }) };
  const disk = str(args, 'disk_format', { nullable: true, max: 255 });
  if (disk) input.diskFormat = disk;
  const container = str(args, 'container_format', { nullable: true, max: 255 });
  if (container) input.containerFormat = container;
  const visibility = str(args, 'visibility', { nullable: true, max: 255 });
  if (visibility) {
    if (!VISIBILITIES.includes(visibility as (typeof VISIBILITIES)[number])) throw badRequest(`Invalid input received: visibility must be one of ${VISIBILITIES.join(', ')}.`);
    input.visibility = visibility as UploadInput['visibility'];
  }
  if (args.protected !== undefined) input.protected = boolOf(args.protected, 'protected');
  if (args.force !== undefined) input.force = boolOf(args.force, 'force');
  const r = await bs.uploads.upload(c, id, input);
  const types = await bs.types.repo.list();
  const t = types.find((x) => x.id === r.volume.volumeTypeId);
  reply.code(202).send({
    'os-volume_upload_image': {
      id: r.volume.id,
      updated_at: cinderTimeOrNull(r.volume.updatedAt),
      status: r.volume.status,
      display_description: r.volume.description,
      size: r.volume.size,
      volume_type: t ? { id: t.id, name: t.name, description: t.description, is_public: t.isPublic, extra_specs: t.extraSpecs, qos_specs_id: t.qosSpecsId ?? null, deleted: false, created_at: cinderTime(t.createdAt), updated_at: null, deleted_at: null } : null,
      image_id: r.imageId,
      image_name: r.meta.name,
      container_format: r.meta.containerFormat,
      disk_format: r.meta.diskFormat,
      visibility: r.meta.visibility,
      protected: r.meta.protected,
      is_public: r.meta.visibility === 'public',
    },
  });
};

/** The volume actions (`POST /volumes/{id}/action`, one key per request), by name. */
const ACTIONS: Record<string, Action> = {
  'os-extend': a('write', 202, (bs, c, id, args) => bs.volumes.extend(c, id, sizeOf(args.new_size, 'new_size'))),
  'os-reserve': a('write', 202, (bs, c, id) => bs.attachments.reserve(c, id)),
  'os-unreserve': a('write', 202, (bs, c, id) => bs.attachments.unreserve(c, id)),
  'os-attach': a('write', 202, (bs, c, id, args) => bs.attachments.attach(c, id, attachArgs(args))),
  'os-begin_detaching': a('write', 202, (bs, c, id) => bs.attachments.beginDetaching(c, id)),
  'os-roll_detaching': a('write', 202, (bs, c, id) => bs.attachments.rollDetaching(c, id)),
  'os-detach': a('write', 202, (bs, c, id, args) => bs.attachments.detachAttachment(c, id, str(args, 'attachment_id', { nullable: true, max: 255 }) ?? undefined)),
  'os-initialize_connection': a('write', 200, async (bs, c, id, args, reply) => {
    connectorOf(args);
    const info = await bs.attachments.connection(c, id);
    // NOTE: front-end QoS specs go to the hypervisor in the connection info, as in Cinder.
    const qos = await bs.qos.frontEnd((await bs.volumes.visible(c, id)).volumeTypeId);
    reply.code(200).send({
      connection_info: {
        driver_volume_type: info.driverVolumeType,
        data: { device_path: info.devicePath, volume_id: info.volumeId, access_mode: info.accessMode, format: info.format, encrypted: false, discard: false, qos_specs: qos },
      },
    });
  }),
  'os-terminate_connection': a('write', 202, async (bs, c, id, args) => {
    connectorOf(args);
    await bs.volumes.visible(c, id);
  }),
  'os-retype': a('write', 202, (bs, c, id, args) => bs.volumes.retype(c, id, str(args, 'new_type', { required: true, max: 255 }))),
  'os-set_bootable': a('write', 200, (bs, c, id, args) => bs.volumes.setBootable(c, id, boolOf(args.bootable, 'bootable'))),
  'os-update_readonly_flag': a('write', 202, (bs, c, id, args) => bs.volumes.setReadonly(c, id, boolOf(args.readonly, 'readonly'))),
  'os-set_image_metadata': a('write', 200, async (bs, c, id, args, reply) => {
    reply.code(200).send({ metadata: await bs.volumes.setImageMetadata(c, id, metadataOf(args.metadata)) });
  }),
  'os-unset_image_metadata': a('write', 200, (bs, c, id, args) => bs.volumes.unsetImageMetadata(c, id, str(args, 'key', { required: true, max: 255 }))),
  'os-show_image_metadata': a('read', 200, async (bs, c, id, _args, reply) => {
    reply.code(200).send({ metadata: (await bs.volumes.visible(c, id)).imageMetadata ?? {} });
  }),
  'os-reset_status': a('admin', 202, (bs, c, id, args) => {
    const status = str(args, 'status', { nullable: true, max: 255 }) ?? undefined;
    if (status !== undefined && !VOLUME_STATUSES.includes(status as VolumeStatus)) throw badRequest(`Invalid input received: status '${status.slice(0, 40)}' is not a volume status.`);
    const attach = str(args, 'attach_status', { nullable: true, max: 255 }) ?? undefined;
    if (attach !== undefined && attach !== 'attached' && attach !== 'detached') throw badRequest("Invalid input received: attach_status must be 'attached' or 'detached'.");
    if (status === undefined && attach === undefined) throw badRequest('Must specify status or attach_status.');
    return bs.volumes.resetStatus(c, id, status as VolumeStatus | undefined, attach === 'detached');
  }),
  'os-volume_upload_image': a('write', 202, uploadImage),
  'os-force_delete': a('admin', 202, (bs, c, id) => bs.volumes.delete(c, id, { force: true })),
  'os-force_detach': a('admin', 202, (bs, c, id, args) => bs.attachments.detachAttachment(c, id, str(args, 'attachment_id', { nullable: true, max: 255 }) ?? undefined)),
};

export function volumeActionRoutes(app: FastifyInstance, { bs }: VolumeRouteDeps): void {
  app.post<IdParams>('/volumes/:id/action', async (req, reply) => {
    const body = req.body;
    if (!isObject(body) || Object.keys(body).length !== 1) throw badRequest('Invalid request body: exactly one action is expected.');
    const name = Object.keys(body)[0]!;
    const action = ACTIONS[name];
    if (!action) throw badRequest(`There is no such action: ${name.slice(0, 60)}`);
    const c = callerOf(req.auth, action.need, `volume_extension:${name}`);
    const raw = body[name];
    if (raw !== null && raw !== undefined && !isObject(raw)) throw badRequest(`Invalid input for ${name.slice(0, 60)}: the action's value must be an object.`);
    await action.run(bs, c, req.params.id, (raw ?? {}) as Json, reply);
    if (!reply.sent) reply.code(action.status).send();
    return reply;
  });
}
