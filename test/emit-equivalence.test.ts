/**
 * One source of truth: for every spec under specs/ (and the hand-built graph models), the compiled
 * module, imported here, builds a model whose topology (`model.toJSON()`, names of wrapped layers
 * aside) and `countParams()` equal those of the model the runtime builds straight from the IR
 * (runtime/build.ts), and whose per-layer output shapes and params equal `lstmc summary --json`
 * (compiler/summary.ts `summarize`).
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitModules, moduleNames, optimizerExpression, type EmitInput } from '../emit/typescript.js';
import { LOSSES, METRIC_TABLE, OPTIMIZER_TABLE, optimizerCall } from '../compiler/train.js';
import type { IRModel } from '../compiler/ir.js';
import { checkSource } from '../compiler/index.js';
import { summarize, type SummaryShape } from '../compiler/summary.js';
import { toTfModelSpec, toTfShape } from '../compiler/tfspec.js';
import { setupBackend } from '../runtime/backend.js';
import { buildModel } from '../runtime/build.js';
import { compileModel, makeOptimizer } from '../runtime/optimizer.js';
import { evilModel, handModels, projectTempDir, specFiles } from './emit-helpers.js';

interface Built {
  build: (params?: Record<string, unknown>) => tf.LayersModel;
  compile: (model: tf.LayersModel) => void;
}

let dir = '';
beforeAll(async () => {
  // The fastest backend that loads (wasm here): building LSTMs runs the orthogonal initializer.
  await setupBackend('auto');
  dir = projectTempDir('equiv');
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** Emit, write, import the module; returns its builder and compile function. */
async function compiled(model: IRModel, tag: string): Promise<Built> {
  const input: EmitInput = {
    model,
    tfSpec: toTfModelSpec(model),
    options: { sourcePath: 'x', source: tag, version: '0' },
  };
  const { modules, diagnostics } = emitModules([input]);
  expect(diagnostics).toEqual([]);
  const file = path.join(dir, `${tag}-${modules[0]!.fileName}`);
  writeFileSync(file, modules[0]!.text);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const names = moduleNames(model.name);
  return { build: mod[names.build] as Built['build'], compile: mod[names.compile] as Built['compile'] };
}

/** toJSON without names of wrapped layers (TF.js numbers those globally) and without the version. */
function topology(model: tf.LayersModel): unknown {
  const json = model.toJSON(null, false) as unknown;
  const strip = (v: unknown, insideLayer: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => strip(x, insideLayer));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (k === 'keras_version' || k === 'backend') continue;
        if (insideLayer && k === 'name') continue;
        out[k] = strip(x, insideLayer || k === 'layer');
      }
      return out;
    }
    return v;
  };
  return strip(json, false);
}

/** A summary's output shape(s) as TF.js sees them (symbolic dims become null): production's toTfShape. */
function summaryShape(shape: SummaryShape | SummaryShape[]): (number | null)[] | (number | null)[][] {
  return isShapeList(shape) ? shape.map((s) => toTfShape(s)) : toTfShape(shape);
}

function isShapeList(shape: SummaryShape | SummaryShape[]): shape is SummaryShape[] {
  return Array.isArray(shape[0]);
}

function compare(model: IRModel, fromModule: tf.LayersModel, withSummary: boolean): void {
  const fromRuntime = buildModel(toTfModelSpec(model));
  try {
    expect(topology(fromModule)).toEqual(topology(fromRuntime));
    expect(fromModule.countParams()).toBe(fromRuntime.countParams());
    if (withSummary) {
      const summary = summarize(model);
      expect(fromModule.countParams()).toBe(summary.totalParams);
      const layers = fromModule.layers.filter((l) => l.getClassName() !== 'InputLayer');
      expect(layers.map((l) => l.name)).toEqual(summary.layers.map((l) => l.name));
      expect(layers.map((l) => l.getClassName())).toEqual(summary.layers.map((l) => l.type));
      expect(layers.map((l) => l.outputShape)).toEqual(summary.layers.map((l) => summaryShape(l.outputShape)));
      expect(layers.map((l) => l.countParams())).toEqual(summary.layers.map((l) => l.params));
    }
  } finally {
    fromRuntime.dispose();
  }
}

const specs = specFiles().filter((s) => /\.ya?ml$/.test(s.file));
// The .lstm twins lower to the same IR (test/specs.test.ts); the YAML spelling stands for both here.

