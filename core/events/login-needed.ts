/** Telling from an error that an account cannot log in until a person acts, so the run can say so as a `login.needed`
 *  event (a notifier then tells the user to run `automint login`, wherever they are). Recognised by shape, never by
 *  class, so a plugin built against its own copy of automint is understood: an AutomintError-shaped error (or one it
 *  wraps) with `details.loginNeeded === true` (the Stars plugin's missing or revoked session), or the host's own
 *  permanent token failures (a pasted store token that expired or was refused: `STORE_TOKEN_EXPIRED`/`_REFUSED`). */
import { detailsOf, isAutomintError } from '../errors.js';
import { LOGIN_NEEDED_DETAIL } from '../plugins/notifier.js';
import type { Logger } from 'pino';
import { guardEmit } from './emit-guard.js';
import type { RunEventDraft } from './run-event.js';
import type { RunEventSink } from './run-events.js';

/** The host's codes that mean a pasted token must be replaced by a person. */
const TOKEN_NEEDS_A_PERSON = new Set(['STORE_TOKEN_EXPIRED', 'STORE_TOKEN_REFUSED']);

/** What a login-needed error says: whose account, its code, and what to do (its message). */
export interface LoginNeed {
  readonly account: string | undefined;
  readonly code: string;
  readonly reason: string;
}

/** The login need `e` (or an error it wraps) states, or null. */
export function loginNeededOf(e: unknown): LoginNeed | null {
  let account: string | undefined;
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 10; c = (c as { cause?: unknown }).cause, depth++) {
    if (!isAutomintError(c)) continue;
    // A branded error needs no `details` (errors.ts): read them only through detailsOf.
    const details = detailsOf(c);
    const named = details['account'];
    if (typeof named === 'string') account ??= named;
    const person = details['permanent'] === true && TOKEN_NEEDS_A_PERSON.has(c.code);
    if (details[LOGIN_NEEDED_DETAIL] === true || person) {
      return { account: typeof named === 'string' ? named : account, code: c.code, reason: String(c.message) };
    }
  }
  return null;
}

/** Emits `login.needed` once per account and code when `e` says so; `account` is the one the caller was serving.
 *  Never throws (it runs inside actor actions, before a payer gives its claimed packs back): a failure is logged on
 *  `log`, bounded (emit-guard.ts). */
export function emitLoginNeeded(events: RunEventSink, account: string, e: unknown, log?: Pick<Logger, 'warn'>): void {
  guardEmit('login.needed', () => {
    const need = loginNeededOf(e);
    if (need === null) return;
    const who = need.account ?? account;
    const event: RunEventDraft = { type: 'login.needed', account: who, code: need.code, reason: need.reason };
    events.emitOnce(`login:${who}:${need.code}`, event);
  }, log);
}
