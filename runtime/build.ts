/**
 * TfModelSpec (plain data from compiler/tfspec.ts, the same description the emitter prints) → tf.LayersModel.
 */
import * as tf from '@tensorflow/tfjs';
import type { TfLayerSpec } from '../compiler/layers/types.js';
import type { TfModelSpec } from '../compiler/tfspec.js';
import type { ValueRef } from '../compiler/ir.js';
import { installFastOrthogonal } from './orthogonal.js';
import { lstmcLayerFactory } from './layers/index.js';

type LayerFactory = (config: Record<string, unknown>) => tf.layers.Layer;

/**
 * Builds one layer (`tf.layers.<factory>`, or lstmc's own class for `module: 'lstmc'`); a wrapper's inner layer is
 * built first and passed as `config.layer`.
 */
export function buildLayer(spec: TfLayerSpec): tf.layers.Layer {
  const factory =
    spec.module === 'lstmc'
      ? (lstmcLayerFactory(spec.factory) as LayerFactory | undefined)
      : (tf.layers as unknown as Record<string, LayerFactory | undefined>)[spec.factory];
  if (typeof factory !== 'function') {
    throw new Error(`${spec.module === 'lstmc' ? 'lstmcLayers' : 'tf.layers'} has no factory "${spec.factory}".`);
  }
  const config: Record<string, unknown> = { ...spec.config };
  if (spec.inner) config.layer = buildLayer(spec.inner);
  return factory(config);
}

/** Builds the tf.js model described by `spec` (not compiled), with lstmc's fast orthogonal initializer. */
export function buildModel(spec: TfModelSpec): tf.LayersModel {
  installFastOrthogonal();
  return buildModelFromSpec(spec);
}

function buildModelFromSpec(spec: TfModelSpec): tf.LayersModel {
  // The spec is final (compiler/tfspec.ts): its kind, layer names and the first sequential layer's
  // inputShape are decided there; this only executes it.
  if (spec.kind === 'sequential') {
    return tf.sequential({ name: spec.name, layers: spec.nodes.map((n) => buildLayer(n.spec)) });
  }
  const values = new Map<string, tf.SymbolicTensor[]>();
  const inputs = spec.inputs.map((inp) => {
    const t =
      inp.batch === undefined
        ? tf.input({ shape: inp.shape, name: inp.name })
        : tf.input({ batchShape: [inp.batch, ...inp.shape], name: inp.name });
    values.set(inp.name, [t]);
    return t;
  });
  const get = (r: ValueRef): tf.SymbolicTensor => {
    const v = values.get(r.node)?.[r.index];
    if (!v) throw new Error(`Model ${spec.name}: value ${r.node}[${r.index}] is not defined before use.`);
    return v;
  };
  for (const n of spec.nodes) {
    const xs = n.inputs.map(get);
    const kwargs: Record<string, unknown> = {};
    if (n.initialState) kwargs.initialState = n.initialState.map(get);
    const out = buildLayer(n.spec).apply(xs.length === 1 ? xs[0]! : xs, kwargs) as
      tf.SymbolicTensor | tf.SymbolicTensor[];
    values.set(n.name, Array.isArray(out) ? out : [out]);
  }
  return tf.model({ inputs, outputs: spec.outputs.map(get), name: spec.name });
}
