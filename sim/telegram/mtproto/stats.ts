/** Counters a test reads to see what the simulated MTProto server did. */

export interface MtprotoStats {
  /** TCP connections accepted since start. */
  readonly connectionsOpened: number;
  /** Connections open now. */
  readonly connectionsOpen: number;
  /** Auth key handshakes that ended in dh_gen_ok. */
  readonly handshakesCompleted: number;
  /** RPC queries by method className after unwrapping (`help.GetConfig`, `users.GetUsers`), handled or not. */
  readonly requests: Readonly<Record<string, number>>;
  /** Service messages by className (`Ping`, `MsgsAck`, `GetFutureSalts`, `MsgsStateReq`, `DestroySession`, …). */
  readonly serviceMessages: Readonly<Record<string, number>>;
  /** RPC answers written, by the TL layer they were written in (the layer the client announced, or the nearest the
   *  server knows). */
  readonly answersByLayer: Readonly<Record<string, number>>;
  /** rpc_error answers, by error_message. */
  readonly rpcErrors: Readonly<Record<string, number>>;
  /** Transport errors (-404) sent before closing a connection. */
  readonly transportErrorsSent: number;
  /** bad_msg_notification messages, by error_code. */
  readonly badMsgNotifications: Readonly<Record<string, number>>;
  /** bad_server_salt messages. */
  readonly badServerSalts: number;
  /** Connections closed because the client broke the protocol (garbage, bad checksum, bad msg_key, …). */
  readonly protocolViolations: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The live counters behind `MtprotoServer.stats()`. */
export class StatsCounter {
  private readonly counts: Mutable<Omit<MtprotoStats, 'requests' | 'serviceMessages' | 'rpcErrors' | 'badMsgNotifications' | 'answersByLayer'>> = {
    connectionsOpened: 0,
    connectionsOpen: 0,
    handshakesCompleted: 0,
    transportErrorsSent: 0,
    badServerSalts: 0,
    protocolViolations: 0,
  };
  private readonly requests = new Map<string, number>();
  private readonly service = new Map<string, number>();
  private readonly errors = new Map<string, number>();
  private readonly badMsgs = new Map<string, number>();
  private readonly layers = new Map<string, number>();

  connectionOpened(): void {
    this.counts.connectionsOpened++;
    this.counts.connectionsOpen++;
  }

  connectionClosed(): void {
    this.counts.connectionsOpen--;
  }

  handshakeCompleted(): void {
    this.counts.handshakesCompleted++;
  }

  request(className: string): void {
    bump(this.requests, className);
  }

  serviceMessage(className: string): void {
    bump(this.service, className);
  }

  answerInLayer(layer: number): void {
    bump(this.layers, String(layer));
  }

  rpcError(message: string): void {
    bump(this.errors, message);
  }

  transportError(): void {
    this.counts.transportErrorsSent++;
  }

  badMsg(code: number): void {
    bump(this.badMsgs, String(code));
  }

  badSalt(): void {
    this.counts.badServerSalts++;
  }

  protocolViolation(): void {
    this.counts.protocolViolations++;
  }

  /** A copy of the counters now. */
  snapshot(): MtprotoStats {
    return {
      ...this.counts,
      requests: Object.fromEntries(this.requests),
      serviceMessages: Object.fromEntries(this.service),
      rpcErrors: Object.fromEntries(this.errors),
      answersByLayer: Object.fromEntries(this.layers),
      badMsgNotifications: Object.fromEntries(this.badMsgs),
    };
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
