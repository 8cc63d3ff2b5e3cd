/**
 * ARCHITECTURE.md's invariants, checked on the source (after rust-analyzer's tidy tests).
 * A failure here means a layering rule was broken, not that a feature is wrong.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Diagnostics, format, type DiagnosticDef } from '../base/diagnostics.js';
import { getLayer, layerNames } from '../compiler/layers/table.js';
import { LOSSES, METRIC_TABLE, OPTIMIZER_TABLE } from '../compiler/train.js';

const ROOT = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir))) {
    const p = join(ROOT, dir, e);
    if (statSync(p).isDirectory()) out.push(...sources(relative(ROOT, p)));
    else if (e.endsWith('.ts')) out.push(relative(ROOT, p));
  }
  return out;
}

/** Module specifiers a file imports at load time (static imports and re-exports, not `import type`). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm))
    specs.push(m[1]!);
  return specs;
}

describe('layering', () => {
  it('grammar/ and compiler/ never load tfjs or ts-morph (the TypeScript emitter lives above them, in emit/)', () => {
    const bad: string[] = [];
    for (const f of [...sources('grammar'), ...sources('compiler')]) {
      for (const s of runtimeImports(f)) {
        if (s.startsWith('@tensorflow/')) bad.push(`${f} imports ${s}`);
        if (s === 'ts-morph' || s === 'typescript') bad.push(`${f} imports ${s}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('only the compile command reaches emit/typescript.ts, and only through a dynamic import', () => {
    const bad: string[] = [];
    for (const f of [...sources('grammar'), ...sources('compiler'), ...sources('cli'), ...sources('runtime')]) {
      if (runtimeImports(f).some((s) => /\/typescript\.js$/.test(s))) bad.push(f);
    }
    expect(bad).toEqual([]);
  });

  it('runtime/ consumes checked IR, never the AST or the front ends', () => {
    const bad = sources('runtime').flatMap((f) =>
      runtimeImports(f)
        .filter((s) => s.includes('/grammar/'))
        .map((s) => `${f} imports ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('grammar/ and compiler/ never import runtime/ or cli/', () => {
    const bad = [...sources('grammar'), ...sources('compiler')].flatMap((f) =>
      runtimeImports(f)
        .filter((s) => s.includes('/runtime/') || s.includes('/cli/'))
        .map((s) => `${f} imports ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('the CLI loads neither tfjs, ts-morph nor runtime/ at startup (command actions import them lazily)', () => {
    // Every module cli/main.ts reaches through static imports, at load time.
    const seen = new Set<string>();
    const bad: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const s of runtimeImports(file)) {
        // Nor the graph renderers (Graphviz WASM, resvg): only `lstmc graph` and `lstmc report` load them.
        if (s.startsWith('@tensorflow/') || s === 'ts-morph' || s.startsWith('@viz-js/') || s.startsWith('@resvg/'))
          bad.push(`${file} imports ${s}`);
        if (s.endsWith('/graph-render.js')) bad.push(`${file} imports ${s}`);
        if (!s.startsWith('.')) continue;
        const dep = relative(ROOT, join(ROOT, dirname(file), s.replace(/\.js$/, '.ts')));
        if (dep.startsWith(`runtime${sep}`)) bad.push(`${file} imports ${dep}`);
        else visit(dep);
      }
    };
    visit(join('cli', 'main.ts'));
    expect(seen.size).toBeGreaterThan(10);
    expect(bad).toEqual([]);
  });
});

describe('diagnostics table', () => {
  it('codes are unique and well formed, and every entry is documented', () => {
    const codes = Object.values(Diagnostics).map((d) => d.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const d of Object.values(Diagnostics)) {
      expect(d.code).toMatch(/^LSTM[1-59]\d{3}$/);
      expect(d.doc.length).toBeGreaterThan(10);
    }
  });

  it('every message (and default hint) is a sentence, with realistic args', () => {
    // A new table entry needs an example below.
    expect(
      Object.keys(Diagnostics).filter((k) => MESSAGE_EXAMPLES[k] === undefined),
      'entries without an example',
    ).toEqual([]);
    const problems: string[] = [];
    for (const [key, def] of Object.entries(Diagnostics) as [string, DiagnosticDef][]) {
      const args = MESSAGE_EXAMPLES[key]!;
      // The example fills exactly the template's placeholders (message and hint).
      const wanted = new Set([...`${def.message} ${def.hint ?? ''}`.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!));
      expect(Object.keys(args).sort(), `${key}: args of the example`).toEqual([...wanted].sort());
      const message = format(def.message, args);
      for (const p of sentenceProblems(message, def.message))
        problems.push(`${key} (${def.code}) message "${message}": ${p}`);
      if (def.hint !== undefined) {
        const hint = format(def.hint, args);
        for (const p of sentenceProblems(hint, def.hint)) problems.push(`${key} (${def.code}) hint "${hint}": ${p}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every message and hint in the invalid-spec corpus (specs/invalid/*.diag) is a sentence', () => {
    const byCode = new Map<string, DiagnosticDef>(Object.values(Diagnostics).map((d) => [d.code, d]));
    const dir = join(ROOT, 'specs', 'invalid');
    const goldens = readdirSync(dir).filter((f) => f.endsWith('.diag'));
    expect(goldens.length).toBeGreaterThanOrEqual(60);
    const problems: string[] = [];
    let messages = 0;
    let hints = 0;
    for (const f of goldens) {
      let def: DiagnosticDef | undefined;
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
        if (line === '') continue;
        const hint = /^ {4}hint: (.*)$/.exec(line);
        if (hint) {
          hints++;
          for (const p of sentenceProblems(hint[1]!, def?.hint ?? '')) problems.push(`${f}: hint "${hint[1]}": ${p}`);
          continue;
        }
        const m = /^\S+\(\d+,\d+\): (?:error|warning|info) (LSTM\d{4}): (.*)$/.exec(line);
        if (!m) {
          problems.push(`${f}: unexpected line ${JSON.stringify(line)}`);
          continue;
        }
        def = byCode.get(m[1]!);
        if (def === undefined) {
          problems.push(`${f}: unknown code ${m[1]}`);
          continue;
        }
        messages++;
        for (const p of sentenceProblems(m[2]!, def.message)) problems.push(`${f}: ${m[1]} "${m[2]}": ${p}`);
      }
    }
    expect(problems).toEqual([]);
    expect(messages).toBeGreaterThanOrEqual(goldens.length);
    expect(hints).toBeGreaterThan(0);
  });

  it('the sentence check rejects what it should', () => {
    expect(sentenceProblems('Unknown layer "LSTM".', '')).toEqual([]);
    expect(sentenceProblems('lstm expects a 3-D input.', '')).toEqual([]);
    expect(sentenceProblems('"epochs" must be an integer.', '')).toEqual([]);
    expect(sentenceProblems('YAML: Tabs are not allowed as indentation', 'YAML: {message}')).toEqual([]);
    expect(sentenceProblems('unknown layer "LSTM".', '')).not.toEqual([]);
    expect(sentenceProblems('Unknown layer "LSTM"', '')).not.toEqual([]);
    expect(sentenceProblems('Unknown layer "{name}".', '')).not.toEqual([]);
    expect(sentenceProblems('Unknown layer "undefined".', '')).not.toEqual([]);
    expect(sentenceProblems('YAML: ', 'YAML: {message}')).not.toEqual([]);
    expect(sentenceProblems('Cannot read x: permission denied', 'Cannot read {path}: {reason}.')).not.toEqual([]);
    expect(sentenceProblems('Two\nlines.', '')).not.toEqual([]);
  });
  it('codes sit in the range of their kind (1xxx syntax, 2xxx names/arguments, 3xxx shapes, 4xxx train/data)', () => {
    const syntax = [
      'UnexpectedToken',
      'UnterminatedString',
      'InvalidCharacter',
      'NestingTooDeep',
      'NoModel',
      'InvalidNumber',
      'BinaryFile',
    ];
    for (const k of syntax) expect(Diagnostics[k as keyof typeof Diagnostics].code.startsWith('LSTM1')).toBe(true);
    for (const k of ['RankMismatch', 'DimMismatch', 'AssertionFailed', 'ReshapeCount'])
      expect(Diagnostics[k as keyof typeof Diagnostics].code.startsWith('LSTM3')).toBe(true);
    for (const k of ['UnknownLoss', 'UnknownOptimizer', 'TargetShape'])
      expect(Diagnostics[k as keyof typeof Diagnostics].code.startsWith('LSTM4')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// "Every message is a sentence"

/**
 * Names of the language a message may start with in lower case (`lstm expects ...`,
 * `categoricalCrossentropy expects ...`, `initialState is only ...`): layers, their arguments, losses,
 * metrics, optimizers.
 */
