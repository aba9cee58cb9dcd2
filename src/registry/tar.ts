/**
 * A small, deterministic tar writer (POSIX ustar with pax extended headers), enough for image
 * layers built here: directories, regular files, symbolic links and character devices (overlay
 * whiteouts), with extended attributes as `SCHILY.xattr.*` pax records, which GNU tar restores
 * with `--xattrs`. Output depends only on the entries given: no clock, no host user names.
 */
export interface TarEntry {
  /** Relative path without a leading `/`; directories may end in `/`. */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'char';
  mode: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch (default 0). */
  mtime?: number;
  content?: Uint8Array;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string>;
}

const BLOCK = 512;
const TYPEFLAG = { file: '0', symlink: '2', char: '3', dir: '5' } as const;

function octal(buf: Buffer, offset: number, width: number, value: number): void {
  buf.write(value.toString(8).padStart(width - 1, '0') + '\0', offset, width, 'ascii');
}

function header(name: string, e: { type: string; mode: number; uid: number; gid: number; size: number; mtime: number; linkname?: string; devmajor?: number; devminor?: number }): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, e.mode & 0o7777);
  octal(h, 108, 8, e.uid);
  octal(h, 116, 8, e.gid);
  octal(h, 124, 12, e.size);
  octal(h, 136, 12, e.mtime);
  h.fill(' ', 148, 156);
  h.write(e.type, 156, 1, 'ascii');
  if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  octal(h, 329, 8, e.devmajor ?? 0);
  octal(h, 337, 8, e.devminor ?? 0);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

function padded(data: Uint8Array): Buffer[] {
  const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return pad ? [Buffer.from(data), Buffer.alloc(pad)] : [Buffer.from(data)];
}

/** One pax record: `<length> <key>=<value>\n`, where the length counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** Serialises entries, in the order given, into an uncompressed tar archive. */
export function writeTar(entries: TarEntry[]): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    const path = e.type === 'dir' && !e.path.endsWith('/') ? `${e.path}/` : e.path;
    const content = e.type === 'file' ? (e.content ?? new Uint8Array()) : new Uint8Array();
    const pax: string[] = [];
    if (Buffer.byteLength(path) > 100) pax.push(paxRecord('path', path));
    if (e.linkname && Buffer.byteLength(e.linkname) > 100) pax.push(paxRecord('linkpath', e.linkname));
    for (const [k, v] of Object.entries(e.xattrs ?? {}).sort()) pax.push(paxRecord(`SCHILY.xattr.${k}`, v));
    const base = { mode: e.mode, uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: e.mtime ?? 0 };
    if (pax.length) {
      const data = Buffer.from(pax.join(''));
      out.push(header(`PaxHeaders/${path.slice(0, 80)}`, { ...base, type: 'x', size: data.length }), ...padded(data));
    }
    out.push(header(path, { ...base, type: TYPEFLAG[e.type], size: content.length, linkname: e.linkname, devmajor: e.devmajor, devminor: e.devminor }));
    if (content.length) out.push(...padded(content));
  }
  out.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(out);
}
