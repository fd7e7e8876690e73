/** The webhook notifier on a bus of run events, loaded as a run loads it: every event reaches the webhook in order
 *  with the token, a `types` filter is obeyed, a webhook that fails does not stop the next events (the failures are
 *  counted), and a bad block is refused naming the key. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasCode } from 'automint/plugin';
import { loadNotifierPlugin, type RunEventDraft } from 'automint/plugin/testing';
import plugin from '../src/index.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

const TOKEN = 'whk-test-7c3e9b21';
const party = { purchaseId: 'purchase:1:1:alice', account: 'alice', target: '1:1', method: 'ton' } as const;
const STORY: RunEventDraft[] = [
  { type: 'run.started', command: 'run', dryRun: false, targets: ['1:1'], accounts: ['alice'], methods: ['ton'], snipe: false },
  { type: 'stock.seen', target: '1:1', left: 120 },
  { type: 'payment.paid', ...party, orderId: 'o-1', packs: 2, amountUnits: '5000000000', currency: 'TON', by: 'payer' },
  { type: 'run.stopped', outcome: 'complete', stopReason: null },
];

let hook: WebhookReceiver;
beforeEach(async () => {
  hook = await startWebhookReceiver(TOKEN);
});
afterEach(async () => {
  await hook.close();
});

describe('webhook notifier', () => {
  it('posts every event, in order, with the token', async () => {
    const loaded = await loadNotifierPlugin({ plugin, config: { url: hook.url, token: TOKEN } });
    expect(loaded.notifiers.map((n) => n.id)).toEqual(['webhook']);
    for (const e of STORY) loaded.emit(e);
    const [stats] = await loaded.close();
    expect(hook.received.map((r) => r.body.type)).toEqual(STORY.map((e) => e.type));
    expect(hook.received.every((r) => r.authorized)).toBe(true);
    expect(hook.received[2]!.body).toMatchObject({ amountUnits: '5000000000', currency: 'TON', at: expect.any(Number) });
    expect(stats).toMatchObject({ delivered: 4, dropped: 0, failed: 0 });
  });

  it('posts only the types it is told to', async () => {
    const loaded = await loadNotifierPlugin({ plugin, config: { url: hook.url, token: TOKEN, types: ['payment.paid', 'run.stopped'] } });
    for (const e of STORY) loaded.emit(e);
    await loaded.close();
    expect(hook.received.map((r) => r.body.type)).toEqual(['payment.paid', 'run.stopped']);
  });

  it('goes on with the next events when the webhook fails, counting the failures', async () => {
    const loaded = await loadNotifierPlugin({ plugin, config: { url: hook.url, token: TOKEN } });
    hook.answer(503);
    for (const e of STORY.slice(0, 2)) loaded.emit(e);
    await expect.poll(() => loaded.stats()[0]?.failed).toBe(2);
    hook.answer(200);
    for (const e of STORY.slice(2)) loaded.emit(e);
    const [stats] = await loaded.close();
    expect(stats).toMatchObject({ delivered: 2, failed: 2 });
    expect(hook.received.map((r) => r.body.type)).toEqual(STORY.map((e) => e.type));
  });

  it('has a bad block refused by the host, naming the key', async () => {
    const err = await loadNotifierPlugin({ plugin, config: { url: hook.url, token: TOKEN, types: ['payment.lost'] } }).catch((e: unknown) => e);
    expect(hasCode(err, 'PLUGIN_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('plugins.webhook.types.0');
  });
});
