/**
 * lstmc's own TF.js layer classes: what tfjs 4.22 lacks (attention layers, GRU `resetAfter`, ...), so that every
 * layer of the table runs on tfjs. Each class file registers its class with `tf.serialization.registerClass` when
 * it loads (`registerLstmcClass`), so `model.json` files that name them load again (`lstmc predict`, or
 * `tf.loadLayersModel` after importing `lstmc/runtime/layers`).
 *
 * The layer table marks a lowering that uses one with `module: 'lstmc'` (`TfLayerSpec`) and lists the classes in
 * `lower.tfjs.lstmcClasses`. The runtime builds it with `lstmcLayers[factory](config)` (runtime/build.ts); emitted
 * TypeScript modules `import { lstmcLayers } from 'lstmc/runtime/layers'` and call the same, typed, factory.
 *
 * A new class: one file in this folder that defines and registers it and exports its factory, and one entry in
 * `lstmcLayers` below. This module imports nothing but tfjs and its own folder, so a compiled module that uses one
 * of these layers pulls in only them.
 */
export { lstmcClassNames } from './registry.js';
import { gruResetAfter } from './gru.js';
import { causalConv1d } from './causal-conv1d.js';
import { additiveAttention, attention } from './attention.js';
import { multiHeadAttention } from './multihead-attention.js';
import './rnn-kwargs.js'; // TF.js 4.22's executor shares kwargs between recurrent layers (see the file)

/** The factories of lstmc's own layers, by the name the layer table lowers to (`lstmcLayers.attention({...})`). */
export const lstmcLayers = { gruResetAfter, causalConv1d, attention, additiveAttention, multiHeadAttention };

/** `lstmcLayers` for callers that look a factory up by name (runtime/build.ts). */
export function lstmcLayerFactory(name: string): ((config: Record<string, unknown>) => unknown) | undefined {
  const f = (lstmcLayers as Record<string, unknown>)[name];
  return typeof f === 'function' ? (f as (config: Record<string, unknown>) => unknown) : undefined;
}
