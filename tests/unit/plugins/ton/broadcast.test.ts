import { describe, expect, it } from 'vitest';
import { ChainClock } from '../../../../plugins/ton/chain-clock.js';
import { broadcastWhileValid, isTransientBroadcastFailure } from '../../../../plugins/ton/broadcast.js';
import { TonPaymentError } from '../../../../plugins/ton/ton-payment-error.js';

function rpcFailure(details: Record<string, unknown>): TonPaymentError {
  return new TonPaymentError('TON_RPC_FAILED', 'toncenter sendFile failed', { operation: 'sendFile', ...details });
}

const REFUSED = rpcFailure({ status: 500, toncenterError: 'LITE_SERVER_UNKNOWN: cannot apply external message to current state : External message was not accepted' });

describe('broadcasting a signed message', () => {
  it('counts 5xx, 429 and answers that never came as worth another send, a refusal by the node and 4xx as not', () => {
    expect(isTransientBroadcastFailure(rpcFailure({ status: 503 }))).toBe(true);
    expect(isTransientBroadcastFailure(rpcFailure({ status: 500, toncenterError: 'LITE_SERVER_NETWORK: timeout' }))).toBe(true);
    expect(isTransientBroadcastFailure(rpcFailure({ status: 429 }))).toBe(true);
    expect(isTransientBroadcastFailure(rpcFailure({ transport: 'ECONNRESET' }))).toBe(true);
    expect(isTransientBroadcastFailure(REFUSED)).toBe(false);
    expect(isTransientBroadcastFailure(rpcFailure({ status: 401 }))).toBe(false);
    expect(isTransientBroadcastFailure(new TonPaymentError('TON_NO_WALLET', 'no wallet', {}))).toBe(false);
    expect(isTransientBroadcastFailure(new Error('boom'))).toBe(false);
  });

  it('sends again after transient failures until it is taken', async () => {
    let calls = 0;
    await broadcastWhileValid(async () => {
      calls += 1;
      if (calls < 3) throw rpcFailure({ status: 503 });
    }, Math.floor(Date.now() / 1000) + 60, new ChainClock());
    expect(calls).toBe(3);
  });

  it('stops at a refusal, with that refusal', async () => {
    let calls = 0;
    await expect(broadcastWhileValid(async () => {
      calls += 1;
      throw REFUSED;
    }, Math.floor(Date.now() / 1000) + 60, new ChainClock())).rejects.toBe(REFUSED);
    expect(calls).toBe(1);
  });

  it('stops once the chain\'s clock reaches valid_until: the message could no longer execute', async () => {
    const local = { now: Date.now() };
    const clock = new ChainClock(() => local.now);
    const validUntil = Math.floor(local.now / 1000) + 30;
    let calls = 0;
    const failure = rpcFailure({ status: 502 });
    await expect(broadcastWhileValid(async () => {
      calls += 1;
      if (calls === 2) local.now += 31_000; // half a minute passes during the outage
      throw failure;
    }, validUntil, clock)).rejects.toBe(failure);
    expect(calls).toBe(2);
  });

  it('stops when told to', async () => {
    const stop = new AbortController();
    let calls = 0;
    const sending = broadcastWhileValid(async () => {
      calls += 1;
      if (calls === 2) stop.abort();
      throw rpcFailure({ status: 503 });
    }, Math.floor(Date.now() / 1000) + 60, new ChainClock(), stop.signal);
    await expect(sending).rejects.toBeDefined();
    expect(calls).toBe(2);
  });
});
