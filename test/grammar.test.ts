import { describe, expect, it } from 'vitest';
import { growth, GROWTH_BOUND, TIMED } from './helpers/growth.js';
import fc from 'fast-check';
import { parseLstm } from '../grammar/lstm.js';
import { parseYaml } from '../grammar/yaml.js';
import { numberLiteral } from '../grammar/number.js';
import { pythonConstantHint, rewriteHabits } from '../grammar/habits.js';
import { lstmLexer } from '../grammar/lexer.js';
import type { Call, LetStmt, ModelDecl, Span, Statement, Value } from '../grammar/ast.js';
import type { Diagnostic } from '../base/diagnostics.js';

// ---------------------------------------------------------------- helpers

/** Deep copy without spans (and without `raw` when asked), for shape comparisons. */
function strip<T>(x: T): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) {
      if (k === 'span' || k.endsWith('Span')) continue;
      out[k] = strip(v);
    }
    return out;
  }
  return x;
}

function ok(src: string) {
  const r = parseLstm(src, 'test.lstm');
  expect(r.diagnostics, JSON.stringify(r.diagnostics, null, 1)).toEqual([]);
  return r.spec;
}

function model(src: string): ModelDecl {
  const spec = ok(src);
  expect(spec.models).toHaveLength(1);
  return spec.models[0]!;
}

function codes(src: string): [string, number, number][] {
  return parseLstm(src, 'test.lstm').diagnostics.map((d) => [d.code, d.line, d.column]);
}

/** A compact description of a call: `dense(10, activation=softmax)`. */
function show(v: Value | Call): string {
  if ('args' in v) {
    const c = v;
    return `${c.name}(${c.args.map((a) => (a.name ? `${a.name}=` : '') + show(a.value)).join(', ')})`;
  }
  switch (v.kind) {
    case 'int':
    case 'float':
      return v.raw;
    case 'string':
      return JSON.stringify(v.value);
    case 'bool':
      return String(v.value);
    case 'ident':
      return (v.dollar ? '$' : '') + v.name;
    case 'unknown':
      return '?';
    case 'list':
      return `[${v.items.map(show).join(', ')}]`;
    case 'call':
      return show(v.call);
    case 'block':
      return `{${v.block.entries.map((e) => `${e.key}: ${show(e.value)}`).join(', ')}}`;
  }
}

function showStmt(s: Statement): string {
  switch (s.kind) {
    case 'param':
      return `param ${s.name.name} = ${show(s.value)}`;
    case 'input':
      return `input ${s.name.name}: ${show(s.shape)}`;
    case 'layer':
      return show(s.call);
    case 'output':
      return `output ${s.names.map((n) => n.name).join(', ')}`;
    case 'let': {
      const t = s.destructure ? `[${s.targets.map((n) => n.name).join(', ')}]` : s.targets[0]!.name;
      const f = s.fromIsList ? `[${s.from.map((n) => n.name).join(', ')}]` : s.from[0]!.name;
      const ann = s.annotation ? `: ${show(s.annotation)}` : '';
      return `let ${t}${ann} = ${[f, ...s.chain.map(show)].join(' -> ')}`;
    }
  }
}

/** Every span in a tree. */
function allSpans(x: unknown, out: Span[] = []): Span[] {
  if (Array.isArray(x)) for (const i of x) allSpans(i, out);
  else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if ((k === 'span' || k.endsWith('Span')) && v && typeof v === 'object') out.push(v as Span);
      else allSpans(v, out);
    }
  }
  return out;
}

/** 0-based offset of a 1-based line/column (LF, CRLF and CR line ends). */
function offsetAt(src: string, line: number, column: number): number {
  let l = 1;
  let i = 0;
  while (l < line && i < src.length) {
    const c = src[i]!;
    i++;
    if (c === '\n' || (c === '\r' && src[i] !== '\n')) l++;
  }
  return i + column - 1;
}

function text(src: string, s: Span): string {
  return src.slice(s.offset!, s.endOffset!);
}

function checkSpans(src: string, tree: unknown): void {
  for (const s of allSpans(tree)) {
    expect(s.file).toBe('test.lstm');
    expect(s.offset).toBeGreaterThanOrEqual(0);
    expect(s.endOffset).toBeGreaterThanOrEqual(s.offset!);
    expect(s.endOffset).toBeLessThanOrEqual(src.length);
    expect(offsetAt(src, s.line, s.column)).toBe(s.offset);
    if (s.endOffset! > s.offset!) expect(offsetAt(src, s.endLine, s.endColumn - 1)).toBe(s.endOffset! - 1);
  }
}

// ---------------------------------------------------------------- reference architectures

const VANILLA = `# Vanilla LSTM: the echo problem.
model VanillaEcho {
  input x: [5, 10]                    # time steps = 5, features = 10
  lstm(25)                            # first positional argument = the layer's main argument
  dense(10, activation: softmax)

  train {
    loss: categoricalCrossentropy
    optimizer: adam                   # or adam(learningRate: 0.001)
    metrics: [accuracy]
    epochs: 500
    batchSize: 1
  }
}
`;

const STACKED = `model StackedSine {
  input x: [50, 1]
  lstm(20, returnSequences: true)
  lstm(20)
  dense(5)
  train { loss: mae, optimizer: adam, metrics: [mse], epochs: 100, batchSize: 32 }
}`;

const CNN = `model CnnMovingSquare {
  input frames: [5, 50, 50, 1]
  timeDistributed(conv2d(2, kernelSize: [2, 2], activation: relu))
  timeDistributed(maxPooling2d([2, 2]))
  timeDistributed(flatten())
  lstm(50)
  dense(1, activation: sigmoid)
  train {
    loss: binaryCrossentropy
    optimizer: adam(learningRate: 1e-3)
    metrics: [accuracy]
    epochs: 25
    batchSize: 32
  }
}`;

