/** The ways the simulated store says no. A refusal carries the store's wire `errorCode` (what the real store puts in
 *  `{ok:false, errorCode}`) and the HTTP status it travels with, so handlers throw and one place turns it into a reply. */
import { AutomintError } from '../../core/errors.js';

/** Every errorCode the simulated store sends, with the HTTP status it uses. */
export const REFUSALS = {
  invalid_auth_token: 401,
  invalid_init_data: 401,
  forbidden: 403,
  not_found: 404,
  collection_not_found: 404,
  character_not_found: 404,
  method_not_allowed: 405,
  invalid_params: 400,
  invalid_count: 400,
  collection_inactive: 409,
  sold_out: 409,
  not_enough_stock: 409,
  too_many_unpaid_orders: 409,
  payload_too_large: 413,
  too_many_requests: 429,
  internal_error: 500,
  bad_gateway: 502,
  service_unavailable: 503,
} as const satisfies Record<string, number>;

export type RefusalCode = keyof typeof REFUSALS;

/** A request the store refuses; `errorCode` is what the client sees, `details` stay on the server side. */
export class StoreRefusal extends AutomintError {
  readonly errorCode: RefusalCode;
  readonly httpStatus: number;

  constructor(errorCode: RefusalCode, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(`STORE_${errorCode.toUpperCase()}`, message, { errorCode, ...details });
    this.errorCode = errorCode;
    this.httpStatus = REFUSALS[errorCode];
  }
}

/** The store was started with a scenario or options that cannot describe a store. */
export class StoreSetupInvalid extends AutomintError {
  constructor(problem: string, details: Readonly<Record<string, unknown>> = {}) {
    super('STORE_SETUP_INVALID', `simulated store setup is invalid: ${problem}`, details);
  }
}

/** A collection or character the scenario does not have, asked for through the programmatic or admin API. */
export class NotInScenario extends AutomintError {
  constructor(what: string, details: Readonly<Record<string, unknown>>) {
    super('STORE_NOT_IN_SCENARIO', `the simulated store has no ${what}`, details);
  }
}
