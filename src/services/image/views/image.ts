import { isoSeconds } from '../../../core/clock.js';
import type { Image, Member } from '../logic/models.js';
import type { ListPage } from '../logic/list.js';

/** The one store Stratus has (advertised by /v2/info/stores). */
export const STORE_ID = 'local';

/**
 * An image as Glance v2 renders it: extra properties as top-level string keys, then the base
 * attributes. Links (`self`, `file`, `schema`) are relative, as Glance sends them.
 */
export function imageView(i: Image): Record<string, unknown> {
  const out: Record<string, unknown> = { ...i.properties };
  Object.assign(out, {
    name: i.name,
    disk_format: i.diskFormat,
    container_format: i.containerFormat,
    visibility: i.visibility,
    size: i.size,
    virtual_size: i.virtualSize,
    status: i.status,
    checksum: i.checksum,
    protected: i.protected,
    min_ram: i.minRam,
    min_disk: i.minDisk,
    owner: i.owner,
    os_hidden: i.osHidden,
    os_hash_algo: i.osHashAlgo,
    os_hash_value: i.osHashValue,
    id: i.id,
    created_at: isoSeconds(i.createdAt),
    updated_at: isoSeconds(i.updatedAt),
    tags: i.tags,
    self: `/v2/images/${i.id}`,
    file: `/v2/images/${i.id}/file`,
    schema: '/v2/schemas/image',
  });
  if (i.blobKey) out.stores = STORE_ID;
  return out;
}

/**
 * `GET /v2/images`: `first` repeats the query, and `next` (only when the page is full) repeats
 * it with `marker` set to the last image, as Glance builds them.
 */
export function imageListView(page: ListPage, rawQuery: string): Record<string, unknown> {
  const params = new URLSearchParams(rawQuery);
  params.delete('marker');
  const query = params.toString();
  const body: Record<string, unknown> = {
    images: page.images.map(imageView),
    first: query ? `/v2/images?${query}` : '/v2/images',
    schema: '/v2/schemas/images',
  };
  if (page.nextMarker !== undefined) {
    params.set('marker', page.nextMarker);
    body.next = `/v2/images?${params.toString()}`;
  }
  return body;
}

export function memberView(m: Member): Record<string, unknown> {
  return {
    member_id: m.memberId,
    image_id: m.imageId,
    status: m.status,
    created_at: isoSeconds(m.createdAt),
    updated_at: isoSeconds(m.updatedAt),
    schema: '/v2/schemas/member',
  };
}

export function memberListView(ms: Member[]): Record<string, unknown> {
  return { members: ms.map(memberView), schema: '/v2/schemas/members' };
}
