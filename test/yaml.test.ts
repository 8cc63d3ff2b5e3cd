import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { growth, GROWTH_BOUND, TIMED } from './helpers/growth.js';
import fc from 'fast-check';
import { MAX_YAML_DEPTH, parseYaml, yamlLayerItem } from '../grammar/yaml.js';
import { LAYER_SYNTAX } from '../compiler/layers/table.js';
import { parseLstm } from '../grammar/lstm.js';
import type { Diagnostic } from '../base/diagnostics.js';

// ---------------------------------------------------------------- helpers

const SPAN_KEYS = new Set(['span', 'nameSpan', 'keySpan', 'fromSpan', 'trainSpan', 'dataSpan']);
/** The AST without spans (both front ends must agree on this). */
function strip<T>(x: T): unknown {
  return JSON.parse(JSON.stringify(x, (k, v: unknown) => (SPAN_KEYS.has(k) ? undefined : v)));
}

const int = (value: number, raw = String(value)) => ({ kind: 'int', value, raw });
const float = (value: number, raw: string) => ({ kind: 'float', value, raw });
const id = (name: string, dollar = false) => ({ kind: 'ident', name, dollar });
const str = (value: string) => ({ kind: 'string', value });
const bool = (value: boolean) => ({ kind: 'bool', value });
const unk = { kind: 'unknown' };
const list = (...items: unknown[]) => ({ kind: 'list', items });
type A = { value: unknown; name?: string };
const pos = (value: unknown): A => ({ value });
const named = (name: string, value: unknown): A => ({ name, value });
const call = (name: string, ...args: A[]) => ({ name, args });
const cv = (c: ReturnType<typeof call>) => ({ kind: 'call', call: c });
const layer = (name: string, ...args: A[]) => ({ kind: 'layer', call: call(name, ...args) });
const input = (name: string, ...dims: unknown[]) => ({ kind: 'input', name: { name }, shape: list(...dims) });
const param = (name: string, value: unknown) => ({ kind: 'param', name: { name }, value });
const block = (entries: Record<string, unknown>) => ({
  entries: Object.entries(entries).map(([key, value]) => ({ key, value })),
});
const bv = (entries: Record<string, unknown>) => ({ kind: 'block', block: block(entries) });
const model = (name: string, statements: unknown[], train?: Record<string, unknown>) =>
  train ? { name: { name }, statements, train: block(train) } : { name: { name }, statements };

function parse(src: string, file = 'm.yaml') {
  return parseYaml(src, file, LAYER_SYNTAX);
}
function ok(src: string) {
  const r = parse(src);
  expect(r.diagnostics).toEqual([]);
  return r;
}
/** A model without its `data` block (the data blocks of specs/ are another front's business and evolve). */
function withoutData(m: unknown): unknown {
  const { data: _data, ...rest } = strip(m) as Record<string, unknown>;
  return rest;
}
function models(src: string): unknown[] {
  return (strip(ok(src).spec) as { models: unknown[] }).models;
}
function specFile(name: string): string {
  return readFileSync(new URL(`../specs/${name}`, import.meta.url), 'utf8');
}
/** [code, line, column] of each diagnostic, sorted by position. */
function codes(src: string): Array<[string, number, number]> {
  return parse(src)
    .diagnostics.map((d): [string, number, number] => [d.code, d.line, d.column])
    .sort((a, b) => a[1] - b[1] || a[2] - b[2] || a[0].localeCompare(b[0]));
}
function only(src: string): Diagnostic {
  const ds = parse(src).diagnostics;
  expect(ds, JSON.stringify(ds)).toHaveLength(1);
  return ds[0]!;
}

const train = (
  loss: string,
  epochs: number,
  batchSize: number,
  optimizer: unknown = id('adam'),
  metrics = [id('accuracy')],
) => ({
  loss: id(loss),
  optimizer,
  metrics: list(...metrics),
  epochs: int(epochs),
  batchSize: int(batchSize),
});

// ---------------------------------------------------------------- the six reference architectures

