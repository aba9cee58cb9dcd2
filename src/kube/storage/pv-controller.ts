import { EventRecorder } from '../controllers/events.js';
import { objectKey, splitKey } from '../controllers/informer.js';
import { isConflict, isNotFound, R, spec, status, updateWithRetry, type Controller, type ControllerContext, type Json } from '../controllers/objects.js';
import { WorkQueue } from '../controllers/queue.js';
import { isNodeReady } from '../scheduler/predicates.js';
import type { KubeObject } from '../types.js';
import {
  BETA_STORAGE_PROVISIONER_ANNOTATION,
  BIND_COMPLETED_ANNOTATION,
  BOUND_BY_CONTROLLER_ANNOTATION,
  bestVolume,
  claimClass,
  claimRefOf,
  DEFAULT_CLASS_ANNOTATION,
  podClaimNames,
  podHoldsClaims,
  PROVISIONED_BY_ANNOTATION,
  PV_PROTECTION,
  PVC_PROTECTION,
  requestedBytes,
  capacityBytes,
  SELECTED_NODE_ANNOTATION,
  STORAGE_PROVISIONER_ANNOTATION,
  volumeClaimedBy,
} from './binder.js';
import { LOCAL_PATH_PROVISIONER, type LocalVolumes } from './local-path.js';

const COMPONENT = 'persistentvolume-controller';

/**
 * The PersistentVolume controller, with the local-path provisioner and the claim/volume
 * protection controllers folded in:
 *
 * - **Claims** bind to the best matching available volume (`binder.ts`); a class whose binding
 *   mode is WaitForFirstConsumer waits until the scheduler writes the chosen node in
 *   `volume.kubernetes.io/selected-node`. Without a match, a class provisioned by
 *   `stratus.io/local-path` gets a new volume `pvc-<uid>`: a directory on the node
 *   (`local-path.ts`), a hostPath PV pinned to the node by node affinity, pre-bound to the
 *   claim. Binding writes the volume's `claimRef` first, then the claim's `volumeName`, then
 *   both statuses (Bound). A bound claim whose volume vanished turns Lost.
 * - **Volumes** whose claim is gone are Released and reclaimed: `Retain` keeps them,
 *   `Delete` removes the directory (local-path volumes) and the PV; a `Delete` volume no
 *   plugin here can delete, or `Recycle`, turns Failed with the reason.
 * - **Growing** a bound local-path claim (its class allowing expansion) grows the PV and the
 *   claim's status capacity (directories have no size limit to change).
 * - **Protection**: a claim being deleted keeps `kubernetes.io/pvc-protection` while a pod that
 *   is not finished uses it; a volume keeps `kubernetes.io/pv-protection` while Bound.
 * - On start, when local volumes are configured and no class uses the local provisioner, the
 *   default class `standard` (WaitForFirstConsumer, Delete) is created.
 */
