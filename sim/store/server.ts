/** The HTTP side of the store: node:http in front of the request chain. Reads the request (body capped), builds the
 *  context, runs the chain and writes the reply; nothing here knows the store's rules. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { refuse, replyText, type Endpoint, type Reply } from './pipeline.js';

/** Bodies larger than this are refused: the store's requests carry at most an initData string. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface HttpListener {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts listening on `host:port` (0 picks a free port) and answers every request through `endpoint`. */
export async function listen(endpoint: Endpoint, host: string, port: number): Promise<HttpListener> {
  const server = createServer((req, res) => {
    void answer(endpoint, req, res);
  });
  // Idle keep-alive sockets outlive the clients' idle timeouts, so no client reuses a socket as the server closes it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${shownHost}:${address.port}`, close: () => closeServer(server) };
}

async function answer(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let reply: Reply;
  try {
    const body = await readBody(req);
    if (body === null) {
      reply = refuse('payload_too_large', 'request body too large');
    } else {
      const url = new URL(req.url ?? '/', 'http://store.invalid');
      reply = await endpoint({
        request: {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          remoteAddress: req.socket.remoteAddress ?? '',
          body,
        },
        caller: null,
      });
    }
  } catch {
    // The chain turns its own errors into replies; what lands here is a broken request line or socket.
    reply = refuse('invalid_params', 'unreadable request');
  }
  if (res.destroyed) return;
  if (reply.body.kind === 'drop') {
    // An injected connection reset: the client gets no status line, only a closed socket.
    req.socket.destroy();
    return;
  }
  const content = replyText(reply);
  if (!content) {
    res.writeHead(reply.status, reply.headers);
    res.end();
    return;
  }
  res.writeHead(reply.status, {
    ...reply.headers,
    'content-type': content.contentType,
    'content-length': Buffer.byteLength(content.text),
  });
  res.end(content.text);
}

/** The body as UTF-8 text, or null when it is longer than MAX_BODY_BYTES (the rest is read and dropped). */
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive sockets (undici pools) would hold close() open until they time out.
    server.closeAllConnections();
  });
}
