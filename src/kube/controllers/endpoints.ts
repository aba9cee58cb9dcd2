import type { KubeObject } from '../types.js';
import { objectKey, splitKey } from './informer.js';
import { canonical, deleteIfExists, isConflict, isNotFound, jsonEqual, ownerRefTo, R, selectorMatches, spec, status, type Controller, type ControllerContext, type Json } from './objects.js';
import { isPodReady, podPhase } from './pods.js';
import { WorkQueue } from './queue.js';

const SERVICE_NAME = 'kubernetes.io/service-name';
const MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
const MANAGER = 'endpointslice-controller.k8s.io';
const MAX_PER_SLICE = 100;

interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  targetPort?: number | string;
  appProtocol?: string;
}

interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

/**
 * Endpoints and EndpointSlice controller: for each Service with a selector, the pods of its
 * namespace that match, have a podIP and are not finished. v1 Endpoints list ready pods in
 * `addresses` and the others in `notReadyAddresses` (terminating pods left out); EndpointSlices
 * (≤100 endpoints each, `<svc>-xxxxx`) carry every such pod with conditions ready / serving /
 * terminating. Ports come from the Service with `targetPort` resolved per pod (named ports
 * through the containers' port names); pods resolving to different ports land in different
 * subsets / slices. Services without a selector are left alone (their Endpoints are the user's).
 */
