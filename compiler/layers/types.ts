/**
 * The layer table's types. The table (compiler/layers/table.ts) is the single source of truth for
 * argument schemas, defaults, shape rules, parameter counts and the TF.js config. The checker, the
 * emitter and the runtime all read it, so the two lowering paths cannot drift.
 *
 * Shape rules are pure (after tfjs-layers `computeOutputShape`): they never mutate their inputs and
 * never throw; a failure is returned as a `ShapeError` that the checker turns into a diagnostic.
 */
import type { DiagnosticKey } from '../../base/diagnostics.js';
import type { ArgValue, ParamCount, Shape } from '../ir.js';
import type { FieldSpec, ValueType } from '../schema.js';

/** Layer arguments use the one schema language (compiler/schema.ts), as train and data keys do. */
export type ArgType = ValueType;
export type ArgSpec = FieldSpec;

/** A layer with resolved args; for wrappers `inner` is the wrapped one. */
export interface LayerInstance {
  def: LayerDef;
  args: Record<string, ArgValue>;
  inner?: LayerInstance;
}

export interface ShapeError {
  key: DiagnosticKey;
  args: Record<string, unknown>;
  hint?: string;
  /** Point the diagnostic at this argument's span when it was given. */
  argName?: string;
}

export type ShapeResult = { ok: true; shapes: Shape[] } | { ok: false; error: ShapeError };

/** A plain-data description of one `tf.layers.<factory>(config)` call. JSON-serialisable. */
export interface TfLayerSpec {
  /**
   * The factory: `tf.layers.<factory>` or, with `module: 'lstmc'`, `lstmcLayers.<factory>` of
   * `lstmc/runtime/layers` (runtime/layers/), lstmc's own TF.js layer classes for what tfjs 4.22 lacks.
   */
  factory: string;
  /** Absent: a tfjs layer. `'lstmc'`: one of lstmc's own layer classes (registered for serialization). */
  module?: 'lstmc';
  config: Record<string, unknown>;
  /** For wrappers: the wrapped layer, to be built and put under `config.layer`. */
  inner?: TfLayerSpec;
}

export type LayerCategory =
  'recurrent' | 'core' | 'conv' | 'pooling' | 'normalization' | 'merge' | 'attention' | 'wrapper' | 'embedding';

/** The TF.js lowering of one layer: the `tf.layers.<factory>(config)` call and what training it needs. */
export interface TfjsLowering {
  /**
   * The TF.js layer config (without `name`/`inputShape`, which the model lowering adds).
   * `outputShape` is the checked output shape (batch excluded), for layers whose TF.js config must
   * spell out what the checker proved (reshape's -1).
   */
  spec(inst: LayerInstance, outputShape: Shape | undefined): TfLayerSpec;
  /** tfjs kernels that training this layer needs beyond the common set (forward and backward). */
  kernels: readonly string[];
  /**
   * The classes of lstmc's own (runtime/layers/, `lstmc/runtime/layers`) this lowering may produce, for the docs:
   * `spec` returns `module: 'lstmc'` when it uses one (for some arguments or always).
   */
  lstmcClasses?: readonly string[];
}

/**
 * The PyTorch lowering of one layer: which class of `emit/pytorch/support.py` computes it and the
 * keyword config that class is built with. Plain data: nothing here runs Python.
 *
 * The emitter builds `<className>(input_shape=[...], **config)` (plus `layer=<inner module>` for
 * wrappers, the inner module built from the inner layer's own lowering with `innerInputShapes`).
 * The support class's contract (forward, tfjs_weights, load_tfjs_weights) is documented there.
 */
export interface PytorchLowering {
  /** The class in emit/pytorch/support.py (the TF.js class name: 'LSTM', 'MaxPooling1D'). */
  className: string;
  /**
   * The config keyword arguments (TF.js camelCase keys, without `name`/`inputShape`, which the model
   * lowering adds). By default the TF.js config of `lower.tfjs.spec` (wrappers: without the inner layer).
   * `inputShapes` are the layer's input shapes (batch excluded), `outputShape` its first checked output.
   */
  config(inst: LayerInstance, inputShapes: readonly Shape[], outputShape?: Shape): Record<string, unknown>;
  /** Wrappers: the input shapes (batch excluded) of the wrapped layer, given the wrapper's input shapes. */
  innerInputShapes?(inst: LayerInstance, inputShapes: readonly Shape[]): Shape[];
}

