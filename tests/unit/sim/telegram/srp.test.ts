import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Api } from 'telegram';
import { computeCheck } from 'telegram/Password.js';
import bigInt from 'big-integer';
import { createChallenge, createVerifier, SRP_G, SRP_PRIME, verifyProof, type SrpChallenge, type SrpVerifier } from '../../../../sim/telegram/srp.js';

/** The account.password a client would get for this verifier and challenge. */
function passwordFor(verifier: SrpVerifier, challenge: SrpChallenge): Api.account.Password {
  return new Api.account.Password({
    hasPassword: true,
    currentAlgo: new Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow({ salt1: verifier.salt1, salt2: verifier.salt2, g: SRP_G, p: SRP_PRIME }),
    srp_B: challenge.B,
    srpId: bigInt(1),
    newAlgo: new Api.PasswordKdfAlgoUnknown(),
    newSecureAlgo: new Api.SecurePasswordKdfAlgoUnknown(),
    secureRandom: Buffer.alloc(32),
  });
}

const sha256 = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
const pad = (b: Buffer) => Buffer.concat([Buffer.alloc(256 - b.length), b]);

describe('SRP 2FA verification', () => {
  it('accepts the proof GramJS computes from the right password and refuses one from a wrong password', async () => {
    const verifier = await createVerifier('pässwörd 🔑');
    const challenge = createChallenge(verifier);
    const right = await computeCheck(passwordFor(verifier, challenge), 'pässwörd 🔑');
    const wrong = await computeCheck(passwordFor(verifier, challenge), 'passwörd 🔑');
    expect(verifyProof(verifier, challenge, right.A, right.M1)).toBe(true);
    expect(verifyProof(verifier, challenge, wrong.A, wrong.M1)).toBe(false);
  });

  it('refuses a proof made for another challenge', async () => {
    const verifier = await createVerifier('secret');
    const first = createChallenge(verifier);
    const second = createChallenge(verifier);
    const proof = await computeCheck(passwordFor(verifier, first), 'secret');
    expect(verifyProof(verifier, second, proof.A, proof.M1)).toBe(false);
  });

  it('refuses A = 0 and A = p, which would let a client prove any password', async () => {
    const verifier = await createVerifier('secret');
    const challenge = createChallenge(verifier);
    const pg = Buffer.from(sha256(pad(SRP_PRIME)).map((byte, i) => byte ^ sha256(pad(Buffer.from([SRP_G])))[i]!));
    for (const A of [Buffer.alloc(256), SRP_PRIME]) {
      // With A ≡ 0 (mod p) the server's S is 0, so K = H(0) is known without the password.
      const K = sha256(Buffer.alloc(256));
      const M1 = sha256(pg, sha256(verifier.salt1), sha256(verifier.salt2), pad(A), pad(challenge.B), K);
      expect(verifyProof(verifier, challenge, A, M1)).toBe(false);
    }
  });

  it('gives a different verifier for the same password each time (fresh salts)', async () => {
    const [a, b] = await Promise.all([createVerifier('same'), createVerifier('same')]);
    expect(a.salt1.equals(b.salt1)).toBe(false);
    expect(a.v).not.toBe(b.v);
  });
});
