import http from 'node:http';
import net from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import type { ExecRequest, ExecSession, LogOptions, PodStreams } from '../api.js';
import { KubeError } from '../errors.js';
import { serveAgentApi, parseLogQuery, type AgentApiServer, type AgentTarget } from './agent-api.js';
import { proxyLogs } from './logs.js';
import { handleStreamUpgrade, rejectUpgrade } from './upgrade.js';

/**
 * Test doubles for the stream layer: `EchoPodStreams`, a PodStreams with a tiny command set,
 * and `startStreamHarness`, an API server that serves just enough of Kubernetes for real
 * kubectl and client-node to run exec, attach, port-forward and logs against one Running pod
 * `default/web` (container `app`) through a real agent API server.
 *
 * Commands of the double: `echo ARGS…` (stdout), `stderr ARGS…` (stderr), `exit N` (a line on
 * stderr, exit code N), `cat` (stdin to stdout until EOF), `size` (prints the last resize);
 * anything else prints "<cmd>: not found" and exits 127. Container `bad` is rejected like an
 * unknown container.
 */
export class EchoPodStreams implements PodStreams {
  /** Port on the "pod" → port on 127.0.0.1 actually dialled. */
  readonly ports = new Map<number, number>();
  /** Open `logs -f` streams; tests write lines into them and end them. */
  readonly followers: PassThrough[] = [];
  logLines = ['line 1', 'line 2', 'line 3'];
  execCount = 0;

  async logs(_ns: string, pod: string, container: string, opts: LogOptions): Promise<Readable> {
    this.check(pod, container);
    const lines = opts.tailLines !== undefined ? this.logLines.slice(Math.max(0, this.logLines.length - opts.tailLines)) : this.logLines;
    const out = new PassThrough();
    out.write(lines.map((l) => `${l}\n`).join(''));
    if (opts.follow) this.followers.push(out);
    else out.end();
    return out;
  }

  async exec(req: ExecRequest): Promise<ExecSession> {
    this.check(req.pod, req.container);
    this.execCount += 1;
    return runCommand(req.command, req);
  }

  async attach(req: ExecRequest): Promise<ExecSession> {
    this.check(req.pod, req.container);
    return runCommand(['cat'], req);
  }

  async portForward(_ns: string, pod: string, port: number): Promise<net.Socket> {
    this.check(pod, 'app');
    const local = this.ports.get(port);
    if (local === undefined) throw new Error(`dial tcp 10.244.0.5:${port}: connect: connection refused`);
    return new Promise((resolve, reject) => {
      const s = net.connect(local, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
  }

  private check(pod: string, container: string): void {
    if (pod !== 'web') throw new KubeError(404, 'NotFound', `pods "${pod}" not found`);
    if (container !== 'app') throw KubeError.badRequest(`container ${container} is not valid for pod ${pod}`);
  }
}

function runCommand(argv: string[], req: ExecRequest): ExecSession {
  const stdout = new PassThrough();
  const stderr = req.tty ? null : new PassThrough();
  const stdin = req.stdin ? new PassThrough() : null;
  const errOut = stderr ?? stdout;
  let size = '';
  let settle!: (code: number) => void;
  const exit = new Promise<number>((r) => (settle = r));
  const done = (code: number): void => {
    stdout.end();
    stderr?.end();
    settle(code);
  };
  const [cmd, ...args] = argv;
  setImmediate(() => {
    switch (cmd) {
      case 'echo':
        stdout.write(`${args.join(' ')}\n`);
        return done(0);
      case 'stderr':
        errOut.write(`${args.join(' ')}\n`);
        return done(0);
      case 'exit':
        errOut.write(`exiting with ${args[0] ?? '0'}\n`);
        return done(Number(args[0] ?? 0) || 0);
      case 'size':
        stdout.write(`${size || 'unknown'}\n`);
        return done(0);
      case 'cat':
        if (!stdin) return done(0);
        stdin.pipe(stdout, { end: false });
        stdin.on('end', () => done(0));
        return;
      default:
        errOut.write(`${cmd ?? ''}: not found\n`);
        return done(127);
    }
  });
  return {
    stdin,
    stdout,
    stderr,
    exit,
    resize: (w, h) => {
      size = `${w}x${h}`;
    },
    kill: () => done(137),
  };
}

export interface StreamHarness {
  /** `http://127.0.0.1:<port>` of the fake API server. */
  url: string;
  token: string;
  agent: AgentTarget;
  streams: EchoPodStreams;
  /** Requests seen by the API server: `METHOD path upgrade?`. */
  requests: string[];
  close(): Promise<void>;
}

const POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: '6b1e0c54-0000-4000-8000-000000000001', resourceVersion: '7', creationTimestamp: '2025-01-01T00:00:00Z', labels: { app: 'web' } },
  spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'busybox', ports: [{ containerPort: 80 }] }] },
  status: {
    phase: 'Running',
    podIP: '10.244.0.5',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [{ name: 'app', ready: true, started: true, restartCount: 0, image: 'busybox', imageID: '', state: { running: { startedAt: '2025-01-01T00:00:00Z' } } }],
  },
};

