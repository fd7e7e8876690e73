/** The plugin's config block, `plugins.voucher` in an automint config. The host validates it with this schema before
 *  `register` is called, and names any bad key as `plugins.voucher.<key>`. */
import { z } from 'automint/plugin';

export const voucherConfigSchema = z
  .object({
    issuerUrl: z.url({ protocol: /^https?$/ }).describe('Base URL of the voucher issuer\'s API.'),
    // A secret: the manifest lists it in `secretKeys`, so the host redacts it wherever it shows the config.
    code: z.string().min(8).max(200).describe('The voucher code; whoever holds it spends the voucher. Write it as ${VOUCHER_CODE}.'),
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000).describe('Longest wait for one call to the issuer, ms.'),
  })
  .strict();

export type VoucherConfig = z.output<typeof voucherConfigSchema>;
