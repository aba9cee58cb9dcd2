import type { KubeApi } from '../api.js';
import { KubeError } from '../errors.js';
import { findResource } from '../resources.js';
import type { KubeObject } from '../types.js';
import { podField, specOf, type KeyToPath, type VolumeSpec } from './pod-spec.js';
import { RuntimeError, type VolumeFile } from './runtime.js';

const CONFIGMAPS = findResource('', 'v1', 'configmaps')!;
const SECRETS = findResource('', 'v1', 'secrets')!;
/** Refresh a token once this much of its lifetime has passed (the kubelet: 80 %). */
const REFRESH_AT = 0.8;

/** What the agent asks the API for a projected token (TokenRequest bound to the pod). */
export interface TokenRequestArgs {
  namespace: string;
  serviceAccount: string;
  audience?: string;
  expirationSeconds: number;
  pod: { name: string; uid: string };
}

/** What the volume sources read: the API, the node's address, the token issuer and the CA. */
export interface VolumeSourceDeps {
  api: Partial<Pick<KubeApi, 'get'>>;
  hostIP: string;
  serviceAccountToken?: (req: TokenRequestArgs) => Promise<{ token: string; expirationTimestamp?: string }>;
  caPem?: string;
  log: (msg: string) => void;
}

/**
 * The files of a pod's configMap, secret, downwardAPI and projected volumes (service-account
 * tokens included), and the keys its env references read: the kubelet's volume manager role.
 */
export class VolumeSources {
  constructor(private readonly o: VolumeSourceDeps) {}

  /** One key of a ConfigMap (text or binary) or Secret (decoded), or undefined when either is absent. */
  async lookupKey(namespace: string, kind: 'configmaps' | 'secrets', name: string, key: string): Promise<string | undefined> {
    const data = await this.objectData(namespace, kind, name);
    const v = data?.[key];
    return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
  }

  /** A ConfigMap's or Secret's data as base64 by key; undefined when it does not exist. */
  private async objectData(namespace: string, kind: 'configmaps' | 'secrets', name: string): Promise<Record<string, string> | undefined> {
    if (!this.o.api.get) return undefined;
    let obj: KubeObject;
    try {
      obj = await this.o.api.get(kind === 'configmaps' ? CONFIGMAPS : SECRETS, namespace, name);
    } catch (err) {
      if (err instanceof KubeError && err.code === 404) return undefined;
      throw err;
    }
    const out: Record<string, string> = {};
    const o = obj as unknown as { data?: Record<string, string>; binaryData?: Record<string, string> };
    if (kind === 'configmaps') {
      for (const [k, v] of Object.entries(o.data ?? {})) out[k] = Buffer.from(String(v)).toString('base64');
      for (const [k, v] of Object.entries(o.binaryData ?? {})) out[k] = String(v);
    } else for (const [k, v] of Object.entries(o.data ?? {})) out[k] = String(v);
    return out;
  }

