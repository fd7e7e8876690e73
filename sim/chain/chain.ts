/** The simulated TON chain: the real TVM and wallet contracts of @ton/sandbox, plus what a network adds around
 *  them. External messages are checked against the current state when submitted, queued, and applied only when
 *  the next block is produced (every `blockIntervalMs`), so confirmation takes real time as on the network. Every
 *  applied transaction goes into a per-account history, and every internal message received into the transfer
 *  feed. All access to the sandbox goes through one FIFO lane, so a check that runs a message on the live state
 *  and restores it can never interleave with a block or a read. */
import { Address, type Cell, external, type Message, type Transaction, type TupleItem } from '@ton/core';
import { WalletContractV5R1 } from '@ton/ton';
import { Blockchain, EmulationError, GetMethodError } from '@ton/sandbox';
import { bulkhead } from 'cockatiel';
import { accountView, uint256, type AccountView } from './account-view.js';
import { blockRef, type BlockRef } from './block.js';
import { ToncenterError } from './errors.js';
import { feesOf, type ExternalFees } from './external-fees.js';
import { parseExternalBoc, type ExternalIn } from './external-message.js';
import { TransactionHistory, type HistoryQuery, type RecordedTransaction } from './history.js';
import { TransferLog, transferOf } from './transfer-log.js';
import type { ChainTransfer, TransferFeed } from './transfer.js';

/** Result of a get-method: exit code 0 or 1 is success; an undeployed account answers -13 as tonlib does. */
export interface GetMethodOutcome {
  readonly exitCode: number;
  readonly gasUsed: bigint;
  readonly stack: TupleItem[];
}

export interface ChainStats {
  blocks: number;
  externalsApplied: number;
  externalsRejected: number;
}

/** Funding comes from this treasury; it is topped up (minted) whenever it runs low. */
const FAUCET = 'automint-sim-faucet';
const FAUCET_FLOAT = 1_000_000_000_000_000n; // 1M TON in nanotons
/** tonlib's exit code for a get-method on an account without code. */
const EXIT_NOT_ACTIVE = -13;

export class SandboxChain implements TransferFeed {
  private readonly lane = bulkhead(1, Number.POSITIVE_INFINITY);
  private readonly history = new TransactionHistory();
  private readonly transfers = new TransferLog();
  /** Accepted external messages waiting for the next block, by message hash (a resubmission is not queued twice). */
  private readonly pending = new Map<string, Message>();
  private readonly counters: ChainStats = { blocks: 0, externalsApplied: 0, externalsRejected: 0 };
  private readonly genesis: BlockRef;
  private last: BlockRef;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** How far the chain's clock runs ahead of the wall clock (see advanceTime). */
  private aheadSec = 0;

  private constructor(readonly blockchain: Blockchain) {
    const utime = unixNow();
    blockchain.now = utime;
    this.genesis = blockRef(0, utime);
    this.last = blockRef(1, utime);
  }

  /** A fresh chain; blocks are produced only once `start` is called (or on `produceBlock`). */
  static async create(): Promise<SandboxChain> {
    return new SandboxChain(await Blockchain.create());
  }

  /** Starts producing a block every `intervalMs` (the timer does not keep the process alive). */
  start(intervalMs: number): void {
    if (!(intervalMs > 0)) throw new RangeError(`block interval must be a positive number of ms, got ${intervalMs}`);
    if (this.timer !== undefined || this.closed) throw new RangeError('the block producer is already started or stopped');
    const tick = (): void => {
      if (this.closed) return;
      const started = Date.now();
      this.produceBlock()
        .catch((e: unknown) => process.emitWarning(`block production failed: ${(e as Error).message}`))
        .finally(() => {
          if (this.closed) return;
          this.timer = setTimeout(tick, Math.max(0, intervalMs - (Date.now() - started)));
          this.timer.unref();
        });
    };
    this.timer = setTimeout(tick, intervalMs);
    this.timer.unref();
  }

