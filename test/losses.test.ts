/**
 * Per-output losses and loss weights (Keras `compile(loss={...}, loss_weights={...})`): the checker
 * (compiler/train.ts, compiler/rules/output-losses.ts), the TF.js lowering (compiler/tfspec.ts), the
 * runtime's compile (runtime/optimizer.ts + runtime/output-losses.ts) against the Keras weighted sum
 * computed here in float64, the compiled module, the printers, and the resume fingerprint.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import { comparableModels, convertSpec } from '../compiler/convert.js';
import { formatSource } from '../grammar/format.js';
import type { IRModel } from '../compiler/ir.js';
import { printLstm, printYaml } from '../compiler/print.js';
import { toTfModelSpec } from '../compiler/tfspec.js';
import { emitPytorchModules } from '../emit/pytorch.js';
import { emitModules, moduleNames } from '../emit/typescript.js';
import * as rt from '../runtime/index.js';
import { setupBackend } from '../runtime/backend.js';
import { buildModel } from '../runtime/build.js';
import { compareFingerprints, runFingerprint } from '../runtime/fingerprint.js';
import { compileModel } from '../runtime/optimizer.js';
import { projectTempDir } from './emit-helpers.js';
import { findTorchPython, PY_WIRE_HELPERS, runPythonJson, skipWithoutTorch, toWire } from './helpers/python.js';

let dir = '';
beforeAll(async () => {
  await setupBackend('cpu');
  dir = projectTempDir('losses');
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** A two-headed model: `value` (regression) and `label` (3 classes), with the given train entries. */
function heads(train: string): string {
  return `model Heads {
  input x: [4, 3]
  let h = x -> lstm(5)
  let value = h -> dense(1)
  let label = h -> dense(3, activation: softmax)
  output value, label
  train {
${train
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
  }
}
`;
}

function headsYaml(train: string): string {
  return `model: Heads
inputs:
  x: [4, 3]
graph:
  - {let: h, from: x, layers: [lstm: 5]}
  - {let: value, from: h, layers: [dense: 1]}
  - {let: label, from: h, layers: [dense: {units: 3, activation: softmax}]}
outputs: [value, label]
train:
${train
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
`;
}

function clean(source: string, file = 'heads.lstm'): IRModel {
  const r = checkSource(source, file);
  expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  expect(r.models).toHaveLength(1);
  return r.models[0]!;
}

function codes(source: string, file = 'heads.lstm'): string[] {
  return checkSource(source, file).diagnostics.map((d) => d.code);
}

// ----------------------------------------------------------------------------------- checker

