/** An account as toncenter describes it (balance, state, code, data, last transaction), read from the sandbox. */
import type { Cell } from '@ton/core';
import type { SmartContract } from '@ton/sandbox';

/** An account at the last block. */
export interface AccountView {
  readonly balance: bigint;
  readonly state: 'active' | 'uninitialized' | 'frozen';
  readonly code: Cell | null;
  readonly data: Cell | null;
  readonly frozenHash: Buffer | null;
  readonly lastTransaction: { readonly lt: bigint; readonly hash: Buffer } | null;
}

/** The view of a sandbox contract; an address never seen reads as uninitialized with nothing on it. */
export function accountView(contract: SmartContract): AccountView {
  const state = contract.accountState;
  const lastLt = contract.lastTransactionLt;
  return {
    balance: contract.balance,
    state: state?.type === 'active' ? 'active' : state?.type === 'frozen' ? 'frozen' : 'uninitialized',
    code: state?.type === 'active' ? (state.state.code ?? null) : null,
    data: state?.type === 'active' ? (state.state.data ?? null) : null,
    frozenHash: state?.type === 'frozen' ? uint256(state.stateHash) : null,
    lastTransaction: lastLt === 0n ? null : { lt: lastLt, hash: uint256(contract.lastTransactionHash) },
  };
}

/** A 256-bit number (hashes are kept as bigints by the sandbox) as 32 bytes. */
export function uint256(value: bigint): Buffer {
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
}
