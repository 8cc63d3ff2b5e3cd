/**
 * Lossless `lstmc convert` (compiler/convert.ts, grammar/yaml-print.ts, grammar/format.ts).
 *
 * - The six reference specs: `.lstm -> YAML -> .lstm` gives the file back byte for byte; `YAML ->
 *   .lstm -> YAML` keeps the model and every comment; every conversion is lossless and its `.lstm`
 *   output is already formatted.
 * - Goldens: test/fixtures/convert/*.lstm -> `.yaml.golden`, *.yaml -> `.lstm.golden`
 *   (UPDATE_GOLDEN=1 rewrites them), each converting back to the same IR with every comment.
 * - Property (fast-check): random architectures re-laid-out with random comments convert to YAML and
 *   back losslessly: same IR, same comments, same `let` names.
 * - A model YAML cannot hold exactly (bare layer lines and `let` steps alternating) falls back to
 *   the IR printer: the same model, `lossless: false`, and the CLI says what was not carried over.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { comparableModels, convertSpec } from '../compiler/convert.js';
import { checkSource } from '../compiler/index.js';
import type { IRModel } from '../compiler/ir.js';
import { printLstm, printYaml } from '../compiler/print.js';
import { formatSource, lstmComments } from '../grammar/format.js';
import { formatOf, type SpecFormat } from '../grammar/index.js';
import { yamlComments } from '../grammar/yaml-print.js';
import { randFunctional, randSequential, rng } from './helpers/random-arch.js';
import { relayout } from './helpers/relayout.js';
import { runCli } from './helpers/cli.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SPECS = path.join(ROOT, 'specs');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'convert');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const other = (f: SpecFormat): SpecFormat => (f === 'yaml' ? 'lstm' : 'yaml');

function models(text: string, format: SpecFormat): IRModel[] {
  const r = checkSource(text, `x.${format}`, { format });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`does not check:\n${text}\n${JSON.stringify(errors, null, 1)}`);
  return r.models;
}

function comments(text: string, format: SpecFormat): string[] {
  return (format === 'yaml' ? yamlComments(text) : lstmComments(text)).map((c) => c.text).sort();
}

/** Convert and check what must hold for every lossless conversion; returns the text. */
function convert(text: string, from: SpecFormat, to: SpecFormat = other(from)): string {
  const before = models(text, from);
  const r = convertSpec(text, `x.${from}`, from, to, before);
  expect(r.lossless, `not lossless:\n${text}\n---\n${r.text}`).toBe(true);
  expect(comparableModels(models(r.text, to))).toBe(comparableModels(before));
  expect(comments(r.text, to)).toEqual(comments(text, from));
  if (to === 'lstm') expect(formatSource(r.text, 'x.lstm').text).toBe(r.text);
  return r.text;
}

describe('the reference specs', () => {
  for (const f of readdirSync(SPECS).filter((x) => /\.(lstm|yaml)$/.test(x))) {
    const from = formatOf(f)!;
    it(`${f}: to ${other(from)} and back`, () => {
      const text = readFileSync(path.join(SPECS, f), 'utf8');
      const there = convert(text, from);
      const back = convert(there, other(from));
      if (from === 'lstm') expect(back).toBe(text);
      // A second trip changes nothing more.
      expect(convert(convert(back, from), other(from))).toBe(back);
    });
  }
});

describe('goldens (test/fixtures/convert)', () => {
  const inputs = readdirSync(FIXTURES).filter((f) => /\.(lstm|yaml)$/.test(f));
  it('has fixtures in both spellings', () => {
    expect(inputs.some((f) => f.endsWith('.lstm'))).toBe(true);
    expect(inputs.some((f) => f.endsWith('.yaml'))).toBe(true);
  });
  for (const f of inputs) {
    const from = formatOf(f)!;
    it(f, () => {
      const text = readFileSync(path.join(FIXTURES, f), 'utf8');
      const out = convert(text, from);
      const golden = path.join(FIXTURES, `${f.replace(/\.(lstm|yaml)$/, '')}.${other(from)}.golden`);
      if (UPDATE) writeFileSync(golden, out);
      expect(out).toBe(readFileSync(golden, 'utf8'));
      convert(out, other(from));
    });
  }
  it('keeps let names, destructuring, typed lets and $params in YAML', () => {
    const yaml = convert(readFileSync(path.join(FIXTURES, 'translate.lstm'), 'utf8'), 'lstm');
    expect(yaml).toContain('{let: [_, h, c], from: source,');
    expect(yaml).toContain('shape: [T, 93]');
    expect(yaml).toContain('units: $units');
    expect(yaml).toContain('initialState: [h, c]');
  });
});

