/** A codec for one TL layer other than GramJS's: reads queries into GramJS objects and writes GramJS answers, both by
 *  the layer's schema. */
import { decodeInLayer } from './layer-decoder.js';
import { encodeInLayer, type FieldSources } from './layer-encoder.js';
import type { TlSchema } from './tl-schema.js';

/** Reads queries and writes answers in one layer other than GramJS's. */
export interface LayerCodec {
  readonly layer: number;
  /** True when the layer has a constructor or method of this id. */
  knows(constructorId: number): boolean;
  /** The query (a GramJS object of the same name). Throws UnknownConstructorError, TlDecodeError or
   *  UnservedFieldError. */
  decode(bytes: Buffer): object;
  /** The answer's bytes. Throws LayerEncodeError. */
  encode(value: object): Buffer;
}

/** A codec over a schema; `sources` names the fields the layer renamed from GramJS's. */
export function codecOf(schema: TlSchema, sources: FieldSources = {}): LayerCodec {
  return {
    layer: schema.layer,
    knows: (id) => schema.byId.has(id >>> 0),
    decode: (bytes) => decodeInLayer(schema, bytes),
    encode: (value) => encodeInLayer(schema, value, sources),
  };
}
