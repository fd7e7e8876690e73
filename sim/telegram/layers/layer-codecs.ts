/** Which TL layer the simulated Telegram reads a client's queries in and writes its answers in. Telegram answers
 *  in the layer a connection announced with invokeWithLayer; the simulator knows two: GramJS's own (its classes
 *  read and write themselves) and the current public layer (`@mtcute/tl`'s machine-readable copy of Telegram's
 *  published schema, read by this folder's codec). A client announcing any other layer is served in the nearest of
 *  the two (the lower one on a tie), which is as close as a two-schema server gets. */
import { createRequire } from 'node:module';
import { LAYER as GRAMJS_LAYER } from 'telegram/tl/AllTLObjects.js';
import { decodeInLayer } from './layer-decoder.js';
import { encodeInLayer } from './layer-encoder.js';
import { schemaFromMtcute, type MtcuteSchemaFile, type TlSchema } from './tl-schema.js';

export { GRAMJS_LAYER };

/** Reads queries and writes answers in one layer other than GramJS's. */
export interface LayerCodec {
  readonly layer: number;
  /** True when the layer has a constructor or method of this id. */
  knows(constructorId: number): boolean;
  /** The query (a GramJS object of the same name). Throws UnknownConstructor or TlDecodeError. */
  decode(bytes: Buffer): object;
  /** The answer's bytes. Throws LayerEncodeError. */
  encode(value: object): Buffer;
}

/** The public layer the simulator serves besides GramJS's (`@mtcute/tl`'s version is the layer). */
export const PUBLIC_LAYER = 223;

let publicCodec: LayerCodec | undefined;

/** The codec for an announced layer, or undefined when GramJS's own classes serve it (layer 0: never announced). */
export function codecForLayer(layer: number): LayerCodec | undefined {
  if (layer === 0 || layer === GRAMJS_LAYER) return undefined;
  const nearerToPublic = Math.abs(layer - PUBLIC_LAYER) < Math.abs(layer - GRAMJS_LAYER);
  return nearerToPublic ? publicLayer() : undefined;
}

/** The public layer's codec, loaded on first use (the schema is 2 MB of JSON; GramJS clients never need it). */
export function publicLayer(): LayerCodec {
  if (!publicCodec) publicCodec = codecOf(schemaFromMtcute(loadSchemaFile()));
  return publicCodec;
}

/** A codec over a schema. */
export function codecOf(schema: TlSchema): LayerCodec {
  return {
    layer: schema.layer,
    knows: (id) => schema.byId.has(id >>> 0),
    decode: (bytes) => decodeInLayer(schema, bytes),
    encode: (value) => encodeInLayer(schema, value),
  };
}

function loadSchemaFile(): MtcuteSchemaFile {
  const file = createRequire(import.meta.url)('@mtcute/tl/api-schema.json') as MtcuteSchemaFile;
  if (file.l !== PUBLIC_LAYER) throw new Error(`@mtcute/tl holds layer ${file.l}, the simulator expects ${PUBLIC_LAYER}: update PUBLIC_LAYER with the dependency`);
  return file;
}
