/** The simulated Telegram's MTProto server. What it serves (login, web views, Stars) is given as RPC handlers;
 *  see `sim/telegram/rpc.ts`. */
export { startMtprotoServer, type MtprotoServer, type MtprotoServerOptions } from './server.js';
export type { MtprotoStats } from './stats.js';
