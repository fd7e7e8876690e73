/** The TON plugin's own container tokens. */
import type { InjectionToken } from 'tsyringe';
import type { TonConfig } from './config.js';
import type { IntentRecords } from './intent-records.js';

export const TON_CONFIG: InjectionToken<TonConfig> = Symbol.for('automint.ton.config');
/** The ledger's intents, when the host registered a ledger (see index.ts). */
export const TON_INTENT_RECORDS: InjectionToken<IntentRecords> = Symbol.for('automint.ton.intent-records');
