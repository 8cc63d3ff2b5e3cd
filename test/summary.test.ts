import { describe, expect, it } from 'vitest';
import type { Span } from '../grammar/ast.js';
import type { IRModel, IRNode, IRTrain, Shape, ValueRef } from '../compiler/ir.js';
import { formatCount, renderSummaryTable, summarize, summaryGraph, type SummaryReport } from '../compiler/summary.js';
import { getLayer, LAYERS } from '../compiler/layers/table.js';

const span: Span = { file: 'm.lstm', line: 1, column: 1, endLine: 1, endColumn: 2 };
const train: IRTrain = {
  loss: 'categoricalCrossentropy',
  optimizer: { name: 'adam', args: {} },
  metrics: ['accuracy'],
  epochs: 1,
  batchSize: 1,
  validationSplit: 0,
  shuffle: true,
  spans: {},
};

function node(
  name: string,
  type: string,
  inputs: ValueRef[],
  inputShapes: Shape[],
  outputShapes: Shape[],
  trainable: number,
  nonTrainable = 0,
  extra: Partial<IRNode> = {},
): IRNode {
  return {
    name,
    type,
    args: {},
    argSpans: {},
    argParams: {},
    span,
    inputs,
    inputShapes,
    outputShapes,
    params: { trainable, nonTrainable },
    ...extra,
  };
}

function model(
  name: string,
  kind: IRModel['kind'],
  inputs: IRModel['inputs'],
  nodes: IRNode[],
  outputs: ValueRef[],
  outputShapes: Shape[],
): IRModel {
  return { name, file: 'm.lstm', span, kind, params: {}, inputs, nodes, outputs, outputShapes, train };
}

const vanilla = model(
  'VanillaEcho',
  'sequential',
  [{ name: 'x', shape: [5, 10], dimParams: [], span }],
  [
    node('lstm_1', 'lstm', [{ node: 'x', index: 0 }], [[5, 10]], [[25]], 3600),
    node('dense_1', 'dense', [{ node: 'lstm_1', index: 0 }], [[25]], [[10]], 260),
  ],
  [{ node: 'dense_1', index: 0 }],
  [[10]],
);

const encDec = model(
  'AdditionSeq2Seq',
  'sequential',
  [{ name: 'x', shape: [8, 12], dimParams: [], span }],
  [
    node('lstm_1', 'lstm', [{ node: 'x', index: 0 }], [[8, 12]], [[75]], 26400),
    node('repeat_vector_1', 'repeatVector', [{ node: 'lstm_1', index: 0 }], [[75]], [[2, 75]], 0),
    node('lstm_2', 'lstm', [{ node: 'repeat_vector_1', index: 0 }], [[2, 75]], [[2, 50]], 25200),
    node('time_distributed_1', 'timeDistributed', [{ node: 'lstm_2', index: 0 }], [[2, 50]], [[2, 12]], 612),
  ],
  [{ node: 'time_distributed_1', index: 0 }],
  [[2, 12]],
);

const translate = model(
  'Translate',
  'functional',
  [
    { name: 'source', shape: ['S', 71], dimParams: [], span },
    { name: 'target', shape: ['T', 93], dimParams: [], span },
  ],
  [
    node('lstm_1', 'lstm', [{ node: 'source', index: 0 }], [['S', 71]], [[256], [256], [256]], 335872),
    node('lstm_2', 'lstm', [{ node: 'target', index: 0 }], [['T', 93]], [['T', 256]], 358400, 0, {
      initialState: [
        { node: 'lstm_1', index: 1 },
        { node: 'lstm_1', index: 2 },
      ],
    }),
    node('dense_1', 'dense', [{ node: 'lstm_2', index: 0 }], [['T', 256]], [['T', 93]], 23901),
    node(
      'batch_normalization_1',
      'batchNormalization',
      [{ node: 'dense_1', index: 0 }],
      [['T', 93]],
      [[null, 93]],
      186,
      186,
    ),
  ],
  [{ node: 'batch_normalization_1', index: 0 }],
  [[null, 93]],
);

