import { backoffMs, retryAfterMs } from '../../src/modules/webhooks/webhook-delivery';
import { SecretBox, signPayload } from '../../src/modules/webhooks/webhook-signer';
import { checkWebhookUrl, refusalOf } from '../../src/modules/webhooks/ssrf-guard';
import { globToLike } from '../../src/modules/webhooks/webhooks.service';

const strict = { allowedHosts: [], allowPrivateNetworks: false };
const privateOk = { allowedHosts: [], allowPrivateNetworks: true };

describe('the address policy of webhooks', () => {
  it.each(['8.8.8.8', '1.1.1.1', '2606:4700::1111'])('allows the public address %s', (a) => {
    expect(refusalOf(a, strict)).toBeUndefined();
  });
  it.each(['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '100.64.0.1', '::1', 'fd12::1'])('refuses %s unless private networks are allowed', (a) => {
    expect(refusalOf(a, strict)).toMatch(/loopback, private or CGNAT/);
    expect(refusalOf(a, privateOk)).toBeUndefined();
  });
  it.each(['169.254.169.254', 'fd00:ec2::254', 'fe80::1', '0.0.0.0', '::', '::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:8.8.8.8', '224.0.0.1'])('always refuses %s', (a) => {
    expect(refusalOf(a, privateOk)).toEqual(expect.any(String));
  });
  it('checks literal addresses in URLs at create time, and only http and https', () => {
    expect(() => checkWebhookUrl('http://[::ffff:10.0.0.1]/', strict)).toThrow(/IPv4-mapped/);
    expect(() => checkWebhookUrl('gopher://example.com/', strict)).toThrow(/scheme/);
    expect(() => checkWebhookUrl('https://user:pw@example.com/', strict)).toThrow(/credentials/);
    expect(() => checkWebhookUrl('http://127.0.0.1:9/', { allowedHosts: ['127.0.0.1'], allowPrivateNetworks: false })).not.toThrow();
    expect(checkWebhookUrl('https://hooks.example.com/x', strict).hostname).toBe('hooks.example.com');
  });
});

describe('webhook signatures and secrets', () => {
  it("signs as MLflow does: v1,base64(HMAC-SHA256(secret, 'id.ts.body'))", () => {
    // From Python's hmac (MLflow's _generate_hmac_signature): base64(hmac.new(b"whsec", b'3f1c.1733100000.{"entity": "model_version"}', sha256))
    expect(signPayload('whsec', '3f1c', '1733100000', '{"entity": "model_version"}')).toBe('v1,AfgUcDviCUZRoIx4x2VqV2TD2Uu4WFPVrZfHjOifn0Y=');
  });
  it('seals secrets so that only the same key opens them', () => {
    const box = new SecretBox('a'.repeat(32));
    const sealed = box.seal('s3cret');
    expect(sealed).not.toContain('s3cret');
    expect(box.open(sealed)).toBe('s3cret');
    expect(() => new SecretBox('b'.repeat(32)).open(sealed)).toThrow();
  });
});

describe('retry timing', () => {
  it('backs off exponentially with jitter, capped', () => {
    expect(backoffMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffMs(20, 1000, 60_000, () => 1)).toBe(60_000);
  });
  it('reads Retry-After in seconds or as an HTTP date', () => {
    expect(retryAfterMs('7', 0)).toBe(7000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
    expect(retryAfterMs(undefined, 0)).toBeUndefined();
  });
  it('turns name globs into LIKE patterns', () => {
    expect(globToLike('fraud-*')).toBe('fraud-%');
    expect(globToLike('a_b%?')).toBe('a\\_b\\%_');
  });
});
