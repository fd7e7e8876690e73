/** The toncenter v2 JSON-RPC methods the simulated chain serves, with toncenter's parameter names and result
 *  shapes (the ones @ton/ton's TonClient validates with its zod schemas, plus the fields toncenter adds).
 *  Parameters are validated here; a bad one answers 422 and a bad address 416, as toncenter does. The simulator
 *  keeps only the current state, so a `seqno` asking for an older block's state is accepted and ignored. */
import { Address, Cell } from '@ton/core';
import { z } from 'zod';
import type { BlockRef } from './block.js';
import type { SandboxChain } from './chain.js';
import { ToncenterError } from './errors.js';
import { transactionToToncenter } from './toncenter-transaction.js';
import { stackFromToncenter, stackToToncenter } from './tvm-stack.js';

/** One JSON-RPC method: validated params in, the `result` value out; failures are ToncenterErrors. */
export type RpcMethod = (params: unknown) => Promise<unknown>;

const ZERO_HASH = Buffer.alloc(32).toString('base64');
const MAX_TRANSACTIONS = 1000;

const address = z.string().transform((text, ctx) => {
  try {
    return Address.parse(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'Incorrect address', params: { address: true } });
    return z.NEVER;
  }
});
/** lt values travel as decimal strings (they exceed JSON's safe integers) or as small numbers. */
const uint64 = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((v) => BigInt(v));
const base64Boc = z.string().transform((text, ctx) => {
  try {
    return Cell.fromBase64(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a base64 bag of cells' });
    return z.NEVER;
  }
});
/** toncenter takes transaction hashes as 64 hex digits or as (URL-safe) base64. */
const txHash = z.string().transform((text, ctx) => {
  const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (bytes.length !== 32) {
    ctx.addIssue({ code: 'custom', message: 'Invalid hash: expected 32 bytes as hex or base64' });
    return z.NEVER;
  }
  return bytes;
});

const schemas = {
  account: z.object({ address, seqno: z.number().int().optional() }),
  runGetMethod: z.object({
    address,
    method: z.union([z.string().min(1), z.number().int()]),
    stack: z.array(z.unknown()).default([]),
  }),
  sendBoc: z.object({ boc: z.string().min(1) }),
  estimateFee: z.object({
    address,
    body: base64Boc,
    init_code: z.string().default(''),
    init_data: z.string().default(''),
    ignore_chksig: z.boolean().default(true),
  }),
  getTransactions: z.object({
    address,
    limit: z.coerce.number().int().min(1).max(MAX_TRANSACTIONS).default(10),
    lt: uint64.optional(),
    hash: txHash.optional(),
    to_lt: uint64.default(0n),
    archival: z.unknown().optional(),
  }),
};

/** The method table, by JSON-RPC method name. */
export function toncenterMethods(chain: SandboxChain): ReadonlyMap<string, RpcMethod> {
  const methods: Record<string, RpcMethod> = {
    async getAddressInformation(params) {
      const p = parse(schemas.account, params);
      const a = await chain.account(p.address);
      return {
        '@type': 'raw.fullAccountState',
        balance: a.balance.toString(),
        extra_currencies: [],
        code: a.code ? boc(a.code) : '',
        data: a.data ? boc(a.data) : '',
        last_transaction_id: transactionId(a.lastTransaction),
        block_id: blockIdExt(chain.blocks().last),
        frozen_hash: a.frozenHash ? a.frozenHash.toString('base64') : '',
        sync_utime: chain.blocks().last.utime,
        state: a.state,
      };
    },

    async getAddressBalance(params) {
      return (await chain.account(parse(schemas.account, params).address)).balance.toString();
    },

    async getAddressState(params) {
      return (await chain.account(parse(schemas.account, params).address)).state;
    },

    async runGetMethod(params) {
      const p = parse(schemas.runGetMethod, params);
      const r = await chain.runGetMethod(p.address, p.method, stackFromToncenter(p.stack));
      return {
        '@type': 'smc.runResult',
        // Gas is a count, not an amount; the wire format wants a JSON number.
        gas_used: Number(r.gasUsed),
        stack: stackToToncenter(r.stack),
        exit_code: r.exitCode,
        block_id: blockIdExt(chain.blocks().last),
      };
    },

    async sendBoc(params) {
      await chain.submitExternal(parse(schemas.sendBoc, params).boc);
      return { '@type': 'ok' };
    },

    async sendBocReturnHash(params) {
      const ext = await chain.submitExternal(parse(schemas.sendBoc, params).boc);
      return { '@type': 'raw.extMessageInfo', hash: ext.hash.toString('base64'), hash_norm: ext.normalizedHash.toString('base64') };
    },

    async estimateFee(params) {
      const p = parse(schemas.estimateFee, params);
      const init = p.init_code && p.init_data ? { code: cellParam(p.init_code, 'init_code'), data: cellParam(p.init_data, 'init_data') } : null;
      const fees = await chain.estimateExternalFee(p.address, p.body, init, p.ignore_chksig);
      return {
        '@type': 'query.fees',
        // toncenter sends fees as JSON numbers (TonClient's schema insists); nanoton fees are far below 2^53.
        source_fees: {
          '@type': 'fees',
          in_fwd_fee: Number(fees.inFwdFee),
          storage_fee: Number(fees.storageFee),
          gas_fee: Number(fees.gasFee),
          fwd_fee: Number(fees.fwdFee),
        },
        destination_fees: [],
      };
    },

    async getTransactions(params) {
      const p = parse(schemas.getTransactions, params);
      // As in pytonlib: without both lt and hash the listing starts at the newest transaction.
      const from = p.lt !== undefined && p.hash !== undefined ? { lt: p.lt, hash: p.hash } : undefined;
      const list = await chain.transactions(p.address, { limit: p.limit, toLt: p.to_lt, ...(from ? { from } : {}) });
      return list.map((r) => transactionToToncenter(r.account, r.tx, r.hash));
    },

    async getMasterchainInfo() {
      const { last, init } = chain.blocks();
      return {
        '@type': 'blocks.masterchainInfo',
        last: blockIdExt(last),
        state_root_hash: last.rootHash.toString('base64'),
        init: blockIdExt(init),
      };
    },
  };
  return new Map(Object.entries(methods));
}

function parse<S extends z.ZodType>(schema: S, params: unknown): z.output<S> {
  const result = schema.safeParse(params ?? {});
  if (result.success) return result.data;
  const addressIssue = result.error.issues.find((i) => i.code === 'custom' && i.path[0] === 'address' && i.params?.['address']);
  if (addressIssue) throw new ToncenterError('ADDRESS_INVALID', 'Incorrect address');
  const what = result.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ');
  throw new ToncenterError('PARAMS_INVALID', `Validation error: ${what}`, { fields: result.error.issues.map((i) => i.path.join('.')) });
}

function cellParam(text: string, name: string): Cell {
  try {
    return Cell.fromBase64(text);
  } catch {
    throw new ToncenterError('PARAMS_INVALID', `Validation error: ${name}: not a base64 bag of cells`, { fields: [name] });
  }
}

function boc(cell: Cell): string {
  return cell.toBoc({ idx: false }).toString('base64');
}

function transactionId(last: { lt: bigint; hash: Buffer } | null): { '@type': 'internal.transactionId'; lt: string; hash: string } {
  return { '@type': 'internal.transactionId', lt: last ? last.lt.toString() : '0', hash: last ? last.hash.toString('base64') : ZERO_HASH };
}

/** A masterchain block id in tonlib's `ton.blockIdExt` shape. */
function blockIdExt(block: BlockRef) {
  return {
    '@type': 'ton.blockIdExt' as const,
    workchain: -1,
    shard: '-9223372036854775808',
    seqno: block.seqno,
    root_hash: block.rootHash.toString('base64'),
    file_hash: block.fileHash.toString('base64'),
  };
}
