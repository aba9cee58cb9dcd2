/**
 * Domain errors. Logic throws these; each service renders them in its own wire shape
 * (Keystone `{"error": …}`, Nova `{"itemNotFound": …}`, Neutron `{"NeutronError": …}`).
 * `code` is a stable catalogue code (e.g. `ProjectNotFound`) that renderers may expose.
 */
export type ErrorKind =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'Conflict'
  | 'Gone'
  | 'PreconditionFailed'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'Internal'
  | 'Unavailable';

export const STATUS_OF: Record<ErrorKind, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  Conflict: 409,
  Gone: 410,
  PreconditionFailed: 412,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  TooManyRequests: 429,
  Internal: 500,
  Unavailable: 503,
};

export const TITLE_OF: Record<ErrorKind, string> = {
  BadRequest: 'Bad Request',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  NotFound: 'Not Found',
  MethodNotAllowed: 'Method Not Allowed',
  NotAcceptable: 'Not Acceptable',
  Conflict: 'Conflict',
  Gone: 'Gone',
  PreconditionFailed: 'Precondition Failed',
  PayloadTooLarge: 'Request Entity Too Large',
  UnsupportedMediaType: 'Unsupported Media Type',
  TooManyRequests: 'Too Many Requests',
  Internal: 'Internal Server Error',
  Unavailable: 'Service Unavailable',
};

export class StratusError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  constructor(kind: ErrorKind, message: string, code?: string) {
    super(message);
    this.kind = kind;
    this.code = code ?? kind;
  }
  get status(): number {
    return STATUS_OF[this.kind];
  }
}

export const badRequest = (msg: string, code?: string) => new StratusError('BadRequest', msg, code);
export const unauthorized = (msg = 'The request you have made requires authentication.', code?: string) =>
  new StratusError('Unauthorized', msg, code);
export const forbidden = (msg = 'You are not authorized to perform the requested action.', code?: string) =>
  new StratusError('Forbidden', msg, code);
export const notFound = (what: string, id: string, code?: string) =>
  new StratusError('NotFound', `Could not find ${what}: ${id}.`, code ?? `${camel(what)}NotFound`);
export const conflict = (msg: string, code?: string) => new StratusError('Conflict', msg, code);

function camel(s: string): string {
  return s.replace(/(^|[\s_-])(\w)/g, (_m, _sep, ch: string) => ch.toUpperCase());
}

/** Maps framework errors (Fastify's FST_* codes, JSON parse errors) onto domain errors. */
export function toStratusError(err: unknown): StratusError | undefined {
  if (err instanceof StratusError) return err;
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { statusCode?: number; code?: string; message?: string };
  const status = e.statusCode;
  if (typeof status !== 'number' || status >= 500) return undefined;
  const kind = (Object.keys(STATUS_OF) as ErrorKind[]).find((k) => STATUS_OF[k] === status) ?? 'BadRequest';
  let message = e.message ?? TITLE_OF[kind];
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/.test(e.code ?? '') || err instanceof SyntaxError) {
    message = 'Malformed request body: the body is not valid JSON.';
  } else if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    message = 'Request body is too large.';
  } else if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    message = 'Unsupported Content-Type; send application/json.';
  } else if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    message = 'Malformed request body: empty JSON body.';
  }
  return new StratusError(kind, message, e.code);
}
