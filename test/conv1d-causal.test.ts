/**
 * conv1d(padding: causal) (Keras: (kernelSize − 1)·dilationRate zeros before the first step), on lstmc's own TF.js
 * class CausalConv1D (runtime/layers/causal-conv1d.ts; tfjs 4.22 throws on causal):
 *
 * - against a plain-TS float64 causal convolution written from the Keras definition, over kernel sizes, dilations,
 *   strides, channels, filters, lengths, activations and useBias (fast-check, fixed seed), built through the layer
 *   table's lowering;
 * - against tfjs: tfjs's own Conv1D (valid) on the left-padded input with the same weights (outputs and gradients),
 *   and the table's shape rule and parameter count against the built layer;
 * - causality: changing step t changes no output before t;
 * - conv2d / conv3d / pooling refuse causal with LSTM3040 at the argument;
 * - config and save/load round trips.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import type { ArgValue } from '../compiler/ir.js';
import { instanceOf } from '../compiler/layers/table.js';
import { toTfModelSpec } from '../compiler/tfspec.js';
import { buildLayer, buildModel } from '../runtime/build.js';
import { fileSaveHandler, loadModelDir } from '../runtime/io.js';
import { CausalConv1D, causalConv1d } from '../runtime/layers/causal-conv1d.js';
import { L, seeded } from './helpers/random-arch.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

type Act = 'linear' | 'relu' | 'tanh';
const ACT: Record<Act, (v: number) => number> = {
  linear: (v) => v,
  relu: (v) => Math.max(0, v),
  tanh: Math.tanh,
};

/**
 * Keras Conv1D(padding='causal'), float64: pad (k − 1)·d zeros on the left, then
 * y[t][f] = act(b[f] + Σ_i Σ_c xpad[t·s + i·d][c] · W[i][c][f]) for t = 0 .. ceil(L / s) − 1.
 */
function causalRef(
  x: number[][][],
  W: number[][][],
  b: number[] | null,
  o: { strides: number; dilation: number; act: Act },
): number[][][] {
  const k = W.length;
  const pad = (k - 1) * o.dilation;
  const filters = W[0]![0]!.length;
  return x.map((seq) => {
    const channels = seq[0]!.length;
    const xp = [...Array.from({ length: pad }, () => new Array<number>(channels).fill(0)), ...seq];
    const out: number[][] = [];
    for (let t = 0; t * o.strides + (k - 1) * o.dilation < xp.length; t++) {
      const row: number[] = [];
      for (let f = 0; f < filters; f++) {
        let s = b ? b[f]! : 0;
        for (let i = 0; i < k; i++)
          for (let c = 0; c < channels; c++) s += xp[t * o.strides + i * o.dilation]![c]! * W[i]![c]![f]!;
        row.push(ACT[o.act](s));
      }
      out.push(row);
    }
    return out;
  });
}

const tensorOf = (r: () => number, ...shape: number[]): number[] | number[][] | number[][][] => {
  const [n, ...rest] = shape;
  return Array.from({ length: n! }, () => (rest.length ? tensorOf(r, ...rest) : r())) as number[];
};

function maxAbsDiff(a: number[][][], b: number[][][]): number {
  let m = a.length === b.length ? 0 : Infinity;
  a.forEach((s, i) => {
    if (s.length !== b[i]!.length) m = Infinity;
    s.forEach((r, t) => r.forEach((v, k) => (m = Math.max(m, Math.abs(v - b[i]![t]![k]!)))));
  });
  return m;
}

/** The layer as the runtime builds it from the table's lowering. */
function lowered(args: Record<string, ArgValue>): tf.layers.Layer {
  const inst = instanceOf(L('conv1d', args))!;
  const spec = inst.def.lower.tfjs.spec(inst, undefined);
  expect(spec).toMatchObject({ factory: 'causalConv1d', module: 'lstmc', config: { padding: 'causal' } });
  return buildLayer(spec);
}

let worst = 0;

