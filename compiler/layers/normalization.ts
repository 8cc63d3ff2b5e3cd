/**
 * Normalisation: batchNormalization, layerNormalization (one axis, Keras default -1).
 */
import type { Shape } from '../ir.js';
import type { LayerDef, LayerInstance, ShapeResult } from './types.js';
import {
  arg,
  axisIndex,
  boolArg,
  boolT,
  defineLayer,
  fail,
  formatShape,
  initArg,
  intT,
  isKnown,
  nameArg,
  numArg,
  ok,
  single,
} from './common.js';

/** The normalised dim of the input, or an error. */
function normDim(layer: string, inst: LayerInstance, x: Shape): { dim: number } | { error: ShapeResult } {
  if (x.length > 3) {
    // TF.js implements both layers with tf.batchNorm, which supports tensors of rank <= 4 only.
    return {
      error: fail(
        'RankMismatch',
        { layer, expected: '4-D or smaller', expectedShape: '[batch, d1, d2, d3]', got: formatShape(x) },
        'TF.js cannot normalise tensors of rank > 4; reshape first, or wrap the layer in timeDistributed.',
      ),
    };
  }
  const axis = numArg(inst, 'axis', -1);
  const i = axisIndex(axis, x.length);
  if (i === undefined) {
    return {
      error: fail(
        'AxisOutOfRange',
        { axis, shape: formatShape(x) },
        'Axes count the batch as 0; -1 is the last axis.',
        'axis',
      ),
    };
  }
  const d = x[i] ?? null;
  if (!isKnown(d)) {
    return {
      error: fail(
        'UndefinedDim',
        { layer, which: `axis ${axis}`, got: formatShape(x) },
        'The normalised axis sizes the layer weights, so it must be known.',
      ),
    };
  }
  return { dim: d };
}

export const batchNormalization: LayerDef = defineLayer({
  name: 'batchNormalization',
  className: 'BatchNormalization',
  pytorch: { className: 'BatchNormalization' },
  category: 'normalization',
  doc: 'Normalises each feature with the batch statistics while training and moving averages at inference (Keras momentum and epsilon conventions).',
  shapeDoc: '[...] -> [...] (unchanged)',
  main: [],
  args: {
    axis: arg(intT(), 'The features axis (batch is 0; -1 is the last axis).', { default: -1 }),
    momentum: arg({ kind: 'float', min: 0, max: 1 }, 'Momentum of the moving averages.', { default: 0.99 }),
    epsilon: arg({ kind: 'float', min: 0, minExclusive: true }, 'Small float added to the variance.', {
      default: 0.001,
    }),
    center: arg(boolT, 'Add the learned offset beta.', { default: true }),
    scale: arg(boolT, 'Multiply by the learned gamma.', { default: true }),
    betaInitializer: initArg('zeros', 'beta'),
    gammaInitializer: initArg('ones', 'gamma'),
    movingMeanInitializer: initArg('zeros', 'the moving mean'),
    movingVarianceInitializer: initArg('ones', 'the moving variance'),
    name: nameArg(),
  },
  outputShapes(inst, inputs): ShapeResult {
    const s = single('batchNormalization', inputs);
    if ('error' in s) return s.error;
    const d = normDim('batchNormalization', inst, s.shape);
    if ('error' in d) return d.error;
    return ok(s.shape.slice());
  },
  masking: () => ({ supports: true, output: 'carry' }),
  paramCount(inst, inputs) {
    const d = normDim('batchNormalization', inst, inputs[0] ?? []);
    const c = 'dim' in d ? d.dim : 0;
    const t = (boolArg(inst, 'center', true) ? c : 0) + (boolArg(inst, 'scale', true) ? c : 0);
    return { trainable: t, nonTrainable: 2 * c };
  },
});

export const layerNormalization: LayerDef = defineLayer({
  name: 'layerNormalization',
  className: 'LayerNormalization',
  pytorch: { className: 'LayerNormalization' },
  category: 'normalization',
  doc: 'Normalises each example over `axis` (default the last), then scales and shifts.',
  shapeDoc: '[...] -> [...] (unchanged)',
  main: [],
  args: {
    axis: arg(intT(), 'The axis to normalise over (batch is 0; -1 is the last axis).', { default: -1 }),
    epsilon: arg({ kind: 'float', min: 0, minExclusive: true }, 'Small float added to the variance.', {
      default: 0.001,
    }),
    center: arg(boolT, 'Add the learned offset beta.', { default: true }),
    scale: arg(boolT, 'Multiply by the learned gamma.', { default: true }),
    betaInitializer: initArg('zeros', 'beta'),
    gammaInitializer: initArg('ones', 'gamma'),
    name: nameArg(),
  },
  outputShapes(inst, inputs): ShapeResult {
    const s = single('layerNormalization', inputs);
    if ('error' in s) return s.error;
    const d = normDim('layerNormalization', inst, s.shape);
    if ('error' in d) return d.error;
    return ok(s.shape.slice());
  },
  masking: () => ({ supports: true, output: 'carry' }),
  paramCount(inst, inputs) {
    const d = normDim('layerNormalization', inst, inputs[0] ?? []);
    const c = 'dim' in d ? d.dim : 0;
    return {
      trainable: (boolArg(inst, 'center', true) ? c : 0) + (boolArg(inst, 'scale', true) ? c : 0),
      nonTrainable: 0,
    };
  },
});
