import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { KubeError } from '../errors.js';
import type { Status } from '../types.js';
import { parseExecQuery, parsePort, toStatus, writeUpgradeError, type AgentTarget } from './agent-api.js';
import { execQuery } from './agent-api.js';
import { openAgentExec, openAgentPortForward } from './agent-client.js';
import { EXEC_PROTOCOLS, PORT_FORWARD_PROTOCOLS, pickProtocol } from './channels.js';
import { SPDY_EXEC_PROTOCOLS, serveExecSpdy } from './exec-spdy.js';
import { relayExec } from './exec-ws.js';
import { servePortForwardSpdy } from './portforward-spdy.js';
import { servePortForwardWs } from './portforward-ws.js';
import { closeSocket } from './pacer.js';
import { spdyOverSocket, spdyOverWebSocket } from './transports.js';

/** What the HTTP layer resolved before handing an upgrade request over. */
export interface StreamTarget {
  agent: AgentTarget;
  namespace: string;
  pod: string;
  container: string;
  subresource: 'exec' | 'attach' | 'portforward';
  query: URLSearchParams;
}

export const SPDY_PORT_FORWARD_TUNNEL = 'SPDY/3.1+portforward.k8s.io';
const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** NOTE: `ws` rejects `SPDY/3.1+portforward.k8s.io` ('/' is no token character), so the offer
 * is replaced by this token before `handleUpgrade` and the real string is returned from
 * `handleProtocols`, which `ws` does not validate (reference §3.3). */
const TUNNEL_PLACEHOLDER = 'stratus-spdy-portforward-tunnel';

const chosenProtocol = new WeakMap<IncomingMessage, string>();
const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (_offered, req) => chosenProtocol.get(req) ?? false,
});

/**
 * Terminates whatever streaming protocol the client speaks on `…/pods/<p>/exec|attach|portforward`
 * (reference §3.2–3.5) and bridges it to the node agent:
 *
 * - exec/attach: WebSocket `v5.channel.k8s.io` (kubectl 1.32), `v4.channel.k8s.io`
 *   (client-node, older kubectl), v3/v2/`channel.k8s.io` and the base64 variants; or plain
 *   SPDY/3.1 with `X-Stream-Protocol-Version` v4…v1 (kubectl ≤ 1.29);
 * - portforward: SPDY/3.1 tunnelled in a WebSocket (`SPDY/3.1+portforward.k8s.io`), plain
 *   SPDY/3.1 (`X-Stream-Protocol-Version: portforward.k8s.io`), or WebSocket
 *   `v4.channel.k8s.io` with `?ports=` (client-node).
 *
 * The agent is contacted before the client's upgrade is accepted, so a failure there (unknown
 * container, agent down) reaches the client as an HTTP error with a Status body. Never throws.
 */
export function handleStreamUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: StreamTarget): void {
  socket.on('error', () => socket.destroy());
  start(req, socket, head, target).catch((err: unknown) => rejectUpgrade(req, socket, toStatus(err)));
}

/** Answers an upgrade attempt (WebSocket or SPDY) with an HTTP error carrying `status`. */
export function rejectUpgrade(_req: IncomingMessage, socket: Duplex, status: Status): void {
  writeUpgradeError(socket, status);
}

async function start(req: IncomingMessage, socket: Duplex, head: Buffer, t: StreamTarget): Promise<void> {
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'websocket') return t.subresource === 'portforward' ? portForwardWs(req, socket, head, t) : execWs(req, socket, head, t);
  if (upgrade === 'spdy/3.1') return t.subresource === 'portforward' ? portForwardSpdy(req, socket, head, t) : execSpdy(req, socket, head, t);
  throw KubeError.badRequest(`unsupported upgrade "${req.headers.upgrade ?? ''}": use a WebSocket (v5.channel.k8s.io) or SPDY/3.1`);
}

function offeredWsProtocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
}

function offeredStreamProtocols(req: IncomingMessage): string[] {
  const raw = req.headers['x-stream-protocol-version'];
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return list.flatMap((v) => v.split(',')).map((p) => p.trim()).filter(Boolean);
}

function noProtocol(offered: string[], supported: string[]): KubeError {
  return KubeError.badRequest(`unable to upgrade: none of the offered protocols [${offered.join(', ')}] is supported; supported: ${supported.join(', ')}`);
}

