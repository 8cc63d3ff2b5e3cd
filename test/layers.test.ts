import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../base/diagnostics.js';
import type { ArgValue, IRLayer, IRModel, IRNode, Shape } from '../compiler/ir.js';
import { formatShape, getLayer, instanceOf, LAYERS, layerNames } from '../compiler/layers/table.js';
import type { LayerInstance, ShapeResult } from '../compiler/layers/types.js';
import { toTfModelSpec } from '../compiler/tfspec.js';

const span = { file: 't.lstm', line: 1, column: 1, endLine: 1, endColumn: 2 };

function L(type: string, args: Record<string, ArgValue> = {}, inner?: IRLayer): IRLayer {
  const a = { ...args };
  if (inner) a.layer = inner;
  const l: IRLayer = { type, args: a, argSpans: {}, argParams: {}, span };
  if (inner) l.inner = inner;
  return l;
}

function inst(type: string, args: Record<string, ArgValue> = {}, inner?: IRLayer): LayerInstance {
  const i = instanceOf(L(type, args, inner));
  if (!i) throw new Error(`no layer ${type}`);
  return i;
}

function run(i: LayerInstance, ...inputs: Shape[]): ShapeResult {
  return i.def.outputShapes(i, inputs);
}

function shapes(i: LayerInstance, ...inputs: Shape[]): Shape[] {
  const r = run(i, ...inputs);
  if (!r.ok) throw new Error(`unexpected ${r.error.key} ${JSON.stringify(r.error.args)}`);
  return r.shapes;
}

function params(i: LayerInstance, ...inputs: Shape[]): number {
  const p = i.def.paramCount(i, inputs);
  return p.trainable + p.nonTrainable;
}

describe('formatShape', () => {
  it('prints batch, symbols and unknowns', () => {
    expect(formatShape([5, 10])).toBe('[batch, 5, 10]');
    expect(formatShape(['T', null, 3])).toBe('[batch, T, ?, 3]');
    expect(formatShape([4], false)).toBe('[4]');
  });
});

describe('table', () => {
  it('covers every required layer, keyed by factory name', () => {
    const required = [
      'lstm',
      'gru',
      'simpleRNN',
      'dense',
      'dropout',
      'flatten',
      'reshape',
      'repeatVector',
      'permute',
      'activation',
      'embedding',
      'conv1d',
      'conv2d',
      'maxPooling1d',
      'maxPooling2d',
      'averagePooling1d',
      'averagePooling2d',
      'globalMaxPooling1d',
      'globalAveragePooling1d',
      'batchNormalization',
      'layerNormalization',
      'concatenate',
      'add',
      'multiply',
      'average',
      'bidirectional',
      'timeDistributed',
    ];
    for (const n of required) expect(getLayer(n)?.name, n).toBe(n);
    expect(layerNames().length).toBe(LAYERS.size);
    expect(getLayer('nope')).toBeUndefined();
  });

  it('has sane schemas: main args exist, name is tf:false, defaults are typed', () => {
    for (const def of LAYERS.values()) {
      for (const m of def.main) expect(def.args[m], `${def.name}.${m}`).toBeDefined();
      expect(def.args.name?.tf, `${def.name}.name`).toBe(false);
      for (const [n, a] of Object.entries(def.args)) {
        if (a.type.kind === 'enum' && a.default !== undefined)
          expect(a.type.values, `${def.name}.${n}`).toContain(a.default);
        if (a.required) expect(a.default, `${def.name}.${n}`).toBeUndefined();
      }
    }
    expect(getLayer('lstm')!.args.initialState).toMatchObject({ type: { kind: 'valueRefs' }, tf: false });
    expect(getLayer('bidirectional')!.args.mergeMode!.type).toMatchObject({ values: ['concat', 'sum', 'mul', 'ave'] });
    // Keras 2 default: reset-after GRU (lstmc's GRUResetAfter; false is TF.js's GRU)
    expect(getLayer('gru')!.args.resetAfter).toMatchObject({ default: true });
  });

  it('every ShapeError key used is a real diagnostic', () => {
    const r = run(inst('lstm', { units: 3 }), [25]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Diagnostics[r.error.key]).toBeDefined();
  });

  it('canWrap', () => {
    const bi = getLayer('bidirectional')!;
    const td = getLayer('timeDistributed')!;
    expect(bi.canWrap!(getLayer('lstm')!)).toBe(true);
    expect(bi.canWrap!(getLayer('gru')!)).toBe(true);
    expect(bi.canWrap!(getLayer('dense')!)).toBe(false);
    expect(td.canWrap!(getLayer('conv2d')!)).toBe(true);
    expect(td.canWrap!(getLayer('dense')!)).toBe(true);
    expect(td.canWrap!(getLayer('concatenate')!)).toBe(false);
  });
});

