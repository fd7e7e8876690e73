import { randomBytes } from 'node:crypto';
import { beginCell, Cell, external, internal, SendMode, storeMessage, TonClient, WalletContractV5R1, type Address, type Transaction } from '@ton/ton';
import { keyPairFromSeed, type KeyPair } from '@ton/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internal as sandboxInternal } from '@ton/sandbox';
import { startChain, type ChainTransfer, type SimChain } from '../../../sim/chain/index.js';

const TON = 1_000_000_000n;
/** Long enough that no block is produced on its own while a test looks at the state between two blocks. */
const MANUAL_BLOCKS_MS = 3_600_000;

function newKeys(): KeyPair {
  return keyPairFromSeed(randomBytes(32));
}

function commentOf(tx: Transaction): string | null {
  const body = tx.inMessage?.body.beginParse();
  if (!body || body.remainingBits < 32 || body.loadUint(32) !== 0) return null;
  return body.loadStringTail();
}

function valueOf(tx: Transaction): bigint {
  const info = tx.inMessage?.info;
  return info?.type === 'internal' ? info.value.coins : 0n;
}

interface HttpFailure {
  response: { status: number; data: { ok: boolean; error: string; code: number } };
}

/** TonClient's HTTP layer (axios) rejects non-2xx answers with the status and body on `response`. */
function isHttpFailure(e: unknown): e is HttpFailure {
  return typeof e === 'object' && e !== null && 'response' in e && typeof (e as HttpFailure).response?.status === 'number';
}

/** The toncenter error body of a failed TonClient call. */
async function toncenterFailure(call: Promise<unknown>): Promise<{ status: number; body: { ok: boolean; error: string; code: number } }> {
  try {
    await call;
  } catch (e) {
    if (isHttpFailure(e)) return { status: e.response.status, body: e.response.data };
    throw e;
  }
  throw new Error('expected the call to fail');
}

