import { listingDate, type ListEntry, type ObjectRecord } from '../logic/index.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** A path segment for an href: percent-encoded, slashes kept. */
const href = (s: string) => encodeURIComponent(s).replace(/%2F/gi, '/');

/** Sizes as a listing shows them: bytes below 1 KiB, then one decimal with K, M, G, T, P. */
export function humanSize(n: number): string {
  if (n < 1024) return String(n);
  const units = ['K', 'M', 'G', 'T', 'P'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)}${units[i]}`;
}

/**
 * The stylesheet link of a listing: an absolute path or URL as given; a relative one is made
 * relative to the container, so it works from any pseudo-directory depth.
 */
export function cssHref(css: string, prefix: string): string {
  if (css.startsWith('/') || /^[a-z][a-z0-9+.-]*:\/\//i.test(css)) return css;
  return '../'.repeat(prefix.split('/').length - 1) + href(css);
}

const DEFAULT_STYLE = [
  '  <style type="text/css">',
  '   h1 {font-size: 1em; font-weight: bold;}',
  '   th {text-align: left; padding: 0px 1em 0px 1em;}',
  '   td {padding: 0px 1em 0px 1em;}',
  '   a {text-decoration: none;}',
  '  </style>',
];

export interface WebListing {
  /** What the title names, e.g. `/v1/AUTH_x/site/docs/`. */
  label: string;
  /** The pseudo-directory listed, '' for the container itself, else ending in '/'. */
  prefix: string;
  css?: string | undefined;
  entries: ListEntry<ObjectRecord>[];
}

/** The HTML page StaticWeb serves for a container or pseudo-directory listing. */
export function webListingHtml(l: WebListing): string {
  const rel = (name: string) => name.slice(l.prefix.length);
  const row = (cls: string, link: string, text: string, size: string, date: string) =>
    [`   <tr class="${cls}">`, `    <td class="colname"><a href="${link}">${text}</a></td>`, `    <td class="colsize">${size}</td>`, `    <td class="coldate">${date}</td>`, '   </tr>'];
  const lines = [
    '<!DOCTYPE html>',
    '<html>',
    ' <head>',
    `  <title>Listing of ${esc(l.label)}</title>`,
    ...(l.css ? [`  <link rel="stylesheet" type="text/css" href="${esc(cssHref(l.css, l.prefix))}" />`] : DEFAULT_STYLE),
    ' </head>',
    ' <body>',
    `  <h1 id="title">Listing of ${esc(l.label)}</h1>`,
    '  <table id="listing">',
    '   <tr id="heading">',
    '    <th class="colname">Name</th>',
    '    <th class="colsize">Size</th>',
    '    <th class="coldate">Date</th>',
    '   </tr>',
  ];
  if (l.prefix) lines.push(...row('item parent', '../', '../', '&nbsp;', '&nbsp;'));
  for (const e of l.entries) if (!('item' in e)) lines.push(...row('item subdir', href(rel(e.name)), esc(rel(e.name)), '&nbsp;', '&nbsp;'));
  for (const e of l.entries) {
    if (!('item' in e)) continue;
    const types = e.item.contentType.toLowerCase().split(';')[0]!.trim().split('/').map((t) => `type-${t.replace(/[^a-z0-9-]/g, '-')}`);
    const date = listingDate(e.item.timestamp).slice(0, 19).replace('T', ' ');
    lines.push(...row(['item', ...types].join(' '), href(rel(e.name)), esc(rel(e.name)), humanSize(e.item.size), date));
  }
  lines.push('  </table>', ' </body>', '</html>', '');
  return lines.join('\n');
}