type OkCase = [string, LayerInstance, Shape[], Shape[], number?];

const okCases: OkCase[] = [
  ['lstm last', inst('lstm', { units: 25 }), [[5, 10]], [[25]], 3600],
  ['lstm seq symbolic T', inst('lstm', { units: 4, returnSequences: true }), [['T', 3]], [['T', 4]], 128],
  ['lstm unknown T', inst('lstm', { units: 4, returnSequences: true }), [[null, 3]], [[null, 4]], 128],
  ['lstm returnState', inst('lstm', { units: 8, returnState: true }), [[5, 2]], [[8], [8], [8]], 4 * 8 * 11],
  [
    'lstm seq+state',
    inst('lstm', { units: 8, returnState: true, returnSequences: true }),
    [[5, 2]],
    [[5, 8], [8], [8]],
  ],
  ['lstm no bias', inst('lstm', { units: 2, useBias: false }), [[5, 3]], [[2]], 4 * 2 * 5],
  ['gru (resetAfter, two bias rows)', inst('gru', { units: 10 }), [[7, 3]], [[10]], 3 * 10 * (3 + 10 + 2)],
  [
    'gru resetAfter false (tfjs)',
    inst('gru', { units: 10, resetAfter: false }),
    [[7, 3]],
    [[10]],
    3 * 10 * (3 + 10 + 1),
  ],
  ['gru resetAfter no bias', inst('gru', { units: 10, useBias: false }), [[7, 3]], [[10]], 3 * 10 * (3 + 10)],
  ['gru returnState', inst('gru', { units: 10, returnState: true }), [[7, 3]], [[10], [10]]],
  ['simpleRNN', inst('simpleRNN', { units: 6, returnSequences: true }), [[7, 3]], [[7, 6]], 6 * (3 + 6 + 1)],
  ['dense 1-D', inst('dense', { units: 10 }), [[25]], [[10]], 260],
  ['dense 3-D', inst('dense', { units: 4 }), [['T', 3]], [['T', 4]], 16],
  ['dense no bias', inst('dense', { units: 4, useBias: false }), [[3]], [[4]], 12],
  ['dropout', inst('dropout', { rate: 0.2 }), [['T', 3]], [['T', 3]], 0],
  ['activation', inst('activation', { activation: 'relu' }), [[2, 3]], [[2, 3]], 0],
  ['flatten', inst('flatten'), [[4, 5, 2]], [[40]], 0],
  ['reshape', inst('reshape', { targetShape: [2, 3] }), [[6]], [[2, 3]], 0],
  ['reshape -1', inst('reshape', { targetShape: [-1, 2] }), [[3, 4]], [[6, 2]], 0],
  ['reshape unknown in', inst('reshape', { targetShape: [-1, 2] }), [['T', 4]], [[null, 2]], 0],
  ['repeatVector', inst('repeatVector', { n: 2 }), [[75]], [[2, 75]], 0],
  ['permute', inst('permute', { dims: [2, 1] }), [['T', 3]], [[3, 'T']], 0],
  ['embedding', inst('embedding', { inputDim: 100, outputDim: 8 }), [['T']], [['T', 8]], 800],
  ['conv1d valid', inst('conv1d', { filters: 4, kernelSize: 3 }), [[10, 2]], [[8, 4]], 3 * 2 * 4 + 4],
  [
    'conv1d same stride',
    inst('conv1d', { filters: 4, kernelSize: 3, padding: 'same', strides: 2 }),
    [[9, 2]],
    [[5, 4]],
  ],
  [
    'conv1d symbolic same keeps T',
    inst('conv1d', { filters: 4, kernelSize: 3, padding: 'same' }),
    [['T', 2]],
    [['T', 4]],
  ],
  ['conv1d symbolic valid -> null', inst('conv1d', { filters: 4, kernelSize: 3 }), [['T', 2]], [[null, 4]]],
  ['conv1d dilation', inst('conv1d', { filters: 1, kernelSize: 3, dilationRate: 2 }), [[10, 1]], [[6, 1]]],
  ['conv2d', inst('conv2d', { filters: 2, kernelSize: [2, 2] }), [[50, 50, 1]], [[49, 49, 2]], 2 * 2 * 1 * 2 + 2],
  [
    'conv2d strides',
    inst('conv2d', { filters: 2, kernelSize: 3, strides: [2, 1] }),
    [[9, 9, 3]],
    [[4, 7, 2]],
    9 * 3 * 2 + 2,
  ],
  ['maxPooling2d', inst('maxPooling2d', { poolSize: [2, 2] }), [[49, 49, 2]], [[24, 24, 2]], 0],
  ['maxPooling2d default', inst('maxPooling2d'), [[5, 5, 2]], [[2, 2, 2]], 0],
  ['averagePooling2d same', inst('averagePooling2d', { poolSize: 3, padding: 'same' }), [[5, 5, 2]], [[2, 2, 2]], 0],
  ['maxPooling1d', inst('maxPooling1d', { poolSize: 2 }), [[9, 3]], [[4, 3]], 0],
  ['averagePooling1d strides', inst('averagePooling1d', { poolSize: 3, strides: 1 }), [[9, 3]], [[7, 3]], 0],
  ['globalMaxPooling1d', inst('globalMaxPooling1d'), [['T', 3]], [[3]], 0],
  ['globalAveragePooling1d', inst('globalAveragePooling1d'), [[5, 3]], [[3]], 0],
  ['batchNormalization', inst('batchNormalization'), [[5, 3]], [[5, 3]], 12],
  ['batchNormalization axis 1', inst('batchNormalization', { axis: 1 }), [[5, 3]], [[5, 3]], 20],
  ['layerNormalization', inst('layerNormalization'), [['T', 3]], [['T', 3]], 6],
  [
    'concatenate',
    inst('concatenate'),
    [
      [5, 3],
      [5, 4],
    ],
    [[5, 7]],
    0,
  ],
  [
    'concatenate axis 1',
    inst('concatenate', { axis: 1 }),
    [
      [5, 3],
      [2, 3],
    ],
    [[7, 3]],
    0,
  ],
  [
    'concatenate symbolic axis',
    inst('concatenate', { axis: 1 }),
    [
      ['T', 3],
      [2, 3],
    ],
    [[null, 3]],
    0,
  ],
  [
    'concatenate null vs symbol ok',
    inst('concatenate'),
    [
      [null, 3],
      ['T', 4],
    ],
    [['T', 7]],
    0,
  ],
  [
    'add',
    inst('add'),
    [
      [5, 3],
      [5, 3],
      [5, 3],
    ],
    [[5, 3]],
    0,
  ],
  [
    'add null unify',
    inst('add'),
    [
      [null, 3],
      [5, 3],
    ],
    [[5, 3]],
    0,
  ],
  [
    'multiply',
    inst('multiply'),
    [
      ['T', 3],
      ['T', 3],
    ],
    [['T', 3]],
    0,
  ],
  ['average', inst('average'), [[3], [3]], [[3]], 0],
  [
    'bidirectional concat',
    inst('bidirectional', {}, L('lstm', { units: 50, returnSequences: true })),
    [[10, 1]],
    [[10, 100]],
    20800,
  ],
  [
    'bidirectional sum',
    inst('bidirectional', { mergeMode: 'sum' }, L('gru', { units: 5 })),
    [[10, 2]],
    [[5]],
    2 * 3 * 5 * (2 + 5 + 2),
  ],
  [
    'bidirectional returnState',
    inst('bidirectional', {}, L('lstm', { units: 4, returnState: true })),
    [[10, 2]],
    [[8], [4], [4], [4], [4]],
  ],
  ['timeDistributed dense', inst('timeDistributed', {}, L('dense', { units: 12 })), [[2, 50]], [[2, 12]], 612],
  [
    'timeDistributed conv2d',
    inst('timeDistributed', {}, L('conv2d', { filters: 2, kernelSize: [2, 2] })),
    [[5, 50, 50, 1]],
    [[5, 49, 49, 2]],
    10,
  ],
  ['timeDistributed flatten', inst('timeDistributed', {}, L('flatten')), [['T', 24, 24, 2]], [['T', 1152]], 0],
  [
    'timeDistributed maxPooling2d',
    inst('timeDistributed', {}, L('maxPooling2d', { poolSize: [2, 2] })),
    [[5, 49, 49, 2]],
    [[5, 24, 24, 2]],
    0,
  ],
];

