import { listingDate, type ContainerRecord, type ListEntry, type ObjectRecord } from '../logic/index.js';

export type ListingFormat = 'plain' | 'json' | 'xml';

export const LISTING_TYPE: Record<ListingFormat, string> = {
  plain: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
};

function xmlEscape(s: string): string {
   
  return s.replace(/[&<>"]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`).replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '');
}

const tag = (name: string, v: string | number) => `<${name}>${xmlEscape(String(v))}</${name}>`;

/** Account GET body: the containers. Plain text is one name per line. */
export function containerListing(account: string, entries: ListEntry<ContainerRecord>[], fmt: ListingFormat): string {
  if (fmt === 'plain') return entries.map((e) => `${e.name}\n`).join('');
  if (fmt === 'json') return JSON.stringify(entries.map((e) => ('item' in e ? containerRow(e.item) : { subdir: e.name })));
  const body = entries
    .map((e) => {
      if (!('item' in e)) return `<subdir name="${xmlEscape(e.name)}">${tag('name', e.name)}</subdir>`;
      const r = containerRow(e.item);
      return `<container>${tag('name', r.name)}${tag('count', r.count)}${tag('bytes', r.bytes)}${tag('last_modified', r.last_modified)}</container>`;
    })
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<account name="${xmlEscape(account)}">${body}</account>`;
}

function containerRow(c: ContainerRecord) {
  return { name: c.name, count: c.objectCount, bytes: c.bytesUsed, last_modified: listingDate(c.updatedAt) };
}

function objectRow(o: ObjectRecord): Record<string, string | number> {
  const row: Record<string, string | number> = {
    hash: o.etag,
    last_modified: listingDate(o.timestamp),
    bytes: o.size,
    name: o.name,
    content_type: o.contentType,
  };
  if (o.manifest?.type === 'slo') row.slo_etag = `"${o.etag}"`;
  return row;
}

/** Container GET body: the objects (and `subdir` entries when a delimiter rolled names up). */
export function objectListing(container: string, entries: ListEntry<ObjectRecord>[], fmt: ListingFormat): string {
  if (fmt === 'plain') return entries.map((e) => `${e.name}\n`).join('');
  if (fmt === 'json') return JSON.stringify(entries.map((e) => ('item' in e ? objectRow(e.item) : { subdir: e.name })));
  const body = entries
    .map((e) => {
      if (!('item' in e)) return `<subdir name="${xmlEscape(e.name)}">${tag('name', e.name)}</subdir>`;
      const r = objectRow(e.item);
      return `<object>${tag('name', r.name!)}${tag('hash', r.hash!)}${tag('bytes', r.bytes!)}${tag('content_type', r.content_type!)}${tag('last_modified', r.last_modified!)}</object>`;
    })
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<container name="${xmlEscape(container)}">${body}</container>`;
}
