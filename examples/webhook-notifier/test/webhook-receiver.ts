/** A webhook for tests: records every POST (its JSON body and whether it carried the expected bearer token) and
 *  answers 200, or the status a test sets. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly body: { readonly type: string } & Record<string, unknown>;
  readonly authorized: boolean;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: Received[];
  /** The status every next POST is answered with. */
  answer(status: number): void;
  close(): Promise<void>;
}

/** Starts a webhook on 127.0.0.1 that expects `Authorization: Bearer <token>`. */
export async function startWebhookReceiver(token: string): Promise<WebhookReceiver> {
  const received: Received[] = [];
  let status = 200;
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => {
      received.push({ body: JSON.parse(text) as Received['body'], authorized: req.headers.authorization === `Bearer ${token}` });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    answer: (s) => void (status = s),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