describe('shape rules (ok)', () => {
  it.each(okCases)('%s', (_name, i, inputs, want, wantParams) => {
    const frozen = JSON.stringify(inputs);
    expect(shapes(i, ...inputs)).toEqual(want);
    expect(JSON.stringify(inputs)).toBe(frozen); // pure
    expect(i.def.outputCount(i)).toBe(want.length);
    if (wantParams !== undefined) expect(params(i, ...inputs)).toBe(wantParams);
  });
});

type ErrCase = [string, LayerInstance, Shape[], string, Record<string, unknown>?];

const errCases: ErrCase[] = [
  [
    'lstm on 2-D',
    inst('lstm', { units: 3 }),
    [[25]],
    'RankMismatch',
    { layer: 'lstm', expected: '3-D', expectedShape: '[batch, timesteps, features]', got: '[batch, 25]' },
  ],
  ['lstm unknown features', inst('lstm', { units: 3 }), [[5, null]], 'UndefinedDim', { layer: 'lstm' }],
  ['lstm symbolic features', inst('lstm', { units: 3 }), [[5, 'F']], 'UndefinedDim'],
  [
    'dense unknown last',
    inst('dense', { units: 3 }),
    [['T', null]],
    'UndefinedDim',
    { layer: 'dense', got: '[batch, T, ?]' },
  ],
  ['dense two inputs', inst('dense', { units: 3 }), [[3], [3]], 'InputCount'],
  ['conv2d on 3-D', inst('conv2d', { filters: 1, kernelSize: 2 }), [[5, 5]], 'RankMismatch', { expected: '4-D' }],
  [
    'conv1d window too big',
    inst('conv1d', { filters: 1, kernelSize: 5 }),
    [[3, 1]],
    'NonPositiveDim',
    { layer: 'conv1d', dim: -1 },
  ],
  [
    'conv1d dilation+strides',
    inst('conv1d', { filters: 1, kernelSize: 2, strides: 2, dilationRate: 2 }),
    [[9, 1]],
    'ArgumentRange',
  ],
  ['conv2d unknown channels', inst('conv2d', { filters: 1, kernelSize: 2 }), [[5, 5, null]], 'UndefinedDim'],
  ['maxPooling2d too big', inst('maxPooling2d', { poolSize: [3, 3] }), [[2, 5, 1]], 'NonPositiveDim'],
  ['maxPooling1d rank', inst('maxPooling1d'), [[2, 5, 1]], 'RankMismatch'],
  ['flatten 1-D', inst('flatten'), [[5]], 'RankMismatch'],
  ['flatten symbolic', inst('flatten'), [['T', 5]], 'UndefinedDim'],
  ['reshape count', inst('reshape', { targetShape: [4, 2] }), [[7]], 'ReshapeCount', { fromCount: 7, toCount: 8 }],
  ['reshape -1 count', inst('reshape', { targetShape: [-1, 3] }), [[7]], 'ReshapeCount'],
  ['reshape two -1', inst('reshape', { targetShape: [-1, -1] }), [[8]], 'ArgumentRange'],
  ['permute not a permutation', inst('permute', { dims: [1, 1] }), [[3, 4]], 'InvalidPermutation', { rank: 2 }],
  ['permute wrong rank', inst('permute', { dims: [2, 1] }), [[3, 4, 5]], 'InvalidPermutation'],
  ['repeatVector on 3-D', inst('repeatVector', { n: 2 }), [[5, 3]], 'RankMismatch'],
  ['batchNorm axis out', inst('batchNormalization', { axis: 3 }), [[5, 3]], 'AxisOutOfRange'],
  ['batchNorm axis 0', inst('batchNormalization', { axis: 0 }), [[5, 3]], 'AxisOutOfRange'],
  [
    'batchNorm rank 5 (tfjs batchNorm max rank 4)',
    inst('batchNormalization'),
    [[2, 3, 4, 5]],
    'RankMismatch',
    { expected: '4-D or smaller' },
  ],
  ['layerNorm rank 5', inst('layerNormalization'), [[2, 3, 4, 5]], 'RankMismatch'],
  ['layerNorm unknown', inst('layerNormalization'), [['T', null]], 'UndefinedDim'],
  ['concatenate one input', inst('concatenate'), [[3]], 'InputCount'],
  [
    'concatenate non-axis dim',
    inst('concatenate'),
    [
      [5, 3],
      [6, 3],
    ],
    'DimMismatch',
    { dim: 1, a: '5', b: '6' },
  ],
  [
    'concatenate T vs S',
    inst('concatenate'),
    [
      ['T', 3],
      ['S', 3],
    ],
    'SymbolMismatch',
    { a: 'T', b: 'S' },
  ],
  [
    'concatenate null vs 5 (tfjs rejects)',
    inst('concatenate'),
    [
      [null, 3],
      [5, 3],
    ],
    'SymbolMismatch',
    { a: '?', b: 5 },
  ],
  [
    'concatenate axis out',
    inst('concatenate', { axis: 3 }),
    [
      [5, 3],
      [5, 3],
    ],
    'AxisOutOfRange',
  ],
  ['concatenate rank', inst('concatenate'), [[5, 3], [3]], 'RankMismatch'],
  ['add dim', inst('add'), [[3], [4]], 'DimMismatch'],
  [
    'add T vs 5',
    inst('add'),
    [
      ['T', 3],
      [5, 3],
    ],
    'SymbolMismatch',
  ],
  ['multiply T vs S', inst('multiply'), [['T'], ['S']], 'SymbolMismatch'],
  ['bidirectional of dense', inst('bidirectional', {}, L('dense', { units: 2 })), [[5, 3]], 'NotAWrapper'],
  [
    'bidirectional inner rank',
    inst('bidirectional', {}, L('lstm', { units: 2 })),
    [[3]],
    'RankMismatch',
    { layer: 'lstm' },
  ],
  ['timeDistributed rank', inst('timeDistributed', {}, L('dense', { units: 2 })), [[3]], 'RankMismatch'],
  [
    'timeDistributed inner error',
    inst('timeDistributed', {}, L('conv2d', { filters: 1, kernelSize: 2 })),
    [[5, 5, 5]],
    'RankMismatch',
    { layer: 'conv2d' },
  ],
  [
    'timeDistributed returnState',
    inst('timeDistributed', {}, L('lstm', { units: 2, returnState: true })),
    [[5, 5, 5]],
    'MultiOutputAsSingle',
  ],
];

