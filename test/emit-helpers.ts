/**
 * Shared helpers for the emitter tests: hand-built IR (filled from the layer table like the checker
 * does), the TfModelSpec for it (production's `toTfModelSpec`), and the reference specs under specs/.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Span } from '../grammar/ast.js';
import type { ArgValue, IRInput, IRLayer, IRModel, IRNode, IRTrain, Shape, ValueRef } from '../compiler/ir.js';
import { getLayer } from '../compiler/layers/table.js';
import { toTfModelSpec } from '../compiler/tfspec.js';
import type { EmitInput } from '../emit/typescript.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const GOLDEN_DIR = path.join(ROOT, 'test', 'golden', 'emit');
export const SPECS_DIR = path.join(ROOT, 'specs');

/** A fresh directory inside the project (so that node_modules resolves for tsc and imports). */
export function projectTempDir(prefix: string): string {
  const base = path.join(ROOT, 'test', '.tmp');
  mkdirSync(base, { recursive: true });
  return mkdtempSync(path.join(base, `${prefix}-`));
}

export function span(file = 'hand.lstm', line = 1, column = 1): Span {
  return { file, line, column, endLine: line, endColumn: column + 1 };
}

export interface LayerOpts {
  name?: string;
  inputs?: ValueRef[];
  initialState?: ValueRef[];
  argParams?: Record<string, string>;
}

/** An IR layer: the table's defaults plus the given args. */
export function irLayer(
  type: string,
  given: Record<string, ArgValue> = {},
  argParams: Record<string, string> = {},
): IRLayer {
  const def = getLayer(type);
  if (def === undefined) throw new Error(`no layer ${type}`);
  const args: Record<string, ArgValue> = {};
  for (const [name, spec] of Object.entries(def.args)) {
    if (spec.default !== undefined) args[name] = spec.default;
  }
  Object.assign(args, given);
  const layer: IRLayer = { type, args, argSpans: {}, argParams, span: span() };
  const inner = given['layer'];
  if (inner !== undefined && inner !== null && typeof inner === 'object' && !Array.isArray(inner))
    layer.inner = inner as IRLayer;
  return layer;
}

export function irNode(
  layer: IRLayer,
  name: string,
  inputs: ValueRef[],
  outputShapes: Shape[] = [[null]],
  initialState?: ValueRef[],
): IRNode {
  const node: IRNode = {
    ...layer,
    name,
    inputs,
    inputShapes: [],
    outputShapes,
    params: { trainable: 0, nonTrainable: 0 },
  };
  if (initialState !== undefined) node.initialState = initialState;
  return node;
}

export function train(overrides: Partial<IRTrain> = {}): IRTrain {
  return {
    loss: 'categoricalCrossentropy',
    optimizer: { name: 'adam', args: {} },
    metrics: ['accuracy'],
    epochs: 10,
    batchSize: 32,
    validationSplit: 0,
    shuffle: true,
    spans: {},
    ...overrides,
  };
}

export function irInput(name: string, shape: Shape, dimParams: (string | undefined)[] = []): IRInput {
  return { name, shape, dimParams, span: span() };
}

/** A sequential chain from one input. */
export function chainModel(
  name: string,
  input: IRInput,
  layers: IRLayer[],
  opts: { params?: IRModel['params']; train?: IRTrain; file?: string } = {},
): IRModel {
  const counters = new Map<string, number>();
  const nodes: IRNode[] = [];
  let prev: ValueRef = { node: input.name, index: 0 };
  for (const l of layers) {
    const n = (counters.get(l.type) ?? 0) + 1;
    counters.set(l.type, n);
    const given = l.args['name'];
    const nodeName = typeof given === 'string' ? given : `${l.type}_${n}`;
    nodes.push(irNode(l, nodeName, [prev]));
    prev = { node: nodeName, index: 0 };
  }
  return {
    name,
    file: opts.file ?? 'hand.lstm',
    span: span(opts.file ?? 'hand.lstm', 1, 7),
    kind: 'sequential',
    params: opts.params ?? {},
    inputs: [input],
    nodes,
    outputs: [prev],
    outputShapes: [[null]],
    train: opts.train ?? train(),
  };
}

