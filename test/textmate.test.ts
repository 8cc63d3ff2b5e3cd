/**
 * The `.lstm` TextMate grammar (editors/vscode/syntaxes/lstm.tmLanguage.json) under the engine VS Code
 * runs: vscode-textmate with the oniguruma WebAssembly regex engine. The committed file is the
 * generator's output (UPDATE_GOLDEN=1 rewrites it); every token class gets its scope in the
 * reference specs and a few graph-form lines; every layer, activation and initializer of the tables
 * is highlighted as one; no character of a reference spec is left unscoped.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';
import { ACTIVATIONS, INITIALIZERS, layerNames } from '../compiler/layers/table.js';
import { LOSSES, OPTIMIZER_TABLE } from '../compiler/train.js';
import { lstmTmLanguageText } from '../cli/lsp/textmate.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const GRAMMAR = path.join(ROOT, 'editors/vscode/syntaxes/lstm.tmLanguage.json');
const SPECS = path.join(ROOT, 'specs');

let grammar: vsctm.IGrammar;

beforeAll(async () => {
  const require = createRequire(import.meta.url);
  const wasm = readFileSync(path.join(path.dirname(require.resolve('vscode-oniguruma')), 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) =>
      scopeName === 'source.lstm' ? vsctm.parseRawGrammar(readFileSync(GRAMMAR, 'utf8'), GRAMMAR) : null,
  });
  grammar = (await registry.loadGrammar('source.lstm'))!;
});

interface Token {
  text: string;
  /** The innermost scope. */
  scope: string;
  line: number;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let state = vsctm.INITIAL;
  text.split('\n').forEach((line, i) => {
    const r = grammar.tokenizeLine(line, state);
    r.tokens.forEach((t) => {
      const s = line.slice(t.startIndex, t.endIndex);
      if (s.trim() !== '') out.push({ text: s.trim(), scope: t.scopes[t.scopes.length - 1]!, line: i });
    });
    state = r.ruleStack;
  });
  return out;
}

const scopeOf = (tokens: Token[], text: string, nth = 0): string | undefined =>
  tokens.filter((t) => t.text === text)[nth]?.scope;

