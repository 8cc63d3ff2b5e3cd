/**
 * TfModelSpec (plain data from compiler/tfspec.ts, the same description the emitter prints) → tf.LayersModel.
 */
import * as tf from '@tensorflow/tfjs';
import type { TfLayerSpec } from '../compiler/layers/types.js';
import type { TfModelSpec } from '../compiler/tfspec.js';
import type { IRModel, ValueRef } from '../compiler/ir.js';

type LayerFactory = (config: Record<string, unknown>) => tf.layers.Layer;

/** Builds one layer; a wrapper's inner layer is built first and passed as `config.layer`. */
export function buildLayer(spec: TfLayerSpec): tf.layers.Layer {
  const factory = (tf.layers as unknown as Record<string, LayerFactory | undefined>)[spec.factory];
  if (typeof factory !== 'function') throw new Error(`tf.layers has no factory "${spec.factory}".`);
  const config: Record<string, unknown> = { ...spec.config };
  if (spec.inner) config.layer = buildLayer(spec.inner);
  return factory(config);
}

/** Builds the tf.js model described by `spec` (not compiled). */
export function buildModel(spec: TfModelSpec): tf.LayersModel {
  // tfjs warns on stderr for every orthogonal (recurrent) kernel above 2000 elements; it is harmless.
  const warn = console.warn;
  console.warn = (...a: unknown[]) => {
    if (typeof a[0] === 'string' && a[0].startsWith('Orthogonal initializer is being called')) return;
    warn(...a);
  };
  try {
    return buildModelQuiet(spec);
  } finally {
    console.warn = warn;
  }
}

function buildModelQuiet(spec: TfModelSpec): tf.LayersModel {
  if (spec.kind === 'sequential' && spec.inputs.length === 1 && spec.nodes.every((n) => !n.initialState && n.outputCount === 1)) {
    const model = tf.sequential({ name: spec.name });
    spec.nodes.forEach((n, i) => {
      let ls = n.spec;
      if (i === 0 && ls.config.inputShape === undefined && ls.config.batchInputShape === undefined) {
        ls = { ...ls, config: { ...ls.config, inputShape: spec.inputs[0]!.shape } };
      }
      if (ls.config.name === undefined) ls = { ...ls, config: { ...ls.config, name: n.name } };
      model.add(buildLayer(ls));
    });
    return model;
  }
  const values = new Map<string, tf.SymbolicTensor[]>();
  const inputs = spec.inputs.map((inp) => {
    const t = tf.input({ shape: inp.shape, name: inp.name });
    values.set(inp.name, [t]);
    return t;
  });
  const get = (r: ValueRef): tf.SymbolicTensor => {
    const v = values.get(r.node)?.[r.index];
    if (!v) throw new Error(`Model ${spec.name}: value ${r.node}[${r.index}] is not defined before use.`);
    return v;
  };
  for (const n of spec.nodes) {
    const { inputShape: _i, batchInputShape: _b, ...config } = n.spec.config;
    const layer = buildLayer({ ...n.spec, config: { ...config, name: config.name ?? n.name } });
    const xs = n.inputs.map(get);
    const kwargs: Record<string, unknown> = {};
    if (n.initialState && n.initialState.length > 0) kwargs.initialState = n.initialState.map(get);
    const out = layer.apply(xs.length === 1 ? xs[0]! : xs, kwargs) as tf.SymbolicTensor | tf.SymbolicTensor[];
    values.set(n.name, Array.isArray(out) ? out : [out]);
  }
  const outputs = spec.outputs.map(get);
  return tf.model({ inputs, outputs, name: spec.name });
}

/** IR → TfModelSpec through the layer table (compiler/tfspec.ts), loaded lazily. */
export async function modelSpecOf(model: IRModel): Promise<TfModelSpec> {
  const mod = (await import('../compiler/tfspec.js')) as { toTfModelSpec?: (m: IRModel) => TfModelSpec };
  if (typeof mod.toTfModelSpec !== 'function') throw new Error('compiler/tfspec.ts does not implement toTfModelSpec yet.');
  return mod.toTfModelSpec(model);
}