/** Completes the WebSocket handshake with `protocol`, or undefined when the socket went away. */
function acceptWs(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string): Promise<WebSocket | undefined> {
  if (socket.destroyed) return Promise.resolve(undefined);
  chosenProtocol.set(req, protocol);
  return new Promise((resolve) => {
    socket.once('close', () => resolve(undefined));
    wss.handleUpgrade(req, socket, head, (ws) => resolve(ws));
  });
}

async function execWs(req: IncomingMessage, socket: Duplex, head: Buffer, t: StreamTarget): Promise<void> {
  const offered = offeredWsProtocols(req);
  const protocol = pickProtocol(offered, EXEC_PROTOCOLS);
  if (!protocol) throw noProtocol(offered, EXEC_PROTOCOLS);
  const execReq = parseExecQuery(t.subresource as 'exec' | 'attach', t.namespace, t.pod, t.container, t.query);
  const agent = await openAgentExec(t.agent, t.subresource as 'exec' | 'attach', t.namespace, t.pod, t.container, execQuery(execReq));
  const client = await acceptWs(req, socket, head, protocol);
  if (!client) return void closeSocket(agent);
  relayExec(client, protocol, agent);
}

async function execSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, t: StreamTarget): Promise<void> {
  const offered = offeredStreamProtocols(req);
  const protocol = pickProtocol(offered, SPDY_EXEC_PROTOCOLS);
  if (!protocol) throw noProtocol(offered, SPDY_EXEC_PROTOCOLS);
  const execReq = parseExecQuery(t.subresource as 'exec' | 'attach', t.namespace, t.pod, t.container, t.query);
  const agent = await openAgentExec(t.agent, t.subresource as 'exec' | 'attach', t.namespace, t.pod, t.container, execQuery(execReq));
  if (socket.destroyed) return void closeSocket(agent);
  const conn = switchToSpdy(socket, head, protocol);
  serveExecSpdy(conn, protocol, execReq, agent);
}

async function portForwardSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, t: StreamTarget): Promise<void> {
  const offered = offeredStreamProtocols(req);
  if (!offered.includes(PORT_FORWARD_PROTOCOL)) throw noProtocol(offered, [PORT_FORWARD_PROTOCOL]);
  servePortForwardSpdy(switchToSpdy(socket, head, PORT_FORWARD_PROTOCOL), t.agent, t.namespace, t.pod);
}

function switchToSpdy(socket: Duplex, head: Buffer, protocol: string) {
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\n' +
      'Connection: Upgrade\r\n' +
      'Upgrade: SPDY/3.1\r\n' +
      `X-Stream-Protocol-Version: ${protocol}\r\n\r\n`,
  );
  const s = socket as Duplex & { setNoDelay?: (v: boolean) => void; setTimeout?: (ms: number) => void };
  s.setNoDelay?.(true);
  s.setTimeout?.(0);
  return spdyOverSocket(socket, head);
}

async function portForwardWs(req: IncomingMessage, socket: Duplex, head: Buffer, t: StreamTarget): Promise<void> {
  const offered = offeredWsProtocols(req);
  if (offered.includes(SPDY_PORT_FORWARD_TUNNEL)) {
    req.headers['sec-websocket-protocol'] = TUNNEL_PLACEHOLDER;
    const ws = await acceptWs(req, socket, head, SPDY_PORT_FORWARD_TUNNEL);
    if (ws) servePortForwardSpdy(spdyOverWebSocket(ws), t.agent, t.namespace, t.pod);
    return;
  }
  const protocol = pickProtocol(offered, PORT_FORWARD_PROTOCOLS);
  if (!protocol) throw noProtocol(offered, [SPDY_PORT_FORWARD_TUNNEL, ...PORT_FORWARD_PROTOCOLS]);
  const ports = t.query.getAll('ports').flatMap((p) => p.split(',')).filter((p) => p.trim() !== '').map((p) => parsePort(p.trim()));
  if (ports.length === 0) throw KubeError.badRequest('query parameter "ports" is required: the ports to forward, e.g. ?ports=8080');
  const agents: WebSocket[] = [];
  try {
    for (const port of ports) agents.push(await openAgentPortForward(t.agent, t.namespace, t.pod, port));
  } catch (err) {
    for (const a of agents) closeSocket(a);
    throw err;
  }
  const client = await acceptWs(req, socket, head, protocol);
  if (!client) {
    for (const a of agents) closeSocket(a);
    return;
  }
  servePortForwardWs(client, protocol, ports, agents);
}
