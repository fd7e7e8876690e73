/** Reasons of failed system calls, for messages a person can act on. */
/** The operating system's (or SQLite's) reason for a failed call, as `EACCES: permission denied`: the code and its
 *  description without the syscall and path that Node appends, so a message can name the path once, its own way. */
export function osReason(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown } | null | undefined;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  // Node: "EACCES: permission denied, open '/x'"; SQLite: "attempt to write a readonly database" with code SQLITE_READONLY.
  const description = (code && message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message).replace(/, \w+ '[^']*'(?: -> '[^']*')?$/, '');
  return code ? `${code}: ${description}` : description;
}
