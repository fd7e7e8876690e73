/** A handler's answer as TL bytes: a TL object (by its own GramJS serialiser, or in the client's layer by that
 *  layer's codec), a Bool, or a boxed vector (0x1cb5c415, count, items) of TL objects, longs (given as bigint) or
 *  ints (given as number). */
import type { LayerCodec } from '../layers/layer-codec.js';
import type { RpcAnswer } from '../rpc.js';
import { TL_BOOL_FALSE, TL_BOOL_TRUE, TL_VECTOR, TlWriter } from './tl-bytes.js';

/** The bytes of an answer. Throws TypeError for something that is none of the allowed shapes (a handler bug). */
export function serializeRpcAnswer(answer: RpcAnswer, codec?: LayerCodec): Buffer {
  if (typeof answer === 'boolean') return new TlWriter().ctor(answer ? TL_BOOL_TRUE : TL_BOOL_FALSE).finish();
  if (Array.isArray(answer)) {
    const out = new TlWriter().ctor(TL_VECTOR).int(answer.length);
    for (const item of answer as readonly unknown[]) writeItem(out, item, codec);
    return out.finish();
  }
  return objectBytes(answer, codec);
}

function writeItem(out: TlWriter, item: unknown, codec: LayerCodec | undefined): void {
  if (typeof item === 'bigint') {
    if (item < -(1n << 63n) || item >= 1n << 64n) throw new TypeError(`vector item ${item} does not fit a long`);
    out.long(item);
  } else if (typeof item === 'number') {
    if (!Number.isInteger(item) || item < -(2 ** 31) || item >= 2 ** 32) throw new TypeError(`vector item ${item} is not an int`);
    out.int(item | 0);
  } else {
    out.raw(objectBytes(item, codec));
  }
}

function objectBytes(value: unknown, codec: LayerCodec | undefined): Buffer {
  if (codec && typeof value === 'object' && value !== null && 'className' in value) return codec.encode(value);
  if (typeof value === 'object' && value !== null && 'getBytes' in value && typeof value.getBytes === 'function') {
    const bytes: unknown = value.getBytes();
    if (Buffer.isBuffer(bytes)) return bytes;
  }
  throw new TypeError(`handler answered ${describe(value)}, which is not a TL object, a boolean or a vector`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return 'className' in value ? String(value.className) : 'an object';
  return typeof value;
}
