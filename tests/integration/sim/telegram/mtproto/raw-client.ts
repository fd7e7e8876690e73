/** A minimal MTProto client for what GramJS cannot send or does not surface (service messages whose answers it
 *  drops, bad msg_ids, hand-made containers, other framings). Encryption and KDF are GramJS's own MTProtoState, so
 *  the server is checked against an independent implementation; framing and message layout are written here, as
 *  plainly as the spec. */
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { crc32 } from 'node:zlib';
import bigInt from 'big-integer';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { IGE } from 'telegram/crypto/IGE.js';
import { BinaryReader } from 'telegram/extensions/index.js';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { MTProtoState } from 'telegram/network/MTProtoState.js';
import { Api } from 'telegram';

export type RawFraming = 'abridged' | 'intermediate' | 'padded-intermediate' | 'full';

/** A message from the server, containers opened. */
export interface Received {
  readonly msgId: bigint;
  readonly seqNo: number;
  readonly obj: unknown;
}

/** The shape GramJS gives rpc_result. */
export interface RpcResultLike {
  readonly reqMsgId: { toString(): string };
  readonly body?: Buffer;
  readonly error?: Api.RpcError;
}

export class RawClient {
  readonly received: Received[] = [];
  readonly transportErrors: number[] = [];
  closed = false;
  private readonly state: MTProtoState;
  private readonly authKey: AuthKey;
  private inbox = Buffer.alloc(0);
  private sendSeq = 0;
  private recvSeq = 0;
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly socket: Socket,
    private readonly framing: RawFraming,
    authKey: AuthKey,
  ) {
    this.authKey = authKey;
    this.state = new MTProtoState(authKey, new Logger(LogLevel.NONE));
    socket.on('data', (chunk: Buffer) => {
      this.inbox = Buffer.concat([this.inbox, chunk]);
      for (const payload of this.frames()) this.chain = this.chain.then(() => this.onPayload(payload));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => (this.closed = true));
  }

  /** Connects with an auth key (made by the server out of band) and announces the framing. */
  static async open(port: number, key: Buffer, framing: RawFraming = 'intermediate'): Promise<RawClient> {
    const authKey = new AuthKey();
    await authKey.setKey(key);
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const tag = { abridged: 'ef', intermediate: 'eeeeeeee', 'padded-intermediate': 'dddddddd', full: '' }[framing];
    if (tag) socket.write(Buffer.from(tag, 'hex'));
    return new RawClient(socket, framing, authKey);
  }

  /** The session id GramJS's state chose (kept private by GramJS; the tests need to name the session). */
  get sessionId(): bigint {
    return BigInt((this.state as unknown as { id: bigInt.BigInteger }).id.toString());
  }

  set salt(salt: bigint) {
    this.state.salt = bigInt(salt.toString());
  }

  /** Gets a valid salt the way a fresh client does: a ping with salt 0 earns bad_server_salt with the right one. */
  async learnSalt(): Promise<void> {
    this.salt = 0n;
    await this.send(new Api.Ping({ pingId: bigInt(1) }));
    const bad = await this.waitFor((m) => m.obj instanceof Api.BadServerSalt);
    this.salt = BigInt((bad.obj as Api.BadServerSalt).newServerSalt.toString());
  }

  /** A fresh client msg_id. */
  nextMsgId(): bigint {
    return BigInt(this.state._getNewMsgId().toString());
  }

  /** Encrypts and sends one message; returns its msg_id. */
  async send(body: Buffer | { getBytes(): Buffer }, opts: { msgId?: bigint; seqNo?: number; contentRelated?: boolean } = {}): Promise<bigint> {
    const data = Buffer.isBuffer(body) ? body : body.getBytes();
    const msgId = opts.msgId ?? this.nextMsgId();
    const seqNo = opts.seqNo ?? this.state._getSeqNo(opts.contentRelated ?? true);
    const head = Buffer.alloc(16);
    head.writeBigInt64LE(BigInt.asIntN(64, msgId), 0);
    head.writeInt32LE(seqNo, 8);
    head.writeInt32LE(data.length, 12);
    this.writePayload(await this.state.encryptMessageData(Buffer.concat([head, data])));
    return msgId;
  }

  /** Sends an unencrypted (handshake) message. */
  sendPlain(body: { getBytes(): Buffer }): void {
    const data = body.getBytes();
    const head = Buffer.alloc(20);
    head.writeBigInt64LE(BigInt.asIntN(64, this.nextMsgId()), 8);
    head.writeInt32LE(data.length, 16);
    this.writePayload(Buffer.concat([head, data]));
  }

  /** msg_container bytes for messages made with `contained`. */
  container(messages: readonly { msgId: bigint; seqNo: number; body: Buffer }[]): Buffer {
    const parts = [Buffer.from('dcf8f173', 'hex'), int32(messages.length)];
    for (const m of messages) {
      const head = Buffer.alloc(16);
      head.writeBigInt64LE(m.msgId, 0);
      head.writeInt32LE(m.seqNo, 8);
      head.writeInt32LE(m.body.length, 12);
      parts.push(head, m.body);
    }
    return Buffer.concat(parts);
  }

  /** The next content-related / other seqno. */
  seqNo(contentRelated: boolean): number {
    return this.state._getSeqNo(contentRelated);
  }

  /** Bytes straight onto the socket (after the framing tag). */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Frames one payload in the client's framing and writes it. */
  writePayload(payload: Buffer): void {
    this.socket.write(this.frame(payload));
  }

  /** The first received message (past or future) matching `match`. */
  async waitFor(match: (m: Received) => boolean, timeoutMs = 5_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error('timed out waiting for a server message');
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** The rpc_result answering `msgId`. */
  async result(msgId: bigint): Promise<RpcResultLike> {
    const m = await this.waitFor((r) => isRpcResult(r.obj) && r.obj.reqMsgId.toString() === msgId.toString());
    return m.obj as RpcResultLike;
  }

  close(): void {
    this.socket.destroy();
  }

  private frame(payload: Buffer): Buffer {
    switch (this.framing) {
      case 'abridged': {
        const words = payload.length / 4;
        const head = words < 127 ? Buffer.from([words]) : Buffer.from([0x7f, words & 0xff, (words >> 8) & 0xff, (words >> 16) & 0xff]);
        return Buffer.concat([head, payload]);
      }
      case 'intermediate':
        return Buffer.concat([int32(payload.length), payload]);
      case 'padded-intermediate': {
        const padding = Buffer.alloc(7, 0x5a);
        return Buffer.concat([int32(payload.length + padding.length), payload, padding]);
      }
      case 'full': {
        const body = Buffer.concat([int32(payload.length + 12), int32(this.sendSeq++), payload]);
        return Buffer.concat([body, uint32(crc32(body))]);
      }
    }
  }

  private *frames(): Generator<Buffer> {
    for (;;) {
      const b = this.inbox;
      let head: number;
      let length: number;
      if (this.framing === 'abridged') {
        if (b.length < 1) return;
        head = b[0] === 0x7f ? 4 : 1;
        if (b.length < head) return;
        length = (head === 4 ? b.readUIntLE(1, 3) : (b[0] ?? 0)) * 4;
      } else if (this.framing === 'full') {
        if (b.length < 8) return;
        head = 8;
        length = b.readInt32LE(0) - 8;
        if (b.readInt32LE(4) !== this.recvSeq) throw new Error('server broke the TCP-full sequence');
      } else {
        if (b.length < 4) return;
        head = 4;
        length = b.readUInt32LE(0);
      }
      if (b.length < head + length) return;
      let payload = b.subarray(head, head + length);
      if (this.framing === 'full') {
        if (crc32(b.subarray(0, 8 + length - 4)) !== payload.readUInt32LE(payload.length - 4)) throw new Error('server sent a bad crc');
        payload = payload.subarray(0, -4);
        this.recvSeq++;
      }
      this.inbox = b.subarray(head + length);
      yield Buffer.from(payload);
    }
  }

  private async onPayload(frame: Buffer): Promise<void> {
    const padded = this.framing === 'padded-intermediate';
    if (frame.length === 4 || (padded && frame.length < 24)) {
      this.transportErrors.push(frame.readInt32LE(0));
      return;
    }
    if (frame.readBigUInt64LE(0) === 0n) {
      const length = frame.readInt32LE(16);
      this.received.push({ msgId: frame.readBigInt64LE(8), seqNo: 0, obj: new BinaryReader(frame.subarray(20, 20 + length)).tgReadObject() });
      return;
    }
    // Padded intermediate adds 0-15 random bytes past the last AES block.
    const payload = padded ? frame.subarray(0, frame.length - ((frame.length - 24) % 16)) : frame;
    const key = this.authKey.getKey();
    if (!key) throw new Error('raw client has no auth key');
    const msgKey = payload.subarray(8, 24);
    const { key: aesKey, iv } = await this.state._calcKey(key, msgKey, false);
    const plain = new IGE(aesKey, iv).decryptIge(payload.subarray(24));
    const expected = createHash('sha256').update(key.subarray(96, 128)).update(plain).digest().subarray(8, 24);
    if (!expected.equals(msgKey)) throw new Error('server message has a wrong msg_key');
    const length = plain.readInt32LE(28);
    await this.collect(plain.readBigInt64LE(16), plain.readInt32LE(24), plain.subarray(32, 32 + length));
  }

  /** Records one message, opening containers. GramJS cannot read future_salts (its bare vector of bare
   *  future_salt), so that one is read here. */
  private async collect(msgId: bigint, seqNo: number, body: Buffer): Promise<void> {
    const ctor = body.readUInt32LE(0);
    if (ctor === 0x73f1f8dc) {
      let at = 8;
      for (let i = 0; i < body.readInt32LE(4); i++) {
        const length = body.readInt32LE(at + 12);
        await this.collect(body.readBigInt64LE(at), body.readInt32LE(at + 8), body.subarray(at + 16, at + 16 + length));
        at += 16 + length;
      }
      return;
    }
    if (ctor === 0xae500895) {
      const salts: FutureSaltsMessage['salts'][number][] = [];
      for (let i = 0, at = 20; i < body.readInt32LE(16); i++, at += 16) {
        salts.push({ validSince: body.readInt32LE(at), validUntil: body.readInt32LE(at + 4), salt: body.readBigInt64LE(at + 8) });
      }
      const obj: FutureSaltsMessage = { kind: 'future_salts', reqMsgId: body.readBigInt64LE(4), now: body.readInt32LE(12), salts };
      this.received.push({ msgId, seqNo, obj });
      return;
    }
    const obj: unknown = await new BinaryReader(body).tgReadObject();
    this.received.push({ msgId, seqNo, obj });
  }
}

/** future_salts as the raw client reads it. */
export interface FutureSaltsMessage {
  readonly kind: 'future_salts';
  readonly reqMsgId: bigint;
  readonly now: number;
  readonly salts: readonly { readonly validSince: number; readonly validUntil: number; readonly salt: bigint }[];
}

export function isFutureSalts(obj: unknown): obj is FutureSaltsMessage {
  return typeof obj === 'object' && obj !== null && 'kind' in obj && obj.kind === 'future_salts';
}

export function isRpcResult(obj: unknown): obj is RpcResultLike {
  return typeof obj === 'object' && obj !== null && 'reqMsgId' in obj && ('body' in obj || 'error' in obj) && !isFutureSalts(obj);
}

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

function uint32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}
