/** The auth key handshake as the server runs it (https://core.telegram.org/mtproto/auth_key): req_pq_multi → resPQ
 *  with a real pq; req_DH_params → RSA_PAD decrypted and checked, server_DH_params_ok with g = 3 and Telegram's
 *  prime; set_client_DH_params → g_b checked, the key registered, dh_gen_ok. One per connection; any violation
 *  throws MtprotoProtocolError with transport error -404, which ends the connection. */
import { randomBytes } from 'node:crypto';
import { Api } from 'telegram';
import { BinaryReader } from 'telegram/extensions/index.js';
import type { IGE } from 'telegram/crypto/IGE.js';
import { authKeyAuxHash, type AuthKeyRecord, type AuthKeyStore } from './auth-keys.js';
import { DH_G, DH_PRIME, dhKeyPair, dhSharedKey, isSafeDhPublic } from './dh-group.js';
import { initialSalt, newNonceHash, openAnswer, sealAnswer, temporaryCipher } from './handshake-crypto.js';
import { isPqSolution, newPqChallenge, pqBytes, type PqChallenge } from './pq.js';
import { MtprotoProtocolError, TRANSPORT_ERROR_NOT_FOUND } from './protocol-error.js';
import { SALT_PERIOD_S } from './server-salts.js';
import type { ServerRsaKey } from './server-rsa-key.js';
import { bigIntegerFromLittleEndian, fromBigInteger, littleEndianBytes, toBigInteger, uintFromBigEndian } from './tl-bytes.js';

export interface HandshakeDeps {
  readonly rsa: ServerRsaKey;
  readonly keys: AuthKeyStore;
  readonly now: () => number;
  /** Told about every key a completed handshake registers. */
  readonly onKeyCreated: (key: AuthKeyRecord) => void;
}

type InnerData = Api.PQInnerData | Api.PQInnerDataDc | Api.PQInnerDataTemp | Api.PQInnerDataTempDc;

type Step =
  | { readonly at: 'idle' }
  | { readonly at: 'pq-sent'; readonly nonce: Buffer; readonly serverNonce: Buffer; readonly challenge: PqChallenge }
  | {
      readonly at: 'dh-sent';
      readonly nonce: Buffer;
      readonly serverNonce: Buffer;
      readonly newNonce: Buffer;
      readonly secret: Buffer;
      readonly cipher: () => IGE;
      /** Seconds a temporary key lives (p_q_inner_data_temp*), else undefined. */
      readonly expiresIn: number | undefined;
      /** retry_id the next set_client_DH_params must carry (0, or the aux hash of a key that collided). */
      retryId: bigint;
    };

/** The handshake state of one connection: idle → resPQ sent → server_DH_params sent → idle again. */
export class Handshake {
  private step: Step = { at: 'idle' };

  constructor(private readonly deps: HandshakeDeps) {}

  /** The TL answer to one handshake request (the body of a plain message). */
  answer(request: unknown): Buffer {
    if (request instanceof Api.ReqPqMulti || request instanceof Api.ReqPq) return this.onReqPq(request);
    if (request instanceof Api.ReqDHParams) return this.onReqDhParams(request);
    if (request instanceof Api.SetClientDHParams) return this.onSetClientDhParams(request);
    throw invalid('only handshake messages may be sent unencrypted', { got: className(request) });
  }

  private onReqPq(req: Api.ReqPqMulti | Api.ReqPq): Buffer {
    const nonce = littleEndianBytes(req.nonce, 16);
    const serverNonce = randomBytes(16);
    const challenge = newPqChallenge();
    this.step = { at: 'pq-sent', nonce, serverNonce, challenge };
    return new Api.ResPQ({
      nonce: req.nonce,
      serverNonce: bigIntegerFromLittleEndian(serverNonce),
      pq: pqBytes(challenge),
      serverPublicKeyFingerprints: [toBigInteger(this.deps.rsa.fingerprint)],
    }).getBytes();
  }

