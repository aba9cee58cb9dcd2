import type { WebSocket } from 'ws';
import { decodeChannel, encodeChannel } from './channels.js';
import { WsPacer, closeSocket } from './pacer.js';

/**
 * Port-forward over the WebSocket channel protocol, as client-node speaks it (reference §3.5):
 * `?ports=a,b` (or repeated), per port index i a data channel 2i and an error channel 2i+1.
 * The server's first message on every channel is the port as 2 bytes little-endian; after that
 * channel 2i carries the connection's bytes both ways and 2i+1 error text. One agent socket per
 * port (opened before the client's upgrade was accepted); the client socket is closed with 1000
 * once every pod connection ended.
 */
export function servePortForwardWs(client: WebSocket, protocol: string, ports: number[], agents: WebSocket[]): void {
  let open = agents.length;
  const toClient = new WsPacer(client, () => agents.forEach((a) => a.pause()), () => agents.forEach((a) => a.resume()));
  const send = (channel: number, payload: Buffer): void => {
    const m = encodeChannel(protocol, channel, payload);
    toClient.send(m.data, m.binary);
  };
  ports.forEach((port, i) => {
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(port, 0);
    send(2 * i, prefix);
    send(2 * i + 1, prefix);
  });
  const pacers = agents.map((a) => new WsPacer(a, () => client.pause(), () => client.resume()));

  agents.forEach((agent, i) => {
    agent.on('message', (msg: Buffer) => {
      if (msg.length > 0) send(2 * i, msg);
    });
    agent.on('close', (code, reason) => {
      if (code !== 1000 && code !== 1005) {
        send(2 * i + 1, Buffer.from(reason.toString() || `the node agent closed the connection to port ${ports[i]} (${code})`, 'utf8'));
      }
      open -= 1;
      if (open === 0) closeSocket(client);
    });
    agent.on('error', () => agent.terminate());
  });

  client.on('message', (data: Buffer, isBinary) => {
    const m = decodeChannel(protocol, data, isBinary);
    if (!m || m.channel % 2 === 1) return;
    const i = m.channel / 2;
    const agent = agents[i];
    if (agent && agent.readyState === agent.OPEN && m.payload.length > 0) pacers[i]!.send(m.payload);
  });
  client.on('close', () => {
    for (const a of agents) closeSocket(a);
  });
  client.on('error', () => client.terminate());
  for (const a of agents) a.resume();
}