describe('reference specs (specs/*.yaml)', () => {
  const expected: Record<string, unknown> = {
    'vanilla.yaml': model(
      'VanillaEcho',
      [
        input('x', int(5), int(10)),
        layer('lstm', pos(int(25))),
        layer('dense', named('units', int(10)), named('activation', id('softmax'))),
      ],
      train('categoricalCrossentropy', 500, 1),
    ),
    'stacked.yaml': model(
      'StackedSine',
      [
        input('x', int(50), int(1)),
        layer('lstm', named('units', int(20)), named('returnSequences', bool(true))),
        layer('lstm', pos(int(20))),
        layer('dense', pos(int(5))),
      ],
      train('mae', 100, 32, id('adam'), [id('mse')]),
    ),
    'cnn-lstm.yaml': model(
      'CnnMovingSquare',
      [
        input('frames', int(5), int(50), int(50), int(1)),
        layer(
          'timeDistributed',
          pos(
            cv(
              call(
                'conv2d',
                named('filters', int(2)),
                named('kernelSize', list(int(2), int(2))),
                named('activation', id('relu')),
              ),
            ),
          ),
        ),
        layer('timeDistributed', pos(cv(call('maxPooling2d', pos(list(int(2), int(2))))))),
        layer('timeDistributed', pos(cv(call('flatten')))),
        layer('lstm', pos(int(50))),
        layer('dense', named('units', int(1)), named('activation', id('sigmoid'))),
      ],
      train('binaryCrossentropy', 25, 32),
    ),
    'encoder-decoder.yaml': model(
      'AdditionSeq2Seq',
      [
        input('x', int(8), int(12)),
        layer('lstm', pos(int(75))),
        layer('repeatVector', pos(int(2))),
        layer('lstm', named('units', int(50)), named('returnSequences', bool(true))),
        layer('timeDistributed', pos(cv(call('dense', named('units', int(12)), named('activation', id('softmax')))))),
      ],
      train('categoricalCrossentropy', 100, 32),
    ),
    'bidirectional.yaml': model(
      'BidirectionalCumsum',
      [
        input('x', int(10), int(1)),
        layer(
          'bidirectional',
          pos(cv(call('lstm', named('units', int(50)), named('returnSequences', bool(true))))),
          named('mergeMode', id('concat')),
        ),
        layer('timeDistributed', pos(cv(call('dense', named('units', int(1)), named('activation', id('sigmoid')))))),
      ],
      train('binaryCrossentropy', 250, 10),
    ),
    'generative.yaml': model(
      'CharGenerator',
      [
        param('vocab', int(40)),
        param('window', int(10)),
        input('x', id('window', true), id('vocab', true)),
        layer('lstm', pos(int(128))),
        layer('dense', named('units', id('vocab', true)), named('activation', id('softmax'))),
      ],
      train('categoricalCrossentropy', 60, 128, cv(call('rmsprop', named('learningRate', float(0.01, '0.01'))))),
    ),
  };
  for (const [file, want] of Object.entries(expected)) {
    it(`${file} parses to the expected AST`, () => {
      const r = parseYaml(specFile(file), `specs/${file}`, LAYER_SYNTAX);
      expect(r.diagnostics).toEqual([]);
      expect(r.spec.format).toBe('yaml');
      expect(r.spec.file).toBe(`specs/${file}`);
      expect(r.spec.models).toHaveLength(1);
      expect(withoutData(r.spec.models[0])).toEqual(want);
    });
  }

  it('the YAML example of LANGUAGE.md section 3 parses', () => {
    const src = [
      'model: AdditionSeq2Seq',
      'inputs:',
      '  x: [8, 12]',
      'layers:                      # sequential chain, same as bare lines',
      '  - lstm: 75                 # scalar = main argument',
      '  - repeatVector: 2',
      '  - lstm: {units: 50, returnSequences: true}',
      '  - timeDistributed: {dense: {units: 12, activation: softmax}}',
      'train:',
      '  loss: categoricalCrossentropy',
      '  optimizer: adam',
      '  metrics: [accuracy]',
      '',
    ].join('\n');
    const [m] = models(src) as Array<{ statements: unknown[] }>;
    expect(m!.statements).toHaveLength(5);
  });
});

// ---------------------------------------------------------------- twin of the .lstm front end

describe('same AST as the .lstm front end', () => {
  const twins: Array<[string, string, string]> = [
    [
      'vanilla (named spelling)',
      specFile('vanilla.yaml'),
      `model VanillaEcho {
        input x: [5, 10]
        lstm(25)
        dense(units: 10, activation: softmax)
        train { loss: categoricalCrossentropy
          optimizer: adam
          metrics: [accuracy]
          epochs: 500
          batchSize: 1 }
      }`,
    ],
    [
      'wrappers',
      `model: W\ninputs: {x: [5, 50, 50, 1]}\nlayers:\n  - timeDistributed: {conv2d: {filters: 2, kernelSize: [2, 2]}}\n  - timeDistributed: {maxPooling2d: [2, 2]}\n  - timeDistributed: flatten\n  - bidirectional: {mergeMode: sum, layer: {lstm: 5}}\n`,
      `model W {
        input x: [5, 50, 50, 1]
        timeDistributed(conv2d(filters: 2, kernelSize: [2, 2]))
        timeDistributed(maxPooling2d([2, 2]))
        timeDistributed(flatten())
        bidirectional(lstm(5), mergeMode: sum)
      }`,
    ],
    [
      'params, dims and values',
      `model: P\nparams: {n: 3, rate: 1e-3, name: "x"}\ninputs: {x: [T, ?, $n]}\nlayers:\n  - embedding: [1000, 64]\n  - dropout: 0.5\n  - dense: {units: $n, useBias: false}\ntrain:\n  optimizer: {adam: {learningRate: 0.001}}\n  earlyStopping: {patience: 3}\n  validationSplit: 0.1\n`,
      `model P {
        param n = 3
        param rate = 1e-3
        param name = "x"
        input x: [T, ?, $n]
        embedding(1000, 64)
        dropout(0.5)
        dense(units: $n, useBias: false)
        train {
          optimizer: adam(learningRate: 0.001)
          earlyStopping { patience: 3 }
          validationSplit: 0.1
        }
      }`,
    ],
    [
      'graph form (Translate)',
      `model: Translate\ninputs:\n  source: [S, 71]\n  target: [T, 93]\ngraph:\n  - let: [_, h, c]\n    from: source\n    layers: [{lstm: {units: 256, returnState: true}}]\n  - let: decoded\n    shape: [T, 93]\n    from: target\n    layers:\n      - lstm: {units: 256, returnSequences: true, initialState: [h, c]}\n      - dense: {units: 93, activation: softmax}\noutputs: [decoded]\n`,
      `model Translate {
        input source: [S, 71]
        input target: [T, 93]
        let [_, h, c] = source -> lstm(units: 256, returnState: true)
        let decoded: [T, 93] = target
            -> lstm(units: 256, returnSequences: true, initialState: [h, c])
            -> dense(units: 93, activation: softmax)
        output decoded
      }`,
    ],
  ];
  for (const [name, yaml, lstm] of twins) {
    it(name, () => {
      const y = parseYaml(yaml, 'a.yaml', LAYER_SYNTAX);
      const l = parseLstm(lstm, 'a.lstm');
      expect(y.diagnostics).toEqual([]);
      expect(l.diagnostics).toEqual([]);
      expect(y.spec.models.map(withoutData)).toEqual(l.spec.models.map(withoutData));
    });
  }
});

