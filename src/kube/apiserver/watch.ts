import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeApi, WatchOptions } from '../api.js';
import { KubeError } from '../errors.js';
import type { ResourceType } from '../resources.js';
import type { KubeObject, WatchEvent } from '../types.js';
import { toTable } from '../printers/index.js';
import { TABLE_CONTENT_TYPE } from './http-util.js';

/** Buffered output above which a watcher counts as stuck and is dropped (it re-watches). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/**
 * Serves `?watch=true` (reference §2.5): 200, chunked, headers flushed at once (informers and
 * `kubectl wait` block until they see them), then one JSON event per line. With a Table Accept
 * each object is a one-row Table. A resourceVersion older than the history gives one ERROR
 * event carrying the 410 Expired Status, then the end. The stream ends after `timeoutSeconds`
 * (the registry's watch resolves `done`) and is stopped when the client goes away.
 * Resolves with the HTTP status written (for the access log).
 */
export async function serveWatch(
  _req: IncomingMessage,
  res: ServerResponse,
  api: KubeApi,
  r: ResourceType,
  namespace: string | undefined,
  opts: WatchOptions,
  table: { includeObject: 'None' | 'Metadata' | 'Object' } | undefined,
): Promise<number> {
  const write = (ev: WatchEvent<unknown>) => {
    if (res.writableEnded || res.destroyed) return;
    res.write(JSON.stringify(ev) + '\n');
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      // NOTE: a client that reads nothing would otherwise grow our memory without bound.
      res.destroy();
    }
  };
  const render = (ev: WatchEvent): WatchEvent<unknown> => {
    if (!table || ev.type === 'ERROR' || ev.type === 'BOOKMARK') return ev;
    const rv = ev.object.metadata?.resourceVersion ?? String(api.revision());
    return { type: ev.type, object: toTable(r, [ev.object as KubeObject], { includeObject: table.includeObject, resourceVersion: rv }) };
  };

  // Events may arrive before watch() resolves (the synthetic ADDEDs): queue until headers are out.
  let started = false;
  const early: WatchEvent[] = [];
  const onEvent = (ev: WatchEvent) => {
    if (!started) early.push(ev);
    else write(render(ev));
  };
  const begin = () => {
    res.writeHead(200, { 'Content-Type': table ? TABLE_CONTENT_TYPE : 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
  };

  let w;
  try {
    w = await api.watch(r, namespace, opts, onEvent);
  } catch (e) {
    if (e instanceof KubeError && e.code === 410) {
      begin();
      write({ type: 'ERROR', object: e.toStatus() });
      res.end();
      return 200;
    }
    throw e;
  }
  begin();
  started = true;
  for (const ev of early.splice(0)) write(render(ev));
  // NOTE: the response's 'close', not the request's: a GET request 'closes' as soon as its
  // (empty) body is read, while the response closes when the client goes away.
  res.on('close', () => w.stop());
  await w.done;
  if (!res.writableEnded && !res.destroyed) res.end();
  return 200;
}
