/** Store connections opened before the drop and handed to undici's pool when it next needs one: the drop's requests
 *  open no connection of their own; a stale socket, or one the server closed, is never handed out. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Agent, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WARM_SOCKET_MAX_AGE_MS, WarmSockets } from '../../../../core/store/warm-sockets.js';

let server: Server;
let origin: string;
/** Every connection the server accepted. */
let accepted: Socket[];
const agents: Agent[] = [];

beforeEach(async () => {
  accepted = [];
  server = createServer((req, res) => void res.end(JSON.stringify({ path: req.url })));
  server.on('connection', (s: Socket) => accepted.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const a of agents.splice(0)) await a.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function agentWith(warm: WarmSockets, connections: number): Agent {
  const agent = new Agent({ connections, connect: warm.connect });
  agents.push(agent);
  return agent;
}

async function get(agent: Agent, path: string): Promise<unknown> {
  const answer = await request(`${origin}${path}`, { dispatcher: agent });
  return JSON.parse(await answer.body.text());
}

const until = async (done: () => boolean): Promise<void> => {
  while (!done()) await new Promise((r) => setTimeout(r, 5));
};

describe('store connections warmed before the drop', () => {
  it('opens them ahead, and the drop\'s requests go out on them without a connection of their own', async () => {
    const warm = new WarmSockets();
    expect(await warm.warm(origin, 3)).toBe(3);
    await until(() => accepted.length === 3);
    const agent = agentWith(warm, 3);
    const answers = await Promise.all([get(agent, '/a'), get(agent, '/b'), get(agent, '/c')]);
    expect(answers).toEqual([{ path: '/a' }, { path: '/b' }, { path: '/c' }]);
    expect(accepted).toHaveLength(3);
    expect(warm.used).toEqual({ warm: 3, cold: 0 });
    expect(warm.ready(origin)).toBe(0);
    // Once the warm ones are used up, undici connects as it always does.
    const more = agentWith(warm, 1);
    expect(await get(more, '/d')).toEqual({ path: '/d' });
    expect(warm.used).toEqual({ warm: 3, cold: 1 });
    warm.close();
  });

  it('tops up to the count asked rather than adding to it, and keeps each origin apart', async () => {
    const warm = new WarmSockets();
    await warm.warm(origin, 2);
    expect(await warm.warm(origin, 3)).toBe(3);
    await until(() => accepted.length === 3);
    expect(warm.ready(origin.replace('127.0.0.1', 'localhost'))).toBe(0);
    warm.close();
    await until(() => accepted.every((s) => s.destroyed || s.readableEnded));
    expect(warm.ready(origin)).toBe(0);
    // Closed for good: a later warm-up keeps nothing.
    expect(await warm.warm(origin, 1)).toBe(0);
  });

  it('never hands out a socket older than the age undici trusts an idle connection for: it is closed and replaced', async () => {
    let now = 0;
    const warm = new WarmSockets(() => now);
    await warm.warm(origin, 2);
    now += WARM_SOCKET_MAX_AGE_MS + 1;
    expect(warm.ready(origin)).toBe(0);
    expect(await warm.warm(origin, 2)).toBe(2);
    await until(() => accepted.length === 4);
    // The two stale ones were closed by us.
    await until(() => accepted.filter((s) => s.destroyed || s.readableEnded).length === 2);
    const agent = agentWith(warm, 2);
    await Promise.all([get(agent, '/x'), get(agent, '/y')]);
    expect(accepted).toHaveLength(4);
    warm.close();
  });

  it('replaces at a top-up the sockets that would go stale before the next one, so the drop always finds one fresh', async () => {
    let now = 0;
    const warm = new WarmSockets(() => now);
    await warm.warm(origin, 2, 3_000);
    // 0.5 s old: fresh for 3.5 s more, past the next top-up; kept.
    now = 500;
    expect(await warm.warm(origin, 2, 3_000)).toBe(2);
    await until(() => accepted.length === 2);
    // 1.5 s old: stale in 2.5 s, before the next top-up; replaced.
    now = 1_500;
    expect(await warm.warm(origin, 2, 3_000)).toBe(2);
    await until(() => accepted.length === 4);
    expect(warm.ready(origin)).toBe(2);
    warm.close();
  });

  it('drops a socket the server closed while it waited, and the request opens a fresh one', async () => {
    const warm = new WarmSockets();
    await warm.warm(origin, 1);
    await until(() => accepted.length === 1);
    accepted[0]!.end();
    await until(() => warm.ready(origin) === 0);
    const agent = agentWith(warm, 1);
    expect(await get(agent, '/after-close')).toEqual({ path: '/after-close' });
    expect(warm.used).toEqual({ warm: 0, cold: 1 });
  });

  it('leaves out a connection that could not be opened: nothing is kept, nothing is thrown', async () => {
    const warm = new WarmSockets();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const gone = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    expect(await warm.warm(gone, 2)).toBe(0);
    warm.close();
  });
});
