import type { BulkResult } from '../logic/index.js';
import { SWIFT_STATUS } from '../logic/errors.js';
import type { ListingFormat } from './listing.js';
import { LISTING_TYPE } from './listing.js';
import { statusLine } from './errors.js';

/**
 * Swift's bulk report: for bulk delete (and multipart-manifest=delete) the counts deleted and
 * not found; for archive extraction (`extract`) the count created. The HTTP status is always
 * 200; the outcome is in "Response Status".
 */
export function bulkReport(res: BulkResult, fmt: ListingFormat, invalid?: string, extract?: { created: number }): { contentType: string; body: string } {
  const errors = res.errors.map((e) => [e.path, statusLine(SWIFT_STATUS[e.error.code] ?? e.error.status)]);
  const status = invalid !== undefined || errors.length ? statusLine(400) : statusLine(extract ? 201 : 200);
  const counts: Record<string, number> = extract
    ? { 'Number Files Created': extract.created }
    : { 'Number Deleted': res.deleted, 'Number Not Found': res.notFound };
  const doc = { ...counts, 'Response Body': invalid ?? '', 'Response Status': status, Errors: errors };
  if (fmt === 'json') return { contentType: LISTING_TYPE.json, body: JSON.stringify(doc) };
  if (fmt === 'xml') {
    const x = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
    const errs = errors.map(([p, s]) => `<object><name>${x(p!)}</name><status>${x(s!)}</status></object>`).join('');
    const tagOf = (k: string) => k.toLowerCase().replace(/ /g, '_');
    const countTags = Object.entries(counts).map(([k, v]) => `<${tagOf(k)}>${v}</${tagOf(k)}>`).join('');
    const root = extract ? 'extract' : 'delete';
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<${root}>${countTags}<response_body>${x(doc['Response Body'])}</response_body>` +
      `<response_status>${status}</response_status><errors>${errs}</errors></${root}>`;
    return { contentType: LISTING_TYPE.xml, body };
  }
  const lines = [
    ...Object.entries(counts).map(([k, v]) => `${k}: ${v}`),
    `Response Body: ${doc['Response Body']}`,
    `Response Status: ${status}`,
    'Errors:',
    ...errors.map(([p, s]) => `${p}, ${s}`),
  ];
  return { contentType: LISTING_TYPE.plain, body: lines.join('\n') + '\n' };
}
