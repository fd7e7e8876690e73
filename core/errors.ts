/** The root of every error automint throws on purpose: a stable `code` a program can switch on and the facts a
 *  person needs to act, never a secret. */
export class AutomintError extends Error {
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

/** True when `e` is an AutomintError: by class, or by shape (an Error with a string `code` and a `details` object),
 *  so an error made by a plugin that bundles its own copy of this class is recognised too. A Node or HTTP-client
 *  error carries a `code` but no `details`, and is not one. */
export function isAutomintError(e: unknown): e is AutomintError {
  if (e instanceof AutomintError) return true;
  if (!(e instanceof Error)) return false;
  const { code, details } = e as { code?: unknown; details?: unknown };
  return typeof code === 'string' && typeof details === 'object' && details !== null;
}

/** True when `e` is an AutomintError (by class or shape) with the given code. */
export function hasCode(e: unknown, code: string): boolean {
  return isAutomintError(e) && e.code === code;
}

/** True when `e` (or an error it wraps) says that trying again cannot help until a person acts: a refused login, a
 *  missing or revoked session, an expired pasted token. Such errors carry `details.permanent === true`. */
export function isPermanent(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 10; c = (c as { cause?: unknown }).cause, depth++) {
    if (c instanceof AutomintError && c.details['permanent'] === true) return true;
  }
  return false;
}

/** When a refused call may be made again (epoch ms), if the error says (`details.retryAt`): a rate limit or a flood
 *  wait; the caller holds instead of counting a failure. */
export function retryAtOf(e: unknown): number | null {
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 10; c = (c as { cause?: unknown }).cause, depth++) {
    const at = c instanceof AutomintError ? c.details['retryAt'] : undefined;
    if (typeof at === 'number' && Number.isFinite(at)) return at;
  }
  return null;
}
