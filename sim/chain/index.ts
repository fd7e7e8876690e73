/** The simulated TON chain as the rest of the world uses it: a toncenter v2 JSON-RPC server that an unchanged
 *  `new TonClient({ endpoint })` talks to, over @ton/sandbox, with blocks every `blockIntervalMs`. */
import type { Address } from '@ton/core';
import type { Blockchain } from '@ton/sandbox';
import { SandboxChain } from './chain.js';
import { toncenterMethods } from './rpc.js';
import { startToncenterServer, type ToncenterServer } from './toncenter-server.js';
import type { TransferFeed } from './transfer.js';

export type { ChainTransfer, TransferFeed } from './transfer.js';
export { ToncenterError, type ToncenterErrorCode } from './errors.js';

export interface ChainOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Time between blocks; queued external messages apply only when a block is produced. Default 1000. */
  blockIntervalMs?: number;
  /** When set, requests without it are limited to 1 rps like toncenter and get 429; a wrong key gets 401. */
  apiKey?: string;
  /** Largest request body accepted, in bytes (413 above). Default 1 MiB. */
  maxBodyBytes?: number;
}

export interface SimChain extends TransferFeed {
  /** 'http://127.0.0.1:PORT/jsonRPC' */
  readonly endpoint: string;
  /** The sandbox, for tests that need to look deeper. */
  readonly blockchain: Blockchain;
  /** Deploy-free funding: credits `amount` nanotons to the WalletV5R1 (workchain 0, default wallet id) of this
   *  public key, applied at once by a transfer from a faucet. Returns its address. An already deployed wallet pays
   *  its usual small receive fee out of the amount, as on the network. */
  fundWalletV5R1(publicKey: Buffer, amount: bigint): Promise<Address>;
  /** A named treasury address (a sandbox treasury), e.g. the store's receiving wallet. */
  treasury(name: string): Promise<Address>;
  /** Balance in nanotons. */
  balance(address: Address | string): Promise<bigint>;
  /** Number of blocks produced and external messages applied so far (for benchmarks). */
  stats(): { blocks: number; externalsApplied: number; externalsRejected: number };
  /** Produces a block now (applies queued external messages); tests use it to avoid waiting a block interval. */
  produceBlock(): Promise<void>;
  /** Moves the chain's clock `seconds` ahead of the wall clock from the next block on: a test proves a message
   *  expired (its valid_until passed on chain) without waiting for it in real time. */
  advanceTime(seconds: number): void;
  /** Stops the block producer and the server. */
  close(): Promise<void>;
}

const DEFAULT_BLOCK_INTERVAL_MS = 1000;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Creates a fresh chain, starts its block producer and its toncenter server. */
export async function startChain(opts: ChainOptions = {}): Promise<SimChain> {
  const chain = await SandboxChain.create();
  chain.start(opts.blockIntervalMs ?? DEFAULT_BLOCK_INTERVAL_MS);
  let server: ToncenterServer;
  try {
    server = await startToncenterServer({
      host: opts.host ?? '127.0.0.1',
      port: opts.port ?? 0,
      methods: toncenterMethods(chain),
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      ...(opts.apiKey === undefined ? {} : { apiKey: opts.apiKey }),
    });
  } catch (e) {
    await chain.stop();
    throw e;
  }

  let closing: Promise<void> | undefined;
  return {
    endpoint: server.endpoint,
    blockchain: chain.blockchain,
    fundWalletV5R1: (publicKey, amount) => chain.fundWalletV5R1(publicKey, amount),
    treasury: (name) => chain.treasury(name),
    balance: (address) => chain.balance(address),
    stats: () => chain.stats(),
    produceBlock: () => chain.produceBlock(),
    advanceTime: (seconds) => chain.advanceTime(seconds),
    transfersTo: (address) => chain.transfersTo(address),
    onTransfer: (listener) => chain.onTransfer(listener),
    close: () => (closing ??= Promise.all([server.close(), chain.stop()]).then(() => undefined)),
  };
}