describe('per-output losses: what checks and how it lowers', () => {
  const valid: { name: string; train: string; losses?: string[]; weights?: number[]; loss?: string }[] = [
    {
      name: 'a list in output order',
      train: 'loss: [mse, categoricalCrossentropy]',
      losses: ['meanSquaredError', 'categoricalCrossentropy'],
    },
    {
      name: 'a map by output name, in any order',
      train: 'loss: {label: categoricalCrossentropy, value: mae}',
      losses: ['meanAbsoluteError', 'categoricalCrossentropy'],
    },
    {
      name: 'a list and weights',
      train: 'loss: [mse, categoricalCrossentropy]\nlossWeights: [1, 0.2]',
      losses: ['meanSquaredError', 'categoricalCrossentropy'],
      weights: [1, 0.2],
    },
    {
      name: 'one loss for every output, weighted by a map',
      train: 'loss: mse\nlossWeights: {label: 0.5, value: 2}',
      losses: ['meanSquaredError', 'meanSquaredError'],
      weights: [2, 0.5],
    },
    { name: 'the same loss twice is that one loss', train: 'loss: [mae, mae]', loss: 'meanAbsoluteError' },
    { name: 'weights of 1 are no weights', train: 'loss: mae\nlossWeights: [1, 1]', loss: 'meanAbsoluteError' },
  ];
  for (const c of valid) {
    it(`${c.name}: both spellings, the same IR, TF.js losses in output order`, () => {
      const lstm = clean(heads(c.train));
      const yaml = clean(headsYaml(c.train), 'heads.yaml');
      expect(comparableModels([yaml])).toBe(comparableModels([lstm]));
      const t = toTfModelSpec(lstm).train;
      if (c.losses) {
        expect(t.losses).toEqual(c.losses);
        expect(t.outputNames).toEqual(['value', 'label']);
      } else {
        expect(t.losses).toBeUndefined();
        expect(t.loss).toBe(c.loss);
      }
      expect(t.lossWeights).toEqual(c.weights);
    });
  }

  it('a single loss on a single-output model lowers as before (no per-output fields)', () => {
    const t = toTfModelSpec(clean('model One { input x: [4, 3]; lstm(5); dense(1); train { loss: mae } }')).train;
    expect(t).toMatchObject({ loss: 'meanAbsoluteError' });
    expect(t.losses).toBeUndefined();
    expect(t.lossWeights).toBeUndefined();
  });

  it('a single-output model may weight its loss, or list its one loss', () => {
    const t = toTfModelSpec(
      clean('model One { input x: [4, 3]; lstm(5); dense(1); train { loss: [mae]  lossWeights: [0.5] } }'),
    ).train;
    expect(t.losses).toEqual(['meanAbsoluteError']);
    expect(t.lossWeights).toEqual([0.5]);
    // Readers of the one loss (run state, predict's interpretation) see the model's real loss.
    expect(t.loss).toBe('meanAbsoluteError');
  });

  it('params may be used for losses and weights', () => {
    const src = heads('loss: [l, categoricalCrossentropy]\nlossWeights: [1, w]').replace(
      'model Heads {\n',
      'model Heads {\n  param l = mae\n  param w = 0.25\n',
    );
    const t = toTfModelSpec(clean(src)).train;
    expect(t.losses).toEqual(['meanAbsoluteError', 'categoricalCrossentropy']);
    expect(t.lossWeights).toEqual([1, 0.25]);
  });

  const invalid: { name: string; train: string; codes: string[]; yaml?: boolean }[] = [
    { name: 'too many losses', train: 'loss: [mse, mse, mse]', codes: ['LSTM4040'] },
    { name: 'too few weights', train: 'loss: mse\nlossWeights: [1]', codes: ['LSTM4040'] },
    { name: 'an unknown output name', train: 'loss: {value: mse, lable: mse}', codes: ['LSTM4041'] },
    { name: 'an output missing from the map', train: 'loss: mse\nlossWeights: {value: 1}', codes: ['LSTM4042'] },
    { name: 'a negative weight', train: 'loss: mse\nlossWeights: [1, -1]', codes: ['LSTM4005'] },
    { name: 'a weight that is not a number', train: 'loss: mse\nlossWeights: [1, "a"]', codes: ['LSTM4005'] },
    { name: 'weights that are one number', train: 'loss: mse\nlossWeights: 0.5', codes: ['LSTM4005'] },
    { name: 'an unknown loss in a list', train: 'loss: [mse, categorical_crossentropy]', codes: ['LSTM4001'] },
    { name: 'a number as a loss', train: 'loss: {value: 1, label: mse}', codes: ['LSTM4005'] },
    { name: 'an output named twice', train: 'loss: {value: mse, value: mae, label: mse}', codes: ['LSTM2006'] },
    { name: 'an undefined $param', train: 'loss: [$nope, mse]', codes: ['LSTM2010'] },
    // The optimizer reads a name the same way (it said "Unknown optimizer" before).
    { name: 'an undefined $param as the optimizer', train: 'loss: mse\noptimizer: $nope', codes: ['LSTM2010'] },
    {
      name: 'a loss unfit for its output (per output: the softmax head only)',
      train: 'loss: [mse, binaryCrossentropy]',
      codes: ['LSTM4006'],
    },
    {
      name: 'categorical cross-entropy on the linear head',
      train: 'loss: categoricalCrossentropy',
      codes: ['LSTM4006'],
    },
  ];
  for (const c of invalid) {
    it(`${c.name}: ${c.codes.join(', ')}`, () => {
      expect(codes(heads(c.train))).toEqual(c.codes);
      // YAML has no duplicate-key form of its own (LSTM1011 instead).
      if (!c.codes.includes('LSTM2006')) expect(codes(headsYaml(c.train), 'heads.yaml')).toEqual(c.codes);
    });
  }

  it('a list of two losses for a single-output model is LSTM4040, with a hint for one loss', () => {
    const r = checkSource('model One { input x: [4, 3]; lstm(5); dense(1); train { loss: [mse, mae] } }', 'one.lstm');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['LSTM4040']);
    expect(r.diagnostics[0]!.hint).toContain('`loss: meanSquaredError`');
  });

  it('a map names outputs by their `output` names, with a did-you-mean fix', () => {
    const r = checkSource(heads('loss: {valeu: mse, label: categoricalCrossentropy}'), 'heads.lstm');
    const d = r.diagnostics[0]!;
    expect(d.code).toBe('LSTM4041');
    expect(d.hint).toBe('Did you mean "value"?');
    expect(d.fixes?.[0]?.edits[0]?.newText).toBe('value');
  });

  it('LSTM4006 points at the entry of the output it is about', () => {
    const r = checkSource(heads('loss: {value: mse, label: binaryCrossentropy}'), 'heads.lstm');
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['LSTM4006', 8, 24]]);
  });
});

