import { lastModifiedSeconds, type Stamp } from '../../object-store/logic/index.js';
import type { XmlNode } from '../xml.js';

/** Listing time: ISO 8601 with milliseconds, in whole seconds like Last-Modified. */
export const isoTime = (s: Stamp) => new Date(lastModifiedSeconds(s) * 1000).toISOString();

export const isoMs = (ms: number) => new Date(ms).toISOString();

/** ETags are quoted on the wire, in headers and in XML alike. */
export const quoted = (etag: string) => `"${etag}"`;

/** With encoding-type=url, names in listings are percent-encoded (slashes kept). */
export function encodeName(s: string | undefined, url: boolean): string | undefined {
  if (s === undefined || !url) return s;
  return encodeURIComponent(s).replace(/%2F/g, '/');
}

/** S3's Owner element; the owner of everything here is the project. */
export const ownerNode = (projectId: string): XmlNode => [
  'Owner',
  [
    ['ID', projectId],
    ['DisplayName', projectId],
  ],
];
