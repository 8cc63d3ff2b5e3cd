/**
 * Convolutional recurrent layers: convLstm2d (tf.layers.convLstm2d, Keras ConvLSTM2D).
 *
 * An LSTM whose input and recurrent transformations are 2-D convolutions: it reads a sequence of
 * frames [T, rows, cols, channels] and keeps states h and c of shape [rows', cols', filters]. Gates
 * in Keras order i, f, c, o; kernel [kh, kw, channels, 4·filters], recurrent kernel
 * [kh, kw, filters, 4·filters] (always stride 1, `same` padding), bias [4·filters].
 *
 * Keras 2 defaults lowered explicitly (TF.js would differ): `recurrentActivation: 'sigmoid'` (TF.js
 * hardSigmoid) and `unitForgetBias: true` (TF.js off). Channels-last only, as every conv layer here.
 * TF.js 4.22 has no ConvLSTM1D / ConvLSTM3D, so neither is here (convLstm1d stays "not supported").
 */
import type { Shape } from '../ir.js';
import type { LayerDef, LayerInstance, ShapeResult } from './types.js';
import {
  activationArg,
  arg,
  boolArg,
  boolT,
  defineLayer,
  expectKnown,
  expectRank,
  fail,
  formatShape,
  initArg,
  intT,
  listArg,
  nameArg,
  numArg,
  ok,
  paddingT,
  rateT,
  single,
  strArg,
  trainable,
  windowLength,
} from './common.js';

const EXPECTED = '[batch, timesteps, rows, cols, channels]';

/** The output frame [rows', cols', filters] (or the error) for an input [T, rows, cols, channels]. */
function frameShape(inst: LayerInstance, x: Shape): { frame: Shape } | { error: ShapeResult } {
  const strides = listArg(inst, 'strides', 2, 1);
  const dilations = listArg(inst, 'dilationRate', 2, 1);
  if (strides.some((v) => v > 1) && dilations.some((v) => v > 1)) {
    const given = inst.args.dilationRate ?? inst.def.args.dilationRate?.default;
    return {
      error: fail(
        'ArgumentRange',
        { name: 'dilationRate', layer: 'convLstm2d', range: '1 when strides > 1 (TF.js)', got: JSON.stringify(given) },
        undefined,
        'dilationRate',
      ),
    };
  }
  const sizes = listArg(inst, 'kernelSize', 2, 1);
  const padding = strArg(inst, 'padding', 'valid');
  const dims: Shape = [];
  for (let i = 0; i < 2; i++) {
    const w = windowLength(x[i + 1] ?? null, sizes[i]!, padding, strides[i]!, dilations[i]!);
    if ('nonPositive' in w) {
      return {
        error: fail(
          'NonPositiveDim',
          { layer: 'convLstm2d', dim: w.nonPositive, input: formatShape(x) },
          `The window (${sizes.join('x')}) is larger than a frame; use a smaller kernelSize or padding: same.`,
          'kernelSize',
        ),
      };
    }
    dims.push(w.dim);
  }
  return { frame: [...dims, numArg(inst, 'filters', 1)] };
}

