import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, StratusError } from '../../core/errors.js';

/**
 * Block storage microversions. Only what is implemented is advertised: the response bodies are
 * those of 3.0 (tempest checks exact key sets per version), so the range is 3.0–3.0 for now.
 */
export const MIN_VERSION = { major: 3, minor: 0 };
export const MAX_VERSION = { major: 3, minor: 0 };
export const fmt = (v: { major: number; minor: number }) => `${v.major}.${v.minor}`;

const negotiated = new WeakMap<FastifyRequest, string>();

/**
 * Reads `OpenStack-API-Version: volume 3.N` (possibly among other services' entries). No
 * header means 3.0, `latest` the maximum; a malformed one is a 400, one outside the range 406.
 */
export function negotiate(header: string | string[] | undefined): string {
  const entries = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const mine = entries.map((e) => e.split(/\s+/)).find(([svc]) => svc?.toLowerCase() === 'volume');
  if (!mine) return fmt(MIN_VERSION);
  const value = mine[1] ?? '';
  if (value.toLowerCase() === 'latest') return fmt(MAX_VERSION);
  const m = /^(\d+)\.(\d+)$/.exec(value);
  if (!m || mine.length !== 2) throw badRequest(`Invalid API version request: OpenStack-API-Version: volume ${value.slice(0, 40)}`);
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const below = major < MIN_VERSION.major || (major === MIN_VERSION.major && minor < MIN_VERSION.minor);
  const above = major > MAX_VERSION.major || (major === MAX_VERSION.major && minor > MAX_VERSION.minor);
  if (below || above) {
    throw new StratusError('NotAcceptable', `Version ${major}.${minor} is not supported by the API. Minimum is ${fmt(MIN_VERSION)} and maximum is ${fmt(MAX_VERSION)}.`, 'VersionNotFound');
  }
  return `${major}.${minor}`;
}

/** onRequest hook of the versioned API: negotiates and remembers the version. */
export async function versionHook(req: FastifyRequest): Promise<void> {
  negotiated.set(req, negotiate(req.headers['openstack-api-version']));
}

/** onSend hook: echoes the version used, on every answer of the versioned API. */
export async function echoVersion(req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  const v = negotiated.get(req);
  if (v) {
    reply.header('openstack-api-version', `volume ${v}`);
    reply.header('vary', 'OpenStack-API-Version');
  }
  return payload;
}

/** The version document of v3 (all seven keys tempest requires). */
export function versionDoc(base: string) {
  return {
    id: 'v3.0',
    status: 'CURRENT',
    version: fmt(MAX_VERSION),
    min_version: fmt(MIN_VERSION),
    updated: '2023-07-17T00:00:00Z',
    links: [
      { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
      { rel: 'self', href: `${base}/volume/v3/` },
    ],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
  };
}
