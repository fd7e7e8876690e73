/** Turns xstate's inspection stream into OpenTelemetry spans, so a run reads in Jaeger like its statecharts:
 *  a span `actor <systemId or id>` per actor (nested under its parent actor), a span `state <dotted value>` per
 *  state occupancy of every machine, and every received event as a span event carrying only its type and sender,
 *  never its payload. Pass the result as `createActor(machine, { inspect })`. */
import {
  context as otelContext,
  diag,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { ActorRefLike, AnyActorRef, InspectionEvent } from 'xstate';
import { isAutomintError } from '../errors.js';
import { Attr, EventAttr, EXTERNAL_SOURCE, SpanName } from './attributes.js';
import { scrub } from './secret-registry.js';

export type ActorInspectorOptions = {
  tracer: Tracer;
  /** The parent of root actor spans (usually the `automint.run` span's context); the active context when omitted. */
  rootContext?: Context;
  /** Extra stable-id attributes for an actor's span (e.g. `automint.purchase.id` from its input), read when the
   *  actor starts. Must return ids only: never secrets or payloads. */
  attributesFor?: (actorRef: AnyActorRef) => Attributes | undefined;
};

/** The inspect callback, plus what a run needs around it. */
export interface ActorInspector {
  (event: InspectionEvent): void;
  /** The context of the actor's current state span (or actor span), to run its I/O under so client spans and logs
   *  nest below it; the root context when the actor has no open span. */
  contextOf(actorRef: ActorRefLike): Context;
  /** How many actor spans are open: entries leave when their actor stops, so this stays bounded. */
  openActorCount(): number;
  /** Ends every open span with its actor's current status. Call at the end of a run: xstate reports no snapshot
   *  when an error is thrown inside a root actor's transition, and children of an errored actor are not stopped. */
  endAll(): void;
}

/** The actor fields read beyond `ActorRefLike`: `id`, the public `systemId` of an Actor, and `_parent`, which is
 *  internal to xstate (the only link from a child to its parent; present on every Actor in 5.33). */
type InspectedActor = ActorRefLike & { id?: string; systemId?: string; _parent?: ActorRefLike };

type SnapshotFacts = { status?: string; value?: unknown; error?: unknown };

type StateOccupancy = { path: string; span: Span; ctx: Context };

type ActorTrack = { ref: InspectedActor; span: Span; ctx: Context; state?: StateOccupancy };

const ERROR_EVENT_PREFIX = 'xstate.error.actor.';
const MAX_STATUS_MESSAGE = 300;

/** Creates an inspector that records an actor system as spans with `tracer`. */
export function createActorInspector(options: ActorInspectorOptions): ActorInspector {
  const { tracer, attributesFor } = options;
  const rootContext = options.rootContext ?? otelContext.active();
  const tracks = new Map<string, ActorTrack>();
  // Actors whose spans have ended: late events to a stopped actor must not reopen a span. Weak, so never a leak.
  const ended = new WeakSet<object>();

  function trackOf(ref: InspectedActor): ActorTrack | undefined {
    if (ended.has(ref)) return undefined;
    const existing = tracks.get(ref.sessionId);
    if (existing !== undefined) return existing;
    const parentCtx = (ref._parent !== undefined ? trackOf(ref._parent)?.ctx : undefined) ?? rootContext;
    const id = ref.id ?? ref.sessionId;
    const attributes: Attributes = { [Attr.actorId]: id };
    if (ref.systemId !== undefined) attributes[Attr.actorSystemId] = ref.systemId;
    Object.assign(attributes, callerAttributes(ref));
    const span = tracer.startSpan(`${SpanName.actorPrefix}${ref.systemId ?? id}`, { attributes }, parentCtx);
    const track: ActorTrack = { ref, span, ctx: trace.setSpan(parentCtx, span) };
    tracks.set(ref.sessionId, track);
    return track;
  }

  function callerAttributes(ref: InspectedActor): Attributes | undefined {
    try {
      return attributesFor?.(ref as AnyActorRef);
    } catch (error) {
      // A faulty hook costs the caller's attributes, not the actor's span.
      const reason = scrub(error instanceof Error ? error.message : String(error));
      diag.warn(`automint actor spans: attributesFor failed: ${reason}`);
      return undefined;
    }
  }

  function enterState(track: ActorTrack, value: unknown): void {
    const path = statePath(value);
    if (track.state?.path === path) return;
    track.state?.span.end();
    const span = tracer.startSpan(`${SpanName.statePrefix}${path}`, { attributes: { [Attr.state]: path } }, track.ctx);
    track.state = { path, span, ctx: trace.setSpan(track.ctx, span) };
  }

  function finish(track: ActorTrack, status: string, error?: unknown): void {
    const spans = track.state === undefined ? [track.span] : [track.state.span, track.span];
    if (status === 'error') {
      const failure = describeFailure(error);
      for (const span of spans) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
        span.setAttribute(Attr.errorCode, failure.code);
      }
    }
    track.span.setAttribute(Attr.actorStatus, status);
    for (const span of spans) span.end();
    tracks.delete(track.ref.sessionId);
    ended.add(track.ref);
  }

  function onEvent(ev: Extract<InspectionEvent, { type: '@xstate.event' }>): void {
    const type = ev.event.type;
    const source = ev.sourceRef as InspectedActor | undefined;
    const target = trackOf(ev.actorRef as InspectedActor);
    if (target !== undefined) (target.state?.span ?? target.span).addEvent(type, eventAttributes(type, source));
    // A child that failed inside a transition gets no error snapshot; the error it relays to its parent is the sign.
    if (type.startsWith(ERROR_EVENT_PREFIX) && source !== undefined) {
      const failed = tracks.get(source.sessionId);
      if (failed !== undefined) finish(failed, 'error', (ev.event as { error?: unknown }).error);
    }
  }

  function onSnapshot(ev: Extract<InspectionEvent, { type: '@xstate.snapshot' }>): void {
    const track = trackOf(ev.actorRef as InspectedActor);
    if (track === undefined) return;
    const snapshot = ev.snapshot as SnapshotFacts;
    if (hasStateValue(snapshot)) enterState(track, snapshot.value);
    if (snapshot.status !== undefined && snapshot.status !== 'active') finish(track, snapshot.status, snapshot.error);
  }

  const inspect = (ev: InspectionEvent): void => {
    // An exception here would surface inside xstate's processing of the actor: tracing must never break a run.
    try {
      if (ev.type === '@xstate.event') onEvent(ev);
      else if (ev.type === '@xstate.snapshot') onSnapshot(ev);
      // '@xstate.actor' opens nothing: systemId is assigned after it, and the span starts with the actor instead.
    } catch (error) {
      const reason = scrub(error instanceof Error ? error.message : String(error));
      diag.warn(`automint actor spans: inspection event dropped: ${reason}`);
    }
  };

  return Object.assign(inspect, {
    contextOf(actorRef: ActorRefLike): Context {
      const track = tracks.get(actorRef.sessionId);
      return track?.state?.ctx ?? track?.ctx ?? rootContext;
    },
    openActorCount: () => tracks.size,
    endAll(): void {
      for (const track of [...tracks.values()]) {
        const snapshot = track.ref.getSnapshot() as SnapshotFacts | undefined;
        finish(track, snapshot?.status ?? 'active', snapshot?.error);
      }
    },
  });
}