const ENCDEC = `model AdditionSeq2Seq {
  input x: [8, 12]
  lstm(75)
  repeatVector(2)
  lstm(50, returnSequences: true)
  timeDistributed(dense(12, activation: softmax))
  train {
    loss: categoricalCrossentropy
    optimizer: adam
    metrics: [accuracy]
    epochs: 100
    batchSize: 32
    validationSplit: 0.1
    earlyStopping { patience: 3 }
  }
}`;

const BIDI = `model BidirectionalCumsum {
  input x: [10, 1]
  bidirectional(lstm(50, returnSequences: true), mergeMode: concat)
  timeDistributed(dense(1, activation: sigmoid))
  train { loss: binaryCrossentropy; optimizer: adam; metrics: [accuracy]; epochs: 250; batchSize: 10 }
}`;

const GENERATIVE = `model CharGenerator {
  param vocab = 40
  param window = 10
  param temperature = 0.5
  input x: [$window, vocab]
  lstm(128)
  dense($vocab, activation: softmax)
  train {
    loss: categoricalCrossentropy
    optimizer: rmsprop(learningRate: 0.01)
    metrics: [accuracy]
    epochs: 60
    batchSize: 128
  }
  data {
    text: "corpus/alice.txt"
    window: $window
    step: 3
  }
}`;

const TRANSLATE = `model Translate {
  input source: [S, 71]
  input target: [T, 93]
  let [_, h, c] = source -> lstm(256, returnState: true)
  let decoded: [T, 93] = target
      -> lstm(256, returnSequences: true, initialState: [h, c])
      -> dense(93, activation: softmax)
  output decoded
}`;

describe('reference architectures', () => {
  const table: [string, string, string, string[], Record<string, string>][] = [
    [
      'vanilla',
      VANILLA,
      'VanillaEcho',
      ['input x: [5, 10]', 'lstm(25)', 'dense(10, activation=softmax)'],
      { loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: '[accuracy]', epochs: '500', batchSize: '1' },
    ],
    [
      'stacked',
      STACKED,
      'StackedSine',
      ['input x: [50, 1]', 'lstm(20, returnSequences=true)', 'lstm(20)', 'dense(5)'],
      { loss: 'mae', optimizer: 'adam', metrics: '[mse]', epochs: '100', batchSize: '32' },
    ],
    [
      'cnn-lstm',
      CNN,
      'CnnMovingSquare',
      [
        'input frames: [5, 50, 50, 1]',
        'timeDistributed(conv2d(2, kernelSize=[2, 2], activation=relu))',
        'timeDistributed(maxPooling2d([2, 2]))',
        'timeDistributed(flatten())',
        'lstm(50)',
        'dense(1, activation=sigmoid)',
      ],
      {
        loss: 'binaryCrossentropy',
        optimizer: 'adam(learningRate=1e-3)',
        metrics: '[accuracy]',
        epochs: '25',
        batchSize: '32',
      },
    ],
    [
      'encoder-decoder',
      ENCDEC,
      'AdditionSeq2Seq',
      [
        'input x: [8, 12]',
        'lstm(75)',
        'repeatVector(2)',
        'lstm(50, returnSequences=true)',
        'timeDistributed(dense(12, activation=softmax))',
      ],
      {
        loss: 'categoricalCrossentropy',
        optimizer: 'adam',
        metrics: '[accuracy]',
        epochs: '100',
        batchSize: '32',
        validationSplit: '0.1',
        earlyStopping: '{patience: 3}',
      },
    ],
    [
      'bidirectional',
      BIDI,
      'BidirectionalCumsum',
      [
        'input x: [10, 1]',
        'bidirectional(lstm(50, returnSequences=true), mergeMode=concat)',
        'timeDistributed(dense(1, activation=sigmoid))',
      ],
      { loss: 'binaryCrossentropy', optimizer: 'adam', metrics: '[accuracy]', epochs: '250', batchSize: '10' },
    ],
    [
      'generative',
      GENERATIVE,
      'CharGenerator',
      [
        'param vocab = 40',
        'param window = 10',
        'param temperature = 0.5',
        'input x: [$window, vocab]',
        'lstm(128)',
        'dense($vocab, activation=softmax)',
      ],
      {
        loss: 'categoricalCrossentropy',
        optimizer: 'rmsprop(learningRate=0.01)',
        metrics: '[accuracy]',
        epochs: '60',
        batchSize: '128',
      },
    ],
  ];

  it.each(table)('%s parses to the expected AST', (_n, src, name, stmts, train) => {
    const m = model(src);
    expect(m.name.name).toBe(name);
    expect(m.statements.map(showStmt)).toEqual(stmts);
    expect(Object.fromEntries(m.train!.entries.map((e) => [e.key, show(e.value)]))).toEqual(train);
    checkSpans(src, m);
  });

  it('vanilla: exact AST (spans aside)', () => {
    const m = model(VANILLA);
    expect(strip(m.statements)).toEqual([
      {
        kind: 'input',
        name: { name: 'x' },
        shape: {
          kind: 'list',
          items: [
            { kind: 'int', value: 5, raw: '5' },
            { kind: 'int', value: 10, raw: '10' },
          ],
        },
      },
      { kind: 'layer', call: { name: 'lstm', args: [{ value: { kind: 'int', value: 25, raw: '25' } }] } },
      {
        kind: 'layer',
        call: {
          name: 'dense',
          args: [
            { value: { kind: 'int', value: 10, raw: '10' } },
            { name: 'activation', value: { kind: 'ident', name: 'softmax', dollar: false } },
          ],
        },
      },
    ]);
    expect(m.data).toBeUndefined();
    expect(text(VANILLA, m.trainSpan!)).toMatch(/^train \{[\s\S]*\}$/);
    expect(text(VANILLA, m.train!.span)).toMatch(/^\{[\s\S]*\}$/);
  });

  it('generative: data block and $params', () => {
    const m = model(GENERATIVE);
    expect(Object.fromEntries(m.data!.entries.map((e) => [e.key, show(e.value)]))).toEqual({
      text: '"corpus/alice.txt"',
      window: '$window',
      step: '3',
    });
    expect(text(GENERATIVE, m.dataSpan!)).toMatch(/^data \{[\s\S]*\}$/);
  });

  it('the whole file in one spec, several models', () => {
    const src = [VANILLA, STACKED, CNN, ENCDEC, BIDI, GENERATIVE, TRANSLATE].join('\n');
    const spec = ok(src);
    expect(spec.format).toBe('lstm');
    expect(spec.file).toBe('test.lstm');
    expect(spec.models.map((m) => m.name.name)).toEqual([
      'VanillaEcho',
      'StackedSine',
      'CnnMovingSquare',
      'AdditionSeq2Seq',
      'BidirectionalCumsum',
      'CharGenerator',
      'Translate',
    ]);
    checkSpans(src, spec);
  });
});

