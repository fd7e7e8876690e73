/** How each account of a run logs in to the store: its pasted token first, else the first web-app login (Telegram)
 *  that can serve it; an account with neither stops the run before it starts, saying what to do. */
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseConfig } from '../../../../core/config/load.js';
import type { AutomintConfig } from '../../../../core/config/schema.js';
import type { WebAppLogin } from '../../../../core/plugins/web-app-login.js';
import { accountLogins, RunSetupError } from '../../../../core/run/run-bot.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl';

/** A configuration with these accounts and one target bought by all of them. */
function config(accounts: { name: string; storeToken?: string }[]): AutomintConfig {
  const text = YAML.stringify({ accounts, targets: [{ collection: 10, character: 1, packs: 1, methods: ['stars'] }] });
  return parseConfig(text, { env: {}, label: 'logins.yaml' }).config;
}

/** A login plugin that can serve the accounts in `ready` and tells the others `blocker(account)`. */
function login(id: string, ready: string[], blocker = (a: string) => `run automint login --account ${a}`): WebAppLogin & { asked: string[] } {
  const asked: string[] = [];
  return {
    id, asked,
    unavailableFor: async (account) => {
      asked.push(account);
      return ready.includes(account) ? null : blocker(account);
    },
    initData: async () => expect.fail('choosing a login must not fetch initData'),
  };
}

/** The RunSetupError `p` rejects with; fails the test otherwise. */
async function setupError(p: Promise<unknown>): Promise<RunSetupError> {
  const e = await p.then(() => expect.fail('expected a RunSetupError'), (err: unknown) => err);
  expect(e).toBeInstanceOf(RunSetupError);
  return e as RunSetupError;
}

describe('accountLogins', () => {
  it('uses the pasted token of an account even when a web-app login could serve it', async () => {
    const tg = login('telegram', ['alice']);
    const chosen = await accountLogins(config([{ name: 'alice', storeToken: TOKEN }]), [tg]);
    expect(chosen.get('alice')).toEqual({ kind: 'token', jwt: TOKEN });
    expect(tg.asked).toEqual([]);
  });

  it('chooses the web-app login for an account without a token', async () => {
    const tg = login('telegram', ['alice']);
    const chosen = await accountLogins(config([{ name: 'alice' }]), [tg]);
    expect(chosen.get('alice')).toEqual({ kind: 'web-app', via: tg });
  });

  it('chooses the first login that can serve the account, asking no further', async () => {
    const first = login('first', []);
    const second = login('second', ['alice']);
    const third = login('third', ['alice']);
    const chosen = await accountLogins(config([{ name: 'alice' }]), [first, second, third]);
    expect(chosen.get('alice')).toEqual({ kind: 'web-app', via: second });
    expect(third.asked).toEqual([]);
  });

  it('chooses per account: tokens where pasted, the login elsewhere', async () => {
    const tg = login('telegram', ['bob', 'carol']);
    const chosen = await accountLogins(config([{ name: 'alice', storeToken: TOKEN }, { name: 'bob' }, { name: 'carol' }]), [tg]);
    expect([...chosen.keys()]).toEqual(['alice', 'bob', 'carol']);
    expect(chosen.get('alice')?.kind).toBe('token');
    expect(chosen.get('bob')).toEqual({ kind: 'web-app', via: tg });
    expect(chosen.get('carol')).toEqual({ kind: 'web-app', via: tg });
    expect(tg.asked).toEqual(['bob', 'carol']);
  });

  it('refuses to start when no login can serve an account, listing each login\'s advice', async () => {
    const tg = login('telegram', ['alice']);
    const other = login('qr', [], () => 'scan the code first');
    const e = await setupError(accountLogins(config([{ name: 'alice' }, { name: 'bob' }]), [tg, other]));
    expect(e.code).toBe('NO_STORE_LOGIN');
    expect(e.details).toEqual({ account: 'bob' });
    expect(e.message).toContain('account bob cannot log in');
    expect(e.message).toContain('accounts[].storeToken');
    expect(e.message).toContain('telegram: run automint login --account bob');
    expect(e.message).toContain('qr: scan the code first');
  });

  it('tells the user how to set up a login when no login plugin is there at all', async () => {
    const e = await setupError(accountLogins(config([{ name: 'alice' }]), []));
    expect(e.code).toBe('NO_STORE_LOGIN');
    expect(e.message).toContain('plugins.stars');
    expect(e.message).toContain('automint login --account alice');
  });
});
