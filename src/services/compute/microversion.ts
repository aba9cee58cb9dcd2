import type { FastifyReply, FastifyRequest } from 'fastify';
import { StratusError } from '../../core/errors.js';

/** The compute API microversions Stratus implements: exactly 2.1 (tempest's schemas are exact). */
export const MIN_VERSION = '2.1';
export const MAX_VERSION = '2.1';

declare module 'fastify' {
  interface FastifyRequest {
    /** Negotiated compute microversion as [major, minor]. */
    novaVersion: [number, number];
  }
}

function parse(v: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

const cmp = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];

/** The version the client asked for: `OpenStack-API-Version: compute X` wins over the legacy header. */
function requested(req: FastifyRequest): string | undefined {
  const generic = req.headers['openstack-api-version'];
  const g = Array.isArray(generic) ? generic.join(',') : generic;
  if (g) {
    for (const part of g.split(',')) {
      const [service, version] = part.trim().split(/\s+/);
      if (service?.toLowerCase() === 'compute' && version) return version;
    }
  }
  const legacy = req.headers['x-openstack-nova-api-version'];
  return (Array.isArray(legacy) ? legacy[0] : legacy)?.trim() || undefined;
}

/**
 * Negotiates the microversion of a request (onRequest hook of the versioned API) and echoes
 * it: no header means 2.1, `latest` the maximum, a malformed value is a 400 and one outside
 * [min, max] a 406, as Nova answers.
 */
export async function negotiate(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const asked = requested(req);
  let v = parse(MIN_VERSION)!;
  if (asked !== undefined) {
    if (asked.toLowerCase() === 'latest') v = parse(MAX_VERSION)!;
    else {
      const p = parse(asked);
      if (!p) throw new StratusError('BadRequest', `API Version String ${asked} is of invalid format. Must be of format MajorNum.MinorNum.`, 'InvalidAPIVersionString');
      if (cmp(p, parse(MIN_VERSION)!) < 0 || cmp(p, parse(MAX_VERSION)!) > 0)
        throw new StratusError('NotAcceptable', `Version ${asked} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${MAX_VERSION}.`, 'InvalidGlobalAPIVersion');
      v = p;
    }
  }
  req.novaVersion = v;
  const text = `${v[0]}.${v[1]}`;
  reply.header('x-openstack-nova-api-version', text);
  reply.header('openstack-api-version', `compute ${text}`);
  reply.header('vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version');
}