/** The TfModelSpec of a model: production's own lowering (compiler/tfspec.ts), never a test copy. */
export const tfSpecOf = toTfModelSpec;

// ---------------------------------------------------------------------------------------------
// Hand-built reference models (graph form, params, clipping: cases the specs alone do not cover)

export function handModels(): IRModel[] {
  const vanilla = chainModel(
    'VanillaEcho',
    irInput('x', [5, 10]),
    [irLayer('lstm', { units: 25 }, { units: 'units' }), irLayer('dense', { units: 10, activation: 'softmax' })],
    {
      params: { units: 25 },
      train: train({ epochs: 500, batchSize: 1, optimizer: { name: 'adam', args: { learningRate: 0.001 } } }),
    },
  );
  const encdec = chainModel(
    'AdditionSeq2Seq',
    irInput('x', ['T', 12], [undefined, undefined]),
    [
      irLayer('lstm', { units: 75 }),
      irLayer('repeatVector', { n: 2 }),
      irLayer('lstm', { units: 50, returnSequences: true }),
      irLayer('timeDistributed', { layer: irLayer('dense', { units: 12, activation: 'softmax' }) }),
    ],
    {
      train: train({
        clipNorm: 1,
        clipValue: 0.5,
        optimizer: { name: 'rmsprop', args: { learningRate: 0.01, momentum: 0.1 } },
      }),
    },
  );
  const bidi = chainModel(
    'CumSum',
    irInput('x', ['steps', 1], ['steps', undefined]),
    [
      irLayer('bidirectional', { layer: irLayer('lstm', { units: 50, returnSequences: true }), mergeMode: 'concat' }),
      irLayer('timeDistributed', { layer: irLayer('dense', { units: 1, activation: 'sigmoid' }) }),
    ],
    { params: { steps: 10 }, train: train({ loss: 'binaryCrossentropy' }) },
  );
  bidi.inputs[0]!.shape = [10, 1];

  // Graph: encoder states feed the decoder.
  const enc = irNode(
    irLayer('lstm', { units: 16, returnState: true }),
    'encoder',
    [{ node: 'source', index: 0 }],
    [[16], [16], [16]],
  );
  const dec = irNode(
    irLayer('lstm', { units: 16, returnSequences: true }),
    'decoder',
    [{ node: 'target', index: 0 }],
    [[null, 16]],
    [
      { node: 'encoder', index: 1 },
      { node: 'encoder', index: 2 },
    ],
  );
  const out = irNode(irLayer('dense', { units: 9, activation: 'softmax' }), 'dense_1', [{ node: 'decoder', index: 0 }]);
  const translate: IRModel = {
    name: 'Translate',
    file: 'hand.lstm',
    span: span('hand.lstm', 1, 7),
    kind: 'functional',
    params: {},
    inputs: [irInput('source', ['S', 7]), irInput('target', ['T', 9])],
    nodes: [enc, dec, out],
    outputs: [{ node: 'dense_1', index: 0 }],
    outputShapes: [[null, 9]],
    train: train({ optimizer: { name: 'sgd', args: {} }, metrics: [] }),
  };
  // Stateful layers with a declared batch (`input x: [1, 3] batch B`): batchInputShape, a batchSize export.
  const streamInput = irInput('x', [1, 3]);
  streamInput.batch = 4;
  streamInput.batchParam = 'B';
  const stream = chainModel(
    'StatefulStream',
    streamInput,
    [irLayer('lstm', { units: 8, stateful: true }), irLayer('dense', { units: 3 })],
    { params: { B: 4 }, train: train({ loss: 'meanSquaredError', metrics: [], batchSize: 4, shuffle: false }) },
  );
  // Graph form: tf.input({ batchShape }) and a stateful GRU inside bidirectional.
  const pairInputs = [irInput('a', [5, 2]), irInput('b', [5, 2])];
  for (const i of pairInputs) i.batch = 2;
  const both = irNode(
    irLayer('concatenate', { axis: -1 }),
    'both',
    [
      { node: 'a', index: 0 },
      { node: 'b', index: 0 },
    ],
    [[5, 4]],
  );
  const bi = irNode(
    irLayer('bidirectional', { layer: irLayer('gru', { units: 4, stateful: true }), mergeMode: 'sum' }),
    'bi',
    [{ node: 'both', index: 0 }],
    [[4]],
  );
  const pair: IRModel = {
    name: 'StatefulPair',
    file: 'hand.lstm',
    span: span('hand.lstm', 1, 7),
    kind: 'functional',
    params: {},
    inputs: pairInputs,
    nodes: [both, bi],
    outputs: [{ node: 'bi', index: 0 }],
    outputShapes: [[4]],
    train: train({ loss: 'meanSquaredError', metrics: [], batchSize: 2, shuffle: false }),
  };
  // Attention layers (lstmc's own classes): self-attention with its scores as a second output, additive attention.
  const mha = irNode(
    irLayer('multiHeadAttention', { numHeads: 2, keyDim: 4, returnAttentionScores: true, useCausalMask: true }),
    'mha',
    [
      { node: 'seq', index: 0 },
      { node: 'seq', index: 0 },
    ],
    [
      [6, 8],
      [2, 6, 6],
    ],
  );
  const additive = irNode(
    irLayer('additiveAttention', {}),
    'additive',
    [
      { node: 'mha', index: 0 },
      { node: 'seq', index: 0 },
    ],
    [[6, 8]],
  );
  const heads: IRModel = {
    name: 'AttentionHeads',
    file: 'hand.lstm',
    span: span('hand.lstm', 1, 7),
    kind: 'functional',
    params: {},
    inputs: [irInput('seq', [6, 8])],
    nodes: [mha, additive],
    outputs: [
      { node: 'additive', index: 0 },
      { node: 'mha', index: 1 },
    ],
    outputShapes: [
      [6, 8],
      [2, 6, 6],
    ],
    train: train({ loss: 'meanSquaredError', metrics: [] }),
  };
  return [vanilla, encdec, bidi, translate, stream, pair, heads];
}