/**
 * One lowering per target. A new target (PyTorch, ONNX) is one more field here and one entry per
 * layer; `compile` reports a layer without it as not supported by that target.
 */
export interface LayerLowerings {
  tfjs: TfjsLowering;
  /** Absent: the layer is not supported by the PyTorch target. */
  pytorch?: PytorchLowering;
}

/**
 * What a layer does with a mask, as TF.js 4.22 does it (`supportsMasking`, `computeMask`, `call(x, {mask})`).
 * A mask marks the (padded) time steps to skip: `masking(...)` and `embedding(..., maskZero: true)` make one,
 * and the checker follows it through the model (compiler/rules/masking.ts).
 */
export interface MaskRule {
  /**
   * TF.js `supportsMasking`. False: TF.js drops an incoming mask (masked steps count as data from there
   * on; Keras 3 warns the same), and so does the checker (LSTM3020).
   */
  supports: boolean;
  /**
   * Its computation or its own mask reads the incoming mask (recurrent layers carry their states over
   * masked steps; concatenate combines masks): a mask TF.js 4.22 got wrong fails here (LSTM3022).
   */
  reads?: boolean;
  /** TF.js 4.22 fails on an incoming mask here; says why (the checker refuses: LSTM3023). */
  refuses?: string;
  /**
   * Its per-step output runs backwards (goBackwards with returnSequences) while the mask it passes on does
   * not (TF.js and Keras): a layer that reads that mask skips the wrong steps (LSTM3024, a warning).
   */
  reverses?: boolean;
  /**
   * The mask of its first output (further outputs, e.g. states, carry none): `carry` the incoming one,
   * `new` (made from the input: masking, embedding with maskZero), `none`, or `merge`: what TF.js 4.22's
   * add / multiply / average compute, unusable by a layer that reads it (LSTM3022).
   */
  output: 'carry' | 'new' | 'none' | 'merge';
}

/** Everything lstmc knows about one layer: the only place per-layer knowledge lives. */
export interface LayerDef {
  /** DSL name, the tf.layers factory name: 'lstm', 'timeDistributed'. */
  name: string;
  /** TF.js class name shown in summaries: 'LSTM', 'TimeDistributed'. */
  className: string;
  category: LayerCategory;
  /** One sentence for docs/layers.md and hovers. */
  doc: string;
  /** The shape rule in words, for docs/layers.md: `[T, F] -> [units]`. */
  shapeDoc: string;
  /** Differences from TF.js / Keras worth knowing (docs/layers.md). */
  notes?: readonly string[];
  /** Names of the positional (main) arguments, in order: ['units'], ['inputDim', 'outputDim']. */
  main: readonly string[];
  args: Readonly<Record<string, ArgSpec>>;
  /** How many data inputs it takes (merge layers: min 2, max Infinity). */
  inputs: { min: number; max: number };
  /** It reads a sequence [batch, timesteps, ...] (recurrent, conv1d, 1-D pooling, wrappers over time). */
  readsSequence: boolean;
  /** For wrappers: may this layer be wrapped by `wrapper`? */
  canWrap?: (inner: LayerDef) => boolean;
  /** For wrappers: what it can wrap, said when `canWrap` refuses. */
  wrapHint?: string;
  /** Recurrent layers: the names of the states, in order, as users destructure them (lstm: h, c). */
  stateNames?: readonly string[];
  /**
   * Recurrent layers: the shapes (batch excluded) of the initial states `initialState` takes and
   * `returnState` returns, in order (lstm: [h, c]; bidirectional: forward states then backward ones).
   */
  stateShapes?: (inst: LayerInstance) => Shape[];
  /** Its mask rule (see MaskRule); absent: it does not support masks (TF.js `supportsMasking` false). */
  masking?: (inst: LayerInstance) => MaskRule;
  /** Number of outputs given the args (recurrent with returnState: 1 + number of states). */
  outputCount(inst: LayerInstance): number;
  /** Pure shape rule: input shapes (batch excluded) to output shapes, or an error. */
  outputShapes(inst: LayerInstance, inputs: readonly Shape[]): ShapeResult;
  /** Parameter count as TF.js `countParams()` reports; only called after outputShapes succeeded. */
  paramCount(inst: LayerInstance, inputs: readonly Shape[]): ParamCount;
  /** One lowering per target. */
  lower: LayerLowerings;
}
