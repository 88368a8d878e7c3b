import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { loadConfig } from '../../src/config';
import { createTokenVerifier } from '../../src/http/authenticate';

describe('createTokenVerifier', () => {
  it('refuses at start a JWT_PUBLIC_KEY that is not a key, saying which variable is wrong', () => {
    expect(() => createTokenVerifier(loadConfig({ JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----' }))).toThrow(/JWT_PUBLIC_KEY is not a PEM public key/);
  });

  it('verifies HS256 tokens with the secret parsed once, and still refuses a token signed with another secret', () => {
    const verifier = createTokenVerifier(loadConfig({ JWT_SECRET: 's'.repeat(32) }));
    const token = jwt.sign({ groups: ['ml'] }, 's'.repeat(32), { subject: 'alice', expiresIn: '1h' });
    expect(verifier.verify(token)).toEqual({ subject: 'alice', groups: ['ml'], isAdmin: false });
    expect(verifier.verify(token)).toEqual({ subject: 'alice', groups: ['ml'], isAdmin: false });
    expect(() => verifier.verify(jwt.sign({}, 't'.repeat(32), { subject: 'alice' }))).toThrow(/invalid signature/);
  });

  it('accepts RS256 tokens against a PEM public key, and refuses HS256 tokens signed with that public key', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const verifier = createTokenVerifier(loadConfig({ JWT_PUBLIC_KEY: pem }));
    expect(verifier.verify(jwt.sign({}, privateKey, { algorithm: 'RS256', subject: 'bob' })).subject).toBe('bob');
    expect(() => verifier.verify(jwt.sign({}, pem, { algorithm: 'HS256', subject: 'bob' }))).toThrow(/Invalid bearer token/);
  });

  describe('a token verified once', () => {
    afterEach(() => jest.restoreAllMocks());
    const secret = 's'.repeat(32);

    it('is not checked against the key again while it is valid', () => {
      const verifier = createTokenVerifier(loadConfig({ JWT_SECRET: secret }));
      const token = jwt.sign({}, secret, { subject: 'carol', expiresIn: '1h' });
      const spy = jest.spyOn(jwt, 'verify');
      expect(verifier.verify(token).subject).toBe('carol');
      expect(verifier.verify(token).subject).toBe('carol');
      expect(spy).toHaveBeenCalledTimes(1);
    });

    it('is refused once it expires, and is not accepted before its nbf', () => {
      const now = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
      const verifier = createTokenVerifier(loadConfig({ JWT_SECRET: secret }));
      const token = jwt.sign({}, secret, { subject: 'dave', expiresIn: 60 });
      expect(verifier.verify(token).subject).toBe('dave');
      clock.mockReturnValue(now + 61_000);
      expect(() => verifier.verify(token)).toThrow(/token expired/);
      expect(() => verifier.verify(token)).toThrow(/token expired/);

      clock.mockReturnValue(now);
      const later = jwt.sign({ nbf: Math.floor(now / 1000) + 30 }, secret, { subject: 'erin', expiresIn: 3600 });
      expect(() => verifier.verify(later)).toThrow(/jwt not active/);
      clock.mockReturnValue(now + 31_000);
      expect(verifier.verify(later).subject).toBe('erin');
      clock.mockReturnValue(now - 5_000); // a clock stepped back: the remembered token is checked again
      expect(() => verifier.verify(later)).toThrow(/jwt not active/);
    });

    it('is remembered only when valid: a bad signature is refused every time', () => {
      const verifier = createTokenVerifier(loadConfig({ JWT_SECRET: secret }));
      const forged = jwt.sign({}, 't'.repeat(32), { subject: 'mallory' });
      expect(() => verifier.verify(forged)).toThrow(/invalid signature/);
      expect(() => verifier.verify(forged)).toThrow(/invalid signature/);
    });
  });
});
