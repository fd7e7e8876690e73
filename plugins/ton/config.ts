/** The TON plugin's config block (`plugins.ton`). */
import { z } from 'zod';
import { parseAmount, type Nano } from '../../core/money.js';

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
    gasReserve: z
      .string()
      .default('0.1')
      .transform((text, ctx) => {
        try {
          return parseAmount('TON', text) as Nano;
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: (e as Error).message });
          return z.NEVER;
        }
      })
      .describe('TON kept aside for fees: the wallet must hold the order amount plus this (decimal string).'),
    confirmPollMs: z.number().int().min(50).max(10_000).default(300).describe('How often the wallet seqno is read while confirming.'),
    confirmTimeoutSec: z.number().int().min(5).max(3_600).default(120).describe('Longest wait for a confirmation before the outcome is called unknown; at least validForSec + 30.'),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Confirmation must outlive the transfer, or an unsent transfer ends "unknown" instead of certainly "not paid".
    if (c.confirmTimeoutSec < c.validForSec + 30) {
      ctx.addIssue({ code: 'custom', path: ['confirmTimeoutSec'], message: `must be at least validForSec + 30 (${c.validForSec + 30})` });
    }
  });

export type TonConfig = z.output<typeof tonConfigSchema>;
