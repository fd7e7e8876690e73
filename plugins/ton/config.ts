/** The TON plugin's config block (`plugins.ton`). */
import { Address } from '@ton/core';
import { z } from 'zod';
import { parseAmount, type Nano } from '../../core/money.js';

/** A TON amount key: decimal text in, nanotons out. */
function tonAmount(fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      try {
        return parseAmount('TON', text) as Nano;
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    });
}

export const tonConfigSchema = z
  .object({
    endpoint: z
      .url({ protocol: /^https?$/ })
      .default('https://toncenter.com/api/v2/jsonRPC')
      .describe('toncenter v2 JSON-RPC endpoint.'),
    apiKey: z.string().min(1).optional().describe('toncenter API key (without one, toncenter allows 1 request per second). Secret.'),
    toleranceBps: z
      .number().int().min(0).max(5_000)
      .default(100)
      .describe('How far an order amount may exceed the quoted price × count, in basis points (100 = 1%).'),
    expiryMarginSec: z
      .number().int().min(0).max(3_600)
      .default(15)
      .describe('An order expiring sooner than this is not paid (the transfer might land after expiry).'),
    validForSec: z
      .number().int().min(10).max(600)
      .default(60)
      .describe('Lifetime of a signed transfer (its valid_until); after it, an unsent transfer can never execute.'),
    gasReserve: tonAmount('0.1').describe('TON kept aside for fees: the wallet must hold the order amount plus this (decimal string).'),
    feeAllowance: tonAmount('0.02').describe(
      'Budget held per order on top of its amount for the network fee, until the actual fee (about 0.003-0.006 TON for a V5R1 transfer) is known and consumed instead (decimal string).',
    ),
    batchWindowMs: z
      .number().int().min(0).max(1_000)
      .default(25)
      .describe('Longest an order on a free wallet waits for other orders of the same wallet whose create-order request is already out, so they share one external message; with none on their way it is signed at once (0: never wait).'),
    maxBatch: z
      .number().int().min(1).max(255)
      .default(255)
      .describe('Most orders paid by one external message of a wallet (a WalletV5R1 carries up to 255 transfers); 1 pays each order with its own message.'),
    confirmPollMs: z.number().int().min(50).max(10_000).default(300).describe('How often the wallet seqno is read while confirming.'),
    confirmTimeoutSec: z.number().int().min(5).max(3_600).default(120).describe('Longest wait for a confirmation before the outcome is called unknown; at least validForSec + 30.'),
    storeWallets: z
      .array(z.string().max(200).refine(isTonAddress, { message: 'is not a TON address' }))
      .max(100)
      .default([])
      .describe("The store's TON wallets (any address form). When set, an order paying anywhere else is refused; when empty, the first destination seen in a run is pinned and a later, different one is handled by onDestinationChange."),
    onDestinationChange: z
      .enum(['refuse', 'warn'])
      .default('refuse')
      .describe('With no storeWallets: what to do with an order whose destination differs from the one pinned first in this run (refuse it, or only log a warning and pay).'),
    requireActiveDestination: z
      .boolean()
      .default(true)
      .describe('With no storeWallets: refuse an order whose destination is not an active contract on chain (a store\'s receiving wallet is one; a made-up address is not).'),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Confirmation must outlive the transfer, or an unsent transfer ends "unknown" instead of certainly "not paid".
    if (c.confirmTimeoutSec < c.validForSec + 30) {
      ctx.addIssue({ code: 'custom', path: ['confirmTimeoutSec'], message: `must be at least validForSec + 30 (${c.validForSec + 30})` });
    }
  });

export type TonConfig = z.output<typeof tonConfigSchema>;

function isTonAddress(text: string): boolean {
  try {
    Address.parse(text);
    return true;
  } catch {
    return false;
  }
}
