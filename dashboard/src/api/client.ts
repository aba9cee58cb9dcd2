import { ApiError, fromResponse, hintFor } from './errors';
import { endpoint, type Session } from './session';

/** Service types as the catalog names them, with the label used in error messages. */
export const SERVICES = {
  identity: 'identity',
  compute: 'compute',
  network: 'network',
  volume: 'volumev3',
  image: 'image',
  object: 'object-store',
  metric: 'metric',
} as const;
export type ServiceKey = keyof typeof SERVICES;

/** The API version under a catalog endpoint that lists versions (the others are called as is). */
const VERSION_PATH: Partial<Record<ServiceKey, string>> = { identity: '/v3', network: '/v2.0', image: '/v2', metric: '/v1' };

export interface CallOptions {
  body?: unknown;
  /** A raw body (file upload); sent as is with `contentType`. */
  raw?: BodyInit;
  contentType?: string;
  headers?: Record<string, string>;
}

/**
 * Calls the public APIs with the session's token, at the URLs the catalog gives. A 401 ends the
 * session (the app goes back to the login page); every failure is an ApiError with a hint.
 */
export class Api {
  constructor(
    readonly session: Session,
    private readonly onExpired: () => void,
  ) {}

  has(svc: ServiceKey): boolean {
    return endpoint(this.session, SERVICES[svc]) !== undefined;
  }

  url(svc: ServiceKey, path: string): string {
    const base = endpoint(this.session, SERVICES[svc]);
    if (!base) throw new ApiError(`the catalog has no ${SERVICES[svc]} service`, 404, 'This cloud does not run that service; ask the operator.', svc);
    return base + (VERSION_PATH[svc] ?? '') + path;
  }

  /** The raw response (downloads, object listings); throws an ApiError unless it is 2xx. */
  async fetch(svc: ServiceKey, method: string, path: string, o: CallOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { 'x-auth-token': this.session.token, accept: 'application/json', ...o.headers };
    let body: BodyInit | undefined = o.raw;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    } else if (o.contentType) headers['content-type'] = o.contentType;
    let res: Response;
    try {
      res = await fetch(this.url(svc, path), { method, headers, body: body ?? null });
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError('network error', 0, hintFor(0, ''), svc);
    }
    if (res.status === 401) {
      this.onExpired();
      throw await fromResponse(res, svc);
    }
    if (!res.ok) throw await fromResponse(res, svc);
    return res;
  }

  /** A JSON call; resolves to the parsed body, or undefined for an empty one (204). */
  async call<T>(svc: ServiceKey, method: string, path: string, o: CallOptions = {}): Promise<T> {
    const res = await this.fetch(svc, method, path, o);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T>(svc: ServiceKey, path: string): Promise<T> {
    return this.call<T>(svc, 'GET', path);
  }
  post<T>(svc: ServiceKey, path: string, body?: unknown): Promise<T> {
    return this.call<T>(svc, 'POST', path, body === undefined ? {} : { body });
  }
  put<T>(svc: ServiceKey, path: string, body?: unknown): Promise<T> {
    return this.call<T>(svc, 'PUT', path, body === undefined ? {} : { body });
  }
  del(svc: ServiceKey, path: string): Promise<void> {
    return this.call<void>(svc, 'DELETE', path);
  }
}