describe('conv1d(padding: causal) against the Keras definition (float64 reference)', () => {
  const arb = fc
    .record({
      kernelSize: fc.integer({ min: 1, max: 4 }),
      dilation: fc.integer({ min: 1, max: 3 }),
      strides: fc.integer({ min: 1, max: 3 }),
      channels: fc.integer({ min: 1, max: 4 }),
      filters: fc.integer({ min: 1, max: 4 }),
      length: fc.integer({ min: 1, max: 9 }),
      batch: fc.integer({ min: 1, max: 3 }),
      act: fc.constantFrom<Act>('linear', 'relu', 'tanh'),
      useBias: fc.boolean(),
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    })
    // TF.js (and the table, LSTM2xxx) need strides 1 when dilated
    .map((c) => (c.dilation > 1 ? { ...c, strides: 1 } : c));

  it('outputs agree within 1e-5 over random cases, and the table shape rule and params match the layer', () => {
    fc.assert(
      fc.property(arb, (c) => {
        const r = seeded(c.seed);
        const x = tensorOf(r, c.batch, c.length, c.channels) as number[][][];
        const W = tensorOf(r, c.kernelSize, c.channels, c.filters) as number[][][];
        const b = c.useBias ? (tensorOf(r, c.filters) as number[]) : null;
        const args = {
          filters: c.filters,
          kernelSize: c.kernelSize,
          strides: c.strides,
          dilationRate: c.dilation,
          padding: 'causal',
          activation: c.act,
          useBias: c.useBias,
        };
        const inst = instanceOf(L('conv1d', args))!;
        const shape = inst.def.outputShapes(inst, [[c.length, c.channels]]);
        expect(shape.ok).toBe(true);
        const layer = lowered(args);
        const xt = tf.tensor3d(x);
        layer.apply(xt);
        layer.setWeights([tf.tensor(W), ...(b ? [tf.tensor(b)] : [])]);
        const y = layer.apply(xt) as tf.Tensor;
        const got = y.arraySync() as number[][][];
        const want = causalRef(x, W, b, { strides: c.strides, dilation: c.dilation, act: c.act });
        const d = maxAbsDiff(want, got);
        worst = Math.max(worst, d);
        expect(d, JSON.stringify(c)).toBeLessThan(1e-5);
        // shape rule (pure, batch excluded) = the layer's output = Keras: ceil(length / strides)
        if (shape.ok)
          expect([null, ...shape.shapes[0]!]).toEqual(layer.computeOutputShape([null, c.length, c.channels]));
        expect(y.shape[1]).toBe(Math.ceil(c.length / c.strides));
        expect(inst.def.paramCount(inst, [[c.length, c.channels]]).trainable).toBe(layer.countParams());
        tf.dispose([xt, y]);
        layer.dispose();
      }),
      { seed: 11, numRuns: 80 },
    );
    console.log(`CausalConv1D vs float64 Keras maths: max |diff| ${worst.toExponential(2)}`);
  });

  it('is causal: changing step t changes no output before t', () => {
    const layer = lowered({ filters: 3, kernelSize: 3, dilationRate: 2, padding: 'causal', activation: 'tanh' });
    const x = tf.randomNormal([1, 12, 2], 0, 1, 'float32', 1);
    const base = (layer.apply(x) as tf.Tensor).arraySync() as number[][][];
    for (const t of [0, 5, 11]) {
      const bump = tf.tidy(() => tf.add(x, tf.oneHot([t], 12).reshape([1, 12, 1]).mul(3)));
      const y = (layer.apply(bump) as tf.Tensor).arraySync() as number[][][];
      for (let s = 0; s < 12; s++) {
        const same = y[0]![s]!.every((v, k) => v === base[0]![s]![k]);
        // step s reads steps s, s − 2, s − 4 (kernelSize 3, dilationRate 2)
        expect(same, `step ${s} after bumping step ${t}`).toBe(!(s >= t && (s - t) % 2 === 0 && s - t <= 4));
      }
    }
  });
});

describe('CausalConv1D against tfjs’s own Conv1D on the left-padded input', () => {
  // (TF.js has no gradient for a dilated conv1d at all, causal or not: dilation 1 here)
  it('same outputs and the same gradients (input, kernel, bias)', () => {
    const k = 3;
    const d = 1;
    const causal = causalConv1d({ filters: 4, kernelSize: k, dilationRate: d, activation: 'relu' });
    const valid = tf.layers.conv1d({
      filters: 4,
      kernelSize: k,
      dilationRate: d,
      activation: 'relu',
      padding: 'valid',
    });
    const x = tf.randomNormal([2, 9, 3], 0, 1, 'float32', 4);
    const xp = tf.pad(x, [
      [0, 0],
      [(k - 1) * d, 0],
      [0, 0],
    ]);
    causal.apply(x);
    valid.apply(xp);
    valid.setWeights(causal.getWeights());
    expect(Array.from((causal.apply(x) as tf.Tensor).dataSync())).toEqual(
      Array.from((valid.apply(xp) as tf.Tensor).dataSync()),
    );
    const coef = tf.randomNormal([2, 9, 4], 0, 1, 'float32', 5);
    const lossOf = (l: tf.layers.Layer, input: tf.Tensor) => () => tf.sum(tf.mul(l.apply(input) as tf.Tensor, coef));
    const gc = tf.variableGrads(lossOf(causal, x) as () => tf.Scalar).grads;
    const gv = tf.variableGrads(lossOf(valid, xp) as () => tf.Scalar).grads;
    causal.trainableWeights.forEach((w, i) => {
      const v = valid.trainableWeights[i]!;
      expect(Array.from(gc[w.originalName]!.dataSync()), w.originalName).toEqual(
        Array.from(gv[v.originalName]!.dataSync()),
      );
    });
    // the input gradient is the padded input's without the padding
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(causal.apply(a) as tf.Tensor, coef)))(x);
    const dxp = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(valid.apply(a) as tf.Tensor, coef)))(xp);
    expect(Array.from(dx.dataSync())).toEqual(Array.from(dxp.slice([0, (k - 1) * d, 0], [2, 9, 3]).dataSync()));
  });

  it('refuses other paddings on its own class (those are tf.layers.conv1d)', () => {
    expect(() => causalConv1d({ filters: 1, kernelSize: 2, padding: 'same' as 'causal' })).toThrow(
      /tf\.layers\.conv1d/,
    );
  });
});

