import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, formatConfigError } from '../../../../core/config/config-error.js';
import { parseConfig } from '../../../../core/config/load.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { campaignSpec, canonicalJson, checkCampaign } from '../../../../core/run/campaign.js';
import { ENV, VALID_YAML } from '../config/config-fixture.js';

const log = pino({ level: 'silent' });
const config = (set: string[] = []) => parseConfig(VALID_YAML, { env: ENV, label: 'test.yaml', flags: { set } }).config;

async function refusal(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  return expect.fail('expected the changed campaign to be refused');
}

describe('campaign', () => {
  let ledger: Ledger;
  beforeEach(async () => {
    ledger = await openLedger(':memory:');
  });
  afterEach(() => ledger.close());

  it('is what to buy and how much may be spent, in one canonical text whatever the key order', () => {
    const spec = campaignSpec(config());
    expect(spec).toEqual({
      targets: { '19:2': { packs: 10, methods: ['ton'], accounts: ['main'], budget: {} } },
      accounts: { main: {}, second: {} },
      budget: { TON: '50', XTR: '10000' },
    });
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
  });

  it('is recorded by the first run and taken again unchanged', async () => {
    await checkCampaign(ledger, config(), { accept: false, log });
    const stored = await ledger.campaign.get();
    expect(stored?.spec).toEqual(campaignSpec(config()));
    await checkCampaign(ledger, config(['targets[0].maxPricePerPack.TON=4', 'profile=fast']), { accept: false, log });
    expect((await ledger.campaign.get())?.fingerprint).toBe(stored?.fingerprint);
  });

  it('refuses a changed campaign with every change by key path, and takes it when accepted', async () => {
    await checkCampaign(ledger, config(), { accept: false, log });
    const changed = config(['targets[0].packs=12', 'budget.TON=60', 'targets[0].methods=[ton, stars]']);
    const e = await refusal(checkCampaign(ledger, changed, { accept: false, log }));
    expect(e.code).toBe('CONFIG_CAMPAIGN_CHANGED');
    expect(e.issues.map((i) => i.path)).toEqual(['targets[0].packs', 'targets[0].methods', 'budget.TON']);
    expect(e.issues[0]!.message).toBe("packs was 10 when this ledger's campaign started, now 12");
    expect(formatConfigError(e)).toContain('--accept-config-change');

    await checkCampaign(ledger, changed, { accept: true, log });
    expect((await ledger.campaign.get())?.spec).toEqual(campaignSpec(changed));
    await checkCampaign(ledger, changed, { accept: false, log });
  });

  it('names a target added and a target dropped', async () => {
    await checkCampaign(ledger, config(), { accept: false, log });
    const e = await refusal(checkCampaign(ledger, config(['targets[0].character=3']), { accept: false, log }));
    expect(e.issues.map((i) => [i.path, i.message])).toEqual([
      ['targets[0]', "target 19:3 is new to this ledger's campaign"],
      ['targets', "target 19:2 (10 packs) of this ledger's campaign is no longer in the config"],
    ]);
  });
});
