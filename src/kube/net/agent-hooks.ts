import type { KubeApi } from '../api.js';
import { KubeError } from '../errors.js';
import type { StreamHooks } from '../apiserver/pods.js';
import { agentTarget } from '../apiserver/stream-hooks.js';
import { handleStreamUpgrade, proxyLogs, rejectUpgrade, type AgentTarget } from '../streams/index.js';

/**
 * The API server's stream hooks when node agents run in this process but their nodes live in
 * network namespaces: a node's InternalIP (10.41.0.x) is not reachable from the root
 * namespace (nothing routes there, by design), so agents serve their API on 127.0.0.1 and the
 * API server finds them through `local` (node name → loopback port). Nodes not in the map
 * (agents elsewhere) are reached at InternalIP as usual.
 */
export function localAgentHooks(opts: { api: KubeApi; nodeTokens: Record<string, string>; local: Map<string, number>; log?: (line: string) => void }): StreamHooks {
  const target = async (nodeName: string): Promise<AgentTarget> => {
    const port = opts.local.get(nodeName);
    const token = opts.nodeTokens[nodeName];
    if (port !== undefined && token) return { url: `http://127.0.0.1:${port}`, token };
    return agentTarget(opts.api, opts.nodeTokens, nodeName);
  };
  return {
    async logs(_req, res, t, logOpts) {
      await proxyLogs(await target(t.nodeName), t.namespace, t.pod, t.container, logOpts, res);
    },
    upgrade(req, socket, head, kind, t) {
      const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
      target(t.nodeName).then(
        (agent) => handleStreamUpgrade(req, socket, head, { subresource: kind, agent, namespace: t.namespace, pod: t.pod, container: t.container, query }),
        (e: unknown) => rejectUpgrade(req, socket, (e instanceof KubeError ? e : KubeError.internal(String(e))).toStatus()),
      );
    },
  };
}
