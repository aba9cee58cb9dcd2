import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryError } from './errors.js';
import { acceptable, parseManifest } from './manifests.js';
import { MEDIA } from './names.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const image = { schemaVersion: 2, mediaType: MEDIA.ociManifest, config: { mediaType: MEDIA.ociConfig, digest: d('a'), size: 2 }, layers: [{ mediaType: MEDIA.ociLayerGzip, digest: d('b'), size: 3 }] };
const buf = (v: unknown) => Buffer.from(JSON.stringify(v));
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof RegistryError);
    return `${e.status} ${e.code}`;
  }
  return 'ok';
};

describe('parseManifest', () => {
  it('reads an image manifest: config then layers', () => {
    const p = parseManifest(buf(image), MEDIA.ociManifest);
    assert.equal(p.mediaType, MEDIA.ociManifest);
    assert.deepEqual(p.blobs.map((b) => b.digest), [d('a'), d('b')]);
  });
  it('takes the media type from the body or the shape when Content-Type is generic', () => {
    const { mediaType: _m, ...bare } = image;
    assert.equal(parseManifest(buf(bare), 'application/json').mediaType, MEDIA.ociManifest);
    assert.equal(parseManifest(buf({ schemaVersion: 2, manifests: [] }), undefined).mediaType, MEDIA.ociIndex);
    assert.equal(parseManifest(buf({ ...image, mediaType: MEDIA.dockerManifest }), undefined).mediaType, MEDIA.dockerManifest);
  });
  it('rejects bad input with MANIFEST_INVALID, never a crash', () => {
    assert.equal(code(() => parseManifest(Buffer.from('{'), MEDIA.ociManifest)), '400 MANIFEST_INVALID');
    assert.equal(code(() => parseManifest(buf([1]), MEDIA.ociManifest)), '400 MANIFEST_INVALID');
    assert.equal(code(() => parseManifest(buf({ ...image, schemaVersion: 1 }), undefined)), '400 MANIFEST_INVALID');
    assert.equal(code(() => parseManifest(buf(image), MEDIA.dockerManifest)), '400 MANIFEST_INVALID');
    assert.equal(code(() => parseManifest(buf(image), 'text/plain')), '400 MANIFEST_INVALID');
    assert.equal(code(() => parseManifest(buf({ ...image, layers: [{ digest: 'md5:x', size: 1, mediaType: 'x' }] }), undefined)), '400 MANIFEST_INVALID');
    assert.equal(code(() => parseManifest(buf({ ...image, config: { ...image.config, size: -1 } }), undefined)), '400 MANIFEST_INVALID');
    assert.equal(code(() => parseManifest(buf({ schemaVersion: 2, mediaType: MEDIA.ociIndex }), undefined)), '400 MANIFEST_INVALID');
  });
});

describe('acceptable', () => {
  it('negotiates by Accept, with wildcards', () => {
    assert.equal(acceptable(undefined, MEDIA.ociIndex), true);
    assert.equal(acceptable(`${MEDIA.dockerManifest}, ${MEDIA.ociManifest};q=0.9`, MEDIA.ociManifest), true);
    assert.equal(acceptable(MEDIA.dockerManifest, MEDIA.ociIndex), false);
    assert.equal(acceptable('*/*', MEDIA.ociIndex), true);
  });
});
