/**
 * The checked IR: what `compiler/lower.ts` produces from the AST and what the emitter
 * (`emit/typescript.ts`) and the runtime (`runtime/`) consume. The runtime never sees the AST.
 *
 * Invariants:
 * - Params are substituted, defaults are filled from the layer table, enum values are strings.
 * - Nodes are in topological order; every `ValueRef` points at an input or an earlier node.
 * - Shapes never include the batch dimension. A `Dim` is a positive integer, a symbol name
 *   (string, e.g. "T": unknown but equal wherever the same symbol appears) or null (unknown).
 * - An IRModel is only handed to the emitter/runtime when its diagnostics have no errors.
 */
import type { Span } from '../base/span.js';

export type Dim = number | string | null;
export type Shape = Dim[];

/** A resolved argument value. Lists are plain arrays; a wrapped layer is an IRLayer. */
export type ArgValue = number | string | boolean | null | ArgValue[] | IRLayer;

export interface IRLayer {
  /** Layer table key, e.g. 'lstm', 'timeDistributed'. */
  type: string;
  /** Every argument of the schema that has a value (given or default), resolved. */
  args: Record<string, ArgValue>;
  /** Where each argument that was given explicitly came from (for diagnostics). */
  argSpans: Record<string, Span>;
  /** Arguments whose value came from a spec param: argument name -> param name (for the emitter). */
  argParams: Record<string, string>;
  /** For wrappers: the wrapped layer (also present as `args.layer`). */
  inner?: IRLayer;
  span: Span;
}

/** A reference to one output of a node or to a model input. */
export interface ValueRef {
  /** Name of an IRInput or of an IRNode. */
  node: string;
  /** Output index (0 unless the node has several outputs, e.g. `returnState: true`). */
  index: number;
}

export interface ParamCount {
  trainable: number;
  nonTrainable: number;
}

export interface IRNode extends IRLayer {
  /** Unique in the model: the user's `name:` argument or a generated `lstm_1`, `dense_2`, ... */
  name: string;
  /** Data inputs, in order. */
  inputs: ValueRef[];
  /** Recurrent layers in the graph form: `initialState: [h, c]`. */
  initialState?: ValueRef[];
  inputShapes: Shape[];
  /** One shape per output (several for `returnState: true`). */
  outputShapes: Shape[];
  params: ParamCount;
}

export interface IRInput {
  name: string;
  shape: Shape;
  /** For each dim that came from a param, the param's name (for the emitter); else undefined. */
  dimParams: (string | undefined)[];
  /**
   * The declared batch size (`input x: [1, 1] batch 25`), when given: the batch dimension is then fixed
   * (TF.js `batchInputShape` / `batchShape`), as stateful recurrent layers need.
   */
  batch?: number;
  /** The param the batch size came from (`batch B`), for the printer and the emitter. */
  batchParam?: string;
  span: Span;
}

export interface IROptimizer {
  name: string;
  /** e.g. { learningRate: 0.001 }; only what the spec gave (TF.js defaults otherwise). */
  args: Record<string, number>;
}

/**
 * A per-output setting as written (`loss: [mse, mae]` or `loss: {value: mse, label: mae}`): a list in
 * output order, or a map by output name. compiler/train.ts `perOutput` puts it in output order.
 */
export interface IRPerOutput<T> {
  by: 'list' | 'map';
  values: T[];
  /** For a map, the output name of each value (as written); empty for a list. */
  names: string[];
  /** Each item (a list item, or a map entry from its key). */
  spans: Span[];
  /** The whole list or map. */
  span: Span;
}

export interface IRTrain {
  /** The loss of every output (when `losses` is set, its per-output losses are used instead). */
  loss: string;
  /** One loss per output (Keras `loss=[...]` / `loss={...}`), when the spec gives a list or a map. */
  losses?: IRPerOutput<string>;
  /** One weight per output (Keras `loss_weights`): the total loss is the weighted sum. */
  lossWeights?: IRPerOutput<number>;
  optimizer: IROptimizer;
  metrics: string[];
  epochs: number;
  batchSize: number;
  validationSplit: number;
  shuffle: boolean;
  clipNorm?: number;
  clipValue?: number;
  earlyStopping?: { patience: number; monitor: string; minDelta: number };
  seed?: number;
  /** Spans of the keys given explicitly. */
  spans: Record<string, Span>;
}

/** The `data` block, validated against `compiler/data-schema.ts`; its meaning belongs to the runtime. */
export interface IRData {
  /** The data source kind: 'synthetic' | 'csv' | 'text'. */
  source: string;
  options: Record<string, ArgValue>;
  spans: Record<string, Span>;
  span: Span;
}

export interface IRModel {
  name: string;
  file: string;
  span: Span;
  /** 'sequential' when the model is one chain from one input without graph features. */
  kind: 'sequential' | 'functional';
  /** Resolved param values (after `--param` overrides). */
  params: Record<string, number | string | boolean>;
  inputs: IRInput[];
  nodes: IRNode[];
  outputs: ValueRef[];
  outputShapes: Shape[];
  /** The user's name of each output (`output a, b`; else the producing node's name), in output order. */
  outputNames?: string[];
  train: IRTrain;
  data?: IRData;
}
