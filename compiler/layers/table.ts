/**
 * The layer table: the single source of truth for argument schemas, Keras 2 defaults, shape rules,
 * parameter counts and the TF.js config (see ./types.ts). Read by the checker, the emitter and the
 * runtime. No tfjs import here (test/layers-oracle.test.ts checks the table against real tfjs).
 */
import type { LayerHintSyntax, LayerSyntax } from '../../grammar/ast.js';
import type { IRLayer } from '../ir.js';
import type { LayerDef, LayerInstance } from './types.js';
import {
  conv1d,
  conv2d,
  conv3d,
  averagePooling1d,
  averagePooling2d,
  globalAveragePooling1d,
  globalAveragePooling2d,
  globalMaxPooling1d,
  globalMaxPooling2d,
  maxPooling1d,
  maxPooling2d,
  maxPooling3d,
} from './conv.js';
import { convLstm2d } from './conv-recurrent.js';
import {
  activation,
  dense,
  dropout,
  embedding,
  flatten,
  gaussianNoise,
  masking,
  permute,
  repeatVector,
  reshape,
} from './core.js';
import { add, average, concatenate, multiply } from './merge.js';
import { additiveAttention, attention, multiHeadAttention } from './attention.js';
import { batchNormalization, layerNormalization } from './normalization.js';
import { bidirectional, gru, lstm, simpleRNN } from './recurrent.js';
import { timeDistributed } from './wrappers.js';

export { formatShape, ACTIVATIONS, INITIALIZERS, PADDINGS, MERGE_MODES } from './common.js';
export { stateShapesOf } from './recurrent.js';

const ALL: readonly LayerDef[] = [
  lstm,
  gru,
  simpleRNN,
  dense,
  dropout,
  gaussianNoise,
  flatten,
  reshape,
  repeatVector,
  permute,
  activation,
  embedding,
  masking,
  conv1d,
  conv2d,
  maxPooling1d,
  maxPooling2d,
  averagePooling1d,
  averagePooling2d,
  globalMaxPooling1d,
  globalAveragePooling1d,
  globalMaxPooling2d,
  globalAveragePooling2d,
  conv3d,
  maxPooling3d,
  convLstm2d,
  batchNormalization,
  layerNormalization,
  concatenate,
  add,
  multiply,
  average,
  attention,
  additiveAttention,
  multiHeadAttention,
  bidirectional,
  timeDistributed,
];

/** Every layer, keyed by its DSL name (= the `tf.layers` factory name). */
export const LAYERS: ReadonlyMap<string, LayerDef> = new Map(ALL.map((d) => [d.name, d]));

/** The layer definition for a DSL name, or undefined (the checker reports UnknownLayer). */
export function getLayer(name: string): LayerDef | undefined {
  return LAYERS.get(name);
}

/** All layer names, for "did you mean" and docs. */
export function layerNames(): string[] {
  return [...LAYERS.keys()];
}

/**
 * A LayerInstance from an IR layer (recursively for wrappers, from `inner` or `args.layer`).
 * Undefined when the type (or a wrapped type) is not in the table.
 */
export function instanceOf(layer: IRLayer): LayerInstance | undefined {
  const def = getLayer(layer.type);
  if (!def) return undefined;
  const inst: LayerInstance = { def, args: layer.args };
  const innerLayer = layer.inner ?? asIRLayer(layer.args.layer);
  if (innerLayer) {
    const inner = instanceOf(innerLayer);
    if (!inner) return undefined;
    inst.inner = inner;
  }
  return inst;
}

function asIRLayer(v: unknown): IRLayer | undefined {
  if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as IRLayer).type === 'string' && 'args' in v) {
    return v as IRLayer;
  }
  return undefined;
}

/** What the YAML front end needs to know about layers, derived from the table (see grammar/ast.ts). */
export const LAYER_SYNTAX: LayerSyntax & LayerHintSyntax = {
  isWrapper: (layer) => getLayer(layer)?.args[getLayer(layer)?.main[0] ?? '']?.type.kind === 'layer',
  spreadsMain: (layer) => (getLayer(layer)?.main.length ?? 0) > 1,
  hasArgument: (layer, arg) => getLayer(layer)?.args[arg] !== undefined,
  mainArguments: (layer) => getLayer(layer)?.main,
};