describe('shape rules (errors)', () => {
  it.each(errCases)('%s', (_name, i, inputs, key, args) => {
    const frozen = JSON.stringify(inputs);
    const r = run(i, ...inputs);
    expect(JSON.stringify(inputs)).toBe(frozen);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.key).toBe(key);
    expect(Diagnostics[r.error.key as keyof typeof Diagnostics]).toBeDefined();
    if (args) expect(r.error.args).toMatchObject(args);
  });

  it('never throws on junk args or shapes', () => {
    const junk: Record<string, ArgValue>[] = [
      {},
      { units: 'x', kernelSize: [1, 'a'], axis: 99, targetShape: 'q', dims: null },
    ];
    const shapesToTry: Shape[][] = [
      [],
      [[]],
      [[3]],
      [[null, 'T', 4]],
      [[1, 2, 3, 4]],
      [
        [2, 3],
        [2, 3],
      ],
    ];
    for (const def of LAYERS.values()) {
      for (const a of junk) {
        const i: LayerInstance = { def, args: a };
        if (def.category === 'wrapper') i.inner = inst('lstm', { units: 2 });
        for (const s of shapesToTry) {
          expect(() => {
            const r = def.outputShapes(i, s);
            if (r.ok) def.paramCount(i, s);
            def.lower.tfjs.spec(i, undefined);
            def.outputCount(i);
          }, def.name).not.toThrow();
        }
      }
    }
  });
});

