/** The one syntax of snipe name patterns: `/regex/` searched anywhere, anything else a glob over the whole name, both
 *  ignoring case. */
import { describe, expect, it } from 'vitest';
import { namePattern, PatternInvalid } from '../../../../core/snipe/name-pattern.js';

describe('snipe name patterns', () => {
  it('reads /…/ as a regular expression searched anywhere in the name, always ignoring case', () => {
    const p = namePattern('/dog/');
    expect(p.kind).toBe('regex');
    expect(p.test('Golden DOG')).toBe(true);
    expect(p.test('Cat')).toBe(false);
    expect(namePattern('/^gold/i').test('golden dog')).toBe(true);
    expect(namePattern('/^gold/').test('A golden dog')).toBe(false);
  });

  it('reads anything else as a glob over the whole name: * any run, ? one character, the rest literal', () => {
    expect(namePattern('Golden*').test('golden dog')).toBe(true);
    expect(namePattern('Golden*').test('The Golden Dog')).toBe(false);
    expect(namePattern('*dog*').test('The Golden Dog')).toBe(true);
    expect(namePattern('Cat ?').test('cat 7')).toBe(true);
    expect(namePattern('Cat ?').test('cat 77')).toBe(false);
    expect(namePattern('a.b (1)').test('a.b (1)')).toBe(true);
    expect(namePattern('a.b').test('axb')).toBe(false);
  });

  it('refuses an empty pattern, a regular expression that does not compile and the stateful flags', () => {
    expect(() => namePattern('')).toThrow(PatternInvalid);
    expect(() => namePattern('/(/')).toThrow(/not a regular expression/);
    expect(() => namePattern('/x/g')).toThrow(/flag "g"/);
    expect(() => namePattern('x'.repeat(201))).toThrow(/at most 200/);
  });
});