// ---------------------------------------------------------------- graph form, documents, values

describe('graph form', () => {
  it('the Translate model', () => {
    const src = [
      'model: Translate',
      'inputs:',
      '  source: [S, 71]',
      '  target: [T, 93]',
      'graph:',
      '  - let: [_, h, c]',
      '    from: source',
      '    layers:',
      '      - lstm: {units: 256, returnState: true}',
      '  - let: decoded',
      '    shape: [T, 93]',
      '    from: target',
      '    layers:',
      '      - lstm: {units: 256, returnSequences: true, initialState: [h, c]}',
      '      - dense: {units: 93, activation: softmax}',
      'outputs: [decoded]',
      '',
    ].join('\n');
    const r = ok(src);
    expect(strip(r.spec.models[0])).toEqual(
      model('Translate', [
        input('source', id('S'), int(71)),
        input('target', id('T'), int(93)),
        {
          kind: 'let',
          targets: [{ name: '_' }, { name: 'h' }, { name: 'c' }],
          destructure: true,
          from: [{ name: 'source' }],
          fromIsList: false,
          chain: [call('lstm', named('units', int(256)), named('returnState', bool(true)))],
        },
        {
          kind: 'let',
          targets: [{ name: 'decoded' }],
          destructure: false,
          from: [{ name: 'target' }],
          fromIsList: false,
          chain: [
            call(
              'lstm',
              named('units', int(256)),
              named('returnSequences', bool(true)),
              named('initialState', list(id('h'), id('c'))),
            ),
            call('dense', named('units', int(93)), named('activation', id('softmax'))),
          ],
          annotation: list(id('T'), int(93)),
        },
        { kind: 'output', names: [{ name: 'decoded' }] },
      ]),
    );
    const let1 = r.spec.models[0]!.statements[2]!;
    expect(let1.kind).toBe('let');
    if (let1.kind === 'let') {
      expect(let1.span).toMatchObject({ line: 6, column: 5, endLine: 9, endColumn: 46 });
      expect(let1.fromSpan).toMatchObject({ line: 7, column: 11, endColumn: 17 });
      expect(let1.targets[1]!.span).toMatchObject({ line: 6, column: 14, endColumn: 15 });
    }
  });

  it('a list `from` feeds a multi-input layer', () => {
    const [m] = models(
      'model: M\ninputs: {a: [4], b: [4]}\ngraph:\n  - {let: both, from: [a, b], layers: [concatenate: {axis: -1}]}\noutputs: both\n',
    ) as Array<{
      statements: unknown[];
    }>;
    expect(m!.statements[2]).toEqual({
      kind: 'let',
      targets: [{ name: 'both' }],
      destructure: false,
      from: [{ name: 'a' }, { name: 'b' }],
      fromIsList: true,
      chain: [call('concatenate', named('axis', int(-1)))],
    });
    expect(m!.statements[3]).toEqual({ kind: 'output', names: [{ name: 'both' }] });
  });

  it('layers and graph keep their key order; params and inputs come first, outputs last', () => {
    const [m] = models(
      'outputs: [y]\ngraph:\n  - {let: y, from: x}\nlayers: [flatten]\ninputs: {x: [2]}\nparams: {p: 1}\nmodel: M\n',
    ) as Array<{
      statements: Array<{ kind: string }>;
    }>;
    expect(m!.statements.map((s) => s.kind)).toEqual(['param', 'input', 'let', 'layer', 'output']);
  });
});

describe('documents', () => {
  it('several models as several documents', () => {
    const src =
      'model: A\ninputs: {x: [1]}\nlayers: [dense: 1]\n---\n# comment\n---\nmodel: B\ninputs: {x: [2]}\nlayers: [dense: 2]\n...\n';
    const r = ok(src);
    expect(r.spec.models.map((m) => m.name.name)).toEqual(['A', 'B']);
    expect(r.spec.models[1]!.name.span).toMatchObject({
      line: 7,
      column: 8,
      endLine: 7,
      endColumn: 9,
      offset: 70,
      endOffset: 71,
    });
  });

  it('errors in a later document point into that document', () => {
    expect(codes('model: A\n---\nmodel: B\nlayerz: []\n')).toEqual([['LSTM1014', 4, 1]]);
  });

  it('the model span covers the document contents', () => {
    const r = ok('# head\nmodel: A\nlayers:\n  - lstm: 25   # trailing comment\n\n');
    expect(r.spec.models[0]!.span).toMatchObject({
      line: 2,
      column: 1,
      endLine: 4,
      endColumn: 13,
      offset: 7,
      endOffset: 36,
    });
    expect(r.spec.span).toMatchObject({ line: 1, column: 1, file: 'm.yaml' });
  });
});