describe('tfSpec', () => {
  it('lowers every Keras 2 default explicitly (LSTM)', () => {
    const s = getLayer('lstm')!.lower.tfjs.spec(inst('lstm', { units: 25, name: 'enc' }), undefined);
    expect(s.factory).toBe('lstm');
    expect(s.config).toEqual({
      units: 25,
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
      useBias: true,
      kernelInitializer: 'glorotUniform',
      recurrentInitializer: 'orthogonal',
      biasInitializer: 'zeros',
      unitForgetBias: true,
      dropout: 0,
      recurrentDropout: 0,
      returnSequences: false,
      returnState: false,
      goBackwards: false,
    });
  });

  it('gru / dense / pooling / wrappers', () => {
    const g = inst('gru', { units: 3 });
    expect(g.def.lower.tfjs.spec(g, undefined).config).toMatchObject({ recurrentActivation: 'sigmoid' });
    expect(g.def.lower.tfjs.spec(g, undefined)).toMatchObject({
      factory: 'gruResetAfter',
      module: 'lstmc',
      config: { resetAfter: true },
    });
    const gf = inst('gru', { units: 3, resetAfter: false });
    expect(gf.def.lower.tfjs.spec(gf, undefined)).toMatchObject({ factory: 'gru', config: { resetAfter: false } });
    expect(gf.def.lower.tfjs.spec(gf, undefined)).not.toHaveProperty('module');
    const d = inst('dense', { units: 3 });
    expect(d.def.lower.tfjs.spec(d, undefined)).toEqual({
      factory: 'dense',
      config: {
        units: 3,
        activation: 'linear',
        useBias: true,
        kernelInitializer: 'glorotUniform',
        biasInitializer: 'zeros',
      },
    });
    const p = inst('maxPooling2d', { poolSize: [3, 3] });
    expect(p.def.lower.tfjs.spec(p, undefined).config).toEqual({ poolSize: [3, 3], strides: [3, 3], padding: 'valid' });
    const td = inst('timeDistributed', {}, L('dense', { units: 1, activation: 'sigmoid' }));
    const tds = td.def.lower.tfjs.spec(td, undefined);
    expect(tds.factory).toBe('timeDistributed');
    expect(tds.config).toEqual({});
    expect(tds.inner).toMatchObject({ factory: 'dense', config: { units: 1, activation: 'sigmoid' } });
    const bi = inst('bidirectional', {}, L('lstm', { units: 5 }));
    expect(bi.def.lower.tfjs.spec(bi, undefined)).toMatchObject({
      factory: 'bidirectional',
      config: { mergeMode: 'concat' },
      inner: { factory: 'lstm' },
    });
    // JSON-serialisable and list args copied
    const r = inst('reshape', { targetShape: [-1, 2] });
    const rs = r.def.lower.tfjs.spec(r, undefined);
    expect(JSON.parse(JSON.stringify(rs))).toEqual(rs);
    (rs.config.targetShape as number[])[0] = 7;
    expect(r.args.targetShape).toEqual([-1, 2]);
  });
});

