/** GramJS's own logger, bent into pino. GramJS prints to the console and, above some levels, dumps raw error objects
 *  there too; this logger stays at level NONE (so those dumps never happen) and forwards only GramJS's warnings and
 *  errors, scrubbed of every registered secret, as debug/warn lines tagged `component: 'gramjs'`. */
import type { Logger as Pino } from 'pino';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { scrub } from '../../core/telemetry/secret-registry.js';

const MAX_MESSAGE = 300;

/** A GramJS logger writing to `log` (child with `component: 'gramjs'`). */
export class GramLog extends Logger {
  private readonly out: Pino;

  constructor(log: Pino, readonly account?: string) {
    super(LogLevel.NONE);
    this.out = log.child({ component: 'gramjs', ...(account === undefined ? {} : { account }) });
  }

  /** GramJS warns on every close and reconnect: routine, so debug. */
  override warn(message: string): void {
    this.out.debug(clean(message));
  }

  override error(message: string): void {
    this.out.warn(clean(message));
  }

  override info(): void {}

  override debug(): void {}
}

function clean(message: unknown): string {
  return scrub(String(message)).slice(0, MAX_MESSAGE);
}
