import { describe, expect, it } from 'vitest';
import { satisfiesHostVersion } from '../../../../core/plugins/host-version.js';

describe('host version ranges', () => {
  it.each([
    ['^1', '1.0.0', true], ['^1', '1.9.3', true], ['^1', '2.0.0', false], ['^1.2', '1.1.9', false], ['^1.2', '1.2.0', true],
    ['~1.2', '1.2.7', true], ['~1.2', '1.3.0', false], ['1.x', '1.4.0', true], ['1', '2.0.0', false], ['*', '9.9.9', true],
    ['>=1.0.0 <2', '1.5.0', true], ['>=1.0.0 <2', '2.0.0', false], ['1.0.0', '1.0.0', true], ['1.0.0', '1.0.1', false],
    ['^0.3', '0.3.5', true], ['^0.3', '0.4.0', false], ['banana', '1.0.0', false],
  ])('%s admits %s: %s', (range, version, ok) => {
    expect(satisfiesHostVersion(range, version)).toBe(ok);
  });
});
