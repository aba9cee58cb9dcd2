import { StratusError } from '../../../core/errors.js';
import type { ContainerRecord, ReadCheck, WriteCheck } from '../logic/index.js';
import { noSuchContainer } from '../logic/errors.js';
import { authorize, type Action, type Caller } from '../policy.js';
import { tempUrlParams, tempUrlValid } from '../tempurl.js';
import { header, query, type SwiftCall, type SwiftDeps, type SwiftPath } from './request.js';
import type { FastifyRequest } from 'fastify';

/**
 * Loads a container and authorizes the action on it (ACLs need the record). A caller who may
 * act gets a 404 for a missing container; anyone else a 401/403 either way.
 */
export async function containerFor(c: SwiftCall, action: Action, name = c.path.container, account = c.path.account): Promise<ContainerRecord> {
  const rec = await c.deps.storage.containers.find(account, name);
  authorize(c.caller, account, action, rec);
  if (!rec) throw noSuchContainer(name);
  return rec;
}

/** Read access to other containers (large-object segments, copy sources). */
export function readCheck(c: SwiftCall): ReadCheck {
  return async (account, container) => {
    authorize(c.caller, account, 'object:read', await c.deps.storage.containers.find(account, container));
  };
}

/** Write access for bulk and segment deletes. */
export function writeCheck(c: SwiftCall): WriteCheck {
  return async (account, container, what) => {
    if (what === 'container') authorize(c.caller, account, 'container:write');
    else authorize(c.caller, account, 'object:write', await c.deps.storage.containers.find(account, container));
  };
}

const tempUrlInvalid = () => new StratusError('Unauthorized', 'Temp URL invalid', 'TempUrlInvalid');

/**
 * Establishes the caller: a token (an invalid one counts as none, so public containers stay
 * readable), or a TempURL, which must be valid when its parameters are present.
 */
export async function identify(req: FastifyRequest, deps: SwiftDeps, path: SwiftPath): Promise<Caller> {
  const caller: Caller = { auth: null, referer: header(req, 'referer'), tempUrl: false };
  const params = tempUrlParams((n) => query(req, n));
  if (params) {
    if (!path.object || !path.container) throw tempUrlInvalid();
    const keys = await tempUrlKeys(deps, path);
    const containerPaths = [`/${path.version}/${path.account}/${path.container}`];
    const paths = [path.decoded, path.raw];
    const all = (ps: string[]) => [...ps, ...ps.map((p) => `${deps.prefix}${p}`)];
    const ok = tempUrlValid(
      params,
      { method: req.method, paths: all(paths), objectName: path.object, containerPaths: all(containerPaths), remoteIp: req.ip, now: Date.now() / 1000 },
      keys,
    );
    if (!ok) throw tempUrlInvalid();
    caller.tempUrl = true;
    return caller;
  }
  const token = header(req, 'x-auth-token') ?? header(req, 'x-storage-token');
  if (token) caller.auth = await deps.verifier.verify(token).catch(() => null);
  return caller;
}

/** The keys that may sign TempURLs and forms: the account's and the container's (-2 too). */
export async function tempUrlKeys(deps: SwiftDeps, path: SwiftPath): Promise<string[]> {
  const account = await deps.storage.accounts.find(path.account).catch(() => undefined);
  const container = await deps.storage.containers.find(path.account, path.container).catch(() => undefined);
  const names = ['temp-url-key', 'temp-url-key-2'];
  return [...names.map((n) => account?.meta[n]), ...names.map((n) => container?.meta[n])].filter((k): k is string => !!k);
}
