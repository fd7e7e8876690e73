/** Runs RPC queries: removes the wrappers Telegram interprets itself (invokeWithLayer, recording the layer;
 *  initConnection; invokeWithoutUpdates; invokeAfterMsg(s), which wait for the named queries and fail with
 *  MSG_WAIT_FAILED when one of them failed), calls the handler named by the query's className, and answers with
 *  rpc_result: the answer, or rpc_error (RpcFailure as thrown; a missing handler 400 INPUT_METHOD_INVALID; anything
 *  else 500 INTERNAL, reported to onUnexpectedError). Queries run concurrently and answer in the order they end. */
import { Api } from 'telegram';
import { RpcFailure, type RpcContext, type RpcHandlers, type RpcRequest } from '../rpc.js';
import type { LayerCodec } from '../layers/layer-codec.js';
import { GRAMJS_LAYER } from '../layers/layer-choice.js';
import { serializeRpcAnswer } from './rpc-answer.js';
import { rpcError, rpcResult } from './service-tl.js';
import type { RunningQuery, Session } from './sessions.js';
import type { StatsCounter } from './stats.js';
import { fromBigInteger } from './tl-bytes.js';

export interface RpcDispatcherDeps {
  readonly handlers: RpcHandlers;
  readonly stats: StatsCounter;
  readonly onUnexpectedError: (e: unknown) => void;
}

interface Outcome {
  readonly ok: boolean;
  readonly body: Buffer;
}

/** Runs queries against the handlers and answers them in their session. */
export class RpcDispatcher {
  constructor(private readonly deps: RpcDispatcherDeps) {}

  /** Starts the query the client sent as `msgId`; its answer goes to the session when it ends, written in the layer
   *  the query was read in (`codec`; undefined: GramJS's). Never throws. */
  start(request: unknown, session: Session, msgId: bigint, codec?: LayerCodec): void {
    let settle: (ok: boolean) => void = () => undefined;
    const running: RunningQuery = { succeeded: new Promise<boolean>((resolve) => (settle = resolve)), dropped: false };
    session.running.set(msgId, running);
    void this.run(request, session, msgId, codec).then((outcome) => {
      session.finish(msgId, outcome.ok);
      settle(outcome.ok);
      if (running.dropped) return;
      session.markAnswered(msgId);
      session.send({ body: outcome.body, kind: 'answer', contentRelated: true });
    });
  }

  private async run(request: unknown, session: Session, msgId: bigint, codec: LayerCodec | undefined): Promise<Outcome> {
    try {
      const query = await this.unwrap(request, session);
      const className = query.className;
      this.deps.stats.request(className);
      const handler = Object.hasOwn(this.deps.handlers, className) ? this.deps.handlers[className] : undefined;
      if (!handler) throw new RpcFailure(400, 'INPUT_METHOD_INVALID');
      const ctx: RpcContext = { authKeyId: session.authKey.idText, sessionId: session.id.toString(), layer: session.authKey.layer };
      const answer = await handler(query, ctx);
      const body = rpcResult(msgId, serializeRpcAnswer(answer, codec));
      this.deps.stats.answerInLayer(codec?.layer ?? GRAMJS_LAYER);
      return { ok: true, body };
    } catch (e) {
      const failure = e instanceof RpcFailure ? e : new RpcFailure(500, 'INTERNAL');
      if (!(e instanceof RpcFailure)) this.report(e);
      this.deps.stats.rpcError(failure.errorMessage);
      return { ok: false, body: rpcError(msgId, failure.errorCode, failure.errorMessage) };
    }
  }

  /** The query inside the wrappers, after the waits the wrappers ask for. */
  private async unwrap(request: unknown, session: Session): Promise<RpcRequest> {
    let q: unknown = request;
    for (;;) {
      if (q instanceof Api.InvokeWithLayer) {
        session.authKey.layer = q.layer;
        q = q.query;
      } else if (q instanceof Api.InitConnection || q instanceof Api.InvokeWithoutUpdates) {
        q = q.query;
      } else if (q instanceof Api.InvokeAfterMsg) {
        await waitFor(session, [fromBigInteger(q.msgId)]);
        q = q.query;
      } else if (q instanceof Api.InvokeAfterMsgs) {
        await waitFor(session, q.msgIds.map(fromBigInteger));
        q = q.query;
      } else {
        break;
      }
    }
    if (!isRequest(q)) throw new RpcFailure(400, 'INPUT_METHOD_INVALID');
    return q;
  }

  private report(e: unknown): void {
    try {
      this.deps.onUnexpectedError(e);
    } catch {
      // A failing reporter must not take the answer down with it.
    }
  }
}

/** Waits until the named queries of the session end; throws MSG_WAIT_FAILED when one failed. Unknown ids (never
 *  seen, or forgotten) do not hold the query up. */
async function waitFor(session: Session, msgIds: readonly bigint[]): Promise<void> {
  for (const id of msgIds) {
    const ok = session.running.get(id)?.succeeded ?? session.outcome(id);
    if ((await ok) === false) throw new RpcFailure(400, 'MSG_WAIT_FAILED');
  }
}

function isRequest(v: unknown): v is RpcRequest {
  return typeof v === 'object' && v !== null && 'classType' in v && v.classType === 'request' && 'className' in v;
}
