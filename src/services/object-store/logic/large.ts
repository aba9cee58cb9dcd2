import { createHash } from 'node:crypto';
import type { Containers } from './containers.js';
import type { StorageContext } from './context.js';
import { invalidManifest, segmentMissing } from './errors.js';
import { type ObjectAttrs, type Objects, type PutOptions } from './objects.js';
import { compareNames } from './names.js';
import { unquote } from './conditions.js';
import type { ObjectLocation, ObjectRecord, SloSegment } from './models.js';
import type { ByteRange } from './ranges.js';
import type { Part, ReadPlan } from './reader.js';
import { etagMismatch } from './errors.js';

/** Checks that the caller may read a container; throws the API's 401/403 otherwise. */
export type ReadCheck = (account: string, container: string) => Promise<void>;

/** A segment as a manifest PUT names it (Swift: path/etag/size_bytes/range; S3: the parts). */
export interface SegmentRef {
  container: string;
  name: string;
  /** Expected etag, or null/undefined to accept any. */
  etag?: string | null;
  /** Expected size, or null/undefined to accept any. */
  size?: number | null;
  /** Raw range spec (`a-b`, `a-`, `-n`) within the segment. */
  range?: string;
}

export const SLO_LIMITS = { maxSegments: 1000, minSegmentSize: 1, maxManifestSize: 8 * 1024 * 1024, maxDepth: 10 } as const;
const DLO_MAX_SEGMENTS = 10_000;

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** Etag of an SLO: md5 of its segments' etags (with `:range;` for ranged ones), as Swift computes it. */
export function sloEtag(segments: SloSegment[]): string {
  return md5(segments.map((s) => (s.range ? `${s.etag}:${s.range.start}-${s.range.end};` : s.etag)).join(''));
}

const segLength = (s: SloSegment) => (s.range ? s.range.end - s.range.start + 1 : s.size);

/**
 * Large objects: dynamic (a container prefix, resolved at read time) and static (an explicit,
 * validated segment list). Both read as the concatenation of their segments' bytes.
 */
export class LargeObjects {
  constructor(
    private readonly ctx: StorageContext,
    private readonly containers: Containers,
    private readonly objects: Objects,
  ) {}

  /** The bytes behind an object: its own blob, or its segments (recursively). */
  async plan(rec: ObjectRecord, check: ReadCheck, depth = 0): Promise<ReadPlan> {
    if (depth > SLO_LIMITS.maxDepth) throw segmentMissing('Large object nesting is too deep.');
    const m = rec.manifest;
    if (!m) return { size: rec.size, etag: rec.etag, parts: [{ blobKey: rec.blobKey, offset: 0, length: rec.size }] };
    if (m.type === 'slo') return { ...(await this.sloParts(rec, check, depth)), etag: `"${rec.etag}"` };
    await check(rec.account, m.container);
    const segs = (await this.containers.objects(rec.account, m.container).catch(() => []))
      .filter((o) => o.name.startsWith(m.prefix) && o.id !== rec.id)
      .sort((a, b) => compareNames(a.name, b.name))
      .slice(0, DLO_MAX_SEGMENTS);
    const parts: Part[] = [];
    for (const s of segs) parts.push(...(await this.plan(s, check, depth + 1)).parts);
    return { size: sum(parts), etag: `"${md5(segs.map((s) => s.etag).join(''))}"`, parts };
  }

  private async sloParts(rec: ObjectRecord, check: ReadCheck, depth: number): Promise<Omit<ReadPlan, 'etag'>> {
    const parts: Part[] = [];
    for (const s of rec.manifest?.type === 'slo' ? rec.manifest.segments : []) {
      await check(rec.account, s.container);
      const seg = await this.objects.find({ account: rec.account, container: s.container, name: s.name });
      if (!seg || seg.etag !== s.etag) throw segmentMissing(`Unable to load segment /${s.container}/${s.name} of the manifest.`);
      const inner = seg.manifest ? (await this.plan(seg, check, depth + 1)).parts : [{ blobKey: seg.blobKey, offset: 0, length: seg.size }];
      parts.push(...cut(inner, s.range ?? { start: 0, end: seg.size - 1 }));
    }
    return { size: sum(parts), parts };
  }

