/** The current public layer the simulator serves besides GramJS's: `@mtcute/tl`'s machine-readable copy of
 *  Telegram's published schema (its package version is the layer), loaded on first use. */
import { createRequire } from 'node:module';
import { codecOf, type LayerCodec } from './layer-codec.js';
import type { FieldSources } from './layer-encoder.js';
import { schemaFromMtcute, TlSchemaError, type MtcuteSchemaFile } from './tl-schema.js';

/** The public layer's number; it moves with the `@mtcute/tl` dependency. */
export const PUBLIC_LAYER = 223;

/** Fields the public layer renamed from GramJS's layer, found by comparing the two schemas' constructors of one
 *  name: only those the simulator's handlers answer. */
const RENAMED: FieldSources = {
  // starsTransaction#…: layer 198's `stars:StarsAmount` is `amount:StarsAmount` in 223.
  starsTransaction: { amount: 'stars' },
};

let codec: LayerCodec | undefined;

/** The public layer's codec (the schema is 2 MB of JSON; GramJS clients never need it). */
export function publicLayer(): LayerCodec {
  if (!codec) codec = codecOf(schemaFromMtcute(loadSchemaFile()), RENAMED);
  return codec;
}

function loadSchemaFile(): MtcuteSchemaFile {
  const file = createRequire(import.meta.url)('@mtcute/tl/api-schema.json') as MtcuteSchemaFile;
  if (file.l !== PUBLIC_LAYER) {
    throw new TlSchemaError(`@mtcute/tl holds layer ${file.l}, the simulator expects ${PUBLIC_LAYER}: update PUBLIC_LAYER with the dependency`);
  }
  return file;
}
