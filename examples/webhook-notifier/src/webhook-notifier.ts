/** Posts each run event to the webhook, one at a time in the order the run emitted them (the bus calls a subscriber's
 *  handler once at a time). A failed or slow POST is thrown: the bus counts it and goes on with the next event, and
 *  nothing here can hold the run (its queue drops the oldest event when the webhook falls behind). */
import type { Notifier, RunEvent, RunEventSource, Subscription } from 'automint/plugin';
import type { WebhookConfig } from './config.js';

export class WebhookNotifier implements Notifier {
  readonly id = 'webhook';
  private subscription: Subscription | null = null;

  constructor(private readonly config: WebhookConfig) {}

  subscribe(events: RunEventSource): void {
    const only = this.config.types === undefined ? {} : { types: this.config.types };
    this.subscription = events.subscribe('webhook', (e) => this.post(e), only);
  }

  close(): void {
    // The run has drained our queue before calling this: nothing is left to send.
    this.subscription?.unsubscribe();
  }

  private async post(event: RunEvent): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.config.timeoutMs);
    try {
      const res = await fetch(this.config.url, {
        method: 'POST', signal: controller.signal,
        headers: { authorization: `Bearer ${this.config.token}`, 'content-type': 'application/json' },
        // Events are plain JSON by contract (amounts are digit strings): stringify as is.
        body: JSON.stringify(event),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`webhook answered HTTP ${res.status} to ${event.type}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