const CODE_NAMES: ReadonlySet<string> = new Set([
  ...layerNames(),
  ...layerNames().flatMap((n) => Object.keys(getLayer(n)?.args ?? {})),
  ...Object.keys(LOSSES),
  ...Object.keys(METRIC_TABLE),
  ...Object.keys(OPTIMIZER_TABLE),
]);

/**
 * What makes `text` not a sentence: one trimmed line that starts with a capital letter, a quote
 * ("name", `code`) or a name of the language, ends with '.' or '?' — or, when its template ends in
 * `: {placeholder}` (foreign text such as the YAML parser's message), has content after that colon —
 * and has no unfilled `{placeholder}` and no `undefined` / `[object Object]` / `NaN` from a missing value.
 */
function sentenceProblems(text: string, template: string): string[] {
  const out: string[] = [];
  if (text.trim() === '') return ['empty'];
  if (text !== text.trim()) out.push('leading or trailing white space');
  if (/[\r\n]/.test(text)) out.push('more than one line');
  const first = /^[A-Za-z_$][\w$]*/.exec(text)?.[0];
  if (!/^[A-Z"`']/.test(text) && !(first !== undefined && CODE_NAMES.has(first))) {
    out.push('does not start with a capital letter, a quote or a name of the language');
  }
  const tail = /:\s*\{\w+\}$/.test(template) ? template.slice(0, template.lastIndexOf('{')) : undefined;
  if (tail !== undefined && /^[^{]*$/.test(tail) && text.startsWith(tail)) {
    if (text.slice(tail.length).trim() === '') out.push(`nothing after "${tail.trim()}"`);
  } else if (!/[.?]$/.test(text)) {
    out.push("does not end with '.' or '?'");
  }
  const left = /\{\w+\}/.exec(text);
  if (left) out.push(`unfilled placeholder ${left[0]}`);
  if (/\bundefined\b|\[object Object\]|\bNaN\b/.test(text))
    out.push('a missing value printed as undefined / [object Object] / NaN');
  return out;
}

/** Realistic args for every entry of the table (from specs/invalid/*.diag and the call sites). */
const MESSAGE_EXAMPLES: Readonly<Record<string, Readonly<Record<string, string | number>>>> = {
  UnexpectedToken: { found: '"returnSequences"', expected: '"," or ")"' },
  UnterminatedString: {},
  InvalidCharacter: { char: '"@"' },
  NestingTooDeep: { max: 64 },
  NoModel: {},
  InvalidNumber: { raw: '1e400', reason: 'it is too large to be a finite number' },
  BinaryFile: { what: 'NUL bytes' },
  InvalidEscape: { seq: '"\\d"' },
  YamlSyntax: { message: 'Plain value cannot start with reserved character @' },
  YamlDuplicateKey: { key: 'layers' },
  YamlAlias: {},
  YamlStructure: { message: '`layers` must be a list, e.g. `layers: [lstm: 25, dense: 10]`.' },
  YamlUnknownKey: { key: 'layer', where: 'a model', hint: 'Did you mean "layers"?' },
  UnknownLayer: { name: 'LSTM' },
  UnknownArgument: { what: 'Layer', layer: 'lstm', name: 'return_sequences' },
  ArgumentType: { name: 'returnSequences', layer: 'lstm', expected: 'true or false', got: '"yes"' },
  ArgumentRange: { name: 'rate', layer: 'dropout', range: '≥ 0 and < 1', got: 1.5 },
  MissingArgument: { layer: 'dense', name: 'units' },
  DuplicateArgument: { name: 'units' },
  TooManyPositional: { layer: 'dense', max: 1, got: 2 },
  UndefinedName: { name: 'encoded' },
  DuplicateName: { name: 'h' },
  UndefinedParam: { name: 'unit' },
  UnknownEnumValue: { value: 'softmx', what: 'activation' },
  NoInput: { model: 'VanillaEcho' },
  Cycle: { path: 'a -> b -> a' },
  DuplicateModel: { name: 'Echo' },
  NotAWrapper: { layer: 'bidirectional', inner: 'dense' },
  UnusedValue: { name: 'mask' },
  DestructureCount: { want: 2, got: 3 },
  ParamValue: { name: 'units', reason: 'expected a number, string, boolean or name, got a list' },
  InvalidModelName: {
    name: 'my model',
    reason: 'a model name must be an identifier (letters, digits, _; not starting with a digit)',
  },
  EmptyModel: { model: 'Empty' },
  UnsupportedLayer: { name: 'convLstm1d' },
  ConvRecurrentInitialState: { layer: 'convLstm2d' },
  RankMismatch: { layer: 'lstm', expected: '3-D', expectedShape: '[batch, timesteps, features]', got: '[batch, 20]' },
  DimMismatch: { what: 'concatenate inputs [batch, 10, 8] and [batch, 12, 4]', dim: 1, a: 10, b: 12 },
  AssertionFailed: { declared: '[batch, T, 93]', inferred: '[batch, 93]' },
  InitialStateMismatch: { message: 'Initial state h has shape [batch, 128], but lstm(256) needs [batch, 256].' },
  NonPositiveDim: { layer: 'conv2d', dim: -2, input: '[batch, 5, 5, 1]' },
  ReshapeCount: { from: '[batch, 25]', fromCount: 25, to: '[batch, 10, 10]', toCount: 100 },
  UndefinedDim: { layer: 'lstm', which: 'last (features)', got: '[batch, ?, ?]' },
  InvalidInputDim: { dim: -1, reason: 'dimensions must be positive' },
  SymbolMismatch: { what: 'concatenate inputs [batch, T, 8] and [batch, S, 4]', a: 'T', b: 'S' },
  InvalidPermutation: { dims: '[2, 1, 3]', rank: 2 },
  MultiOutputAsSingle: { layer: 'lstm', count: 3 },
  AxisOutOfRange: { axis: 3, shape: '[batch, T, 8]' },
  InputCount: { layer: 'concatenate', expected: 'at least 2', got: 1 },
  OutputIsNotTensor: { name: 'enc' },
  AttentionFeatureMismatch: {
    layer: 'attention',
    what: 'the query [batch, 9, 32]',
    a: 32,
    other: 'the key (the value)',
    b: 64,
  },
  AttentionLengthMismatch: { layer: 'multiHeadAttention', a: 12, b: 10 },
  MaskDropped: { source: 'masking_1 (line 3)', layer: 'flatten_1' },
  MaskedLoss: { output: 'tags', source: 'embedding_1 (line 3)' },
  MaskMerged: { merge: 'add_1', source: 'masking_1 (line 6)', reader: 'lstm_2 (line 10)' },
  MaskReversed: { reader: 'lstm_2 (line 5)', reverser: 'gru_1 (line 4)', source: 'masking_1 (line 3)' },
  MaskRefused: {
    layer: 'time_distributed_1',
    source: 'masking_1 (line 5)',
    reason: 'TF.js 4.22 hands the mask of the sequence to the wrapped lstm, which fails on it',
  },
  UnknownLoss: { name: 'categorical_crossentropy' },
  UnknownOptimizer: { name: 'adamw' },
  UnknownMetric: { name: 'accurracy' },
  UnknownTrainKey: { key: 'batch_size', block: 'train' },
  TrainValue: { key: 'epochs', expected: 'an integer ≥ 1', got: 0 },
  LossActivation: {
    loss: 'categoricalCrossentropy',
    expected: 'a softmax output',
    layer: 'time_distributed_1',
    activation: 'sigmoid',
  },
  TargetShape: { target: '[batch, 10]', output: '[batch, 5, 10]' },
  DataConfig: {
    message:
      'Unknown synthetic problem "sinus"; expected one of echo, sine, square, addition, cumsum, chars, rectangle.',
  },
  ClipBoth: {},
  DataInputShape: { data: '[batch, 100, 1]', name: 'x', input: '[batch, 50, 1]' },
  DataFileMissing: { source: 'CSV', path: 'airline.csv', absolute: 'specs/airline.csv' },
  StatefulTarget: { name: 'lstm_1', target: 'pytorch' },
  LossOutputCount: { key: 'loss', got: 3, model: 'TwoHeads', outputs: 2 },
  LossUnknownOutput: { key: 'lossWeights', name: 'valeu', model: 'TwoHeads' },
  LossMissingOutput: { key: 'loss', name: 'label' },
  DataMultiOutput: { model: 'TwoHeads', outputs: 2 },
  StatefulWithoutBatch: { name: 'lstm_1', input: 'x' },
  InputBatchMismatch: { name: 'b', batch: 32, other: 'a', otherBatch: 16 },
  InvalidBatch: { value: '0', name: 'x', reason: 'a batch size must be positive' },
  TrainBatchMismatch: { batchSize: 32, input: 'x', batch: 25 },
  StatefulShuffle: { name: 'lstm_1' },
  CausalPaddingNot1d: { layer: 'conv2d' },
  ImportJson: { message: 'Unexpected end of input at line 3' },
  ImportTooLarge: { size: 70000000, max: 67108864 },
  ImportFormat: { message: 'it has no "class_name" and no "modelTopology"' },
  ImportMissingField: { field: 'config.layers', where: 'the Sequential model' },
  ImportUnknownClass: { layer: 'attention_1', className: 'MyAttention' },
  ImportUnsupportedLayer: {
    layer: 'lambda_1',
    className: 'Lambda',
    reason: 'Lambda layers run arbitrary Python code.',
  },
  ImportUnsupportedConfig: {
    layer: 'lstm_1',
    className: 'LSTM',
    key: 'kernel_regularizer',
    value: 'L1L2',
    hint: 'Regularizers are not part of lstmc.',
  },
  ImportValue: { layer: 'lstm_1', className: 'LSTM', key: 'units', expected: 'an integer ≥ 1', got: '"many"' },
  ImportDtype: { layer: 'dense_1', dtype: 'float16' },
  ImportHardSigmoid: { layer: 'lstm', className: 'LSTM', key: 'recurrent_activation' },
  ImportGraph: { layer: 'dense_2', message: 'it reads from "dense_9", which is not a layer of the model' },
  ImportMask: { layer: 'lstm_1', className: 'LSTM', what: 'an explicit mask' },
  ImportNoWeights: { why: 'it is a Keras model.to_json(), which holds the architecture only' },
  ImportWeightsFile: { path: 'group1-shard1of1.bin', reason: 'no such file next to model/model.json' },
  ImportWeightShape: {
    weight: 'lstm/lstm_cell/kernel',
    layer: 'lstm',
    got: '[8, 24]',
    target: 'lstm_1',
    expected: '[8, 28]',
  },
  ImportWeightsLayers: { message: 'weight "mystery/kernel" belongs to no layer of the model' },
  ImportRunDir: { dir: 'runs/imported', reason: 'it already holds a run (replace it with --force)' },
  ImportWeightsDiffer: { diff: '3.10e-1', what: '1 fixed input(s) of shape [2, 12]' },
  Internal: { message: 'YAML front end: Maximum call stack size exceeded' },
  FileRead: { path: 'specs/missing.lstm', reason: 'no such file' },
};