// ---------------------------------------------------------------------------------------------
// toTfModelSpec
// ---------------------------------------------------------------------------------------------

function node(
  name: string,
  layer: IRLayer,
  inputs: IRNode['inputs'],
  inShapes: Shape[],
  extra: Partial<IRNode> = {},
): IRNode {
  const i = instanceOf(layer)!;
  const r = i.def.outputShapes(i, inShapes);
  if (!r.ok) throw new Error(`${name}: ${r.error.key}`);
  return {
    ...layer,
    name,
    inputs,
    inputShapes: inShapes,
    outputShapes: r.shapes,
    params: i.def.paramCount(i, inShapes),
    ...extra,
  };
}

const train = {
  loss: 'mse',
  optimizer: { name: 'adam', args: {} },
  metrics: [],
  epochs: 1,
  batchSize: 1,
  validationSplit: 0,
  shuffle: true,
  spans: {},
};

function inp(name: string, shape: Shape): IRModel['inputs'][number] {
  return { name, shape, dimParams: shape.map(() => undefined), span };
}

function model(
  kind: IRModel['kind'],
  inputs: IRModel['inputs'],
  nodes: IRNode[],
  outputs: IRModel['outputs'],
): IRModel {
  return { name: 'M', file: 't.lstm', span, kind, params: {}, inputs, nodes, outputs, outputShapes: [], train };
}

