/**
 * Shared pieces of the layer table: enum value sets (checked against @tensorflow/tfjs-layers 4.22),
 * argument-spec builders, defensive argument getters, shape helpers and the generic tfSpec lowering.
 *
 * Nothing here imports tfjs. Every function is pure and never throws.
 */
import type { DiagnosticKey } from '../../base/diagnostics.js';
import type { ArgValue, Dim, ParamCount, Shape } from '../ir.js';
import type {
  ArgSpec,
  ArgType,
  LayerDef,
  LayerInstance,
  LayerLowerings,
  PytorchLowering,
  ShapeError,
  ShapeResult,
  TfjsLowering,
  TfLayerSpec,
} from './types.js';

// ---------------------------------------------------------------------------------------------
// Enum value sets
// ---------------------------------------------------------------------------------------------

/** TF.js activation identifiers (tfjs-layers `activations.ts`, every registered class name). */
export const ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'softmax',
  'logSoftmax',
  'softplus',
  'softsign',
  'swish',
  'mish',
  'gelu',
  'gelu_new',
] as const;

/**
 * TF.js initializer identifiers usable as a bare string. `constant` (needs a value) and `identity`
 * (needs a square 2-D kernel) are left out: as plain strings they fail or only work by accident.
 */
export const INITIALIZERS = [
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'leCunUniform',
  'leCunNormal',
  'orthogonal',
  'zeros',
  'ones',
  'randomUniform',
  'randomNormal',
  'truncatedNormal',
  'varianceScaling',
] as const;

/**
 * Conv / pooling padding. TF.js does not implement `causal` (conv1d throws NotImplementedError): conv1d adds it
 * on lstmc's own class (compiler/layers/conv.ts).
 */
export const PADDINGS = ['valid', 'same'] as const;

/** Bidirectional merge modes, TF.js spelling (`VALID_BIDIRECTIONAL_MERGE_MODES`). */
export const MERGE_MODES = ['concat', 'sum', 'mul', 'ave'] as const;

// ---------------------------------------------------------------------------------------------
// Argument-spec builders
// ---------------------------------------------------------------------------------------------

export function arg(
  type: ArgType,
  doc: string,
  extra: { default?: ArgValue; required?: boolean; tf?: boolean } = {},
): ArgSpec {
  const spec: ArgSpec = { type, doc };
  if (extra.default !== undefined) spec.default = extra.default;
  if (extra.required) spec.required = true;
  if (extra.tf === false) spec.tf = false;
  return spec;
}

export const intT = (min?: number, max?: number): ArgType => {
  const t: { kind: 'int'; min?: number; max?: number } = { kind: 'int' };
  if (min !== undefined) t.min = min;
  if (max !== undefined) t.max = max;
  return t;
};
export const boolT: ArgType = { kind: 'bool' };
export const stringT: ArgType = { kind: 'string' };
export const activationT: ArgType = { kind: 'enum', values: ACTIVATIONS, what: 'activation' };
export const initializerT: ArgType = { kind: 'enum', values: INITIALIZERS, what: 'initializer' };
export const paddingT: ArgType = { kind: 'enum', values: PADDINGS, what: 'padding' };
export const mergeModeT: ArgType = { kind: 'enum', values: MERGE_MODES, what: 'merge mode' };
/** A rate in [0, 1). */
export const rateT: ArgType = { kind: 'float', min: 0, max: 1, maxExclusive: true };

export const nameArg = (): ArgSpec =>
  arg(stringT, 'The layer name (unique in the model); generated as `<type>_<n>` when omitted.', { tf: false });

export const unitsArg = (what = 'output units'): ArgSpec => arg(intT(1), `Number of ${what}.`, { required: true });

export const activationArg = (dflt: string, what = 'Activation function'): ArgSpec =>
  arg(activationT, `${what}.`, { default: dflt });

export const initArg = (dflt: string, what: string): ArgSpec =>
  arg(initializerT, `Initializer for ${what}.`, { default: dflt });

// ---------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------

function formatDim(d: Dim): string {
  if (d === null) return '?';
  return String(d);
}

/**
 * Print a shape as users see it in diagnostics and summaries: the batch dimension first as `batch`,
 * symbols by name, unknown dims as `?`. `formatShape([5, 10])` is `[batch, 5, 10]`.
 */
export function formatShape(shape: readonly Dim[], withBatch = true): string {
  const parts = shape.map(formatDim);
  if (withBatch) parts.unshift('batch');
  return `[${parts.join(', ')}]`;
}

/** Rank including the batch dimension, as Keras users count it. */
export function rankWithBatch(shape: readonly Dim[]): number {
  return shape.length + 1;
}

export const isKnown = (d: Dim): d is number => typeof d === 'number';

export function ok(...shapes: Shape[]): ShapeResult {
  return { ok: true, shapes };
}

export function fail(key: DiagnosticKey, args: Record<string, unknown>, hint?: string, argName?: string): ShapeResult {
  const error: ShapeError = { key, args };
  if (hint !== undefined) error.hint = hint;
  if (argName !== undefined) error.argName = argName;
  return { ok: false, error };
}

