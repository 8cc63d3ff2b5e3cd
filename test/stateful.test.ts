/**
 * Stateful recurrent layers with a declared batch size (`input x: [1, 1] batch 25`), end to end:
 * - the maths: a stateful layer fed a sequence in two halves (two calls, no reset) equals the same layer,
 *   stateless, fed the whole sequence (tfjs for lstm, gru, simpleRNN, bidirectional; and a float64
 *   reference of the Keras LSTM equations); `resetStates()` gives the fresh result again;
 * - the runtime: predict in batches of the declared size (rows continue across batches, padding dropped,
 *   `reset: 'batch'`), the stream layout, evaluation in whole batches, the fused kernels' fallback;
 * - the language: both spellings, `batch` as a contextual keyword, fmt / convert / printer round trips,
 *   defaults (batchSize, shuffle), summary shapes against tfjs, the PyTorch target's refusal;
 * - the CLI: train, predict (--reset-states), generate and summary --json on a small stateful spec.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import type { IRModel } from '../compiler/ir.js';
import { comparableModels, convertSpec } from '../compiler/convert.js';
import { modelGraph } from '../compiler/graph.js';
import { printLstm, printYaml } from '../compiler/print.js';
import { summarize } from '../compiler/summary.js';
import { toTfModelSpec } from '../compiler/tfspec.js';
import { formatSource } from '../grammar/format.js';
import { emitPytorchModules } from '../emit/pytorch.js';
import * as svc from '../cli/lsp/service.js';
import { buildModel } from '../runtime/build.js';
import { fuseRecurrentLayers } from '../runtime/fused/layer.js';
import { evaluateSplit, fixedBatchOf, isStateful, predictInBatches, streamOrder } from '../runtime/predict.js';
import { runCli } from './helpers/cli.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function check(source: string, file = 'stateful.lstm'): IRModel {
  const r = checkSource(source, file);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors, JSON.stringify(errors)).toEqual([]);
  return r.models[0]!;
}

const build = (source: string): tf.LayersModel => buildModel(toTfModelSpec(check(source)));

/** A deterministic pseudo-random tensor (no global seed needed). */
function data(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s / 2 ** 32) * 2 - 1;
  }
  return tf.tensor(v, shape);
}

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Copies every weight of `from` into `to` (same layer structure). */
function copyWeights(from: tf.LayersModel, to: tf.LayersModel): void {
  to.setWeights(from.getWeights());
}

const CELLS = ['lstm(5', 'gru(5', 'simpleRNN(5', 'bidirectional(lstm(3'];
const closeOf = (call: string): string => ')'.repeat(call.split('(').length - 1);