  private onReqDhParams(req: Api.ReqDHParams): Buffer {
    const step = this.step;
    if (step.at !== 'pq-sent') throw invalid('req_DH_params before resPQ');
    expectNonces(step, req);
    if (!isPqSolution(step.challenge, req.p, req.q)) throw invalid('p and q are not the factors of pq');
    if (fromBigInteger(req.publicKeyFingerprint) !== this.deps.rsa.fingerprint) {
      throw invalid('req_DH_params names an unknown RSA key', { fingerprint: req.publicKeyFingerprint.toString() });
    }
    const inner = readInner(this.deps.rsa.decryptRsaPad(req.encryptedData));
    expectNonces(step, inner);
    if (uintFromBigEndian(inner.pq) !== step.challenge.pq || !isPqSolution(step.challenge, inner.p, inner.q)) {
      throw invalid('p_q_inner_data does not repeat pq, p and q');
    }
    const newNonce = littleEndianBytes(inner.newNonce, 32);
    const expiresIn = inner instanceof Api.PQInnerDataTemp || inner instanceof Api.PQInnerDataTempDc ? inner.expiresIn : undefined;
    const { secret, publicValue } = dhKeyPair();
    const cipher = (): IGE => temporaryCipher(newNonce, step.serverNonce);
    const innerAnswer = new Api.ServerDHInnerData({
      nonce: req.nonce,
      serverNonce: req.serverNonce,
      g: DH_G,
      dhPrime: DH_PRIME,
      gA: publicValue,
      serverTime: Math.floor(this.deps.now() / 1000),
    }).getBytes();
    this.step = { at: 'dh-sent', nonce: step.nonce, serverNonce: step.serverNonce, newNonce, secret, cipher, expiresIn, retryId: 0n };
    return new Api.ServerDHParamsOk({
      nonce: req.nonce,
      serverNonce: req.serverNonce,
      encryptedAnswer: sealAnswer(cipher(), innerAnswer),
    }).getBytes();
  }

  private onSetClientDhParams(req: Api.SetClientDHParams): Buffer {
    const step = this.step;
    if (step.at !== 'dh-sent') throw invalid('set_client_DH_params before server_DH_params_ok');
    expectNonces(step, req);
    let inner: unknown;
    const data = openAnswer(step.cipher(), req.encryptedData, (plain) => {
      const reader = new BinaryReader(plain);
      inner = reader.tgReadObject();
      return reader.tellPosition();
    });
    if (!data || !(inner instanceof Api.ClientDHInnerData)) throw invalid('client_DH_inner_data does not decrypt or its hash is wrong');
    expectNonces(step, inner);
    if (BigInt.asUintN(64, fromBigInteger(inner.retryId)) !== step.retryId) throw invalid('client_DH_inner_data has the wrong retry_id');
    if (!isSafeDhPublic(inner.gB)) throw invalid('g_b is outside the safe range');
    const authKey = dhSharedKey(step.secret, inner.gB);
    const nowMs = this.deps.now();
    const nowS = Math.floor(nowMs / 1000);
    const record = this.deps.keys.add(authKey, {
      initialSalt: { salt: initialSalt(step.newNonce, step.serverNonce), validSince: nowS, validUntil: nowS + SALT_PERIOD_S },
      ...(step.expiresIn !== undefined ? { expiresAt: nowMs + step.expiresIn * 1000 } : {}),
    });
    const nonce = bigIntegerFromLittleEndian(step.nonce);
    const serverNonce = bigIntegerFromLittleEndian(step.serverNonce);
    if (!record) {
      // The new key's id collides with a live one: the client must redo the last step with retry_id = aux hash.
      step.retryId = authKeyAuxHash(authKey).readBigUInt64LE();
      return new Api.DhGenRetry({ nonce, serverNonce, newNonceHash2: bigIntegerFromLittleEndian(newNonceHash(step.newNonce, 2, authKey)) }).getBytes();
    }
    this.step = { at: 'idle' };
    this.deps.onKeyCreated(record);
    return new Api.DhGenOk({ nonce, serverNonce, newNonceHash1: bigIntegerFromLittleEndian(newNonceHash(step.newNonce, 1, authKey)) }).getBytes();
  }
}

function readInner(dataWithPadding: Buffer): InnerData {
  let inner: unknown;
  try {
    inner = new BinaryReader(dataWithPadding).tgReadObject();
  } catch {
    throw invalid('RSA_PAD data does not hold a TL object');
  }
  if (
    inner instanceof Api.PQInnerData ||
    inner instanceof Api.PQInnerDataDc ||
    inner instanceof Api.PQInnerDataTemp ||
    inner instanceof Api.PQInnerDataTempDc
  ) {
    return inner;
  }
  throw invalid('RSA_PAD data is not p_q_inner_data', { got: className(inner) });
}

/** Both nonces of a message must be the ones of this handshake. */
function expectNonces(step: { readonly nonce: Buffer; readonly serverNonce: Buffer }, m: { nonce: Api.int128; serverNonce: Api.int128 }): void {
  if (!littleEndianBytes(m.nonce, 16).equals(step.nonce) || !littleEndianBytes(m.serverNonce, 16).equals(step.serverNonce)) {
    throw invalid('nonce or server_nonce does not match the handshake');
  }
}

function className(v: unknown): string {
  return typeof v === 'object' && v !== null && 'className' in v ? String(v.className) : typeof v;
}

function invalid(message: string, details: Record<string, unknown> = {}): MtprotoProtocolError {
  return new MtprotoProtocolError('HANDSHAKE_INVALID', message, details, TRANSPORT_ERROR_NOT_FOUND);
}
