/**
 * Attention layers (Keras `Attention`, `AdditiveAttention`, `MultiHeadAttention`), fed `[query, value]` or
 * `[query, value, key]` (the key defaults to the value): `let ctx = [dec, enc] -> attention()`.
 *
 * TF.js 4.22 has none of them publicly, so they lower to lstmc's own TF.js classes (runtime/layers/attention.ts,
 * `lstmcLayers.attention(...)`). Keras's call options that change the computed model (`use_causal_mask`,
 * `return_attention_scores`) are layer arguments here; `returnAttentionScores: true` makes the attention weights a
 * second output (destructure it: `let [ctx, scores] = [dec, enc] -> attention(returnAttentionScores: true)`).
 *
 * Shapes (batch excluded): query [Tq, dq], value [Tv, dv], key [Tv, dk]. Parameter counts are Keras's.
 */
import type { Dim, Shape } from '../ir.js';
import type { LayerDef, LayerInstance, MaskRule, ShapeResult } from './types.js';
import {
  arg,
  boolArg,
  boolT,
  defineLayer,
  dimsAgree,
  expectKnown,
  expectRank,
  fail,
  formatShape,
  initArg,
  intT,
  lstmcSpec,
  nameArg,
  numArg,
  ok,
  rateT,
  strArg,
  trainable,
} from './common.js';

const INPUTS = { min: 2, max: 3 };
const SCORE_MODES = ['dot', 'concat'] as const;

/** The query mask becomes the output's; the value (and key) masks hide value steps from the scores. */
const attentionMask = (): MaskRule => ({ supports: true, reads: true, output: 'carry' });

const causalArg = () =>
  arg(
    boolT,
    "Keras's `use_causal_mask` call option: query step i attends to value steps 0..i only (decoder self-attention).",
    { default: false },
  );
const scoresArg = () =>
  arg(
    boolT,
    "Keras's `return_attention_scores` call option: also return the attention weights (after the softmax) as a second output.",
    { default: false },
  );
const dropoutArg = () => arg(rateT, 'Fraction of the attention weights to drop during training.', { default: 0 });

interface Qkv {
  query: Shape;
  value: Shape;
  key: Shape;
}

const show = (d: Dim) => (d === null ? '?' : String(d));

/** Count, ranks ([T, F] each), known feature dims, value/key lengths agree. */
function checkInputs(layer: string, inputs: readonly Shape[]): { qkv: Qkv } | { error: ShapeResult } {
  if (inputs.length < 2 || inputs.length > 3) {
    return {
      error: fail(
        'InputCount',
        { layer, expected: '2 or 3', got: inputs.length },
        `Feed a list: \`[query, value] -> ${layer}()\` or \`[query, value, key] -> ${layer}()\`.`,
      ),
    };
  }
  const names = ['query', 'value', 'key'];
  for (let i = 0; i < inputs.length; i++) {
    const s = inputs[i]!;
    const r =
      expectRank(layer, s, 2, '[batch, timesteps, features]', `The ${names[i]} must be a sequence.`) ??
      expectKnown(layer, s, -1, `last (${names[i]} features)`);
    if (r) return { error: r };
  }
  const query = inputs[0]!;
  const value = inputs[1]!;
  const key = inputs[2] ?? value;
  const agree = dimsAgree(value[0]!, key[0]!);
  if (agree === 'dim') {
    return { error: fail('AttentionLengthMismatch', { layer, a: show(value[0]!), b: show(key[0]!) }) };
  }
  if (agree === 'symbol') {
    return {
      error: fail(
        'SymbolMismatch',
        {
          what: `${layer} value ${formatShape(value)} and key ${formatShape(key)}`,
          a: show(value[0]!),
          b: show(key[0]!),
        },
        'Use the same symbol for dimensions that must be equal, or a concrete size.',
      ),
    };
  }
  return { qkv: { query, value, key } };
}

const last = (s: Shape): number => s[s.length - 1] as number;

/** How diagnostics name the key: without a third input the value is the key. */
const keyName = (inputs: readonly Shape[]): string => (inputs.length > 2 ? 'the key' : 'the key (the value)');

function featureMismatch(
  layer: string,
  what: string,
  a: number,
  other: string,
  b: number,
  hint?: string,
  argName?: string,
): ShapeResult {
  return fail('AttentionFeatureMismatch', { layer, what, a, other, b }, hint, argName);
}

/** checkInputs, then the query and the key must have the same features (attention, additiveAttention). */
function checkQueryKey(layer: string, inputs: readonly Shape[]): { qkv: Qkv } | { error: ShapeResult } {
  const c = checkInputs(layer, inputs);
  if ('error' in c) return c;
  const { query, key } = c.qkv;
  if (last(query) !== last(key)) {
    return {
      error: featureMismatch(layer, `the query ${formatShape(query)}`, last(query), keyName(inputs), last(key)),
    };
  }
  return c;
}