  /** Moves the chain's clock `seconds` ahead of the wall clock from now on (blocks, and the valid_until checks of
   *  messages, see the later time): a test proves a message expired without waiting for it in real time. */
  advanceTime(seconds: number): void {
    if (!(seconds >= 0)) throw new RangeError(`the chain's clock only moves forward, got ${seconds} s`);
    this.aheadSec += seconds;
  }

  /** Stops the block producer and waits for a block in progress. Queued messages are dropped. */
  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.exclusive(async () => undefined);
    this.pending.clear();
  }

  /** Produces a block now: applies every queued external message in order, records and publishes the result. */
  produceBlock(): Promise<void> {
    return this.exclusive(() => this.buildBlock());
  }

  /** Checks an external message (base64 BOC) against the current state and queues it for the next block. */
  async submitExternal(bocBase64: string): Promise<ExternalIn> {
    const ext = parseExternalBoc(bocBase64);
    return this.exclusive(async () => {
      const key = ext.hash.toString('hex');
      if (this.pending.has(key)) return ext;
      await this.dryRun(ext.message, { ignoreChksig: false });
      this.pending.set(key, ext.message);
      return ext;
    });
  }

  /** Fees of an external message with `body` (and StateInit, for an undeployed account), without applying it. */
  estimateExternalFee(address: Address, body: Cell, init: { code: Cell; data: Cell } | null, ignoreChksig: boolean): Promise<ExternalFees> {
    const message = external({ to: address, body, init: init ?? undefined });
    return this.exclusive(async () => feesOf(await this.dryRun(message, { ignoreChksig })));
  }

  /** The account at the last block. */
  account(address: Address): Promise<AccountView> {
    return this.exclusive(async () => accountView(await this.blockchain.getContract(address)));
  }

  /** Runs a get-method on the current state; TVM failures come back as exit codes, not errors. */
  runGetMethod(address: Address, method: string | number, stack: TupleItem[]): Promise<GetMethodOutcome> {
    return this.exclusive(async () => {
      const contract = await this.blockchain.getContract(address);
      if (contract.accountState?.type !== 'active') return { exitCode: EXIT_NOT_ACTIVE, gasUsed: 0n, stack: [] };
      try {
        const r = await contract.get(method, stack);
        return { exitCode: r.exitCode, gasUsed: r.gasUsed, stack: r.stack };
      } catch (e) {
        if (e instanceof GetMethodError) return { exitCode: e.exitCode, gasUsed: e.gasUsed, stack: [] };
        throw e;
      }
    });
  }

  /** Transactions of `address`, newest first. */
  transactions(address: Address, query: HistoryQuery): Promise<RecordedTransaction[]> {
    return this.exclusive(async () => this.history.list(address, query));
  }

  /** The last produced block and the first one. */
  blocks(): { last: BlockRef; init: BlockRef } {
    return { last: this.last, init: this.genesis };
  }

  /** Credits `amount` nanotons to the default WalletV5R1 of `publicKey` at once, by a real transfer. */
  async fundWalletV5R1(publicKey: Buffer, amount: bigint): Promise<Address> {
    if (amount <= 0n) throw new RangeError(`funding amount must be positive nanotons, got ${amount}`);
    const wallet = WalletContractV5R1.create({ workchain: 0, publicKey });
    return this.exclusive(async () => {
      this.advanceClock();
      const faucet = await this.blockchain.treasury(FAUCET);
      const faucetAccount = await this.blockchain.getContract(faucet.address);
      if (faucetAccount.balance < amount + FAUCET_FLOAT / 2n) faucetAccount.balance += amount + FAUCET_FLOAT;
      const result = await faucet.send({ to: wallet.address, value: amount, bounce: false });
      this.publish(this.record(result.transactions));
      return wallet.address;
    });
  }

  /** The address of a named sandbox treasury (an active wallet holding 1M TON). */
  treasury(name: string): Promise<Address> {
    return this.exclusive(async () => (await this.blockchain.treasury(name)).address);
  }

  /** Balance in nanotons. */
  balance(address: Address | string): Promise<bigint> {
    const parsed = typeof address === 'string' ? Address.parse(address) : address;
    return this.exclusive(async () => (await this.blockchain.getContract(parsed)).balance);
  }

  stats(): ChainStats {
    return { ...this.counters };
  }

  transfersTo(address: string): readonly ChainTransfer[] {
    return this.transfers.transfersTo(address);
  }

  onTransfer(listener: (t: ChainTransfer) => void): () => void {
    return this.transfers.onTransfer(listener);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.lane.execute(fn);
  }

  private async buildBlock(): Promise<void> {
    const queued = [...this.pending.values()];
    this.pending.clear();
    this.advanceClock();
    const transfers: ChainTransfer[] = [];
    for (const message of queued) {
      try {
        const result = await this.blockchain.sendMessage(message);
        transfers.push(...this.record(result.transactions));
        this.counters.externalsApplied++;
      } catch (e) {
        // An earlier message of this block changed the state (e.g. used the same seqno): the node drops it.
        if (!(e instanceof EmulationError)) process.emitWarning(`external message failed in block: ${(e as Error).message}`);
        this.counters.externalsRejected++;
      }
    }
    this.last = blockRef(this.last.seqno + 1, this.blockchain.now ?? unixNow());
    this.counters.blocks++;
    this.publish(transfers);
  }

  /** Runs `message` on its account alone and restores the account: what the node checks before relaying it. */
  private async dryRun(message: Message, opts: { ignoreChksig: boolean }): Promise<Transaction> {
    const dest = message.info.dest;
    if (!Address.isAddress(dest)) throw new ToncenterError('BOC_INVALID', 'LITE_SERVER_UNKNOWN: message has no destination');
    const contract = await this.blockchain.getContract(dest);
    const saved = contract.snapshot();
    try {
      return await contract.receiveMessage(message, { now: Math.max(this.clockNow(), this.blockchain.now ?? 0), ...opts });
    } catch (e) {
      if (e instanceof EmulationError) throw rejected(dest, e);
      throw e;
    } finally {
      contract.loadFrom(saved);
    }
  }

  private record(txs: readonly Transaction[]): ChainTransfer[] {
    const transfers: ChainTransfer[] = [];
    for (const tx of txs) {
      const recorded = this.history.record(accountOf(tx), tx);
      const transfer = transferOf(tx, recorded.hash);
      if (transfer) transfers.push(transfer);
    }
    return transfers;
  }

  private publish(transfers: readonly ChainTransfer[]): void {
    for (const t of transfers) this.transfers.publish(t);
  }

  /** Wallets check valid_until against the block time, so blocks carry the chain's clock (never going back). */
  private advanceClock(): void {
    this.blockchain.now = Math.max(this.blockchain.now ?? 0, this.clockNow());
  }

  /** The chain's clock: the wall clock plus what advanceTime added. */
  private clockNow(): number {
    return unixNow() + this.aheadSec;
  }
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** The account a transaction belongs to: its inbound message's destination (every transaction here has one). */
function accountOf(tx: Transaction): Address {
  const dest = tx.inMessage?.info.dest;
  if (Address.isAddress(dest)) return dest;
  return new Address(0, uint256(tx.address));
}

function rejected(dest: Address, e: EmulationError): ToncenterError {
  const exit = e.exitCode === undefined ? '' : `\nexitcode=${e.exitCode}`;
  return new ToncenterError(
    'EXTERNAL_REJECTED',
    'LITE_SERVER_UNKNOWN: cannot apply external message to current state : External message was not accepted\n' +
      `Cannot run message on account: inbound external message rejected by transaction ${dest.hash.toString('hex').toUpperCase()}:${exit}`,
    { account: dest.toRawString(), exitCode: e.exitCode ?? null },
  );
}