// ---------------------------------------------------------------- graph form

describe('graph form', () => {
  it('Translate', () => {
    const m = model(TRANSLATE);
    expect(m.statements.map(showStmt)).toEqual([
      'input source: [S, 71]',
      'input target: [T, 93]',
      'let [_, h, c] = source -> lstm(256, returnState=true)',
      'let decoded: [T, 93] = target -> lstm(256, returnSequences=true, initialState=[h, c]) -> dense(93, activation=softmax)',
      'output decoded',
    ]);
    const l1 = m.statements[2] as LetStmt;
    expect(l1.destructure).toBe(true);
    expect(l1.fromIsList).toBe(false);
    expect(l1.annotation).toBeUndefined();
    const l2 = m.statements[3] as LetStmt;
    expect(l2.destructure).toBe(false);
    expect(l2.targets.map((t) => t.name)).toEqual(['decoded']);
    expect(text(TRANSLATE, l2.annotation!.span)).toBe('[T, 93]');
    expect(text(TRANSLATE, l2.fromSpan)).toBe('target');
    expect(text(TRANSLATE, l2.span)).toBe(
      'let decoded: [T, 93] = target\n      -> lstm(256, returnSequences: true, initialState: [h, c])\n      -> dense(93, activation: softmax)',
    );
    expect(l2.span.line).toBe(5);
    expect(l2.span.endLine).toBe(7);
    expect(l2.span.endColumn).toBe(40);
    checkSpans(TRANSLATE, m);
  });

  it.each([
    ['let both = [a, b] -> concatenate(axis: -1)', 'let both = [a, b] -> concatenate(axis=-1)', true],
    ['let x = a', 'let x = a', false],
    [
      'let [o, h] = a -> gru(4, returnState: true) -> flatten',
      'let [o, h] = a -> gru(4, returnState=true) -> flatten()',
      false,
    ],
    ['let y = a -> dense(3)\n-> dense(4)', 'let y = a -> dense(3) -> dense(4)', false],
  ])('%s', (line, expected, fromIsList) => {
    const m = model(`model G { input a: [T, 3] input b: [T, 3]\n${line}\n}`);
    const s = m.statements[2] as LetStmt;
    expect(showStmt(s)).toBe(expected);
    expect(s.fromIsList).toBe(fromIsList);
  });

  it('a bare layer line after a let continues the chain; output with several names', () => {
    const m = model('model G {\n input a: [4]\n let x = a\n dense(2)\n flatten\n output x, y\n}');
    expect(m.statements.map(showStmt)).toEqual(['input a: [4]', 'let x = a', 'dense(2)', 'flatten()', 'output x, y']);
  });
});

// ---------------------------------------------------------------- values and lexical details

