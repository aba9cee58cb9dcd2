import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';

/** Where the built dashboard lives and which paths are the app's own (history routing). */
export interface SiteOptions {
  /** The built app (`dashboard/dist`): `index.html` plus hashed files under `assets/`. */
  root: string;
  /**
   * First path segments the app routes itself (`/project/instances`, `/admin/users`…): they get
   * `index.html`. Nothing else outside `assets/` does, so an API path is never shadowed.
   */
  appRoutes: string[];
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

// NOTE: the app calls the APIs from the browser with a token in a header, so the page may only
// talk to its own origin; scripts and styles come from files under /assets only.
const CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Serves the dashboard at `/`: `index.html` for `/` and the app's routes (never cached, so a
 * rebuild shows at once), the hashed files under `/assets/` with a year-long immutable cache.
 * Registered as plain GET routes (HEAD follows), so every API prefix keeps its own handlers.
 * When the app is not built, `/` answers a short page that says how to build it.
 */
export function registerSite(app: FastifyInstance, o: SiteOptions): void {
  const root = resolve(o.root);
  const index = resolve(root, 'index.html');
  const sendIndex = async (_req: FastifyRequest, reply: FastifyReply) => {
    if (!existsSync(index)) {
      return reply.code(503).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(NOT_BUILT(root));
    }
    return sendFile(reply, index, 'no-cache');
  };
  app.get('/', sendIndex);
  app.get('/index.html', sendIndex);
  for (const r of o.appRoutes) {
    app.get(`/${r}`, sendIndex);
    app.get(`/${r}/*`, sendIndex);
  }
  app.get<{ Params: { '*': string } }>('/assets/*', async (req, reply) => {
    const rel = req.params['*'];
    const file = resolve(root, 'assets', rel);
    // No traversal: the resolved path must stay under assets/, and no NUL or backslash tricks.
    const ok = !rel.includes('\0') && !rel.includes('\\') && file.startsWith(resolve(root, 'assets') + sep);
    if (!ok || !existsSync(file) || !statSync(file).isFile()) {
      return reply.code(404).type('text/plain; charset=utf-8').send(`No dashboard asset ${req.url}; reload the page (the dashboard may have been rebuilt).`);
    }
    return sendFile(reply, file, 'public, max-age=31536000, immutable');
  });
}

function sendFile(reply: FastifyReply, file: string, cache: string) {
  const st = statSync(file);
  reply
    .type(TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream')
    .header('cache-control', cache)
    .header('content-length', st.size)
    .header('last-modified', st.mtime.toUTCString())
    .header('x-content-type-options', 'nosniff');
  if (file.endsWith('.html')) reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY');
  return reply.send(createReadStream(file));
}

const NOT_BUILT = (root: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Stratus</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Stratus</h1>
<p>The APIs are up, but the dashboard is not built (no <code>${escapeHtml(root)}/index.html</code>).</p>
<p>Build it from the Stratus checkout with <code>npm run build:dashboard</code> (or <code>npm ci</code>, which builds everything), then reload this page.</p>
<p>Health: <a href="/health">/health</a>. Identity: <code>/identity/v3</code>.</p>
</body></html>
`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
