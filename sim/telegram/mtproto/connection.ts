/** One client TCP connection: bytes → transport payloads → either a handshake step (plain messages) or the message
 *  intake (encrypted ones); answers go back through the connection's outbox in the client's framing. A protocol
 *  violation closes this connection only (after a -404 where Telegram sends one); an unexpected failure is
 *  reported and closes it too. Never throws into the socket's event loop. */
import type { Socket } from 'node:net';
import { BinaryReader } from 'telegram/extensions/index.js';
import { Handshake, type HandshakeDeps } from './handshake.js';
import type { ClientLink, MessageIntake } from './message-intake.js';
import type { ServerMsgIds } from './msg-id.js';
import { Outbox } from './outbox.js';
import { readPlainMessage, writePlainMessage } from './plain-message.js';
import { MtprotoProtocolError } from './protocol-error.js';
import type { OutgoingMessage, Session } from './sessions.js';
import type { StatsCounter } from './stats.js';
import { Transport } from './transport.js';

export interface ConnectionDeps {
  readonly intake: MessageIntake;
  readonly handshake: HandshakeDeps;
  readonly msgIds: ServerMsgIds;
  readonly stats: StatsCounter;
  readonly now: () => number;
  readonly onUnexpectedError: (e: unknown) => void;
  readonly onClose: (c: Connection) => void;
}

/** One accepted socket and everything it carries. */
export class Connection implements ClientLink {
  private readonly transport = new Transport();
  private readonly outbox: Outbox;
  private handshake: Handshake | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(
    private readonly socket: Socket,
    private readonly deps: ConnectionDeps,
  ) {
    this.outbox = new Outbox({ msgIds: deps.msgIds, now: deps.now, write: (p) => this.write(p) });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // An 'error' is always followed by 'close', where the connection is cleaned up.
    socket.on('error', () => undefined);
    socket.on('close', () => this.onClosed());
  }

  get open(): boolean {
    return !this.closing && !this.socket.destroyed;
  }

  get paddedTransport(): boolean {
    return this.transport.padded;
  }

  deliver(session: Session, message: OutgoingMessage): void {
    this.outbox.add(session, message);
  }

  ack(session: Session, msgId: bigint): void {
    this.outbox.ack(session, msgId);
  }

  closeAfter(seconds: number): void {
    clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(() => this.destroy(), Math.max(0, seconds) * 1000);
    this.closeTimer.unref();
  }

  /** Closes the connection at once. */
  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    try {
      for (const payload of this.transport.receive(chunk)) {
        this.onPayload(payload);
        if (this.closing) return;
      }
    } catch (e) {
      this.fail(e);
    }
  }

  private onPayload(payload: Buffer): void {
    if (payload.length < 8) throw new MtprotoProtocolError('FRAME_INVALID', 'payload shorter than an auth key id', { length: payload.length });
    if (payload.readBigUInt64LE(0) === 0n) this.onPlain(payload);
    else this.deps.intake.receive(this, payload);
  }

  private onPlain(payload: Buffer): void {
    const { body } = readPlainMessage(payload, this.transport.padded);
    let request: unknown;
    try {
      request = new BinaryReader(body).tgReadObject();
    } catch {
      throw new MtprotoProtocolError('HANDSHAKE_INVALID', 'plain message does not hold a TL object', {}, -404);
    }
    this.handshake ??= new Handshake(this.deps.handshake);
    const answer = this.handshake.answer(request);
    this.write(writePlainMessage(this.deps.msgIds.next('answer'), answer));
  }

  private write(payload: Buffer): boolean {
    if (!this.open) return false;
    this.socket.write(this.transport.send(payload));
    return true;
  }

  private fail(e: unknown): void {
    if (e instanceof MtprotoProtocolError) {
      this.deps.stats.protocolViolation();
      if (e.transportError !== undefined && this.transport.framing !== undefined) {
        const code = Buffer.alloc(4);
        code.writeInt32LE(e.transportError);
        this.write(code);
        this.deps.stats.transportError();
      }
      this.closing = true;
      // Let the transport error reach the client, then close.
      this.socket.end(() => this.socket.destroy());
      return;
    }
    try {
      this.deps.onUnexpectedError(e);
    } finally {
      this.destroy();
    }
  }

  private onClosed(): void {
    this.closing = true;
    clearTimeout(this.closeTimer);
    this.deps.stats.connectionClosed();
    this.deps.onClose(this);
  }
}
