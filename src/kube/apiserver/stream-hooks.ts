import type { KubeApi } from '../api.js';
import { KubeError } from '../errors.js';
import { findResource } from '../resources.js';
import type { AgentTarget } from '../streams/agent-api.js';
import { handleStreamUpgrade, proxyLogs, rejectUpgrade } from '../streams/index.js';
import type { StreamHooks } from './pods.js';

const NODES = findResource('', 'v1', 'nodes')!;

/**
 * Where a node's agent API is: `http://<InternalIP>:<status.daemonEndpoints.kubeletEndpoint.Port>`,
 * authenticated with the node's own token (the API server issued it, so it knows it).
 */
export async function agentTarget(api: KubeApi, nodeTokens: Record<string, string>, nodeName: string): Promise<AgentTarget> {
  const node = await api.get(NODES, undefined, nodeName).catch((e: unknown) => {
    if (e instanceof KubeError && e.code === 404) throw KubeError.badRequest(`the pod's node ${nodeName} is not registered; its node agent is not running`);
    throw e;
  });
  const status = node.status as { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } | undefined;
  const ip = status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const port = status?.daemonEndpoints?.kubeletEndpoint?.Port;
  const token = nodeTokens[nodeName];
  if (!ip || !port || !token) {
    throw new KubeError(503, 'ServiceUnavailable', `the node agent of ${nodeName} has not published its address yet (status.addresses InternalIP and daemonEndpoints.kubeletEndpoint.Port); retry in a moment`);
  }
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return { url: `http://${host}:${port}`, token };
}

/** The stream layer (`kube/streams`) behind the HTTP server's pod subresources. */
export function streamHooks(opts: { api: KubeApi; nodeTokens: Record<string, string>; log?: (line: string) => void }): StreamHooks {
  return {
    async logs(_req, res, target, logOpts) {
      const agent = await agentTarget(opts.api, opts.nodeTokens, target.nodeName);
      await proxyLogs(agent, target.namespace, target.pod, target.container, logOpts, res);
    },
    upgrade(req, socket, head, kind, target) {
      const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
      agentTarget(opts.api, opts.nodeTokens, target.nodeName).then(
        (agent) => handleStreamUpgrade(req, socket, head, { subresource: kind, agent, namespace: target.namespace, pod: target.pod, container: target.container, query }),
        (e: unknown) => rejectUpgrade(req, socket, (e instanceof KubeError ? e : KubeError.internal(String(e))).toStatus()),
      );
    },
  };
}