describe('values', () => {
  const table: [string, unknown][] = [
    ['42', { kind: 'int', value: 42, raw: '42' }],
    ['-1', { kind: 'int', value: -1, raw: '-1' }],
    ['0.5', { kind: 'float', value: 0.5, raw: '0.5' }],
    ['1e-3', { kind: 'float', value: 0.001, raw: '1e-3' }],
    ['-2.5E+2', { kind: 'float', value: -250, raw: '-2.5E+2' }],
    ['"x"', { kind: 'string', value: 'x' }],
    ['"a\\"b\\\\c\\nd\\te"', { kind: 'string', value: 'a"b\\c\nd\te' }],
    ['"\\u{1F600}\\u{41}"', { kind: 'string', value: '\u{1F600}A' }],
    ['"#not a comment"', { kind: 'string', value: '#not a comment' }],
    ['true', { kind: 'bool', value: true }],
    ['false', { kind: 'bool', value: false }],
    ['relu', { kind: 'ident', name: 'relu', dollar: false }],
    ['$units', { kind: 'ident', name: 'units', dollar: true }],
    ['trueish', { kind: 'ident', name: 'trueish', dollar: false }],
    ['?', { kind: 'unknown' }],
    ['[]', { kind: 'list', items: [] }],
    [
      '[2, 2,]',
      {
        kind: 'list',
        items: [
          { kind: 'int', value: 2, raw: '2' },
          { kind: 'int', value: 2, raw: '2' },
        ],
      },
    ],
    [
      '[?, T, 3]',
      {
        kind: 'list',
        items: [{ kind: 'unknown' }, { kind: 'ident', name: 'T', dollar: false }, { kind: 'int', value: 3, raw: '3' }],
      },
    ],
    [
      '[[1], []]',
      {
        kind: 'list',
        items: [
          { kind: 'list', items: [{ kind: 'int', value: 1, raw: '1' }] },
          { kind: 'list', items: [] },
        ],
      },
    ],
    [
      'adam(learningRate: 0.001)',
      {
        kind: 'call',
        call: { name: 'adam', args: [{ name: 'learningRate', value: { kind: 'float', value: 0.001, raw: '0.001' } }] },
      },
    ],
    ['flatten()', { kind: 'call', call: { name: 'flatten', args: [] } }],
    [
      '{ patience: 3 }',
      { kind: 'block', block: { entries: [{ key: 'patience', value: { kind: 'int', value: 3, raw: '3' } }] } },
    ],
  ];
  it.each(table)('%s', (src, expected) => {
    const m = model(`model V { param p = ${src} }`);
    const s = m.statements[0]!;
    expect(s.kind).toBe('param');
    if (s.kind !== 'param') return;
    expect(strip(s.value)).toEqual(expected);
    expect(text(`model V { param p = ${src} }`, s.value.span)).toBe(src);
  });

  it('keywords are whole words (longer_alt): inputs, modelName, letter, outputs, database', () => {
    const m = model('model modelName { input inputs: [1]\n letter(1)\n outputs\n database(trainer: falsey) }');
    expect(m.name.name).toBe('modelName');
    expect(m.statements.map(showStmt)).toEqual([
      'input inputs: [1]',
      'letter(1)',
      'outputs()',
      'database(trainer=falsey)',
    ]);
  });

  it('earlyStopping { ... } and earlyStopping: { ... } are the same; keywords may be block keys', () => {
    const a = model('model A { train { earlyStopping { patience: 3 } } data { input: "a.csv", model: x; } }');
    const b = model('model A { train { earlyStopping: { patience: 3 } } data { input: "a.csv" model: x } }');
    expect(strip(a.train)).toEqual(strip(b.train));
    expect(strip(a.data)).toEqual(strip(b.data));
    expect(a.train!.entries[0]!.value.kind).toBe('block');
    expect(a.data!.entries.map((e) => e.key)).toEqual(['input', 'model']);
  });

  it('statements may be juxtaposed, separated by newlines or semicolons', () => {
    const a = model('model A { input x: [5, 10] lstm(25) dense(10, activation: softmax) }');
    const b = model('model A {\n  input x: [5, 10];\n  lstm(25);\n  dense(10,\n    activation: softmax,\n  )\n}');
    expect(strip(a)).toEqual(strip(b));
  });

  it('CRLF line endings and tabs: columns are correct', () => {
    const src = 'model A {\r\n\tinput x: [5, 10]\r\n\tlstm(25)\r\n}\r\n';
    const m = model(src);
    const lstm = m.statements[1]!;
    expect(lstm.span).toMatchObject({ line: 3, column: 2, endLine: 3, endColumn: 10 });
    expect(text(src, lstm.span)).toBe('lstm(25)');
    checkSpans(src, m);
    expect(codes('model A {\r\n\tlstm(25))\r\n}')).toEqual([['LSTM1001', 2, 10]]);
  });

  it('spans: call name, arguments, named argument names, block keys', () => {
    const src = 'model Span {\n  dense(10, activation: softmax)\n  train { earlyStopping { patience: 3 } }\n}';
    const m = model(src);
    const call = (m.statements[0] as { call: Call }).call;
    expect(text(src, call.span)).toBe('dense(10, activation: softmax)');
    expect(call.nameSpan).toMatchObject({ line: 2, column: 3, endLine: 2, endColumn: 8 });
    expect(text(src, call.args[0]!.span)).toBe('10');
    expect(text(src, call.args[1]!.span)).toBe('activation: softmax');
    expect(text(src, call.args[1]!.nameSpan!)).toBe('activation');
    expect(text(src, call.args[1]!.value.span)).toBe('softmax');
    const es = m.train!.entries[0]!;
    expect(text(src, es.span)).toBe('earlyStopping { patience: 3 }');
    expect(text(src, es.keySpan)).toBe('earlyStopping');
    expect(text(src, es.value.span)).toBe('{ patience: 3 }');
    expect(text(src, m.name.span)).toBe('Span');
    expect(text(src, m.span)).toBe(src);
    checkSpans(src, m);
  });
});

describe('span round trips', () => {
  /** Every value and call in a tree. */
  function valuesOf(x: unknown, out: Value[] = []): Value[] {
    if (Array.isArray(x)) for (const i of x) valuesOf(i, out);
    else if (x && typeof x === 'object') {
      const k = (x as { kind?: unknown }).kind;
      if (
        typeof k === 'string' &&
        ['int', 'float', 'string', 'bool', 'ident', 'unknown', 'list', 'call', 'block'].includes(k) &&
        'span' in x
      )
        out.push(x as Value);
      for (const v of Object.values(x)) if (v && typeof v === 'object') valuesOf(v, out);
    }
    return out;
  }

  it.each([
    ['vanilla', VANILLA],
    ['cnn', CNN],
    ['encoder-decoder', ENCDEC],
    ['generative', GENERATIVE],
    ['translate', TRANSLATE],
  ])('%s: the source text under every value span re-parses to the same value', (_n, src) => {
    const m = model(src);
    const values = valuesOf(m);
    expect(values.length).toBeGreaterThan(5);
    for (const v of values) {
      const again = model(`model R { param p = ${text(src, v.span)} }`).statements[0];
      expect(again?.kind).toBe('param');
      if (again?.kind === 'param') expect(strip(again.value)).toEqual(strip(v));
    }
    // Statements re-parse on their own too.
    for (const st of m.statements) {
      const again = model(`model R {\n${text(src, st.span)}\n}`).statements[0]!;
      expect(strip(again)).toEqual(strip(st));
    }
  });
});

// ---------------------------------------------------------------- errors

