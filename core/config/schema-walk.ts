/** Reading the shape of a zod schema at a key path, so that environment overrides, `--set` flags, `${VAR}`
 *  substitution and unknown-key suggestions follow the one schema instead of a second list of keys. */
import { z } from 'zod';
import type { ConfigPath } from './config-path.js';

/** One step down a schema. `dynamic` is true when the key is free-form (a record or a catch-all), not declared;
 *  `keyAccepts`, for a record, says whether its key schema takes a key (a currency code must be upper case). */
export type SchemaChild = {
  readonly key: string | number;
  readonly schema: z.ZodType;
  readonly dynamic: boolean;
  readonly keyAccepts?: (key: string) => boolean;
};

/** Strips optional/default/prefault/readonly wrappers and takes the input side of pipes (transforms). */
export function unwrapInput(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (;;) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodReadonly ||
      current instanceof z.ZodCatch
    ) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else {
      return current;
    }
  }
}

/** Keys compare case-insensitively and ignoring "_" and "-", so `BASEURL`, `base_url` and `baseUrl` all name `baseUrl`. */
export function looseKey(key: string): string {
  return key.replace(/[_-]/g, '').toLowerCase();
}

function catchallOf(schema: z.ZodObject): z.ZodType | undefined {
  const catchall = schema.def.catchall as z.ZodType | undefined;
  return catchall && !(catchall instanceof z.ZodNever) ? catchall : undefined;
}

/** The schema under `segment` (a declared key matched loosely, an index, or a free-form key), or undefined. */
export function childOf(schema: z.ZodType, segment: string | number): SchemaChild | undefined {
  const node = unwrapInput(schema);
  if (node instanceof z.ZodArray) {
    const text = String(segment);
    return /^\d+$/.test(text) ? { key: Number(text), schema: node.element as z.ZodType, dynamic: false } : undefined;
  }
  if (typeof segment === 'number') return undefined;
  if (node instanceof z.ZodObject) {
    const declared =
      Object.hasOwn(node.shape, segment) ? segment : Object.keys(node.shape).find((key) => looseKey(key) === looseKey(segment));
    if (declared !== undefined) return { key: declared, schema: node.shape[declared] as z.ZodType, dynamic: false };
    const catchall = catchallOf(node);
    return catchall ? { key: segment, schema: catchall, dynamic: true } : undefined;
  }
  if (node instanceof z.ZodRecord) {
    const keyType = node.keyType as z.ZodType;
    return { key: segment, schema: node.valueType as z.ZodType, dynamic: true, keyAccepts: (key) => keyType.safeParse(key).success };
  }
  if (node instanceof z.ZodUnknown || node instanceof z.ZodAny) return { key: segment, schema: node, dynamic: true };
  return undefined;
}

/** The schema at a full path (numbers for array indexes), or undefined when the path leaves the schema. */
export function schemaAt(root: z.ZodType, path: ConfigPath): z.ZodType | undefined {
  let current: z.ZodType | undefined = root;
  for (const segment of path) {
    current = current && childOf(current, segment)?.schema;
  }
  return current;
}

/** The declared keys of an object schema (empty for anything else). */
export function declaredKeys(schema: z.ZodType): string[] {
  const node = unwrapInput(schema);
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

/** True when the schema takes text as written (strings, enums, amounts): an override value is then kept verbatim
 *  instead of being read as a YAML scalar, so `AUTOMINT__BUDGET__TON=50` stays the decimal text "50". */
export function takesText(schema: z.ZodType): boolean {
  const node = unwrapInput(schema);
  const type = node.def.type;
  if (type === 'string' || type === 'enum' || type === 'template_literal') return true;
  if (node instanceof z.ZodLiteral) return node.values.size > 0 && [...node.values].every((v) => typeof v === 'string');
  return false;
}
