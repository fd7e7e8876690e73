import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { StringSession } from 'telegram/sessions/index.js';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { describeSession } from '../../../../plugins/stars/login.js';
import { parseSession, hasAuthKey, telegramApp } from '../../../../plugins/stars/telegram-client.js';
import { starsConfigSchema } from '../../../../plugins/stars/config.js';
import { TelegramNotConfigured, TelegramSessionInvalid } from '../../../../plugins/stars/telegram-error.js';

async function sessionWith(key: Buffer, dcId: number, address: string): Promise<string> {
  const session = new StringSession('');
  session.setDC(dcId, address, 443);
  const authKey = new AuthKey();
  await authKey.setKey(key);
  session.setAuthKey(authKey);
  return session.save();
}

describe('describeSession', () => {
  it('names the data centre, the address and the auth key id, never the key', async () => {
    const key = randomBytes(256);
    const text = await sessionWith(key, 2, '127.0.0.1');
    const described = describeSession(text);
    const expectedId = createHash('sha1').update(key).digest().subarray(12, 20).readBigUInt64LE().toString(16).padStart(16, '0');
    expect(described).toEqual({ dcId: 2, serverAddress: '127.0.0.1', authKeyId: expectedId });
    expect(JSON.stringify(described)).not.toContain(key.toString('hex').slice(0, 16));
  });

  it('gives the same key id GramJS computes', async () => {
    const key = randomBytes(256);
    const authKey = new AuthKey();
    await authKey.setKey(key);
    const gram = BigInt.asUintN(64, BigInt(authKey.keyId!.toString())).toString(16).padStart(16, '0');
    expect(describeSession(await sessionWith(key, 4, '149.154.167.91')).authKeyId).toBe(gram);
  });

  it.each(['', 'garbage', '2AAAA', `1${Buffer.from('short').toString('base64')}`])('refuses the unreadable session %j', (text) => {
    expect(() => describeSession(text)).toThrow(TelegramSessionInvalid);
  });

  it('does not quote the session it cannot read', () => {
    const text = `1${Buffer.alloc(40, 7).toString('base64')}`;
    const error = (() => { try { describeSession(text); } catch (e) { return e as Error; } return undefined; })();
    expect(error?.message).toContain('automint login');
    expect(error?.message).not.toContain(text.slice(1, 20));
  });
});

describe('parseSession', () => {
  it('reads a new empty session as one without an auth key', () => {
    expect(hasAuthKey(parseSession(''))).toBe(false);
  });

  it('reads a saved session as one with an auth key', async () => {
    expect(hasAuthKey(parseSession(await sessionWith(randomBytes(256), 2, '10.0.0.1'), 'alice'))).toBe(true);
  });

  it('names the account when a saved session is unreadable', () => {
    expect(() => parseSession('1@@@', 'alice')).toThrow(/account alice/);
  });
});

describe('telegramApp', () => {
  it('names what is missing from the config', () => {
    const config = starsConfigSchema.parse({});
    const error = (() => { try { telegramApp(config); } catch (e) { return e; } return undefined; })();
    expect(error).toBeInstanceOf(TelegramNotConfigured);
    expect((error as TelegramNotConfigured).missing).toEqual(['apiId', 'apiHash']);
    expect(telegramApp(starsConfigSchema.parse({ apiId: 5, apiHash: 'a'.repeat(32) }))).toEqual({ apiId: 5, apiHash: 'a'.repeat(32) });
  });
});
