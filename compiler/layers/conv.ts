/**
 * Convolution and pooling: conv1d, conv2d, conv3d, max/average pooling 1d/2d, maxPooling3d, global
 * pooling 1d/2d. Channels-last only (the TF.js default). Output lengths follow tfjs `convOutputLength`.
 */
import type { Dim, Shape } from '../ir.js';
import type { ArgSpec, ArgType, LayerDef, LayerInstance, ShapeResult, TfLayerSpec } from './types.js';
import {
  activationArg,
  arg,
  boolArg,
  boolT,
  configFromArgs,
  defineLayer,
  expectKnown,
  expectRank,
  fail,
  formatShape,
  initArg,
  intT,
  listArg,
  nameArg,
  noParams,
  numArg,
  ok,
  PADDINGS,
  single,
  strArg,
  trainable,
  windowLength,
} from './common.js';

const SHAPE_1D = '[batch, steps, channels]';
const SHAPE_2D = '[batch, rows, cols, channels]';
const SHAPE_3D = '[batch, depth, rows, cols, channels]';
const expectedShape = (rank: 1 | 2 | 3): string => (rank === 1 ? SHAPE_1D : rank === 2 ? SHAPE_2D : SHAPE_3D);
/** The tfjs kernels a convolution needs for training, forward and backward. */
const CONV_KERNELS: Record<1 | 2 | 3, readonly string[]> = {
  1: ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'],
  2: ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'],
  3: ['Conv3D', 'Conv3DBackpropInputV2', 'Conv3DBackpropFilterV2'],
};
const KERNEL_SIZE_WORDS: Record<1 | 2 | 3, string> = {
  1: 'an int or [int]',
  2: '[rows, cols], or one int for both',
  3: '[depth, rows, cols], or one int for all three',
};
const CONV_DOC: Record<1 | 2 | 3, string> = {
  1: 'time (or one spatial axis)',
  2: 'two spatial axes',
  3: 'three axes (a volume, or a clip of frames: time, rows, cols)',
};
const CONV_SHAPE_DOC: Record<1 | 2 | 3, string> = {
  1: "[T, C] -> [T', filters] (T' from kernelSize, strides, padding, dilationRate)",
  2: "[H, W, C] -> [H', W', filters]",
  3: "[D, H, W, C] -> [D', H', W', filters]",
};
/**
 * Padding of convolutions and pooling: valid, same, and Keras's `causal`, which only conv1d has (left zeros,
 * lstmc's own class CausalConv1D; TF.js throws on it). The others refuse causal with LSTM3040 at the argument.
 */
const CONV_PADDINGS = [...PADDINGS, 'causal'] as const;
const convPaddingT: ArgType = { kind: 'enum', values: CONV_PADDINGS, what: 'padding' };
const PADDING_DOC = 'valid (no padding) or same (output length = ceil(input / stride)).';
const CONV1D_PADDING_DOC =
  'valid (no padding), same (output length = ceil(input / stride)) or causal (zeros before the first step only: step t sees steps ≤ t; output length as same).';

/** LSTM3040 unless the layer is conv1d: causal padding is a 1-D convolution's. */
function refuseCausal(layer: string, inst: LayerInstance): ShapeResult | undefined {
  if (strArg(inst, 'padding', 'valid') !== 'causal') return undefined;
  return fail('CausalPaddingNot1d', { layer }, undefined, 'padding');
}

/** RankMismatch hints: wrap a 2-D layer to apply it per frame. */
const PER_FRAME_HINT: Record<1 | 2 | 3, ((layer: string) => string) | undefined> = {
  1: undefined,
  2: (layer) =>
    `To ${layer.startsWith('conv') ? 'convolve' : 'pool'} every frame of a sequence, wrap it: timeDistributed(${layer}(...)).`,
  3: undefined,
};

/** Spatial output dims, or a NonPositiveDim error. */
function spatial(
  layer: string,
  x: Shape,
  sizes: number[],
  strides: number[],
  padding: string,
  dilations: number[],
  argName: string,
): { dims: Dim[] } | { error: ShapeResult } {
  const dims: Dim[] = [];
  for (let i = 0; i < sizes.length; i++) {
    const w = windowLength(x[i] ?? null, sizes[i]!, padding, strides[i]!, dilations[i] ?? 1);
    if ('nonPositive' in w) {
      return {
        error: fail(
          'NonPositiveDim',
          { layer, dim: w.nonPositive, input: formatShape(x) },
          `The window (${sizes.join('x')}) is larger than the input; use a smaller ${argName} or padding: same.`,
          argName,
        ),
      };
    }
    dims.push(w.dim);
  }
  return { dims };
}