describe('errors', () => {
  const table: [string, string, [string, number, number][]][] = [
    ['empty file', '', [['LSTM1005', 1, 1]]],
    ['only comments', '# nothing\n   # here\n', [['LSTM1005', 1, 1]]],
    ['only whitespace', ' \n\t\r\n', [['LSTM1005', 1, 1]]],
    [
      'invalid characters: one per run',
      'model A {\n  lstm(25) @@@ dense(3) %\n}',
      [
        ['LSTM1003', 2, 12],
        ['LSTM1003', 2, 25],
      ],
    ],
    ['unterminated string', 'model A {\n  data { text: "abc }\n  lstm(3)\n}', [['LSTM1002', 2, 16]]],
    ['unterminated string at end of file', 'model A { data { text: "abc', [['LSTM1002', 1, 24]]],
    ['invalid escape', 'model A { data { a: "x\\qy" } }', [['LSTM1008', 1, 23]]],
    ['1e400', 'model A {\n  dense(1e400)\n}', [['LSTM1006', 2, 9]]],
    ['huge integer: a finite number, range-checked by the checker', 'model A { dense(9007199254740993) }', []],
    ['negative huge integer: a finite number too', 'model A { dense(-99999999999999999999) }', []],
    ['float underflow', 'model A { dropout(1e-999) }', [['LSTM1006', 1, 19]]],
    ['2^53 itself is fine', 'model A { dense(9007199254740992) }', []],
    ['missing value', 'model A { dense(10, activation: ) }', [['LSTM1001', 1, 33]]],
    ['stray paren', 'model A { lstm(25)) }', [['LSTM1001', 1, 19]]],
    ['missing ) at end of line', 'model A {\n  lstm(25\n  dense(3)\n}', [['LSTM1001', 2, 10]]],
    ['missing } at end of file', 'model A {\n  lstm(25)\n', [['LSTM1001', 2, 11]]],
    ['junk before a model', 'lstm(3)\nmodel A { lstm(3) }', [['LSTM1001', 1, 1]]],
    ['missing model name', 'model { lstm(3) }', [['LSTM1001', 1, 7]]],
    ['missing colon in block', 'model A { train { epochs 3 } }', [['LSTM1001', 1, 26]]],
    ['let without =', 'model A { input a: [1] let x a }', [['LSTM1001', 1, 30]]],
    ['stray tokens in a model: one error per run', 'model A { 1 2 3 lstm(3) }', [['LSTM1001', 1, 11]]],
    ['stray tokens in a block', 'model A { train { loss: mse, 3, epochs: 3 } }', [['LSTM1001', 1, 30]]],
    ['stray } after a model', 'model A {\n  lstm(3)\n}\n}\nmodel B { flatten }', [['LSTM1001', 4, 1]]],
    ['missing } before the next model', 'model A { lstm(3)\nmodel B { dense(1) }', [['LSTM1001', 1, 18]]],
    ['chain without a layer', 'model A { let x = y -> -> dense(3) }', [['LSTM1001', 1, 24]]],
    ['bad destructuring', 'model A { let [a, b = x -> lstm(3) }', [['LSTM1001', 1, 21]]],
    [
      'keyword as a name: one error, the rest kept',
      'model A { input input: [5, 10]\n lstm(25) }',
      [['LSTM1001', 1, 17]],
    ],
    [
      'error inside a train block keeps the block',
      'model A {\n  train { optimizer: adam(learningRate: ), epochs: 3 }\n  lstm(2)\n}',
      [['LSTM1001', 2, 41]],
    ],
  ];
  it.each(table)('%s', (_n, src, expected) => {
    expect(codes(src)).toEqual(expected);
  });

  it('messages are human', () => {
    const [d] = parseLstm('model A { dense(10, activation: ) }', 'test.lstm').diagnostics;
    expect(d!.message).toBe('Unexpected ")"; expected a value.');
    expect(d).toMatchObject({ file: 'test.lstm', line: 1, column: 33, endLine: 1, endColumn: 34, severity: 'error' });
    const [e] = parseLstm('model A {\n  lstm(25\n  dense(3)\n}', 'test.lstm').diagnostics;
    expect(e!.message).toBe('Unexpected end of line; expected "," or ")".');
    const [f] = parseLstm('model A { lstm(25) @@@ }', 'test.lstm').diagnostics;
    expect(f!.message).toBe('Invalid character "@@@".');
    expect(f).toMatchObject({ column: 20, endColumn: 23 });
    const [g] = parseLstm('model A { lstm(3) }}', 'test.lstm').diagnostics;
    expect(g!.message).toBe('Unexpected "}"; expected "model".');
    for (const dg of parseLstm('model A { train { epochs 3 } let = }', 'test.lstm').diagnostics) {
      expect(dg.message).not.toMatch(/Identifier|LBrace|RParen|Exception|-->|<-/);
    }
  });

  it('three independent mistakes give three located errors; the rest still parses', () => {
    const src = [
      'model Broken {',
      '  input x: [5, 10]',
      '  lstm(25', // 1: missing )
      '  dense(10 activation: softmax)', // 2: missing ,
      '  lstm(4)',
      '  param = 3', // 3: missing name
      '  dense(1)',
      '}',
    ].join('\n');
    const r = parseLstm(src, 'test.lstm');
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([
      ['LSTM1001', 3, 10],
      ['LSTM1001', 4, 12],
      ['LSTM1001', 6, 9],
    ]);
    const m = r.spec.models[0]!;
    expect(m.name.name).toBe('Broken');
    expect(m.statements.map((s) => s.kind)).toContain('input');
    expect(m.statements.filter((s) => s.kind === 'layer').map((s) => (s as { call: Call }).call.name)).toEqual(
      expect.arrayContaining(['lstm', 'dense']),
    );
    const last = m.statements[m.statements.length - 1]!;
    expect(showStmt(last)).toBe('dense(1)');
  });

  it('three mistakes of three kinds (lexical, string, syntax) give three errors', () => {
    const src =
      'model M {\n  input x: [5, 10] @\n  data { path: "a.csv }\n  dense(10 activation: softmax)\n  lstm(3)\n}';
    expect(codes(src)).toEqual([
      ['LSTM1003', 2, 20],
      ['LSTM1002', 3, 16],
      ['LSTM1001', 4, 12],
    ]);
  });

  it('three mistakes in three models', () => {
    const src = 'model A { lstm(3,, 4) }\nmodel B { input x: [1 2] }\nmodel C { train { loss: } }\n';
    expect(codes(src)).toEqual([
      ['LSTM1001', 1, 18],
      ['LSTM1001', 2, 23],
      ['LSTM1001', 3, 25],
    ]);
    expect(parseLstm(src, 'test.lstm').spec.models.map((m) => m.name.name)).toEqual(['A', 'B', 'C']);
  });

  it(
    'a long run of broken statements: one error per line, no stack overflow, linear time',
    () => {
      const n = 120;
      const broken = (k: number) => `model Big {\n${'  dense(1 activation: relu useBias: true)\n'.repeat(k)}}\n`;
      const src = broken(n);
      const r = parseLstm(src, 'test.lstm');
      expect(r.diagnostics).toHaveLength(n);
      // 48 and 480 errors (both below MAX_PARSE_ERRORS): recovery costs the same per error.
      const g = growth(broken, (s) => parseLstm(s, 'test.lstm'), 48);
      expect(g, `time(10n) / time(n) = ${g.toFixed(1)}`).toBeLessThan(GROWTH_BOUND);
      expect(r.diagnostics.every((d, i) => d.code === 'LSTM1001' && d.line === i + 2 && d.column === 11)).toBe(true);
      const junk = `model J { ${') : = '.repeat(20000)} lstm(3) }`;
      expect(codes(junk)).toEqual([['LSTM1001', 1, 11]]);
    },
    TIMED,
  );

  it.each([
    [
      '10,000 broken lines',
      (k: number) => `model Big {\n${'  dense(1 activation: relu useBias: true)\n'.repeat(k)}}\n`,
      10_000,
      1_000,
    ],
    [
      'deeply nested errors',
      (k: number) => `model A {\n${`  x: ${'a('.repeat(62)}1 2${')'.repeat(62)}\n`.repeat(k)}}`,
      2_000,
      3,
    ],
  ])(
    '%s: the parser stops after many errors (a count), and the rest costs linear time',
    (_n, make, lines, n) => {
      const src = make(lines);
      const r = parseLstm(src, 'test.lstm');
      expect(r.diagnostics.length).toBeGreaterThan(100);
      expect(r.diagnostics.length).toBeLessThanOrEqual(500);
      checkResult(src, r.diagnostics);
      // Ten times the input (and, below the limit, ten times the errors) costs about ten times the time.
      const g = growth(make, (s) => parseLstm(s, 'test.lstm'), n, 3);
      expect(g, `time(10n) / time(n) = ${g.toFixed(1)}`).toBeLessThan(GROWTH_BOUND);
    },
    TIMED,
  );

  it('an error inside a block keeps the rest of the block and of the model', () => {
    const r = parseLstm('model A {\n  train { optimizer: adam(learningRate: ), epochs: 3 }\n  lstm(2)\n}', 'test.lstm');
    const m = r.spec.models[0]!;
    expect(m.train!.entries.map((e) => e.key)).toContain('epochs');
    expect(m.statements.map(showStmt)).toEqual(['lstm(2)']);
  });

  it('the model and statements after a mistake are kept', () => {
    const r = parseLstm('model A { input x: [1 2 3 4] dense(3) }\nmodel B { lstm(2) }', 'test.lstm');
    expect(r.spec.models.map((m) => [m.name.name, m.statements.map(showStmt)])).toEqual([
      ['A', ['input x: [1]', 'dense(3)']],
      ['B', ['lstm(2)']],
    ]);
  });

  it('a literal error still produces its node', () => {
    const r = parseLstm('model A { dense(1e400) }', 'test.lstm');
    const call = (r.spec.models[0]!.statements[0] as { call: Call }).call;
    expect(call.args[0]!.value).toMatchObject({ kind: 'float', raw: '1e400' });
  });

  it('binary input: a single LSTM1007 and nothing else', () => {
    for (const src of ['model A {\0\0\0}', '\x01\x02\x03\x04\x05\x06\x07\x08', '\ufffd'.repeat(50) + 'model']) {
      const ds = parseLstm(src, 'test.lstm').diagnostics;
      expect(ds.map((d) => [d.code, d.line, d.column])).toEqual([['LSTM1007', 1, 1]]);
    }
    // One stray control character in a text file is an invalid character, not a binary file.
    expect(codes('model A { lstm(3) \x07 }')).toEqual([['LSTM1003', 1, 19]]);
  });

  it.each([
    ['[ x 10000', (k: number) => 'model A { input x: ' + '['.repeat(k)],
    ['lstm( x 10000', (k: number) => 'model A { ' + 'lstm('.repeat(k)],
    ['balanced brackets x 10000', (k: number) => 'model A { input x: ' + '['.repeat(k) + ']'.repeat(k) + ' }'],
  ])(
    'nesting too deep: %s gives LSTM1004, in linear time',
    (_n, make) => {
      const src = make(10_000);
      const r = parseLstm(src, 'test.lstm');
      const g = growth(make, (s) => parseLstm(s, 'test.lstm'), 3_000);
      expect(g, `time(10n) / time(n) = ${g.toFixed(1)}`).toBeLessThan(GROWTH_BOUND);
      const deep = r.diagnostics.filter((d) => d.code === 'LSTM1004');
      expect(deep).toHaveLength(1);
      expect(deep[0]!.line).toBe(1);
      // The 65th opener (the model's own "{" counts as the first level).
      const openers = [...src].map((c, i) => ('[({'.includes(c) ? i : -1)).filter((i) => i >= 0);
      expect(deep[0]!.column).toBe(openers[64]! + 1);
      expect(r.spec.models.map((m) => m.name.name)).toEqual(['A']);
    },
    TIMED,
  );

  it('nesting at the limit is fine', () => {
    const src = 'model A { input x: ' + '['.repeat(63) + '1' + ']'.repeat(63) + ' }';
    expect(codes(src)).toEqual([]);
  });

  it('pure [ x 10000 with no model', () => {
    const r = parseLstm('['.repeat(10000), 'test.lstm');
    expect(r.diagnostics.some((d) => d.code === 'LSTM1004' && d.line === 1 && d.column === 65)).toBe(true);
  });
});