describe('the TextMate grammar', () => {
  it('is the generator`s output (generated from the layer and train tables)', () => {
    const want = lstmTmLanguageText();
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GRAMMAR, want);
    expect(readFileSync(GRAMMAR, 'utf8')).toBe(want);
  });

  /** [file or inline source, token text, occurrence, expected scope]: one row per token class at least. */
  const graph = [
    'model Translate {',
    '  param units = 256',
    '  input source: [?, 93]',
    '  input target: [T, 93]',
    '  let [_, h, c] = source -> lstm($units, returnState: true)   # encoder',
    '  let decoded: [T, 93] = target -> lstm(units, returnSequences: true, initialState: [h, c])',
    '  let probs = decoded -> timeDistributed(dense(93, activation: softmax, kernelInitializer: heNormal))',
    '  let both = [h, c] -> concatenate()',
    '  output probs',
    '  train { optimizer: adam(learningRate: 1e-3, epsilon: .5) }',
    '  data { csv: "prices\\tfile.csv" }',
    '  input stream: [1, 2] batch 4',
    '}',
  ].join('\n');
  const rows: [string, string, number, string][] = [
    ['stacked.lstm', '#', 0, 'punctuation.definition.comment.lstm'],
    [
      'stacked.lstm',
      'Stacked LSTM: a damped sine wave. 50 steps in, the next 5 values out.',
      0,
      'comment.line.number-sign.lstm',
    ],
    ['stacked.lstm', 'model', 0, 'keyword.other.model.lstm'],
    ['stacked.lstm', 'StackedSine', 0, 'entity.name.type.model.lstm'],
    ['stacked.lstm', '{', 0, 'punctuation.section.block.begin.lstm'],
    ['stacked.lstm', '}', 0, 'punctuation.section.block.end.lstm'],
    ['stacked.lstm', 'input', 0, 'keyword.other.input.lstm'],
    ['stacked.lstm', 'x', 0, 'variable.other.definition.lstm'],
    ['stacked.lstm', ':', 0, 'punctuation.separator.key-value.lstm'],
    ['stacked.lstm', '[', 0, 'punctuation.section.brackets.begin.lstm'],
    ['stacked.lstm', ']', 0, 'punctuation.section.brackets.end.lstm'],
    ['stacked.lstm', '50', 0, 'constant.numeric.lstm'],
    ['stacked.lstm', ',', 0, 'punctuation.separator.comma.lstm'],
    ['stacked.lstm', 'lstm', 0, 'support.function.layer.lstm'],
    ['stacked.lstm', '(', 0, 'punctuation.section.parens.begin.lstm'],
    ['stacked.lstm', ')', 0, 'punctuation.section.parens.end.lstm'],
    ['stacked.lstm', 'returnSequences', 0, 'variable.parameter.argument.lstm'],
    ['stacked.lstm', 'true', 0, 'constant.language.boolean.lstm'],
    ['stacked.lstm', 'dense', 0, 'support.function.layer.lstm'],
    ['stacked.lstm', 'train', 0, 'keyword.other.train.lstm'],
    ['stacked.lstm', 'loss', 0, 'support.type.property-name.lstm'],
    ['stacked.lstm', 'mae', 0, 'support.constant.loss.lstm'],
    ['stacked.lstm', 'adam', 0, 'support.function.optimizer.lstm'],
    ['stacked.lstm', 'data', 0, 'keyword.other.data.lstm'],
    ['stacked.lstm', 'synthetic', 0, 'support.type.property-name.lstm'],
    ['bidirectional.lstm', 'bidirectional', 0, 'support.function.layer.lstm'],
    ['bidirectional.lstm', 'mergeMode', 0, 'variable.parameter.argument.lstm'],
    ['bidirectional.lstm', 'concat', 0, 'support.constant.enum.lstm'],
    ['bidirectional.lstm', 'sigmoid', 0, 'support.constant.activation.lstm'],
    ['bidirectional.lstm', 'accuracy', 0, 'support.constant.metric.lstm'],
    ['generative.lstm', 'param', 0, 'keyword.other.param.lstm'],
    ['generative.lstm', 'vocab', 0, 'variable.other.constant.definition.lstm'],
    ['generative.lstm', '=', 0, 'keyword.operator.assignment.lstm'],
    ['generative.lstm', 'window', 1, 'variable.other.lstm'],
    ['generative.lstm', 'rmsprop', 0, 'support.function.optimizer.lstm'],
    ['generative.lstm', 'learningRate', 0, 'variable.parameter.argument.lstm'],
    ['generative.lstm', '0.01', 0, 'constant.numeric.lstm'],
    ['graph', 'let', 0, 'keyword.other.let.lstm'],
    ['graph', 'batch', 0, 'keyword.other.batch.lstm'],
    ['graph', 'stream', 0, 'variable.other.definition.lstm'],
    ['graph', '_', 0, 'variable.other.definition.lstm'],
    ['graph', 'h', 0, 'variable.other.definition.lstm'],
    ['graph', '?', 0, 'constant.language.unknown-dimension.lstm'],
    ['graph', 'T', 0, 'variable.other.lstm'],
    ['graph', '->', 0, 'keyword.operator.chain.lstm'],
    ['graph', '$units', 0, 'variable.other.param.lstm'],
    ['graph', 'encoder', 0, 'comment.line.number-sign.lstm'],
    ['graph', 'decoded', 0, 'variable.other.definition.lstm'],
    ['graph', 'initialState', 0, 'variable.parameter.argument.lstm'],
    ['graph', 'h', 1, 'variable.other.lstm'],
    ['graph', 'heNormal', 0, 'support.constant.initializer.lstm'],
    ['graph', 'timeDistributed', 0, 'support.function.layer.lstm'],
    ['graph', 'concatenate', 0, 'support.function.layer.lstm'],
    ['graph', 'output', 0, 'keyword.other.output.lstm'],
    ['graph', '1e-3', 0, 'constant.numeric.lstm'],
    ['graph', '.5', 0, 'constant.numeric.lstm'],
    ['graph', '"', 0, 'string.quoted.double.lstm'],
    ['graph', '\\t', 0, 'constant.character.escape.lstm'],
    ['graph', 'csv', 0, 'support.type.property-name.lstm'],
  ];

  it('gives every token class its scope (reference specs and graph-form lines)', () => {
    const tokensOf = new Map<string, Token[]>();
    const get = (src: string): Token[] => {
      if (!tokensOf.has(src))
        tokensOf.set(src, tokenize(src === 'graph' ? graph : readFileSync(path.join(SPECS, src), 'utf8')));
      return tokensOf.get(src)!;
    };
    const wrong = rows
      .map(([src, text, nth, scope]) => [src, text, nth, scope, scopeOf(get(src), text, nth)] as const)
      .filter(([, , , want, got]) => got !== want)
      .map(([src, text, nth, want, got]) => `${src}: ${JSON.stringify(text)}#${nth}: want ${want}, got ${got}`);
    expect(wrong).toEqual([]);
    // The rows cover every scope the grammar can give.
    const named = new Set([...readFileSync(GRAMMAR, 'utf8').matchAll(/"name": "([^"$]+\.lstm)"/g)].map((m) => m[1]!));
    const tested = new Set(rows.map((r) => r[3]));
    const untested = [...named].filter((s) => !tested.has(s) && s !== 'entity.name.function.lstm');
    expect(untested).toEqual([]);
  });

  it('names every layer, activation, initializer, loss and optimizer of the tables as one', () => {
    const bad: string[] = [];
    const check = (line: string, word: string, scope: string): void => {
      const got = scopeOf(tokenize(line), word);
      if (got !== scope) bad.push(`${line}: ${word} is ${got}`);
    };
    for (const l of layerNames()) check(`  ${l}(1)`, l, 'support.function.layer.lstm');
    for (const a of ACTIVATIONS) check(`  dense(1, activation: ${a})`, a, 'support.constant.activation.lstm');
    for (const i of INITIALIZERS) check(`  dense(1, kernelInitializer: ${i})`, i, 'support.constant.initializer.lstm');
    for (const l of Object.keys(LOSSES)) check(`  loss: ${l}`, l, 'support.constant.loss.lstm');
    for (const o of Object.keys(OPTIMIZER_TABLE)) check(`  optimizer: ${o}(0.1)`, o, 'support.function.optimizer.lstm');
    check('  myLayer(3)', 'myLayer', 'entity.name.function.lstm');
    expect(bad).toEqual([]);
  });

  it('leaves no character of a reference spec unscoped, and a string never runs past its line', () => {
    for (const f of readdirSync(SPECS).filter((x) => x.endsWith('.lstm'))) {
      const bare = tokenize(readFileSync(path.join(SPECS, f), 'utf8')).filter((t) => t.scope === 'source.lstm');
      expect(bare, f).toEqual([]);
    }
    const t = tokenize('  dense(1, name: "open\n  lstm(2)');
    expect(scopeOf(t, 'lstm')).toBe('support.function.layer.lstm');
  });
});