/** RankMismatch unless the input (batch excluded) has exactly `rank` dims (batch excluded). */
export function expectRank(
  layer: string,
  input: readonly Dim[],
  rank: number,
  expectedShape: string,
  hint?: string,
): ShapeResult | undefined {
  if (input.length === rank) return undefined;
  return fail('RankMismatch', { layer, expected: `${rank + 1}-D`, expectedShape, got: formatShape(input) }, hint);
}

/** RankMismatch unless the input (batch excluded) has at least `min` dims. */
export function expectMinRank(
  layer: string,
  input: readonly Dim[],
  min: number,
  expectedShape: string,
  hint?: string,
): ShapeResult | undefined {
  if (input.length >= min) return undefined;
  return fail(
    'RankMismatch',
    { layer, expected: `${min + 1}-D or higher`, expectedShape, got: formatShape(input) },
    hint,
  );
}

/** UndefinedDim unless dim `index` (batch excluded; negative counts from the end) is a number. */
export function expectKnown(
  layer: string,
  input: readonly Dim[],
  index: number,
  which: string,
): ShapeResult | undefined {
  const i = index < 0 ? input.length + index : index;
  if (isKnown(input[i] ?? null)) return undefined;
  return fail(
    'UndefinedDim',
    { layer, which, got: formatShape(input) },
    'Give this dimension a concrete size in the input declaration (or via a param).',
  );
}

/** Exactly one input; InputCount otherwise. */
export function single(layer: string, inputs: readonly Shape[]): { shape: Shape } | { error: ShapeResult } {
  if (inputs.length !== 1) return { error: fail('InputCount', { layer, expected: 1, got: inputs.length }) };
  return { shape: inputs[0]! };
}

/**
 * Output length of a conv / pooling window along one axis (tfjs `convOutputLength`).
 * Unknown input lengths give null; a symbol is kept only when `same` padding with stride 1 preserves it.
 * Returns `{ error: computedLength }` when a `valid` window does not fit.
 */
export function windowLength(
  length: Dim,
  size: number,
  padding: string,
  stride: number,
  dilation = 1,
): { dim: Dim } | { nonPositive: number } {
  const effective = size + (size - 1) * (dilation - 1);
  if (!isKnown(length)) {
    if ((padding === 'same' || padding === 'causal') && stride === 1) return { dim: length };
    return { dim: null };
  }
  // causal (conv1d): (size − 1)·dilation zeros on the left, so the length before striding is the input's, as same.
  const raw = padding === 'same' || padding === 'causal' ? length : length - effective + 1;
  if (raw <= 0) return { nonPositive: raw };
  return { dim: Math.floor((raw + stride - 1) / stride) };
}

/** Product of known dims; null if any is not a number. */
export function knownProduct(dims: readonly Dim[]): number | null {
  let p = 1;
  for (const d of dims) {
    if (!isKnown(d)) return null;
    p *= d;
  }
  return p;
}

/**
 * Do two dims provably agree (for merges)? null agrees with anything; numbers must be equal;
 * symbols must be the same symbol; a symbol and a number are not provably equal.
 */
export function dimsAgree(a: Dim, b: Dim): 'ok' | 'dim' | 'symbol' {
  if (a === null || b === null) return 'ok';
  if (a === b) return 'ok';
  if (isKnown(a) && isKnown(b)) return 'dim';
  return 'symbol';
}

/** The more informative of two agreeing dims: a number beats a symbol beats null. */
export function unifyDim(a: Dim, b: Dim): Dim {
  if (isKnown(a)) return a;
  if (isKnown(b)) return b;
  return a ?? b;
}

/** Keras-style axis (batch = 0, negative from the end) to an index into the batch-less shape. */
export function axisIndex(axis: number, rank: number): number | undefined {
  const withBatch = rank + 1;
  const a = axis < 0 ? withBatch + axis : axis;
  if (a < 1 || a >= withBatch) return undefined;
  return a - 1;
}

// ---------------------------------------------------------------------------------------------
// Defensive argument getters (shape rules must never throw, even on unvalidated args)
// ---------------------------------------------------------------------------------------------

/** The given value or the schema default. */
export function argValue(inst: LayerInstance, name: string): ArgValue | undefined {
  const v = inst.args[name];
  if (v !== undefined) return v;
  return inst.def.args[name]?.default;
}

