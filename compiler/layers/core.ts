/**
 * Core layers: dense, dropout, flatten, reshape, repeatVector, permute, activation, embedding, masking.
 */
import type { Dim, Shape } from '../ir.js';
import type { LayerDef, MaskRule, ShapeResult, TfLayerSpec } from './types.js';
import {
  activationArg,
  activationT,
  arg,
  boolArg,
  boolT,
  configFromArgs,
  defineLayer,
  expectKnown,
  expectMinRank,
  expectRank,
  fail,
  formatShape,
  initArg,
  intListArg,
  intT,
  knownProduct,
  nameArg,
  noParams,
  numArg,
  ok,
  rateT,
  single,
  trainable,
  unitsArg,
} from './common.js';

/** TF.js `supportsMasking` with the default `computeMask`: an incoming mask passes through unchanged. */
const carriesMask = (): MaskRule => ({ supports: true, output: 'carry' });

export const dense: LayerDef = defineLayer({
  name: 'dense',
  className: 'Dense',
  pytorch: { className: 'Dense' },
  category: 'core',
  doc: 'A fully connected layer: `activation(x · kernel + bias)` on the last axis.',
  shapeDoc: '[..., F] -> [..., units]',
  main: ['units'],
  args: {
    units: unitsArg(),
    activation: activationArg('linear'),
    useBias: arg(boolT, 'Whether the layer uses a bias vector.', { default: true }),
    kernelInitializer: initArg('glorotUniform', 'the kernel'),
    biasInitializer: initArg('zeros', 'the bias'),
    name: nameArg(),
  },
  outputShapes(inst, inputs): ShapeResult {
    const s = single('dense', inputs);
    if ('error' in s) return s.error;
    const x = s.shape;
    const r = expectMinRank('dense', x, 1, '[batch, ..., features]');
    if (r) return r;
    const k = expectKnown('dense', x, -1, 'last');
    if (k) return k;
    return ok([...x.slice(0, -1), numArg(inst, 'units', 1)]);
  },
  masking: carriesMask,
  paramCount(inst, inputs) {
    const x = inputs[0] ?? [];
    const f = x[x.length - 1];
    const units = numArg(inst, 'units', 1);
    return trainable((typeof f === 'number' ? f : 0) * units + (boolArg(inst, 'useBias', true) ? units : 0));
  },
});

const identityShape =
  (layer: string) =>
  (_inst: unknown, inputs: readonly Shape[]): ShapeResult => {
    const s = single(layer, inputs);
    if ('error' in s) return s.error;
    return ok(s.shape.slice());
  };

export const dropout: LayerDef = defineLayer({
  name: 'dropout',
  className: 'Dropout',
  pytorch: { className: 'Dropout' },
  category: 'core',
  doc: 'Randomly sets a fraction `rate` of the inputs to 0 while training (scaling the rest); the identity at inference.',
  shapeDoc: '[...] -> [...] (unchanged)',
  main: ['rate'],
  args: {
    rate: arg(rateT, 'Fraction of the input units to drop, in [0, 1).', { required: true }),
    seed: arg(intT(0), 'Random seed of the dropout mask.'),
    name: nameArg(),
  },
  outputShapes: identityShape('dropout'),
  masking: carriesMask,
  paramCount: noParams,
});

export const gaussianNoise: LayerDef = defineLayer({
  name: 'gaussianNoise',
  className: 'GaussianNoise',
  pytorch: { className: 'GaussianNoise' },
  category: 'core',
  doc: 'Adds zero-mean Gaussian noise with standard deviation `stddev` while training (a regulariser); the identity at inference.',
  shapeDoc: '[...] -> [...] (unchanged)',
  main: ['stddev'],
  args: {
    stddev: arg({ kind: 'float', min: 0 }, 'Standard deviation of the noise.', { required: true }),
    seed: arg(intT(0), 'Random seed of the noise.'),
    name: nameArg(),
  },
  outputShapes: identityShape('gaussianNoise'),
  masking: carriesMask,
  paramCount: noParams,
});

export const activation: LayerDef = defineLayer({
  name: 'activation',
  className: 'Activation',
  pytorch: { className: 'Activation' },
  category: 'core',
  doc: 'Applies an activation function element-wise.',
  shapeDoc: '[...] -> [...] (unchanged)',
  main: ['activation'],
  args: {
    activation: arg(activationT, 'The activation function to apply.', { required: true }),
    name: nameArg(),
  },
  outputShapes: identityShape('activation'),
  masking: carriesMask,
  paramCount: noParams,
});