// ---------------------------------------------------------------- robustness (property tests)

function checkResult(src: string, ds: Diagnostic[]): void {
  // Lines of the file (an empty file has one line).
  const lines = src.split(/\r\n|\r|\n/);
  for (const d of ds) {
    expect(d.file).toBe('test.lstm');
    expect(d.code).toMatch(/^LSTM1\d{3}$/);
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.line).toBeLessThanOrEqual(lines.length);
    expect(d.column).toBeLessThanOrEqual(lines[d.line - 1]!.length + 1);
    expect(d.endLine).toBeGreaterThanOrEqual(d.line);
    expect(d.endLine).toBeLessThanOrEqual(lines.length);
    expect(d.endColumn).toBeLessThanOrEqual(lines[d.endLine - 1]!.length + 1);
    if (d.endLine === d.line) expect(d.endColumn).toBeGreaterThanOrEqual(d.column);
    expect(typeof d.message).toBe('string');
  }
}

const VALID = [VANILLA, STACKED, CNN, ENCDEC, BIDI, GENERATIVE, TRANSLATE];
const PIECES = [
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '->',
  '=',
  '"',
  '#',
  '\n',
  '\r\n',
  '\t',
  ' ',
  'model',
  'let',
  'input',
  'lstm',
  '1e400',
  '-',
  '$',
  '?',
  '\\',
  '\0',
  '\ufffd',
  'é',
  '_',
  ';',
  '99999999999999999999',
];