/** Output shapes of attention / additiveAttention: [Tq, dv] and, with returnAttentionScores, [Tq, Tv]. */
function luongShapes(inst: LayerInstance, { query, value }: Qkv): ShapeResult {
  const out: Shape[] = [[query[0]!, last(value)]];
  if (boolArg(inst, 'returnAttentionScores', false)) out.push([query[0]!, value[0]!]);
  return ok(...out);
}

const scoresCount = (inst: LayerInstance): number => (boolArg(inst, 'returnAttentionScores', false) ? 2 : 1);

export const attention: LayerDef = defineLayer({
  name: 'attention',
  className: 'Attention',
  category: 'attention',
  doc: 'Dot-product attention (Luong, Keras `Attention`): softmax(query · keyᵀ) · value, for each query step.',
  shapeDoc: '[Tq, d], [Tv, dv] (, key [Tv, d]) -> [Tq, dv] (+ scores [Tq, Tv])',
  notes: [
    'Inputs are `[query, value]` or `[query, value, key]`; the key defaults to the value.',
    "Keras's call options are arguments: `useCausalMask`, and `returnAttentionScores` (a second output: the attention weights).",
    "Masks: a masked value (or key) step gets a score of -1e9 before the softmax, as in Keras; the query's mask zeroes the output at masked query steps and is the output's mask. Under TF.js 4.22's model executor only the query's mask reaches a multi-input layer (and the value's when it is the query itself, `[x, x]`).",
    "lstmc's own TF.js class (TF.js 4.22 has no attention layer).",
  ],
  main: [],
  inputs: INPUTS,
  args: {
    useScale: arg(boolT, 'Learn a scalar `scale` that multiplies the scores (Keras `use_scale`).', { default: false }),
    scoreMode: arg(
      { kind: 'enum', values: SCORE_MODES, what: 'score mode' },
      '`dot`: scores = query · keyᵀ; `concat`: scores = w · Σ tanh(query + key) with a learnt scalar w.',
      { default: 'dot' },
    ),
    dropout: dropoutArg(),
    useCausalMask: causalArg(),
    returnAttentionScores: scoresArg(),
    name: nameArg(),
  },
  outputCount: scoresCount,
  outputShapes(inst, inputs): ShapeResult {
    const c = checkQueryKey('attention', inputs);
    return 'error' in c ? c.error : luongShapes(inst, c.qkv);
  },
  masking: attentionMask,
  paramCount(inst) {
    return trainable(
      (boolArg(inst, 'useScale', false) ? 1 : 0) + (strArg(inst, 'scoreMode', 'dot') === 'concat' ? 1 : 0),
    );
  },
  tfjs: { spec: lstmcSpec('attention'), lstmcClasses: ['Attention'] },
  pytorch: { className: 'Attention' },
});

export const additiveAttention: LayerDef = defineLayer({
  name: 'additiveAttention',
  className: 'AdditiveAttention',
  category: 'attention',
  doc: 'Additive attention (Bahdanau, Keras `AdditiveAttention`): softmax(Σ scale · tanh(query + key)) · value.',
  shapeDoc: '[Tq, d], [Tv, dv] (, key [Tv, d]) -> [Tq, dv] (+ scores [Tq, Tv])',
  notes: [
    'Inputs are `[query, value]` or `[query, value, key]`; the key defaults to the value.',
    'With `useScale` (the default) the layer learns one scale per feature; the key and the value then need the same number of features (Keras 2 sizes the scale by the value, Keras 3 by the query).',
    'Masks as for `attention`.',
    "lstmc's own TF.js class (TF.js 4.22 has no attention layer).",
  ],
  main: [],
  inputs: INPUTS,
  args: {
    useScale: arg(boolT, 'Learn a `scale` vector (one weight per feature) applied to tanh(query + key).', {
      default: true,
    }),
    dropout: dropoutArg(),
    useCausalMask: causalArg(),
    returnAttentionScores: scoresArg(),
    name: nameArg(),
  },
  outputCount: scoresCount,
  outputShapes(inst, inputs): ShapeResult {
    const c = checkQueryKey('additiveAttention', inputs);
    if ('error' in c) return c.error;
    const { value, key } = c.qkv;
    if (boolArg(inst, 'useScale', true) && last(value) !== last(key)) {
      return featureMismatch(
        'additiveAttention',
        `the value ${formatShape(value)}`,
        last(value),
        'the key',
        last(key),
        'With useScale the learnt scale has one weight per value feature and multiplies tanh(query + key): give the value as many features as the key, or set useScale: false.',
        'useScale',
      );
    }
    return luongShapes(inst, c.qkv);
  },
  masking: attentionMask,
  paramCount(inst, inputs) {
    const value = inputs[1] ?? [];
    return trainable(boolArg(inst, 'useScale', true) ? ((value[value.length - 1] as number | null) ?? 0) : 0);
  },
  tfjs: { spec: lstmcSpec('additiveAttention'), lstmcClasses: ['AdditiveAttention'] },
  pytorch: { className: 'AdditiveAttention' },
});

