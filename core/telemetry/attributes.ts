/** Span names and attribute keys automint writes. Attributes carry stable ids only: never secrets, initData, JWTs,
 *  mnemonics or event payloads. Everything of ours lives under `automint.`; the two `xstate.*` keys describe
 *  xstate's own events on span events and keep the names xstate's inspection API uses. */

/** Span names. Actor and state spans are `actor <systemId or id>` and `state <dotted value>`. */
export const SpanName = {
  /** The root span of one run of the CLI. */
  run: 'automint.run',
  actorPrefix: 'actor ',
  statePrefix: 'state ',
} as const;

/** Attribute keys on spans. */
export const Attr = {
  /** The actor's id relative to its parent (invoke/spawn id), or xstate's session id for a root without one. */
  actorId: 'automint.actor.id',
  /** The actor's systemId when it has one (`sniper`, `purchase:<target>:<account>`, ...). */
  actorSystemId: 'automint.actor.system_id',
  /** How the actor ended: `done`, `stopped`, `error`, or `active` when the run ended around it. */
  actorStatus: 'automint.actor.status',
  /** The dotted state value a state span covers (`buying.paying`). */
  state: 'automint.state',
  /** The stable `code` of an AutomintError, or the error's class name for anything else. */
  errorCode: 'automint.error.code',
  /** The CLI command a run executes (`run`, `demo`, `rehearse`). */
  runCommand: 'automint.run.command',
  /** Whether the run may spend money (`live`) or not (`dry-run`, `demo`, `rehearsal`). */
  runMode: 'automint.run.mode',
  purchaseId: 'automint.purchase.id',
  collectionId: 'automint.collection.id',
  /** The account's configured name, never a phone number or a session. */
  account: 'automint.account',
  paymentMethod: 'automint.payment.method',
  orderId: 'automint.order.id',
} as const;

/** Attribute keys on span events recorded for xstate events: the event's type and who sent it, never its payload. */
export const EventAttr = {
  type: 'xstate.event',
  source: 'xstate.source',
} as const;

/** The value of `xstate.source` for an event sent from outside the actor system (`actor.send(...)`). */
export const EXTERNAL_SOURCE = 'external';

/** The instrumentation scope name of automint's tracer. */
export const TRACER_NAME = 'automint';
