import type { WebSocket } from 'ws';

const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

/**
 * Backpressure for WebSocket senders: `send` writes a message and, once the socket has more
 * than 1 MiB queued, calls `pause` (stop reading the source); `resume` follows when the queue
 * drained below 256 KiB. This keeps large transfers (port-forward, exec output) streaming
 * with flat memory instead of buffering everything in the process.
 */
export class WsPacer {
  private paused = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly pause: () => void,
    private readonly resume: () => void,
  ) {}

  send(data: Buffer | string, binary = true): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(data, { binary }, () => {
      if (this.paused && this.ws.bufferedAmount < LOW_WATER) {
        this.paused = false;
        this.resume();
      }
    });
    if (!this.paused && this.ws.bufferedAmount > HIGH_WATER) {
      this.paused = true;
      this.pause();
    }
  }
}

/**
 * Closes a WebSocket that may be paused. NOTE: a paused socket never reads the peer's answering
 * close frame, so `close()` alone would hang in CLOSING until ws's 30 s timer; resume first.
 */
export function closeSocket(ws: WebSocket, code = 1000, reason?: string): void {
  if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) return;
  ws.resume();
  ws.close(code, reason);
}
