/** The root of every error automint throws on purpose: a stable `code` a program can switch on and the facts a
 *  person needs to act, never a secret.
 *
 *  How the host reads an error is a documented shape, not a class, so an error made by a plugin that bundles its own
 *  copy of this module (or builds its errors by hand) is read the same way:
 *  - it is an automint error when it carries `[Symbol.for('automint.error')]: true`, or has a string `code` and an
 *    object `details` (and is an Error, or at least has a string `message`);
 *  - `details.permanent === true`: trying again cannot help until a person acts;
 *  - `details.retryAt` (epoch ms): the call may be made again from then on; hold instead of counting a failure;
 *  - `details.rateLimited === true` (or the code STORE_RATE_LIMITED): held back by a rate limit, not a failure;
 *    without a `retryAt` it is waited out for at most the profile's longest wait, then counted as a failure.
 *  The helpers below walk `cause` too, so a wrapped error keeps what it says. */

/** The brand every automint error carries, whichever copy of this module made it. */
export const AUTOMINT_ERROR_BRAND: unique symbol = Symbol.for('automint.error');

/** Codes that mean "held back by a rate limit" without the `rateLimited` flag (the host's own limiter). */
const RATE_LIMITED_CODES: ReadonlySet<string> = new Set(['STORE_RATE_LIMITED']);

/** Causes deeper than this are not read: a cycle or an absurd chain must not hang the caller. */
const MAX_CAUSE_DEPTH = 10;

export class AutomintError extends Error {
  declare readonly [AUTOMINT_ERROR_BRAND]: true;

  constructor(
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  /** A plain object for logs and spans: name, code, message and details (the cause is left out: it may carry secrets). */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.details };
  }
}

// On the prototype, not each instance: it stays out of JSON, spreads and Object.keys.
Object.defineProperty(AutomintError.prototype, AUTOMINT_ERROR_BRAND, { value: true, enumerable: false });

/** What the shape-based helpers read from an automint error. */
export interface AutomintErrorShape {
  readonly code: string;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** True when `e` is an automint error by its brand or its shape (see the module doc). A Node or HTTP-client error
 *  carries a `code` but no `details`, and is not one. */
export function isAutomintError(e: unknown): e is AutomintError {
  if (typeof e !== 'object' || e === null) return false;
  const { code, details, message } = e as { code?: unknown; details?: unknown; message?: unknown };
  if ((e as { [AUTOMINT_ERROR_BRAND]?: unknown })[AUTOMINT_ERROR_BRAND] === true) return typeof code === 'string';
  if (!(e instanceof Error) && typeof message !== 'string') return false;
  return typeof code === 'string' && typeof details === 'object' && details !== null;
}

/** True when `e` is an automint error (by brand or shape) with the given code. */
export function hasCode(e: unknown, code: string): boolean {
  return isAutomintError(e) && e.code === code;
}

/** `e` and the errors it wraps (`cause`), outermost first, at most MAX_CAUSE_DEPTH deep. */
function causeChain(e: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let c: unknown = e; c !== undefined && c !== null && chain.length < MAX_CAUSE_DEPTH; c = (c as { cause?: unknown }).cause) chain.push(c);
  return chain;
}

/** The details of an automint error, `{}` when it has none readable (a branded error needs only a `code`, so
 *  `details` may be absent or not an object). Read an error's details by shape only through this. */
export function detailsOf(e: unknown): Readonly<Record<string, unknown>> {
  if (!isAutomintError(e)) return {};
  const details = (e as { details?: unknown }).details;
  return typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {};
}

/** True when `e` (or an error it wraps) says that trying again cannot help until a person acts: a refused login, a
 *  missing or revoked session, an expired pasted token. Such errors carry `details.permanent === true`. */
export function isPermanent(e: unknown): boolean {
  return causeChain(e).some((c) => detailsOf(c)['permanent'] === true);
}

/** When a refused call may be made again (epoch ms), if the error says (`details.retryAt`): a rate limit or a flood
 *  wait; the caller holds instead of counting a failure. */
export function retryAtOf(e: unknown): number | null {
  for (const c of causeChain(e)) {
    const at = detailsOf(c)['retryAt'];
    if (typeof at === 'number' && Number.isFinite(at)) return at;
  }
  return null;
}

/** True when `e` (or an error it wraps) says it was held back by a rate limit: `details.rateLimited === true`, or the
 *  host limiter's code (STORE_RATE_LIMITED). Such a refusal is waited out, never counted as a failure. */
export function isRateLimited(e: unknown): boolean {
  return causeChain(e).some((c) => isAutomintError(c) && (detailsOf(c)['rateLimited'] === true || RATE_LIMITED_CODES.has(c.code)));
}

/** An automint error as log facts: name, code, message and details, whichever copy made it (a hand-built one has no
 *  toJSON); anything else as its message. The cause is left out: it may carry secrets. */
export function errorFacts(e: unknown): Record<string, unknown> {
  if (isAutomintError(e)) {
    const name = typeof (e as { name?: unknown }).name === 'string' ? e.name : 'AutomintError';
    return { name, code: e.code, message: String(e.message), ...detailsOf(e) };
  }
  return { message: e instanceof Error ? e.message : String(e) };
}
