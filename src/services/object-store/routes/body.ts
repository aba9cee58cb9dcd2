import type { Readable } from 'node:stream';
import { entityTooLarge } from '../logic/errors.js';

/** Reads a small request body (manifests, bulk-delete lists) into a string, up to `limit` bytes. */
export async function readSmallBody(body: unknown, limit: number): Promise<string> {
  if (body === undefined || body === null) return '';
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body as Readable) {
    n += (chunk as Buffer).length;
    if (n > limit) throw entityTooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
