/** The auth keys the server holds (https://core.telegram.org/mtproto/auth_key): 2048-bit keys made by a DH handshake
 *  or out of band, named by auth_key_id (the low 64 bits of SHA-1 of the key). Ids are written in decimal as
 *  unsigned numbers, the way GramJS's `AuthKey.keyId.toString()` prints them. */
import { createHash, randomBytes } from 'node:crypto';
import { ServerSalts, type FutureSalt } from './server-salts.js';

export const AUTH_KEY_BYTES = 256;

/** One auth key and what the server remembers with it. */
export interface AuthKeyRecord {
  readonly id: bigint;
  /** Decimal auth_key_id, as RpcContext.authKeyId. */
  readonly idText: string;
  readonly key: Buffer;
  readonly salts: ServerSalts;
  /** Epoch ms after which the key is gone (temporary keys only). */
  readonly expiresAt?: number;
  /** The TL layer the client last announced with invokeWithLayer (0 until it does). */
  layer: number;
}

/** auth_key_id: SHA-1(key) bytes 12..20, little-endian, unsigned. */
export function authKeyIdOf(key: Buffer): bigint {
  return createHash('sha1').update(key).digest().readBigUInt64LE(12);
}

/** auth_key_aux_hash: SHA-1(key) bytes 0..8 (used by the handshake's new_nonce_hash). */
export function authKeyAuxHash(key: Buffer): Buffer {
  return createHash('sha1').update(key).digest().subarray(0, 8);
}

export interface NewAuthKey {
  /** The salt the handshake derived (new_nonce ⊕ server_nonce), accepted for its first period. */
  readonly initialSalt?: FutureSalt;
  readonly expiresAt?: number;
}

/** Every auth key the server holds, by id; temporary keys vanish when they expire. */
export class AuthKeyStore {
  private readonly keys = new Map<bigint, AuthKeyRecord>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Registers a key; undefined when its id collides with a key already held (the handshake then retries). */
  add(key: Buffer, opts: NewAuthKey = {}): AuthKeyRecord | undefined {
    const id = authKeyIdOf(key);
    if (this.get(id)) return undefined;
    const record: AuthKeyRecord = {
      id,
      idText: id.toString(),
      key: Buffer.from(key),
      salts: new ServerSalts(opts.initialSalt),
      layer: 0,
      ...(opts.expiresAt !== undefined ? { expiresAt: opts.expiresAt } : {}),
    };
    this.keys.set(id, record);
    return record;
  }

  /** A random key registered as if a client had just made it. */
  mint(): AuthKeyRecord {
    for (;;) {
      const record = this.add(randomBytes(AUTH_KEY_BYTES));
      if (record) return record;
    }
  }

  /** The live key with this id. */
  get(id: bigint): AuthKeyRecord | undefined {
    const record = this.keys.get(id);
    if (record?.expiresAt !== undefined && record.expiresAt <= this.now()) {
      this.keys.delete(id);
      return undefined;
    }
    return record;
  }

  /** Drops a key by its decimal id; returns the key when it was held. */
  forget(idText: string): AuthKeyRecord | undefined {
    let id: bigint;
    try {
      id = BigInt.asUintN(64, BigInt(idText));
    } catch {
      return undefined;
    }
    const record = this.keys.get(id);
    this.keys.delete(id);
    return record;
  }
}
