import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';

/**
 * The metadata proxy of one network, run as its own small process inside the network's
 * service namespace (`nsenter --net=…`): it answers http://169.254.169.254:80 there and
 * forwards each request over the control plane's unix socket, replacing any client-supplied
 * `X-Forwarded-For` with the instance's real source address and adding
 * `X-Neutron-Network-ID`. There is no IP path between the namespace and the host: only the
 * unix socket, which is a file.
 *
 *   node metadata-proxy.js --socket /var/lib/stratus/metadata.sock --network <id> [--listen 169.254.169.254:80]
 *
 * Prints `ready` on stdout once listening (the supervisor waits for it).
 */
export const PROXY_SCRIPT = fileURLToPath(import.meta.url);

/** Headers sent upstream: the client's, minus hop-by-hop and identity ones, plus ours. */
export function upstreamHeaders(h: IncomingHttpHeaders, clientIp: string, networkId: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    if (['x-forwarded-for', 'x-neutron-network-id', 'x-neutron-router-id', 'x-instance-id', 'connection', 'keep-alive', 'proxy-connection'].includes(k)) continue;
    out[k] = v;
  }
  out['x-forwarded-for'] = clientIp;
  out['x-neutron-network-id'] = networkId;
  return out;
}

function arg(name: string, argv: string[]): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

function main(argv: string[]): void {
  const socketPath = arg('socket', argv);
  const networkId = arg('network', argv);
  const listen = arg('listen', argv) ?? '169.254.169.254:80';
  if (!socketPath || !networkId) {
    process.stderr.write('usage: metadata-proxy --socket PATH --network ID [--listen HOST:PORT]\n');
    process.exit(2);
  }
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i);
  const port = Number(listen.slice(i + 1));
  const server = createServer((req, res) => {
    const clientIp = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const up = request(
      { socketPath, path: req.url ?? '/', method: req.method, headers: upstreamHeaders(req.headers, clientIp, networkId), timeout: 30_000 },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('timeout', () => up.destroy(new Error('upstream timeout')));
    up.on('error', (e) => {
      if (res.headersSent) return res.destroy();
      const body = `Metadata service unavailable: ${e.message}\n`;
      res.writeHead(503, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    req.pipe(up);
  });
  server.on('error', (e) => {
    process.stderr.write(`metadata-proxy: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(port, host, () => process.stdout.write('ready\n'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