function convLayer(name: 'conv1d' | 'conv2d' | 'conv3d', className: string, rank: 1 | 2 | 3): LayerDef {
  const expected = expectedShape(rank);
  const args: Record<string, ArgSpec> = {
    filters: arg(intT(1), 'Number of output filters (channels).', { required: true }),
    kernelSize: arg(
      { kind: 'intOrList', length: rank, min: 1 },
      `Size of the convolution window (${KERNEL_SIZE_WORDS[rank]}).`,
      {
        required: true,
      },
    ),
    strides: arg({ kind: 'intOrList', length: rank, min: 1 }, 'Stride of the convolution.', { default: 1 }),
    padding: arg(convPaddingT, rank === 1 ? CONV1D_PADDING_DOC : PADDING_DOC, { default: 'valid' }),
    dilationRate: arg({ kind: 'intOrList', length: rank, min: 1 }, 'Dilation rate (TF.js needs strides 1 when > 1).', {
      default: 1,
    }),
    activation: activationArg('linear'),
    useBias: arg(boolT, 'Whether the layer uses a bias vector.', { default: true }),
    kernelInitializer: initArg('glorotUniform', 'the kernel'),
    biasInitializer: initArg('zeros', 'the bias'),
    name: nameArg(),
  };
  return defineLayer({
    name,
    className,
    pytorch: { className },
    category: 'conv',
    doc: `A ${rank}-D convolution over ${CONV_DOC[rank]}: \`filters\` kernels of size \`kernelSize\`.`,
    shapeDoc: CONV_SHAPE_DOC[rank],
    notes:
      rank === 3
        ? [
            '`padding: causal` is conv1d’s only (LSTM3040).',
            'TF.js has no gradient for a dilated 3-D convolution: with dilationRate > 1 the model checks and predicts, but tfjs cannot train it (the PyTorch target can).',
          ]
        : rank === 2
          ? ['`padding: causal` is conv1d’s only (LSTM3040).']
          : [
              '`padding: causal` (Keras): (kernelSize − 1)·dilationRate zeros before the first step, none after, so step t sees only steps ≤ t and the output keeps the input length (at strides 1). TF.js has none, so it runs on lstmc’s own class (CausalConv1D: tfjs’s Conv1D on the left-padded input, the same weights).',
            ],
    readsSequence: rank === 1,
    tfjs:
      rank === 1
        ? {
            kernels: [...CONV_KERNELS[rank], 'PadV2'],
            // causal: lstmc's own class (tfjs's Conv1D on the left-padded input); else tf.layers.conv1d
            spec: (inst): TfLayerSpec =>
              strArg(inst, 'padding', 'valid') === 'causal'
                ? { factory: 'causalConv1d', module: 'lstmc', config: configFromArgs(inst) }
                : { factory: name, config: configFromArgs(inst) },
            lstmcClasses: ['CausalConv1D'],
          }
        : { kernels: CONV_KERNELS[rank] },
    main: ['filters'],
    args,
    outputShapes(inst, inputs): ShapeResult {
      const s = single(name, inputs);
      if ('error' in s) return s.error;
      const x = s.shape;
      const r = expectRank(name, x, rank + 1, expected, PER_FRAME_HINT[rank]?.(name));
      if (r) return r;
      const k = expectKnown(name, x, -1, 'channels (last)');
      if (k) return k;
      const c = rank === 1 ? undefined : refuseCausal(name, inst);
      if (c) return c;
      const strides = listArg(inst, 'strides', rank, 1);
      const dilations = listArg(inst, 'dilationRate', rank, 1);
      if (strides.some((v) => v > 1) && dilations.some((v) => v > 1)) {
        return fail(
          'ArgumentRange',
          {
            name: 'dilationRate',
            layer: name,
            range: '1 when strides > 1 (TF.js)',
            got: JSON.stringify(argOf(inst, 'dilationRate')),
          },
          undefined,
          'dilationRate',
        );
      }
      const sp = spatial(
        name,
        x,
        listArg(inst, 'kernelSize', rank, 1),
        strides,
        strArg(inst, 'padding', 'valid'),
        dilations,
        'kernelSize',
      );
      if ('error' in sp) return sp.error;
      return ok([...sp.dims, numArg(inst, 'filters', 1)]);
    },
    paramCount(inst, inputs) {
      const x = inputs[0] ?? [];
      const c = x[x.length - 1];
      const filters = numArg(inst, 'filters', 1);
      const window = listArg(inst, 'kernelSize', rank, 1).reduce((p, v) => p * v, 1);
      return trainable(
        window * (typeof c === 'number' ? c : 0) * filters + (boolArg(inst, 'useBias', true) ? filters : 0),
      );
    },
  });
}

function argOf(inst: LayerInstance, name: string): unknown {
  return inst.args[name] ?? inst.def.args[name]?.default;
}

export const conv1d = convLayer('conv1d', 'Conv1D', 1);
export const conv2d = convLayer('conv2d', 'Conv2D', 2);
export const conv3d = convLayer('conv3d', 'Conv3D', 3);