/** The dotted path of a state value: `idle`, `buying.paying`; parallel regions joined by commas. */
export function statePath(value: unknown): string {
  return statePaths(value, '').join(',') || '(none)';
}

function statePaths(value: unknown, prefix: string): string[] {
  if (typeof value === 'string') return [`${prefix}${value}`];
  if (typeof value !== 'object' || value === null) return [];
  const entries = Object.entries(value);
  if (entries.length === 0) return prefix === '' ? [] : [prefix.slice(0, -1)];
  return entries.flatMap(([key, child]) => statePaths(child, `${prefix}${key}.`));
}

function hasStateValue(snapshot: SnapshotFacts): boolean {
  const { value } = snapshot;
  return typeof value === 'string' || (typeof value === 'object' && value !== null);
}

function eventAttributes(type: string, source: InspectedActor | undefined): Attributes {
  const sender = source === undefined ? EXTERNAL_SOURCE : (source.systemId ?? source.id ?? source.sessionId);
  return { [EventAttr.type]: type, [EventAttr.source]: sender };
}

/** A code and a scrubbed, bounded message for a span status: an AutomintError's code, otherwise the error's class. */
function describeFailure(error: unknown): { code: string; message: string } {
  if (isAutomintError(error)) return { code: error.code, message: bounded(scrub(error.message)) };
  if (error instanceof Error) return { code: error.name, message: bounded(scrub(error.message)) };
  return { code: 'unknown', message: bounded(scrub(String(error))) };
}

function bounded(text: string): string {
  return text.length > MAX_STATUS_MESSAGE ? `${text.slice(0, MAX_STATUS_MESSAGE)}…` : text;
}
