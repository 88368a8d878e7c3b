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
});
