import type { ListOptions } from '../../api.js';
import { KubeError } from '../../errors.js';
import type { ResourceType } from '../../resources.js';
import { apiVersionOf } from '../../resources.js';
import type { KubeList, KubeObject } from '../../types.js';
import type { Entry, KubeStore } from '../../store/store.js';

interface ContinueToken {
  /** Revision of the list the pages belong to. */
  rv: number;
  /** Last key returned. */
  k: string;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 1, rv: t.rv, k: t.k })).toString('base64url');
}

function decodeContinue(s: string, prefix: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { v?: number; rv?: unknown; k?: unknown };
    if (t.v === 1 && typeof t.rv === 'number' && Number.isSafeInteger(t.rv) && typeof t.k === 'string' && t.k.startsWith(prefix)) return { rv: t.rv, k: t.k };
  } catch {
    // fall through
  }
  throw KubeError.badRequest('continue key is not valid: pass the exact `metadata.continue` value of the previous page, or start a new list without it');
}

/** Parses a resourceVersion parameter (empty → undefined). */
export function parseRv(rv: string | undefined): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  const n = Number(rv);
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(n)) throw KubeError.badRequest(`invalid resource version "${rv}": must be a non-negative integer`);
  return n;
}

export interface ListResult {
  items: Entry[];
  rv: number;
  continue?: string;
  remainingItemCount?: number;
}

/**
 * The entries of one list page. Pages after the first are read at the first page's revision
 * (rolled back through the history ring), so a paged list is a consistent snapshot like
 * upstream's; once that revision leaves the history, the continue token is 410 Expired.
 * `resourceVersion` semantics (reference §2.3): unset or "0" = now; N with
 * `resourceVersionMatch=Exact` = the state at N; N otherwise = now (not older than N).
 */
export function listEntries(store: KubeStore, prefix: string, opts: ListOptions, matches: (e: Entry) => boolean, selective: boolean): ListResult {
  const current = store.revision();
  let at = current;
  let after: string | undefined;
  if (opts.continue) {
    const t = decodeContinue(opts.continue, prefix);
    if (t.rv < store.oldestRevision()) {
      throw new KubeError(
        410,
        'Expired',
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue value from the response to list from the current state.',
      );
    }
    at = t.rv;
    after = t.k;
  } else {
    const rv = parseRv(opts.resourceVersion);
    if (rv !== undefined && rv > current) {
      throw new KubeError(504, 'Timeout', `Too large resource version: ${rv}, current: ${current}`, { retryAfterSeconds: 1 });
    }
    if (opts.resourceVersionMatch !== undefined && !['', 'Exact', 'NotOlderThan'].includes(opts.resourceVersionMatch)) {
      throw KubeError.badRequest(`resourceVersionMatch: Unsupported value: "${opts.resourceVersionMatch}": supported values: "Exact", "NotOlderThan"`);
    }
    if (opts.resourceVersionMatch === 'Exact') {
      if (rv === undefined || rv === 0) throw KubeError.badRequest('resourceVersionMatch "Exact" requires a non-zero resourceVersion');
      at = rv;
    }
  }
  let all = at === current ? store.list(prefix, after) : store.listAt(prefix, at);
  if (at !== current && after !== undefined) {
    const a = after;
    all = all.filter((e) => e.key > a);
  }
  const limit = opts.limit !== undefined && opts.limit > 0 ? Math.floor(opts.limit) : 0;
  const items: Entry[] = [];
  let i = 0;
  for (; i < all.length; i++) {
    const e = all[i]!;
    if (!matches(e)) continue;
    if (limit && items.length === limit) break;
    items.push(e);
  }
  const result: ListResult = { items, rv: at };
  if (limit && i < all.length) {
    // More entries remain (some may not match; the next page may then be short or empty, as upstream).
    result.continue = encodeContinue({ rv: at, k: items[items.length - 1]!.key });
    if (!selective) result.remainingItemCount = all.length - i;
  }
  return result;
}

export function toList(res: ResourceType, items: KubeObject[], r: ListResult): KubeList {
  const metadata: KubeList['metadata'] = { resourceVersion: String(r.rv) };
  if (r.continue) metadata.continue = r.continue;
  if (r.remainingItemCount !== undefined) metadata.remainingItemCount = r.remainingItemCount;
  return { apiVersion: apiVersionOf(res), kind: res.listKind, metadata, items };
}
