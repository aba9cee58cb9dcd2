import type { KubeObject } from '../../types.js';
import { storageDefaults } from '../../storage/defaults.js';
import { arr, isObject, obj, type Json } from './util.js';

/**
 * Admission defaults: what a 1.32 API server fills in, so `kubectl get -o yaml` shows the
 * familiar fields and controllers can rely on them. Applied on create and on every update
 * (defaulting is idempotent); never overrides a value the client set.
 */
export function applyDefaults(o: KubeObject): void {
  switch (`${o.apiVersion}/${o.kind}`) {
    case 'v1/Pod':
      defaultPodSpec(obj(o, 'spec'));
      break;
    case 'apps/v1/Deployment': {
      const s = obj(o, 'spec');
      s.replicas ??= 1;
      const strategy = obj(s, 'strategy');
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') {
        const ru = obj(strategy, 'rollingUpdate');
        ru.maxUnavailable ??= '25%';
        ru.maxSurge ??= '25%';
      }
      s.revisionHistoryLimit ??= 10;
      s.progressDeadlineSeconds ??= 600;
      defaultTemplate(s);
      break;
    }
    case 'apps/v1/ReplicaSet': {
      const s = obj(o, 'spec');
      s.replicas ??= 1;
      defaultTemplate(s);
      break;
    }
    case 'apps/v1/DaemonSet': {
      const s = obj(o, 'spec');
      const strategy = obj(s, 'updateStrategy');
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') {
        const ru = obj(strategy, 'rollingUpdate');
        ru.maxUnavailable ??= 1;
        ru.maxSurge ??= 0;
      }
      s.revisionHistoryLimit ??= 10;
      defaultTemplate(s);
      break;
    }
    case 'apps/v1/StatefulSet': {
      const s = obj(o, 'spec');
      s.replicas ??= 1;
      s.podManagementPolicy ??= 'OrderedReady';
      const strategy = obj(s, 'updateStrategy');
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') obj(strategy, 'rollingUpdate').partition ??= 0;
      s.revisionHistoryLimit ??= 10;
      const retention = obj(s, 'persistentVolumeClaimRetentionPolicy');
      retention.whenDeleted ??= 'Retain';
      retention.whenScaled ??= 'Retain';
      defaultTemplate(s);
      break;
    }
    case 'batch/v1/Job':
      defaultJob(o);
      break;
    case 'batch/v1/CronJob': {
      const s = obj(o, 'spec');
      s.concurrencyPolicy ??= 'Allow';
      s.suspend ??= false;
      s.successfulJobsHistoryLimit ??= 3;
      s.failedJobsHistoryLimit ??= 1;
      const template = obj(obj(obj(s, 'jobTemplate'), 'spec'), 'template');
      defaultPodSpec(obj(template, 'spec'));
      break;
    }
    case 'v1/Service':
      defaultService(obj(o, 'spec'));
      break;
    case 'v1/Namespace': {
      const name = o.metadata.name;
      if (name) o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': name };
      const s = obj(o, 'spec');
      s.finalizers ??= ['kubernetes'];
      obj(o, 'status').phase ??= 'Active';
      break;
    }
    case 'v1/Secret':
      defaultSecret(o);
      break;
    default:
      storageDefaults(o);
      break;
  }
}

function defaultTemplate(spec: Json): void {
  const template = obj(spec, 'template');
  defaultPodSpec(obj(template, 'spec'));
}

export function defaultPodSpec(s: Json): void {
  s.restartPolicy ??= 'Always';
  s.terminationGracePeriodSeconds ??= 30;
  s.dnsPolicy ??= 'ClusterFirst';
  s.securityContext ??= {};
  s.schedulerName ??= 'default-scheduler';
  if (s.serviceAccountName === undefined && s.serviceAccount !== undefined) s.serviceAccountName = s.serviceAccount;
  s.serviceAccountName ??= 'default';
  s.serviceAccount ??= s.serviceAccountName;
  s.enableServiceLinks ??= true;
  s.preemptionPolicy ??= 'PreemptLowerPriority';
  s.priority ??= 0;
  for (const list of ['containers', 'initContainers']) {
    for (const c of arr(s, list)) if (isObject(c)) defaultContainer(c);
  }
  // Pods without tolerations for these get them from the DefaultTolerationSeconds plugin.
  if (!Array.isArray(s.tolerations)) s.tolerations = [];
  const tolerations = s.tolerations as unknown[];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerations.some((t) => isObject(t) && t.key === key)) {
      tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    }
  }
}

function defaultContainer(c: Json): void {
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
    c.imagePullPolicy = imageTag(c.image) === 'latest' || imageTag(c.image) === undefined ? 'Always' : 'IfNotPresent';
  }
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const p of arr(c, 'ports')) if (isObject(p)) p.protocol ??= 'TCP';
}

/** The tag of an image reference (undefined when untagged; digests count as tagged). */
function imageTag(image: string): string | undefined {
  if (image.includes('@')) return '@digest';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon < 0 ? undefined : last.slice(colon + 1);
}

/** BestEffort without any request or limit; Guaranteed when every container limits cpu and memory equal to requests. */
export function qosClass(spec: Json): string {
  const containers = [...arr(spec, 'containers'), ...arr(spec, 'initContainers')].filter(isObject);
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const r = isObject(c.resources) ? c.resources : {};
    const requests = isObject(r.requests) ? r.requests : {};
    const limits = isObject(r.limits) ? r.limits : {};
    if (Object.keys(requests).length || Object.keys(limits).length) any = true;
    for (const res of ['cpu', 'memory']) {
      if (limits[res] === undefined) guaranteed = false;
      else if (requests[res] !== undefined && String(requests[res]) !== String(limits[res])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultJob(o: KubeObject): void {
  const s = obj(o, 'spec');
  s.parallelism ??= 1;
  s.completions ??= 1;
  s.backoffLimit ??= 6;
  s.completionMode ??= 'NonIndexed';
  s.suspend ??= false;
  s.podReplacementPolicy ??= 'TerminatingOrFailed';
  const uid = o.metadata.uid;
  const template = obj(s, 'template');
  if (uid && s.manualSelector !== true && s.selector === undefined) {
    s.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
    const meta = obj(template, 'metadata');
    meta.labels = {
      ...(isObject(meta.labels) ? meta.labels : {}),
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': o.metadata.name ?? '',
      'controller-uid': uid,
      'job-name': o.metadata.name ?? '',
    };
  }
  defaultPodSpec(obj(template, 'spec'));
}

function defaultService(s: Json): void {
  s.type ??= 'ClusterIP';
  if (s.type === 'ExternalName') return;
  s.sessionAffinity ??= 'None';
  s.internalTrafficPolicy ??= 'Cluster';
  s.ipFamilies ??= ['IPv4'];
  s.ipFamilyPolicy ??= 'SingleStack';
  if (s.type === 'NodePort' || s.type === 'LoadBalancer') s.externalTrafficPolicy ??= 'Cluster';
  if (s.type === 'LoadBalancer') s.allocateLoadBalancerNodePorts ??= true;
  for (const p of arr(s, 'ports')) {
    if (!isObject(p)) continue;
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
  }
}

function defaultSecret(o: KubeObject): void {
  o.type ??= 'Opaque';
  if (isObject(o.stringData)) {
    const data: Json = isObject(o.data) ? o.data : {};
    for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    o.data = data;
  }
  delete o.stringData;
}