describe('property: a list and a map in any order lower alike, and print back', () => {
  const LOSS_NAMES = ['mse', 'mae', 'meanSquaredError', 'logcosh', 'poisson', 'hinge'] as const;
  const CANONICAL: Record<string, string> = { mse: 'meanSquaredError', mae: 'meanAbsoluteError' };
  it('holds for 1 to 5 outputs, any losses, weights and map orders', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((n) =>
          fc.record({
            losses: fc.array(fc.constantFrom(...LOSS_NAMES), { minLength: n, maxLength: n }),
            weights: fc.array(
              fc.integer({ min: 0, max: 40 }).map((k) => k / 8),
              { minLength: n, maxLength: n },
            ),
            order: fc.shuffledSubarray(
              Array.from({ length: n }, (_, i) => i),
              { minLength: n, maxLength: n },
            ),
          }),
        ),
        ({ losses, weights, order }) => {
          const n = losses.length;
          const names = Array.from({ length: n }, (_, i) => `out${i}`);
          const model = (train: string) =>
            `model P {\n  input x: [3, 2]\n  let h = x -> lstm(2)\n${names
              .map((o) => `  let ${o} = h -> dense(1)`)
              .join('\n')}\n  output ${names.join(', ')}\n  train { ${train} }\n}\n`;
          const asList = model(`loss: [${losses.join(', ')}]  lossWeights: [${weights.join(', ')}]`);
          const asMap = model(
            `loss: {${order.map((i) => `${names[i]}: ${losses[i]}`).join(', ')}}  lossWeights: {${order
              .map((i) => `${names[i]}: ${weights[i]}`)
              .join(', ')}}`,
          );
          const a = toTfModelSpec(clean(asList, 'p.lstm')).train;
          const b = toTfModelSpec(clean(asMap, 'p.lstm')).train;
          expect(b).toEqual(a);
          const want = losses.map((l) => CANONICAL[l] ?? l);
          expect(a.losses ?? want.map(() => a.loss)).toEqual(want);
          expect(a.lossWeights ?? want.map(() => 1)).toEqual(
            weights.some((w) => w !== 1) ? weights : want.map(() => 1),
          );
          const ir = clean(asMap, 'p.lstm');
          expect(comparableModels([clean(printLstm(ir), 'q.lstm')])).toBe(comparableModels([ir]));
          expect(comparableModels([clean(printYaml(ir), 'q.yaml')])).toBe(comparableModels([ir]));
        },
      ),
      { numRuns: 40, seed: 11 },
    );
  });
});

// ----------------------------------------------------------------------------------- printers

describe('printers keep per-output losses and weights', () => {
  for (const train of [
    'loss: [mse, categoricalCrossentropy]\nlossWeights: [1, 0.2]',
    'loss: {label: categoricalCrossentropy, value: mae}\nlossWeights: {value: 0.5, label: 2}',
  ]) {
    it(train.replace(/\n/g, '; '), () => {
      const ir = clean(heads(train));
      const fromLstm = clean(printLstm(ir), 'p.lstm');
      const fromYaml = clean(printYaml(ir), 'p.yaml');
      expect(comparableModels([fromLstm])).toBe(comparableModels([ir]));
      expect(comparableModels([fromYaml])).toBe(comparableModels([ir]));
    });
  }
});

