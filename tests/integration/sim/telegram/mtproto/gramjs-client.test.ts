import bigInt from 'big-integer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Api, errors, type TelegramClient } from 'telegram';
import { Raw } from 'telegram/events/index.js';
import { UpdateConnectionState, ConnectionTCPAbridged, ConnectionTCPObfuscated } from 'telegram/network/index.js';
import { LAYER } from 'telegram/tl/AllTLObjects.js';
import { StringSession } from 'telegram/sessions/index.js';
import { startMtprotoServer, type MtprotoServer } from '../../../../../sim/telegram/mtproto/index.js';
import { clientKeyId, gramjsClient, sessionWithMintedKey, waitUntil, type ClientOptions } from './gramjs.js';
import { testHandlers } from './handlers.js';

let server: MtprotoServer;
const h = testHandlers();
const unexpected: unknown[] = [];
const clients: TelegramClient[] = [];

beforeAll(async () => {
  server = await startMtprotoServer({ handlers: h.handlers, onUnexpectedError: (e) => unexpected.push(e) });
});

afterEach(async () => {
  h.releaseSlow();
  for (const c of clients.splice(0)) await c.destroy().catch(() => undefined);
});

afterAll(async () => {
  await server.close();
});

async function connected(opts: ClientOptions = {}): Promise<TelegramClient> {
  const client = gramjsClient(server, opts);
  clients.push(client);
  await client.connect();
  return client;
}

function lastCall(method: string): { authKeyId: string; sessionId: string; layer: number } {
  const call = h.calls.filter((c) => c.method === method).at(-1);
  if (!call) throw new Error(`${method} was never called`);
  return call.ctx;
}

