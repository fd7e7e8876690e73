import { describe, expect, it } from 'vitest';
import { knownSecrets, registerPhrase, registerSecret, registerSecrets, scrub, scrubWith } from '../../../../core/telemetry/secret-registry.js';

describe('secret registry', () => {
  it('scrubs a registered value everywhere it appears in a text', () => {
    const token = `toncenter-key-${process.pid}-a`;
    registerSecret(token);
    expect(knownSecrets()).toContain(token);
    expect(scrub(`GET /api?api_key=${token} failed; retry with ${token}`)).toBe('GET /api?api_key=[redacted] failed; retry with [redacted]');
  });

  it('ignores values shorter than six characters so common words survive', () => {
    registerSecret('admin');
    registerSecret('  ');
    expect(knownSecrets()).not.toContain('admin');
    expect(scrub('admin panel')).toBe('admin panel');
    expect(scrubWith('the order is open', ['open', 'order'])).toBe('the order is open');
  });

  it('registers a word list as its phrase and matches it whatever separates the words', () => {
    const words = ['zebra', 'yellow', 'xylophone', 'winter', 'violet', 'umbrella'];
    registerPhrase(words);
    expect(knownSecrets()).toContain(words.join(' '));
    expect(scrub(`mnemonic: ${words.join('  ')}`)).toBe('mnemonic: [redacted]');
    expect(scrub(JSON.stringify(words))).toBe('["[redacted]"]');
    expect(scrub(JSON.stringify({ m: words.join('\n') }))).toBe('{"m":"[redacted]"}');
    // A word of the phrase on its own is ordinary text.
    expect(scrub('the winter drop')).toBe('the winter drop');
  });

  it('scrubs the URL-encoded form of a value', () => {
    const initData = 'query_id=AAH&user=%7B%22id%22%3A1%7D&hash=abcdef0123';
    expect(scrubWith(`url=${encodeURIComponent(initData)}`, [initData])).toBe('url=[redacted]');
  });

  it('replaces a secret that contains another one whole', () => {
    const inner = 'inner-secret-1';
    const outer = `outer:${inner}:tail`;
    expect(scrubWith(`x ${outer} y ${inner}`, [inner, outer])).toBe('x [redacted] y [redacted]');
  });

  it('scrubs each of several secrets registered together, not only their concatenation', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.separatelyRegistered';
    const phrase = 'apple banana cherry delta echo foxtrot';
    registerSecrets([jwt, phrase]);
    expect(scrub(`token=${jwt} words=${phrase}`)).toBe('token=[redacted] words=[redacted]');
  });
});