describe('property: random architectures with random comments', () => {
  const r = rng(20261203);
  const corpus = [
    ...Array.from({ length: 15 }, (_, i) => printLstm(randSequential(r, i), { names: 'all' })),
    ...Array.from({ length: 15 }, (_, i) => printLstm(randFunctional(r, i))),
  ];
  it(`${corpus.length} models: .lstm -> YAML -> .lstm is lossless`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: corpus.length - 1 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        (which, choices) => {
          const text = relayout(corpus[which]!, choices);
          const yaml = convert(text, 'lstm');
          const back = convert(yaml, 'yaml');
          // Back in .lstm, it is the formatted original (the reference layout, same lets and comments).
          expect(comparableModels(models(back, 'lstm'))).toBe(comparableModels(models(text, 'lstm')));
          expect(convert(back, 'lstm')).toBe(yaml);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('property: YAML with random comments', () => {
  const r = rng(20261204);
  const corpus = [
    ...Array.from({ length: 10 }, (_, i) => printYaml(randSequential(r, i))),
    ...Array.from({ length: 10 }, (_, i) => printYaml(randFunctional(r, i))),
    ...readdirSync(SPECS)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => readFileSync(path.join(SPECS, f), 'utf8')),
  ];
  /** Comments after some lines (` # t3`) and on lines of their own (indented like the next line). */
  const withComments = (text: string, choices: readonly number[]): string =>
    text
      .split('\n')
      .map((line, i) => {
        const c = choices[i % choices.length]! % 4;
        if (line.trim() === '' || line.startsWith('---')) return line;
        const indent = /^\s*/.exec(line)![0].replace('- ', '  ');
        if (c === 1 && !/#/.test(line)) return `${line}  # t${i}`;
        if (c === 2) return `${indent}# o${i}\n${line}`;
        return line;
      })
      .join('\n');
  it(`${corpus.length} YAML specs: YAML -> .lstm -> YAML is lossless`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: corpus.length - 1 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 30 }),
        (which, choices) => {
          const yaml = withComments(corpus[which]!, choices);
          const lstm = convert(yaml, 'yaml');
          convert(lstm, 'lstm');
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('what YAML cannot hold exactly', () => {
  const mixed = `# bare layers after a let, then a let again
model Mixed {
  input x: [10, 4]
  let h = x -> lstm(8, returnSequences: true)
  lstm(8)                             # continues from h
  let y = h -> lstm(4)
  output y
}
`;
  it('falls back to the checked model: same IR, lossless false', () => {
    const before = models(mixed, 'lstm');
    const r = convertSpec(mixed, 'mixed.lstm', 'lstm', 'yaml', before);
    expect(r.lossless).toBe(false);
    expect(comparableModels(models(r.text, 'yaml'))).toBe(comparableModels(before));
  });
});

describe('lstmc convert (CLI)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lstmc-convert-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[], input = '') => runCli(['convert', ...args], { cwd: dir, input });

  it('keeps comments both ways, -o writes atomically', () => {
    const src = path.join(SPECS, 'generative.lstm');
    const out = run([src, '-o', 'gen.yaml']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toBe('');
    const yaml = readFileSync(path.join(dir, 'gen.yaml'), 'utf8');
    expect(yaml).toContain('vocab: 40                   # distinct characters (override with --param vocab=...)');
    expect(readdirSync(dir).filter((f) => f.startsWith('.lstmc-tmp'))).toEqual([]);
    const back = run(['gen.yaml']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toBe(readFileSync(src, 'utf8'));
  });

  it('--to the same spelling formats it', () => {
    const r = run(['-', '--to', 'lstm'], 'model M {  input x: [5, 10]   # c\n lstm( 25 ) }\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('model M {\n  input x: [5, 10]                    # c\n  lstm(25)\n}\n');
  });

  it('says what was not carried over when YAML cannot hold the spec exactly', () => {
    writeFileSync(
      path.join(dir, 'mixed.lstm'),
      'model Mixed {\n  input x: [10, 4]\n  let h = x -> lstm(8, returnSequences: true)\n  lstm(8)  # c\n  let y = h -> lstm(4)\n  output y\n}\n',
    );
    const r = run(['mixed.lstm']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^lstmc convert: warning: mixed\.lstm has no exact YAML spelling .*not carried over\.\n$/);
    expect(r.stdout).toMatch(/^model: Mixed\n/);
  });
});