  /**
   * Files of the pod's configMap, secret, downwardAPI and projected volumes, read from the API
   * (the kubelet's volume manager role, done once when the sandbox is made). A missing
   * non-optional ConfigMap or Secret rejects, so the pod waits and is retried.
   */
  async volumeFiles(pod: KubeObject, saVolume?: string, only?: Set<string>): Promise<{ files: Record<string, VolumeFile[]>; refreshAt?: number }> {
    const ns = pod.metadata.namespace ?? 'default';
    const out: Record<string, VolumeFile[]> = {};
    let refreshAt: number | undefined;
    const fromObject = async (kind: 'configmaps' | 'secrets', name: string | undefined, items: KeyToPath[] | undefined, optional: boolean | undefined, mode: number | undefined, files: VolumeFile[]) => {
      if (!name) return;
      const data = await this.objectData(ns, kind, name);
      if (!data) {
        if (optional) return;
        throw new RuntimeError('CreateContainerConfigError', `${kind === 'configmaps' ? 'configmap' : 'secret'} "${name}" not found; create it in namespace ${ns} (or mark the volume optional)`);
      }
      for (const it of items ?? Object.keys(data).map((key): KeyToPath => ({ key, path: key }))) {
        const d = data[it.key];
        if (d === undefined) {
          if (optional) continue;
          throw new RuntimeError('CreateContainerConfigError', `${kind === 'configmaps' ? 'configmap' : 'secret'} "${name}" has no key "${it.key}"`);
        }
        files.push({ path: it.path, data: d, ...(it.mode ?? mode) !== undefined ? { mode: it.mode ?? mode } : {} });
      }
    };
    const downward = (items: { path: string; fieldRef?: { fieldPath: string }; mode?: number }[] | undefined, mode: number | undefined, files: VolumeFile[]) => {
      for (const it of items ?? []) {
        const v = it.fieldRef ? podField(pod, it.fieldRef.fieldPath, { podIP: undefined, hostIP: this.o.hostIP }) : undefined;
        if (v !== undefined) files.push({ path: it.path, data: Buffer.from(v).toString('base64'), ...(it.mode ?? mode) !== undefined ? { mode: it.mode ?? mode } : {} });
      }
    };
    for (const v of (specOf(pod).volumes ?? []) as VolumeSpec[]) {
      if (only && !only.has(v.name)) continue;
      const files: VolumeFile[] = [];
      if (v.configMap) await fromObject('configmaps', v.configMap.name, v.configMap.items, v.configMap.optional, v.configMap.defaultMode, files);
      else if (v.secret) await fromObject('secrets', v.secret.secretName, v.secret.items, v.secret.optional, v.secret.defaultMode, files);
      else if (v.downwardAPI) downward(v.downwardAPI.items, v.downwardAPI.defaultMode, files);
      else if (v.projected) {
        const mode = v.projected.defaultMode;
        for (const src of v.projected.sources ?? []) {
          if (src.configMap) await fromObject('configmaps', src.configMap.name, src.configMap.items, src.configMap.optional, mode, files);
          if (src.secret) await fromObject('secrets', src.secret.name, src.secret.items, src.secret.optional, mode, files);
          if (src.downwardAPI) downward(src.downwardAPI.items, mode, files);
          const sat = src.serviceAccountToken;
          if (sat) {
            const sa = specOf(pod).serviceAccountName ?? 'default';
            if (!this.o.serviceAccountToken) this.o.log(`pod ${ns}/${pod.metadata.name}: volume ${v.name}: no token issuer configured; ${sat.path} is left out`);
            else {
              const seconds = Math.max(600, sat.expirationSeconds ?? 3600);
              const t0 = Date.now();
              let issued: { token: string; expirationTimestamp?: string };
              try {
                issued = await this.o.serviceAccountToken({ namespace: ns, serviceAccount: sa, ...(sat.audience ? { audience: sat.audience } : {}), expirationSeconds: seconds, pod: { name: pod.metadata.name!, uid: pod.metadata.uid! } });
              } catch (err) {
                // An API server that issues no tokens (503) will not start to: run the pod without
                // the file rather than never. Anything else (no such account yet…) is retried.
                if (!(err instanceof KubeError && err.code === 503)) throw new RuntimeError('CreateContainerConfigError', `volume ${v.name}: cannot get a token for service account ${ns}/${sa}: ${(err as Error).message}`);
                this.o.log(`pod ${ns}/${pod.metadata.name}: volume ${v.name}: the API server issues no tokens (${err.message}); ${sat.path} is left out`);
                continue;
              }
              const expires = issued.expirationTimestamp ? Date.parse(issued.expirationTimestamp) : NaN;
              const lifetime = Number.isFinite(expires) && expires > t0 ? expires - t0 : seconds * 1000;
              const at = t0 + lifetime * REFRESH_AT;
              refreshAt = refreshAt === undefined ? at : Math.min(refreshAt, at);
              files.push({ path: sat.path, data: Buffer.from(issued.token).toString('base64'), mode: mode ?? 0o644 });
            }
          }
        }
        if (v.name === saVolume) {
          if (this.o.caPem) files.push({ path: 'ca.crt', data: Buffer.from(this.o.caPem).toString('base64'), mode: 0o644 });
          files.push({ path: 'namespace', data: Buffer.from(ns).toString('base64'), mode: 0o644 });
        }
      } else continue;
      out[v.name] = files;
    }
    return refreshAt === undefined ? { files: out } : { files: out, refreshAt };
  }

  /** Names of the pod's projected volumes with a service-account token. */
  tokenVolumes(pod: KubeObject): Set<string> {
    const names = new Set<string>();
    for (const v of (specOf(pod).volumes ?? []) as VolumeSpec[]) if (v.projected?.sources?.some((s) => s.serviceAccountToken)) names.add(v.name);
    return names;
  }
}
