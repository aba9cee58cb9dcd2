import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizationHeader, baseString, baseUri, oauthEncode, parseAuthorization, sign } from './oauth1-sign.js';

describe('OAuth 1.0a HMAC-SHA1 signing (RFC 5849)', () => {
  it('encodes per §3.6', () => {
    assert.equal(oauthEncode("a b+c/d~e*f!'()"), 'a%20b%2Bc%2Fd~e%2Af%21%27%28%29');
    assert.equal(oauthEncode('é'), '%C3%A9');
  });

  it('normalizes the base URI (§3.4.1.2)', () => {
    assert.equal(baseUri('HTTP://EXAMPLE.com:80/r%20v/X?id=123'), 'http://example.com/r%20v/X');
    assert.equal(baseUri('https://www.example.net:8080/?q=1'), 'https://www.example.net:8080/');
  });

  it('reproduces the signature of the RFC 5849 §1.2 example', () => {
    const params: [string, string][] = [
      ['oauth_consumer_key', 'dpf43f3p2l4k3l03'],
      ['oauth_token', 'nnch734d00sl2jdk'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131202'],
      ['oauth_nonce', 'chapoH'],
    ];
    const base = baseString('GET', 'http://photos.example.net/photos?file=vacation.jpg&size=original', params);
    assert.equal(
      base,
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal',
    );
    assert.equal(sign(base, 'kd94hf93k423kf44', 'pfkkdhi9sl3r4s00'), 'MdpQcU8iPSUjWoN/UDMsK2sui9I=');
  });

  it('parses an Authorization header back into its parameters, signature included', () => {
    const h = authorizationHeader('POST', 'http://h:5000/v3/OS-OAUTH1/request_token', { oauth_consumer_key: 'ck', oauth_nonce: 'n 1', oauth_callback: 'oob' }, 'cs');
    const p = parseAuthorization(h)!;
    assert.equal(p.get('oauth_consumer_key'), 'ck');
    assert.equal(p.get('oauth_nonce'), 'n 1');
    const base = baseString('POST', 'http://h:5000/v3/OS-OAUTH1/request_token', [...p.entries()]);
    assert.equal(sign(base, 'cs'), p.get('oauth_signature'));
    assert.equal(parseAuthorization('Bearer abc'), undefined);
    assert.equal(parseAuthorization('OAuth '), undefined);
    assert.equal(parseAuthorization(undefined), undefined);
  });
});
