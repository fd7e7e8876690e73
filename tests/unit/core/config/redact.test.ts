import fc from 'fast-check';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../core/config/load.js';
import { REDACTED, redactConfig, secretValues, type PlainConfig } from '../../../../core/config/redact.js';
import { isSecretPath } from '../../../../core/config/secret-paths.js';
import { API_KEY, ENV, MNEMONIC, STORE_TOKEN, VALID_YAML } from './config-fixture.js';

/** `config show` output with the secrets put back, as a person re-using it would. */
function reloadable(shown: PlainConfig): string {
  const text = YAML.stringify(shown);
  const secrets = [STORE_TOKEN, MNEMONIC, API_KEY, 'hunter2-two-factor', '0123456789abcdef'];
  let i = 0;
  return text.replace(/\[redacted\]/g, () => secrets[i++]!);
}

const WITH_PASSWORD = `${VALID_YAML}  stars:\n    password: hunter2-two-factor\n    apiHash: 0123456789abcdef\n    phone: "+1000"\n`;

describe('redaction', () => {
  const { config } = parseConfig(WITH_PASSWORD, { env: ENV });

  it('replaces every secret and nothing else', () => {
    const shown = redactConfig(config);
    const text = JSON.stringify(shown);
    for (const secret of [STORE_TOKEN, MNEMONIC, API_KEY, 'hunter2-two-factor', '0123456789abcdef']) {
      expect(text).not.toContain(secret);
    }
    expect(shown['accounts']).toEqual([{ name: 'main', storeToken: REDACTED, wallet: 'main' }, { name: 'second' }]);
    expect((shown['plugins'] as Record<string, unknown>)['stars']).toEqual({ password: REDACTED, apiHash: REDACTED, phone: '+1000' });
  });

  it('writes amounts back as decimal text, so the output loads again as the same configuration', () => {
    const shown = redactConfig(config);
    expect(shown['budget']).toEqual({ TON: '50', XTR: '10000' });
    const reloaded = parseConfig(reloadable(shown), { env: {} });
    expect(reloaded.config.budget).toEqual(config.budget);
    expect(reloaded.config).toEqual(config);
  });

  it('round-trips any TON amount exactly through show and load', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 24n }), (nano) => {
        const shown = redactConfig({ ...config, budget: { ...config.budget, TON: nano as typeof config.budget.TON } });
        expect(parseConfig(reloadable(shown), { env: {} }).config.budget.TON).toBe(nano);
      }),
      { numRuns: 200 },
    );
  });

  it('does not change the configuration it redacts', () => {
    redactConfig(config);
    expect(config.accounts[0]!.storeToken).toBe(STORE_TOKEN);
    expect(config.budget.TON).toBe(50_000_000_000n);
  });

  it('lists every secret value present, for the logger', () => {
    expect(secretValues(config).sort()).toEqual(
      [STORE_TOKEN, MNEMONIC, API_KEY, 'hunter2-two-factor', '0123456789abcdef'].sort(),
    );
  });

  it('marks secret paths by the one pattern list', () => {
    expect(isSecretPath(['accounts', 3, 'storeToken'])).toBe(true);
    expect(isSecretPath(['wallets', 0, 'mnemonic'])).toBe(true);
    expect(isSecretPath(['plugins', 'notifier-telegram', 'botToken'])).toBe(true);
    expect(isSecretPath(['plugins', 'a', 'deep', 'Password'])).toBe(true);
    expect(isSecretPath(['accounts', 3, 'name'])).toBe(false);
    expect(isSecretPath(['accounts', 'storeToken'])).toBe(false);
    expect(isSecretPath(['plugins', 'ton', 'endpoint'])).toBe(false);
  });
});
