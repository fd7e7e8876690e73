/** Reads a TL object in a given layer's schema into the GramJS object of the same name, so the handlers see one
 *  shape whatever layer the client speaks. A constructor GramJS has no class for becomes a plain
 *  `{className, classType}` record (a method no handler serves, answered INPUT_METHOD_INVALID). A field the client
 *  set that GramJS's class of that name does not have (a flag the layer added, like `payments.getStarsStatus`'s `ton`)
 *  is refused rather than dropped: serving the query without it would answer another question. */
import { gunzipSync } from 'node:zlib';
import { BinaryReader } from 'telegram/extensions/index.js';
import { classNameOf, fieldNameOf, gramClassOf } from './gramjs-classes.js';
import type { TlArg, TlSchema } from './tl-schema.js';

const VECTOR = 0x1cb5c415;
const BOOL_TRUE = 0x997275b5;
const BOOL_FALSE = 0xbc799737;
const GZIP_PACKED = 0x3072cfa1;
/** An object packed inside a query may not unpack to more than this. */
const MAX_UNPACKED_BYTES = 16 * 1024 * 1024;

/** A constructor id the layer does not have: the query's own (`nested: false`, INPUT_METHOD_INVALID) or one inside
 *  it (`nested: true`, INPUT_CONSTRUCTOR_INVALID). */
export class UnknownConstructorError extends Error {
  constructor(
    readonly constructorId: number,
    readonly layer: number,
    readonly nested: boolean,
  ) {
    super(`constructor 0x${constructorId.toString(16).padStart(8, '0')} is not in layer ${layer}`);
    this.name = 'UnknownConstructorError';
  }
}

/** Bytes that do not follow the schema (a short read, a vector without its constructor, a bad Bool). */
export class TlDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlDecodeError';
  }
}

/** A field the client set that the simulator's handlers cannot see (GramJS's class of that name lacks it). */
export class UnservedFieldError extends Error {
  constructor(
    readonly tlName: string,
    readonly field: string,
    readonly layer: number,
  ) {
    super(`${tlName}.${field} (layer ${layer}) is not simulated`);
    this.name = 'UnservedFieldError';
  }
}

/** Decodes one boxed object from `bytes` in `schema`'s layer. Throws UnknownConstructorError, TlDecodeError or
 *  UnservedFieldError. */
export function decodeInLayer(schema: TlSchema, bytes: Buffer): object {
  try {
    return readObject(schema, new BinaryReader(bytes), false);
  } catch (e) {
    if (e instanceof UnknownConstructorError || e instanceof TlDecodeError || e instanceof UnservedFieldError) throw e;
    // GramJS's reader throws plain errors when the bytes run out.
    throw new TlDecodeError(`the bytes end before the object does (${e instanceof Error ? e.message : String(e)})`);
  }
}

function readObject(schema: TlSchema, reader: BinaryReader, nested: boolean): object {
  const id = reader.readInt(false);
  if (id === GZIP_PACKED) return readObject(schema, new BinaryReader(unpack(reader.tgReadBytes())), nested);
  const entry = schema.byId.get(id);
  if (!entry) throw new UnknownConstructorError(id, schema.layer, nested);
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
  if (!cls) return { ...fields, className: classNameOf(entry.name), classType: entry.kind === 'method' ? 'request' : 'constructor' };
  const obj = new cls(fields) as Readonly<Record<string, unknown>>;
  for (const [name, value] of Object.entries(fields)) {
    // GramJS's constructor copies only the fields its class declares.
    if (value !== undefined && value !== false && !(name in obj)) throw new UnservedFieldError(entry.name, name, schema.layer);
  }
  return obj;
}

function unpack(packed: Buffer): Buffer {
  try {
    return gunzipSync(packed, { maxOutputLength: MAX_UNPACKED_BYTES });
  } catch {
    throw new TlDecodeError('gzip_packed does not unpack');
  }
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
      // A wrapper's query (`!X`) is the query itself, not an object inside one.
      return readObject(schema, reader, type !== '!X');
  }
}