const POD_RESOURCE = {
  resource: 'pods',
  singularResource: 'pod',
  scope: 'Namespaced',
  responseKind: { group: '', version: 'v1', kind: 'Pod' },
  verbs: ['get', 'list'],
  shortNames: ['po'],
  categories: ['all'],
  subresources: ['exec', 'attach', 'portforward', 'log'].map((subresource) => ({
    subresource,
    responseKind: { group: '', version: 'v1', kind: subresource === 'log' ? 'Pod' : 'PodExecOptions' },
    verbs: subresource === 'log' ? ['get'] : ['create', 'get'],
  })),
};

/** Starts an agent API server over `EchoPodStreams` and a minimal API server in front of it. */
export async function startStreamHarness(): Promise<StreamHarness> {
  const streams = new EchoPodStreams();
  const agentToken = 'agent-secret';
  const agentServer: AgentApiServer = await serveAgentApi(streams, { host: '127.0.0.1', port: 0, token: agentToken });
  const agent: AgentTarget = { url: `http://127.0.0.1:${agentServer.port}`, token: agentToken };
  const token = 'harness-token';
  const requests: string[] = [];

  const podPath = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(?:\/(exec|attach|portforward|log))?$/;
  const json = (res: http.ServerResponse, code: number, body: unknown, type = 'application/json'): void => {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const lookup = (ns: string, name: string): void => {
    if (ns !== 'default' || name !== 'web') throw new KubeError(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
  };
  const containerOf = (q: URLSearchParams): string => q.get('container') || 'app';

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}`);
    try {
      if (url.pathname === '/version') {
        return json(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' });
      }
      if (url.pathname === '/api' || url.pathname === '/apis') {
        const accept = req.headers.accept ?? '';
        const v = accept.includes('g=apidiscovery.k8s.io;v=v2;') ? 'v2' : accept.includes('g=apidiscovery.k8s.io;v=v2beta1') ? 'v2beta1' : '';
        if (v) {
          const items = url.pathname === '/api' ? [{ metadata: { name: '' }, versions: [{ version: 'v1', freshness: 'Current', resources: [POD_RESOURCE] }] }] : [];
          return json(res, 200, { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${v}`, metadata: {}, items }, `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`);
        }
        if (url.pathname === '/api') return json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
        return json(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
      }
      if (url.pathname === '/api/v1') {
        return json(res, 200, {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: 'v1',
          resources: [
            { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
            ...['exec', 'attach', 'portforward', 'log'].map((s) => ({ name: `pods/${s}`, singularName: '', namespaced: true, kind: s === 'log' ? 'Pod' : 'PodExecOptions', verbs: ['create', 'get'] })),
          ],
        });
      }
      const m = podPath.exec(url.pathname);
      if (m && req.method === 'GET') {
        const [, ns, name, sub] = m as unknown as [string, string, string, string | undefined];
        lookup(ns, name);
        if (!sub) return json(res, 200, POD);
        if (sub === 'log') {
          void proxyLogs(agent, ns, name, containerOf(url.searchParams), parseLogQuery(url.searchParams), res);
          return;
        }
      }
      json(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `the server could not find the requested resource (${url.pathname})`, reason: 'NotFound', code: 404 });
    } catch (err) {
      const status = err instanceof KubeError ? err.toStatus() : KubeError.internal(String(err)).toStatus();
      json(res, status.code ?? 500, status);
    }
  });
  const upgraded = new Set<net.Socket>();
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname} upgrade=${req.headers.upgrade ?? ''}`);
    const m = podPath.exec(url.pathname);
    const sub = m?.[3];
    if (!m || !sub || sub === 'log') {
      return rejectUpgrade(req, socket, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'not found', reason: 'NotFound', code: 404 });
    }
    try {
      lookup(m[1]!, m[2]!);
    } catch (err) {
      return rejectUpgrade(req, socket, (err as KubeError).toStatus());
    }
    handleStreamUpgrade(req, socket, head, {
      agent,
      namespace: m[1]!,
      pod: m[2]!,
      container: containerOf(url.searchParams),
      subresource: sub as 'exec' | 'attach' | 'portforward',
      query: url.searchParams,
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    agent,
    streams,
    requests,
    close: async () => {
      for (const f of streams.followers) f.end();
      server.closeAllConnections();
      for (const s of upgraded) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await agentServer.close();
    },
  };
}
