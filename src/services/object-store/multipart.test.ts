import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MultipartError, MultipartReader, formBoundary, parseDisposition } from './multipart.js';

async function* chunked(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function readAll(data: Buffer, boundary: string, size = data.length) {
  const r = new MultipartReader(chunked(data, size), boundary);
  const out: { headers: Record<string, string>; body: string }[] = [];
  for (let p = await r.next(); p; p = await r.next()) {
    const parts: Buffer[] = [];
    for await (const c of p.body) parts.push(c);
    out.push({ headers: p.headers, body: Buffer.concat(parts).toString() });
  }
  return out;
}

const FORM = [
  '----boundary--',
  'Content-Disposition: form-data; name="expires"',
  '',
  '1700000000',
  '----boundary--',
  'Content-Disposition: form-data; name="file1"; filename="a b.txt"',
  'Content-Type: text/plain',
  '',
  'hello\r\n--world\r\n----boundar',
  '----boundary--',
  'Content-Disposition: form-data; name="empty"',
  '',
  '',
  '----boundary----',
  '',
].join('\r\n');

describe('multipart reader', () => {
  it('reads parts whatever the chunking, with a boundary that itself ends in --', async () => {
    const data = Buffer.from(FORM);
    for (const size of [1, 2, 3, 7, 16, 17, 64, data.length]) {
      const parts = await readAll(data, '--boundary--', size);
      assert.equal(parts.length, 3, `chunk size ${size}`);
      assert.equal(parts[0]!.body, '1700000000');
      assert.equal(parts[1]!.headers['content-type'], 'text/plain');
      assert.equal(parts[1]!.body, 'hello\r\n--world\r\n----boundar');
      assert.equal(parts[2]!.body, '');
    }
  });

  it('skips unread bodies and streams a large part without holding it', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 'x');
    const data = Buffer.concat([Buffer.from('--b\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\n'), big, Buffer.from('\r\n--b\r\nX-A: 1\r\n\r\nv\r\n--b--')]);
    const r = new MultipartReader(chunked(data, 65536), 'b');
    const first = await r.next();
    let max = 0;
    let total = 0;
    for await (const c of first!.body) {
      max = Math.max(max, c.length);
      total += c.length;
    }
    assert.equal(total, big.length);
    assert.ok(max <= 65536 + 8, `chunks stay small (${max})`);
    const second = await r.next();
    assert.equal(second!.headers['x-a'], '1');
    assert.equal(await r.next(), undefined);
    // A part left unread is skipped by next().
    const r2 = new MultipartReader(chunked(data, 1000), 'b');
    await r2.next();
    assert.equal((await r2.next())!.headers['x-a'], '1');
  });

  it('refuses a wrong first boundary and a body without its closing boundary', async () => {
    await assert.rejects(readAll(Buffer.from('--other\r\n\r\nx\r\n--other--'), 'b'), (e: unknown) => e instanceof MultipartError && /starting boundary/.test(e.message));
    await assert.rejects(readAll(Buffer.from('--b\r\n\r\nno end'), 'b'), (e: unknown) => e instanceof MultipartError && /end of form data/.test(e.message));
    await assert.rejects(readAll(Buffer.from('--b\r\nbad header\r\n\r\nx\r\n--b--'), 'b'), MultipartError);
  });

  it('parses Content-Type boundaries and Content-Disposition parameters', () => {
    assert.equal(formBoundary('multipart/form-data; boundary=--boundary--'), '--boundary--');
    assert.equal(formBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b"'), 'a b');
    assert.equal(formBoundary('multipart/mixed; boundary=x'), undefined);
    assert.equal(formBoundary('application/octet-stream'), undefined);
    assert.deepEqual(parseDisposition('form-data; name="file1"; filename="a \\"b\\".txt"'), { type: 'form-data', params: { name: 'file1', filename: 'a "b".txt' } });
    assert.deepEqual(parseDisposition('Form-Data;name=x'), { type: 'form-data', params: { name: 'x' } });
  });
});
