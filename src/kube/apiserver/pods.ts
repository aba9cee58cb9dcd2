import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { KubeApi, LogOptions } from '../api.js';
import { KubeError } from '../errors.js';
import { findResource } from '../resources.js';
import type { KubeObject } from '../types.js';
import { boolParam, intParam } from './http-util.js';
import type { ResourceContext } from './handlers.js';

/** A pod stream request after the API server's checks (pod bound and Running, container resolved). */
export interface PodTarget {
  namespace: string;
  pod: string;
  /** Resolved container name; '' for port-forward. */
  container: string;
  /** The node the pod runs on (`spec.nodeName`). */
  nodeName: string;
  /** The pod as read for the checks. */
  object: KubeObject;
}

export type StreamKind = 'exec' | 'attach' | 'portforward';

/**
 * The stream layer as the HTTP server sees it (`kube/streams` behind it, wired in
 * `kube/cluster.ts`): logs answer on the response; upgrades take over the socket and own it
 * from then on (they answer errors themselves once the protocol is chosen).
 */
export interface StreamHooks {
  logs(req: IncomingMessage, res: ServerResponse, target: PodTarget, opts: LogOptions): Promise<void>;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, kind: StreamKind, target: PodTarget): void;
}

const PODS = findResource('', 'v1', 'pods')!;

interface ContainerSpec {
  name: string;
}

function containersOf(pod: KubeObject): ContainerSpec[] {
  const spec = pod.spec as { containers?: ContainerSpec[] } | undefined;
  return Array.isArray(spec?.containers) ? spec.containers : [];
}

/**
 * The container a request means: `container` from the query, else the pod's
 * `kubectl.kubernetes.io/default-container` annotation, else the first container.
 * Unknown → 400 `container bad is not valid for pod web`.
 */
export function resolveContainer(pod: KubeObject, wanted: string | null): string {
  const names = containersOf(pod).map((c) => c.name);
  const initNames = ((pod.spec as { initContainers?: ContainerSpec[] } | undefined)?.initContainers ?? []).map((c) => c.name);
  const name = wanted || pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'] || names[0];
  if (!name || (!names.includes(name) && !initNames.includes(name))) {
    throw KubeError.badRequest(`container ${name ?? '(none)'} is not valid for pod ${pod.metadata.name}`);
  }
  return name;
}

/** Reads the pod and checks it can serve a stream; `kind` 'log' is more lenient (any phase once started). */
export async function podTarget(api: KubeApi, namespace: string, name: string, kind: StreamKind | 'log', container: string | null): Promise<PodTarget> {
  const pod = await api.get(PODS, namespace, name);
  const spec = pod.spec as { nodeName?: string } | undefined;
  const status = pod.status as { phase?: string; containerStatuses?: { name: string; state?: { waiting?: { reason?: string } } }[] } | undefined;
  const nodeName = spec?.nodeName;
  if (!nodeName) throw KubeError.badRequest(`pod ${name} does not have a host assigned`);
  const phase = status?.phase ?? 'Pending';
  const resolved = kind === 'portforward' ? '' : resolveContainer(pod, container);
  if (kind === 'log') {
    const cs = status?.containerStatuses?.find((c) => c.name === resolved);
    const waiting = cs?.state?.waiting;
    if (!cs || waiting) {
      throw KubeError.badRequest(`container "${resolved}" in pod "${name}" is waiting to start: ${waiting?.reason ?? 'ContainerCreating'}`);
    }
  } else if (phase === 'Succeeded' || phase === 'Failed') {
    throw KubeError.badRequest(`cannot ${kind === 'portforward' ? 'port-forward to' : kind === 'exec' ? 'exec into' : 'attach to'} a container in a completed pod; current phase is ${phase}`);
  } else if (phase !== 'Running') {
    throw KubeError.badRequest(`unable to upgrade connection: pod ${name} is not running yet (phase ${phase}); wait for it with \`kubectl wait --for=condition=Ready pod/${name}\``);
  }
  return { namespace, pod: name, container: resolved, nodeName, object: pod };
}

/** GET pods/<name>/log (reference §3.6). */
export async function serveLogs(ctx: ResourceContext, namespace: string, name: string): Promise<number> {
  const q = ctx.query;
  const opts: LogOptions = {};
  if (boolParam(q, 'follow')) opts.follow = true;
  if (boolParam(q, 'previous')) opts.previous = true;
  if (boolParam(q, 'timestamps')) opts.timestamps = true;
  const tail = intParam(q, 'tailLines');
  if (tail !== undefined) {
    if (tail < 0) throw KubeError.badRequest('tailLines must be a non-negative integer');
    opts.tailLines = tail;
  }
  const since = intParam(q, 'sinceSeconds');
  if (since !== undefined) {
    if (since < 1) throw KubeError.badRequest('sinceSeconds must be a positive integer');
    opts.sinceSeconds = since;
  }
  const limit = intParam(q, 'limitBytes');
  if (limit !== undefined) {
    if (limit < 1) throw KubeError.badRequest('limitBytes must be a positive integer');
    opts.limitBytes = limit;
  }
  const target = await podTarget(ctx.api, namespace, name, 'log', q.get('container'));
  if (!ctx.streams) throw new KubeError(503, 'ServiceUnavailable', 'this API server has no stream layer (logs, exec, port-forward) configured');
  await ctx.streams.logs(ctx.req, ctx.res, target, opts);
  return ctx.res.statusCode;
}
