/** The Stars plugin's config block (`plugins.stars`): the Telegram API application, which server to talk to, the store's
 *  bot and web app, and how Stars orders are sized, checked and paced. */
import { z } from 'zod';
import { parseAmount, type Stars } from '../../core/money.js';

const HOST_PORT = z.object({
  host: z.string().min(1).describe('Host name or IP address of the MTProto server.'),
  port: z.number().int().min(1).max(65_535).describe('TCP port of the MTProto server.'),
  publicKey: z
    .string()
    .regex(/-----BEGIN (RSA )?PUBLIC KEY-----/, { error: 'must be an RSA public key in PEM form' })
    .describe('The server\'s RSA public key (PEM). Telegram\'s own keys are built in; another server must name its key.'),
}).strict();

export const starsConfigSchema = z
  .object({
    apiId: z
      .number().int().positive()
      .optional()
      .describe('Telegram API id of your application (https://my.telegram.org → API development tools). Needed for login and any Telegram use.'),
    apiHash: z
      .string()
      .regex(/^[0-9a-f]{32}$/, { error: 'must be the 32 hex characters shown at my.telegram.org' })
      .optional()
      .describe('Telegram API hash matching `apiId`. Secret: write it as ${TG_API_HASH}.'),
    server: HOST_PORT.optional().describe(
      'A Telegram server other than Telegram\'s own (a test data centre or the simulated world). Leave out for Telegram.',
    ),
    dcId: z.number().int().min(1).max(5).default(2).describe('Data centre a new login starts at.'),
    bot: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{3,31}$/, { error: 'must be a bot username without "@"' })
      .default('sticker_bot')
      .describe('Username (without "@") of the store\'s bot, whose web app issues the store login.'),
    webAppUrls: z
      .array(z.url({ protocol: /^https$/, error: 'must be an https URL' }))
      .min(1)
      .default(['https://stickerdom.store/'])
      .describe('Store web app URLs to open, first to last until one gives initData.'),
    platform: z.enum(['android', 'ios', 'tdesktop', 'web']).default('android').describe('Platform reported when opening the web app.'),
    packsPerOrder: z
      .number().int().min(1).max(5)
      .default(1)
      .describe('Packs per Stars order. The store\'s Stars invoice is only known to carry one pack; an invoice that does not match the packs asked is refused.'),
    starsReserve: z
      .string()
      .default('0')
      .transform((text, ctx) => {
        try {
          return parseAmount('XTR', text) as Stars;
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: (e as Error).message });
          return z.NEVER;
        }
      })
      .describe('Stars kept aside: the balance must hold the invoice plus this (whole-number string).'),
    maxFloodWaitSec: z
      .number().int().min(0).max(3_600)
      .default(60)
      .describe('Longest FLOOD_WAIT honoured by waiting; a longer one fails the call with a typed error.'),
    connectTimeoutSec: z.number().int().min(1).max(300).default(20).describe('Longest wait for a Telegram connection or answer.'),
  })
  .strict();

export type StarsConfig = z.output<typeof starsConfigSchema>;

/** The keys of the Telegram API application that the config leaves out (`apiId`, `apiHash`): without them nothing can
 *  reach Telegram. */
export function missingApiKeys(config: Pick<StarsConfig, 'apiId' | 'apiHash'>): ('apiId' | 'apiHash')[] {
  return [...(config.apiId === undefined ? (['apiId'] as const) : []), ...(config.apiHash === undefined ? (['apiHash'] as const) : [])];
}
