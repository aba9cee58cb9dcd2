import type { Attachment, Volume } from '../logic/models.js';
import { cinderTime, cinderTimeOrNull, resourceLinks } from './common.js';

/** What a view needs besides the record. */
export interface VolumeViewContext {
  base: string;
  /** Volume type names by id (the wire shows the name at 3.0). */
  typeNames: Map<string, string>;
  admin: boolean;
}

/** Host string in Cinder's `host@backend#pool` form (admins see it). */
const HOST = 'stratus@file#file';

function attachmentView(v: Volume, a: Attachment) {
  return {
    server_id: a.serverId,
    attachment_id: a.id,
    attached_at: a.attachedAt === null ? null : cinderTime(a.attachedAt),
    host_name: a.hostName,
    volume_id: v.id,
    device: a.device,
    id: v.id,
  };
}

/** User metadata plus the admin metadata Cinder makes visible (readonly, attached_mode). */
function visibleMetadata(v: Volume): Record<string, string> {
  const md: Record<string, string> = { ...v.metadata };
  if (v.readonly !== null) md.readonly = v.readonly ? 'True' : 'False';
  const attached = v.attachments.find((a) => a.state === 'attached');
  if (attached) md.attached_mode = attached.mode;
  return md;
}

/** The volume as create and update return it (no extension attributes). */
export function volumeBase(v: Volume, vc: VolumeViewContext): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: v.id,
    status: v.status,
    size: v.size,
    availability_zone: v.availabilityZone,
    created_at: cinderTime(v.createdAt),
    updated_at: cinderTimeOrNull(v.updatedAt),
    attachments: v.attachments.filter((a) => a.state === 'attached').map((a) => attachmentView(v, a)),
    name: v.name,
    description: v.description,
    volume_type: vc.typeNames.get(v.volumeTypeId) ?? null,
    snapshot_id: v.snapshotId,
    source_volid: v.sourceVolid,
    metadata: visibleMetadata(v),
    links: resourceLinks(vc.base, v.projectId, 'volumes', v.id),
    user_id: v.userId,
    bootable: v.bootable ? 'true' : 'false',
    encrypted: false,
    replication_status: 'disabled',
    consistencygroup_id: null,
    multiattach: false,
  };
  if (vc.admin) out.migration_status = null;
  return out;
}

/** The volume as show and list-detail return it (with the extension attributes). */
export function volumeDetail(v: Volume, vc: VolumeViewContext): Record<string, unknown> {
  const out = volumeBase(v, vc);
  out['os-vol-tenant-attr:tenant_id'] = v.projectId;
  if (vc.admin) {
    out['os-vol-host-attr:host'] = HOST;
    out['os-vol-mig-status-attr:migstat'] = null;
    out['os-vol-mig-status-attr:name_id'] = null;
  }
  if (v.imageMetadata) out.volume_image_metadata = v.imageMetadata;
  return out;
}

export function volumeSummary(v: Volume, vc: VolumeViewContext) {
  return { id: v.id, name: v.name, links: resourceLinks(vc.base, v.projectId, 'volumes', v.id) };
}