export const convLstm2d: LayerDef = defineLayer({
  name: 'convLstm2d',
  className: 'ConvLSTM2D',
  pytorch: { className: 'ConvLSTM2D' },
  category: 'recurrent',
  doc: 'Convolutional LSTM: an LSTM over a sequence of frames whose gates are 2-D convolutions of the frame and of the state; states [h, c] are frames of `filters` channels.',
  shapeDoc:
    "[T, H, W, C] -> [H', W', filters]; [T, H', W', filters] with returnSequences; plus two [H', W', filters] (h, c) with returnState",
  notes: [
    'recurrentActivation defaults to sigmoid (Keras 2); TF.js would default to hardSigmoid. Always lowered explicitly.',
    'unitForgetBias defaults to true (Keras 2); TF.js leaves it off. Always lowered explicitly.',
    'Channels-last only. The recurrent convolution has stride 1 and `same` padding (as Keras), so the states keep the output frame size.',
    'TF.js has no gradient for a dilated convolution: with dilationRate > 1 the model checks and predicts, but tfjs cannot train it (the PyTorch target can).',
    'TF.js 4.22 has no convLstm1d or convLstm3d, and cannot build a convLstm2d given `initialState` (LSTM3030): the layer starts from zero states.',
  ],
  readsSequence: true,
  tfjs: { kernels: ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'Sigmoid', 'Tanh'] },
  main: ['filters'],
  args: {
    filters: arg(intT(1), 'Number of output filters (channels of the output and of the states).', { required: true }),
    kernelSize: arg(
      { kind: 'intOrList', length: 2, min: 1 },
      'Size of the convolution window ([rows, cols], or one int for both).',
      { required: true },
    ),
    strides: arg({ kind: 'intOrList', length: 2, min: 1 }, 'Stride of the input convolution.', { default: 1 }),
    padding: arg(paddingT, 'Padding of the input convolution: valid or same.', { default: 'valid' }),
    dilationRate: arg(
      { kind: 'intOrList', length: 2, min: 1 },
      'Dilation rate of the input convolution (TF.js needs strides 1 when > 1).',
      { default: 1 },
    ),
    activation: activationArg('tanh', 'Activation of the candidate / output'),
    recurrentActivation: activationArg('sigmoid', 'Activation of the gates'),
    useBias: arg(boolT, 'Whether the layer uses a bias vector.', { default: true }),
    kernelInitializer: initArg('glorotUniform', 'the input kernel'),
    recurrentInitializer: initArg('orthogonal', 'the recurrent kernel'),
    biasInitializer: initArg('zeros', 'the bias'),
    unitForgetBias: arg(boolT, 'Add 1 to the forget-gate bias at initialisation (Keras 2 default true).', {
      default: true,
    }),
    dropout: arg(rateT, 'Fraction of the input units to drop.', { default: 0 }),
    recurrentDropout: arg(rateT, 'Fraction of the recurrent units to drop.', { default: 0 }),
    returnSequences: arg(boolT, 'Return every step [timesteps, rows, cols, filters] instead of the last one.', {
      default: false,
    }),
    returnState: arg(boolT, 'Also return the final states: `let [out, h, c] = ...`.', { default: false }),
    goBackwards: arg(boolT, 'Process the sequence backwards and return the reversed sequence.', { default: false }),
    name: nameArg(),
    initialState: arg(
      { kind: 'valueRefs' },
      'Initial states `[h, c]`: refused (LSTM3030), TF.js 4.22 builds a convLstm2d given initial states with wrong shapes.',
      { tf: false },
    ),
  },
  // tfjs's RNN reads a [batch, timesteps] mask; a mask of frames (masking on [T, rows, cols, channels] gives
  // [batch, T, rows, cols]) makes its step loop fail (tested), so a mask reaching it is refused (LSTM3023).
  masking: () => ({
    supports: true,
    output: 'none',
    refuses: 'TF.js 4.22 hands it a mask of frames [batch, timesteps, rows, cols], which its step loop cannot apply',
  }),
  stateNames: ['h', 'c'],
  // The state's rows and cols follow the input frames, which the layer instance does not know: only the
  // filters are fixed here (the checker compares ranks and known sizes).
  stateShapes: (inst) => [0, 1].map((): Shape => [null, null, numArg(inst, 'filters', 1)]),
  outputCount: (inst) => (boolArg(inst, 'returnState', false) ? 3 : 1),
  outputShapes(inst, inputs): ShapeResult {
    const s = single('convLstm2d', inputs);
    if ('error' in s) return s.error;
    // tfjs 4.22's ConvRNN2D.computeOutputShape takes the list [input, h, c] for the input when initial states are
    // given (RNN unwraps it, ConvRNN2D does not): the symbolic shapes come out wrong and the model does not build.
    if (Array.isArray(inst.args.initialState) && inst.args.initialState.length > 0) {
      return fail('ConvRecurrentInitialState', { layer: 'convLstm2d' }, undefined, 'initialState');
    }
    const x = s.shape;
    const r = expectRank(
      'convLstm2d',
      x,
      4,
      EXPECTED,
      'convLstm2d reads a sequence of frames; declare the input as [timesteps, rows, cols, channels].',
    );
    if (r) return r;
    const k = expectKnown('convLstm2d', x, -1, 'channels (last)');
    if (k) return k;
    const f = frameShape(inst, x);
    if ('error' in f) return f.error;
    const out: Shape = boolArg(inst, 'returnSequences', false) ? [x[0] ?? null, ...f.frame] : f.frame.slice();
    return boolArg(inst, 'returnState', false) ? ok(out, f.frame.slice(), f.frame.slice()) : ok(out);
  },
  paramCount(inst, inputs) {
    const x = inputs[0] ?? [];
    const c = x[x.length - 1];
    const channels = typeof c === 'number' ? c : 0;
    const filters = numArg(inst, 'filters', 1);
    const window = listArg(inst, 'kernelSize', 2, 1).reduce((p, v) => p * v, 1);
    const bias = boolArg(inst, 'useBias', true) ? 4 * filters : 0;
    return trainable(window * channels * 4 * filters + window * filters * 4 * filters + bias);
  },
});
