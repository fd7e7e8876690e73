import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import bigInt from 'big-integer';
import { gzipSync } from 'node:zlib';
import { codecOf } from '../../../../../sim/telegram/layers/layer-codec.js';
import { codecForLayer, GRAMJS_LAYER } from '../../../../../sim/telegram/layers/layer-choice.js';
import { decodeInLayer, TlDecodeError, UnknownConstructorError, UnservedFieldError } from '../../../../../sim/telegram/layers/layer-decoder.js';
import { PUBLIC_LAYER, publicLayer } from '../../../../../sim/telegram/layers/public-layer.js';
import { tlBytes } from '../../../../../sim/telegram/mtproto/tl-bytes.js';
import { encodeInLayer, LayerEncodeError } from '../../../../../sim/telegram/layers/layer-encoder.js';
import { schemaFromMtcute, TlSchemaError, type MtcuteSchemaFile } from '../../../../../sim/telegram/layers/tl-schema.js';

/** A two-line schema: a constructor with every kind of argument, and a method GramJS has no class for. */
const TINY: MtcuteSchemaFile = {
  l: 999,
  e: [
    {
      kind: 'class',
      name: 'starsAmount',
      id: 0xbbb6b4a3,
      type: 'StarsAmount',
      arguments: [
        { name: 'amount', type: 'int53' },
        { name: 'nanos', type: 'int' },
      ],
    },
    {
      kind: 'method',
      name: 'stickers.neverHeardOf',
      id: 0x12345678,
      type: 'Bool',
      arguments: [
        { name: 'flags', type: '#' },
        { name: 'quiet', type: 'true', typeModifiers: { predicate: 'flags.0' } },
        { name: 'ids', type: 'long', typeModifiers: { isVector: true } },
        { name: 'note', type: 'string', typeModifiers: { predicate: 'flags.2' } },
      ],
    },
  ],
};

describe('TL schema from @mtcute/tl', () => {
  it('reads int53 as a long on the wire and flag predicates as field and bit', () => {
    const schema = schemaFromMtcute(TINY);
    expect(schema.byName.get('starsAmount')?.args[0]).toEqual({ name: 'amount', type: 'long', vector: false });
    expect(schema.byId.get(0x12345678)?.args[3]).toEqual({ name: 'note', type: 'string', vector: false, flag: { field: 'flags', bit: 2 } });
  });

  it('refuses a predicate that is not field.bit and a file without a layer', () => {
    const bad = { l: 1, e: [{ ...TINY.e[1]!, arguments: [{ name: 'x', type: 'int', typeModifiers: { predicate: 'flags' } }] }] };
    expect(() => schemaFromMtcute(bad)).toThrow(TlSchemaError);
    expect(() => schemaFromMtcute({ e: [] } as unknown as MtcuteSchemaFile)).toThrow(TlSchemaError);
  });

  it('loads the public layer the simulator announces', () => {
    expect(publicLayer().layer).toBe(PUBLIC_LAYER);
    expect(publicLayer().knows(new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() }).CONSTRUCTOR_ID)).toBe(false);
  });
});

describe('layer choice', () => {
  it('serves GramJS’s layer (and a client that never announced one) with GramJS’s own classes', () => {
    expect(codecForLayer(0)).toBeUndefined();
    expect(codecForLayer(GRAMJS_LAYER)).toBeUndefined();
  });

  it('serves the public layer, and layers nearer to it than to GramJS’s, with the public schema', () => {
    expect(codecForLayer(PUBLIC_LAYER)?.layer).toBe(PUBLIC_LAYER);
    expect(codecForLayer(PUBLIC_LAYER + 5)?.layer).toBe(PUBLIC_LAYER);
    expect(codecForLayer(GRAMJS_LAYER + 2)).toBeUndefined();
    expect(codecForLayer(GRAMJS_LAYER - 10)).toBeUndefined();
  });
});

