/**
 * Header values on the wire are bytes; Node hands them over as latin1 strings and refuses to
 * send characters above U+00FF. Swift clients send UTF-8 metadata, so values are decoded from
 * UTF-8 on the way in and encoded back on the way out.
 */
export function fromWire(v: string): string {
   
  if (!/[\x80-\xff]/.test(v)) return v;
  const s = Buffer.from(v, 'latin1').toString('utf8');
  return s.includes('\ufffd') ? v : s;
}

/** A header value for any string: UTF-8 bytes as latin1, control characters dropped. */
export function toWire(v: string): string {
   
  return Buffer.from(v.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ''), 'utf8').toString('latin1');
}

/** Percent-encodes a path as Swift's quote(safe='/') does. */
export function quotePath(p: string): string {
  return encodeURIComponent(p).replace(/%2F/gi, '/');
}

/** Swift's X-Trans-Id: tx + 21 hex + '-' + 10 hex seconds (tempest checks the shape). */
export function transId(random: string, nowMs: number): string {
  return `tx${random.slice(0, 21)}-${Math.floor(nowMs / 1000).toString(16).padStart(10, '0')}`;
}
