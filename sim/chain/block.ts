/** Masterchain blocks of the simulated chain: a seqno that grows by one per block, the block's time, and stable
 *  made-up hashes (no real block is built; clients only compare and echo them). */
import { createHash } from 'node:crypto';

/** One produced masterchain block, as far as clients can see it. */
export interface BlockRef {
  readonly seqno: number;
  /** Unix seconds the block was produced at. */
  readonly utime: number;
  readonly rootHash: Buffer;
  readonly fileHash: Buffer;
}

/** The block with `seqno`, produced at `utime` (unix seconds). */
export function blockRef(seqno: number, utime: number): BlockRef {
  const digest = (part: string): Buffer => createHash('sha256').update(`automint-sim-block:${seqno}:${part}`).digest();
  return { seqno, utime, rootHash: digest('root'), fileHash: digest('file') };
}
