/** TVM stacks in toncenter v2's JSON shapes. Requests carry `[type, value]` pairs (`['num','42']`,
 *  `['tvm.Cell', base64]`, …); results come back the way toncenter renders tonlib's stack: numbers as hex strings,
 *  cells and slices both as `['cell', {bytes}]`, tuples as tonlib `tvm.stackEntry*` objects, and a TVM null as an
 *  empty list (which is why TonClient reads an empty tuple or list as null). */
import { Cell, type TupleItem } from '@ton/core';
import { ToncenterError } from './errors.js';

/** One entry of a result stack, as toncenter renders it. */
export type ToncenterStackItem =
  | ['num', string]
  | ['cell', { bytes: string }]
  | ['tuple', TonlibTuple]
  | ['list', TonlibList];

/** tonlib's typed stack entry, used inside tuples and lists. */
export type TonlibStackEntry =
  | { '@type': 'tvm.stackEntryNumber'; number: { '@type': 'tvm.numberDecimal'; number: string } }
  | { '@type': 'tvm.stackEntryCell'; cell: { '@type': 'tvm.cell'; bytes: string } }
  | { '@type': 'tvm.stackEntrySlice'; slice: { '@type': 'tvm.slice'; bytes: string } }
  | { '@type': 'tvm.stackEntryTuple'; tuple: TonlibTuple }
  | { '@type': 'tvm.stackEntryList'; list: TonlibList };

export interface TonlibTuple {
  '@type': 'tvm.tuple';
  elements: TonlibStackEntry[];
}
export interface TonlibList {
  '@type': 'tvm.list';
  elements: TonlibStackEntry[];
}

const EMPTY_LIST: TonlibList = { '@type': 'tvm.list', elements: [] };

/** Parses a request stack (`params.stack` of runGetMethod) into TVM tuple items, in order. */
export function stackFromToncenter(stack: unknown): TupleItem[] {
  if (stack === undefined || stack === null) return [];
  if (!Array.isArray(stack)) throw invalid('stack must be an array of [type, value] pairs', { stack: typeof stack });
  return stack.map((entry, index) => {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') {
      throw invalid('stack entry must be a [type, value] pair', { index });
    }
    return itemFromToncenter(entry[0], entry[1], index);
  });
}

function itemFromToncenter(type: string, value: unknown, index: number): TupleItem {
  switch (type) {
    case 'num':
    case 'number':
    case 'int':
      return { type: 'int', value: parseTvmInt(value, index) };
    case 'tvm.Cell':
    case 'cell':
      return { type: 'cell', cell: parseCell(value, index) };
    case 'tvm.Slice':
    case 'slice':
      return { type: 'slice', cell: parseCell(value, index) };
    case 'tvm.Builder':
    case 'builder':
      return { type: 'builder', cell: parseCell(value, index) };
    default:
      throw invalid(`unsupported stack entry type "${type}"`, { index, type });
  }
}

/** Reads a TVM integer written as decimal or 0x-hex text (optionally negative) or as a safe JSON integer. */
export function parseTvmInt(value: unknown, index = 0): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value !== 'string') throw invalid('number entry must be a string or an integer', { index });
  const m = /^(-)?(0x[0-9a-fA-F]+|\d+)$/.exec(value.trim());
  if (!m) throw invalid('number entry is not decimal or 0x-hex text', { index, value });
  const magnitude = BigInt(m[2]!);
  return m[1] ? -magnitude : magnitude;
}

function parseCell(value: unknown, index: number): Cell {
  // toncenter also accepts {bytes: base64} objects, as it renders them.
  const text = typeof value === 'object' && value !== null && 'bytes' in value ? (value as { bytes: unknown }).bytes : value;
  if (typeof text !== 'string') throw invalid('cell entry must be base64 BOC text', { index });
  try {
    return Cell.fromBase64(text);
  } catch (e) {
    throw invalid(`cell entry is not a valid BOC: ${(e as Error).message}`, { index });
  }
}

/** Renders a result stack as toncenter does. */
export function stackToToncenter(items: readonly TupleItem[]): ToncenterStackItem[] {
  return items.map((item): ToncenterStackItem => {
    switch (item.type) {
      case 'int':
        return ['num', hexOf(item.value)];
      case 'null':
        return ['list', EMPTY_LIST];
      case 'cell':
      case 'slice':
      case 'builder':
        return ['cell', { bytes: base64Of(item.cell) }];
      case 'tuple':
        return ['tuple', { '@type': 'tvm.tuple', elements: item.items.map(entryOf) }];
      case 'nan':
        throw unsupported('nan');
    }
  });
}

function entryOf(item: TupleItem): TonlibStackEntry {
  switch (item.type) {
    case 'int':
      return { '@type': 'tvm.stackEntryNumber', number: { '@type': 'tvm.numberDecimal', number: item.value.toString() } };
    case 'null':
      return { '@type': 'tvm.stackEntryList', list: EMPTY_LIST };
    case 'cell':
    case 'builder':
      return { '@type': 'tvm.stackEntryCell', cell: { '@type': 'tvm.cell', bytes: base64Of(item.cell) } };
    case 'slice':
      return { '@type': 'tvm.stackEntrySlice', slice: { '@type': 'tvm.slice', bytes: base64Of(item.cell) } };
    case 'tuple':
      return { '@type': 'tvm.stackEntryTuple', tuple: { '@type': 'tvm.tuple', elements: item.items.map(entryOf) } };
    case 'nan':
      throw unsupported('nan');
  }
}

/** Python's `hex()`: `0x1f`, `-0x1f`, `0x0`; what toncenter puts in `['num', …]`. */
function hexOf(value: bigint): string {
  return value < 0n ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
}

function base64Of(cell: Cell): string {
  return cell.toBoc({ idx: false }).toString('base64');
}

function invalid(message: string, details: Record<string, unknown>): ToncenterError {
  return new ToncenterError('PARAMS_INVALID', `Validation error: ${message}`, details);
}

function unsupported(type: string): ToncenterError {
  return new ToncenterError('STACK_UNSUPPORTED', `Unknown type: stack entry ${type} cannot be rendered`, { type });
}
