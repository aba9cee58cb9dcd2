import type { ServerResponse } from 'node:http';
import type { LogOptions } from '../api.js';
import type { AgentTarget } from './agent-api.js';
import { logQuery, toStatus } from './agent-api.js';
import { openAgentLogs } from './agent-client.js';

/**
 * Streams a container's log from the node agent to an API response (reference §3.6): 200
 * `text/plain` with the headers flushed at once, each chunk written as it arrives, ending when
 * the agent's stream ends (with `follow`: when the container ends) or when the client goes away.
 * Failures before the first byte answer with the agent's Status (or 503 when the agent cannot be
 * reached); a failure mid-stream can only cut the response short.
 */
export async function proxyLogs(agent: AgentTarget, namespace: string, pod: string, container: string, opts: LogOptions, res: ServerResponse): Promise<void> {
  const abort = new AbortController();
  const onClose = (): void => abort.abort();
  res.once('close', onClose);
  try {
    const upstream = await openAgentLogs(agent, namespace, pod, container, logQuery(opts), abort.signal);
    if (res.destroyed) {
      upstream.destroy();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    await new Promise<void>((resolve) => {
      upstream.on('data', (chunk: Buffer) => {
        if (!res.write(chunk)) {
          upstream.pause();
          res.once('drain', () => upstream.resume());
        }
      });
      upstream.on('end', () => {
        res.end();
        resolve();
      });
      upstream.on('error', () => {
        res.destroy();
        resolve();
      });
      upstream.on('close', () => resolve());
      res.once('close', () => {
        upstream.destroy();
        resolve();
      });
    });
  } catch (err) {
    if (abort.signal.aborted || res.destroyed) return;
    const status = toStatus(err);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify(status);
    res.writeHead(status.code ?? 500, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  } finally {
    res.off('close', onClose);
  }
}
