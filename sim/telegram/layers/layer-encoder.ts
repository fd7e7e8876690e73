/** Writes a GramJS object (what a handler answers) in a given layer's schema: the constructor of the same name in
 *  that layer, its arguments taken from the object's fields by name. A flag is set for each present optional field;
 *  a required field the object lacks (the layer added it) is written as its type's zero value when it has one. */
import { fromBigInteger, littleEndianBytes, TlWriter, TL_BOOL_FALSE, TL_BOOL_TRUE, TL_VECTOR, toBigInteger } from '../mtproto/tl-bytes.js';
import { fieldNameOf, tlNameOf } from './gramjs-classes.js';
import type { TlArg, TlEntry, TlSchema } from './tl-schema.js';

/** The object cannot be written in the layer: it has no constructor of that name there, or lacks a required object
 *  field with no zero value. A handler's answer that cannot reach the client is a server fault (500 INTERNAL). */
export class LayerEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayerEncodeError';
  }
}

/** Where a layer's field is found on GramJS's object when GramJS's layer names it otherwise: by constructor, the
 *  layer's field name → GramJS's field name (TL names). */
export type FieldSources = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The bytes of `value` (a GramJS TL object) in `schema`'s layer. Throws LayerEncodeError. */
export function encodeInLayer(schema: TlSchema, value: object, sources: FieldSources = {}): Buffer {
  const out = new TlWriter();
  writeObject({ schema, sources }, out, value, 'answer');
  return out.finish();
}

interface Layer {
  readonly schema: TlSchema;
  readonly sources: FieldSources;
}

function writeObject(layer: Layer, out: TlWriter, value: unknown, where: string): void {
  if (typeof value !== 'object' || value === null || !('className' in value) || typeof value.className !== 'string') {
    throw new LayerEncodeError(`${where}: ${describe(value)} is not a TL object`);
  }
  const entry = layer.schema.byName.get(tlNameOf(value.className));
  if (!entry) throw new LayerEncodeError(`${where}: layer ${layer.schema.layer} has no ${tlNameOf(value.className)}`);
  const source = layer.sources[entry.name] ?? {};
  const fields = value as unknown as Readonly<Record<string, unknown>>;
  const valueOf = (arg: TlArg): unknown => fields[fieldNameOf(source[arg.name] ?? arg.name)];
  out.ctor(entry.id);
  const flags = flagValues(entry, valueOf);
  for (const arg of entry.args) {
    if (arg.type === '#') {
      out.int((flags.get(arg.name) ?? 0) | 0);
      continue;
    }
    // A set bit carries every field on it: a `true` field and a value field may share one (user.bot and
    // user.bot_info_version), and a value field left out would shift everything after it.
    if (arg.flag && ((flags.get(arg.flag.field) ?? 0) & (1 << arg.flag.bit)) === 0) continue;
    if (arg.type === 'true') continue;
    writeArg(layer, out, arg, valueOf(arg), `${entry.name}.${arg.name}`);
  }
}

/** Each flags field's value: the bits of the optional fields the object carries. */
function flagValues(entry: TlEntry, valueOf: (arg: TlArg) => unknown): Map<string, number> {
  const flags = new Map<string, number>();
  for (const arg of entry.args) {
    if (arg.flag && present(arg, valueOf(arg))) {
      flags.set(arg.flag.field, (flags.get(arg.flag.field) ?? 0) | (1 << arg.flag.bit));
    }
  }
  return flags;
}

function present(arg: TlArg, v: unknown): boolean {
  return arg.type === 'true' ? v === true : v !== undefined && v !== null;
}

function writeArg(layer: Layer, out: TlWriter, arg: TlArg, v: unknown, where: string): void {
  if (!arg.vector) return writeValue(layer, out, arg.type, v, where);
  const items = v === undefined || v === null ? [] : v;
  if (!Array.isArray(items)) throw new LayerEncodeError(`${where}: expected a vector, found ${describe(v)}`);
  out.ctor(TL_VECTOR).int(items.length);
  items.forEach((item: unknown, i) => writeValue(layer, out, arg.type, item, `${where}[${i}]`));
}

function writeValue(layer: Layer, out: TlWriter, type: string, v: unknown, where: string): void {
  switch (type) {
    case 'int':
      out.int(Number(v ?? 0) | 0);
      return;
    case 'long':
      out.long(asBigint(v ?? 0n, where));
      return;
    case 'int128':
    case 'int256':
      out.raw(littleEndianBytes(toBigInteger(asBigint(v ?? 0n, where)), type === 'int128' ? 16 : 32));
      return;
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(Number(v ?? 0));
      out.raw(b);
      return;
    }
    case 'string':
    case 'bytes':
      if (v !== undefined && v !== null && typeof v !== 'string' && !Buffer.isBuffer(v)) {
        throw new LayerEncodeError(`${where}: ${describe(v)} is not a ${type}`);
      }
      out.bytes(Buffer.isBuffer(v) ? v : Buffer.from(v ?? '', 'utf8'));
      return;
    case 'Bool':
      out.ctor(v === true ? TL_BOOL_TRUE : TL_BOOL_FALSE);
      return;
    default:
      if (v === undefined || v === null) throw new LayerEncodeError(`${where}: layer ${layer.schema.layer} needs a ${type}, the answer has none`);
      writeObject(layer, out, v, where);
  }
}

function asBigint(v: unknown, where: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  // big-integer values (GramJS's longs) print their decimal value.
  if (typeof v === 'object' && v !== null && 'isNegative' in v) return fromBigInteger(v as Parameters<typeof fromBigInteger>[0]);
  throw new LayerEncodeError(`${where}: ${describe(v)} is not a long`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a vector';
  if (typeof v === 'object') return 'className' in v ? String(v.className) : 'an object';
  return typeof v;
}