describe('compiled module == runtime model == summary', () => {
  it('has the reference specs', () => {
    expect(specs.length).toBeGreaterThanOrEqual(6);
  });

  for (const s of specs) {
    it(`${s.file}`, async () => {
      const r = checkSource(s.source, s.file);
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(r.models.length).toBeGreaterThan(0);
      for (const model of r.models) {
        const mod = await compiled(model, path.basename(s.file).replace(/\W/g, '_'));
        const built = mod.build();
        try {
          compare(model, built, true);
          // The compile function runs against the real tfjs (loss, optimizer, metrics, clipping).
          mod.compile(built);
          expect(built.optimizer).toBeDefined();
        } finally {
          built.dispose();
        }
      }
    }, 300_000);
  }

  it('params flow through: build(params) == runtime model checked with --param', async () => {
    const source = [
      'model Param',
      'params:',
      '  units: 8',
      '  steps: 5',
      'inputs:',
      '  x: [$steps, 3]',
      'layers:',
      '  - lstm: $units',
      '  - dense: {units: $units, activation: softmax}',
      'train:',
      '  loss: categoricalCrossentropy',
      '  optimizer: adam',
      '',
    ]
      .join('\n')
      .replace('model Param', 'model: Param');
    const base = checkSource(source, 'param.yaml');
    expect(base.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const mod = await compiled(base.models[0]!, 'params');
    const over = checkSource(source, 'param.yaml', { params: { units: '17', steps: '4' } });
    expect(over.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const built = mod.build({ units: 17, steps: 4 });
    try {
      compare(over.models[0]!, built, true);
      expect(built.inputs[0]!.shape).toEqual([null, 4, 3]);
      expect(built.outputs[0]!.shape).toEqual([null, 17]);
    } finally {
      built.dispose();
    }
  }, 300_000);

  for (const model of handModels()) {
    it(`hand-built ${model.kind} model ${model.name}`, async () => {
      const mod = await compiled(model, 'hand');
      const built = mod.build();
      try {
        compare(model, built, false);
        mod.compile(built);
      } finally {
        built.dispose();
      }
    }, 300_000);
  }

  it('hostile names survive as values: the module evaluates and its data equals the spec', async () => {
    // TF.js itself rejects such layer names at build time ("Not a valid tensor name"), so this checks
    // what the module evaluates to without building: the printed literals round-trip exactly.
    const model = evilModel();
    const { modules } = emitModules([
      { model, tfSpec: toTfModelSpec(model), options: { sourcePath: 'x', source: 'evil', version: '0' } },
    ]);
    const file = path.join(dir, `evil-${modules[0]!.fileName}`);
    writeFileSync(file, modules[0]!.text);
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    expect(mod['inputShapes']).toEqual({ [model.inputs[0]!.name]: [4] });
    expect(mod['defaultEvilNamesParams']).toEqual(model.params);
    expect(Object.keys(mod).sort()).toEqual([
      'buildEvilNames',
      'compileEvilNames',
      'defaultEvilNamesParams',
      'inputShapes',
      'trainingConfig',
    ]);
    expect((globalThis as Record<string, unknown>)['x']).toBeUndefined();
  });
});

describe('gradient clipping wrapper', () => {
  it('clips each tensor by its norm, then by value, before the optimizer applies gradients', async () => {
    const spec = `model Clip {
  input x: [2]
  dense(1, useBias: false)
  train {
    loss: meanSquaredError
    optimizer: sgd(learningRate: 1)
    clipNorm: 0.5
    clipValue: 0.3
  }
}
`;
    const r = checkSource(spec, 'clip.lstm');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.models).toHaveLength(1);
    const mod = await compiled(r.models[0]!, 'clip');
    const model = mod.build();
    try {
      mod.compile(model);
      model.setWeights([tf.tensor2d([[0], [0]])]);
      // loss = (w.x - y)^2 with x = [3, 4], y = 10: grad = 2 * (0 - 10) * x = [-60, -80], norm 100.
      await model.fit(tf.tensor2d([[3, 4]]), tf.tensor2d([[10]]), {
        epochs: 1,
        batchSize: 1,
        shuffle: false,
        verbose: 0,
      });
      // Norm clip to 0.5: [-0.3, -0.4]; value clip to 0.3: [-0.3, -0.3]; sgd lr 1: w = [0.3, 0.3].
      const w = (await model.getWeights()[0]!.data()) as Float32Array;
      expect(Array.from(w).map((v) => Number(v.toFixed(5)))).toEqual([0.3, 0.3]);
    } finally {
      model.dispose();
    }
  });
});

describe('clipNorm is per tensor (Keras clipnorm), the same in the module and the runtime', () => {
  it('kernel and bias are clipped independently', async () => {
    const spec = `model ClipEach {
  input x: [2]
  dense(1)
  train {
    loss: meanSquaredError
    optimizer: sgd(learningRate: 1)
    clipNorm: 0.5
  }
}
`;
    const r = checkSource(spec, 'clip-each.lstm');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.models).toHaveLength(1);
    const ir = r.models[0]!;
    const mod = await compiled(ir, 'clipeach');
    // Gradients at w = 0, b = 0 for x = [3, 4], y = 10: kernel [-60, -80] (norm 100), bias [-20] (norm 20).
    // Per tensor: kernel -> [-0.3, -0.4], bias -> [-0.5]. (A global norm would give [-0.294, -0.392], [-0.098].)
    const want = [0.3, 0.4, 0.5];
    const fromModule = mod.build();
    const fromRuntime = buildModel(toTfModelSpec(ir));
    try {
      mod.compile(fromModule);
      compileModel(fromRuntime, toTfModelSpec(ir).train);
      for (const m of [fromModule, fromRuntime]) {
        m.setWeights([tf.tensor2d([[0], [0]]), tf.tensor1d([0])]);
        await m.fit(tf.tensor2d([[3, 4]]), tf.tensor2d([[10]]), {
          epochs: 1,
          batchSize: 1,
          shuffle: false,
          verbose: 0,
        });
        const got = [
          ...((await m.getWeights()[0]!.data()) as Float32Array),
          ...((await m.getWeights()[1]!.data()) as Float32Array),
        ];
        expect(got.map((v) => Number(v.toFixed(5)))).toEqual(want);
      }
    } finally {
      fromModule.dispose();
      fromRuntime.dispose();
    }
  });
});

