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

/** True when `e` is an AutomintError with the given code. */
export function hasCode(e: unknown, code: string): boolean {
  return e instanceof AutomintError && e.code === code;
}
