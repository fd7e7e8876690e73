/** Which TL layer the simulated Telegram reads a client's queries in and writes its answers in. Telegram answers
 *  in the layer a connection announced with invokeWithLayer; the simulator knows two: GramJS's own (its classes read
 *  and write themselves) and the current public layer (public-layer.ts). A client announcing any other layer is
 *  served in the nearer of the two (GramJS's on a tie), which is as close as a two-schema server gets. */
import { LAYER as GRAMJS_LAYER } from 'telegram/tl/AllTLObjects.js';
import type { LayerCodec } from './layer-codec.js';
import { PUBLIC_LAYER, publicLayer } from './public-layer.js';

export { GRAMJS_LAYER };

/** The codec for an announced layer, or undefined when GramJS's own classes serve it (layer 0: never announced). */
export function codecForLayer(layer: number): LayerCodec | undefined {
  if (layer === 0 || layer === GRAMJS_LAYER) return undefined;
  const nearerToPublic = Math.abs(layer - PUBLIC_LAYER) < Math.abs(layer - GRAMJS_LAYER);
  return nearerToPublic ? publicLayer() : undefined;
}