describe('optimizer, loss and metric names agree with runtime/optimizer.ts', () => {
  // Every optimizer of the train table, with its defaults and with every numeric argument given.
  const cases: [string, Record<string, number>][] = Object.entries(OPTIMIZER_TABLE).flatMap(([name, def]) => {
    const all: Record<string, number> = {};
    def.params.forEach((p, i) => {
      if (typeof p.default === 'number') all[p.name] = Number((p.default * 0.5 + 0.01 * (i + 1)).toPrecision(6));
    });
    return [[name, {}] as [string, Record<string, number>], [name, all] as [string, Record<string, number>]];
  });
  for (const [name, args] of cases) {
    it(`${name} ${JSON.stringify(args)}`, () => {
      const expr = optimizerExpression({ name, args });
      // The printed expression is plain JavaScript over `tf`.
      const fromModule = new Function('tf', `return ${expr};`)(tf) as tf.Optimizer;
      const fromRuntime = makeOptimizer(optimizerCall({ name, args }));
      try {
        expect(fromModule.getClassName()).toBe(fromRuntime.getClassName());
        expect(fromModule.getConfig()).toEqual(fromRuntime.getConfig());
        if (args.learningRate !== undefined)
          expect(fromModule.getConfig()['learningRate']).toBeCloseTo(args.learningRate, 6);
      } finally {
        fromModule.dispose();
        fromRuntime.dispose();
      }
    });
  }

  it('every loss and metric identifier a spec lowers to is one TF.js compile accepts', () => {
    // Both back ends print / pass the spec's identifiers as they are (compiler/tfspec.ts `train`).
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2], activation: 'softmax' })] });
    try {
      for (const loss of new Set(Object.values(LOSSES)))
        expect(() => m.compile({ loss, optimizer: 'sgd' }), loss).not.toThrow();
      for (const metric of new Set(Object.values(METRIC_TABLE))) {
        expect(
          () => m.compile({ loss: 'meanSquaredError', optimizer: 'sgd', metrics: [metric] }),
          metric,
        ).not.toThrow();
      }
      expect(() => m.compile({ loss: 'noSuchLoss', optimizer: 'sgd' })).toThrow();
      expect(() => m.compile({ loss: 'meanSquaredError', optimizer: 'sgd', metrics: ['noSuchMetric'] })).toThrow();
    } finally {
      m.dispose();
    }
  });
});

describe('per-output losses and loss weights: the module compiles as the runtime does', () => {
  it('the same loss list, weights (withOutputLosses) and log names, the same losses on one batch', async () => {
    const spec = `model Heads {
  input x: [4, 3]
  let h = x -> lstm(5)
  let value = h -> dense(1)
  let label = h -> dense(3, activation: softmax)
  output value, label
  train { loss: {label: categoricalCrossentropy, value: mae}  lossWeights: {value: 2, label: 0.5}  metrics: [accuracy] }
}
`;
    const r = checkSource(spec, 'heads.lstm');
    expect(r.diagnostics).toEqual([]);
    const ir = r.models[0]!;
    const tfSpec = toTfModelSpec(ir);
    expect(tfSpec.train).toMatchObject({
      losses: ['meanAbsoluteError', 'categoricalCrossentropy'],
      lossWeights: [2, 0.5],
      outputNames: ['value', 'label'],
    });
    const mod = await compiled(ir, 'heads');
    const fromModule = mod.build();
    const fromRuntime = buildModel(tfSpec);
    try {
      mod.compile(fromModule);
      compileModel(fromRuntime, tfSpec.train);
      expect(fromModule.metricsNames).toEqual(['loss', 'value_loss', 'label_loss', 'value_acc', 'label_acc']);
      expect(fromRuntime.metricsNames).toEqual(fromModule.metricsNames);
      fromModule.setWeights(fromRuntime.getWeights());
      const x = tf.randomUniform([6, 4, 3], 0, 1, 'float32', 5);
      const ys = [tf.randomUniform([6, 1], 0, 1, 'float32', 6), tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3)];
      const a = (await fromModule.trainOnBatch(x, ys)) as number[];
      const b = (await fromRuntime.trainOnBatch(x, ys)) as number[];
      expect(a).toEqual(b);
      // The total is the weighted sum of the per-output terms TF.js logs.
      expect(a[0]).toBeCloseTo(a[1]! + a[2]!, 5);
      tf.dispose([x, ...ys]);
    } finally {
      fromModule.dispose();
      fromRuntime.dispose();
    }
  });
});