export const flatten: LayerDef = defineLayer({
  name: 'flatten',
  className: 'Flatten',
  pytorch: { className: 'Flatten' },
  category: 'core',
  doc: 'Flattens all dimensions but the batch into one.',
  shapeDoc: '[d1, d2, ...] -> [d1 · d2 · ...]',
  main: [],
  args: { name: nameArg() },
  outputShapes(_inst, inputs): ShapeResult {
    const s = single('flatten', inputs);
    if ('error' in s) return s.error;
    const x = s.shape;
    const r = expectMinRank('flatten', x, 2, '[batch, d1, d2, ...]', 'The input is already flat.');
    if (r) return r;
    const n = knownProduct(x);
    if (n === null) {
      // TF.js Flatten requires every non-batch dimension to be known.
      return fail(
        'UndefinedDim',
        { layer: 'flatten', which: 'size for every', got: formatShape(x) },
        'TF.js cannot flatten a shape with unknown or symbolic dimensions.',
      );
    }
    return ok([n]);
  },
  paramCount: noParams,
});

export const repeatVector: LayerDef = defineLayer({
  name: 'repeatVector',
  className: 'RepeatVector',
  pytorch: { className: 'RepeatVector' },
  category: 'core',
  doc: 'Repeats a vector `n` times, making a sequence (the bridge from an encoder to a decoder).',
  shapeDoc: '[F] -> [n, F]',
  main: ['n'],
  args: {
    n: arg(intT(1), 'How many times to repeat the input vector.', { required: true }),
    name: nameArg(),
  },
  outputShapes(inst, inputs): ShapeResult {
    const s = single('repeatVector', inputs);
    if ('error' in s) return s.error;
    const r = expectRank(
      'repeatVector',
      s.shape,
      1,
      '[batch, features]',
      'repeatVector repeats a vector; the previous recurrent layer should not return sequences.',
    );
    if (r) return r;
    return ok([numArg(inst, 'n', 1), s.shape[0] ?? null]);
  },
  paramCount: noParams,
});

export const permute: LayerDef = defineLayer({
  name: 'permute',
  className: 'Permute',
  pytorch: { className: 'Permute' },
  category: 'core',
  doc: 'Permutes the dimensions (1-based, batch excluded, as in Keras).',
  shapeDoc: '[d1, d2] with dims [2, 1] -> [d2, d1]',
  main: ['dims'],
  args: {
    dims: {
      ...arg({ kind: 'intList', min: 1, minLength: 1 }, 'A permutation of 1..rank (1-based, batch excluded).', {
        required: true,
      }),
      rangeHint:
        'permute dims are 1-based and exclude the batch axis, as in Keras: [2, 1] swaps the two dimensions of a [T, F] input.',
    },
    name: nameArg(),
  },
  outputShapes(inst, inputs): ShapeResult {
    const s = single('permute', inputs);
    if ('error' in s) return s.error;
    const x = s.shape;
    const dims = intListArg(inst, 'dims');
    const sorted = [...dims].sort((a, b) => a - b);
    const valid = dims.length === x.length && sorted.every((d, i) => d === i + 1);
    if (!valid) {
      return fail(
        'InvalidPermutation',
        { dims: `[${dims.join(', ')}]`, rank: x.length },
        `For an input of shape ${formatShape(x)}, dims must be a permutation of 1..${x.length}.`,
        'dims',
      );
    }
    return ok(dims.map((d) => x[d - 1] ?? null));
  },
  paramCount: noParams,
});

