/**
 * `lstmc predict` says what a model means (issue #12, items 5 and 8):
 * - pure: interpretPredictions (classes, sequences decoded through the alphabet, binary with labels,
 *   values in original units) and the table / json / csv formats with their rounding;
 * - end to end through dist/cli/main.js on freshly trained models: labels from the data block, class =
 *   argmax of the output; a CSV model forecasting from the last window of a series (the same numbers as
 *   the hand-built window, in the column's units); text lines with characters outside the alphabet
 *   named; `generate --seed` naming what it dropped; `check` warning about a missing CSV file.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decimalsFor, formatPredictions, round7 } from '../cli/predict-output.js';
import type { DataInfo } from '../runtime/data/types.js';
import { interpretPredictions, outsideAlphabet, showChars } from '../runtime/predictions.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');

const info = (o: Partial<DataInfo>): DataInfo => ({
  source: 'synthetic',
  value: 'echo',
  options: {},
  inputShape: [],
  targetShape: [],
  description: '',
  ...o,
});

describe('what outputs mean (pure)', () => {
  it('softmax outputs: the class, its label and probability; a sequence decoded through the alphabet', () => {
    const r = interpretPredictions(
      [
        [0.1, 0.7, 0.2],
        [0.5, 0.2, 0.3],
      ],
      info({ labels: ['low', 'mid', 'high'] }),
      'categoricalCrossentropy',
    );
    expect(r.kind).toBe('classes');
    expect(r.predictions.map((p) => [p.class, p.label, p.probability])).toEqual([
      [1, 'mid', 0.7],
      [0, 'low', 0.5],
    ]);
    const oneHot = (k: number) => Array.from({ length: 12 }, (_, i) => (i === k ? 0.9 : 0.01));
    const seq = interpretPredictions(
      [[oneHot(3), oneHot(0)]],
      info({ value: 'addition', alphabet: '0123456789+ ' }),
      'categoricalCrossentropy',
    );
    expect(seq.predictions[0]).toMatchObject({ class: [3, 0], text: '30', probability: [0.9, 0.9] });
    expect(seq.labelSource).toBe('alphabet');
  });

  it('sigmoid outputs: class 1 from p >= 0.5 with the probability of the class shown', () => {
    const r = interpretPredictions([[0.8], [0.3]], info({ labels: ['left', 'right'] }), 'binaryCrossentropy');
    expect(r.predictions.map((p) => [p.class, p.label])).toEqual([
      [1, 'right'],
      [0, 'left'],
    ]);
    expect(r.predictions[1]!.probability).toBeCloseTo(0.7, 6);
    const steps = interpretPredictions([[[0.1], [0.6], [0.9]]], info({}), 'binaryCrossentropy');
    expect(steps.predictions[0]).toMatchObject({ class: [0, 1, 1], text: '011' });
  });

  it('regression outputs of a scaled CSV model are values in original units; without a loss, distributions are classes', () => {
    const csv = info({ source: 'csv', value: 's.csv', column: 'close', scale: { min: 10, max: 20 } });
    const r = interpretPredictions([[431.25, 430.5]], csv, 'meanSquaredError');
    expect(r).toMatchObject({ kind: 'values', column: 'close', originalUnits: true });
    expect(interpretPredictions([[0.2, 0.8]], undefined, undefined).kind).toBe('classes');
    expect(interpretPredictions([[1.5, 2]], undefined, undefined).kind).toBe('values');
  });

  it('table: one line of meaning, aligned columns, ~4 significant digits; csv and json keep 7', () => {
    expect([decimalsFor([431.25]), decimalsFor([0.41234]), decimalsFor([12345]), decimalsFor([0])]).toEqual([
      1, 4, 0, 3,
    ]);
    expect(round7(0.123456789)).toBe(0.1234568);
    const csv = info({ source: 'csv', value: 's.csv', column: 'close', scale: { min: 10, max: 20 } });
    const r = interpretPredictions(
      [
        [431.2549, 12.5],
        [9.1, 1000.25],
      ],
      csv,
      'mse',
    );
    expect(formatPredictions(r, 'table', { model: 'Sales', source: 'from the last 12 values' })).toBe(
      'Sales: forecast of "close" in its original units, from the last 12 values\n' +
        'sample    t+1   t+2\n' +
        '     1  431.3    13\n' +
        '     2    9.1  1000\n',
    );
    expect(formatPredictions(r, 'csv', { model: 'Sales' })).toBe('sample,t+1,t+2\n1,431.2549,12.5\n2,9.1,1000.25\n');
    const j = JSON.parse(formatPredictions(r, 'json', { model: 'Sales' })) as Record<string, unknown>;
    expect(j).toMatchObject({ model: 'Sales', kind: 'values', column: 'close', units: 'original' });
    const text = interpretPredictions([[0.1, 0.9]], info({ alphabet: ' a' }), 'categoricalCrossentropy', ['a, "b"']);
    expect(formatPredictions(text, 'csv', { model: 'T' })).toBe(
      'sample,input,class,label,probability\n1,"a, ""b""",1,a,0.9\n',
    );
  });

  it('names the characters outside an alphabet, once each', () => {
    const chars = info({ alphabet: 'abc ' });
    expect(outsideAlphabet('a Bcé!B', chars)).toEqual(['B', 'é', '!']);
    expect(showChars(['B', '\n', "'"])).toBe(`'B', '\\n', "'"`);
  });
});

// ---- end to end ----

const tmp = mkdtempSync(path.join(tmpdir(), 'lstmc-predict-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], cwd = tmp): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const COMPASS = `model Compass {
  input x: [3, 4]
  lstm(8)
  dense(4, activation: softmax)
  train { loss: categoricalCrossentropy  optimizer: adam(learningRate: 0.05)  epochs: 2  batchSize: 32  seed: 1 }
  data { synthetic: echo  length: 3  features: 4  index: 0  samples: 256  testSamples: 20  labels: [north, east, south, west] }
}
`;
const SALES = `model Sales {
  input x: [8, 1]
  lstm(8)
  dense(2)
  train { loss: mse  optimizer: adam  epochs: 1  batchSize: 16  seed: 1 }
  data { csv: "sales.csv"  column: "close"  window: 8  horizon: 2 }
}
`;
const CHARS = `model Chars {
  input x: [6, 40]
  lstm(8)
  dense(40, activation: softmax)
  train { loss: categoricalCrossentropy  epochs: 1  batchSize: 64  seed: 1 }
  data { synthetic: chars  window: 6  samples: 128  testSamples: 10 }
}
`;

const salesCsv =
  ['day,open,close', ...Array.from({ length: 120 }, (_, i) => `${i},${50 + i},${400 + 30 * Math.sin(i / 5)}`)].join(
    '\n',
  ) + '\n';

beforeAll(() => {
  writeFileSync(path.join(tmp, 'compass.lstm'), COMPASS);
  writeFileSync(path.join(tmp, 'sales.lstm'), SALES);
  writeFileSync(path.join(tmp, 'sales.csv'), salesCsv);
  writeFileSync(path.join(tmp, 'chars.lstm'), CHARS);
  for (const spec of ['compass.lstm', 'sales.lstm', 'chars.lstm']) {
    const r = run(['train', spec, '--progress', 'none', '--backend', 'cpu']);
    if (r.code !== 0) throw new Error(`${spec}: ${r.stderr}`);
  }
}, 180_000);

interface PredictJson {
  kind: string;
  labels?: string[];
  column?: string;
  units?: string;
  predictions: {
    sample: number;
    class?: number;
    label?: string;
    probability?: number;
    input?: string;
    output: number[];
  }[];
}

describe('lstmc predict', () => {
  const oneHot = (k: number) => [0, 1, 2, 3].map((i) => (i === k ? 1 : 0));
  it('a classifier: class = argmax, its label from the data block, its probability; table, json, csv', () => {
    writeFileSync(path.join(tmp, 'in.json'), JSON.stringify([[2, 0, 1].map(oneHot), [3, 3, 3].map(oneHot)]));
    const j = run(['predict', 'models/Compass', '-i', 'in.json', '--format', 'json', '--backend', 'cpu']);
    expect(j.code, j.stderr).toBe(0);
    const out = JSON.parse(j.stdout) as PredictJson;
    expect(out.kind).toBe('classes');
    expect(out.labels).toEqual(['north', 'east', 'south', 'west']);
    for (const p of out.predictions) {
      const best = p.output.indexOf(Math.max(...p.output));
      expect(p.class).toBe(best);
      expect(p.label).toBe(out.labels![best]);
      expect(p.probability).toBe(p.output[best]);
    }
    const t = run(['predict', 'compass.lstm', '-i', 'in.json', '--backend', 'cpu']);
    expect(t.code, t.stderr).toBe(0);
    const lines = t.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'Compass: the most probable of 4 classes, with its probability (labels: north, east, south, west)',
    );
    expect(lines[1]).toBe('sample  class  label  probability');
    expect(lines[2]).toMatch(
      new RegExp(`^ {5}1 {6}${out.predictions[0]!.class} {2}${out.predictions[0]!.label} +\\d\\.\\d{3}$`),
    );
    const c = run(['predict', 'models/Compass', '-i', 'in.json', '-o', 'out.csv', '--backend', 'cpu']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toBe('');
    const csv = readFileSync(path.join(tmp, 'out.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('sample,class,label,probability');
    expect(csv[1]).toBe(
      `1,${out.predictions[0]!.class},${out.predictions[0]!.label},${out.predictions[0]!.probability}`,
    );
  });

  it('a CSV model forecasts from the last window of the series, in the column units', () => {
    const series = run(['predict', 'models/Sales', '-i', 'sales.csv', '--format', 'json', '--backend', 'cpu']);
    expect(series.code, series.stderr).toBe(0);
    const s = JSON.parse(series.stdout) as PredictJson;
    expect(s).toMatchObject({ kind: 'values', column: 'close', units: 'original' });
    // The same forecast from the hand-built window (the old way), in the same units.
    const close = salesCsv
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => Number(l.split(',')[2]));
    writeFileSync(path.join(tmp, 'window.json'), JSON.stringify([close.slice(-8).map((v) => [v])]));
    const hand = run(['predict', 'models/Sales', '-i', 'window.json', '--format', 'json', '--backend', 'cpu']);
    expect(hand.code, hand.stderr).toBe(0);
    const h = JSON.parse(hand.stdout) as PredictJson;
    expect(s.predictions[0]!.output).toEqual(h.predictions[0]!.output);
    for (const v of s.predictions[0]!.output) expect(v).toBeGreaterThan(300); // original units, not [0, 1]

    const table = run(['predict', 'models/Sales', '-i', 'sales.csv', '--backend', 'cpu']);
    expect(table.stdout.split('\n')[0]).toBe(
      'Sales: forecast of "close" in its original units, from the last 8 values of "close" in sales.csv (lines 114–121)',
    );
    expect(table.stdout.split('\n')[1]).toMatch(/^sample +t\+1 +t\+2$/);
    expect(table.stdout.split('\n')[2]).toMatch(/^ +1 +\d{3}\.\d +\d{3}\.\d$/);

    // Another column, and a file holding only the series.
    const open = run(['predict', 'models/Sales', '-i', 'sales.csv', '--column', 'open', '--format', 'json']);
    expect(open.code, open.stderr).toBe(0);
    expect((JSON.parse(open.stdout) as PredictJson).column).toBe('open');
    writeFileSync(path.join(tmp, 'only.csv'), close.join('\n') + '\n');
    const only = run(['predict', 'models/Sales', '-i', 'only.csv', '--format', 'json', '--backend', 'cpu']);
    expect((JSON.parse(only.stdout) as PredictJson).predictions[0]!.output).toEqual(h.predictions[0]!.output);

    writeFileSync(path.join(tmp, 'short.csv'), 'day,close\n1,400\n2,401\n');
    const short = run(['predict', 'models/Sales', '-i', 'short.csv']);
    expect(short.code).toBe(1);
    expect(short.stderr).toBe(
      'lstmc: error: short.csv: 2 value(s) in column "close", but the model forecasts from a window of 8\n',
    );
    const wrongCol = run(['predict', 'models/Sales', '-i', 'sales.csv', '--column', 'volume']);
    expect(wrongCol.code).toBe(1);
    expect(wrongCol.stderr).toMatch(
      /^lstmc: error: sales\.csv:1: no column "volume"; the header has "day", "open", "close"\n$/,
    );
    const notCsv = run(['predict', 'models/Compass', '-i', 'in.json', '--column', 'close']);
    expect(notCsv.code).toBe(2);
  });

  it('a text model takes lines of text and names the characters it cannot see', () => {
    writeFileSync(path.join(tmp, 'seeds.txt'), 'the king\nA Dog!\n');
    const r = run(['predict', 'models/Chars', '-i', 'seeds.txt', '--format', 'json', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("lstmc: note: sample 2: 'A', 'D', '!' are not in the model's alphabet and were dropped\n");
    const out = JSON.parse(r.stdout) as PredictJson;
    expect(out.predictions.map((p) => p.input)).toEqual(['the king', 'A Dog!']);
    for (const p of out.predictions) expect(out.labels![p.class!]).toBe(p.label);

    const g = run(['generate', 'models/Chars', '--seed', 'The Kíng ', '--length', '5', '--backend', 'cpu']);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toBe("lstmc: note: the seed's 'T', 'K', 'í' are not in the model's alphabet and were dropped\n");
    const clean = run(['generate', 'models/Chars', '--seed', 'the king ', '--length', '5', '--backend', 'cpu']);
    expect(clean.stderr).toBe('');
  });
});

describe('lstmc check and data files', () => {
  it('warns (LSTM4020, at the csv entry) when the CSV file does not exist; passes when it does', () => {
    const sub = path.join(tmp, 'sub');
    mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, 'm.lstm'), SALES.replace('sales.csv', 'missing.csv'));
    const r = run(['check', 'sub/m.lstm', '--format', 'json']);
    expect(r.code).toBe(0);
    const d = (JSON.parse(r.stdout) as { diagnostics: Record<string, unknown>[] }).diagnostics;
    expect(d).toEqual([
      expect.objectContaining({
        code: 'LSTM4020',
        severity: 'warning',
        line: 6,
        column: 10,
        message: 'The CSV file "missing.csv" does not exist.',
        hint: 'Looked for sub/missing.csv.',
      }),
    ]);
    expect(run(['check', 'sub/m.lstm', '--max-warnings', '0']).code).toBe(1);
    writeFileSync(path.join(sub, 'missing.csv'), salesCsv);
    expect(JSON.parse(run(['check', 'sub/m.lstm', '--format', 'json']).stdout)).toMatchObject({ diagnostics: [] });
  });
});