describe('a stateful layer continues where the previous call stopped', () => {
  for (const cell of CELLS) {
    const inner = cell.startsWith('bidirectional') ? 'lstm(3, stateful: true)' : `${cell}, stateful: true)`;
    const statefulCall = cell.startsWith('bidirectional') ? `bidirectional(${inner})` : inner;
    const plainCall = `${cell}${closeOf(cell)}`;
    it(`${statefulCall}: two halves without a reset = the whole sequence; resetStates() = afresh`, () => {
      const stateful = build(`model S {\n  input x: [3, 2] batch 2\n  ${statefulCall}\n}\n`);
      const plain = build(`model P {\n  input x: [?, 2]\n  ${plainCall}\n}\n`);
      copyWeights(stateful, plain);
      const x = data([2, 6, 2], 11);
      const first = x.slice([0, 0, 0], [2, 3, 2]);
      const second = x.slice([0, 3, 0], [2, 3, 2]);
      try {
        if (cell.startsWith('bidirectional')) {
          // The backward direction reads each half from its end: state carried across calls, and a reset
          // gives the first call's result again.
          const a = values(stateful.predict(first) as tf.Tensor);
          const b = values(stateful.predict(first) as tf.Tensor);
          expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-4);
          stateful.resetStates();
          expect(maxAbsDiff(values(stateful.predict(first) as tf.Tensor), a)).toBeLessThan(1e-6);
          expect(maxAbsDiff(a, values(plain.predict(first) as tf.Tensor))).toBeLessThan(1e-5);
          return;
        }
        stateful.predict(first);
        const continued = values(stateful.predict(second) as tf.Tensor);
        const whole = values(plain.predict(x) as tf.Tensor);
        expect(maxAbsDiff(continued, whole)).toBeLessThan(1e-5);
        // Not the result of the second half alone: the state did carry.
        expect(maxAbsDiff(continued, values(plain.predict(second) as tf.Tensor))).toBeGreaterThan(1e-4);
        stateful.resetStates();
        expect(
          maxAbsDiff(values(stateful.predict(first) as tf.Tensor), values(plain.predict(first) as tf.Tensor)),
        ).toBeLessThan(1e-5);
      } finally {
        tf.dispose([x, first, second]);
        stateful.dispose();
        plain.dispose();
      }
    });
  }

  it('matches a float64 reference of the Keras LSTM equations over both halves', () => {
    const model = build('model S {\n  input x: [3, 2] batch 2\n  lstm(4, stateful: true)\n}\n');
    const [W, U, b] = model.getWeights().map((w) => Array.from(w.dataSync())); // [2,16], [4,16], [16]
    const x = data([2, 6, 2], 5);
    const xs = Array.from(x.dataSync());
    const u = 4;
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const expected: number[] = [];
    for (let r = 0; r < 2; r++) {
      let h = new Array<number>(u).fill(0);
      let c = new Array<number>(u).fill(0);
      for (let t = 0; t < 6; t++) {
        const z = new Array<number>(4 * u).fill(0);
        for (let j = 0; j < 4 * u; j++) {
          let s = b![j]!;
          for (let k = 0; k < 2; k++) s += xs[(r * 6 + t) * 2 + k]! * W![k * 4 * u + j]!;
          for (let k = 0; k < u; k++) s += h[k]! * U![k * 4 * u + j]!;
          z[j] = s;
        }
        // Keras gate order i, f, c, o; recurrentActivation sigmoid (Keras 2), activation tanh.
        const nc = c.map((cv, k) => sig(z[u + k]!) * cv + sig(z[k]!) * Math.tanh(z[2 * u + k]!));
        h = nc.map((cv, k) => sig(z[3 * u + k]!) * Math.tanh(cv));
        c = nc;
      }
      expected.push(...h);
    }
    model.predict(x.slice([0, 0, 0], [2, 3, 2]));
    const got = values(model.predict(x.slice([0, 3, 0], [2, 3, 2])) as tf.Tensor);
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-5);
    x.dispose();
    model.dispose();
  });
});