describe('robustness', () => {
  it('random strings never throw and give located diagnostics', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const r = parseLstm(s, 'test.lstm');
        checkResult(s, r.diagnostics);
        checkSpans(s, r.spec.models);
      }),
      { numRuns: 500 },
    );
  });

  it('random token soup never throws', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES, 'a', 'dense', '12', '0.5'), { maxLength: 120 }), (parts) => {
        const s = parts.join(' ');
        const r = parseLstm(s, 'test.lstm');
        checkResult(s, r.diagnostics);
        checkSpans(s, r.spec.models);
      }),
      { numRuns: 500 },
    );
  });

  it('mutated valid specs never throw and give located diagnostics', () => {
    const mutation = fc.record({
      spec: fc.constantFrom(...VALID),
      edits: fc.array(
        fc.record({
          at: fc.nat(),
          del: fc.nat({ max: 8 }),
          ins: fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 })),
        }),
        { minLength: 1, maxLength: 5 },
      ),
    });
    fc.assert(
      fc.property(mutation, ({ spec, edits }) => {
        let s = spec;
        for (const e of edits) {
          const at = e.at % (s.length + 1);
          s = s.slice(0, at) + e.ins + s.slice(at + e.del);
        }
        const r = parseLstm(s, 'test.lstm');
        checkResult(s, r.diagnostics);
        checkSpans(s, r.spec.models);
        // Whatever was built is well-formed enough to walk.
        for (const m of r.spec.models) for (const st of m.statements) expect(typeof showStmt(st)).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });
});

// ---------------------------------------------------------------- one number rule (issue 7, bug 1)

describe('one number rule for both front ends', () => {
  // (specs/invalid/074-units-two-pow-53.* checks the whole pipeline: LSTM2004 in both spellings.)
  const NO_LAYERS = { isWrapper: () => false, spreadsMain: () => false, hasArgument: () => false };
  const outcome = (stmt: { call: Call }, ds: Diagnostic[]) => ({
    codes: ds.map((d) => d.code),
    value: strip(stmt.call.args[0]!.value),
    message: ds[0]?.message,
  });
  const lstmValue = (lit: string) => {
    const r = parseLstm(`model A { dense(units: ${lit}) }`, 'a.lstm');
    return outcome(r.spec.models[0]!.statements[0] as { call: Call }, r.diagnostics);
  };
  const yamlValue = (lit: string) => {
    const r = parseYaml(`model: A\nlayers:\n  - dense: {units: ${lit}}\n`, 'a.yaml', NO_LAYERS);
    return outcome(r.spec.models[0]!.statements[0] as { call: Call }, r.diagnostics);
  };
  it.each([
    ['9007199254740992', []],
    ['9007199254740993', []],
    ['-99999999999999999999', []],
    ['123456789012345678901234567890', []],
    ['25', []],
    ['0.5', []],
    ['1e3', []],
    ['1e400', ['LSTM1006']],
    ['-1e400', ['LSTM1006']],
    ['1e-400', ['LSTM1006']],
    ['0e-400', []],
  ])('%s: the same value and the same diagnostics in both spellings', (lit, expected) => {
    const a = lstmValue(lit);
    const b = yamlValue(lit);
    expect(a.codes).toEqual(expected);
    expect(b.codes).toEqual(expected);
    expect(b.value).toEqual(a.value);
    expect(b.message).toEqual(a.message);
  });

  it('the rule itself', () => {
    expect(numberLiteral('25')).toEqual({ kind: 'int', value: 25 });
    expect(numberLiteral('0x1F', 31)).toEqual({ kind: 'int', value: 31 });
    expect(numberLiteral('1e3')).toEqual({ kind: 'float', value: 1000 });
    expect(numberLiteral('9007199254740993')).toEqual({ kind: 'int', value: 9007199254740992 });
    expect(numberLiteral('1e400').problem).toBe('it is too large to be a finite number');
    expect(numberLiteral('.inf', Infinity).problem).toBe('infinity is not allowed');
    expect(numberLiteral('.nan', NaN).problem).toBe('it is not a number');
    expect(numberLiteral('1e-400').problem).toBe('it is too small and would round to 0');
    expect(numberLiteral('0.0e-400').problem).toBeUndefined();
  });
});

// ---------------------------------------------------------------- Python / Keras habits (issue 7, bug 9)

