/** Snipe filters in the ledger's campaign: what each buys of a matched character (packs, methods, accounts, budget)
 *  is recorded, a change to it is refused by key path like a target's, and a config without filters keeps the
 *  campaign it had before filters existed. */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ConfigError } from '../../../../core/config/config-error.js';
import { parseConfig } from '../../../../core/config/load.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { campaignSpec, checkCampaign } from '../../../../core/run/campaign.js';

const log = pino({ level: 'silent' });
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl';

const config = (filters: Array<Record<string, unknown>>) => parseConfig(YAML.stringify({
  accounts: [{ name: 'alice', storeToken: TOKEN }],
  targets: [{ collection: 1, character: 1, packs: 3, methods: ['ton'] }],
  snipe: filters.map((f) => ({ packs: 2, methods: ['ton'], match: { title: '/dog/' }, ...f })),
  budget: { TON: '50' },
}), { env: {}, label: 'campaign.yaml' }).config;

describe('campaign with snipe filters', () => {
  let ledger: Ledger;
  beforeEach(async () => {
    ledger = await openLedger(':memory:');
  });
  afterEach(() => ledger.close());

  it('records each filter by index, and no snipe key at all without filters', () => {
    expect(campaignSpec(config([{ budget: { TON: '10' } }])).snipe).toEqual([{ packs: 2, methods: ['ton'], accounts: null, budget: { TON: '10' } }]);
    expect('snipe' in campaignSpec(config([]))).toBe(false);
  });

  it('refuses a filter whose packs changed, one added and one removed, by key path; a changed match is not a change', async () => {
    await checkCampaign(ledger, config([{}]), { accept: false, log });
    await checkCampaign(ledger, config([{ match: { title: '/cat/' } }]), { accept: false, log });
    const issues = async (filters: Array<Record<string, unknown>>): Promise<string[]> => {
      try {
        await checkCampaign(ledger, config(filters), { accept: false, log });
      } catch (e) {
        if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
        throw e;
      }
      return [];
    };
    expect(await issues([{ packs: 4 }])).toEqual(["snipe[0].packs: packs was 2 when this ledger's campaign started, now 4"]);
    expect((await issues([{}, {}]))[0]).toBe("snipe[1]: snipe filter 1 is new to this ledger's campaign");
    expect((await issues([]))[0]).toContain('snipe filter 0 (2 packs a character) of this ledger\'s campaign is no longer in the config');
  });
});