/** MultiHeadAttention's sizes: heads, key and value sizes per head, output features. */
function mhaSizes(inst: LayerInstance, query: Shape) {
  const heads = numArg(inst, 'numHeads', 1);
  const keyDim = numArg(inst, 'keyDim', 1);
  const valueDim = numArg(inst, 'valueDim', keyDim);
  const outDim = numArg(inst, 'outputShape', last(query));
  return { heads, keyDim, valueDim, outDim };
}

export const multiHeadAttention: LayerDef = defineLayer({
  name: 'multiHeadAttention',
  className: 'MultiHeadAttention',
  category: 'attention',
  doc: 'Multi-head attention (Keras `MultiHeadAttention`): per head, projected queries attend to projected keys; the heads are projected back to the output features.',
  shapeDoc: '[Tq, dq], [Tv, dv] (, key [Tv, dk]) -> [Tq, outputShape ?? dq] (+ scores [numHeads, Tq, Tv])',
  notes: [
    'Inputs are `[query, value]` or `[query, value, key]`; the key defaults to the value. Self-attention: `[x, x] -> multiHeadAttention(4, 16)`.',
    'Weights as in Keras: query/key/value kernels [features, numHeads, keyDim] (value: valueDim) with biases [numHeads, keyDim], an output kernel [numHeads, valueDim, outputShape] and bias [outputShape]. Scores are scaled by 1/sqrt(keyDim).',
    'Attention runs over the time axis only (Keras `attention_axes` is not supported); `outputShape` is a number of features.',
    "Masks: query, value and key masks combine into the attention mask (a masked pair gets -1e9 before the softmax, as in Keras); the output carries the query mask. Under TF.js 4.22's model executor only the query's mask reaches a multi-input layer (and the value's when it is the query itself, `[x, x]`).",
    "lstmc's own TF.js class (TF.js 4.22 has no public multi-head attention layer).",
  ],
  main: ['numHeads', 'keyDim'],
  inputs: INPUTS,
  args: {
    numHeads: arg(intT(1), 'Number of attention heads.', { required: true }),
    keyDim: arg(intT(1), 'Size of each head for the query and the key.', { required: true }),
    valueDim: arg(intT(1), 'Size of each head for the value (default: keyDim).'),
    dropout: dropoutArg(),
    useBias: arg(boolT, 'Whether the projections have biases.', { default: true }),
    outputShape: arg(intT(1), 'Output features (default: the query features).'),
    kernelInitializer: initArg('glorotUniform', 'the projection kernels'),
    biasInitializer: initArg('zeros', 'the projection biases'),
    useCausalMask: causalArg(),
    returnAttentionScores: arg(
      boolT,
      "Keras's `return_attention_scores` call option: also return the attention weights [numHeads, Tq, Tv] as a second output.",
      { default: false },
    ),
    name: nameArg(),
  },
  outputCount: scoresCount,
  outputShapes(inst, inputs): ShapeResult {
    const c = checkInputs('multiHeadAttention', inputs);
    if ('error' in c) return c.error;
    const { query, value } = c.qkv;
    const { heads, outDim } = mhaSizes(inst, query);
    const out: Shape[] = [[query[0]!, outDim]];
    if (boolArg(inst, 'returnAttentionScores', false)) out.push([heads, query[0]!, value[0]!]);
    return ok(...out);
  },
  masking: attentionMask,
  paramCount(inst, inputs) {
    const query = inputs[0] ?? [0];
    const value = inputs[1] ?? [0];
    const key = inputs[2] ?? value;
    const { heads, keyDim, valueDim, outDim } = mhaSizes(inst, query);
    const bias = boolArg(inst, 'useBias', true);
    const dense = (inDim: number, perHead: number) => inDim * heads * perHead + (bias ? heads * perHead : 0);
    return trainable(
      dense(last(query), keyDim) +
        dense(last(key), keyDim) +
        dense(last(value), valueDim) +
        heads * valueDim * outDim +
        (bias ? outDim : 0),
    );
  },
  tfjs: { spec: lstmcSpec('multiHeadAttention'), lstmcClasses: ['MultiHeadAttention'] },
  pytorch: { className: 'MultiHeadAttention' },
});