function poolLayer(name: string, className: string, rank: 1 | 2 | 3): LayerDef {
  const expected = expectedShape(rank);
  return defineLayer({
    name,
    className,
    pytorch: { className },
    category: 'pooling',
    doc: `${className.startsWith('Max') ? 'Maximum' : 'Average'} over ${rank === 1 ? 'windows of time steps' : `${rank}-D windows`} of size \`poolSize\`.`,
    shapeDoc:
      rank === 1 ? "[T, C] -> [T', C]" : rank === 2 ? "[H, W, C] -> [H', W', C]" : "[D, H, W, C] -> [D', H', W', C]",
    notes: ['`strides` defaults to `poolSize` (as Keras) and is lowered explicitly.'],
    readsSequence: rank === 1,
    tfjs: {
      spec(inst): TfLayerSpec {
        const config = configFromArgs(inst);
        // Keras: strides default to poolSize; lower it explicitly.
        if (config.strides === undefined) config.strides = structuredCloneList(config.poolSize);
        return { factory: name, config };
      },
      kernels:
        rank === 3
          ? ['MaxPool3D', 'MaxPool3DGrad']
          : className.startsWith('Max')
            ? ['MaxPool', 'MaxPoolGrad']
            : ['AvgPool', 'AvgPoolGrad'],
    },
    main: ['poolSize'],
    args: {
      poolSize: arg({ kind: 'intOrList', length: rank, min: 1 }, 'Size of the pooling window.', {
        default: rank === 1 ? 2 : new Array<number>(rank).fill(2),
      }),
      strides: arg({ kind: 'intOrList', length: rank, min: 1 }, 'Stride of the pooling window (default: poolSize).'),
      padding: arg(convPaddingT, PADDING_DOC, { default: 'valid' }),
      name: nameArg(),
    },
    outputShapes(inst, inputs): ShapeResult {
      const s = single(name, inputs);
      if ('error' in s) return s.error;
      const x = s.shape;
      const r = expectRank(name, x, rank + 1, expected, PER_FRAME_HINT[rank] && PER_FRAME_HINT[rank]('maxPooling2d'));
      if (r) return r;
      const c = refuseCausal(name, inst);
      if (c) return c;
      const pool = listArg(inst, 'poolSize', rank, 2);
      const strides =
        inst.args.strides === undefined || inst.args.strides === null ? pool : listArg(inst, 'strides', rank, 1);
      const sp = spatial(name, x, pool, strides, strArg(inst, 'padding', 'valid'), [], 'poolSize');
      if ('error' in sp) return sp.error;
      return ok([...sp.dims, x[rank] ?? null]);
    },
    paramCount: noParams,
  });
}

function structuredCloneList(v: unknown): unknown {
  return Array.isArray(v) ? [...(v as unknown[])] : v;
}

export const maxPooling1d = poolLayer('maxPooling1d', 'MaxPooling1D', 1);
export const maxPooling2d = poolLayer('maxPooling2d', 'MaxPooling2D', 2);
export const averagePooling1d = poolLayer('averagePooling1d', 'AveragePooling1D', 1);
export const averagePooling2d = poolLayer('averagePooling2d', 'AveragePooling2D', 2);
export const maxPooling3d = poolLayer('maxPooling3d', 'MaxPooling3D', 3);

function globalPoolLayer(name: string, className: string, rank: 1 | 2): LayerDef {
  const expected = rank === 1 ? SHAPE_1D : SHAPE_2D;
  return defineLayer({
    name,
    className,
    pytorch: { className },
    category: 'pooling',
    doc: `The ${className.includes('Max') ? 'maximum' : 'average'} over ${rank === 1 ? 'all time steps' : 'both spatial axes'}, per channel.`,
    shapeDoc: rank === 1 ? '[T, C] -> [C]' : '[H, W, C] -> [C]',
    readsSequence: rank === 1,
    main: [],
    args: { name: nameArg() },
    outputShapes(_inst, inputs): ShapeResult {
      const s = single(name, inputs);
      if ('error' in s) return s.error;
      const r = expectRank(name, s.shape, rank + 1, expected);
      if (r) return r;
      return ok([s.shape[rank] ?? null]);
    },
    paramCount: noParams,
  });
}

export const globalMaxPooling1d = globalPoolLayer('globalMaxPooling1d', 'GlobalMaxPooling1D', 1);
export const globalAveragePooling1d = globalPoolLayer('globalAveragePooling1d', 'GlobalAveragePooling1D', 1);
export const globalMaxPooling2d = globalPoolLayer('globalMaxPooling2d', 'GlobalMaxPooling2D', 2);
export const globalAveragePooling2d = globalPoolLayer('globalAveragePooling2d', 'GlobalAveragePooling2D', 2);
