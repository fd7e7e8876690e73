/** Faults the simulated Telegram injects on request, per method: a 420 FLOOD_WAIT_<s> instead of an answer, an RPC
 *  error of the test's choosing instead of the work (e.g. BALANCE_TOO_LOW to the repeat of a call that already paid),
 *  the work and its answer held back for a while (the client gives up before Telegram acts), or the connection closed
 *  instead of an answer, before the work or after it (the "unknown outcome" a payer must reconcile). Each injection
 *  applies to the next `times` calls of its method, in order. */
import { SimTelegramError } from './errors.js';

/** What to do to one call instead of answering it normally. */
export type InjectedFault =
  | { readonly kind: 'flood-wait'; readonly seconds: number }
  | { readonly kind: 'disconnect'; readonly afterWork: boolean }
  | { readonly kind: 'rpc-error'; readonly code: number; readonly message: string }
  | { readonly kind: 'delay'; readonly ms: number };

/** Counts of faults injected so far. */
export interface FaultCounts {
  readonly floodWaits: number;
  readonly disconnects: number;
}

/** Pending injections per method. */
export class FaultPlan {
  private readonly pending = new Map<string, InjectedFault[]>();
  private floodWaits = 0;
  private disconnects = 0;

  /** `methods`: the classNames the server serves; injections for any other name are refused as typos. */
  constructor(private readonly methods: ReadonlySet<string>) {}

  /** The next `times` calls of `method` fail with 420 FLOOD_WAIT_<seconds>. */
  floodWait(method: string, seconds: number, times = 1): void {
    positive('seconds', seconds, method);
    this.add(method, { kind: 'flood-wait', seconds }, times);
  }

  /** The next `times` calls of `method` close the connection instead of answering, after doing the work when
   *  `afterWork`. */
  disconnect(method: string, opts: { times?: number; afterWork?: boolean } = {}): void {
    this.add(method, { kind: 'disconnect', afterWork: opts.afterWork ?? false }, opts.times ?? 1);
  }

  /** The next `times` calls of `method` fail with the RPC error `code` `message` without doing any work. */
  rpcError(method: string, code: number, message: string, times = 1): void {
    positive('code', code, method);
    if (!/^[A-Z0-9_]{1,80}$/.test(message)) {
      throw new SimTelegramError('FAULT_INVALID', `an RPC error message is upper case words and digits, got ${message}`, { method, message });
    }
    this.add(method, { kind: 'rpc-error', code, message }, times);
  }

  /** The next `times` calls of `method` wait `ms` before doing the work and answering: a client with a shorter
   *  timeout gives up while Telegram has not acted yet, and Telegram acts afterwards all the same. */
  delay(method: string, ms: number, times = 1): void {
    positive('ms', ms, method);
    this.add(method, { kind: 'delay', ms }, times);
  }

  /** The fault for this call of `method`, consumed, or undefined to answer normally. */
  take(method: string): InjectedFault | undefined {
    const queue = this.pending.get(method);
    const fault = queue?.shift();
    if (queue?.length === 0) this.pending.delete(method);
    if (fault?.kind === 'flood-wait') this.floodWaits++;
    if (fault?.kind === 'disconnect') this.disconnects++;
    return fault;
  }

  /** How many faults were injected so far. */
  counts(): FaultCounts {
    return { floodWaits: this.floodWaits, disconnects: this.disconnects };
  }

  private add(method: string, fault: InjectedFault, times: number): void {
    if (!this.methods.has(method)) {
      throw new SimTelegramError('FAULT_INVALID', `the simulated Telegram does not serve ${method}`, { method });
    }
    positive('times', times, method);
    const queue = this.pending.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(fault);
    this.pending.set(method, queue);
  }
}

function positive(name: string, value: number, method: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new SimTelegramError('FAULT_INVALID', `${name} must be a positive integer, got ${value}`, { method, [name]: value });
  }
}