describe('Python and Keras habits get a hint in lstmc spelling', () => {
  const first = (src: string) => {
    const ds = parseLstm(src, 'test.lstm').diagnostics;
    expect(ds.length, JSON.stringify(ds)).toBeGreaterThan(0);
    return ds[0]!;
  };
  it.each([
    [
      'keyword arguments',
      'model A {\n  lstm(50, return_sequences=True)\n}',
      [2, 28],
      'Write `lstm(50, returnSequences: true)`',
    ],
    [
      'spaces around =',
      'model A {\n  lstm(50, return_sequences = True)\n}',
      [2, 29],
      'Write `lstm(50, returnSequences: true)`',
    ],
    ['a tuple shape', 'model A {\n  input x: (60, 1)\n}', [2, 12], 'Write `input x: [60, 1]`'],
    ['None in a tuple shape', 'model A {\n  input x: (None, 1)\n}', [2, 12], 'Write `input x: [?, 1]`'],
    ['a None argument', 'model A {\n  dense(1, activation=None)\n}', [2, 22], 'Write `dense(1)`'],
    ['a None argument first', 'model A {\n  dense(activation=None, units=1)\n}', [2, 19], 'Write `dense(units: 1)`'],
    [
      'input_shape',
      'model A {\n  lstm(20, input_shape=(50, 1))\n}',
      [2, 23],
      'Write `lstm(20)`: the input shape is declared once, `input x: [50, 1]`',
    ],
    [
      'a tuple argument',
      'model A {\n  conv1d(64, kernel_size=(3,))\n}',
      [2, 25],
      'Write `conv1d(64, kernelSize: [3])`',
    ],
    ['a train setting', 'model A {\n  train { batch_size=32 }\n}', [2, 21], 'Write `train { batchSize: 32 }`'],
    [
      'a call over two lines',
      'model A {\n  lstm(50,\n       return_sequences=True)\n}',
      [3, 24],
      'Write `lstm(50, returnSequences: true)`',
    ],
    [
      'nested calls',
      'model A {\n  bidirectional(lstm(5, return_sequences=False), merge_mode="sum")\n}',
      [2, 41],
      'Write `bidirectional(lstm(5, returnSequences: false), mergeMode: "sum")`',
    ],
  ])('%s', (_n, src, [line, column], hint) => {
    const d = first(src);
    expect([d.code, d.line, d.column]).toEqual(['LSTM1001', line, column]);
    expect(d.hint).toContain(hint);
  });

  it('the hint names each rule that applied, once', () => {
    const d = first('model A {\n  lstm(50, return_sequences=True, go_backwards=False)\n}');
    expect(d.hint).toBe(
      'Write `lstm(50, returnSequences: true, goBackwards: false)`: arguments and settings are written `name: value`, not `name=value`; ' +
        'names are camelCase (`returnSequences`, not `return_sequences`); booleans are `true` and `false`.',
    );
  });

  it('valid uses of "=" and "(" get no habit hint', () => {
    // `param x =` and `let y =` are lstmc; a parse error elsewhere on their line must not rewrite them.
    const d = first('model A {\n  param p = 3  let y = x -> lstm(p) )\n}');
    expect(d.hint ?? '').not.toMatch(/name: value/);
    // Keras functional style `Dense(1)(x)`: the second "(" follows ")", no tuple hint.
    const e = first('model A {\n  dense(1)(x)\n}');
    expect(e.hint ?? '').not.toMatch(/square brackets/);
  });

  it('a Python string in single quotes', () => {
    const [d, e] = parseLstm("model A {\n  dense(1, activation='linear')\n}", 'test.lstm').diagnostics;
    expect([d!.code, d!.line, d!.column]).toEqual(['LSTM1003', 2, 23]);
    expect(d!.hint).toBe(
      'Strings are written in double quotes, and a name such as `linear` needs none: write `linear`.',
    );
    expect(e!.hint).toBeUndefined(); // the closing quote: one hint per line
    expect(parseLstm("model A {\n  data { text: 'a b' }\n}", 'test.lstm').diagnostics[0]!.hint).toBe(
      'Strings are written in double quotes: `"a b"`.',
    );
  });

  it('rewriteHabits leaves lstmc as it is', () => {
    const src =
      'model A {\n  param p = 3\n  input x: [T, 1]\n  let y: [T, 4] = x -> lstm(4, returnSequences: true)\n  output y\n}';
    const toks = lstmLexer.tokenize(src).tokens;
    const r = rewriteHabits(src, toks);
    expect(r.changed.size).toBe(0);
    expect(r.reasons).toEqual([]);
  });

  it('True, False and None as names: a hint for the checker, in the spelling of the file', () => {
    expect(pythonConstantHint('True', 'lstm', 'value')).toBe(
      'Booleans are written `true` and `false`; `True` is Python.',
    );
    expect(pythonConstantHint('None', 'lstm', 'dimension')).toBe(
      'An unknown dimension is written `?`; `None` is Python.',
    );
    expect(pythonConstantHint('None', 'yaml', 'dimension')).toMatch(/`\?` \(or `null`\)/);
    expect(pythonConstantHint('None', 'lstm', 'value')).toMatch(/Leave the argument out/);
    expect(pythonConstantHint('relu', 'lstm', 'value')).toBeUndefined();
  });
});

// ---------------------------------------------------------------- performance

describe('performance', () => {
  it(
    'a 10,000-layer spec parses in linear time',
    () => {
      const gen = (n: number) =>
        `model Big {\n  input x: [T, 8]\n${Array.from({ length: n }, (_, i) => `  dense(${i + 1}, activation: relu, useBias: true)   # layer ${i}\n`).join('')}}\n`;
      const r = parseLstm(gen(10000), 'test.lstm');
      expect(r.diagnostics).toEqual([]);
      expect(r.spec.models[0]!.statements).toHaveLength(10001);
      const g = growth(gen, (s) => parseLstm(s, 'test.lstm'), 500, 3);
      expect(g, `time(10n) / time(n) = ${g.toFixed(1)}`).toBeLessThan(GROWTH_BOUND);
    },
    TIMED,
  );

  it(
    'the growth measure tells linear from quadratic work',
    () => {
      // A self-test of the measure (on plain loops, so it says nothing about the parser).
      const work = (k: number) => {
        let x = 0;
        for (let i = 0; i < k; i++) x = (x * 31 + i) | 0;
        return x;
      };
      expect(growth((n) => n * 20_000, work, 100)).toBeLessThan(GROWTH_BOUND);
      expect(
        growth(
          (n) => n,
          (k) => work(k * k),
          300,
        ),
      ).toBeGreaterThan(GROWTH_BOUND);
    },
    TIMED,
  );
});