describe('fmt and convert keep per-output losses (lossless, comments included)', () => {
  const source = heads(
    '# per-output\nloss: {value: mse, label: categoricalCrossentropy}  # a map\nlossWeights: [1, 0.2]',
  );
  it('lstmc fmt reprints it and it checks to the same model', () => {
    const f = formatSource(source, 'heads.lstm');
    expect(f.diagnostics).toEqual([]);
    expect(f.text).toContain('# a map');
    expect(comparableModels([clean(f.text!)])).toBe(comparableModels([clean(source)]));
  });
  it('lstmc convert to YAML and back', () => {
    const ir = clean(source);
    const yaml = convertSpec(source, 'heads.lstm', 'lstm', 'yaml', [ir]);
    expect(yaml.lossless).toBe(true);
    expect(yaml.text).toContain('# a map');
    const fromYaml = clean(yaml.text, 'heads.yaml');
    expect(comparableModels([fromYaml])).toBe(comparableModels([ir]));
    const back = convertSpec(yaml.text, 'heads.yaml', 'yaml', 'lstm', [fromYaml]);
    expect(comparableModels([clean(back.text)])).toBe(comparableModels([ir]));
  });
});

// ----------------------------------------------------------------------------------- tfjs vs Keras maths

type Loss = 'meanSquaredError' | 'meanAbsoluteError' | 'categoricalCrossentropy' | 'binaryCrossentropy';

/** Keras/TF.js per-sample losses in float64 (the mean over the last axis, or the crossentropy sum). */
function lossPerRow(loss: Loss, y: number[], p: number[]): number {
  const eps = 1e-7; // tf.backend().epsilon()
  switch (loss) {
    case 'meanSquaredError':
      return y.reduce((s, v, i) => s + (v - p[i]!) ** 2, 0) / y.length;
    case 'meanAbsoluteError':
      return y.reduce((s, v, i) => s + Math.abs(v - p[i]!), 0) / y.length;
    case 'categoricalCrossentropy': {
      const sum = p.reduce((s, v) => s + v, 0);
      return -y.reduce((s, v, i) => s + v * Math.log(Math.min(1 - eps, Math.max(eps, p[i]! / sum))), 0);
    }
    case 'binaryCrossentropy':
      return (
        y.reduce((s, v, i) => {
          const q = Math.min(1 - eps, Math.max(eps, p[i]!));
          return s - (v * Math.log(q) + (1 - v) * Math.log(1 - q));
        }, 0) / y.length
      );
  }
}

/** mean over every row (batch and time steps) of the per-row loss: Keras's reduction. */
function meanLoss(loss: Loss, y: tf.Tensor, p: tf.Tensor): number {
  const last = y.shape[y.shape.length - 1]!;
  const ys = Array.from(y.dataSync());
  const ps = Array.from(p.dataSync());
  let total = 0;
  const rows = ys.length / last;
  for (let r = 0; r < rows; r++)
    total += lossPerRow(loss, ys.slice(r * last, (r + 1) * last), ps.slice(r * last, (r + 1) * last));
  return total / rows;
}

const cases: {
  name: string;
  source: string;
  x: number[];
  /** Target shapes without the batch, in output order. */
  targets: number[][];
  losses: Loss[];
  weights: number[];
  names: string[];
}[] = [
  {
    name: 'regression + classification heads, weights [1, 0.2] (the Keras docs example)',
    source: heads(
      'loss: {label: categoricalCrossentropy, value: mse}\nlossWeights: [1, 0.2]\noptimizer: sgd(0.1)\nmetrics: [mae]',
    ),
    x: [4, 3],
    targets: [[1], [3]],
    losses: ['meanSquaredError', 'categoricalCrossentropy'],
    weights: [1, 0.2],
    names: ['value', 'label'],
  },
  {
    name: 'a sequence output and a vector output (loss tensors of different shapes)',
    source: `model SeqAndClass {
  input x: [6, 2]
  let s = x -> lstm(4, returnSequences: true)
  let steps = s -> timeDistributed(dense(1, activation: sigmoid))
  let kind = s -> lstm(3) -> dense(2, activation: softmax)
  output steps, kind
  train {
    loss: {steps: binaryCrossentropy, kind: categoricalCrossentropy}
    lossWeights: {steps: 0.5, kind: 3}
    optimizer: adam
  }
}
`,
    x: [6, 2],
    targets: [[6, 1], [2]],
    losses: ['binaryCrossentropy', 'categoricalCrossentropy'],
    weights: [0.5, 3],
    names: ['steps', 'kind'],
  },
];

