import { badRequest } from '../../../core/errors.js';
import { cleanAcl } from '../acl.js';
import { checkMetaLimits, parseSyncTo, type ContainerChange } from '../logic/index.js';
import { authorize, isOwner } from '../policy.js';
import { containerFor } from './access.js';
import { POLICY_NAME, containerHeaders } from '../views/headers.js';
import { LISTING_TYPE, objectListing } from '../views/listing.js';
import { listOptions } from './account.js';
import { header, listingFormat, metaPatch, type SwiftCall } from './request.js';
import { checkContainerQuotaHeaders } from './quotas.js';
import { respond } from './respond.js';

/** What a container PUT/POST asks to change: metadata, ACLs, sync target and key, storage policy (only ours). */
function change(c: SwiftCall): ContainerChange {
  checkContainerQuotaHeaders(c);
  const meta = metaPatch(c.req, 'container');
  checkMetaLimits(meta.set);
  const out: ContainerChange = { meta };
  const policy = header(c.req, 'x-storage-policy');
  if (policy !== undefined && policy.toLowerCase() !== POLICY_NAME.toLowerCase()) throw badRequest(`Invalid X-Storage-Policy ${JSON.stringify(policy)}`);
  const syncTo = header(c.req, 'x-container-sync-to')?.trim();
  const syncKey = header(c.req, 'x-container-sync-key')?.trim();
  if (syncTo) parseSyncTo(syncTo);
  if (syncTo !== undefined) out.syncTo = syncTo || null;
  if (syncKey !== undefined) out.syncKey = syncKey || null;
  if (header(c.req, 'x-remove-container-sync-to') !== undefined) out.syncTo = null;
  if (header(c.req, 'x-remove-container-sync-key') !== undefined) out.syncKey = null;
  for (const [h, key] of [['read', 'readAcl'], ['write', 'writeAcl']] as const) {
    const v = header(c.req, `x-container-${h}`);
    if (header(c.req, `x-remove-container-${h}`) !== undefined) out[key] = null;
    if (v !== undefined) out[key] = cleanAcl(h, v) || null;
  }
  return out;
}

export async function headContainer(c: SwiftCall) {
  const rec = await containerFor(c, 'container:read');
  const headers = { ...containerHeaders(rec, isOwner(c.caller, c.path.account)), 'Content-Type': LISTING_TYPE[listingFormat(c.req)], 'Accept-Ranges': 'bytes' };
  return respond(c.reply, 204, headers);
}

export async function getContainer(c: SwiftCall) {
  const rec = await containerFor(c, 'container:read');
  const fmt = listingFormat(c.req);
  const entries = await c.deps.storage.containers.listObjects(c.path.account, rec.name, listOptions(c));
  const body = objectListing(rec.name, entries, fmt);
  const headers = { ...containerHeaders(rec, isOwner(c.caller, c.path.account)), 'Content-Type': LISTING_TYPE[fmt], 'Accept-Ranges': 'bytes' };
  return respond(c.reply, fmt === 'plain' && body === '' ? 204 : 200, headers, body);
}

export async function putContainer(c: SwiftCall) {
  authorize(c.caller, c.path.account, 'container:write');
  const res = await c.deps.storage.containers.create(c.path.account, c.path.container, change(c));
  return respond(c.reply, res.created ? 201 : 202, {});
}

export async function postContainer(c: SwiftCall) {
  authorize(c.caller, c.path.account, 'container:write');
  await c.deps.storage.containers.update(c.path.account, c.path.container, change(c));
  return respond(c.reply, 204, {});
}

export async function deleteContainer(c: SwiftCall) {
  authorize(c.caller, c.path.account, 'container:write');
  await c.deps.storage.containers.delete(c.path.account, c.path.container);
  return respond(c.reply, 204, {});
}
