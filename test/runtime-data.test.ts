/** Data loading errors (located, before training), data shapes, clipping, NaN guard. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import type { IRData, IRModel } from '../compiler/ir.js';
import { dataShapes } from '../compiler/data-schema.js';
import { applyClipping, DataError, generate, loadData, predictSamples, setupBackend, train } from '../runtime/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'lstmc-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const span = { file: join(tmp, 'spec.lstm'), line: 9, column: 3, endLine: 9, endColumn: 20 };
const quiet = { progress: 'none' as const, stream: { write: () => true } };

function csvData(options: Record<string, string | number | boolean>): IRData {
  return { source: 'csv', options, spans: {}, span };
}

function located(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return (e as DataError).located();
  }
  throw new Error('expected a DataError');
}

describe('CSV time series', () => {
  const good = join(tmp, 'series.csv');
  writeFileSync(
    good,
    'month,passengers\n' + Array.from({ length: 30 }, (_, i) => `m${i},${100 + i * 10}`).join('\n') + '\n',
  );

  it('windows, horizon, min-max scaling fitted on the training part, time-ordered split', () => {
    const ds = loadData(csvData({ csv: good, column: 'passengers', window: 4, horizon: 2, split: 0.8 }));
    expect(ds.train.x.shape).toEqual([20, 4, 1]);
    expect(ds.test!.x.shape).toEqual([5, 4, 1]);
    expect(ds.train.y.shape).toEqual([20, 2]);
    // fitted on the 24 values the training windows see (20 windows of 4 + 2 − 1), not the test part
    expect(ds.info.scale).toEqual({ min: 100, max: 100 + 24 * 10 });
    expect(ds.train.x.values[0]).toBe(0);
    expect(ds.info.inputShape).toEqual([4, 1]);
    expect(dataShapes('csv', { csv: good, window: 4, horizon: 2 })).toEqual({ input: [[4, 1]], target: [[2]] });
  });

  it('missing file', () => {
    expect(located(() => loadData(csvData({ csv: join(tmp, 'nope.csv'), window: 3 })))).toMatch(
      /nope\.csv: file not found \(data block at .*spec\.lstm:9:3\)/,
    );
  });
  it('missing column names the header', () => {
    expect(located(() => loadData(csvData({ csv: good, column: 'price', window: 3 })))).toMatch(
      /series\.csv:1: no column "price"; the header has "month", "passengers"/,
    );
  });
  it('non-numeric cell names the line', () => {
    const f = join(tmp, 'bad.csv');
    writeFileSync(f, 'a,b\n1,2\n3,4\n5,oops\n7,8\n');
    expect(located(() => loadData(csvData({ csv: f, column: 'b', window: 1 })))).toMatch(
      /bad\.csv:4: non-numeric value "oops" in column "b"/,
    );
  });
  it('too few rows for the window', () => {
    const f = join(tmp, 'short.csv');
    writeFileSync(f, 'v\n1\n2\n3\n');
    expect(located(() => loadData(csvData({ csv: f, window: 5, horizon: 1 })))).toMatch(
      /short\.csv:4: too few rows for the window: 3 value\(s\).*needs at least 6/,
    );
  });
  it('bad options are reported with the key', () => {
    expect(dataShapes('csv', { csv: good })).toMatchObject({ key: 'csv' });
    expect(dataShapes('csv', { csv: good, window: 0 })).toMatchObject({ key: 'window' });
    expect(dataShapes('csv', { csv: good, window: 3, colum: 'x' })).toMatchObject({ key: 'colum' });
    expect(dataShapes('synthetic', { synthetic: 'echoes' })).toMatchObject({ key: 'synthetic' });
  });

  it('a target shape that does not match the model output fails before training', async () => {
    const r = checkSource(
      `model M {
  input x: [4, 1]
  lstm(4)
  dense(1)
  train { loss: mse  optimizer: adam  epochs: 1  batchSize: 4 }
}`,
      join(tmp, 'm.lstm'),
    );
    const m: IRModel = { ...r.models[0]!, data: csvData({ csv: good, window: 4, horizon: 3 }) };
    // The checker's LSTM4007, code and text from base/diagnostics.ts.
    await expect(train(m, quiet)).rejects.toThrow(
      'LSTM4007 The data block gives targets of shape [batch, 3], but the model output has shape [batch, 1].',
    );
    const wide: IRModel = { ...m, data: csvData({ csv: good, window: 5, horizon: 1 }) };
    await expect(train(wide, quiet)).rejects.toThrow(
      'LSTM4011 The data block gives inputs of shape [batch, 5, 1], but input x has shape [batch, 4, 1].',
    );
  });

  it('metrics are reported in original units', async () => {
    const r = checkSource(
      `model M {
  input x: [4, 1]
  lstm(8)
  dense(1)
  train { loss: mse  optimizer: adam(learningRate: 0.01)  epochs: 3  batchSize: 4  seed: 2 }
  data { csv: "series.csv"  column: passengers  window: 4 }
}`,
      join(tmp, 'm.lstm'),
    );
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const res = await train(r.models[0]!, quiet);
    expect(res.evaluation.maeOriginal).toBeGreaterThan(0);
    // original units are (max − min) = 230 times the scaled ones (scaler fitted on the first 24 values)
    expect(res.evaluation.maeOriginal! / res.evaluation.mae!).toBeCloseTo(230, 0);
    // predict takes and returns original units (inputs scaled, outputs unscaled)
    const ys = predictSamples(res.model, res.dataset.info, [[[300], [310], [320], [330]]]) as number[][];
    expect(ys[0]![0]!).toBeGreaterThan(50);
    expect(ys[0]![0]!).toBeLessThan(600);
    res.model.dispose();
  });
});

describe('text corpus', () => {
  it('windows over the alphabet; too short a corpus is an error', () => {
    const f = join(tmp, 'c.txt');
    writeFileSync(f, 'hello world, hello lstm. '.repeat(20));
    const ds = loadData({ source: 'text', options: { text: f, window: 8, step: 2 }, spans: {}, span });
    expect(ds.info.alphabet).toBe([...new Set('hello world, hello lstm. ')].sort().join(''));
    expect(ds.train.x.shape.slice(1)).toEqual([8, ds.info.alphabet!.length]);
    const s = join(tmp, 's.txt');
    writeFileSync(s, 'abc');
    expect(located(() => loadData({ source: 'text', options: { text: s, window: 8 }, spans: {}, span }))).toMatch(
      /s\.txt: the corpus has 3 usable character\(s\)/,
    );
  });
});

describe('gradient clipping', () => {
  it('clipNorm scales a tensor down to the norm; clipValue clips elementwise', async () => {
    await setupBackend('cpu');
    for (const [clip, want] of [
      [{ clipNorm: 1 }, -Math.SQRT1_2],
      [{ clipValue: 0.5 }, -0.5],
      [{}, -100],
    ] as const) {
      const w = tf.variable(tf.zeros([2]));
      const opt = tf.train.sgd(1);
      const stats = applyClipping(opt, clip, true);
      opt.minimize(() => tf.sum(tf.mul(w, 100)));
      const v = w.dataSync();
      expect(v[0]).toBeCloseTo(want, 5);
      expect(v[1]).toBeCloseTo(want, 5);
      if ('clipNorm' in clip) {
        expect(stats.lastNorm).toBeCloseTo(100 * Math.SQRT2, 3);
        expect(stats.clippedBatches).toBe(1);
      }
      w.dispose();
      opt.dispose();
    }
  });

  it('clipNorm clips each gradient tensor by its own norm (Keras clipnorm), not by the global norm', async () => {
    await setupBackend('cpu');
    const a = tf.variable(tf.zeros([2]));
    const b = tf.variable(tf.zeros([1]));
    const opt = tf.train.sgd(1);
    const stats = applyClipping(opt, { clipNorm: 1 }, true);
    // Gradients: a -> [30, 40] (norm 50, clipped to [0.6, 0.8]); b -> [0.5] (norm 0.5, left alone).
    opt.minimize(() => tf.add(tf.sum(tf.mul(a, tf.tensor1d([30, 40]))), tf.sum(tf.mul(b, 0.5))));
    expect(Array.from(a.dataSync()).map((v) => Number(v.toFixed(5)))).toEqual([-0.6, -0.8]);
    expect(Array.from(b.dataSync()).map((v) => Number(v.toFixed(5)))).toEqual([-0.5]);
    expect(stats.lastNorm).toBeCloseTo(50, 3);
    expect(stats.clippedBatches).toBe(1);
    a.dispose();
    b.dispose();
    opt.dispose();
  });

  it('clipNorm from the train block is applied during fit', async () => {
    const r = checkSource(
      `model M {
  input x: [5, 10]
  lstm(8)
  dense(10, activation: softmax)
  train { loss: categoricalCrossentropy  optimizer: sgd(learningRate: 0.1)  epochs: 1  batchSize: 16  clipNorm: 0.001  seed: 1 }
  data { synthetic: echo  samples: 64 }
}`,
      'clip.lstm',
    );
    const m = r.models[0]!;
    const res = await train(m, { ...quiet, backend: 'cpu' });
    // With a tiny clipNorm and lr 0.1 every step moves the weights by at most 1e-4 in global norm:
    // after 4 batches the loss is still that of the (seeded) initial model.
    const unclipped = await train({ ...m, train: { ...m.train, clipNorm: undefined } }, { ...quiet, backend: 'cpu' });
    expect(Math.abs(res.history.loss![0]! - Math.log(10))).toBeLessThan(0.05);
    expect(unclipped.history.loss![0]!).not.toBeCloseTo(res.history.loss![0]!, 4);
    res.model.dispose();
    unclipped.model.dispose();
  });
});

describe('rectangle generator', () => {
  it('generates corners from a seed point', async () => {
    const r = checkSource(
      `model Rect {
  input x: [1, 2]
  lstm(10)
  dense(2)
  train { loss: mae  optimizer: adam  epochs: 1  batchSize: 16  seed: 1 }
  data { synthetic: rectangle  samples: 96 }
}`,
      'rect.lstm',
    );
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const res = await train(r.models[0]!, quiet);
    const out = await generate(
      { model: res.model, state: null, info: res.dataset.info, backend: res.backend },
      { seed: '0.1,0.2', length: 3 },
    );
    const pts = out.split('\n').map((l) => l.split(',').map(Number));
    expect(pts).toHaveLength(4);
    expect(pts[0]).toEqual([0.1, 0.2]);
    expect(pts.flat().every(Number.isFinite)).toBe(true);
    res.model.dispose();
  });
});

describe('early stopping', () => {
  it('stops when the monitored loss stops improving (patience), with validation data', async () => {
    const r = checkSource(
      `model M {
  input x: [5, 10]
  lstm(4)
  dense(10, activation: softmax)
  train {
    loss: categoricalCrossentropy  optimizer: sgd(learningRate: 1e-9)  epochs: 20  batchSize: 32  seed: 1
    validationSplit: 0.25
    earlyStopping { patience: 2  minDelta: 0.01 }
  }
  data { synthetic: echo  samples: 128 }
}`,
      'es.lstm',
    );
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const lines: string[] = [];
    const res = await train(r.models[0]!, { progress: 'lines', stream: { write: (s: string) => lines.push(s) } });
    expect(res.stopReason).toBe('earlyStopping');
    // epoch 1 sets the best val_loss; epochs 2 and 3 do not improve by minDelta → stop after 3.
    expect(res.epochs).toBe(3);
    expect(res.history.val_loss).toHaveLength(3);
    expect(lines.join('')).toMatch(/Early stopping after epoch 3: val_loss did not improve for 2 epoch\(s\)/);
    res.model.dispose();
  });
});

describe('NaN guard', () => {
  it('NaN weights with a clipped (finite) crossentropy loss are caught at the epoch end', async () => {
    const r = checkSource(
      `model M {
  input x: [10, 1]
  lstm(8, returnSequences: true)
  timeDistributed(dense(1, activation: sigmoid))
  train { loss: binaryCrossentropy  optimizer: adam  epochs: 4  batchSize: 16  seed: 1 }
  data { synthetic: cumsum  samples: 64 }
}`,
      'nan2.lstm',
    );
    const res = await train(r.models[0]!, {
      ...quiet,
      outDir: join(tmp, 'nan2'),
      onEpochEnd: (epoch, _logs, model) => {
        if (epoch === 0) model.setWeights(model.getWeights().map((t) => tf.fill(t.shape, NaN)));
      },
    });
    expect(res.stopReason).toBe('nan');
    expect(JSON.parse(readFileSync(join(tmp, 'nan2', 'lstmc.json'), 'utf8')).epoch).toBe(1);
    res.model.dispose();
  });

  it('a NaN loss stops the run and keeps the last good checkpoint', async () => {
    const r = checkSource(
      `model M {
  input x: [10, 1]
  lstm(8, returnSequences: true)
  timeDistributed(dense(1, activation: sigmoid))
  train { loss: mse  optimizer: adam  epochs: 5  batchSize: 16  seed: 1 }
  data { synthetic: cumsum  samples: 64 }
}`,
      'nan.lstm',
    );
    const out = join(tmp, 'nan');
    const lines: string[] = [];
    const res = await train(r.models[0]!, {
      progress: 'lines',
      stream: { write: (s: string) => lines.push(s) },
      outDir: out,
      onEpochEnd: (epoch, _logs, model) => {
        if (epoch === 1) model.setWeights(model.getWeights().map((t) => tf.fill(t.shape, NaN)));
      },
    });
    expect(res.stopReason).toBe('nan');
    expect(res.message).toMatch(
      /became NaN or infinite at epoch 3, batch 1; training stopped\. The last good checkpoint \(epoch 2\) is kept in/,
    );
    expect(lines.join('')).toContain('last good checkpoint (epoch 2)');
    const state = JSON.parse(readFileSync(join(out, 'lstmc.json'), 'utf8'));
    expect(state.epoch).toBe(2);
    const w = new Float32Array(readFileSync(join(out, 'weights.bin')).buffer.slice(0));
    expect(w.every(Number.isFinite)).toBe(true);
    res.model.dispose();
  });
});
