/** Reads a TL object in a given layer's schema into the GramJS object of the same name, so the handlers see one
 *  shape whatever layer the client speaks. Fields GramJS's class lacks are kept on the object but unused; a
 *  constructor GramJS has no class for becomes a plain `{className, classType}` record (a method no handler serves,
 *  answered INPUT_METHOD_INVALID). */
import { BinaryReader } from 'telegram/extensions/index.js';
import { classNameOf, fieldNameOf, gramClassOf } from './gramjs-classes.js';
import type { TlArg, TlSchema } from './tl-schema.js';

const VECTOR = 0x1cb5c415;
const BOOL_TRUE = 0x997275b5;
const BOOL_FALSE = 0xbc799737;

/** A constructor id the layer does not have: the client's query cannot be read (INPUT_METHOD_INVALID). */
export class UnknownConstructor extends Error {
  constructor(
    readonly constructorId: number,
    readonly layer: number,
  ) {
    super(`constructor 0x${constructorId.toString(16).padStart(8, '0')} is not in layer ${layer}`);
    this.name = 'UnknownConstructor';
  }
}

/** Bytes that do not follow the schema (a short read, a vector without its constructor, a bad Bool). */
export class TlDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlDecodeError';
  }
}

/** Decodes one boxed object from `bytes` in `schema`'s layer. Throws UnknownConstructor or TlDecodeError. */
export function decodeInLayer(schema: TlSchema, bytes: Buffer): object {
  const reader = new BinaryReader(bytes);
  try {
    return readObject(schema, reader);
  } catch (e) {
    if (e instanceof UnknownConstructor || e instanceof TlDecodeError) throw e;
    // GramJS's reader throws plain errors when the bytes run out.
    throw new TlDecodeError(`the bytes end before the object does (${e instanceof Error ? e.message : String(e)})`);
  }
}

function readObject(schema: TlSchema, reader: BinaryReader): object {
  const id = reader.readInt(false);
  const entry = schema.byId.get(id);
  if (!entry) throw new UnknownConstructor(id, schema.layer);
  const fields: Record<string, unknown> = {};
  const flags = new Map<string, number>();
  for (const arg of entry.args) {
    if (arg.type === '#') {
      flags.set(arg.name, reader.readInt(false));
      continue;
    }
    if (arg.flag && ((flags.get(arg.flag.field) ?? 0) & (1 << arg.flag.bit)) === 0) {
      fields[fieldNameOf(arg.name)] = arg.type === 'true' ? false : undefined;
      continue;
    }
    fields[fieldNameOf(arg.name)] = readArg(schema, reader, arg);
  }
  const cls = gramClassOf(entry.name);
  if (cls) return new cls(fields);
  return { ...fields, className: classNameOf(entry.name), classType: entry.kind === 'method' ? 'request' : 'constructor' };
}

function readArg(schema: TlSchema, reader: BinaryReader, arg: TlArg): unknown {
  if (!arg.vector) return readValue(schema, reader, arg.type);
  const ctor = reader.readInt(false);
  if (ctor !== VECTOR) throw new TlDecodeError(`${arg.name}: expected a vector, found 0x${ctor.toString(16)}`);
  const count = reader.readInt();
  if (count < 0 || count > 1_000_000) throw new TlDecodeError(`${arg.name}: a vector of ${count} items`);
  const items: unknown[] = [];
  for (let i = 0; i < count; i++) items.push(readValue(schema, reader, arg.type));
  return items;
}

function readValue(schema: TlSchema, reader: BinaryReader, type: string): unknown {
  switch (type) {
    case 'int':
      return reader.readInt();
    case 'long':
      return reader.readLong();
    case 'int128':
      return reader.readLargeInt(128);
    case 'int256':
      return reader.readLargeInt(256);
    case 'double':
      return reader.readDouble();
    case 'string':
      return reader.tgReadString();
    case 'bytes':
      return reader.tgReadBytes();
    case 'true':
      return true;
    case 'Bool': {
      const v = reader.readInt(false);
      if (v === BOOL_TRUE) return true;
      if (v === BOOL_FALSE) return false;
      throw new TlDecodeError(`expected a Bool, found 0x${v.toString(16)}`);
    }
    default:
      return readObject(schema, reader);
  }
}