describe('toTfModelSpec', () => {
  it('sequential: inputShape on the first layer (symbols -> null), names in configs', () => {
    const n1 = node('lstm_1', L('lstm', { units: 25 }), [{ node: 'x', index: 0 }], [['T', 10]]);
    const n2 = node(
      'dense_1',
      L('dense', { units: 10, activation: 'softmax' }),
      [{ node: 'lstm_1', index: 0 }],
      [[25]],
    );
    const m = model('sequential', [inp('x', ['T', 10])], [n1, n2], [{ node: 'dense_1', index: 0 }]);
    const spec = toTfModelSpec(m);
    expect(spec.kind).toBe('sequential');
    expect(spec.name).toBe('M');
    expect(spec.inputs).toEqual([{ name: 'x', shape: [null, 10] }]);
    expect(spec.nodes[0]!.spec.config).toMatchObject({
      name: 'lstm_1',
      inputShape: [null, 10],
      recurrentActivation: 'sigmoid',
    });
    expect(spec.nodes[1]!.spec.config).toMatchObject({ name: 'dense_1', activation: 'softmax' });
    expect(spec.nodes[1]!.spec.config).not.toHaveProperty('inputShape');
    expect(spec.nodes.map((n) => n.outputCount)).toEqual([1, 1]);
    expect(spec.outputs).toEqual([{ node: 'dense_1', index: 0 }]);
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it('sequential wrapper first: inputShape on the wrapper, not the inner', () => {
    const n1 = node(
      'time_distributed_1',
      L('timeDistributed', {}, L('conv2d', { filters: 2, kernelSize: [2, 2], activation: 'relu' })),
      [{ node: 'x', index: 0 }],
      [[null, 50, 50, 1]],
    );
    const spec = toTfModelSpec(model('sequential', [inp('x', [null, 50, 50, 1])], [n1], [{ node: n1.name, index: 0 }]));
    expect(spec.nodes[0]!.spec.config).toEqual({ name: 'time_distributed_1', inputShape: [null, 50, 50, 1] });
    expect(spec.nodes[0]!.spec.inner).toMatchObject({ factory: 'conv2d', config: { filters: 2, kernelSize: [2, 2] } });
    expect(spec.nodes[0]!.spec.inner!.config).not.toHaveProperty('inputShape');
  });

  it('functional: inputs, refs, initialState, outputCount', () => {
    const enc = node('enc', L('lstm', { units: 16, returnState: true }), [{ node: 'source', index: 0 }], [['S', 7]]);
    const dec = node(
      'dec',
      L('lstm', { units: 16, returnSequences: true }),
      [{ node: 'target', index: 0 }],
      [['T', 9]],
      {
        initialState: [
          { node: 'enc', index: 1 },
          { node: 'enc', index: 2 },
        ],
      },
    );
    const out = node(
      'out',
      L('timeDistributed', {}, L('dense', { units: 9, activation: 'softmax', name: 'proj' })),
      [{ node: 'dec', index: 0 }],
      [['T', 16]],
    );
    const m = model(
      'functional',
      [inp('source', ['S', 7]), inp('target', ['T', 9])],
      [enc, dec, out],
      [{ node: 'out', index: 0 }],
    );
    const spec = toTfModelSpec(m);
    expect(spec.kind).toBe('functional');
    expect(spec.inputs).toEqual([
      { name: 'source', shape: [null, 7] },
      { name: 'target', shape: [null, 9] },
    ]);
    for (const n of spec.nodes) expect(n.spec.config).not.toHaveProperty('inputShape');
    expect(spec.nodes[0]).toMatchObject({ name: 'enc', outputCount: 3, inputs: [{ node: 'source', index: 0 }] });
    expect(spec.nodes[0]!.initialState).toBeUndefined();
    expect(spec.nodes[1]!.initialState).toEqual([
      { node: 'enc', index: 1 },
      { node: 'enc', index: 2 },
    ]);
    expect(spec.nodes[1]!.spec.config).not.toHaveProperty('initialState');
    expect(spec.nodes[2]!.spec.config.name).toBe('out');
    expect(spec.nodes[2]!.spec.inner!.config.name).toBe('proj');
    expect(spec.outputs).toEqual([{ node: 'out', index: 0 }]);
  });

  it('resolves a reshape -1 when the output shape is known', () => {
    const n1 = node('reshape_1', L('reshape', { targetShape: [-1, 4] }), [{ node: 'x', index: 0 }], [[12]]);
    const spec = toTfModelSpec(model('sequential', [inp('x', [12])], [n1], [{ node: n1.name, index: 0 }]));
    expect(spec.nodes[0]!.spec.config.targetShape).toEqual([3, 4]);
    const n2 = node('reshape_2', L('reshape', { targetShape: [-1, 4] }), [{ node: 'x', index: 0 }], [['T', 4]]);
    const spec2 = toTfModelSpec(model('sequential', [inp('x', ['T', 4])], [n2], [{ node: n2.name, index: 0 }]));
    expect(spec2.nodes[0]!.spec.config.targetShape).toEqual([-1, 4]);
  });
});