/** A raw JSON-RPC call, for the fields TonClient does not surface. */
// any: the body is whatever JSON the called method returns; each test reads the few fields it checks.
async function rpc(endpoint: string, method: string, params: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: '1', jsonrpc: '2.0', method, params }) });
  return { status: res.status, body: await res.json() };
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('simulated chain through an unchanged TonClient', () => {
  let chain: SimChain;
  let client: TonClient;
  let keys: KeyPair;
  let wallet: WalletContractV5R1;
  let store: Address;

  beforeAll(async () => {
    chain = await startChain({ blockIntervalMs: MANUAL_BLOCKS_MS });
    client = new TonClient({ endpoint: chain.endpoint });
    keys = newKeys();
    wallet = WalletContractV5R1.create({ workchain: 0, publicKey: keys.publicKey });
    store = await chain.treasury('store');
  });

  afterAll(async () => {
    await chain?.close();
  });

  /** Sends a signed transfer through TonClient's provider (it attaches StateInit while the wallet is undeployed). */
  async function pay(to: Address, amount: bigint, comment: string): Promise<void> {
    const opened = client.open(wallet);
    await opened.sendTransfer({
      seqno: await opened.getSeqno(),
      secretKey: keys.secretKey,
      sendMode: SendMode.PAY_GAS_SEPARATELY,
      messages: [internal({ to, value: amount, body: comment, bounce: false })],
    });
  }

  function signedBoc(seqno: number, to: Address, amount: bigint, comment: string, timeout?: number): Buffer {
    const body = wallet.createTransfer({
      seqno,
      secretKey: keys.secretKey,
      sendMode: SendMode.PAY_GAS_SEPARATELY,
      messages: [internal({ to, value: amount, body: comment, bounce: false })],
      ...(timeout === undefined ? {} : { timeout }),
    });
    return beginCell().store(storeMessage(external({ to: wallet.address, body }))).endCell().toBoc();
  }

  it('funds an undeployed V5R1 wallet with exactly the amount', async () => {
    const address = await chain.fundWalletV5R1(keys.publicKey, 5n * TON);
    expect(address.equals(wallet.address)).toBe(true);
    expect(await client.getBalance(wallet.address)).toBe(5n * TON);
    expect((await client.getContractState(wallet.address)).state).toBe('uninitialized');
    expect(await client.open(wallet).getSeqno()).toBe(0);
    expect(await chain.balance(wallet.address.toString())).toBe(5n * TON);
  });

  it('applies a transfer only when the next block is produced', async () => {
    const storeBefore = await client.getBalance(store);
    const blockBefore = (await client.getMasterchainInfo()).latestSeqno;

    await pay(store, 1_500_000_000n, 'order-42');

    expect(await client.open(wallet).getSeqno()).toBe(0);
    expect((await client.getContractState(wallet.address)).state).toBe('uninitialized');
    expect(await client.getBalance(store)).toBe(storeBefore);
    expect((await client.getMasterchainInfo()).latestSeqno).toBe(blockBefore);

    await chain.produceBlock();

    expect(await client.open(wallet).getSeqno()).toBe(1);
    expect((await client.getContractState(wallet.address)).state).toBe('active');
    expect((await client.getMasterchainInfo()).latestSeqno).toBe(blockBefore + 1);
    const [received] = await client.getTransactions(store, { limit: 1 });
    expect(valueOf(received!)).toBe(1_500_000_000n);
    expect(await client.getBalance(store)).toBe(storeBefore + 1_500_000_000n - received!.totalFees.coins);
  });

  it('lists the destination transaction with its comment and exact amount', async () => {
    const txs = await client.getTransactions(store, { limit: 10 });
    const paid = txs.find((tx) => commentOf(tx) === 'order-42');
    expect(paid).toBeDefined();
    expect(valueOf(paid!)).toBe(1_500_000_000n);

    const raw = await rpc(chain.endpoint, 'getTransactions', { address: store.toString(), limit: 1 });
    expect(raw.body.result[0].in_msg.message).toBe('order-42');
    expect(raw.body.result[0].in_msg.value).toBe('1500000000');
    expect(raw.body.result[0].in_msg.source).toBe(wallet.address.toString({ urlSafe: true, bounceable: true }));
  });

  it('pages the history by lt and hash, inclusive of the start, and stops above to_lt', async () => {
    for (const n of [1, 2, 3]) {
      await pay(store, TON / 100n, `page-${n}`);
      await chain.produceBlock();
    }
    const newest = await client.getTransactions(store, { limit: 4 });
    expect(newest.map(commentOf)).toEqual(['page-3', 'page-2', 'page-1', 'order-42']);
    const [, second, third, fourth] = newest;

    const inclusive = await client.getTransactions(store, { limit: 2, lt: second!.lt.toString(), hash: second!.hash().toString('base64'), inclusive: true });
    expect(inclusive.map(commentOf)).toEqual(['page-2', 'page-1']);

    const after = await client.getTransactions(store, { limit: 2, lt: second!.lt.toString(), hash: second!.hash().toString('base64') });
    expect(after.map(commentOf)).toEqual(['page-1', 'order-42']);

    const bounded = await client.getTransactions(store, { limit: 10, to_lt: fourth!.lt.toString() });
    expect(bounded.map(commentOf)).toEqual(['page-3', 'page-2', 'page-1']);

    const one = await client.getTransaction(store, third!.lt.toString(), third!.hash().toString('base64'));
    expect(one && commentOf(one)).toBe('page-1');

    const unknown = await rpc(chain.endpoint, 'getTransactions', { address: store.toString(), limit: 1, lt: '1', hash: 'ab'.repeat(32) });
    expect(unknown.status).toBe(500);
    expect(unknown.body.ok).toBe(false);
  });

  it('tells transfer listeners about each transfer once its block is produced', async () => {
    const seen: ChainTransfer[] = [];
    const unsubscribe = chain.onTransfer((t) => seen.push(t));
    try {
      await pay(store, 250_000_000n, 'feed-1');
      expect(seen).toEqual([]);
      expect(chain.transfersTo(store.toString()).some((t) => t.comment === 'feed-1')).toBe(false);

      await chain.produceBlock();

      const toStore = seen.filter((t) => t.to === store.toRawString());
      expect(toStore).toHaveLength(1);
      expect(toStore[0]).toMatchObject({ from: wallet.address.toRawString(), amount: 250_000_000n, comment: 'feed-1', success: true });
      const recorded = chain.transfersTo(store.toString({ bounceable: false }));
      expect(recorded[recorded.length - 1]).toEqual(toStore[0]);
    } finally {
      unsubscribe();
    }
  });

  it('rejects the same signed BOC sent again after it applied, and moves no money twice', async () => {
    const boc = signedBoc(await client.open(wallet).getSeqno(), store, TON / 10n, 'once');
    await client.sendFile(boc);
    await chain.produceBlock();
    const walletAfter = await client.getBalance(wallet.address);
    const storeAfter = await client.getBalance(store);
    const applied = chain.stats().externalsApplied;

    const failure = await toncenterFailure(client.sendFile(boc));
    expect(failure.status).toBe(500);
    expect(failure.body).toMatchObject({ ok: false, code: 500 });
    expect(failure.body.error).toContain('cannot apply external message to current state');

    await chain.produceBlock();
    expect(await client.getBalance(wallet.address)).toBe(walletAfter);
    expect(await client.getBalance(store)).toBe(storeAfter);
    expect(chain.stats().externalsApplied).toBe(applied);
  });

  it('applies a BOC submitted twice before its block only once', async () => {
    const seqno = await client.open(wallet).getSeqno();
    const boc = signedBoc(seqno, store, TON / 10n, 'twice');
    const walletBefore = await client.getBalance(wallet.address);
    const before = chain.stats();
    await client.sendFile(boc);
    await client.sendFile(boc);
    await chain.produceBlock();
    expect(chain.stats().externalsApplied).toBe(before.externalsApplied + 1);
    expect(chain.stats().externalsRejected).toBe(before.externalsRejected);
    expect(await client.open(wallet).getSeqno()).toBe(seqno + 1);
    expect(walletBefore - (await client.getBalance(wallet.address))).toBeLessThan(TON / 10n + TON / 100n);
  });

  it('drops the second of two messages with the same seqno in one block and counts it', async () => {
    const seqno = await client.open(wallet).getSeqno();
    const before = chain.stats();
    await client.sendFile(signedBoc(seqno, store, TON / 100n, 'same-seqno-a'));
    await client.sendFile(signedBoc(seqno, store, TON / 100n, 'same-seqno-b'));
    await chain.produceBlock();
    expect(chain.stats()).toEqual({
      blocks: before.blocks + 1,
      externalsApplied: before.externalsApplied + 1,
      externalsRejected: before.externalsRejected + 1,
    });
    const [last] = await client.getTransactions(store, { limit: 1 });
    expect(commentOf(last!)).toBe('same-seqno-a');
    expect(await client.open(wallet).getSeqno()).toBe(seqno + 1);
  });

  it('rejects a transfer whose valid_until has passed', async () => {
    const seqno = await client.open(wallet).getSeqno();
    const expired = signedBoc(seqno, store, TON / 100n, 'late', Math.floor(Date.now() / 1000) - 5);
    const failure = await toncenterFailure(client.sendFile(expired));
    expect(failure.body.error).toContain('cannot apply external message');
    await chain.produceBlock();
    expect(await client.open(wallet).getSeqno()).toBe(seqno);
  });

  it('estimates the fees the transfer is then charged, without applying it', async () => {
    const seqno = await client.open(wallet).getSeqno();
    const body = wallet.createTransfer({
      seqno,
      secretKey: keys.secretKey,
      sendMode: SendMode.PAY_GAS_SEPARATELY,
      messages: [internal({ to: store, value: TON / 100n, body: 'estimated', bounce: false })],
    });
    const estimate = await client.estimateExternalMessageFee(wallet.address, { body, initCode: null, initData: null, ignoreSignature: false });
    expect(estimate.source_fees.gas_fee).toBeGreaterThan(0);
    expect(estimate.source_fees.in_fwd_fee).toBeGreaterThan(0);
    expect(estimate.source_fees.fwd_fee).toBeGreaterThan(0);
    expect(await client.open(wallet).getSeqno()).toBe(seqno);

    await client.sendMessage(external({ to: wallet.address, body }));
    await chain.produceBlock();
    const [walletTx] = await client.getTransactions(wallet.address, { limit: 1 });
    const d = walletTx!.description;
    if (d.type !== 'generic' || d.computePhase.type !== 'vm') throw new Error('expected an ordinary transaction');
    expect(BigInt(estimate.source_fees.gas_fee)).toBe(d.computePhase.gasFees);
    expect(BigInt(estimate.source_fees.fwd_fee)).toBe(d.actionPhase?.totalFwdFees ?? 0n);
  });

  it('answers get-methods with exit codes, and -13 for an account without code', async () => {
    const missing = await client.runMethodWithError(store, 'no_such_method');
    expect(missing.exit_code).toBe(11);
    const undeployed = WalletContractV5R1.create({ workchain: 0, publicKey: newKeys().publicKey });
    expect((await client.runMethodWithError(undeployed.address, 'seqno')).exit_code).toBe(-13);
    const subwallet = await client.runMethod(wallet.address, 'get_subwallet_id');
    expect(subwallet.stack.readBigNumber()).toBeGreaterThan(0n);
    const pubkey = await client.runMethod(wallet.address, 'get_public_key');
    expect(pubkey.stack.readBigNumber()).toBe(BigInt('0x' + keys.publicKey.toString('hex')));
  });

  it('reports a message hash and its normalized hash from sendBocReturnHash', async () => {
    const seqno = await client.open(wallet).getSeqno();
    const boc = signedBoc(seqno, store, TON / 100n, 'hashed');
    const res = await rpc(chain.endpoint, 'sendBocReturnHash', { boc: boc.toString('base64') });
    expect(res.body.result['@type']).toBe('raw.extMessageInfo');
    expect(res.body.result.hash).toBe(Cell.fromBoc(boc)[0]!.hash().toString('base64'));
    await chain.produceBlock();
    const [walletTx] = await client.getTransactions(wallet.address, { limit: 1 });
    expect(walletTx!.inMessage && beginCell().store(storeMessage(walletTx!.inMessage)).endCell().hash().toString('base64')).toBe(res.body.result.hash);
  });

  it('refuses malformed BOCs and internal messages on sendBoc', async () => {
    const garbage = await rpc(chain.endpoint, 'sendBoc', { boc: Buffer.from('not a boc').toString('base64') });
    expect(garbage).toMatchObject({ status: 500, body: { ok: false, code: 500 } });
    const notExternal = beginCell().store(storeMessage(sandboxInternal({ from: store, to: store, value: 1n }))).endCell();
    const internalMsg = await rpc(chain.endpoint, 'sendBoc', { boc: notExternal.toBoc().toString('base64') });
    expect(internalMsg.body.ok).toBe(false);
    expect(internalMsg.body.error).toContain('not an inbound external message');
  });
});

describe('simulated chain block producer', () => {
  it('produces blocks on its own and confirms a queued transfer without help', async () => {
    const chain = await startChain({ blockIntervalMs: 50 });
    try {
      const client = new TonClient({ endpoint: chain.endpoint });
      const keys = newKeys();
      const wallet = WalletContractV5R1.create({ workchain: 0, publicKey: keys.publicKey });
      await chain.fundWalletV5R1(keys.publicKey, 2n * TON);
      const start = (await client.getMasterchainInfo()).latestSeqno;
      await waitFor(async () => ((await client.getMasterchainInfo()).latestSeqno >= start + 2 ? true : undefined), 'two blocks');

      const opened = client.open(wallet);
      await opened.sendTransfer({
        seqno: 0,
        secretKey: keys.secretKey,
        sendMode: SendMode.PAY_GAS_SEPARATELY,
        messages: [internal({ to: await chain.treasury('shop'), value: TON / 2n, body: 'auto', bounce: false })],
      });
      await waitFor(async () => ((await opened.getSeqno()) === 1 ? true : undefined), 'the transfer to apply');
      expect(chain.stats().externalsApplied).toBe(1);
    } finally {
      await chain.close();
    }
  });
});
