/** A TL schema as the layered codec reads it: constructors and methods by id and by name, each argument with its
 *  type, whether it is a vector, and the flag bit that guards it. Built from the machine-readable copy of Telegram's
 *  public schema that `@mtcute/tl` ships (`api-schema.json`, one JSON entry per TL line), not written by hand. */

/** One argument of a constructor or method. */
export interface TlArg {
  /** The TL name (`first_name`). */
  readonly name: string;
  /** The element type: `int`, `long`, `string`, `bytes`, `true`, `Bool`, `#`, `!X`, or a boxed type (`User`). */
  readonly type: string;
  /** True for `Vector<type>`. */
  readonly vector: boolean;
  /** The flags field and bit that say whether the argument is present (`flags.3?string`). */
  readonly flag?: { readonly field: string; readonly bit: number };
}

/** One TL line: a constructor (`kind: 'class'`) or a method. */
export interface TlEntry {
  readonly kind: 'class' | 'method';
  /** The TL name with its namespace (`payments.starsStatus`). */
  readonly name: string;
  /** The constructor id (unsigned). */
  readonly id: number;
  /** The boxed type the constructor builds, or the method's result type. */
  readonly type: string;
  readonly args: readonly TlArg[];
}

/** A layer's schema. */
export interface TlSchema {
  readonly layer: number;
  readonly byId: ReadonlyMap<number, TlEntry>;
  readonly byName: ReadonlyMap<string, TlEntry>;
}

/** An entry of `@mtcute/tl`'s `api-schema.json`. */
interface MtcuteEntry {
  readonly kind: 'class' | 'method';
  readonly name: string;
  readonly id: number;
  readonly type: string;
  readonly arguments: readonly {
    readonly name: string;
    readonly type: string;
    readonly typeModifiers?: { readonly predicate?: string; readonly isVector?: boolean; readonly isBareVector?: boolean };
  }[];
}

/** The shape of `@mtcute/tl/api-schema.json`: the layer and its entries. */
export interface MtcuteSchemaFile {
  readonly l: number;
  readonly e: readonly MtcuteEntry[];
}

/** Thrown when a schema file is not what the codec can read (a changed file format, not a client's fault). */
export class TlSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlSchemaError';
  }
}

/** The schema of a `@mtcute/tl` schema file. `int53` (mtcute's name for ids it reads as JS numbers) is a `long`
 *  on the wire. */
export function schemaFromMtcute(file: MtcuteSchemaFile): TlSchema {
  if (!Number.isInteger(file.l) || !Array.isArray(file.e as unknown)) throw new TlSchemaError('not an @mtcute/tl schema file (no layer or entries)');
  const byId = new Map<number, TlEntry>();
  const byName = new Map<string, TlEntry>();
  for (const e of file.e) {
    const entry: TlEntry = {
      kind: e.kind,
      name: e.name,
      id: e.id >>> 0,
      type: e.type,
      args: e.arguments.map((a) => ({
        name: a.name,
        type: a.type === 'int53' ? 'long' : a.type,
        vector: a.typeModifiers?.isVector === true || a.typeModifiers?.isBareVector === true,
        ...(a.typeModifiers?.predicate ? { flag: parsePredicate(e.name, a.typeModifiers.predicate) } : {}),
      })),
    };
    byId.set(entry.id, entry);
    byName.set(entry.name, entry);
  }
  return { layer: file.l, byId, byName };
}

function parsePredicate(entry: string, predicate: string): { field: string; bit: number } {
  const m = /^(\w+)\.(\d+)$/.exec(predicate);
  if (!m?.[1] || !m[2]) throw new TlSchemaError(`${entry}: flag predicate "${predicate}" is not field.bit`);
  return { field: m[1], bit: Number(m[2]) };
}