describe('spans', () => {
  const src =
    'model: Echo\ninputs:\n  x: [5, 10]\nlayers:\n  - lstm: 25\n  - dense: {units: 10, activation: softmax}\ntrain:\n  optimizer: adam\n';
  const r = ok(src);
  const m = r.spec.models[0]!;
  it('names, inputs and dims', () => {
    expect(m.name.span).toEqual({
      file: 'm.yaml',
      line: 1,
      column: 8,
      endLine: 1,
      endColumn: 12,
      offset: 7,
      endOffset: 11,
    });
    const inp = m.statements[0]!;
    expect(inp.span).toMatchObject({ line: 3, column: 3, endLine: 3, endColumn: 13 });
    if (inp.kind !== 'input' || inp.shape.kind !== 'list') throw new Error('input');
    expect(inp.name.span).toMatchObject({ line: 3, column: 3, endColumn: 4 });
    expect(inp.shape.span).toMatchObject({ line: 3, column: 6, endColumn: 13 });
    expect(inp.shape.items[1]!.span).toMatchObject({ line: 3, column: 10, endColumn: 12 });
  });
  it('layers and arguments', () => {
    const l1 = m.statements[1]!;
    const l2 = m.statements[2]!;
    if (l1.kind !== 'layer' || l2.kind !== 'layer') throw new Error('layer');
    expect(l1.call.nameSpan).toMatchObject({ line: 5, column: 5, endColumn: 9 });
    expect(l1.call.args[0]!.span).toMatchObject({ line: 5, column: 11, endColumn: 13 });
    expect(l2.span).toMatchObject({ line: 6, column: 5, endColumn: 44 });
    const act = l2.call.args[1]!;
    expect(act.nameSpan).toMatchObject({ line: 6, column: 24, endColumn: 34 });
    expect(act.span).toMatchObject({ line: 6, column: 24, endColumn: 43 });
    expect(act.value.span).toMatchObject({ line: 6, column: 36, endColumn: 43 });
  });
  it('train block', () => {
    expect(m.trainSpan).toMatchObject({ line: 7, column: 1, endLine: 8, endColumn: 18 });
    expect(m.train!.span).toMatchObject({ line: 8, column: 3, endLine: 8, endColumn: 18 });
    expect(m.train!.entries[0]!.keySpan).toMatchObject({ line: 8, column: 3, endColumn: 12 });
  });
});

describe('values', () => {
  const argsOf = (item: string): unknown => {
    const [m] = models(`model: M\nlayers:\n  - ${item}\n`) as Array<{ statements: Array<{ call: unknown }> }>;
    return m!.statements[0]!.call;
  };
  it('layer items', () => {
    expect(argsOf('flatten')).toEqual(call('flatten'));
    expect(argsOf('flatten:')).toEqual(call('flatten'));
    expect(argsOf('flatten: null')).toEqual(call('flatten'));
    expect(argsOf('lstm: 75')).toEqual(call('lstm', pos(int(75))));
    expect(argsOf('lstm: {units: 50}')).toEqual(call('lstm', named('units', int(50))));
    expect(argsOf('reshape: [5, 2]')).toEqual(call('reshape', pos(list(int(5), int(2)))));
    expect(argsOf('embedding: [1000, 64]')).toEqual(call('embedding', pos(int(1000)), pos(int(64))));
    expect(argsOf('activation: relu')).toEqual(call('activation', pos(id('relu'))));
    expect(argsOf('timeDistributed: {dense: 12}')).toEqual(
      call('timeDistributed', pos(cv(call('dense', pos(int(12)))))),
    );
    expect(argsOf('bidirectional: lstm')).toEqual(call('bidirectional', pos(cv(call('lstm')))));
    expect(argsOf('bidirectional: {mergeMode: ave, layer: gru}')).toEqual(
      call('bidirectional', pos(cv(call('gru'))), named('mergeMode', id('ave'))),
    );
    expect(argsOf('bidirectional: {mergeMode: ave}')).toEqual(call('bidirectional', named('mergeMode', id('ave'))));
    expect(argsOf('timeDistributed: {bidirectional: {layer: {lstm: 4}}}')).toEqual(
      call('timeDistributed', pos(cv(call('bidirectional', pos(cv(call('lstm', pos(int(4))))))))),
    );
    expect(argsOf('dense: {units: 4, kernelInitializer: {glorotUniform: {seed: 1}}}')).toEqual(
      call(
        'dense',
        named('units', int(4)),
        named('kernelInitializer', cv(call('glorotUniform', named('seed', int(1))))),
      ),
    );
    expect(argsOf('"lstm": {"units": 3}')).toEqual(call('lstm', named('units', int(3))));
  });
  it('scalars', () => {
    expect(
      argsOf(
        'x: {a: 1e-3, b: 0.5, c: -2, d: 0x10, e: true, f: False, g: "quoted", h: \'relu\', i: plain text, j: $p, k: softmax, m: [], n: .5, o: [?]}',
      ),
    ).toEqual(
      call(
        'x',
        named('a', float(0.001, '1e-3')),
        named('b', float(0.5, '0.5')),
        named('c', int(-2)),
        named('d', int(16, '0x10')),
        named('e', bool(true)),
        named('f', bool(false)),
        named('g', str('quoted')),
        named('h', str('relu')),
        named('i', str('plain text')),
        named('j', id('p', true)),
        named('k', id('softmax')),
        named('m', list()),
        named('n', float(0.5, '.5')),
        named('o', list(unk)),
      ),
    );
  });
  it('dimensions: ints, ?, null, ~, symbols, $params', () => {
    const [m] = models(
      'model: M\ninputs:\n  x: [?, 10, ~, null, T, $w]\n  y: [5, ?]\n  z:\n    - ?\n    - 3\n',
    ) as Array<{ statements: unknown[] }>;
    expect(m!.statements).toEqual([
      input('x', unk, int(10), unk, unk, id('T'), id('w', true)),
      input('y', int(5), unk),
      input('z', unk, int(3)),
    ]);
  });
  it('the ? of a dimension has its own span', () => {
    const r = ok('model: M\ninputs: {x: [?, 4]}\n');
    const s = r.spec.models[0]!.statements[0]!;
    if (s.kind !== 'input' || s.shape.kind !== 'list') throw new Error('input');
    expect(s.shape.items[0]!.span).toMatchObject({ line: 2, column: 14, endColumn: 15 });
  });
  it('train and data blocks', () => {
    const [m] = models(
      'model: M\ntrain:\n  loss: mse\n  optimizer: {sgd: 0.1}\n  earlyStopping: {patience: 3, monitor: val_loss}\n  shuffle: true\ndata:\n  csv: {path: "data/x.csv", column: price}\n  scaling: {minMax: {}}\n  window: 10\n',
    ) as Array<{ train: unknown; data: unknown }>;
    expect(m!.train).toEqual(
      block({
        loss: id('mse'),
        optimizer: cv(call('sgd', pos(float(0.1, '0.1')))),
        earlyStopping: bv({ patience: int(3), monitor: id('val_loss') }),
        shuffle: bool(true),
      }),
    );
    expect(m!.data).toEqual(
      block({
        csv: bv({ path: str('data/x.csv'), column: id('price') }),
        scaling: cv(call('minMax')),
        window: int(10),
      }),
    );
  });
});

