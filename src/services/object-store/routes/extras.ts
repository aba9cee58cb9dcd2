import type { FastifyInstance } from 'fastify';
import type { ObjectStorage } from '../logic/index.js';
import { capabilities } from '../views/info.js';

const CROSSDOMAIN =
  '<?xml version="1.0"?>\n<!DOCTYPE cross-domain-policy SYSTEM "http://www.adobe.com/xml/dtds/cross-domain-policy.dtd" >\n' +
  '<cross-domain-policy>\n<allow-access-from domain="*" secure="false" />\n</cross-domain-policy>';

/** The unversioned, public paths: /info (capabilities), /healthcheck, /crossdomain.xml. */
export function extraRoutes(app: FastifyInstance, storage: ObjectStorage): void {
  const text = (url: string, type: string, body: () => string) =>
    app.route({
      method: ['GET', 'HEAD'],
      url,
      handler: async (_req, reply) => {
        reply.header('content-type', type);
        return body();
      },
    });
  text('/info', 'application/json; charset=utf-8', () => JSON.stringify(capabilities(storage.ctx.config.maxObjectSize)));
  text('/healthcheck', 'text/plain; charset=utf-8', () => 'OK');
  text('/crossdomain.xml', 'application/xml; charset=utf-8', () => CROSSDOMAIN);
}