describe('runtime: declared batches', () => {
  const STATEFUL = 'model S {\n  input x: [3, 2] batch 2\n  lstm(4, stateful: true)\n}\n';
  const PLAIN = 'model P {\n  input x: [?, 2]\n  lstm(4)\n}\n';

  it('the stream layout puts contiguous stretches of samples on each row', () => {
    expect(Array.from(streamOrder(6, 2))).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(streamOrder(7, 3))).toEqual([0, 2, 4, 1, 3, 5]);
    expect(Array.from(streamOrder(3, 1))).toEqual([0, 1, 2]);
  });

  it('predictInBatches: row i of a batch continues row i of the batch before; padding is dropped', () => {
    const stateful = build(STATEFUL);
    const plain = build(PLAIN);
    copyWeights(stateful, plain);
    expect(fixedBatchOf(stateful)).toBe(2);
    expect(isStateful(stateful)).toBe(true);
    expect(fixedBatchOf(plain)).toBeUndefined();
    const s = data([4, 3, 2], 3);
    const out = values(predictInBatches(stateful, s));
    const joined = (i: number, j: number) =>
      tf.concat([s.slice([i, 0, 0], [1, 3, 2]), s.slice([j, 0, 0], [1, 3, 2])], 1);
    const alone = (i: number) => values(plain.predict(s.slice([i, 0, 0], [1, 3, 2])) as tf.Tensor);
    const expected = [
      ...alone(0),
      ...alone(1),
      ...values(plain.predict(joined(0, 2)) as tf.Tensor),
      ...values(plain.predict(joined(1, 3)) as tf.Tensor),
    ];
    expect(maxAbsDiff(out, expected)).toBeLessThan(1e-5);
    // A new call starts afresh ('call', the default) ...
    expect(maxAbsDiff(values(predictInBatches(stateful, s)), expected)).toBeLessThan(1e-6);
    // ... 'batch' resets before every batch ...
    const independent = [0, 1, 2, 3].flatMap(alone);
    expect(maxAbsDiff(values(predictInBatches(stateful, s, 'batch')), independent)).toBeLessThan(1e-5);
    // ... and three samples are padded to two batches, the third output being sample 2's.
    const three = values(predictInBatches(stateful, s.slice([0, 0, 0], [3, 3, 2])));
    expect(maxAbsDiff(three, expected.slice(0, 12))).toBeLessThan(1e-5);
    tf.dispose(s);
    stateful.dispose();
    plain.dispose();
  });

  it('evaluateSplit uses whole batches: the loss is the mean over them', () => {
    const model = build(`${STATEFUL.slice(0, -2)}  dense(1)\n  train { loss: mse }\n}\n`);
    model.compile({ loss: 'meanSquaredError', optimizer: 'sgd' });
    const x = data([5, 3, 2], 9);
    const y = data([5, 1], 10);
    const split = {
      x: { values: x.dataSync() as Float32Array, shape: [5, 3, 2] },
      y: { values: y.dataSync() as Float32Array, shape: [5, 1] },
    };
    const r = evaluateSplit(model, split as never);
    model.resetStates();
    const p = values(predictInBatches(model, x.slice([0, 0, 0], [4, 3, 2])));
    const t = Array.from(y.dataSync()).slice(0, 4);
    const mse = p.reduce((a, v, i) => a + (v - t[i]!) ** 2, 0) / 4;
    expect(Math.abs(r.loss! - mse)).toBeLessThan(1e-5);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('the fused kernels leave stateful layers to tfjs (and fuse the stateless ones)', () => {
    const model = build(
      'model S {\n  input x: [3, 2] batch 2\n  lstm(4, stateful: true, returnSequences: true)\n  lstm(3)\n}\n',
    );
    const report = fuseRecurrentLayers(model);
    expect(report.skipped.map((s) => s.layer)).toEqual(['lstm_1']);
    expect(report.skipped[0]!.reason).toMatch(/stateful/);
    expect(report.fused).toContain('lstm_2');
    model.dispose();
  });
});

describe('the language', () => {
  const LSTM = `model Stream {
  param B = 4
  input x: [1, 3] batch B
  lstm(8, stateful: true)
  dense(3)
  train { loss: mse }
}
`;
  const YAML = `model: Stream
params: {B: 4}
inputs:
  x: {shape: [1, 3], batch: $B}
layers:
  - lstm: {units: 8, stateful: true}
  - dense: 3
train:
  loss: mse
`;

  it('both spellings lower to the same IR, with the batch, its param, and the training defaults', () => {
    const a = check(LSTM, 'a.lstm');
    const b = check(YAML, 'a.yaml');
    expect(comparableModels([a])).toBe(comparableModels([b]));
    expect(a.inputs[0]).toMatchObject({ batch: 4, batchParam: 'B' });
    expect(a.train.batchSize).toBe(4); // defaults to the declared batch
    expect(a.train.shuffle).toBe(false); // stateful models keep the samples in order
    expect(a.nodes[0]!.args['stateful']).toBe(true);
    const spec = toTfModelSpec(a);
    expect(spec.inputs[0]).toEqual({ name: 'x', shape: [1, 3], batch: 4 });
    expect(spec.nodes[0]!.spec.config).toMatchObject({ batchInputShape: [4, 1, 3], stateful: true });
    expect(spec.nodes[0]!.spec.config).not.toHaveProperty('inputShape');
    // --param overrides the batch like any param.
    const r = checkSource(LSTM, 'a.lstm', { params: { B: '16' } });
    expect(r.models[0]!.inputs[0]!.batch).toBe(16);
  });

  it('without a batch nothing changes: no `stateful` in the config, batchSize 32, inputShape', () => {
    const m = check('model V {\n  input x: [5, 10]\n  lstm(25)\n}\n');
    expect(m.inputs[0]!.batch).toBeUndefined();
    expect(m.train.batchSize).toBe(32);
    const config = toTfModelSpec(m).nodes[0]!.spec.config;
    expect(config).toHaveProperty('inputShape');
    expect(config).not.toHaveProperty('stateful');
    expect(config).not.toHaveProperty('batchInputShape');
  });

  it('`batch` is a contextual keyword: a param may be called batch, a layer line after an input stays a layer', () => {
    const m = check('model A {\n  param batch = 3\n  input x: [2, 2] batch batch\n  lstm(2, stateful: true)\n}\n');
    expect(m.inputs[0]).toMatchObject({ batch: 3, batchParam: 'batch' });
    const n = check('model A {\n  input x: [2, 2]\n  batchNormalization()\n}\n');
    expect(n.nodes.map((x) => x.type)).toEqual(['batchNormalization']);
    const d = check('model A {\n  param B = 5\n  input x: [2, 2] batch $B\n  lstm(2)\n}\n');
    expect(d.inputs[0]!.batch).toBe(5);
  });

  it('lstmc fmt keeps the batch and is idempotent; convert goes both ways losslessly', () => {
    const messy =
      'model Stream {\n  param B = 4\n  input   x :[1,3]   batch   B   # the stream\n  lstm(8, stateful: true)\n  dense(3)\n  train { loss: mse }\n}\n';
    const f = formatSource(messy, 'a.lstm');
    expect(f.diagnostics).toEqual([]);
    expect(f.text).toMatch(/\n {2}input x: \[1, 3\] batch B +# the stream\n/);
    expect(formatSource(f.text!, 'a.lstm').text).toBe(f.text);
    const model = check(LSTM, 'a.lstm');
    const toYaml = convertSpec(LSTM, 'a.lstm', 'lstm', 'yaml', [model]);
    expect(toYaml.lossless).toBe(true);
    expect(toYaml.text).toContain('x: {shape: [1, 3], batch: $B}');
    const back = check(toYaml.text, 'a.yaml');
    expect(comparableModels([back])).toBe(comparableModels([model]));
    const toLstm = convertSpec(toYaml.text, 'a.yaml', 'yaml', 'lstm', [back]);
    expect(toLstm.lossless).toBe(true);
    expect(toLstm.text).toContain('input x: [1, 3] batch B');
  });

  it('the IR printer writes the batch in both spellings and the text re-checks to the same IR', () => {
    for (const source of [
      LSTM,
      'model G {\n  input a: [4, 2] batch 3\n  input b: [4, 2] batch 3\n  let c = [a, b] -> concatenate()\n  let h = c -> gru(5, stateful: true)\n  output h\n}\n',
    ]) {
      const m = check(source);
      const lstm = printLstm(m);
      const yaml = printYaml(m);
      expect(lstm).toMatch(/batch (B|3)/);
      expect(yaml).toMatch(/\{shape: \[\d, \d\], batch: (\$B|3)\}/);
      expect(comparableModels([check(lstm, 'p.lstm')])).toBe(comparableModels([m]));
      expect(comparableModels([check(yaml, 'p.yaml')])).toBe(comparableModels([m]));
    }
  });

  it('summary shapes show the declared batch, as tfjs reports them (layers, inputs, parameter counts)', () => {
    const source =
      'model S {\n  input x: [6, 3] batch 5\n  bidirectional(gru(4, stateful: true, returnSequences: true))\n  lstm(3, stateful: true)\n  dense(2)\n}\n';
    const m = check(source);
    const s = summarize(m);
    const model = buildModel(toTfModelSpec(m));
    expect(s.inputs[0]!.shape).toEqual(model.inputs[0]!.shape);
    expect(s.layers.map((l) => l.outputShape)).toEqual(model.layers.map((l) => l.outputShape));
    expect(s.layers.map((l) => l.params)).toEqual(model.layers.map((l) => l.countParams()));
    expect(s.totalParams).toBe(model.countParams());
    expect(s.outputs[0]!.shape).toEqual(model.outputs[0]!.shape);
    model.dispose();
  });

  it('property: random stateful models round-trip through the printer, convert and fmt, and summaries show the batch', () => {
    const cells = ['lstm', 'gru', 'simpleRNN'];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(...cells),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.boolean(),
        (batch, steps, features, cell, units, viaParam, wrapped) => {
          const layer = `${cell}(${units}, stateful: true)`;
          const source = [
            'model R {',
            ...(viaParam ? [`  param N = ${batch}`] : []),
            `  input x: [${steps}, ${features}] batch ${viaParam ? 'N' : batch}`,
            `  ${wrapped ? `bidirectional(${layer})` : layer}`,
            '  dense(2)',
            '}',
            '',
          ].join('\n');
          const m = check(source);
          expect(m.inputs[0]!.batch).toBe(batch);
          for (const text of [printLstm(m), printYaml(m)]) {
            const file = text.startsWith('model:') ? 'p.yaml' : 'p.lstm';
            expect(comparableModels([check(text, file)])).toBe(comparableModels([m]));
          }
          const yaml = convertSpec(source, 'r.lstm', 'lstm', 'yaml', [m]);
          expect(yaml.lossless).toBe(true);
          expect(comparableModels([check(yaml.text, 'r.yaml')])).toBe(comparableModels([m]));
          const f = formatSource(source, 'r.lstm');
          expect(f.text).toBe(source);
          const s = summarize(m);
          expect([s.inputs[0]!.shape[0], ...s.layers.map((l) => (l.outputShape as unknown[])[0])]).toEqual([
            batch,
            batch,
            batch,
          ]);
          const g = modelGraph(m);
          expect(g.nodes[0]!.outputShapes[0]).toBe(`(${batch}, ${steps}, ${features})`);
        },
      ),
      { numRuns: 60, seed: 11 },
    );
  });

  it('the language server shows the declared batch on hover', () => {
    const doc = new svc.SpecDocument('file:///s.lstm', LSTM, 1, '/nonexistent/s.lstm');
    const h = svc.hover(doc, { line: 2, character: 8 }); // on `x`
    const text = (h?.contents as { value: string } | undefined)?.value ?? '';
    expect(text).toContain('input x: [1, 3] batch 4');
    expect(text).toContain('With the batch: `[4, 1, 3]`');
  });

  it('the PyTorch target refuses a stateful layer at its `stateful` argument (LSTM2045)', () => {
    const source = 'model S {\n  input x: [3, 2] batch 2\n  bidirectional(lstm(4, stateful: true))\n}\n';
    const m = check(source);
    const { modules, diagnostics } = emitPytorchModules([
      { model: m, options: { sourcePath: 's.lstm', source, version: '0' } },
    ]);
    expect(modules).toEqual([]);
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['LSTM2045', 3, 35]]);
    expect(diagnostics[0]!.message).toContain('target pytorch');
  });
});

