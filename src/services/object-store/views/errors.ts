import type { FastifyReply, FastifyRequest } from 'fastify';
import { toStratusError } from '../../../core/errors.js';
import type { Logger } from '../../../core/log.js';
import { SWIFT_STATUS } from '../logic/errors.js';

const TITLES: Record<number, [string, string]> = {
  200: ['OK', ''],
  201: ['Created', ''],
  400: ['Bad Request', 'The server could not comply with the request since it is either malformed or otherwise incorrect.'],
  401: ['Unauthorized', 'This server could not verify that you are authorized to access the document you requested.'],
  403: ['Forbidden', 'Access was denied to this resource.'],
  404: ['Not Found', 'The resource could not be found.'],
  405: ['Method Not Allowed', 'The method is not allowed for this resource.'],
  406: ['Not Acceptable', 'The requested resource is not available in a format acceptable to your browser.'],
  408: ['Request Timeout', 'The server has waited too long for the request to be sent by the client.'],
  409: ['Conflict', 'There was a conflict when trying to complete your request.'],
  411: ['Length Required', 'Length Required.'],
  412: ['Precondition Failed', 'A precondition for this request was not met.'],
  413: ['Request Entity Too Large', 'The body of your request was too large for this server.'],
  414: ['Request URI Too Long', 'The request URI was too long for this server.'],
  415: ['Unsupported Media Type', 'The request media type is not supported by this server.'],
  416: ['Requested Range Not Satisfiable', 'The Range requested is not available.'],
  422: ['Unprocessable Entity', 'Unable to process the contained instructions'],
  499: ['Client Disconnect', 'The client was disconnected during request.'],
  500: ['Internal Error', 'The server has either erred or is incapable of performing the requested operation.'],
  503: ['Service Unavailable', 'The server is currently unavailable. Please try again at a later time.'],
};

export function statusLine(status: number): string {
  return `${status} ${TITLES[status]?.[0] ?? 'Error'}`;
}

/** Statuses whose body is always Swift's standard text (clients and tempest match on it). */
const STANDARD_BODY = new Set([401, 403, 404, 405, 409, 411, 416, 422, 499, 500, 503]);

const escapeHtml = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

/** Swift's short error page: `<html><h1>Title</h1><p>detail</p></html>`; no body for HEAD. */
export function sendError(req: FastifyRequest, reply: FastifyReply, status: number, detail?: string): FastifyReply {
  const [title, fallback] = TITLES[status] ?? ['Error', ''];
  reply.code(status).header('content-type', 'text/html; charset=UTF-8');
  if (req.method === 'HEAD' || status === 304) return reply.header('content-length', '0').send();
  const text = STANDARD_BODY.has(status) || !detail ? fallback : detail;
  return reply.send(`<html><h1>${title}</h1><p>${escapeHtml(text)}</p></html>`);
}

/** A request body that stopped arriving: the client went away (Swift logs 499). */
function clientGone(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'ECONNRESET' || e?.code === 'ERR_STREAM_PREMATURE_CLOSE' || e?.message === 'aborted';
}

/**
 * Renders any error as Swift does. Domain errors map through their code (EtagMismatch → 422,
 * InvalidRange → 416, …) or kind; framework 4xx keep their status; anything else is a logged
 * 500 with no detail on the wire.
 */
export function swiftErrorHandler(log: Logger) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    if (clientGone(err)) return sendError(req, reply, 499);
    const e = toStratusError(err);
    if (!e) {
      log.error(`${req.id} ${req.method} ${req.url} failed: ${(err as Error)?.stack ?? String(err)}`);
      return sendError(req, reply, 500);
    }
    const status = SWIFT_STATUS[e.code] ?? e.status;
    return sendError(req, reply, status, e.message);
  };
}
