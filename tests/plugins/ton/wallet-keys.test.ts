import { beginCell } from '@ton/core';
import { mnemonicNew, mnemonicToPrivateKey, sign, signVerify, type KeyPair } from '@ton/crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveWalletKeys, WalletKeyError, type WalletKeys } from '../../../plugins/ton/wallet-keys.js';

/** Runs `fn` and returns the WalletKeyError it rejects with (fails the test on anything else). */
async function keyErrorOf(fn: () => Promise<unknown>): Promise<WalletKeyError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof WalletKeyError) return e;
    throw e;
  }
  return expect.fail('expected a WalletKeyError, but the keys were derived');
}

describe('TON wallet keys', () => {
  let words: string[];
  let reference: KeyPair;
  let keys: WalletKeys;

  beforeAll(async () => {
    words = await mnemonicNew(24);
    reference = await mnemonicToPrivateKey(words);
    keys = await deriveWalletKeys('main', words.join(' '));
  });

  it('derives the same public key as @ton/crypto', () => {
    expect(keys.publicKey.equals(reference.publicKey)).toBe(true);
  });

  it('signs a cell hash exactly as @ton/crypto sign does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 127 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), async (bytes, seqno) => {
        const cell = beginCell().storeUint(seqno, 64).storeBuffer(Buffer.from(bytes)).endCell();
        const native = await keys.signer(cell);
        expect(native.equals(sign(cell.hash(), reference.secretKey))).toBe(true);
        expect(signVerify(cell.hash(), native, reference.publicKey)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('reads a mnemonic with extra spaces and line breaks as the same wallet', async () => {
    const spaced = await deriveWalletKeys('main', `  ${words.slice(0, 12).join('  ')}\n${words.slice(12).join('\t')}\n`);
    expect(spaced.publicKey.equals(reference.publicKey)).toBe(true);
  });

  it.each([
    ['too few words', 23],
    ['too many words', 25],
  ])('refuses a mnemonic with %s without echoing the words', async (_case, count) => {
    const wrong = count <= 24 ? words.slice(0, count) : [...words, words[0]!];
    const err = await keyErrorOf(() => deriveWalletKeys('savings', wrong.join(' ')));
    expect(err.code).toBe('WALLET_KEY');
    expect(err.message).toContain('savings');
    expect(err.message).toContain(`has ${count}`);
    // The stack's file paths (/work/main/node_modules/...) hold words a random mnemonic may share: left out.
    const stack = (err.stack ?? '').replace(/\S*\/\S*/g, '');
    const everything = [err.message, stack, JSON.stringify(err), JSON.stringify(err.details)].join('\n');
    // Words that the message template itself uses ("wallet", "must", ...) would match by chance.
    const template = `wallet savings: mnemonic must have 24 words, has ${count} WalletKeyError WALLET_KEY name code message`;
    for (const word of new Set(wrong)) if (!template.includes(word)) expect(everything).not.toMatch(new RegExp(`\\b${word}\\b`));
  });

  it('refuses an empty mnemonic', async () => {
    const err = await keyErrorOf(() => deriveWalletKeys('main', '   '));
    expect(err.code).toBe('WALLET_KEY');
    expect(err.details).toEqual({ wallet: 'main' });
  });
});