describe('CLI: train, predict, generate and summary on a stateful char model', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'lstmc-stateful-'));
    writeFileSync(
      path.join(dir, 'stream.lstm'),
      `model CharStream {
  input x: [1, 40] batch 4
  lstm(16, stateful: true)
  dense(40, activation: softmax)
  train { loss: categoricalCrossentropy  epochs: 2  validationSplit: 0.1  seed: 3 }
  data { synthetic: chars  window: 1  samples: 203  testSamples: 30 }
}
`,
    );
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('trains on whole batches (saying what it dropped), predicts and generates from fresh states', () => {
    const t = runCli(['train', 'stream.lstm', '--out', 'run', '--progress', 'lines'], { cwd: dir });
    expect(t.stderr + t.stdout).toMatch(
      /Stateful model, batch 4: training on 180 of 182 samples and validating on 20 of 21/,
    );
    expect(t.code, t.stderr).toBe(0);
    writeFileSync(
      path.join(dir, 'in.json'),
      JSON.stringify([1, 2, 3, 4, 5].map((k) => [Array.from({ length: 40 }, (_, i) => (i === k ? 1 : 0))])),
    );
    const p1 = runCli(['predict', 'run', '-i', 'in.json', '--format', 'json'], { cwd: dir });
    expect(p1.code, p1.stderr).toBe(0);
    const p2 = runCli(['predict', 'run', '-i', 'in.json', '--format', 'json'], { cwd: dir });
    expect(p2.stdout).toBe(p1.stdout); // every call starts from fresh states
    const p3 = runCli(['predict', 'run', '-i', 'in.json', '--format', 'json', '--reset-states', 'batch'], { cwd: dir });
    expect(p3.code, p3.stderr).toBe(0);
    const rows = (s: string) => (JSON.parse(s) as { predictions: unknown[] }).predictions;
    expect(rows(p1.stdout)).toHaveLength(5);
    // The first batch is the same either way; the fifth sample continues the first only without resets.
    expect(rows(p3.stdout).slice(0, 4)).toEqual(rows(p1.stdout).slice(0, 4));
    expect(rows(p3.stdout)[4]).not.toEqual(rows(p1.stdout)[4]);
    const bad = runCli(['predict', 'run', '-i', 'in.json', '--reset-states', 'sometimes'], { cwd: dir });
    expect(bad.code).toBe(2);
    const g1 = runCli(['generate', 'run', '--seed', 'the ', '--length', '30', '--rng-seed', '5'], { cwd: dir });
    const g2 = runCli(['generate', 'run', '--seed', 'the ', '--length', '30', '--rng-seed', '5'], { cwd: dir });
    expect(g1.code, g1.stderr).toBe(0);
    expect(g1.stdout).toBe(g2.stdout);
    expect(g1.stdout.trimEnd()).toHaveLength(34);
    const s = runCli(['summary', 'stream.lstm', '--json'], { cwd: dir });
    const summary = JSON.parse(s.stdout) as {
      models: { inputs: { shape: unknown }[]; layers: { outputShape: unknown }[] }[];
    };
    expect(summary.models[0]!.inputs[0]!.shape).toEqual([4, 1, 40]);
    expect(summary.models[0]!.layers.map((l) => l.outputShape)).toEqual([
      [4, 16],
      [4, 40],
    ]);
    const other = runCli(['train', 'stream.lstm', '--out', 'run2', '--batch-size', '8'], { cwd: dir });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('declares batch 4');
    const torch = runCli(['compile', 'stream.lstm', '--target', 'pytorch', '-o', 'py'], { cwd: dir });
    expect(torch.code).toBe(1);
    expect(torch.stderr).toContain('LSTM2045');
  }, 300_000);
});
