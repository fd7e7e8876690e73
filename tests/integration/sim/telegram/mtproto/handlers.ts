/** RPC handlers for the MTProto server's tests: small, real TL answers, each method showing one shape of answer or
 *  failure, and a record of the contexts they ran under. */
import bigInt from 'big-integer';
import { Api } from 'telegram';
import { RpcFailure, type RpcContext, type RpcHandlers, type RpcRequest } from '../../../../../sim/telegram/rpc.js';

export interface TestHandlers {
  readonly handlers: RpcHandlers;
  /** Every call, in order: method className and context. */
  readonly calls: { readonly method: string; readonly ctx: RpcContext }[];
  /** Resolves the pending `help.GetTermsOfServiceUpdate` calls (the slow method). */
  releaseSlow(): void;
}

/** A user for users.getUsers. */
export function testUser(id: number): Api.User {
  return new Api.User({ id: bigInt(id), self: id === 1001, accessHash: bigInt(id * 7), firstName: `User ${id}`, phone: `1555000${id}` });
}

export function testHandlers(): TestHandlers {
  const calls: { method: string; ctx: RpcContext }[] = [];
  let release: () => void = () => undefined;
  let slowGate = new Promise<void>((r) => (release = r));
  const log = (method: string, ctx: RpcContext): void => {
    calls.push({ method, ctx });
  };
  const handlers: RpcHandlers = {
    'help.GetConfig': (_r, ctx) => {
      log('help.GetConfig', ctx);
      return config();
    },
    'help.GetNearestDc': (_r, ctx) => {
      log('help.GetNearestDc', ctx);
      return new Api.NearestDc({ country: 'NL', thisDc: 2, nearestDc: 2 });
    },
    'account.UpdateStatus': (r: RpcRequest, ctx) => {
      log('account.UpdateStatus', ctx);
      return !(r as Api.account.UpdateStatus).offline;
    },
    'users.GetUsers': (r: RpcRequest, ctx) => {
      log('users.GetUsers', ctx);
      return (r as Api.users.GetUsers).id.map((input, i) => testUser(input instanceof Api.InputUserSelf ? 1001 : 2000 + i));
    },
    'payments.GetStarsStatus': (_r, ctx) => {
      log('payments.GetStarsStatus', ctx);
      throw new RpcFailure(400, 'PEER_ID_INVALID');
    },
    'auth.SendCode': (_r, ctx) => {
      log('auth.SendCode', ctx);
      throw new RpcFailure(420, 'FLOOD_WAIT_2');
    },
    'help.GetSupport': (_r, ctx) => {
      log('help.GetSupport', ctx);
      throw new Error('handler bug');
    },
    'help.GetTermsOfServiceUpdate': async (_r, ctx) => {
      log('help.GetTermsOfServiceUpdate', ctx);
      await slowGate;
      return new Api.help.TermsOfServiceUpdateEmpty({ expires: 0 });
    },
  };
  return {
    handlers,
    calls,
    releaseSlow: () => {
      release();
      slowGate = new Promise<void>((r) => (release = r));
    },
  };
}

function config(): Api.Config {
  const date = Math.floor(Date.now() / 1000);
  return new Api.Config({
    date,
    expires: date + 3600,
    testMode: true,
    thisDc: 2,
    dcOptions: [new Api.DcOption({ id: 2, ipAddress: '127.0.0.1', port: 443 })],
    dcTxtDomainName: 'sim',
    chatSizeMax: 200,
    megagroupSizeMax: 200000,
    forwardedCountMax: 100,
    onlineUpdatePeriodMs: 210000,
    offlineBlurTimeoutMs: 5000,
    offlineIdleTimeoutMs: 30000,
    onlineCloudTimeoutMs: 300000,
    notifyCloudDelayMs: 30000,
    notifyDefaultDelayMs: 1500,
    pushChatPeriodMs: 60000,
    pushChatLimit: 2,
    editTimeLimit: 172800,
    revokeTimeLimit: 2147483647,
    revokePmTimeLimit: 2147483647,
    ratingEDecay: 2419200,
    stickersRecentLimit: 200,
    channelsReadMediaPeriod: 604800,
    callReceiveTimeoutMs: 20000,
    callRingTimeoutMs: 90000,
    callConnectTimeoutMs: 30000,
    callPacketTimeoutMs: 10000,
    meUrlPrefix: 'https://t.me/',
    captionLengthMax: 1024,
    messageLengthMax: 4096,
    webfileDcId: 2,
  });
}
