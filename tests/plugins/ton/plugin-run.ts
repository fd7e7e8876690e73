/** One run of the TON plugin as the host registers it (config, logger, and optionally the machine's clock), for tests
 *  that drive the payment steps themselves. */
import pino from 'pino';
import { container } from 'tsyringe';
import { expect } from 'vitest';
import { pluginBlocks, type AutomintConfig } from '../../../core/config/schema.js';
import { registerPlugins, type DiscoveredPlugin } from '../../../core/plugins/host.js';
import type { OpenIntent, PaymentAttempt, PaymentMethod, StoreOrder } from '../../../core/plugins/payment.js';
import { CONFIG, LEDGER, LOCAL_CLOCK, LOGGER } from '../../../core/plugins/tokens.js';
import type { Ledger } from '../../../core/ledger/ledger.js';
import type { RecordedIntents } from '../../../plugins/ton/intent-records.js';
import type { StoreClient } from '../../../core/store/store-client.js';

/** The steps under test never reach the store; a call would be a bug, so it fails loudly. */
export const NO_STORE = new Proxy({}, {
  get(_target, key) {
    throw new Error(`the store was not expected to be used (store.${String(key)})`);
  },
}) as StoreClient;

/** One run of the bot as far as the plugin sees it: the host, a config, a logger whose lines the test reads. */
export interface Run {
  readonly ton: PaymentMethod;
  readonly logs: Record<string, unknown>[];
}

export async function startRun(
  config: AutomintConfig, discovered: readonly DiscoveredPlugin[],
  opts: { clock?: () => number; intents?: RecordedIntents } = {},
): Promise<Run> {
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const scope = container.createChildContainer();
  scope.register(CONFIG, { useValue: config });
  scope.register(LOGGER, { useValue: log });
  if (opts.clock) scope.register(LOCAL_CLOCK, { useValue: opts.clock });
  // The plugin reads only the ledger's intents; a test standing in for them provokes what SQLite cannot (a failed read).
  if (opts.intents) scope.register(LEDGER, { useValue: { intents: opts.intents } as unknown as Ledger });
  const { payments, loaded } = await registerPlugins(scope, discovered, pluginBlocks(config), new Set(['ton']));
  expect(loaded.find((p) => p.id === 'ton')).toMatchObject({ kind: 'payment', source: 'built-in', enabled: true });
  expect(payments.map((p) => p.id)).toEqual(['ton']);
  return { ton: payments[0]!, logs };
}

/** What the ledger would hand back to reconciliation: the payload went through JSON on its way into SQLite. */
export function openIntent(order: StoreOrder, attempt: PaymentAttempt): OpenIntent {
  return {
    idempotencyKey: attempt.idempotencyKey, orderId: order.orderId, amount: order.amount, destination: order.destination,
    payload: JSON.parse(JSON.stringify(attempt.payload)) as Record<string, unknown>,
  };
}

