import type { WebSocket } from 'ws';
import type { Status } from '../types.js';
import {
  Channel,
  decodeChannel,
  encodeChannel,
  failureStatus,
  frame,
  statusAsText,
  statusIsJson,
  supportsHalfClose,
  supportsResize,
} from './channels.js';
import { WsPacer, closeSocket } from './pacer.js';

/**
 * Relays one exec/attach session between a client WebSocket speaking `protocol` (v5, v4,
 * v4.base64, v3, v2, channel.k8s.io, base64.channel.k8s.io) and the agent's v5 WebSocket.
 *
 * The agent ends with one Status on channel 3 and close 1000; the client gets that Status in
 * its protocol's form (JSON for v4/v5, the message as text for older ones) followed by close
 * 1000. A client that goes away closes the agent socket, which kills the session.
 */
export function relayExec(client: WebSocket, protocol: string, agent: WebSocket): void {
  let statusSent = false;
  const toClient = new WsPacer(client, () => agent.pause(), () => agent.resume());
  const toAgent = new WsPacer(agent, () => client.pause(), () => client.resume());

  const sendStatus = (status: Status): void => {
    if (statusSent) return;
    statusSent = true;
    const payload = statusIsJson(protocol) ? JSON.stringify(status) : statusAsText(status);
    if (payload !== '') {
      const m = encodeChannel(protocol, Channel.ERROR, Buffer.from(payload, 'utf8'));
      toClient.send(m.data, m.binary);
    }
  };

  agent.on('message', (data: Buffer, isBinary) => {
    if (!isBinary || data.length === 0) return;
    const channel = data[0]!;
    const payload = data.subarray(1);
    if (channel === Channel.STDOUT || channel === Channel.STDERR) {
      const m = encodeChannel(protocol, channel, payload);
      toClient.send(m.data, m.binary);
    } else if (channel === Channel.ERROR) {
      try {
        sendStatus(JSON.parse(payload.toString('utf8')) as Status);
      } catch {
        sendStatus(failureStatus(payload.toString('utf8')));
      }
    }
  });
  agent.on('close', (code, reason) => {
    if (!statusSent && code !== 1000) sendStatus(failureStatus(`the node agent closed the exec stream: ${code} ${reason.toString() || ''}`.trim()));
    closeSocket(client);
  });
  agent.on('error', () => agent.terminate());

  client.on('message', (data: Buffer, isBinary) => {
    const m = decodeChannel(protocol, data, isBinary);
    if (!m) return;
    if (m.channel === Channel.STDIN) toAgent.send(frame(Channel.STDIN, m.payload));
    else if (m.channel === Channel.RESIZE && supportsResize(protocol)) toAgent.send(frame(Channel.RESIZE, m.payload));
    else if (m.channel === Channel.CLOSE && supportsHalfClose(protocol)) toAgent.send(frame(Channel.CLOSE, m.payload));
  });
  client.on('close', () => {
    closeSocket(agent);
  });
  client.on('error', () => client.terminate());
  agent.resume();
}