export function endpointsController(ctx: ControllerContext): Controller {
  const svcInf = ctx.informers.for(R.services);
  const podInf = ctx.informers.for(R.pods);
  const epInf = ctx.informers.for(R.endpoints);
  const sliceInf = ctx.informers.for(R.endpointslices);
  const queue = new WorkQueue('endpoints', sync, ctx.log, 4);

  svcInf.addHandler((_t, svc) => queue.add(objectKey(svc)));
  podInf.addHandler((_t, pod, old) => {
    for (const svc of svcInf.list(pod.metadata.namespace)) {
      const sel = spec(svc).selector as Record<string, string> | undefined;
      if (!sel) continue;
      const m = (labels: Record<string, string> | undefined) => selectorMatches({ matchLabels: sel }, labels);
      if (m(pod.metadata.labels) || (old && m(old.metadata.labels))) queue.add(objectKey(svc));
    }
  });
  // Someone else changed or removed what we manage → put it back.
  epInf.addHandler((_t, ep) => queue.add(objectKey(ep)));
  sliceInf.addHandler((_t, slice) => {
    const svc = slice.metadata.labels?.[SERVICE_NAME];
    if (svc && slice.metadata.labels?.[MANAGED_BY] === MANAGER) queue.add(`${slice.metadata.namespace}/${svc}`);
  });

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = svcInf.get(namespace, name);
    const slices = sliceInf.list(namespace).filter((s) => s.metadata.labels?.[SERVICE_NAME] === name && s.metadata.labels?.[MANAGED_BY] === MANAGER);
    const selector = svc ? (spec(svc).selector as Record<string, string> | undefined) : undefined;
    if (!svc || !selector || Object.keys(selector).length === 0) {
      // Deleted service: its Endpoints and slices go. Selector-less service: not ours to manage.
      if (svc) return;
      await deleteIfExists(ctx.api, R.endpoints, namespace, name);
      for (const s of slices) await deleteIfExists(ctx.api, R.endpointslices, namespace, s.metadata.name!);
      return;
    }
    const pods = podInf
      .list(namespace)
      .filter((p) => selectorMatches({ matchLabels: selector }, p.metadata.labels) && status(p).podIP && podPhase(p) !== 'Succeeded' && podPhase(p) !== 'Failed')
      .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
    const ports = (spec(svc).ports as ServicePort[] | undefined) ?? [];
    const publishNotReady = Boolean(spec(svc).publishNotReadyAddresses);
    await writeEndpoints(svc, pods, ports, publishNotReady);
    await writeSlices(svc, pods, ports, publishNotReady, slices);
  }

  async function writeEndpoints(svc: KubeObject, pods: KubeObject[], ports: ServicePort[], publishNotReady: boolean): Promise<void> {
    const subsets = new Map<string, { addresses: Json[]; notReadyAddresses: Json[]; ports: EndpointPort[] }>();
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp) continue;
      const resolved = resolvePorts(ports, pod);
      const k = canonical(resolved);
      const subset = subsets.get(k) ?? { addresses: [], notReadyAddresses: [], ports: resolved };
      subsets.set(k, subset);
      const addr: Json = { ip: status(pod).podIP, targetRef: podRef(pod) };
      if (spec(pod).nodeName) addr.nodeName = spec(pod).nodeName;
      if (spec(pod).hostname) addr.hostname = spec(pod).hostname;
      (publishNotReady || isPodReady(pod) ? subset.addresses : subset.notReadyAddresses).push(addr);
    }
    const list = [...subsets.values()]
      .map((s) => {
        const out: Json = {};
        if (s.addresses.length) out.addresses = s.addresses;
        if (s.notReadyAddresses.length) out.notReadyAddresses = s.notReadyAddresses;
        if (s.ports.length) out.ports = s.ports;
        return out;
      })
      .sort((a, b) => canonical(a.ports).localeCompare(canonical(b.ports)));
    const labels = { ...(svc.metadata.labels ?? {}), 'endpointslice.kubernetes.io/skip-mirror': 'true' };
    const existing = epInf.get(svc.metadata.namespace, svc.metadata.name!);
    const body: KubeObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: svc.metadata.name, namespace: svc.metadata.namespace, labels } };
    if (list.length) body.subsets = list;
    if (existing) {
      if (jsonEqual(existing.subsets ?? [], list) && jsonEqual(existing.metadata.labels, labels)) return;
      body.metadata = { ...existing.metadata, labels };
      await ctx.api.update(R.endpoints, svc.metadata.namespace, svc.metadata.name!, body);
    } else {
      try {
        await ctx.api.create(R.endpoints, svc.metadata.namespace, body);
      } catch (err) {
        // Created meanwhile (by a previous sync not yet in the cache): the next event resyncs.
        if (!isConflict(err)) throw err;
        queue.addAfter(objectKey(svc), 20);
      }
    }
  }

  async function writeSlices(svc: KubeObject, pods: KubeObject[], ports: ServicePort[], publishNotReady: boolean, existing: KubeObject[]): Promise<void> {
    const groups = new Map<string, { ports: EndpointPort[]; endpoints: Json[] }>();
    for (const pod of pods) {
      const resolved = resolvePorts(ports, pod);
      const k = canonical(resolved);
      const g = groups.get(k) ?? { ports: resolved, endpoints: [] };
      groups.set(k, g);
      const terminating = Boolean(pod.metadata.deletionTimestamp);
      const ready = isPodReady(pod);
      const ep: Json = {
        addresses: [status(pod).podIP],
        conditions: { ready: publishNotReady || (ready && !terminating), serving: publishNotReady || ready, terminating },
        targetRef: podRef(pod),
      };
      if (spec(pod).nodeName) ep.nodeName = spec(pod).nodeName;
      if (spec(pod).hostname) ep.hostname = spec(pod).hostname;
      g.endpoints.push(ep);
    }
    const wanted: { ports: EndpointPort[]; endpoints: Json[] }[] = [];
    for (const g of groups.values()) {
      for (let i = 0; i < g.endpoints.length; i += MAX_PER_SLICE) wanted.push({ ports: slicePorts(g.ports), endpoints: g.endpoints.slice(i, i + MAX_PER_SLICE) });
    }
    // A service with no endpoints still gets one empty slice (as upstream), with its ports.
    if (wanted.length === 0) wanted.push({ ports: slicePorts(resolvePorts(ports, undefined)), endpoints: [] });
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}), [SERVICE_NAME]: svc.metadata.name!, [MANAGED_BY]: MANAGER };
    delete labels['service.kubernetes.io/headless'];
    if (spec(svc).clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
    const pool = [...existing].sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
    const fresh: { ports: EndpointPort[]; endpoints: Json[] }[] = [];
    // Keep slices already equal to a wanted one; rewrite the others in place; create or delete the rest.
    for (const w of wanted) {
      const i = pool.findIndex((s) => jsonEqual(s.endpoints ?? [], w.endpoints) && jsonEqual(s.ports ?? [], w.ports) && jsonEqual(s.metadata.labels, labels) && ownedBy(s, svc));
      if (i >= 0) pool.splice(i, 1);
      else fresh.push(w);
    }
    for (const w of fresh) {
      const reuse = pool.shift();
      const body: KubeObject = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: reuse
          ? { ...reuse.metadata, labels, ownerReferences: [sliceOwner(svc)] }
          : { generateName: `${svc.metadata.name}-`, namespace: svc.metadata.namespace, labels, ownerReferences: [sliceOwner(svc)] },
        addressType: 'IPv4',
        endpoints: w.endpoints,
        ports: w.ports,
      };
      if (reuse) {
        try {
          await ctx.api.update(R.endpointslices, svc.metadata.namespace, reuse.metadata.name!, body);
        } catch (err) {
          if (!isNotFound(err)) throw err;
          queue.addAfter(objectKey(svc), 20);
        }
      } else {
        await ctx.api.create(R.endpointslices, svc.metadata.namespace, body);
      }
    }
    for (const s of pool) await deleteIfExists(ctx.api, R.endpointslices, svc.metadata.namespace, s.metadata.name!);
  }

  return {
    name: 'endpoints',
    queues: [queue],
    start() {
      for (const s of svcInf.list()) queue.add(objectKey(s));
    },
    stop() {
      queue.stop();
    },
  };
}