describe('summarize', () => {
  it('produces exactly the contract JSON for a sequential model', () => {
    const report: SummaryReport = { models: [summarize(vanilla)] };
    expect(JSON.parse(JSON.stringify(report))).toEqual({
      models: [
        {
          name: 'VanillaEcho',
          inputs: [{ name: 'x', shape: [null, 5, 10] }],
          layers: [
            { name: 'lstm_1', type: 'LSTM', outputShape: [null, 25], params: 3600 },
            { name: 'dense_1', type: 'Dense', outputShape: [null, 10], params: 260 },
          ],
          outputs: [{ shape: [null, 10] }],
          totalParams: 3860,
          trainableParams: 3860,
          nonTrainableParams: 0,
        },
      ],
    });
    expect(Object.keys(summarize(vanilla))).toEqual([
      'name',
      'inputs',
      'layers',
      'outputs',
      'totalParams',
      'trainableParams',
      'nonTrainableParams',
    ]);
  });

  it('counts the encoder-decoder reference model', () => {
    const s = summarize(encDec);
    expect(s.totalParams).toBe(52212);
    expect(s.layers.map((l) => l.type)).toEqual(['LSTM', 'RepeatVector', 'LSTM', 'TimeDistributed']);
    expect(s.layers[3]!.outputShape).toEqual([null, 2, 12]);
  });

  it('keeps symbolic and unknown dims, lists several outputs, splits non-trainable params', () => {
    const s = summarize(translate);
    expect(s.inputs).toEqual([
      { name: 'source', shape: [null, 'S', 71] },
      { name: 'target', shape: [null, 'T', 93] },
    ]);
    expect(s.layers[0]!.outputShape).toEqual([
      [null, 256],
      [null, 256],
      [null, 256],
    ]);
    expect(s.layers[1]!.outputShape).toEqual([null, 'T', 256]);
    expect(s.layers[3]).toEqual({
      name: 'batch_normalization_1',
      type: 'BatchNormalization',
      outputShape: [null, null, 93],
      params: 372,
    });
    expect(s.outputs).toEqual([{ shape: [null, null, 93] }]);
    expect(s.trainableParams).toBe(335872 + 358400 + 23901 + 186);
    expect(s.nonTrainableParams).toBe(186);
    expect(s.totalParams).toBe(s.trainableParams + s.nonTrainableParams);
  });

  it('uses the layer table class name when given one', () => {
    const s = summarize(vanilla, { className: (t) => (t === 'lstm' ? 'LSTMFromTable' : undefined) });
    expect(s.layers.map((l) => l.type)).toEqual(['LSTMFromTable', 'Dense']);
  });

  it('takes class names from the layer table', () => {
    for (const def of LAYERS.values())
      expect(summarize(vanilla, { className: (t) => (t === 'lstm' ? def.className : undefined) }).layers[0]!.type).toBe(
        def.className,
      );
    expect(summarize(vanilla).layers.map((l) => l.type)).toEqual([
      getLayer('lstm')!.className,
      getLayer('dense')!.className,
    ]);
  });

  it('takes output shapes from the output refs when the model has none recorded', () => {
    const s = summarize({ ...vanilla, outputShapes: [] });
    expect(s.outputs).toEqual([{ shape: [null, 10] }]);
  });
});

describe('renderSummaryTable', () => {
  it('renders a Keras-style table', () => {
    const table = renderSummaryTable(summarize(vanilla));
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toBe('Model: "VanillaEcho"');
    expect(lines[1]).toMatch(/^_+$/);
    expect(lines[2]).toMatch(/^ Layer \(type\)\s{3,}Output Shape\s{3,}Param #$/);
    expect(lines[3]).toMatch(/^=+$/);
    expect(lines[4]).toMatch(/^ lstm_1 \(LSTM\)\s{3,}\(batch, 25\)\s{3,}3,600$/);
    expect(lines[5]).toMatch(/^_+$/);
    expect(lines[6]).toMatch(/^ dense_1 \(Dense\)\s{3,}\(batch, 10\)\s{3,}260$/);
    expect(lines[7]).toMatch(/^=+$/);
    expect(lines.slice(8)).toEqual([
      'Total params: 3,860',
      'Trainable params: 3,860',
      'Non-trainable params: 0',
      lines[1],
    ]);
    // columns line up
    const col = (s: string, word: string) => s.indexOf(word);
    expect(col(lines[4]!, '(batch')).toBe(col(lines[2]!, 'Output Shape'));
    expect(col(lines[6]!, '(batch')).toBe(col(lines[2]!, 'Output Shape'));
    expect(col(lines[4]!, '3,600')).toBe(col(lines[2]!, 'Param #'));
    // rule lines span the table
    for (const l of lines.slice(2, 7)) expect(l.length).toBeLessThanOrEqual(lines[1]!.length);
  });

  it('adds InputLayer rows and a Connected to column for functional models', () => {
    const table = renderSummaryTable(summarize(translate), summaryGraph(translate));
    expect(table).toMatch(/ Layer \(type\)\s+Output Shape\s+Param #\s+Connected to\n/);
    expect(table).toMatch(/ source \(InputLayer\)\s+\(batch, S, 71\)\s+0\n/);
    expect(table).toMatch(
      / lstm_1 \(LSTM\)\s+\[\(batch, 256\), \(batch, 256\), \(batch, 256\)\]\s+335,872\s+source\[0\]\[0\]\n/,
    );
    expect(table).toMatch(
      / lstm_2 \(LSTM\)\s+\(batch, T, 256\)\s+358,400\s+target\[0\]\[0\]\n\s+lstm_1\[0\]\[1\]\n\s+lstm_1\[0\]\[2\]\n/,
    );
    expect(table).toMatch(/\(batch, \?, 93\)/);
    expect(table).toContain('Non-trainable params: 186');
    expect(summaryGraph(vanilla)).toBeUndefined();
  });

  it('formats counts with thousands separators', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(3860)).toBe('3,860');
    expect(formatCount(1234567)).toBe('1,234,567');
  });
});
