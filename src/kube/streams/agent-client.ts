import http from 'node:http';
import https from 'node:https';
import { WebSocket } from 'ws';
import { KubeError } from '../errors.js';
import type { Status } from '../types.js';
import type { AgentTarget } from './agent-api.js';
import { V5 } from './channels.js';

/**
 * The API server's end of the agent API (see `agent-api.ts`): open an exec/attach or
 * port-forward WebSocket, or a log request, and turn every failure into a KubeError whose
 * Status can be passed to the client (the agent's own Status when it answered one).
 */

export function agentUrl(agent: AgentTarget, segments: string[], query: URLSearchParams, ws: boolean): string {
  const base = new URL(agent.url);
  if (ws) base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  const path = segments.map(encodeURIComponent).join('/');
  const q = query.toString();
  return `${base.origin}/${path}${q ? `?${q}` : ''}`;
}

function unreachable(agent: AgentTarget, err: Error): KubeError {
  return new KubeError(503, 'ServiceUnavailable', `cannot reach the node agent at ${agent.url}: ${err.message}; check that the node agent is running and reachable from the API server`);
}

/** Reads an error answer of the agent into a KubeError (its Status body when it has one). */
function fromResponse(res: http.IncomingMessage): Promise<KubeError> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size < 64 * 1024) chunks.push(c);
      size += c.length;
    });
    const done = (): void => {
      const text = Buffer.concat(chunks).toString('utf8');
      const code = res.statusCode ?? 500;
      try {
        const s = JSON.parse(text) as Status;
        if (s && s.kind === 'Status') return resolve(new KubeError(s.code ?? code, s.reason ?? 'InternalError', s.message ?? text, s.details));
      } catch {
        // not JSON: fall through
      }
      resolve(new KubeError(code, code === 404 ? 'NotFound' : 'InternalError', `node agent answered ${code}: ${text.slice(0, 500)}`));
    };
    res.on('end', done);
    res.on('error', done);
  });
}

/** Opens a WebSocket on the agent; resolves once it is open, paused: call `resume()` once listening. */
export function openAgentSocket(agent: AgentTarget, segments: string[], query: URLSearchParams, protocol?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const url = agentUrl(agent, segments, query, true);
    const ws = new WebSocket(url, protocol ? [protocol] : [], {
      headers: { Authorization: `Bearer ${agent.token}` },
      perMessageDeflate: false,
      handshakeTimeout: 30_000,
    });
    let settled = false;
    ws.once('open', () => {
      settled = true;
      // Hold incoming messages until the caller attached its listeners (they call resume()).
      ws.pause();
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      settled = true;
      fromResponse(res).then((err) => {
        reject(err);
        ws.terminate();
      });
    });
    ws.once('error', (err) => {
      if (settled) return;
      settled = true;
      reject(unreachable(agent, err));
    });
  });
}

export function openAgentExec(agent: AgentTarget, kind: 'exec' | 'attach', ns: string, pod: string, container: string, query: URLSearchParams): Promise<WebSocket> {
  return openAgentSocket(agent, [kind, ns, pod, container], query, V5);
}

export function openAgentPortForward(agent: AgentTarget, ns: string, pod: string, port: number): Promise<WebSocket> {
  return openAgentSocket(agent, ['portForward', ns, pod], new URLSearchParams({ port: String(port) }));
}

/** GETs the agent's log stream; resolves with the 200 response or rejects with a KubeError. */
export function openAgentLogs(agent: AgentTarget, ns: string, pod: string, container: string, query: URLSearchParams, signal: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const url = agentUrl(agent, ['containerLogs', ns, pod, container], query, false);
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { headers: { Authorization: `Bearer ${agent.token}` }, signal }, (res) => {
      if (res.statusCode === 200) return resolve(res);
      fromResponse(res).then(reject);
    });
    req.on('error', (err) => reject(unreachable(agent, err)));
  });
}