function sliceOwner(svc: KubeObject): ReturnType<typeof ownerRefTo> {
  return { ...ownerRefTo(svc), apiVersion: 'v1', kind: 'Service' };
}

function ownedBy(slice: KubeObject, svc: KubeObject): boolean {
  return Boolean(slice.metadata.ownerReferences?.some((r) => r.uid === svc.metadata.uid));
}

function podRef(pod: KubeObject): Json {
  return { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
}

/**
 * EndpointSlice ports always carry `name` ("" for an unnamed Service port), as upstream writes
 * them: `kubectl describe service` dereferences it unconditionally.
 */
function slicePorts(ports: EndpointPort[]): EndpointPort[] {
  return ports.map((p) => ({ ...p, name: p.name ?? '' }));
}

/**
 * Service ports with `targetPort` resolved for one pod: a number as is; a name through the
 * containers' `ports[].name` (a pod without that port name drops the port, as upstream does).
 * Without a pod (empty slice) only numeric target ports are listed.
 */
export function resolvePorts(ports: ServicePort[], pod: KubeObject | undefined): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const p of ports) {
    const protocol = p.protocol ?? 'TCP';
    let port: number | undefined;
    const target = p.targetPort ?? p.port;
    if (typeof target === 'number') port = target;
    else if (/^\d+$/.test(target)) port = Number(target);
    else if (pod) {
      const containers = ((spec(pod).containers as Json[] | undefined) ?? []).concat((spec(pod).initContainers as Json[] | undefined) ?? []);
      for (const c of containers) {
        const found = ((c.ports as Json[] | undefined) ?? []).find((cp) => cp.name === target && (cp.protocol ?? 'TCP') === protocol);
        if (found) {
          port = Number(found.containerPort);
          break;
        }
      }
    }
    if (port === undefined) continue;
    const ep: EndpointPort = { port, protocol };
    if (p.name) ep.name = p.name;
    if (p.appProtocol) ep.appProtocol = p.appProtocol;
    out.push(ep);
  }
  return out;
}