export function persistentVolumeController(ctx: ControllerContext, storage: LocalVolumes | undefined): Controller {
  const pvcInf = ctx.informers.for(R.persistentvolumeclaims);
  const pvInf = ctx.informers.for(R.persistentvolumes);
  const scInf = ctx.informers.for(R.storageclasses);
  const podInf = ctx.informers.for(R.pods);
  const nodeInf = ctx.informers.for(R.nodes);
  const recorder = new EventRecorder(ctx.api, COMPONENT, ctx.log);
  const claims = new WorkQueue('pv-claims', syncClaim, ctx.log);
  const volumes = new WorkQueue('pv-volumes', syncVolume, ctx.log);
  const classes = new WorkQueue('pv-default-class', ensureDefaultClass, ctx.log, 1);

  pvcInf.addHandler((type, pvc, old) => {
    claims.add(objectKey(pvc));
    const vol = spec(pvc).volumeName ?? (old && spec(old).volumeName);
    if (type === 'DELETED' || typeof vol === 'string') for (const pv of pvInf.list()) if (claimRefOf(pv)?.name === pvc.metadata.name && claimRefOf(pv)?.namespace === pvc.metadata.namespace) volumes.add(pv.metadata.name!);
  });
  pvInf.addHandler((_type, pv) => {
    volumes.add(pv.metadata.name!);
    const ref = claimRefOf(pv);
    if (ref?.name) claims.add(`${ref.namespace}/${ref.name}`);
    else for (const pvc of pvcInf.list()) if (status(pvc).phase === 'Pending') claims.add(objectKey(pvc));
  });
  scInf.addHandler(() => {
    for (const pvc of pvcInf.list()) if (status(pvc).phase !== 'Bound') claims.add(objectKey(pvc));
  });
  podInf.addHandler((_type, pod) => {
    for (const name of podClaimNames(pod)) if (pvcInf.get(pod.metadata.namespace, name)?.metadata.deletionTimestamp) claims.add(`${pod.metadata.namespace}/${name}`);
  });

  async function patchClaimStatus(pvc: KubeObject, next: Json): Promise<void> {
    await updateWithRetry(ctx.api, R.persistentvolumeclaims, pvc.metadata.namespace, pvc.metadata.name!, (cur) => {
      if (cur.metadata.uid !== pvc.metadata.uid) return undefined;
      const merged = { ...status(cur), ...next };
      if (JSON.stringify(merged) === JSON.stringify(status(cur))) return undefined;
      return { ...cur, status: merged };
    }, 'status');
  }

  async function setVolumePhase(pv: KubeObject, phase: string, message?: string, reason?: string): Promise<void> {
    await updateWithRetry(ctx.api, R.persistentvolumes, undefined, pv.metadata.name!, (cur) => {
      const st = status(cur);
      if (st.phase === phase && st.message === message) return undefined;
      const next: Json = { ...st, phase, lastPhaseTransitionTime: st.phase === phase ? st.lastPhaseTransitionTime : new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
      if (message) next.message = message;
      else delete next.message;
      if (reason) next.reason = reason;
      else delete next.reason;
      return { ...cur, status: next };
    }, 'status');
  }

  async function removeFinalizer(res: typeof R.persistentvolumes, o: KubeObject, f: string): Promise<void> {
    await updateWithRetry(ctx.api, res, o.metadata.namespace, o.metadata.name!, (cur) => {
      if (cur.metadata.uid !== o.metadata.uid || !(cur.metadata.finalizers ?? []).includes(f)) return undefined;
      return { ...cur, metadata: { ...cur.metadata, finalizers: cur.metadata.finalizers!.filter((x) => x !== f) } };
    }).catch((err) => {
      if (!isNotFound(err)) throw err;
    });
  }

  async function syncClaim(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pvc = pvcInf.get(namespace, name);
    if (!pvc) return;
    if (pvc.metadata.deletionTimestamp) {
      const inUse = podInf.list(namespace).some((p) => podHoldsClaims(p) && podClaimNames(p).includes(name));
      if (!inUse && (pvc.metadata.finalizers ?? []).includes(PVC_PROTECTION)) await removeFinalizer(R.persistentvolumeclaims, pvc, PVC_PROTECTION);
      return;
    }
    const volumeName = spec(pvc).volumeName;
    if (typeof volumeName === 'string' && volumeName !== '') {
      const pv = pvInf.get(undefined, volumeName);
      if (!pv) {
        if (status(pvc).phase === 'Bound') {
          recorder.warning(pvc, 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
          await patchClaimStatus(pvc, { phase: 'Lost' });
        }
        return;
      }
      if (volumeClaimedBy(pv, pvc)) return finishBinding(pvc, pv);
      if (!claimRefOf(pv)) return bind(pvc, pv);
      recorder.warning(pvc, 'FailedBinding', `volume "${volumeName}" already bound to a different claim.`);
      return;
    }
    const cls = claimClass(pvc);
    const sc = cls ? scInf.get(undefined, cls) : undefined;
    const nodeName = pvc.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
    const node = nodeName ? nodeInf.get(undefined, nodeName) : undefined;
    if (sc?.volumeBindingMode === 'WaitForFirstConsumer' && !node) {
      recorder.normal(pvc, 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      return;
    }
    const pv = bestVolume(pvc, pvInf.list(), node);
    if (pv) return bind(pvc, pv);
    if (!cls) {
      recorder.normal(pvc, 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      return;
    }
    if (!sc) {
      recorder.warning(pvc, 'ProvisioningFailed', `storageclass.storage.k8s.io "${cls}" not found`);
      return;
    }
    if (sc.provisioner !== LOCAL_PATH_PROVISIONER || !storage) {
      const p = String(sc.provisioner);
      recorder.normal(pvc, 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${p}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
      return;
    }
    await provision(pvc, sc, nodeName);
  }

  /** The node of an Immediate local volume: the first Ready node by name. */
  function someNode(): string | undefined {
    return nodeInf
      .list()
      .filter((n) => isNodeReady(n) && !spec(n).unschedulable)
      .map((n) => n.metadata.name!)
      .sort()[0];
  }

  async function provision(pvc: KubeObject, sc: KubeObject, selected: string | undefined): Promise<void> {
    const name = `pvc-${pvc.metadata.uid}`;
    if (pvInf.get(undefined, name)) return; // Made already; the binding follows from its event.
    const node = selected ?? someNode();
    if (!node) {
      recorder.warning(pvc, 'ProvisioningFailed', 'no Ready node to put a local volume on; waiting for one');
      claims.addAfter(objectKey(pvc), 5_000);
      return;
    }
    recorder.normal(pvc, 'Provisioning', `External provisioner is provisioning volume for claim "${objectKey(pvc)}"`);
    const path = await storage!.create(node, name);
    const ps = spec(pvc);
    const request = ((ps.resources as Json | undefined)?.requests as Json | undefined)?.storage;
    const body: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, annotations: { [PROVISIONED_BY_ANNOTATION]: LOCAL_PATH_PROVISIONER, 'local.path.provisioner/selected-node': node } },
      spec: {
        capacity: { storage: request },
        accessModes: ps.accessModes,
        persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
        storageClassName: sc.metadata.name,
        volumeMode: ps.volumeMode ?? 'Filesystem',
        hostPath: { path, type: 'DirectoryOrCreate' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
        claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid, resourceVersion: pvc.metadata.resourceVersion },
      },
    };
    try {
      await ctx.api.create(R.persistentvolumes, undefined, body);
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
    recorder.normal(pvc, 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`);
  }

  async function bind(pvc: KubeObject, pv: KubeObject): Promise<void> {
    const ref = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid, resourceVersion: pvc.metadata.resourceVersion };
    const bound = await updateWithRetry(ctx.api, R.persistentvolumes, undefined, pv.metadata.name!, (cur) => {
      const have = claimRefOf(cur);
      if (have && !volumeClaimedBy(cur, pvc)) return undefined;
      if (have?.uid === pvc.metadata.uid) return undefined;
      const annotations = have ? cur.metadata.annotations : { ...cur.metadata.annotations, [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' };
      return { ...cur, metadata: { ...cur.metadata, annotations }, spec: { ...spec(cur), claimRef: ref } };
    });
    if (!bound || !volumeClaimedBy(bound, pvc)) return;
    await finishBinding(pvc, bound);
  }

  async function finishBinding(pvc: KubeObject, pv: KubeObject): Promise<void> {
    if (status(pv).phase !== 'Bound') await setVolumePhase(pv, 'Bound');
    const provisioner = pv.metadata.annotations?.[PROVISIONED_BY_ANNOTATION];
    const updated = await updateWithRetry(ctx.api, R.persistentvolumeclaims, pvc.metadata.namespace, pvc.metadata.name!, (cur) => {
      if (cur.metadata.uid !== pvc.metadata.uid) return undefined;
      const annotations: Record<string, string> = { ...cur.metadata.annotations, [BIND_COMPLETED_ANNOTATION]: 'yes' };
      if (!spec(cur).volumeName) annotations[BOUND_BY_CONTROLLER_ANNOTATION] = 'yes';
      if (provisioner) annotations[STORAGE_PROVISIONER_ANNOTATION] = annotations[BETA_STORAGE_PROVISIONER_ANNOTATION] = provisioner;
      if (spec(cur).volumeName === pv.metadata.name && JSON.stringify(annotations) === JSON.stringify(cur.metadata.annotations)) return undefined;
      return { ...cur, metadata: { ...cur.metadata, annotations }, spec: { ...spec(cur), volumeName: pv.metadata.name } };
    });
    if (!updated) return;
    // A bound local-path claim that asks for more than its volume has grows the volume.
    const wanted = requestedBytes(updated);
    let vol = pv;
    if (provisioner === LOCAL_PATH_PROVISIONER && wanted > capacityBytes(pv)) {
      const request = ((spec(updated).resources as Json | undefined)?.requests as Json | undefined)?.storage;
      vol = (await updateWithRetry(ctx.api, R.persistentvolumes, undefined, pv.metadata.name!, (cur) => ({ ...cur, spec: { ...spec(cur), capacity: { storage: request } } }))) ?? pv;
    }
    const pvs = spec(vol);
    const wasBound = status(updated).phase === 'Bound';
    await patchClaimStatus(updated, { phase: 'Bound', accessModes: pvs.accessModes, capacity: pvs.capacity });
    if (!wasBound) ctx.log(`persistentvolume-controller: claim ${objectKey(pvc)} bound to volume ${pv.metadata.name}`);
  }

  async function syncVolume(name: string): Promise<void> {
    const pv = pvInf.get(undefined, name);
    if (!pv) return;
    const phase = status(pv).phase;
    if (pv.metadata.deletionTimestamp) {
      if (phase !== 'Bound' && (pv.metadata.finalizers ?? []).includes(PV_PROTECTION)) await removeFinalizer(R.persistentvolumes, pv, PV_PROTECTION);
      return;
    }
    const ref = claimRefOf(pv);
    if (!ref?.name) {
      if (phase !== 'Available') await setVolumePhase(pv, 'Available');
      return;
    }
    const pvc = pvcInf.get(ref.namespace, ref.name);
    if (pvc && (!ref.uid || pvc.metadata.uid === ref.uid)) {
      const vol = spec(pvc).volumeName;
      if (vol === name) {
        if (phase !== 'Bound') await setVolumePhase(pv, 'Bound');
      } else if (!vol) {
        if (phase !== 'Available' && phase !== 'Bound') await setVolumePhase(pv, 'Available');
        claims.add(objectKey(pvc));
      } else if (pv.metadata.annotations?.[BOUND_BY_CONTROLLER_ANNOTATION] === 'yes') {
        // The claim took another volume: give this one back.
        await updateWithRetry(ctx.api, R.persistentvolumes, undefined, name, (cur) => {
          const s = { ...spec(cur) };
          delete s.claimRef;
          return { ...cur, spec: s };
        });
      }
      return;
    }
    if (!ref.uid) {
      if (phase !== 'Available') await setVolumePhase(pv, 'Available');
      return;
    }
    await reclaim(pv);
  }

  async function reclaim(pv: KubeObject): Promise<void> {
    const phase = status(pv).phase;
    const policy = spec(pv).persistentVolumeReclaimPolicy ?? 'Retain';
    if (phase !== 'Released' && phase !== 'Failed') {
      await setVolumePhase(pv, 'Released');
      ctx.log(`persistentvolume-controller: volume ${pv.metadata.name} released (policy ${String(policy)})`);
    }
    if (policy === 'Retain' || phase === 'Failed') return;
    if (policy === 'Recycle') {
      await setVolumePhase(pv, 'Failed', 'Recycle is deprecated and not supported here; use Delete or Retain, or dynamic provisioning', 'VolumeFailedRecycle');
      return;
    }
    const hostPath = (spec(pv).hostPath as Json | undefined)?.path;
    if (pv.metadata.annotations?.[PROVISIONED_BY_ANNOTATION] !== LOCAL_PATH_PROVISIONER || !storage || typeof hostPath !== 'string') {
      const msg = `error getting deleter volume plugin for volume "${pv.metadata.name}": no deletable volume plugin matched`;
      recorder.warning(pv, 'VolumeFailedDelete', msg);
      await setVolumePhase(pv, 'Failed', msg, 'VolumeFailedDelete');
      return;
    }
    try {
      await storage.remove(hostPath);
    } catch (err) {
      const msg = `cannot remove the directory of volume ${pv.metadata.name}: ${(err as Error).message}`;
      recorder.warning(pv, 'VolumeFailedDelete', msg);
      await setVolumePhase(pv, 'Failed', msg, 'VolumeFailedDelete');
      return;
    }
    ctx.log(`persistentvolume-controller: volume ${pv.metadata.name} deleted with ${hostPath}`);
    await ctx.api.delete(R.persistentvolumes, undefined, pv.metadata.name!).catch((err) => {
      if (!isNotFound(err)) throw err;
    });
  }

  async function ensureDefaultClass(): Promise<void> {
    if (!storage || scInf.list().some((c) => c.provisioner === LOCAL_PATH_PROVISIONER)) return;
    const body: KubeObject = {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'standard', annotations: { [DEFAULT_CLASS_ANNOTATION]: scInf.list().some((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true') ? 'false' : 'true' } },
      provisioner: LOCAL_PATH_PROVISIONER,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
    };
    await ctx.api.create(R.storageclasses, undefined, body).catch((err) => {
      if (!isConflict(err)) ctx.log(`persistentvolume-controller: cannot create the default StorageClass: ${(err as Error).message}`);
    });
  }

  let first = true;
  return {
    name: 'persistentvolume',
    queues: [claims, volumes, classes],
    start() {
      if (first) {
        first = false;
        classes.add('standard');
      }
      for (const pvc of pvcInf.list()) claims.add(objectKey(pvc));
      for (const pv of pvInf.list()) volumes.add(pv.metadata.name!);
    },
    stop() {
      claims.stop();
      volumes.stop();
      classes.stop();
    },
  };
}