function targetFor(loss: Loss, shape: number[], batch: number, seed: number): tf.Tensor {
  if (loss === 'categoricalCrossentropy') {
    const k = shape[shape.length - 1]!;
    const idx = tf.randomUniform([batch], 0, k, 'int32', seed);
    return tf.oneHot(idx, k).toFloat();
  }
  if (loss === 'binaryCrossentropy') return tf.randomUniform([batch, ...shape], 0, 1, 'float32', seed).round();
  return tf.randomUniform([batch, ...shape], -1, 1, 'float32', seed);
}

describe('runtime compile: the total loss is Keras’s weighted sum, logged under the output names', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const ir = clean(c.source);
      const spec = toTfModelSpec(ir);
      const model = buildModel(spec);
      try {
        compileModel(model, spec.train);
        const batch = 7;
        const x = tf.randomUniform([batch, ...c.x], 0, 1, 'float32', 11);
        const ys = c.targets.map((s, i) => targetFor(c.losses[i]!, s, batch, 20 + i));
        const preds = model.predict(x) as tf.Tensor[];
        const terms = c.losses.map((l, i) => c.weights[i]! * meanLoss(l, ys[i]!, preds[i]!));
        const want = terms.reduce((a, b) => a + b, 0);
        // evaluate (and so fit's validation) reports the same total and terms, under the same names.
        const ev = (model.evaluate(x, ys, { batchSize: 3 }) as tf.Scalar[]).map((t) => t.dataSync()[0]!);
        expect(ev).toHaveLength(model.metricsNames.length);
        expect(Math.abs(ev[0]! - want)).toBeLessThan(1e-5 * Math.max(1, want));
        terms.forEach((t, i) => expect(Math.abs(ev[1 + i]! - t)).toBeLessThan(1e-5 * Math.max(1, t)));
        // trainOnBatch reports the loss of the weights it started from.
        const got = (await model.trainOnBatch(x, ys)) as number[];
        expect(model.metricsNames.slice(0, 3)).toEqual(['loss', ...c.names.map((n) => `${n}_loss`)]);
        expect(Math.abs(got[0]! - want)).toBeLessThan(1e-5 * Math.max(1, want));
        terms.forEach((t, i) => expect(Math.abs(got[1 + i]! - t)).toBeLessThan(1e-5 * Math.max(1, t)));
        // The weights changed: the weighted loss trains.
        const after = (await model.trainOnBatch(x, ys)) as number[];
        expect(after[0]).not.toBe(got[0]);
        // fit's history carries the same names; its val_loss is the whole weighted total.
        const h = await model.fit(x, ys, { epochs: 1, batchSize: batch, verbose: 0, validationData: [x, ys] });
        expect(Object.keys(h.history)).toEqual(expect.arrayContaining(c.names.map((n) => `${n}_loss`)));
        const afterFit = (model.evaluate(x, ys) as tf.Scalar[]).map((t) => t.dataSync()[0]!);
        expect(h.history['val_loss']![0]).toBeCloseTo(afterFit[0]!, 5);
        expect(afterFit[0]).toBeCloseTo(afterFit[1]! + afterFit[2]!, 5);
        tf.dispose([x, ...ys, ...preds]);
      } finally {
        model.dispose();
      }
    });
  }

  it('one loss for two outputs: logged under the output names, evaluate reports the whole total', async () => {
    const ir = clean(heads('loss: mae'));
    const spec = toTfModelSpec(ir);
    expect(spec.train).toMatchObject({ loss: 'meanAbsoluteError', outputNames: ['value', 'label'] });
    expect(spec.train.losses).toBeUndefined();
    const model = buildModel(spec);
    try {
      compileModel(model, spec.train);
      expect(model.metricsNames).toEqual(['loss', 'value_loss', 'label_loss']);
      const x = tf.randomUniform([5, 4, 3], 0, 1, 'float32', 13);
      const ys = [targetFor('meanAbsoluteError', [1], 5, 14), targetFor('meanAbsoluteError', [3], 5, 15)];
      const preds = model.predict(x) as tf.Tensor[];
      const terms = [0, 1].map((i) => meanLoss('meanAbsoluteError', ys[i]!, preds[i]!));
      const ev = (model.evaluate(x, ys) as tf.Scalar[]).map((t) => t.dataSync()[0]!);
      expect(ev).toHaveLength(3);
      expect(Math.abs(ev[0]! - terms[0]! - terms[1]!)).toBeLessThan(1e-5);
      const got = (await model.trainOnBatch(x, ys)) as number[];
      expect(Math.abs(got[0]! - terms[0]! - terms[1]!)).toBeLessThan(1e-5);
      tf.dispose([x, ...ys, ...preds]);
    } finally {
      model.dispose();
    }
  });

  it('without weights, per-output losses sum as Keras does (weight 1 each)', async () => {
    const ir = clean(heads('loss: [mae, categoricalCrossentropy]'));
    const spec = toTfModelSpec(ir);
    expect(spec.train.lossWeights).toBeUndefined();
    const model = buildModel(spec);
    try {
      compileModel(model, spec.train);
      const x = tf.randomUniform([5, 4, 3], 0, 1, 'float32', 3);
      const ys = [targetFor('meanAbsoluteError', [1], 5, 4), targetFor('categoricalCrossentropy', [3], 5, 5)];
      const preds = model.predict(x) as tf.Tensor[];
      const want =
        meanLoss('meanAbsoluteError', ys[0]!, preds[0]!) + meanLoss('categoricalCrossentropy', ys[1]!, preds[1]!);
      const got = (await model.trainOnBatch(x, ys)) as number[];
      expect(Math.abs(got[0]! - want)).toBeLessThan(1e-5);
    } finally {
      model.dispose();
    }
  });
});

