import type { Status } from '../types.js';

/**
 * The Kubernetes WebSocket channel protocols (reference §3.2, §3.5): every message starts with
 * one channel byte, the rest is payload. The `base64` variants use text messages whose first
 * character is the channel as an ASCII digit and whose rest is base64.
 */

export const Channel = {
  STDIN: 0,
  STDOUT: 1,
  STDERR: 2,
  ERROR: 3,
  RESIZE: 4,
  /** v5 only: payload is one byte, the channel being half-closed. */
  CLOSE: 255,
} as const;

export const V5 = 'v5.channel.k8s.io';
export const V4 = 'v4.channel.k8s.io';
export const V3 = 'v3.channel.k8s.io';
export const V2 = 'v2.channel.k8s.io';
export const V1 = 'channel.k8s.io';
export const V1_BASE64 = 'base64.channel.k8s.io';
export const V4_BASE64 = 'v4.base64.channel.k8s.io';

/** Exec/attach WebSocket subprotocols in order of preference. */
export const EXEC_PROTOCOLS = [V5, V4, V4_BASE64, V3, V2, V1, V1_BASE64];
/** Port-forward WebSocket subprotocols (client-node speaks v4 with port prefixes). */
export const PORT_FORWARD_PROTOCOLS = [V4, V4_BASE64, V1, V1_BASE64];

export function pickProtocol(offered: Iterable<string>, supported: string[]): string | undefined {
  const set = new Set([...offered].map((p) => p.trim()));
  return supported.find((p) => set.has(p));
}

export function isBase64(protocol: string): boolean {
  return protocol.includes('base64');
}

/** Whether the error channel carries a JSON Status (v4, v5) rather than plain text. */
export function statusIsJson(protocol: string): boolean {
  return protocol === V5 || protocol === V4 || protocol === V4_BASE64;
}

export function supportsHalfClose(protocol: string): boolean {
  return protocol === V5;
}

export function supportsResize(protocol: string): boolean {
  return protocol !== V1 && protocol !== V1_BASE64 && protocol !== V2;
}

export function encodeChannel(protocol: string, channel: number, payload: Buffer): { data: Buffer | string; binary: boolean } {
  if (isBase64(protocol)) return { data: String.fromCharCode(48 + channel) + payload.toString('base64'), binary: false };
  const out = Buffer.allocUnsafe(payload.length + 1);
  out[0] = channel;
  payload.copy(out, 1);
  return { data: out, binary: true };
}

/** Decodes one message; undefined for an empty or malformed one (ignored by callers). */
export function decodeChannel(protocol: string, message: Buffer, isBinary: boolean): { channel: number; payload: Buffer } | undefined {
  if (message.length === 0) return undefined;
  if (!isBinary || isBase64(protocol)) {
    const text = message.toString('latin1');
    const channel = text.charCodeAt(0) - 48;
    if (channel < 0 || channel > 9) return undefined;
    return { channel, payload: Buffer.from(text.slice(1), 'base64') };
  }
  return { channel: message[0]!, payload: message.subarray(1) };
}

export function frame(channel: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = channel;
  body.copy(out, 1);
  return out;
}

export function successStatus(): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
}

/** The Status kubectl turns into "command terminated with exit code N" and exit status N. */
export function exitCodeStatus(code: number): Status {
  if (code === 0) return successStatus();
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

export function failureStatus(message: string, reason = 'InternalError', code = 500): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** What the older protocols (v1–v3) put on the error channel: the message, nothing on success. */
export function statusAsText(status: Status): string {
  return status.status === 'Success' ? '' : (status.message ?? 'error');
}

/** Terminal size as kubectl sends it on the resize channel / stream. */
export function parseResize(payload: Buffer): { width: number; height: number } | undefined {
  try {
    const v = JSON.parse(payload.toString('utf8')) as { Width?: unknown; Height?: unknown };
    const width = Number(v.Width);
    const height = Number(v.Height);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0 || width > 0xffff || height > 0xffff) return undefined;
    return { width, height };
  } catch {
    return undefined;
  }
}
