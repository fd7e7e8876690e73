/** Wallet keys from a 24-word mnemonic, and a signer on Node's native Ed25519: @ton/crypto's JavaScript signer
 *  takes about 9 ms per signature and blocks the event loop for every account at once; the native one about 0.05 ms. */
import { createPrivateKey, sign as nativeSign, type KeyObject } from 'node:crypto';
import { mnemonicToPrivateKey, sign as jsSign } from '@ton/crypto';
import type { Cell } from '@ton/core';
import { AutomintError } from '../../core/errors.js';

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows it. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface WalletKeys {
  readonly publicKey: Buffer;
  /** Signs a cell's hash, as WalletContractV5R1's `signer` option expects. */
  readonly signer: (cell: Cell) => Promise<Buffer>;
}

export class WalletKeyError extends AutomintError {
  constructor(wallet: string, reason: string) {
    super('WALLET_KEY', `wallet ${wallet}: ${reason}`, { wallet });
  }
}

/** Derives the keys once (PBKDF2, slow) and proves the native signer agrees with the reference one. */
export async function deriveWalletKeys(wallet: string, mnemonic: string): Promise<WalletKeys> {
  const words = mnemonic.trim().split(/\s+/);
  if (words.length !== 24) throw new WalletKeyError(wallet, `mnemonic must have 24 words, has ${words.length}`);
  const pair = await mnemonicToPrivateKey(words);
  const key: KeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, pair.secretKey.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
  const probe = Buffer.from('automint signer self-check');
  if (!nativeSign(null, probe, key).equals(jsSign(probe, pair.secretKey))) {
    throw new WalletKeyError(wallet, 'native Ed25519 signature differs from the reference signer');
  }
  return {
    publicKey: pair.publicKey,
    signer: async (cell: Cell) => nativeSign(null, cell.hash(), key),
  };
}
