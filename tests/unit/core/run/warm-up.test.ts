/** The store's connections are warmed around each drop's time only, up to the count asked, and closed at the end. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startWarmUps, WARM_LEAD_MS, WARM_TAIL_MS, warmingAt } from '../../../../core/run/warm-up.js';
import { WarmSockets } from '../../../../core/store/warm-sockets.js';

let server: Server;
let origin: string;
let accepted: Socket[];

beforeEach(async () => {
  accepted = [];
  server = createServer((_req, res) => void res.end('{}'));
  server.on('connection', (s: Socket) => accepted.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const until = async (done: () => boolean): Promise<void> => {
  while (!done()) await new Promise((r) => setTimeout(r, 5));
};

function logged() {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) }) };
}

describe('when the store connections are warmed', () => {
  it('from shortly before a drop until a while after it, for any of the drops', () => {
    const drop = 1_000_000;
    expect(warmingAt([drop], drop - WARM_LEAD_MS - 1)).toBe(false);
    expect(warmingAt([drop], drop - WARM_LEAD_MS)).toBe(true);
    expect(warmingAt([drop], drop + WARM_TAIL_MS)).toBe(true);
    expect(warmingAt([drop], drop + WARM_TAIL_MS + 1)).toBe(false);
    expect(warmingAt([drop, drop + 60_000], drop + 55_000)).toBe(true);
    expect(warmingAt([], drop)).toBe(false);
  });

  it('opens the first wave\'s connections when a drop is near, says so, and closes the unused ones at the end', async () => {
    const sockets = new WarmSockets();
    const { lines, log } = logged();
    const drop = Date.now() + 5_000;
    const warm = startWarmUps({ sockets, origin, count: 3, dropAts: [drop], log });
    await until(() => sockets.ready(origin) === 3 && accepted.length === 3);
    await until(() => lines.some((l) => l['msg'] === 'store connections opened for the drop'));
    expect(lines.find((l) => l['msg'] === 'store connections opened for the drop')).toMatchObject({ ready: 3, wanted: 3 });
    warm.stop();
    expect(sockets.ready(origin)).toBe(0);
    await until(() => accepted.every((s) => s.destroyed || s.readableEnded));
    expect(lines.find((l) => String(l['msg']).startsWith('store connections: taken warm'))).toMatchObject({ warm: 0, opened: 0 });
  });

  it('opens nothing far from any drop, nor without one, nor for a wave of none', async () => {
    const { log } = logged();
    for (const [dropAts, count] of [[[Date.now() + 10 * 60_000], 3], [[], 3], [[Date.now()], 0]] as const) {
      const sockets = new WarmSockets();
      const warm = startWarmUps({ sockets, origin, count, dropAts, log });
      await new Promise((r) => setTimeout(r, 30));
      expect(sockets.ready(origin)).toBe(0);
      warm.stop();
    }
    expect(accepted).toHaveLength(0);
  });
});
