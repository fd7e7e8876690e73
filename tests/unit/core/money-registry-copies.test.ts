/** A plugin installed from npm brings its own copy of automint: its `declareCurrency` and the host's `formatAmount`
 *  live in two loaded copies of core/money.ts, which must still see one list of currencies (kept on globalThis under
 *  Symbol.for, like the DI tokens), or the plugin's own currency is unknown to it. */
import { describe, expect, it } from 'vitest';
import * as host from '../../../core/money.js';

type MoneyModule = typeof host;

async function separateCopy(tag: string): Promise<MoneyModule> {
  const url = new URL(`../../../core/money.ts?copy=${tag}`, import.meta.url).href;
  return (await import(/* @vite-ignore */ url)) as MoneyModule;
}

describe('the declared-currency registry across copies of the money module', () => {
  it('is one list: a currency declared through one copy is known, and formatted, by another', async () => {
    const copy = await separateCopy('2');
    expect(copy.formatAmount).not.toBe(host.formatAmount);
    expect(copy.knownCurrencies()).toEqual(expect.arrayContaining(['TON', 'XTR']));
    copy.declareCurrency({ code: 'CPYA', decimals: 2 }, 'plugin copy');
    expect(host.isKnownCurrency('CPYA')).toBe(true);
    expect(host.formatAmount('CPYA', 1_250n)).toBe('12.5');
    host.declareCurrency({ code: 'CPYB', decimals: 3 }, 'host');
    expect(copy.currencyDecimals('CPYB')).toBe(3);
    expect(copy.parseAmount('CPYB', '1.5')).toBe(1_500n);
    expect(() => copy.declareCurrency({ code: 'CPYA', decimals: 4 }, 'another plugin')).toThrow(/declared it with 2/);
  });
});
