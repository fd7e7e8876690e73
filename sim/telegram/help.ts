/** What a client asks before and around logging in: help.getConfig (this server is DC 2 and lists itself as its
 *  only DC option) and help.getNearestDc. updates.getState, which GramJS also asks around login, is in
 *  updates-state.ts. */
import { Api } from 'telegram';
import type { Clock } from '../store/clock.js';
import type { MethodEntry, Methods } from './methods.js';
import { tlDate } from './tl.js';

/** The data centre this server plays. */
export const SIM_DC_ID = 2;

/** What the help methods read. */
export interface HelpDeps {
  readonly methods: Methods;
  readonly clock: Clock;
  /** Where clients reach this server (known once it listens). */
  readonly address: () => { readonly host: string; readonly port: number };
}

/** help.getConfig, help.getNearestDc. */
export function helpMethods(d: HelpDeps): MethodEntry[] {
  return [
    d.methods.open(Api.help.GetConfig, () => config(d)),
    d.methods.open(Api.help.GetNearestDc, () => new Api.NearestDc({ country: 'NL', thisDc: SIM_DC_ID, nearestDc: SIM_DC_ID })),
  ];
}

function config(d: HelpDeps): Api.Config {
  const { host, port } = d.address();
  const date = tlDate(d.clock());
  // Telegram's production values for the limits; clients only read a few of them.
  return new Api.Config({
    date,
    expires: date + 3600,
    testMode: false,
    thisDc: SIM_DC_ID,
    dcOptions: [new Api.DcOption({ id: SIM_DC_ID, ipAddress: host, port })],
    dcTxtDomainName: 'apv3.stel.com',
    chatSizeMax: 200,
    megagroupSizeMax: 200_000,
    forwardedCountMax: 100,
    onlineUpdatePeriodMs: 210_000,
    offlineBlurTimeoutMs: 5_000,
    offlineIdleTimeoutMs: 30_000,
    onlineCloudTimeoutMs: 300_000,
    notifyCloudDelayMs: 30_000,
    notifyDefaultDelayMs: 1_500,
    pushChatPeriodMs: 60_000,
    pushChatLimit: 2,
    editTimeLimit: 172_800,
    revokeTimeLimit: 2_147_483_647,
    revokePmTimeLimit: 2_147_483_647,
    ratingEDecay: 2_419_200,
    stickersRecentLimit: 200,
    channelsReadMediaPeriod: 604_800,
    callReceiveTimeoutMs: 20_000,
    callRingTimeoutMs: 90_000,
    callConnectTimeoutMs: 30_000,
    callPacketTimeoutMs: 10_000,
    meUrlPrefix: 'https://t.me/',
    captionLengthMax: 1024,
    messageLengthMax: 4096,
    webfileDcId: SIM_DC_ID,
  });
}
