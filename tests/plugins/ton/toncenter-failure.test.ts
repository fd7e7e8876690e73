import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mnemonicNew } from '@ton/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNano } from '../../../core/money.js';
import { TonPaymentError, toncenterFailure } from '../../../plugins/ton/ton-payment-error.js';
import { TonWallet } from '../../../plugins/ton/ton-wallet.js';
import { connectToncenter } from '../../../plugins/ton/toncenter.js';
import { deriveWalletKeys, type WalletKeys } from '../../../plugins/ton/wallet-keys.js';

const API_KEY = 'c0ffee00deadbeef-toncenter-api-key-4711';

/** A toncenter that answers every call with `status` and `body`, and keeps the headers it was sent. */
async function startBrokenToncenter(status: number, body: unknown) {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
  });
  await listen(server);
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jsonRPC`, seen, close: () => close(server) };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** The rejection of `p`, or a failure of the test if `p` resolves. */
async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then((v) => expect.fail(`expected a failure, got ${String(v)}`), (e: unknown) => e);
}

/** Every way an error is commonly turned into text: none of them may show the key. */
function expectNoKey(err: unknown): void {
  expect(err).toBeInstanceOf(TonPaymentError);
  const e = err as TonPaymentError;
  expect(e.cause).toBeUndefined();
  for (const text of [JSON.stringify(e), String(e), e.stack ?? '', JSON.stringify(Object.entries(e)), JSON.stringify(e.details)]) {
    expect(text).not.toContain(API_KEY);
  }
}

describe('toncenter failures as the TON wallet reports them', () => {
  let keys: WalletKeys;

  beforeAll(async () => {
    keys = await deriveWalletKeys('main', (await mnemonicNew()).join(' '));
  });

  describe('against a toncenter that answers 500', () => {
    let toncenter: Awaited<ReturnType<typeof startBrokenToncenter>>;
    let wallet: TonWallet;

    beforeAll(async () => {
      toncenter = await startBrokenToncenter(500, { ok: false, error: 'LITE_SERVER_NETWORK: timeout', code: 500 });
      wallet = new TonWallet('main', keys, connectToncenter({ endpoint: toncenter.endpoint, apiKey: API_KEY }));
    });

    afterAll(async () => {
      await toncenter?.close();
    });

    it('keeps the API key out of every error, while the key did go out with the requests', async () => {
      const calls: [string, () => Promise<unknown>][] = [
        ['getContractState', () => wallet.chainState()],
        ['getBalance', () => wallet.balance()],
        ['sendFile', () => wallet.broadcast(Buffer.from('not a real message').toString('base64'))],
        ['getTransactions', () => wallet.findMessage({ seqno: 0, comments: ['order-1'] })],
      ];
      for (const [operation, call] of calls) {
        const err = await failure(call());
        expectNoKey(err);
        expect(err, operation).toMatchObject({
          code: 'TON_RPC_FAILED',
          details: { operation, status: 500, toncenterError: 'LITE_SERVER_NETWORK: timeout' },
          message: `toncenter ${operation} failed: HTTP 500: LITE_SERVER_NETWORK: timeout`,
        });
      }
      expect(toncenter.seen.length).toBeGreaterThanOrEqual(calls.length);
      expect(toncenter.seen.every((h) => h['x-api-key'] === API_KEY)).toBe(true);
    });

    it('refuses to sign when the seqno cannot be read, with the same clean error', async () => {
      const err = await failure(wallet.sign(wallet.address, toNano('1'), 'order-2', Math.floor(Date.now() / 1000) + 60));
      expectNoKey(err);
      expect(err).toMatchObject({ details: { operation: 'getContractState', status: 500 } });
    });
  });

  it('carries toncenter\'s error text from an answer that says ok: false with status 200', async () => {
    const toncenter = await startBrokenToncenter(200, { ok: false, error: 'Incorrect address', code: 416 });
    try {
      const wallet = new TonWallet('main', keys, connectToncenter({ endpoint: toncenter.endpoint, apiKey: API_KEY }));
      const err = await failure(wallet.balance());
      expectNoKey(err);
      expect(err).toMatchObject({ details: { operation: 'getBalance', status: 200, toncenterError: 'Incorrect address' } });
    } finally {
      await toncenter.close();
    }
  });

  it('names the transport failure when nothing answered at all', async () => {
    const server = createServer();
    await listen(server);
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jsonRPC`;
    await close(server);
    const wallet = new TonWallet('main', keys, connectToncenter({ endpoint, apiKey: API_KEY }));
    const err = await failure(wallet.chainState());
    expectNoKey(err);
    expect(err).toMatchObject({ details: { operation: 'getContractState', transport: 'ECONNREFUSED' } });
    expect((err as TonPaymentError).details).not.toHaveProperty('status');
    expect((err as Error).message).toBe('toncenter getContractState failed: ECONNREFUSED');
  });

  it('keeps only a bounded excerpt of a long toncenter error text', () => {
    const err = toncenterFailure('sendFile', { isAxiosError: true, response: { status: 500, data: { error: 'x'.repeat(5_000) } } });
    expect(String(err.details.toncenterError)).toHaveLength(300);
  });
});
