/** The store's response envelope and how it goes on the wire. bigint values and JsonDecimal values are written as
 *  JSON number literals digit for digit, so amounts (nanotons, TON prices) never pass through a float. */

/** Every body the store sends: `{ok:true, data}` or `{ok:false, errorCode}`. */
export type Envelope = { readonly ok: true; readonly data: unknown } | { readonly ok: false; readonly errorCode: string };

const DECIMAL = /^-?\d+(?:\.\d+)?$/;

/** Decimal text that must appear in JSON as a number (e.g. a TON price `2.5`), written without float conversion. */
export class JsonDecimal {
  constructor(readonly text: string) {
    if (!DECIMAL.test(text)) throw new RangeError(`not a plain decimal: ${text}`);
  }
}

// A NUL-prefixed placeholder survives JSON.stringify as the escape "\u0000" and is swapped for the raw literal after.
const MARK = '\u0000num:';
const PLACEHOLDER = /"\\u0000num:(-?\d+(?:\.\d+)?)"/g;

/** The JSON text of an envelope, with bigint and JsonDecimal values as exact number literals. */
export function encodeEnvelope(envelope: Envelope): string {
  const text = JSON.stringify(envelope, (_key, value: unknown) => {
    if (typeof value === 'bigint') return MARK + value.toString();
    if (value instanceof JsonDecimal) return MARK + value.text;
    if (typeof value === 'string' && value.startsWith(MARK)) {
      throw new RangeError('a string sent by the store looks like a number placeholder');
    }
    return value;
  });
  return text.replace(PLACEHOLDER, '$1');
}