// ----------------------------------------------------------------------------------- compiled module

describe('the compiled module compiles as the runtime does', () => {
  it('same loss list, weights, log names and the same loss values on the same weights', async () => {
    const ir = clean(cases[0]!.source);
    const spec = toTfModelSpec(ir);
    const { modules, diagnostics } = emitModules([
      { model: ir, tfSpec: spec, options: { sourcePath: 'heads.lstm', source: 'losses', version: '0' } },
    ]);
    expect(diagnostics).toEqual([]);
    const text = modules[0]!.text;
    expect(text).toContain("loss: ['meanSquaredError', 'categoricalCrossentropy'],");
    expect(text).toContain("withOutputLosses(model, [1, 0.2], ['value', 'label']);");
    const file = path.join(dir, modules[0]!.fileName);
    writeFileSync(file, text);
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const names = moduleNames(ir.name);
    const fromModule = (mod[names.build] as () => tf.LayersModel)();
    const fromRuntime = buildModel(spec);
    try {
      (mod[names.compile] as (m: tf.LayersModel) => void)(fromModule);
      compileModel(fromRuntime, spec.train);
      expect(fromModule.metricsNames).toEqual(fromRuntime.metricsNames);
      fromModule.setWeights(fromRuntime.getWeights());
      const x = tf.randomUniform([6, 4, 3], 0, 1, 'float32', 7);
      const ys = [targetFor('meanSquaredError', [1], 6, 8), targetFor('categoricalCrossentropy', [3], 6, 9)];
      const a = (await fromModule.trainOnBatch(x, ys)) as number[];
      const b = (await fromRuntime.trainOnBatch(x, ys)) as number[];
      expect(a).toEqual(b);
      expect((mod['trainingConfig'] as Record<string, unknown>)['lossWeights']).toEqual([1, 0.2]);
      expect((mod['trainingConfig'] as Record<string, unknown>)['loss']).toEqual([
        'meanSquaredError',
        'categoricalCrossentropy',
      ]);
    } finally {
      fromModule.dispose();
      fromRuntime.dispose();
    }
  });
});

// ----------------------------------------------------------------------------------- resume

describe('resume notices a changed per-output loss or weight', () => {
  const info = { inputShape: [4, 3], targetShape: [1] };
  const fp = (train: string) => runFingerprint(toTfModelSpec(clean(heads(train))), info);
  it('weights', () => {
    expect(compareFingerprints(fp('loss: mse\nlossWeights: [1, 0.2]'), fp('loss: mse\nlossWeights: [1, 0.5]'))).toEqual(
      ['lossWeights: [1, 0.2] in the checkpoint, [1, 0.5] in the spec'],
    );
    expect(compareFingerprints(fp('loss: mse\nlossWeights: [1, 0.2]'), fp('loss: mse'))).toEqual([
      'lossWeights: [1, 0.2] in the checkpoint, [1, 1] in the spec',
    ]);
  });
  it('losses', () => {
    expect(compareFingerprints(fp('loss: mse'), fp('loss: [mse, categoricalCrossentropy]'))).toEqual([
      'loss: [meanSquaredError, meanSquaredError] in the checkpoint, [meanSquaredError, categoricalCrossentropy] in the spec',
    ]);
    // The same losses, spelt differently, are the same run.
    expect(compareFingerprints(fp('loss: [mae, mae]'), fp('loss: mae'))).toEqual([]);
    expect(
      compareFingerprints(
        fp('loss: [mse, categoricalCrossentropy]'),
        fp('loss: {label: categoricalCrossentropy, value: mse}'),
      ),
    ).toEqual([]);
  });
  it('an old single-loss fingerprint still matches its spec', () => {
    const now = fp('loss: mae');
    const { losses: _l, lossWeights: _w, ...old } = now;
    expect(compareFingerprints(old, now)).toEqual([]);
  });
});