  /** Validates the segments against what is stored and commits the manifest (no bytes). */
  async putSlo(loc: ObjectLocation, refs: SegmentRef[], attrs: Omit<ObjectAttrs, 'manifest'>, opts: PutOptions = {}): Promise<ObjectRecord> {
    if (refs.length === 0) throw invalidManifest('Errors:\nManifest must have at least one segment.');
    if (refs.length > SLO_LIMITS.maxSegments) throw invalidManifest(`Errors:\nManifest has more than ${SLO_LIMITS.maxSegments} segments.`);
    await this.containers.get(loc.account, loc.container);
    const problems: string[] = [];
    const segments: SloSegment[] = [];
    for (const [i, ref] of refs.entries()) {
      const seg = await this.validate(loc, ref, i === refs.length - 1, problems);
      if (seg) segments.push(seg);
    }
    if (problems.length) throw invalidManifest(`Errors:\n${problems.join('\n')}`);
    const etag = sloEtag(segments);
    if (opts.expectedEtag && unquote(opts.expectedEtag).toLowerCase() !== etag) throw etagMismatch();
    const size = segments.reduce((n, s) => n + segLength(s), 0);
    const commitOpts = opts.ifNoneMatch ? { ifNoneMatch: true } : {};
    return this.objects.commit(loc, { blobKey: null, size, etag }, { ...attrs, manifest: { type: 'slo', segments } }, commitOpts);
  }

  private async validate(loc: ObjectLocation, ref: SegmentRef, last: boolean, problems: string[]): Promise<SloSegment | undefined> {
    const path = `/${ref.container}/${ref.name}`;
    if (ref.container === loc.container && ref.name === loc.name) {
      problems.push(`${path}, Manifest cannot reference itself`);
      return undefined;
    }
    const seg = await this.objects.find({ account: loc.account, container: ref.container, name: ref.name }).catch(() => undefined);
    if (!seg) {
      problems.push(`${path}, 404 Not Found`);
      return undefined;
    }
    if (seg.manifest?.type === 'dlo') problems.push(`${path}, Segment cannot be a dynamic large object`);
    if (ref.etag != null && unquote(ref.etag).toLowerCase() !== seg.etag) problems.push(`${path}, Etag Mismatch`);
    if (ref.size != null && ref.size !== seg.size) problems.push(`${path}, Size Mismatch`);
    const range = ref.range !== undefined ? segmentRange(ref.range, seg.size) : undefined;
    if (range === null) problems.push(`${path}, Invalid Range`);
    const length = range ? range.end - range.start + 1 : seg.size;
    if (!last && length < SLO_LIMITS.minSegmentSize) problems.push(`${path}, Too Small; each segment must be at least ${SLO_LIMITS.minSegmentSize} byte.`);
    const out: SloSegment = {
      container: ref.container,
      name: ref.name,
      etag: seg.etag,
      size: seg.size,
      contentType: seg.contentType,
      lastModified: seg.timestamp,
    };
    if (range) out.range = range;
    if (seg.manifest?.type === 'slo') out.subSlo = true;
    return out;
  }

  /** Every segment object of an SLO, nested SLOs expanded (children first), for deletion. */
  async segmentsOf(rec: ObjectRecord, depth = 0): Promise<ObjectLocation[]> {
    if (rec.manifest?.type !== 'slo' || depth > SLO_LIMITS.maxDepth) return [];
    const out: ObjectLocation[] = [];
    for (const s of rec.manifest.segments) {
      const loc = { account: rec.account, container: s.container, name: s.name };
      if (s.subSlo) {
        const sub = await this.objects.find(loc);
        if (sub) out.push(...(await this.segmentsOf(sub, depth + 1)));
      }
      out.push(loc);
    }
    return out;
  }
}

function sum(parts: Part[]): number {
  return parts.reduce((n, p) => n + p.length, 0);
}

/** The parts covering `range` of the concatenation of `parts`. */
function cut(parts: Part[], range: ByteRange): Part[] {
  const out: Part[] = [];
  let pos = 0;
  for (const p of parts) {
    const from = pos;
    pos += p.length;
    const s = Math.max(range.start, from);
    const e = Math.min(range.end, pos - 1);
    if (e >= s) out.push({ blobKey: p.blobKey, offset: p.offset + (s - from), length: e - s + 1 });
  }
  return out;
}

/** A segment's `range` (a-b, a-, -n) within a segment of `size` bytes; null when unusable. */
export function segmentRange(spec: string, size: number): ByteRange | null {
  const m = /^(\d*)-(\d*)$/.exec(spec.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start <= end && start < size ? { start, end } : null;
}
