import { beginCell, Cell, type TupleItem } from '@ton/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTvmInt, stackFromToncenter, stackToToncenter } from '../../../../sim/chain/tvm-stack.js';

const cell = beginCell().storeUint(0xabcdef, 24).storeRef(beginCell().storeUint(1, 8)).endCell();
const b64 = cell.toBoc().toString('base64');

describe('request stacks', () => {
  it('reads numbers written as decimal, negative decimal, 0x-hex, negative hex and JSON integers', () => {
    expect(stackFromToncenter([['num', '42'], ['num', '-42'], ['num', '0x2a'], ['num', '-0x2A'], ['number', 7], ['int', '0']])).toEqual([
      { type: 'int', value: 42n },
      { type: 'int', value: -42n },
      { type: 'int', value: 42n },
      { type: 'int', value: -42n },
      { type: 'int', value: 7n },
      { type: 'int', value: 0n },
    ]);
  });

  it('reads cells, slices and builders as TonClient sends them', () => {
    const items = stackFromToncenter([['tvm.Cell', b64], ['tvm.Slice', b64], ['tvm.Builder', b64], ['cell', { bytes: b64 }]]);
    expect(items.map((i) => i.type)).toEqual(['cell', 'slice', 'builder', 'cell']);
    for (const item of items) {
      if (item.type !== 'cell' && item.type !== 'slice' && item.type !== 'builder') throw new Error('not a cell item');
      expect(item.cell.equals(cell)).toBe(true);
    }
  });

  it('treats a missing stack as empty', () => {
    expect(stackFromToncenter(undefined)).toEqual([]);
  });

  it.each([
    ['a non-array stack', { num: 1 }],
    ['an entry that is not a pair', [['num']]],
    ['an unknown entry type', [['float', '1.5']]],
    ['a fractional number', [['num', '1.5']]],
    ['an unsafe JSON number', [['num', 2 ** 60]]],
    ['a cell that is not a BOC', [['tvm.Cell', 'bm90IGEgYm9j']]],
  ])('refuses %s with a 422 parameter error', (_what, stack) => {
    expect(() => stackFromToncenter(stack)).toThrow(expect.objectContaining({ code: 'PARAMS_INVALID', status: 422 }));
  });

  it('round-trips every 257-bit integer through hex rendering and parsing', () => {
    const int257 = fc.bigInt(-(1n << 256n), (1n << 256n) - 1n);
    fc.assert(
      fc.property(int257, (value) => {
        const [rendered] = stackToToncenter([{ type: 'int', value }]);
        expect(rendered![0]).toBe('num');
        expect(parseTvmInt(rendered![1])).toBe(value);
      }),
    );
  });
});

describe('result stacks', () => {
  it('renders numbers as python hex, cells and slices as cells, null as an empty list', () => {
    const items: TupleItem[] = [
      { type: 'int', value: 255n },
      { type: 'int', value: -1n },
      { type: 'int', value: 0n },
      { type: 'cell', cell },
      { type: 'slice', cell },
      { type: 'null' },
    ];
    expect(stackToToncenter(items)).toEqual([
      ['num', '0xff'],
      ['num', '-0x1'],
      ['num', '0x0'],
      ['cell', { bytes: b64 }],
      ['cell', { bytes: b64 }],
      ['list', { '@type': 'tvm.list', elements: [] }],
    ]);
  });

  it('renders tuples with tonlib stack entries, nested', () => {
    const tuple: TupleItem = {
      type: 'tuple',
      items: [{ type: 'int', value: -5n }, { type: 'slice', cell }, { type: 'tuple', items: [{ type: 'null' }, { type: 'cell', cell }] }],
    };
    expect(stackToToncenter([tuple])).toEqual([
      [
        'tuple',
        {
          '@type': 'tvm.tuple',
          elements: [
            { '@type': 'tvm.stackEntryNumber', number: { '@type': 'tvm.numberDecimal', number: '-5' } },
            { '@type': 'tvm.stackEntrySlice', slice: { '@type': 'tvm.slice', bytes: b64 } },
            {
              '@type': 'tvm.stackEntryTuple',
              tuple: {
                '@type': 'tvm.tuple',
                elements: [
                  { '@type': 'tvm.stackEntryList', list: { '@type': 'tvm.list', elements: [] } },
                  { '@type': 'tvm.stackEntryCell', cell: { '@type': 'tvm.cell', bytes: b64 } },
                ],
              },
            },
          ],
        },
      ],
    ]);
  });

  it('renders cells that decode back to the same cell', () => {
    const [[, value]] = stackToToncenter([{ type: 'cell', cell }]) as [['cell', { bytes: string }]];
    expect(Cell.fromBase64(value.bytes).equals(cell)).toBe(true);
  });

  it('refuses to render NaN, as toncenter cannot', () => {
    expect(() => stackToToncenter([{ type: 'nan' }])).toThrow(expect.objectContaining({ code: 'STACK_UNSUPPORTED', status: 500 }));
  });
});
