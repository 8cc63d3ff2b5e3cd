/**
 * Property tests over the whole checking pipeline (`checkSource`: front end + lowering + checks), for
 * both spellings: random text, token soups from the language's vocabulary, and mutations of the six
 * reference specs (lines deleted / duplicated / swapped, numbers changed to 0, -1, 1e400, 1.5, ...,
 * identifiers renamed, truncation, stray characters).
 *
 * For every input: checkSource never throws, never reports LSTM9001 (an internal error is a bug, not
 * a diagnosis), and every diagnostic is located inside the file (1 <= line <= lines, column >= 1,
 * the end not before the start) with a known severity and a code of the table.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import { Diagnostics } from '../base/diagnostics.js';

const SPECS = join(import.meta.dirname, '..', 'specs');
const reference = (ext: string): { name: string; text: string }[] =>
  readdirSync(SPECS)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => ({ name: f, text: readFileSync(join(SPECS, f), 'utf8') }));
const LSTM_SPECS = reference('.lstm');
const YAML_SPECS = reference('.yaml');
/** The wrong specs too (graph form, initialState, returnState, data blocks...), minus the huge and binary ones. */
const corpus = (ext: string): { name: string; text: string }[] => {
  const dir = join(SPECS, 'invalid');
  return readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => ({ name: `invalid/${f}`, text: readFileSync(join(dir, f), 'latin1') }))
    .filter((s) => s.text.length < 5000 && !s.text.includes('\u0000'));
};
const LSTM_SEEDS = [...LSTM_SPECS, ...corpus('.lstm')];
const YAML_SEEDS = [...YAML_SPECS, ...corpus('.yaml')];

const CODES = new Set<string>(Object.values(Diagnostics).map((d) => d.code));
const RUNS = Number(process.env.PROP_RUNS ?? 400);

// ---------------------------------------------------------------- time, relative to a reference spec
//
// No absolute limits (a loaded CI machine is 10x slower): an input's check time is compared with the
// check time of a reference spec of the same spelling, measured in the same run, per character.
// Checking is linear, so a healthy input stays within a small factor; a pathological one (backtracking,
// a quadratic pass, a cascade of diagnostics) is hundreds of times off.

/** How much slower per character than the reference an input may be. */
const MAX_SLOWDOWN = 100;
/** First measurements above this factor are measured again, alternating with the reference. */
const SUSPECT = 20;

function elapsed(f: () => unknown): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

interface TimingReference {
  name: string;
  text: string;
  file: string;
  /** Best-of time measured when the suite loads (only decides whether to measure again). */
  ms: number;
}

function timingReference(specs: { name: string; text: string }[]): TimingReference {
  const spec = [...specs].sort((a, b) => b.text.length - a.text.length)[0]!;
  const run = () => checkSource(spec.text, spec.name);
  for (let i = 0; i < 5; i++) run(); // warm up
  return { ...spec, file: spec.name, ms: Math.min(...Array.from({ length: 7 }, () => elapsed(run))) };
}

const TIMING = { lstm: timingReference(LSTM_SPECS), yaml: timingReference(YAML_SPECS) };

/** Undefined when checking `source` took a time in line with its length; else what happened. */
function slowness(source: string, file: string, firstMs: number): string | undefined {
  const ref = /\.ya?ml$/i.test(file) ? TIMING.yaml : TIMING.lstm;
  const scale = Math.max(1, source.length / ref.text.length);
  if (firstMs <= SUSPECT * scale * Math.max(ref.ms, 0.05)) return undefined;
  // Suspicious (or just a GC pause): the best of five, alternating with the reference under the same load.
  let best = Infinity;
  let bestRef = Infinity;
  for (let i = 0; i < 5; i++) {
    best = Math.min(
      best,
      elapsed(() => checkSource(source, file)),
    );
    bestRef = Math.min(
      bestRef,
      elapsed(() => checkSource(ref.text, ref.file)),
    );
  }
  const ratio = best / (scale * Math.max(bestRef, 0.05));
  if (ratio <= MAX_SLOWDOWN) return undefined;
  return `took ${best.toFixed(1)} ms, ${ratio.toFixed(0)}x the time per character of ${ref.name} (${bestRef.toFixed(2)} ms)`;
}

/** Lines as the front ends count them (\r\n, \r and \n all end a line). */
function lineCount(text: string): number {
  return text.split(/\r\n|\r|\n/).length;
}