// ----------------------------------------------------------------------------------- PyTorch

const NO_TORCH = skipWithoutTorch('test/losses.test.ts (PyTorch parity)');

describe.skipIf(NO_TORCH)('PyTorch target: the same weighted loss as TF.js', () => {
  it('train.py lstmc_output_losses + _lstmc_batch_values on the TF.js weights', async () => {
    const py = findTorchPython();
    if (!py.ok) throw new Error(py.reason);
    const jobs: unknown[] = [];
    const fromTfjs: number[][] = [];
    const byHand: number[][] = [];
    for (const [n, c] of cases.entries()) {
      const ir = clean(c.source);
      const spec = toTfModelSpec(ir);
      const { modules, diagnostics } = emitPytorchModules([
        { model: ir, tfSpec: spec, options: { sourcePath: 'x.lstm', source: c.source, version: '0' } },
      ]);
      expect(diagnostics).toEqual([]);
      const module = path.join(dir, `torch${n}-${modules[0]!.fileName}`);
      writeFileSync(module, modules[0]!.text);
      const model = buildModel(spec);
      try {
        compileModel(model, spec.train);
        const tfjsDir = path.join(dir, `tfjs${n}`);
        rt.writeDirAtomic(tfjsDir, await rt.modelFiles(model));
        const batch = 5;
        const x = tf.randomUniform([batch, ...c.x], 0, 1, 'float32', 31 + n);
        const ys = c.targets.map((sh, i) => targetFor(c.losses[i]!, sh, batch, 40 + i));
        const preds = model.predict(x) as tf.Tensor[];
        byHand.push(c.losses.map((l, i) => c.weights[i]! * meanLoss(l, ys[i]!, preds[i]!)));
        fromTfjs.push(((await model.trainOnBatch(x, ys)) as number[]).slice(0, 1 + c.losses.length));
        jobs.push({
          module,
          model: ir.name,
          tfjs: tfjsDir,
          x: toWire(x.dataSync() as Float32Array, x.shape),
          ys: ys.map((y) => toWire(y.dataSync() as Float32Array, y.shape)),
        });
        tf.dispose([x, ...ys, ...preds]);
      } finally {
        model.dispose();
      }
    }
    const program = `${PY_WIRE_HELPERS}
import importlib.util, json, sys
import torch
torch.set_num_threads(1)
out = []
for job in json.load(sys.stdin):
    spec = importlib.util.spec_from_file_location('lstmc_losses_%d' % len(out), job['module'])
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    cls = getattr(mod, job['model'])
    m = cls.from_tfjs(job['tfjs']).eval()
    with torch.no_grad():
        ys = m(torch.from_numpy(arr(job['x'])))
    ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
    targets = [torch.from_numpy(arr(a)) for a in job['ys']]
    fns = mod.lstmc_output_losses(cls.TRAIN, len(ys))
    total, values = mod._lstmc_batch_values(ys, targets, fns, [])
    out.append([float(v) for v in values])
print(json.dumps(out))
`;
    const torch = (await runPythonJson<number[][]>(py.python, program, jobs, { timeoutMs: 300_000 })).result;
    torch.forEach((values, n) => {
      const want = [byHand[n]!.reduce((a, b) => a + b, 0), ...byHand[n]!];
      expect(values).toHaveLength(want.length);
      values.forEach((v, i) => {
        expect(Math.abs(v - fromTfjs[n]![i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v)));
        expect(Math.abs(v - want[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v)));
      });
    });
  }, 300_000);
});