export function numArg(inst: LayerInstance, name: string, fallback: number): number {
  const v = argValue(inst, name);
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export function boolArg(inst: LayerInstance, name: string, fallback: boolean): boolean {
  const v = argValue(inst, name);
  return typeof v === 'boolean' ? v : fallback;
}

export function strArg(inst: LayerInstance, name: string, fallback: string): string {
  const v = argValue(inst, name);
  return typeof v === 'string' ? v : fallback;
}

/** An int-or-list argument as a list of `length` numbers. */
export function listArg(inst: LayerInstance, name: string, length: number, fallback: number): number[] {
  const v = argValue(inst, name);
  if (typeof v === 'number') return new Array<number>(length).fill(v);
  if (Array.isArray(v)) {
    const out: number[] = [];
    for (let i = 0; i < length; i++) {
      const x = v[i];
      out.push(typeof x === 'number' ? x : typeof v[0] === 'number' && v.length === 1 ? v[0] : fallback);
    }
    return out;
  }
  return new Array<number>(length).fill(fallback);
}

/** A plain int list argument (permute dims, reshape targetShape). */
export function intListArg(inst: LayerInstance, name: string): number[] {
  const v = argValue(inst, name);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'number' ? x : NaN));
  if (typeof v === 'number') return [v];
  return [];
}

export const noParams = (): ParamCount => ({ trainable: 0, nonTrainable: 0 });
export const trainable = (n: number): ParamCount => ({ trainable: n, nonTrainable: 0 });

// ---------------------------------------------------------------------------------------------
// tfSpec lowering
// ---------------------------------------------------------------------------------------------

function cloneValue(v: ArgValue): unknown {
  if (Array.isArray(v)) return v.map((x) => cloneValue(x));
  return v;
}

/**
 * The TF.js config of a layer: every schema argument that takes part in the config (`tf !== false`,
 * not a nested layer nor value references) with its given value or its (Keras 2) default, lowered
 * explicitly. Lists are copied (tfjs mutates some, e.g. Reshape's targetShape).
 */
export function configFromArgs(inst: LayerInstance): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(inst.def.args)) {
    if (spec.tf === false) continue;
    if (spec.type.kind === 'layer' || spec.type.kind === 'valueRefs') continue;
    const v = argValue(inst, name);
    if (v === undefined || v === null) continue;
    if (typeof v === 'object' && !Array.isArray(v)) continue; // an IRLayer where none belongs
    config[name] = cloneValue(v);
  }
  return config;
}

export function simpleSpec(factory: string) {
  return (inst: LayerInstance): TfLayerSpec => ({ factory, config: configFromArgs(inst) });
}

/** The TF.js spec of one of lstmc's own layer classes: `lstmcLayers.<factory>(configFromArgs)` (runtime/layers/). */
export function lstmcSpec(factory: string) {
  return (inst: LayerInstance): TfLayerSpec => ({ factory, module: 'lstmc', config: configFromArgs(inst) });
}

/** The TF.js spec of a wrapper: its own config, with the wrapped layer's spec under `inner`. */
export function wrapperSpec(factory: string) {
  return (inst: LayerInstance, outputShape: Shape | undefined, innerOutputShape?: Shape): TfLayerSpec => {
    const spec: TfLayerSpec = { factory, config: configFromArgs(inst) };
    if (inst.inner) spec.inner = inst.inner.def.lower.tfjs.spec(inst.inner, innerOutputShape ?? outputShape);
    return spec;
  };
}

type LayerFields = Omit<LayerDef, 'inputs' | 'outputCount' | 'readsSequence' | 'lower'> &
  Partial<Pick<LayerDef, 'inputs' | 'outputCount' | 'readsSequence'>> & {
    /** The TF.js lowering; by default `tf.layers.<name>(configFromArgs)` with no extra kernels. */
    tfjs?: Partial<TfjsLowering>;
    /**
     * The PyTorch lowering: the emit/pytorch/support.py class, and its config (by default the TF.js
     * config). Omitted: the layer is not supported by the PyTorch target.
     */
    pytorch?: Pick<PytorchLowering, 'className'> & Partial<PytorchLowering>;
  };

/** The TF.js config of `tfjs.spec`, as the PyTorch support classes take it (wrappers: without the inner layer). */
function tfjsConfigFor(tfjs: TfjsLowering) {
  return (inst: LayerInstance, _inputShapes: readonly Shape[], outputShape?: Shape): Record<string, unknown> =>
    tfjs.spec(inst, outputShape).config;
}

/** Defines a layer with defaults for the boilerplate fields (one input, one output, plain TF.js config). */
export function defineLayer(fields: LayerFields): LayerDef {
  const { tfjs, pytorch, ...def } = fields;
  const tfjsLowering: TfjsLowering = { spec: tfjs?.spec ?? simpleSpec(def.name), kernels: tfjs?.kernels ?? [] };
  if (tfjs?.lstmcClasses) tfjsLowering.lstmcClasses = tfjs.lstmcClasses;
  const lower: LayerLowerings = { tfjs: tfjsLowering };
  if (pytorch) {
    lower.pytorch = { className: pytorch.className, config: pytorch.config ?? tfjsConfigFor(tfjsLowering) };
    if (pytorch.innerInputShapes) lower.pytorch.innerInputShapes = pytorch.innerInputShapes;
  }
  return {
    inputs: { min: 1, max: 1 },
    outputCount: () => 1,
    readsSequence: false,
    ...def,
    lower,
  };
}
