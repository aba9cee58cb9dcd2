import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../../core/log.js';
import type { MetadataService } from './service.js';

/**
 * A `node:http` request listener for the metadata service, for the data plane to serve on a
 * unix socket (`http.createServer(metadataHandler(svc)).listen('/run/stratus/metadata.sock')`).
 * Like Neutron's metadata proxy, the proxy in front of it sends the guest's address in
 * `X-Forwarded-For` and the network in `X-Neutron-Network-ID`; requests without both are
 * refused, and only GET and HEAD are served.
 */
export function metadataHandler(svc: MetadataService, log?: Logger) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const header = (name: string) => {
      const v = req.headers[name];
      return (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();
    };
    const ip = header('x-forwarded-for');
    const networkId = header('x-neutron-network-id');
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'Method not allowed.\n');
    if (!ip || !networkId) return send(400, 'text/plain', 'X-Forwarded-For and X-Neutron-Network-ID are required.\n');
    svc
      .answer(networkId, ip, req.url ?? '/')
      .then((a) => send(a.status, a.contentType, a.body))
      .catch((e: unknown) => {
        log?.error(`metadata ${req.url} for ${ip}: ${(e as Error).stack ?? String(e)}`);
        send(500, 'text/plain', 'An unknown error has occurred.\n');
      });
  };
}