export function handInputs(): EmitInput[] {
  return handModels().map((model) => ({
    model,
    tfSpec: tfSpecOf(model),
    options: { sourcePath: '../hand.lstm', source: `hand:${model.name}`, version: '0.1.0' },
  }));
}

// ---------------------------------------------------------------------------------------------
// Real specs

export interface SpecCase {
  file: string;
  source: string;
}

/** The reference specs (both spellings); throws when specs/ is missing or holds none. */
export function specFiles(): SpecCase[] {
  const specs = readdirSync(SPECS_DIR)
    .filter((f) => /\.(lstm|ya?ml)$/i.test(f))
    .sort()
    .map((f) => ({ file: `specs/${f}`, source: readFileSync(path.join(SPECS_DIR, f), 'utf8') }));
  if (specs.length === 0) throw new Error(`no specs in ${SPECS_DIR}`);
  return specs;
}

// ---------------------------------------------------------------------------------------------
// Hostile names (safe printing)

export const EVIL = [
  "it's",
  'say "hi"',
  'back`tick',
  '${process.exit(1)}',
  '`${globalThis.x = 1}`',
  "'); process.exit(1); ('",
  'line\nbreak',
  'cr\rlf',
  'ls\u2028ps\u2029end',
  'tab\tnul\u0000',
  'ünïcödé 名前 😀',
  'rtl\u202Eevil',
  '*/ /* \\',
  'class',
  'await',
  '__proto__',
];

/** A model whose layer names, input name, param names and a string arg are all hostile. */
export function evilModel(): IRModel {
  const layers = EVIL.map((name) => irLayer('dense', { units: 3, name }));
  const params: IRModel['params'] = {};
  EVIL.forEach((name, i) => (params[name] = i));
  params['units'] = 3;
  // Param provenance on a hostile param name: printed as p['...'].
  layers[0]!.argParams = { units: EVIL[5]! };
  params[EVIL[5]!] = 3;
  const model = chainModel('EvilNames', irInput('in put`${x}\n', [4]), layers, { params });
  model.train = train({ loss: 'meanSquaredError', metrics: ['mse'] });
  return model;
}

export function graphWithNames(names: string[]): IRModel {
  const base = chainModel(
    'Names',
    irInput('x', [3]),
    names.map((name) => irLayer('dense', { units: 2, name })),
  );
  return { ...base, kind: 'functional' };
}
