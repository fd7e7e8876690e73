/** The TON plugin's own container token. */
import type { InjectionToken } from 'tsyringe';
import type { TonConfig } from './config.js';

export const TON_CONFIG: InjectionToken<TonConfig> = Symbol.for('automint.ton.config');