/** Checks one source; returns a description of the first broken invariant, or undefined. */
function violation(source: string, file: string): string | undefined {
  const t0 = performance.now();
  let res: ReturnType<typeof checkSource>;
  try {
    res = checkSource(source, file);
  } catch (e) {
    return `threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  }
  const slow = slowness(source, file, performance.now() - t0);
  if (slow !== undefined) return slow;
  const lines = lineCount(source);
  for (const d of res.diagnostics) {
    const where = `${d.code} at ${d.line}:${d.column}-${d.endLine}:${d.endColumn} (${d.message})`;
    if (d.code === 'LSTM9001') return `internal error: ${d.message}`;
    if (!CODES.has(d.code)) return `unknown code ${where}`;
    if (d.severity !== 'error' && d.severity !== 'warning' && d.severity !== 'info') return `bad severity ${where}`;
    if (!Number.isInteger(d.line) || d.line < 1 || d.line > lines)
      return `line outside the file (${lines} lines): ${where}`;
    if (!Number.isInteger(d.column) || d.column < 1) return `column < 1: ${where}`;
    if (d.endLine < d.line || (d.endLine === d.line && d.endColumn < d.column)) return `end before start: ${where}`;
    if (d.file !== file) return `wrong file ${d.file}: ${where}`;
    if (typeof d.message !== 'string' || d.message === '') return `empty message: ${where}`;
    // A `{placeholder}` left in a message (unless the user's own text has those characters).
    const left = [...d.message.matchAll(/\{\w+\}/g)].find((m) => !source.includes(m[0]));
    if (left) return `unfilled placeholder ${left[0]}: ${where}`;
  }
  return undefined;
}

function holds(source: string, file: string): boolean {
  const v = violation(source, file);
  if (v !== undefined)
    throw new Error(`${v}\n--- ${file} ---\n${source.length > 2000 ? source.slice(0, 2000) + '...' : source}`);
  return true;
}

// ---------------------------------------------------------------- generators

const LSTM_VOCAB = [
  'model',
  'param',
  'input',
  'let',
  'output',
  'train',
  'data',
  'true',
  'false',
  'lstm',
  'gru',
  'simpleRNN',
  'dense',
  'dropout',
  'timeDistributed',
  'bidirectional',
  'repeatVector',
  'conv1d',
  'conv2d',
  'maxPooling2d',
  'flatten',
  'reshape',
  'permute',
  'embedding',
  'concatenate',
  'batchNormalization',
  'LSTM',
  'Dense',
  'foo',
  'x',
  'h',
  'c',
  '_',
  'T',
  'S',
  'returnSequences',
  'returnState',
  'initialState',
  'units',
  'activation',
  'mergeMode',
  'axis',
  'kernelSize',
  'softmax',
  'relu',
  'sigmoid',
  'concat',
  'loss',
  'optimizer',
  'adam',
  'metrics',
  'epochs',
  'synthetic',
  'echo',
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  ',',
  ':',
  ';',
  '=',
  '->',
  '?',
  '$x',
  '$units',
  '#',
  '# comment\n',
  '0',
  '1',
  '-1',
  '25',
  '1.5',
  '1e400',
  '1e-400',
  '99999999999999999999',
  '0.001',
  '-0',
  '"s"',
  '"unterminated',
  '"\\q"',
  '"\\u{110000}"',
  '@',
  '`',
  '\u00e9',
  '\u{1F600}',
  '\\',
  ' ',
  ' ',
  ' ',
  '\n',
  '\n',
  '\r\n',
  '\r',
  '\t',
];

const YAML_VOCAB = [
  'model: ',
  'inputs:',
  'layers:',
  'graph:',
  'outputs:',
  'params:',
  'train:',
  'data:',
  'layer:',
  'let: ',
  'from: ',
  '- ',
  '-',
  ': ',
  ':',
  '{',
  '}',
  '[',
  ']',
  ', ',
  '---\n',
  '...\n',
  '&a ',
  '*a',
  '!!str ',
  '!tag ',
  '? ',
  '|\n',
  '>\n',
  'lstm',
  'dense',
  'timeDistributed',
  'bidirectional',
  'concatenate',
  'LSTM',
  'units',
  'returnSequences',
  'returnState',
  'initialState',
  'activation',
  'softmax',
  'mergeMode',
  'x',
  'h',
  '$x',
  '$units',
  'T',
  '?',
  'loss',
  'optimizer',
  'adam',
  'epochs',
  'synthetic',
  'echo',
  '0',
  '1',
  '-1',
  '25',
  '1.5',
  '1e400',
  '.inf',
  '.nan',
  '0x1F',
  '99999999999999999999',
  'null',
  '~',
  'true',
  'yes',
  '"s"',
  '"unterminated',
  "'q'",
  '"\\d"',
  '# c',
  '%YAML 1.2\n',
  '@',
  '`',
  ' ',
  ' ',
  '  ',
  '    ',
  '\n',
  '\n',
  '\n  ',
  '\n    ',
  '\t',
  '\r\n',
];

const soup = (vocab: string[]) => fc.array(fc.constantFrom(...vocab), { maxLength: 120 }).map((ts) => ts.join(''));

/** Text that starts like a spec so the front end gets past the first line. */
const lstmSoup = fc
  .tuple(fc.boolean(), soup(LSTM_VOCAB))
  .map(([prefix, s]) => (prefix ? `model M {\n  input x: [5, 10]\n${s}` : s));
const yamlSoup = fc
  .tuple(fc.boolean(), soup(YAML_VOCAB))
  .map(([prefix, s]) => (prefix ? `model: M\ninputs:\n  x: [5, 10]\n${s}` : s));

const NUMBERS = ['0', '-1', '1e400', '1.5', '-0.5', '99999999999999999999', '1e-400', '65', '2', '100000'];
const NAMES = [
  'x',
  'y',
  '_',
  'T',
  'lstm',
  'LSTM',
  'dense',
  'model',
  'input',
  'let',
  'foo',
  'returnSequences',
  '$x',
  '$vocab',
  'a b',
  '',
];

type Mutation =
  | { op: 'delete'; at: number }
  | { op: 'duplicate'; at: number }
  | { op: 'swap'; at: number; with: number }
  | { op: 'number'; nth: number; value: string }
  | { op: 'rename'; nth: number; value: string }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'indent'; at: number; by: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ op: fc.constant('number' as const), nth: fc.nat(), value: fc.constantFrom(...NUMBERS) }),
  fc.record({ op: fc.constant('rename' as const), nth: fc.nat(), value: fc.constantFrom(...NAMES) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(
      '(',
      ')',
      '[',
      ']',
      '{',
      '}',
      ',',
      ':',
      '"',
      '#',
      '\t',
      '\n',
      '-',
      '&a',
      '*a',
      '->',
      '\u0000',
      '\uFFFD',
    ),
  }),
  fc.record({ op: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
);

function replaceNth(text: string, re: RegExp, nth: number, value: string): string {
  const matches = [...text.matchAll(re)];
  if (matches.length === 0) return text;
  const m = matches[nth % matches.length]!;
  return text.slice(0, m.index) + value + text.slice(m.index! + m[0].length);
}

function applyMutation(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const i = lines.length > 0 ? ('at' in m ? m.at : 0) % lines.length : 0;
  switch (m.op) {
    case 'delete':
      lines.splice(i, 1);
      return lines.join('\n');
    case 'duplicate':
      lines.splice(i, 0, lines[i] ?? '');
      return lines.join('\n');
    case 'swap': {
      const j = m.with % lines.length;
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join('\n');
    }
    case 'number':
      return replaceNth(text, /-?\d+(\.\d+)?([eE][-+]?\d+)?/g, m.nth, m.value);
    case 'rename':
      return replaceNth(text, /\$?[A-Za-z_][A-Za-z0-9_]*/g, m.nth, m.value);
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'indent': {
      const l = lines[i] ?? '';
      lines[i] = m.by >= 0 ? ' '.repeat(m.by) + l : l.replace(new RegExp(`^ {0,${-m.by}}`), '');
      return lines.join('\n');
    }
  }
}

const mutated = (specs: { name: string; text: string }[]) =>
  fc
    .tuple(fc.constantFrom(...specs), fc.array(mutation, { minLength: 1, maxLength: 5 }))
    .map(([spec, ms]) => ({ name: spec.name, text: ms.reduce(applyMutation, spec.text) }));

// ---------------------------------------------------------------- properties

describe('checkSource on arbitrary input never crashes and locates every diagnostic', () => {
  it('has reference specs to mutate', () => {
    expect(LSTM_SPECS.length).toBeGreaterThanOrEqual(6);
    expect(YAML_SPECS.length).toBeGreaterThanOrEqual(6);
    expect(LSTM_SEEDS.length).toBeGreaterThan(LSTM_SPECS.length);
  });

  for (const ext of ['lstm', 'yaml'] as const) {
    const file = `prop.${ext}`;
    it(`random strings (.${ext})`, () => {
      fc.assert(
        fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 })), (s) =>
          holds(s, file),
        ),
        { numRuns: RUNS },
      );
    });
  }

  it('token soups from the .lstm vocabulary', () => {
    fc.assert(
      fc.property(lstmSoup, (s) => holds(s, 'soup.lstm')),
      { numRuns: RUNS },
    );
  });

  it('token soups from the YAML vocabulary', () => {
    fc.assert(
      fc.property(yamlSoup, (s) => holds(s, 'soup.yaml')),
      { numRuns: RUNS },
    );
  });

  it('mutations of the .lstm reference and wrong specs', () => {
    fc.assert(
      fc.property(mutated(LSTM_SEEDS), ({ name, text }) => holds(text, `mut/${name}`)),
      { numRuns: RUNS },
    );
  });

  it('mutations of the YAML reference and wrong specs', () => {
    fc.assert(
      fc.property(mutated(YAML_SEEDS), ({ name, text }) => holds(text, `mut/${name}`)),
      { numRuns: RUNS },
    );
  });

  it('YAML specs read with the .lstm front end and the other way round', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LSTM_SPECS, ...YAML_SPECS), fc.nat(), (spec, cut) => {
        const text = spec.text.slice(0, cut % (spec.text.length + 1));
        return holds(text, spec.name.endsWith('.lstm') ? 'swapped.yaml' : 'swapped.lstm');
      }),
      { numRuns: 100 },
    );
  });

  it('every unmutated reference spec checks clean (sanity of the harness)', () => {
    for (const s of [...LSTM_SPECS, ...YAML_SPECS]) {
      expect(checkSource(s.text, s.name).diagnostics, s.name).toEqual([]);
    }
  });
});
