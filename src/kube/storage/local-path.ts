import { mkdir, rm } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

/** The provisioner name of Stratus's node-local volumes (the default `standard` class). */
export const LOCAL_PATH_PROVISIONER = 'stratus.io/local-path';

/**
 * Where node-local volumes live and how their directories are made and removed: one directory
 * per PersistentVolume under the node's data dir, `<nodesDir>/<node>/storage/<pv>`, which is
 * the same tree the real nodes keep their runtime and images in (`net/real-nodes.ts`).
 *
 * NOTE: every node of a Stratus cluster lives on this host, so the provisioner (in the
 * controller manager) makes and removes the directories itself. A node on another host would
 * need this done by its agent (upstream's local-path-provisioner runs a helper pod there);
 * the interface keeps that door open.
 */
export interface LocalVolumes {
  /** The directory of volume `pv` on `node` (not created). */
  pathFor(node: string, pv: string): string;
  /** Creates the directory (mode 0777, so any pod user may write); idempotent. Returns its path. */
  create(node: string, pv: string): Promise<string>;
  /**
   * Removes a directory made by `create` with everything in it; idempotent. Refuses (rejects)
   * any path outside a node's storage tree, so a hand-made PV can never make it delete
   * arbitrary host files.
   */
  remove(path: string): Promise<void>;
}

const SAFE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function localVolumes(nodesDir: string): LocalVolumes {
  const root = resolve(nodesDir);
  const pathFor = (node: string, pv: string) => {
    if (!SAFE.test(node) || !SAFE.test(pv)) throw new Error(`refusing a local volume path for node "${node}", volume "${pv}": names must be DNS-1123`);
    return join(root, node, 'storage', pv);
  };
  return {
    pathFor,
    async create(node, pv) {
      const dir = pathFor(node, pv);
      await mkdir(dir, { recursive: true, mode: 0o777 });
      return dir;
    },
    async remove(path) {
      const abs = resolve(path);
      const rel = abs.startsWith(root + sep) ? abs.slice(root.length + 1).split(sep) : [];
      if (rel.length !== 3 || rel[1] !== 'storage' || !SAFE.test(rel[0]!) || !SAFE.test(rel[2]!)) {
        throw new Error(`refusing to remove ${path}: it is not a local volume directory under ${root}/<node>/storage/`);
      }
      await rm(abs, { recursive: true, force: true });
    },
  };
}
