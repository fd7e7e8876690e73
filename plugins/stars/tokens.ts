/** The Stars plugin's own container token. */
import type { InjectionToken } from 'tsyringe';
import type { StarsConfig } from './config.js';

export const STARS_CONFIG: InjectionToken<StarsConfig> = Symbol.for('automint.stars.config');
