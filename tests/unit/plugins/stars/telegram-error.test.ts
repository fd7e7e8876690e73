import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { FloodWaitError, RPCError, RPCMessageToError, SlowModeWaitError } from 'telegram/errors/index.js';
import { AutomintError } from '../../../../core/errors.js';
import { registerSecret } from '../../../../core/telemetry/secret-registry.js';
import {
  TelegramFloodWait,
  TelegramNotConfigured,
  TelegramRpcFailed,
  TelegramSessionInvalid,
  TelegramSessionMissing,
  TelegramUnavailable,
  telegramErrorFrom,
} from '../../../../plugins/stars/telegram-error.js';

const request = new Api.payments.SendStarsForm({ formId: 1 as never, invoice: new Api.InputInvoiceSlug({ slug: 'abc' }) });
const rpc = (errorCode: number, errorMessage: string): unknown => RPCMessageToError(new Api.RpcError({ errorCode, errorMessage }), request);

describe('telegramErrorFrom', () => {
  it('turns FLOOD_WAIT_n into TelegramFloodWait with the seconds', () => {
    const e = telegramErrorFrom(rpc(420, 'FLOOD_WAIT_17'), 'payments.SendStarsForm', 'alice');
    expect(e).toBeInstanceOf(TelegramFloodWait);
    expect(e.code).toBe('TELEGRAM_FLOOD_WAIT');
    expect((e as TelegramFloodWait).seconds).toBe(17);
    expect(e.details).toMatchObject({ method: 'payments.SendStarsForm', seconds: 17, account: 'alice' });
  });

  it('reads a FloodWaitError built directly and a slow-mode wait alike', () => {
    expect(telegramErrorFrom(new FloodWaitError({ request, capture: 5 }), 'm', 'a')).toMatchObject({ code: 'TELEGRAM_FLOOD_WAIT', seconds: 5 });
    expect(telegramErrorFrom(new SlowModeWaitError({ request, capture: 9 }), 'm', 'a')).toMatchObject({ code: 'TELEGRAM_FLOOD_WAIT', seconds: 9 });
  });

  it.each(['AUTH_KEY_UNREGISTERED', 'SESSION_REVOKED', 'USER_DEACTIVATED', 'USER_DEACTIVATED_BAN', 'SESSION_EXPIRED'])(
    'reads %s as an invalid session with the login advice', (message) => {
      const e = telegramErrorFrom(rpc(401, message), 'users.GetUsers', 'alice');
      expect(e).toBeInstanceOf(TelegramSessionInvalid);
      expect(e.code).toBe('TELEGRAM_SESSION_INVALID');
      expect(e.message).toContain('automint login --account alice');
      expect(e.message).toContain(message);
    },
  );

  it('keeps any other RPC error as TelegramRpcFailed with method, code and message', () => {
    const e = telegramErrorFrom(rpc(400, 'FORM_ID_EXPIRED'), 'payments.SendStarsForm', 'alice');
    expect(e).toBeInstanceOf(TelegramRpcFailed);
    expect(e.details).toEqual({ method: 'payments.SendStarsForm', errorCode: 400, errorMessage: 'FORM_ID_EXPIRED', account: 'alice' });
    expect((e as TelegramRpcFailed).errorMessage).toBe('FORM_ID_EXPIRED');
  });

  it('does not copy an RPC error text that is not an error code', () => {
    const secret = 'leaky-initdata-value-1234';
    const e = telegramErrorFrom(new RPCError(`BAD ${secret}`, request, 400), 'm', 'alice');
    expect(e).toMatchObject({ code: 'TELEGRAM_RPC_FAILED', details: { errorMessage: 'UNKNOWN' } });
    expect(JSON.stringify(e.toJSON())).not.toContain(secret);
  });

  it('reads a transport failure as unavailable with a possibly applied call', () => {
    const e = telegramErrorFrom('Maximum reconnection retries reached. Aborting!', 'payments.SendStarsForm', 'alice');
    expect(e).toBeInstanceOf(TelegramUnavailable);
    expect(e.details).toMatchObject({ reason: 'disconnected', maybeApplied: true });
  });

  it('knows a call refused while disconnected was never sent', () => {
    const e = telegramErrorFrom(new Error('Cannot send requests while disconnected. You need to call .connect()'), 'm', 'alice');
    expect(e.details).toMatchObject({ reason: 'disconnected', maybeApplied: false });
  });

  it('scrubs registered secrets from a foreign error text', () => {
    const session = '1BVtsOK4Bu-secret-session-string';
    registerSecret(session);
    const e = telegramErrorFrom(new Error(`socket closed while sending ${session}`), 'm', 'alice');
    expect(e.message).not.toContain(session);
    expect(JSON.stringify(e.toJSON())).not.toContain(session);
  });

  it('passes an AutomintError through unchanged', () => {
    const own = new TelegramSessionMissing('alice');
    expect(telegramErrorFrom(own, 'm', 'alice')).toBe(own);
  });

  it('tells how to fix a missing session or API application', () => {
    expect(new TelegramSessionMissing('bob').message).toContain('automint login --account bob');
    const e = new TelegramNotConfigured(['apiId', 'apiHash']);
    expect(e.code).toBe('TELEGRAM_NOT_CONFIGURED');
    expect(e.message).toContain('plugins.stars.apiId and apiHash from my.telegram.org');
    expect(e).toBeInstanceOf(AutomintError);
  });
});
