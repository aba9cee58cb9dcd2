import { MAX_LISTING_LIMIT, checkMetaLimits, type ListOptions } from '../logic/index.js';
import { authorize, isOwner } from '../policy.js';
import { accountHeaders } from '../views/headers.js';
import { LISTING_TYPE, containerListing } from '../views/listing.js';
import { StratusError } from '../../../core/errors.js';
import { listingFormat, metaPatch, query, truthy, type SwiftCall } from './request.js';
import { checkAccountQuotaHeaders } from './quotas.js';
import { respond } from './respond.js';

const badListing = (why: string) => new StratusError('PreconditionFailed', why, 'PreconditionFailed');

/** Listing query parameters, validated as Swift does (412 for a bad limit or delimiter). */
export function listOptions(c: SwiftCall): ListOptions {
  const o: ListOptions = {};
  const get = (n: string) => query(c.req, n);
  const limit = get('limit');
  if (limit !== undefined) {
    if (!/^\d+$/.test(limit)) throw badListing('Value of limit must be a positive integer.');
    if (Number(limit) > MAX_LISTING_LIMIT) throw badListing(`Maximum limit is ${MAX_LISTING_LIMIT}.`);
    o.limit = Number(limit);
  }
  const delimiter = get('delimiter');
  if (delimiter !== undefined && delimiter !== '') {
    if ([...delimiter].length > 1) throw badListing('Bad delimiter: it must be one character.');
    o.delimiter = delimiter;
  }
  for (const [param, key] of [['prefix', 'prefix'], ['marker', 'marker'], ['end_marker', 'endMarker'], ['path', 'path']] as const) {
    const v = get(param);
    if (v === undefined) continue;
    if (v.includes('\0')) throw badListing(`Invalid ${param}: contains NUL.`);
    if (Buffer.byteLength(v) > 1024) throw badListing(`Invalid ${param}: longer than 1024 bytes.`);
    o[key] = v;
  }
  if (truthy(get('reverse'))) o.reverse = true;
  return o;
}

export async function headAccount(c: SwiftCall) {
  const { account } = c.path;
  authorize(c.caller, account, 'account:read');
  const info = await c.deps.storage.accounts.info(account);
  return respond(c.reply, 204, { ...accountHeaders(info, isOwner(c.caller, account)), 'Content-Type': LISTING_TYPE[listingFormat(c.req)] });
}

export async function getAccount(c: SwiftCall) {
  const { account } = c.path;
  authorize(c.caller, account, 'account:read');
  const fmt = listingFormat(c.req);
  const opts = listOptions(c);
  const info = await c.deps.storage.accounts.info(account);
  const entries = await c.deps.storage.accounts.listContainers(account, opts);
  const body = containerListing(account, entries, fmt);
  const headers = { ...accountHeaders(info, isOwner(c.caller, account)), 'Content-Type': LISTING_TYPE[fmt], 'Accept-Ranges': 'bytes' };
  return respond(c.reply, fmt === 'plain' && body === '' ? 204 : 200, headers, body);
}

export async function postAccount(c: SwiftCall) {
  const { account } = c.path;
  authorize(c.caller, account, 'account:write');
  checkAccountQuotaHeaders(c);
  const patch = metaPatch(c.req, 'account');
  checkMetaLimits(patch.set);
  if (patch.remove.length > 0 || Object.keys(patch.set).length > 0) await c.deps.storage.accounts.updateMeta(account, patch);
  const info = await c.deps.storage.accounts.info(account);
  return respond(c.reply, 204, accountHeaders(info, true));
}

/** Swift runs with allow_account_management off: accounts are not created or deleted by users. */
export async function accountNotAllowed(c: SwiftCall) {
  authorize(c.caller, c.path.account, 'account:write');
  c.reply.header('Allow', 'HEAD, GET, POST');
  throw new StratusError('MethodNotAllowed', `${c.req.method} is not allowed on an account.`);
}
