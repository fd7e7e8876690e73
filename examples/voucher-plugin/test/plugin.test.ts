/** What the voucher plugin promises beyond the contract: its config is checked by the host with the key named, a
 *  refused voucher stops the method while arming (permanently: retrying cannot help), and the voucher code never
 *  reaches what the host logs or keeps (errors, the payment's payload and idempotency key). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCode, isPermanent, PLUGIN_KINDS } from 'automint/plugin';
import { loadPaymentPlugin, startTestWorld, type TestWorld } from 'automint/plugin/testing';
import plugin from '../src/index.js';
import { invoiceSlug } from '../src/invoice-slug.js';
import { startFakeIssuer, type FakeIssuer } from './fake-issuer.js';

const CODE = 'VCH-SECRET-4f1c9a7e';
let world: TestWorld;
let issuer: FakeIssuer;

beforeAll(async () => {
  world = await startTestWorld();
  issuer = await startFakeIssuer(world.invoices, { [CODE]: 5_000n });
});
afterAll(async () => {
  await issuer?.close();
  await world?.close();
});

describe('voucher plugin', () => {
  it('is a payment plugin for host 1.x', () => {
    expect(PLUGIN_KINDS).toContain(plugin.kind);
    expect(plugin.kind).toBe('payment');
    expect(plugin.hostVersion).toBe('^1');
  });

  it('has its config refused by the host, naming the key', async () => {
    const err = await loadPaymentPlugin(world, { plugin, config: { issuerUrl: 'ftp://issuer.example', code: CODE } }).catch((e: unknown) => e);
    expect(hasCode(err, 'PLUGIN_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('plugins.voucher.issuerUrl');
  });

  it('fails while arming, for good, when the issuer refuses the voucher; the code is not in the error', async () => {
    const wrong = 'VCH-WRONG-00000000';
    const loaded = await loadPaymentPlugin(world, { plugin, config: { issuerUrl: issuer.url, code: wrong } });
    try {
      const err = await loaded.method.prepare(loaded.account, AbortSignal.timeout(10_000)).catch((e: unknown) => e);
      expect(hasCode(err, 'VOUCHER_REFUSED')).toBe(true);
      expect(isPermanent(err)).toBe(true);
      expect(JSON.stringify(err) + String((err as Error).message)).not.toContain(wrong);
    } finally {
      await loaded.close();
    }
  });

  it('pays an order from the voucher, keeping no trace of the code in the payment it records', async () => {
    const loaded = await loadPaymentPlugin(world, { plugin, config: { issuerUrl: issuer.url, code: CODE } });
    const signal = AbortSignal.timeout(20_000);
    try {
      await loaded.method.prepare(loaded.account, signal);
      const steps = loaded.method.steps(loaded.account);
      const quote = await steps.quote(world.target(1, 2), signal);
      const order = await steps.createOrder(world.target(1, 2), 1, { signal, onSent: () => undefined });
      expect(order).toMatchObject({ currency: 'XTR', amount: quote, count: 1 });
      expect(order.expiresAt).toBeGreaterThan(Date.now());
      expect(await steps.check(order, signal)).toBeNull();
      const attempt = await steps.prepare(order, signal);
      expect(JSON.stringify(attempt.payload) + attempt.idempotencyKey).not.toContain(CODE);
      await attempt.send(signal);
      expect(await attempt.confirm(signal)).toMatchObject({ outcome: 'paid', fee: 0n });
      expect(world.storePayments(order.orderId)).toBe(1);
      expect(issuer.balance(CODE)).toBe(5_000n - quote);
      expect(await loaded.method.capacity(loaded.account, signal)).toBe(5_000n - quote);
    } finally {
      await loaded.close();
    }
  });

  it('reads the slug of the invoice links the store answers', () => {
    expect(invoiceSlug('https://t.me/$AbC-1_2')).toBe('AbC-1_2');
    expect(invoiceSlug('t.me/invoice/xyz')).toBe('xyz');
    expect(invoiceSlug('https://t.me/sticker_bot')).toBeNull();
  });
});