describe('reading and writing in the public layer', () => {
  const layer = publicLayer();
  const schema = schemaFromMtcute(TINY);

  it('writes the same bytes as GramJS where the constructor did not change between the layers', () => {
    const objects = [
      new Api.InputPeerUser({ userId: bigInt(7001), accessHash: bigInt('-8123456789012345678') }),
      new Api.InputInvoiceSlug({ slug: 'AbC-123' }),
      new Api.StarsAmount({ amount: bigInt(750), nanos: 0 }),
      new Api.auth.SentCodeTypeApp({ length: 5 }),
    ];
    for (const o of objects) expect(layer.encode(o)).toEqual(o.getBytes());
  });

  it('reads back what it writes as the GramJS object of the same name, flags and vectors included', () => {
    const user = new Api.User({
      id: bigInt(3001),
      self: true,
      accessHash: bigInt(42),
      firstName: 'Dora & Co +1 100% 🐱',
      username: 'dora',
      restrictionReason: [],
    });
    const back = layer.decode(layer.encode(user));
    expect(back).toBeInstanceOf(Api.User);
    expect(back).toMatchObject({ self: true, bot: false, firstName: 'Dora & Co +1 100% 🐱', username: 'dora', lastName: undefined });
    expect(String((back as Api.User).id)).toBe('3001');
  });

  it('writes the zero value of a required primitive the answer lacks, and refuses a missing required object', () => {
    expect(encodeInLayer(schema, new Api.StarsAmount({ amount: bigInt(5) } as never))).toEqual(
      new Api.StarsAmount({ amount: bigInt(5), nanos: 0 }).getBytes(),
    );
    expect(() => layer.encode(new Api.payments.PaymentResult({} as never))).toThrow(/needs a Updates/);
  });

  it('refuses an object the layer has no constructor for', () => {
    expect(() => encodeInLayer(schema, new Api.InputPeerSelf())).toThrow(LayerEncodeError);
    expect(() => encodeInLayer(schema, { notTl: true })).toThrow(LayerEncodeError);
  });

  it('reads a method GramJS has no class for as a plain request record', () => {
    const bytes = Buffer.concat([
      u32(0x12345678),
      u32(0b101),
      u32(0x1cb5c415),
      u32(1),
      Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from([2, 0x68, 0x69, 0]),
    ]);
    expect(decodeInLayer(schema, bytes)).toMatchObject({ className: 'stickers.NeverHeardOf', classType: 'request', quiet: true, note: 'hi' });
  });

  it('names an unknown constructor and a short read as different failures', () => {
    expect(() => decodeInLayer(schema, u32(0xdeadbeef))).toThrow(expect.objectContaining({ name: 'UnknownConstructorError', nested: false }));
    expect(() => decodeInLayer(schema, Buffer.concat([u32(0xbbb6b4a3), u32(1)]))).toThrow(TlDecodeError);
    expect(() => codecOf(schema).decode(Buffer.concat([u32(0x12345678), u32(0), u32(0xbadbad)]))).toThrow(/expected a vector/);
  });
});

describe('queries in the public layer', () => {
  const layer = publicLayer();
  const getPaymentForm = (invoice: Buffer): Buffer =>
    Buffer.concat([u32(new Api.payments.GetPaymentForm({ invoice: new Api.InputInvoiceSlug({ slug: 'x' }) }).CONSTRUCTOR_ID), u32(0), invoice]);
  const slugInvoice = Buffer.concat([u32(new Api.InputInvoiceSlug({ slug: 'x' }).CONSTRUCTOR_ID), tlBytes(Buffer.from('AbC'))]);

  it('reads an object packed with gzip inside a query, as clients pack long chained queries', () => {
    const afterMsg = Buffer.concat([u32(0xcb9f372d), Buffer.alloc(8, 1), u32(0x3072cfa1), tlBytes(gzipSync(getPaymentForm(slugInvoice)))]);
    const read = layer.decode(afterMsg) as Api.InvokeAfterMsg;
    expect(read).toBeInstanceOf(Api.InvokeAfterMsg);
    expect(read.query).toBeInstanceOf(Api.payments.GetPaymentForm);
    expect((read.query as Api.payments.GetPaymentForm).invoice).toMatchObject({ slug: 'AbC' });
  });

  it('tells an unknown method from an unknown constructor inside a known one, through wrappers', () => {
    const withLayer = (query: Buffer): Buffer => Buffer.concat([u32(0xda9b0d0d), u32(PUBLIC_LAYER), query]);
    expect(() => layer.decode(withLayer(u32(0xdeadbeef)))).toThrow(expect.objectContaining({ nested: false }));
    expect(() => layer.decode(withLayer(getPaymentForm(u32(0xdeadbeef))))).toThrow(expect.objectContaining({ nested: true }));
    expect(() => layer.decode(getPaymentForm(u32(0xdeadbeef)))).toThrow(UnknownConstructorError);
  });

  it('refuses a flag GramJS’s class of that name does not have rather than answering without it', () => {
    const entry = 0x4ea9b3bf; // payments.getStarsStatus#4ea9b3bf flags:# ton:flags.0?true peer:InputPeer in layer 223
    const getStarsStatusTon = Buffer.concat([u32(entry), u32(1), u32(new Api.InputPeerSelf().CONSTRUCTOR_ID)]);
    expect(() => layer.decode(getStarsStatusTon)).toThrow(UnservedFieldError);
    const plain = layer.decode(Buffer.concat([u32(entry), u32(0), u32(new Api.InputPeerSelf().CONSTRUCTOR_ID)]));
    expect(plain).toBeInstanceOf(Api.payments.GetStarsStatus);
  });
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}
