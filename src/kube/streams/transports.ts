import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { closeSocket } from './pacer.js';
import { SpdyConnection, type SpdyTransport } from './spdy-connection.js';

const WS_HIGH_WATER = 1024 * 1024;
const WS_LOW_WATER = 256 * 1024;

/** A SPDY connection on a raw socket (after `Upgrade: SPDY/3.1`); `head` holds early bytes. */
export function spdyOverSocket(socket: Duplex, head: Buffer): SpdyConnection {
  let closed = false;
  const transport: SpdyTransport = {
    write: (data) => socket.write(data),
    pauseInput: () => socket.pause(),
    resumeInput: () => socket.resume(),
    close: () => {
      if (closed) return;
      closed = true;
      socket.end();
      // A client that never closes its side must not keep the socket forever.
      setTimeout(() => socket.destroy(), 5000).unref();
    },
  };
  const conn = new SpdyConnection(transport);
  socket.on('data', (chunk: Buffer) => conn.receive(chunk));
  socket.on('drain', () => conn.drained());
  socket.on('end', () => conn.transportClosed());
  socket.on('close', () => conn.transportClosed());
  socket.on('error', () => {
    socket.destroy();
    conn.transportClosed();
  });
  if (head.length > 0) conn.receive(head);
  return conn;
}

/**
 * A SPDY connection tunnelled in a WebSocket (`SPDY/3.1+portforward.k8s.io`): binary messages
 * carry the byte stream both ways, their boundaries mean nothing.
 */
export function spdyOverWebSocket(ws: WebSocket): SpdyConnection {
  let full = false;
  const transport: SpdyTransport = {
    write: (data) => {
      if (ws.readyState !== ws.OPEN) return true;
      ws.send(data, { binary: true }, () => {
        if (full && ws.bufferedAmount < WS_LOW_WATER) {
          full = false;
          conn.drained();
        }
      });
      if (ws.bufferedAmount > WS_HIGH_WATER) full = true;
      return !full;
    },
    pauseInput: () => ws.pause(),
    resumeInput: () => ws.resume(),
    close: () => {
      closeSocket(ws);
    },
  };
  const conn = new SpdyConnection(transport);
  ws.on('message', (data: Buffer) => conn.receive(data));
  ws.on('close', () => conn.transportClosed());
  ws.on('error', () => ws.terminate());
  return conn;
}
