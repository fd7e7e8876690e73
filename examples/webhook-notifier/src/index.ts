/** The webhook notifier's manifest: what automint loads from `plugins.paths` (a path or this package's name). */
import { definePlugin, NOTIFIER } from 'automint/plugin';
import { webhookConfigSchema } from './config.js';
import { WebhookNotifier } from './webhook-notifier.js';

export default definePlugin({
  kind: 'notifier',
  id: 'webhook',
  description: 'Posts the run\'s events, as JSON, to a webhook.',
  hostVersion: '^1',
  configSchema: webhookConfigSchema,
  // The host shows these as [redacted] in `config show` and scrubs their values from errors and log lines.
  secretKeys: ['token'],
  register(container, config) {
    container.register(NOTIFIER, { useValue: new WebhookNotifier(config) });
  },
});