describe('MTProto server with the unchanged GramJS client', () => {
  it('makes an auth key with a fresh client by the DH handshake and serves its first query', async () => {
    const before = server.stats().handshakesCompleted;
    const client = await connected();
    const dc = await client.invoke(new Api.help.GetNearestDc());
    expect(dc).toBeInstanceOf(Api.NearestDc);
    expect(dc.country).toBe('NL');
    expect(server.stats().handshakesCompleted).toBeGreaterThan(before);
    const ctx = lastCall('help.GetNearestDc');
    expect(ctx.authKeyId).toBe(clientKeyId(client));
    expect(ctx.layer).toBe(LAYER);
    // GramJS starts every key with salt 0 and learns the real one from bad_server_salt.
    expect(server.stats().badServerSalts).toBeGreaterThan(0);
  });

  it('answers a Bool', async () => {
    const client = await connected();
    expect(await client.invoke(new Api.account.UpdateStatus({ offline: false }))).toBe(true);
    expect(await client.invoke(new Api.account.UpdateStatus({ offline: true }))).toBe(false);
  });

  it('answers a vector of users (users.getUsers), and getMe works on it', async () => {
    const client = await connected();
    const users = await client.invoke(
      new Api.users.GetUsers({ id: [new Api.InputUserSelf(), new Api.InputUser({ userId: bigInt(5), accessHash: bigInt(1) })] }),
    );
    expect(users).toHaveLength(2);
    expect(users.map((u) => (u as Api.User).firstName)).toEqual(['User 1001', 'User 2001']);
    const me = await client.getMe();
    expect(me.id.toString()).toBe('1001');
  });

  it('delivers an answer too big for one plain packet (sent gzip_packed) intact', async () => {
    const client = await connected();
    const ids = Array.from({ length: 200 }, (_, i) => new Api.InputUser({ userId: bigInt(i), accessHash: bigInt(0) }));
    const users = await client.invoke(new Api.users.GetUsers({ id: ids }));
    expect(users).toHaveLength(200);
    expect((users[199] as Api.User).firstName).toBe('User 2199');
  });

  it('surfaces an RpcFailure as a GramJS RPCError with its code and message', async () => {
    const client = await connected();
    const failure = await client.invoke(new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(errors.RPCError);
    expect((failure as errors.RPCError).code).toBe(400);
    expect((failure as errors.RPCError).errorMessage).toBe('PEER_ID_INVALID');
    expect(server.stats().rpcErrors['PEER_ID_INVALID']).toBeGreaterThan(0);
  });

  it('surfaces FLOOD_WAIT_2 as a GramJS FloodWaitError of 2 seconds', async () => {
    const client = await connected();
    const failure = await client
      .invoke(new Api.auth.SendCode({ phoneNumber: '+15550001', apiId: 1, apiHash: 'hash', settings: new Api.CodeSettings({}) }))
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(errors.FloodWaitError);
    expect((failure as errors.FloodWaitError).seconds).toBe(2);
    expect((failure as errors.FloodWaitError).code).toBe(420);
  });

  it('answers a method nobody handles with 400 INPUT_METHOD_INVALID', async () => {
    const client = await connected();
    const failure = await client.invoke(new Api.help.GetPromoData()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(errors.RPCError);
    expect((failure as errors.RPCError).code).toBe(400);
    expect((failure as errors.RPCError).errorMessage).toBe('INPUT_METHOD_INVALID');
    expect(server.stats().requests['help.GetPromoData']).toBe(1);
  });

  it('answers a handler bug with 500 INTERNAL and reports the bug', async () => {
    const client = await connected();
    const failure = await client.invoke(new Api.help.GetSupport()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(errors.RPCError);
    expect((failure as errors.RPCError).code).toBe(500);
    expect((failure as errors.RPCError).errorMessage).toBe('INTERNAL');
    expect(unexpected.some((e) => e instanceof Error && e.message === 'handler bug')).toBe(true);
  });

  it('reconnects with a saved StringSession under the same key, without a new handshake', async () => {
    const first = await connected();
    await first.invoke(new Api.help.GetNearestDc());
    const saved = (first.session as StringSession).save();
    const keyId = clientKeyId(first);
    await first.destroy();
    const handshakes = server.stats().handshakesCompleted;

    const again = await connected({ session: saved });
    await again.invoke(new Api.help.GetNearestDc());
    expect(server.stats().handshakesCompleted).toBe(handshakes);
    expect(lastCall('help.GetNearestDc').authKeyId).toBe(keyId);
  });

  it('serves a session built from createAuthKey() without any handshake', async () => {
    const handshakes = server.stats().handshakesCompleted;
    const { session, keyId } = await sessionWithMintedKey(server);
    const client = await connected({ session });
    await client.invoke(new Api.help.GetNearestDc());
    expect(server.stats().handshakesCompleted).toBe(handshakes);
    expect(lastCall('help.GetNearestDc').authKeyId).toBe(keyId);
  });

  it('answers -404 once the key is forgotten, which GramJS takes for a broken auth key', async () => {
    const { session, keyId } = await sessionWithMintedKey(server);
    const client = await connected({ session });
    await client.getMe();
    const states: number[] = [];
    client.addEventHandler((u: UpdateConnectionState) => void states.push(u.state), new Raw({ types: [UpdateConnectionState] }));
    const errorsBefore = server.stats().transportErrorsSent;

    server.forgetAuthKey(keyId);
    void client.invoke(new Api.help.GetNearestDc()).catch(() => undefined);
    await waitUntil(() => states.includes(UpdateConnectionState.broken), 'GramJS to report a broken connection');
    expect(server.stats().transportErrorsSent).toBe(errorsBefore + 1);
  });

  it('lets an auto-reconnecting client recover from dropConnections and answer its next call', async () => {
    const client = await connected({ autoReconnect: true });
    await client.invoke(new Api.help.GetNearestDc());
    const opened = server.stats().connectionsOpened;
    expect(server.dropConnections()).toBeGreaterThanOrEqual(1);
    const dc = await client.invoke(new Api.help.GetNearestDc());
    expect(dc.thisDc).toBe(2);
    expect(server.stats().connectionsOpened).toBeGreaterThan(opened);
  });

  it('answers ping with the matching pong', async () => {
    const client = await connected();
    const pong = await client.invoke(new Api.Ping({ pingId: bigInt(4242) }));
    expect(pong).toBeInstanceOf(Api.Pong);
    expect(pong.pingId.toString()).toBe('4242');
    expect(server.stats().serviceMessages['Ping']).toBeGreaterThan(0);
  });

  it('serves two clients at once, each under its own auth key', async () => {
    const [a, b] = await Promise.all([connected(), connected()]);
    if (!a || !b) throw new Error('clients missing');
    const [da, db] = await Promise.all([a.invoke(new Api.help.GetNearestDc()), b.invoke(new Api.help.GetNearestDc())]);
    expect([da.thisDc, db.thisDc]).toEqual([2, 2]);
    expect(clientKeyId(a)).not.toBe(clientKeyId(b));
    const keys = h.calls.filter((c) => c.method === 'help.GetNearestDc').map((c) => c.ctx.authKeyId);
    expect(keys).toEqual(expect.arrayContaining([clientKeyId(a), clientKeyId(b)]));
  });

  it('keeps answering while a slow handler runs, on other connections and on the same one', async () => {
    const slowClient = await connected();
    const other = await connected();
    let slowDone = false;
    const slow = slowClient.invoke(new Api.help.GetTermsOfServiceUpdate()).then((r) => {
      slowDone = true;
      return r;
    });
    await waitUntil(() => h.calls.some((c) => c.method === 'help.GetTermsOfServiceUpdate'), 'the slow handler to start');
    expect((await other.invoke(new Api.help.GetNearestDc())).thisDc).toBe(2);
    // The same connection's later query overtakes the slow one.
    expect((await slowClient.invoke(new Api.help.GetNearestDc())).thisDc).toBe(2);
    expect(slowDone).toBe(false);
    h.releaseSlow();
    expect(await slow).toBeInstanceOf(Api.help.TermsOfServiceUpdateEmpty);
  });

  it.each([
    ['abridged', ConnectionTCPAbridged],
    ['obfuscated abridged', ConnectionTCPObfuscated],
  ] as const)('speaks the %s transport GramJS picks, handshake included', async (_name, connection) => {
    const client = await connected({ connection });
    const users = await client.invoke(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }));
    expect(users).toHaveLength(1);
  });
});
