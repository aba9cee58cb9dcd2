import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { exec } from './exec.js';

/** The volume label cloud-init and Nova's guests look for. */
export const CONFIG_DRIVE_LABEL = 'config-2';

/** ISO 9660 logical sector size; the primary volume descriptor sits at sector 16. */
const SECTOR = 2048;

/**
 * Writes a config drive's files (path → content, e.g. `openstack/latest/meta_data.json`) under
 * `dir`, replacing whatever was there. Names that would leave `dir` are refused.
 */
export function writeConfigDriveFiles(dir: string, files: Record<string, string>): void {
  const root = resolve(dir);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const target = resolve(root, name.replace(/^\/+/, ''));
    if (!target.startsWith(root + sep)) throw new Error(`config drive file name ${JSON.stringify(name)} leaves the drive`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content, 'latin1');
  }
}

/**
 * Builds the config drive image of the files under `dir`: an ISO 9660 image with Rock Ridge and
 * Joliet names, labelled `config-2`, as Nova's default `config_drive_format=iso9660` makes it.
 * The image is written beside `out` and renamed into place, so a reader never sees half of it.
 */
// NOTE: genisoimage (Debian's cdrkit) is the tool Nova itself runs for this; the brief asks for
// Debian's tools over our own encoders. Its flags are Nova's: -l (long names), -ldots,
// -allow-lowercase, -allow-multidot, -J -r (Joliet + Rock Ridge), -V config-2.
export async function buildConfigDriveImage(dir: string, out: string): Promise<void> {
  const tmp = `${out}.tmp`;
  rmSync(tmp, { force: true });
  try {
    await exec('genisoimage', [
      '-o', tmp, '-ldots', '-allow-lowercase', '-allow-multidot', '-l', '-publisher', 'Stratus', '-quiet', '-J', '-r', '-V', CONFIG_DRIVE_LABEL, dir,
    ]);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    const msg = (e as Error).message;
    throw new Error(/ENOENT|not found/.test(msg) ? 'genisoimage is not installed (apt-get install genisoimage, or run scripts/install-deps)' : `genisoimage failed: ${msg}`);
  }
}

/** Both steps: the files under `dir`, and the image at `out` built from them. */
export async function configDrive(dir: string, out: string, files: Record<string, string>): Promise<void> {
  writeConfigDriveFiles(dir, files);
  await buildConfigDriveImage(dir, out);
}

/**
 * The volume label of an ISO 9660 image or device (what `blkid` shows as LABEL), read from its
 * primary volume descriptor; null when `path` holds no ISO 9660 filesystem.
 */
export function isoVolumeLabel(path: string): string | null {
  const fd = openSync(path, 'r');
  try {
    const pvd = Buffer.alloc(SECTOR);
    if (readSync(fd, pvd, 0, SECTOR, 16 * SECTOR) < SECTOR) return null;
    // Type 1 (primary), standard identifier "CD001", version 1; the volume identifier is
    // 32 a-characters at byte 40, padded with spaces.
    if (pvd[0] !== 1 || pvd.toString('latin1', 1, 6) !== 'CD001' || pvd[6] !== 1) return null;
    return pvd.toString('latin1', 40, 72).replace(/ +$/, '');
  } finally {
    closeSync(fd);
  }
}
