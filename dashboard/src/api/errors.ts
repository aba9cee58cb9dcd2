/**
 * An API call that failed, with the service's own message and what the user can do next.
 * Every OpenStack service words its errors differently; `fromResponse` reads them all.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly hint: string,
    readonly service: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Reads the message out of Keystone, Nova, Cinder, Neutron, Glance and Swift error bodies. */
export function messageOf(text: string): string | undefined {
  const t = text.trim();
  if (!t) return undefined;
  try {
    const body = JSON.parse(t) as unknown;
    if (body && typeof body === 'object') {
      const o = body as Record<string, unknown>;
      // Keystone {"error": {...}}, Neutron {"NeutronError": {...}}, Nova/Cinder {"itemNotFound": {...}}…
      for (const v of Object.values(o)) {
        if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') return (v as { message: string }).message;
      }
      if (typeof o.message === 'string') return o.message;
      if (typeof o.title === 'string') return o.title;
    }
  } catch {
    // Glance and Swift answer text or HTML.
  }
  const plain = t.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return plain.slice(0, 300) || undefined;
}

/** What to do next, by status: every error shown to the user says it. */
export function hintFor(status: number, message: string): string {
  if (status === 0) return 'Stratus cannot be reached: check that `stratus up` is still running, then retry.';
  if (status === 401) return 'Your session has expired or was revoked: log in again.';
  if (status === 403) {
    if (/quota/i.test(message)) return 'The project is over its quota: delete something you no longer need, or ask an admin to raise the quota.';
    return 'Your role in this project does not allow this: switch to a project where you are a member, or ask an admin.';
  }
  if (status === 404) return 'It may have been deleted meanwhile: refresh the list.';
  if (status === 409) return 'The resource is busy or in a state that does not allow this: wait for it to settle, then retry.';
  if (status === 413) return /quota/i.test(message) ? 'The project is over its quota: free some resources or ask an admin to raise it.' : 'The request is too large: use a smaller file.';
  if (status === 400) return 'Check the values you entered and try again.';
  if (status >= 500) return 'The service failed: retry, and if it persists, look at the stratus log.';
  return 'Retry, or refresh the page.';
}

export async function fromResponse(res: Response, service: string): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  const message = messageOf(text) ?? `${res.status} ${res.statusText}`;
  return new ApiError(message, res.status, hintFor(res.status, message), service);
}

export function describe(e: unknown): { message: string; hint: string } {
  if (e instanceof ApiError) return { message: `${e.service}: ${e.message}`, hint: e.hint };
  if (e instanceof Error) return { message: e.message, hint: 'Retry, or refresh the page.' };
  return { message: String(e), hint: 'Retry, or refresh the page.' };
}
