/** The plugin's config block, `plugins.webhook` in an automint config, validated by the host before `register`. */
import { RUN_EVENT_TYPES, z } from 'automint/plugin';

export const webhookConfigSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }).describe('Where each event is POSTed, as JSON.'),
    // A secret: the manifest lists it in `secretKeys`, so the host redacts it wherever it shows the config.
    token: z.string().min(8).max(500).describe('Sent as `Authorization: Bearer <token>`. Write it as ${WEBHOOK_TOKEN}.'),
    types: z.array(z.enum(RUN_EVENT_TYPES)).min(1).optional().describe('Only these event types (default: every type).'),
    timeoutMs: z.number().int().min(100).max(30_000).default(5_000).describe('Longest wait for one POST, ms.'),
  })
  .strict();

export type WebhookConfig = z.output<typeof webhookConfigSchema>;