// ---------------------------------------------------------------- errors: exact code, line, column

describe('errors', () => {
  it('YAML syntax error (LSTM1010) at the error position', () => {
    const d = parse('model: A\nlayers: [lstm: 5\ntrain: {}\n').diagnostics;
    expect(d.length).toBeGreaterThan(0);
    expect(d.every((x) => x.code === 'LSTM1010')).toBe(true);
    expect(d[0]!.message).toMatch(/^YAML: /);
    expect([d[0]!.line, d[0]!.column]).toEqual([3, 1]);
  });
  it('tab indentation (LSTM1010) with a hint', () => {
    const d = only('model: A\nlayers:\n\t- lstm: 2\n');
    expect([d.code, d.line, d.column, d.endColumn]).toEqual(['LSTM1010', 3, 1, 2]);
    expect(d.hint).toMatch(/spaces/);
  });
  it('unterminated quoted string (LSTM1002) at the opening quote, without follow-on errors', () => {
    expect(codes('model: "A\n')).toEqual([['LSTM1002', 1, 8]]);
    expect(
      codes('model: A\ninputs: {x: [5, 10]}\nlayers:\n  - lstm: {units: 25, name: "enc}\n  - dense: 10\n'),
    ).toEqual([['LSTM1002', 4, 29]]);
  });
  it('duplicate key (LSTM1011) at the second key, at any depth', () => {
    const d = only('model: A\ninputs: {x: [1]}\nmodel: B\n');
    expect([d.code, d.line, d.column, d.endColumn]).toEqual(['LSTM1011', 3, 1, 6]);
    expect(d.message).toBe('Duplicate key "model".');
    expect(codes('model: A\nlayers:\n  - dense: {units: 1,\n      units: 2}\n')).toEqual([['LSTM1011', 4, 7]]);
    // First one wins in the AST.
    expect(strip(parse('model: A\nmodel: B\n').spec.models[0]!.name)).toEqual({ name: 'A' });
  });
  it('aliases and anchors (LSTM1012), never expanded, one per document', () => {
    expect(codes('model: A\ninputs:\n  x: &s [1, 2]\n  y: *s\n')).toEqual([['LSTM1012', 3, 6]]);
    expect(
      codes('model: A\ninputs: {x: &s [1, 2]}\n---\nmodel: B\ninputs: {y: *s}\n').filter((c) => c[0] === 'LSTM1012'),
    ).toEqual([
      ['LSTM1012', 2, 13],
      ['LSTM1012', 5, 13],
    ]);
    expect(codes('model: A\nlayers: [*nothing]\n')).toEqual([['LSTM1012', 2, 10]]);
  });
  it('a billion-laughs document is never expanded: LSTM1012 only, and a small AST', () => {
    // 9^15 (about 2e14) "lol"s if the aliases were expanded: an expanding parser would not return.
    const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i <= 15; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(',')}]`,
      );
    lines.push('model: Bomb', 'params: {p: *a15}', 'layers: [*a15]');
    const r = parse(lines.join('\n') + '\n');
    expect(new Set(r.diagnostics.map((d) => d.code))).toEqual(new Set(['LSTM1012', 'LSTM1014']));
    expect(r.diagnostics.filter((d) => d.code === 'LSTM1012').length).toBe(1);
    // A count instead of a clock: the AST holds the aliases as such, not their expansion.
    expect(JSON.stringify(r.spec).length).toBeLessThan(5_000);
  });
  it('empty file, comments only, empty documents (LSTM1005)', () => {
    for (const src of ['', '\n\n', '# nothing here\n', '---\n', '---\n...\n---\n']) {
      const d = only(src);
      expect([d.code, d.line, d.column]).toEqual(['LSTM1005', 1, 1]);
    }
  });
  it('binary input (LSTM1007) at the first NUL', () => {
    const d = only('model: A\nla\u0000\u0001\u0002yers');
    expect([d.code, d.line, d.column]).toEqual(['LSTM1007', 2, 3]);
    expect(d.message).toMatch(/NUL/);
    const c = only('\u0001\u0002\u0003\u0004\u0005ab');
    expect([c.code, c.line, c.column]).toEqual(['LSTM1007', 1, 1]);
    expect(c.message).toMatch(/control characters/);
  });
  it('numbers that are not representable (LSTM1006)', () => {
    const d = only('model: A\nlayers:\n  - dense: {units: 1e400}\n');
    expect([d.code, d.line, d.column, d.endColumn]).toEqual(['LSTM1006', 3, 20, 25]);
    expect(d.message).toContain('1e400');
    expect(codes('model: A\nparams: {a: .inf, b: .nan, c: 123456789012345678901, d: 1e-400}\n')).toEqual([
      ['LSTM1006', 2, 13],
      ['LSTM1006', 2, 22],
      ['LSTM1006', 2, 57],
    ]);
  });
  it('a big integer is a finite number, like in .lstm: the checker range-checks it (issue 7, bug 1)', () => {
    const lit = '123456789012345678901';
    const y = parse(`model: A\nparams: {c: ${lit}}\n`);
    const l = parseLstm(`model A { param c = ${lit} }`, 'a.lstm');
    expect(y.diagnostics).toEqual([]);
    expect(l.diagnostics).toEqual([]);
    expect(strip(y.spec.models[0]!.statements)).toEqual(strip(l.spec.models[0]!.statements));
    expect(strip(y.spec.models[0]!.statements[0])).toMatchObject({ value: int(Number(lit), lit) });
  });
  it(
    'very deep nesting (LSTM1004) without a stack overflow',
    () => {
      const cases = [
        '['.repeat(10_000),
        '['.repeat(10_000) + ']'.repeat(10_000),
        'model: A\nlayers: ' + '{a: '.repeat(10_000),
        '- '.repeat(10_000) + 'x\n',
        '['.repeat(100_000) + ']'.repeat(100_000),
      ];
      for (const src of cases) {
        const d = only(src);
        expect(d.code).toBe('LSTM1004');
        expect(d.message).toContain(String(MAX_YAML_DEPTH));
      }
      const d = only('model: A\ninputs:\n  x: ' + '['.repeat(100) + ']'.repeat(100) + '\n');
      expect([d.code, d.line, d.column]).toEqual(['LSTM1004', 3, 6 + MAX_YAML_DEPTH - 2]);
    },
    TIMED,
  );
  it.each([
    ['[ x n', (n: number) => '['.repeat(n), 3_000],
    ['balanced brackets', (n: number) => '['.repeat(n) + ']'.repeat(n), 2_000],
    ['{a: x n', (n: number) => 'model: A\nlayers: ' + '{a: '.repeat(n), 1_000],
    ['- x n', (n: number) => '- '.repeat(n) + 'x\n', 3_000],
  ])(
    'very deep nesting costs linear time: %s',
    (_name, make, n) => {
      // No absolute limit (one failed at 7,953 ms against 5,000 under load): n against 10n, same run.
      const g = growth(make, (src) => parse(src), n);
      expect(g, `time(10n) / time(n) = ${g.toFixed(1)}`).toBeLessThan(GROWTH_BOUND);
    },
    TIMED,
  );
  it('nesting within the limit is fine', () => {
    expect(codes('model: A\nparams:\n  x: ' + '['.repeat(40) + ']'.repeat(40) + '\n')).toEqual([]);
  });
  it('a document that is a scalar or a list (LSTM1013)', () => {
    let d = only('hello\n');
    expect([d.code, d.line, d.column]).toEqual(['LSTM1013', 1, 1]);
    expect(d.message).toMatch(/scalar/);
    d = only('model: A\n---\n- lstm: 3\n- dense: 1\n');
    expect([d.code, d.line, d.column]).toEqual(['LSTM1013', 3, 1]);
    expect(d.message).toMatch(/list/);
  });
  it('unknown keys (LSTM1014) with did-you-mean', () => {
    let d = only('model: A\ninput:\n  x: [1]\n');
    expect([d.code, d.line, d.column, d.endColumn]).toEqual(['LSTM1014', 2, 1, 6]);
    expect(d.message).toBe('Unknown key "input" in a model.');
    expect(d.hint).toBe('Did you mean "inputs"?');
    d = only('model: A\ngraph:\n  - {let: a, form: x}\n');
    expect(d.code).toBe('LSTM1014');
    expect([d.line, d.column]).toEqual([3, 14]);
    expect(d.hint).toBe('Did you mean "from"?');
    // A misspelt required key gets the hint only, not also "missing model".
    d = only('modle: A\ninputs: {x: [1]}\n');
    expect([d.code, d.line, d.column, d.hint]).toEqual(['LSTM1014', 1, 1, 'Did you mean "model"?']);
    d = only('model: A\nbanana: 1\n');
    expect(d.hint).toBeUndefined();
  });
  it('structure errors (LSTM1013), located', () => {
    const cases: Array<[string, number, number, RegExp]> = [
      ['model: A\nlayers: 5\n', 2, 9, /`layers` must be a list/],
      ['model: A\nlayers: {lstm: 5}\n', 2, 9, /`layers` must be a list/],
      ['model: A\nlayers:\n  - lstm:\n    units: 5\n', 3, 5, /exactly one key/],
      ['model: A\nlayers:\n  - {}\n', 3, 5, /empty mapping/],
      ['model: A\nlayers:\n  - 42\n', 3, 5, /A layer item/],
      ['model: A\nlayers:\n  - [lstm, 5]\n', 3, 5, /A layer item/],
      ['inputs: {x: [1]}\n', 1, 1, /no `model:` key/],
      ['model: [A]\n', 1, 8, /model's name/],
      ['model: A\ninputs: [1, 2]\n', 2, 9, /`inputs` must be a mapping/],
      ['model: A\ninputs:\n  x: 5\n', 3, 6, /shape of input "x"/],
      ['model: A\nparams: 3\n', 2, 9, /`params` must be a mapping/],
      ['model: A\ntrain: [loss]\n', 2, 8, /`train` must be a mapping/],
      ['model: A\ndata: csv\n', 2, 7, /`data` must be a mapping/],
      ['model: A\ntrain:\n  loss:\n', 3, 3, /"loss" has no value/],
      ['model: A\nlayers: [dense: {units: }]\n', 2, 18, /"units" has no value/],
      ['model: A\ngraph: x\n', 2, 8, /`graph` must be a list/],
      ['model: A\ngraph: [5]\n', 2, 9, /graph step must be a mapping/],
      ['model: A\ngraph:\n  - {let: a, layers: [lstm: 1]}\n', 3, 5, /needs `from:`/],
      ['model: A\ngraph:\n  - {let: {a: 1}, from: x}\n', 3, 11, /`let` must be a name/],
      ['model: A\ngraph:\n  - {let: a, from: x, shape: 5}\n', 3, 30, /`shape` must be a list/],
      ['model: A\noutputs: [a, [b]]\n', 2, 14, /`outputs` must be a name/],
      ['model: A\nlayers:\n  - bidirectional: {lstm: 5, mergeMode: sum}\n', 3, 20, /under `layer:`/],
      ['model: A\nlayers:\n  - bidirectional: {layer: 5}\n', 3, 28, /`layer` must be one layer/],
      ['model: A\nlayers:\n  - dense: !!int 5\n', 3, 12, /tags \(!!int\)/],
      ['model: A\nlayers:\n  - dense: {[a]: 1}\n', 3, 13, /key must be a name/],
      ['model: A\nparams: {1: 2}\n', 2, 10, /key must be a name/],
    ];
    for (const [src, line, column, msg] of cases) {
      const d = only(src);
      expect([d.code, d.line, d.column], src).toEqual(['LSTM1013', line, column]);
      expect(d.message, src).toMatch(msg);
    }
  });
  it('structure diagnostics are not piled onto YAML syntax errors', () => {
    const ds = parse('model: A\nlayers:\n\t- lstm: 2\n  - x: 1\n    y: 2\n').diagnostics;
    expect(ds.length).toBeGreaterThan(0);
    expect(ds.every((d) => d.code === 'LSTM1010')).toBe(true);
  });
  it('every diagnostic has a 1-based position, file and end', () => {
    for (const d of parse('model: A\nlayers: 5\nbad: 1\nx: &a 1\n', 'dir/f.yaml').diagnostics) {
      expect(d.file).toBe('dir/f.yaml');
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.column).toBeGreaterThanOrEqual(1);
      expect(d.endLine * 1e6 + d.endColumn).toBeGreaterThanOrEqual(d.line * 1e6 + d.column);
    }
  });
  it('handles CRLF line endings and a BOM', () => {
    const r = parse('\uFEFFmodel: A\r\ninputs:\r\n  x: [1]\r\nlayerz: []\r\n');
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['LSTM1014', 4, 1]]);
    expect(r.spec.models[0]!.name.name).toBe('A');
  });
});

// ---------------------------------------------------------------- never throws

describe('Python / Keras / .lstm habits get a hint in YAML spelling (issue 7, bug 9)', () => {
  /** The table's main-argument names, as the layer table can supply them (LayerHintSyntax). */
  const MAIN: Record<string, string[]> = {
    lstm: ['units'],
    dense: ['units'],
    dropout: ['rate'],
    bidirectional: ['layer'],
  };
  const WITH_MAIN = { ...LAYER_SYNTAX, mainArguments: (layer: string) => MAIN[layer] };
  const doc = (layers: string) => `model: A\ninputs:\n  x: [60, 1]\nlayers:\n${layers}`;

  it('{units:50}: YAML reads one key "units:50"', () => {
    const d = only(doc('  - lstm: {units:50}\n'));
    expect([d.code, d.line, d.column, d.message]).toEqual(['LSTM1013', 5, 12, '"units:50" has no value.']);
    expect(d.hint).toBe(
      'YAML needs a space after the colon: write `{units: 50}`; without it, `units:50` is read as one key.',
    );
  });
  it('epochs:10 in a block mapping: a YAML syntax error, with the same hint', () => {
    const d = only(doc('  - dense: 1\ntrain:\n  loss: mse\n  epochs:10\n'));
    expect([d.code, d.line, d.column]).toEqual(['LSTM1010', 8, 3]);
    expect(d.hint).toBe(
      'YAML needs a space after the colon: write `epochs: 10`; without it, `epochs:10` is plain text.',
    );
  });
  it('- lstm:50: read as a layer name', () => {
    const d = only(doc('  - lstm:50\n'));
    expect([d.code, d.line, d.column]).toEqual(['LSTM1013', 5, 5]);
    expect(d.message).toBe('"lstm:50" is read as one layer name: YAML needs a space after the colon.');
    expect(d.hint).toBe('Write `- lstm: 50`.');
  });
  it.each([
    ['lstm(50, returnSequences=True)', 'lstm: {units: 50, returnSequences: true}'],
    ['lstm(50, return_sequences=True)', 'lstm: {units: 50, returnSequences: true}'],
    ['lstm(50, returnSequences: true)', 'lstm: {units: 50, returnSequences: true}'],
    ['lstm(50)', 'lstm: 50'],
    ['lstm(units=50)', 'lstm: {units: 50}'],
    ['flatten()', 'flatten'],
    ["dense(1, activation='linear')", 'dense: {units: 1, activation: linear}'],
    ['dense(1, activation=None)', 'dense: 1'],
    ['dropout(0.2)', 'dropout: 0.2'],
    ['embedding(1000, 64)', 'embedding: [1000, 64]'],
    ['timeDistributed(dense(1))', 'timeDistributed: {dense: 1}'],
    [
      'bidirectional(lstm(5, returnSequences=True), mergeMode="sum")',
      'bidirectional: {layer: {lstm: {units: 5, returnSequences: true}}, mergeMode: sum}',
    ],
    ['reshape((5, 2))', 'reshape: [5, 2]'],
    ['lstm(50', undefined],
  ])('the YAML spelling of %s', (call, yaml) => {
    expect(yamlLayerItem(call, WITH_MAIN)).toBe(yaml);
  });
  it('- lstm(50, returnSequences=True): a call is not a layer item', () => {
    const r = parseYaml(doc('  - lstm(50, returnSequences=True)\n  - dense: 1\n'), 'm.yaml', WITH_MAIN);
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect([d.code, d.line, d.column]).toEqual(['LSTM1013', 5, 5]);
    expect(d.message).toBe(
      '`lstm(...)` is a call; a YAML layer item is `- name: mainArgument` or `- name: {argument: value, ...}`.',
    );
    expect(d.hint).toBe('Write `- lstm: {units: 50, returnSequences: true}`.');
    // The table's LAYER_SYNTAX names the main arguments, as WITH_MAIN does.
    expect(only(doc('  - lstm(50, returnSequences=True)\n')).hint).toBe(
      'Write `- lstm: {units: 50, returnSequences: true}`.',
    );
    // Without main-argument names, the hint still spells what it can.
    const bare = { ...LAYER_SYNTAX, mainArguments: undefined };
    expect(parseYaml(doc('  - lstm(50, returnSequences=True)\n'), 'm.yaml', bare).diagnostics[0]!.hint).toBe(
      "Write `- lstm: {<main argument>: 50, returnSequences: true}`, with the argument's name for <main argument>: " +
        'YAML names every argument when there are several.',
    );
    expect(only(doc('  - lstm(50)\n')).hint).toBe('Write `- lstm: 50`.');
  });
  it('a tuple shape: lists are in square brackets', () => {
    const d = only('model: A\ninputs:\n  x: (None, 1)\nlayers:\n  - lstm: 5\n');
    expect([d.code, d.line, d.column]).toEqual(['LSTM1013', 3, 6]);
    expect(d.message).toBe('The shape of input "x" must be a list of dimensions, e.g. `x: [?, 1]`.');
    expect(d.hint).toBe('Shapes are lists in square brackets: `x: [?, 1]`, not a tuple.');
  });
  it('True and False are YAML booleans already: no complaint', () => {
    expect(codes(doc('  - lstm: {units: 50, returnSequences: True}\n'))).toEqual([]);
  });
});

describe('robustness (property tests)', () => {
  const check = (src: string): void => {
    const r = parseYaml(src, 'p.yaml', LAYER_SYNTAX);
    expect(Array.isArray(r.diagnostics)).toBe(true);
    expect(Array.isArray(r.spec.models)).toBe(true);
    for (const d of r.diagnostics) {
      expect(d.code).not.toBe('LSTM9001');
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.column).toBeGreaterThanOrEqual(1);
    }
    JSON.stringify(r.spec); // no cycles
  };
  const pieces = [
    'model',
    'layers',
    'inputs',
    'graph',
    'train',
    'params',
    'outputs',
    'data',
    'let',
    'from',
    'layer',
    'lstm',
    'dense',
    'timeDistributed',
    'bidirectional',
    'embedding',
    ':',
    ': ',
    '- ',
    '-',
    '[',
    ']',
    '{',
    '}',
    ',',
    '\n',
    '\n  ',
    '\n    ',
    '  ',
    '\t',
    '&a ',
    '*a',
    '!!str ',
    '!x ',
    '? ',
    '?',
    '#',
    '"',
    "'",
    '|',
    '>',
    '---\n',
    '...\n',
    '%YAML 1.2\n',
    '~',
    'null',
    'true',
    '1e400',
    '1e-3',
    '-1',
    '0x1F',
    '$p',
    'T',
    '\\',
    '\u00e9',
    '\uFEFF',
    '\r\n',
    '<<: ',
  ];
  const soup = fc.array(fc.constantFrom(...pieces), { maxLength: 60 }).map((a) => a.join(''));
  const refs = [
    'vanilla.yaml',
    'stacked.yaml',
    'cnn-lstm.yaml',
    'encoder-decoder.yaml',
    'bidirectional.yaml',
    'generative.yaml',
  ].map(specFile);
  const mutated = fc
    .tuple(
      fc.constantFrom(...refs),
      fc.array(
        fc.tuple(fc.nat(), fc.nat({ max: 8 }), fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 4 }))),
        { minLength: 1, maxLength: 6 },
      ),
    )
    .map(([src, edits]) => {
      let s = src;
      for (const [at, del, ins] of edits) {
        const i = at % (s.length + 1);
        s = s.slice(0, i) + ins + s.slice(i + del);
      }
      return s;
    });

  it('random strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => check(s)),
      { numRuns: 300 },
    );
  });
  it('random YAML token soup', () => {
    fc.assert(
      fc.property(soup, (s) => check(s)),
      { numRuns: 1000 },
    );
  });
  it('mutated reference specs', () => {
    fc.assert(
      fc.property(mutated, (s) => check(s)),
      { numRuns: 1000 },
    );
  });
  it('random JSON-like values as a spec', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => check(JSON.stringify({ model: 'M', layers: [v], train: v }))),
      { numRuns: 300 },
    );
  });
});