describe('the table and the pipeline', () => {
  it('valid and same still lower to tf.layers.conv1d', () => {
    for (const padding of ['valid', 'same']) {
      const inst = instanceOf(L('conv1d', { filters: 2, kernelSize: 3, padding }))!;
      const spec = inst.def.lower.tfjs.spec(inst, undefined);
      expect(spec).toEqual({ factory: 'conv1d', config: expect.objectContaining({ padding }) as unknown });
    }
  });

  it.each([
    ['conv2d(2, kernelSize: 3, padding: causal)', 'input x: [8, 8, 1]', 'conv2d'],
    ['conv3d(2, kernelSize: 2, padding: causal)', 'input x: [4, 8, 8, 1]', 'conv3d'],
    ['maxPooling1d(2, padding: causal)', 'input x: [8, 3]', 'maxPooling1d'],
    ['averagePooling2d(2, padding: causal)', 'input x: [8, 8, 1]', 'averagePooling2d'],
    ['maxPooling3d(2, padding: causal)', 'input x: [4, 8, 8, 1]', 'maxPooling3d'],
  ])('%s is refused with LSTM3040 at the argument', (call, input, layer) => {
    const src = `model M {\n  ${input}\n  ${call}\n}\n`;
    const r = checkSource(src, 'm.lstm');
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.code)).toEqual(['LSTM3040']);
    expect(errors[0]!.message).toContain(layer);
    expect(errors[0]!.line).toBe(3);
    // pointed at the padding argument's value
    expect(src.split('\n')[2]!.slice(errors[0]!.column - 1)).toMatch(/^(padding: )?causal/);
  });

  it('a causal conv1d model (WaveNet-style stack) checks, builds with the table shapes, saves and loads again', async () => {
    const src = `model Wave {
  input x: [16, 2]
  conv1d(8, kernelSize: 2, padding: causal, dilationRate: 1, activation: relu)
  conv1d(8, kernelSize: 2, padding: causal, dilationRate: 2, activation: relu)
  conv1d(8, kernelSize: 2, padding: causal, dilationRate: 4, activation: relu)
  gru(6, resetAfter: false)
  dense(1)
}
`;
    const r = checkSource(src, 'wave.lstm');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const ir = r.models[0]!;
    const m = buildModel(toTfModelSpec(ir));
    const convs = m.layers.filter((l) => l instanceof CausalConv1D);
    expect(convs).toHaveLength(3);
    for (const l of convs) expect(l.outputShape).toEqual([null, 16, 8]);
    expect(m.countParams()).toBe(ir.nodes.reduce((n, node) => n + node.params.trainable + node.params.nonTrainable, 0));
    const x = tf.randomNormal([3, 16, 2], 0, 1, 'float32', 2);
    const before = Array.from((m.predict(x) as tf.Tensor).dataSync());
    const dir = mkdtempSync(join(tmpdir(), 'lstmc-causal-'));
    try {
      await m.save(fileSaveHandler(dir));
      const loaded = await loadModelDir(dir);
      expect(loaded.layers.filter((l) => l.getClassName() === 'CausalConv1D')).toHaveLength(3);
      expect(loaded.layers[0]!.getConfig()).toMatchObject({ padding: 'causal', kernelSize: [2], dilationRate: [1] });
      expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(before);
      loaded.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      m.dispose();
      x.dispose();
    }
  });
});