export const reshape: LayerDef = defineLayer({
  name: 'reshape',
  className: 'Reshape',
  pytorch: { className: 'Reshape' },
  category: 'core',
  doc: 'Reshapes to `targetShape` (batch excluded; at most one -1, inferred).',
  shapeDoc: '[...] -> targetShape (same number of elements)',
  notes: [
    "When the checker proves the size of a -1, the TF.js config spells it out (TF.js's symbolic Reshape never resolves -1).",
  ],
  tfjs: {
    spec(inst, outputShape): TfLayerSpec {
      const config = configFromArgs(inst);
      const target = config.targetShape;
      // TF.js's symbolic Reshape never resolves a -1 (its computeOutputShape returns null for it), so a
      // following dense/lstm would see an undefined dim: lower the proven concrete shape instead.
      const proven = outputShape?.every((d) => typeof d === 'number') ? (outputShape as number[]) : undefined;
      if (proven && Array.isArray(target) && target.includes(-1) && target.length === proven.length) {
        config.targetShape = proven.slice();
      }
      return { factory: 'reshape', config };
    },
  },
  main: ['targetShape'],
  args: {
    targetShape: arg(
      { kind: 'intList', min: 1, allowMinusOne: true, minLength: 1 },
      'The new shape (batch excluded); one dimension may be -1 (inferred).',
      { required: true },
    ),
    name: nameArg(),
  },
  outputShapes(inst, inputs): ShapeResult {
    const s = single('reshape', inputs);
    if ('error' in s) return s.error;
    const x = s.shape;
    const target = intListArg(inst, 'targetShape');
    const unknownAt = target.flatMap((d, i) => (d === -1 ? [i] : []));
    if (unknownAt.length > 1 || target.some((d) => !(Number.isInteger(d) && (d >= 1 || d === -1)))) {
      return fail(
        'ArgumentRange',
        {
          name: 'targetShape',
          layer: 'reshape',
          range: 'a list of positive integers with at most one -1',
          got: `[${target.join(', ')}]`,
        },
        undefined,
        'targetShape',
      );
    }
    const knownTarget = target.reduce((p, d) => (d === -1 ? p : p * d), 1);
    const total = knownProduct(x);
    const targetShown = formatShape(target.map((d) => (d === -1 ? null : d)));
    if (total === null) {
      // Cannot verify the element count; the inferred dimension stays unknown.
      return ok(target.map((d): Dim => (d === -1 ? null : d)));
    }
    if (unknownAt.length === 0) {
      if (total !== knownTarget) {
        return fail(
          'ReshapeCount',
          { from: formatShape(x), fromCount: total, to: targetShown, toCount: knownTarget },
          undefined,
          'targetShape',
        );
      }
      return ok(target.slice());
    }
    if (total % knownTarget !== 0) {
      return fail(
        'ReshapeCount',
        { from: formatShape(x), fromCount: total, to: targetShown, toCount: `a multiple of ${knownTarget}` },
        undefined,
        'targetShape',
      );
    }
    return ok(target.map((d) => (d === -1 ? total / knownTarget : d)));
  },
  paramCount: noParams,
});

export const embedding: LayerDef = defineLayer({
  name: 'embedding',
  className: 'Embedding',
  pytorch: { className: 'Embedding' },
  category: 'embedding',
  doc: 'Maps integer indices in [0, inputDim) to dense vectors of size outputDim.',
  shapeDoc: '[...] -> [..., outputDim]',
  tfjs: { kernels: ['GatherV2', 'UnsortedSegmentSum'] },
  main: ['inputDim', 'outputDim'],
  args: {
    inputDim: arg(intT(1), 'Vocabulary size: the largest integer index + 1.', { required: true }),
    outputDim: arg(intT(1), 'Size of each embedding vector.', { required: true }),
    embeddingsInitializer: initArg('randomUniform', 'the embedding matrix (Keras "uniform", ±0.05)'),
    maskZero: arg(
      boolT,
      'Treat index 0 as padding: the mask it makes lets the following recurrent layers skip those steps (inputDim counts index 0).',
      { default: false },
    ),
    name: nameArg(),
  },
  outputShapes(inst, inputs): ShapeResult {
    const s = single('embedding', inputs);
    if ('error' in s) return s.error;
    return ok([...s.shape, numArg(inst, 'outputDim', 1)]);
  },
  // TF.js sets supportsMasking only with maskZero: then it makes a new mask (index != 0), else drops one.
  masking: (inst): MaskRule =>
    boolArg(inst, 'maskZero', false) ? { supports: true, output: 'new' } : { supports: false, output: 'none' },
  paramCount: (inst) => trainable(numArg(inst, 'inputDim', 0) * numArg(inst, 'outputDim', 0)),
});

export const masking: LayerDef = defineLayer({
  name: 'masking',
  className: 'Masking',
  pytorch: { className: 'Masking' },
  category: 'core',
  doc: 'Masks the time steps whose features all equal `maskValue` (padding): recurrent layers after it skip them, carrying their states over.',
  shapeDoc: '[T, F] -> [T, F] (unchanged; masked steps become 0)',
  notes: [
    'The mask follows TF.js 4.22: layers that support masks pass it on (dense, dropout, activation, normalization, timeDistributed, concatenate); recurrent layers read it and pass it on only with returnSequences; other layers drop it (a warning).',
    'At a masked step a recurrent layer keeps its states and repeats its previous output (Keras 2). Under bidirectional with returnSequences, TF.js repeats too where Keras 2 outputs zeros.',
  ],
  tfjs: { kernels: ['NotEqual', 'Any'] },
  main: ['maskValue'],
  args: {
    maskValue: arg({ kind: 'float' }, 'A step whose features all equal this value is masked (skipped).', {
      default: 0,
    }),
    name: nameArg(),
  },
  outputShapes(_inst, inputs): ShapeResult {
    const s = single('masking', inputs);
    if ('error' in s) return s.error;
    const r = expectMinRank(
      'masking',
      s.shape,
      2,
      '[batch, timesteps, features]',
      'masking marks time steps: a step is masked when all its features equal maskValue.',
    );
    if (r) return r;
    return ok(s.shape.slice());
  },
  masking: (): MaskRule => ({ supports: true, output: 'new' }),
  paramCount: noParams,
});
