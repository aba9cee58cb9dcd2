import type { WebSocket } from 'ws';
import type { ExecRequest } from '../api.js';
import type { Status } from '../types.js';
import { Channel, failureStatus, frame, statusAsText, statusIsJson } from './channels.js';
import { WsPacer, closeSocket } from './pacer.js';
import type { SpdyConnection, SpdyStream } from './spdy-connection.js';
import { RstStatus } from './spdy.js';

/** SPDY exec protocols (`X-Stream-Protocol-Version`) in order of preference. */
export const SPDY_EXEC_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

const STREAM_CREATION_TIMEOUT_MS = 30_000;

/**
 * exec/attach over SPDY/3.1, as kubectl ≤ 1.29 (and 1.32 with
 * `KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false`) speaks it: the client opens one stream per
 * `streamtype` header (`error`, `stdin`, `stdout`, `stderr`, `resize`). Once the requested ones
 * exist the agent's v5 WebSocket (already open) is read: stdout/stderr become DATA on their
 * streams, the final Status goes on the error stream (JSON for v4, text before), then every
 * stream is FINed and the connection closed. stdin FIN becomes stdin EOF; the resize stream
 * carries JSON objects one per line.
 */
export function serveExecSpdy(conn: SpdyConnection, protocol: string, req: ExecRequest, agent: WebSocket): void {
  const streams: Partial<Record<string, SpdyStream>> = {};
  const wanted = ['error', ...(req.stdin ? ['stdin'] : []), ...(req.stdout ? ['stdout'] : []), ...(req.stderr && !req.tty ? ['stderr'] : [])];
  let running = false;
  let finished = false;
  const toAgent = new WsPacer(agent, () => conn.pause(toAgent), () => conn.resume(toAgent));
  agent.pause();

  const timer = setTimeout(() => {
    if (!running) finish(failureStatus(`timed out waiting for the client to create the ${wanted.filter((w) => !streams[w]).join(', ')} stream(s)`));
  }, STREAM_CREATION_TIMEOUT_MS);
  timer.unref();

  const finish = (status: Status): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    const text = statusIsJson(protocol) ? JSON.stringify(status) : statusAsText(status);
    if (text && streams.error) streams.error.write(Buffer.from(text, 'utf8'));
    for (const s of Object.values(streams)) s?.end();
    closeSocket(agent);
    // Give the client a moment to read the FINs, then drop the connection.
    setTimeout(() => conn.end(), 100).unref();
  };

  conn.on('stream', (stream: SpdyStream) => {
    const type = stream.headers['streamtype'] ?? '';
    if (!['error', 'stdin', 'stdout', 'stderr', 'resize'].includes(type) || streams[type]) {
      stream.reset(RstStatus.PROTOCOL_ERROR);
      return;
    }
    streams[type] = stream;
    if (type === 'stdin') {
      stream.on('data', (d: Buffer) => toAgent.send(frame(Channel.STDIN, d)));
      stream.on('end', () => toAgent.send(frame(Channel.CLOSE, Buffer.from([Channel.STDIN]))));
    } else if (type === 'resize') {
      let pending = '';
      stream.on('data', (d: Buffer) => {
        pending += d.toString('utf8');
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line) toAgent.send(frame(Channel.RESIZE, line));
        }
      });
    }
    if (!running && wanted.every((w) => streams[w])) {
      running = true;
      agent.resume();
    }
  });
  conn.on('drain', () => {
    if (running) agent.resume();
  });
  conn.on('close', () => {
    finished = true;
    clearTimeout(timer);
    closeSocket(agent);
  });

  agent.on('message', (data: Buffer, isBinary) => {
    if (!isBinary || data.length === 0) return;
    const channel = data[0]!;
    const payload = data.subarray(1);
    const target = channel === Channel.STDOUT ? streams.stdout : channel === Channel.STDERR ? streams.stderr : undefined;
    if (target) {
      if (!target.write(payload)) agent.pause();
    } else if (channel === Channel.ERROR) {
      try {
        finish(JSON.parse(payload.toString('utf8')) as Status);
      } catch {
        finish(failureStatus(payload.toString('utf8')));
      }
    }
  });
  agent.on('close', (code, reason) => {
    finish(code === 1000 ? failureStatus('the node agent ended the exec stream without a status') : failureStatus(`the node agent closed the exec stream: ${code} ${reason.toString()}`.trim()));
  });
  agent.on('error', () => agent.terminate());
}
