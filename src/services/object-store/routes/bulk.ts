import { BULK_LIMITS, type DeleteTarget } from '../logic/index.js';
import { entityTooLarge, preconditionFailed } from '../logic/errors.js';
import { authorize } from '../policy.js';
import { bulkReport } from '../views/bulk.js';
import type { ListingFormat } from '../views/listing.js';
import { writeCheck } from './access.js';
import { readSmallBody } from './body.js';
import { bestMatch, header, type SwiftCall } from './request.js';
import { respond } from './respond.js';

/** Bulk reports follow the Accept header (plain text by default). */
export function bulkFormat(c: SwiftCall): ListingFormat {
  const best = bestMatch(header(c.req, 'accept') ?? 'text/plain', ['text/plain', 'application/json', 'application/xml', 'text/xml']);
  return best === 'application/json' ? 'json' : best?.endsWith('xml') ? 'xml' : 'plain';
}

/** Each line: `/container/object` or `/container`, percent-encoded. */
function targets(text: string): { targets: DeleteTarget[]; invalid: string[] } {
  const out: DeleteTarget[] = [];
  const invalid: string[] = [];
  for (const line of text.split('\n')) {
    const raw = line.trim();
    if (!raw) continue;
    let path: string;
    try {
      path = decodeURIComponent(raw);
    } catch {
      invalid.push(raw);
      continue;
    }
    const p = path.startsWith('/') ? path.slice(1) : path;
    const slash = p.indexOf('/');
    const container = slash < 0 ? p : p.slice(0, slash);
    const name = slash < 0 ? undefined : p.slice(slash + 1);
    if (!container || path.includes('\0') || name === '') invalid.push(raw);
    else out.push(name === undefined ? { path, container } : { path, container, name });
  }
  return { targets: out, invalid };
}

/** POST or DELETE `?bulk-delete` on an account: newline-separated paths in the body. */
export async function bulkDelete(c: SwiftCall) {
  authorize(c.caller, c.path.account, 'account:write');
  const text = await readSmallBody(c.req.body, BULK_LIMITS.maxDeletesPerRequest * 4 * 1024);
  const parsed = targets(text);
  if (parsed.targets.length + parsed.invalid.length > BULK_LIMITS.maxDeletesPerRequest) throw entityTooLarge(BULK_LIMITS.maxDeletesPerRequest);
  const res = await c.deps.storage.deleteMany(c.path.account, parsed.targets, writeCheck(c));
  for (const p of parsed.invalid) res.errors.push({ path: p, error: preconditionFailed('Invalid path.') });
  const empty = parsed.targets.length === 0 && parsed.invalid.length === 0;
  const report = bulkReport(res, bulkFormat(c), empty ? 'Invalid bulk delete.' : undefined);
  return respond(c.reply, 200, { 'Content-Type': report.contentType }, report.body);
}
