/**
 * GRU `resetAfter: true` (the Keras 2 default), lstmc's own TF.js class GRUResetAfter (runtime/layers/gru.ts):
 *
 * - against a plain-TS float64 implementation of the Keras GRU equations with reset_after (written here from the
 *   Keras docs: two bias rows, the reset gate applied to the recurrent product), random weights via setWeights,
 *   over units / features / steps / batch / activations / returnSequences / goBackwards / initial states / useBias
 *   (fast-check, fixed seed), and through bidirectional;
 * - its gradients against central finite differences of the float64 reference;
 * - parameter counts and weight shapes (GRU(32) on 14 features: 4,641; resetAfter false: 4,545, tfjs's GRU);
 * - config round trips, model.json + weights save/load (runtime/io.ts) with identical predictions;
 * - dropout: off outside training, masks fixed over the steps in training.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceOf } from '../compiler/layers/table.js';
import { checkSource } from '../compiler/index.js';
import { toTfModelSpec } from '../compiler/tfspec.js';
import { buildLayer, buildModel } from '../runtime/build.js';
import { fileSaveHandler, loadModelDir } from '../runtime/io.js';
import { GRUResetAfter, gruResetAfter } from '../runtime/layers/gru.js';
import { L, seeded } from './helpers/random-arch.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});
afterAll(() => {
  tf.disposeVariables();
});

type Act = 'tanh' | 'sigmoid' | 'hardSigmoid' | 'relu' | 'linear';
const ACT: Record<Act, (v: number) => number> = {
  tanh: Math.tanh,
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  // Keras 2 / TF.js hard sigmoid: clip(0.2·x + 0.5, 0, 1)
  hardSigmoid: (v) => Math.min(1, Math.max(0, 0.2 * v + 0.5)),
  relu: (v) => Math.max(0, v),
  linear: (v) => v,
};

interface RefWeights {
  /** [F][3u], [u][3u], [2][3u] or null; gate blocks z, r, h. */
  W: number[][];
  U: number[][];
  b: number[][] | null;
}
interface RefOptions {
  act: Act;
  ract: Act;
  goBackwards: boolean;
}

/**
 * Keras GRU, reset_after=True, float64 (keras.layers.GRUCell, implementation 2):
 *   x̂ = x·W + b_in, ĥ = h·U + b_rec; z = σ(x̂z + ĥz); r = σ(x̂r + ĥr);
 *   h̃ = act(x̂h + r ⊙ ĥh); h' = z ⊙ h + (1 − z) ⊙ h̃.
 * Returns the outputs per processed step (goBackwards: the reversed order, as Keras returns them).
 */
function kerasGru(x: number[][][], w: RefWeights, h0: number[][], o: RefOptions): number[][][] {
  const u = h0[0]!.length;
  const act = ACT[o.act];
  const ract = ACT[o.ract];
  return x.map((seq, bi) => {
    let h = h0[bi]!.slice();
    const steps = o.goBackwards ? seq.slice().reverse() : seq;
    const out: number[][] = [];
    for (const xt of steps) {
      const xp = new Array<number>(3 * u).fill(0);
      const hp = new Array<number>(3 * u).fill(0);
      for (let j = 0; j < 3 * u; j++) {
        for (let f = 0; f < xt.length; f++) xp[j]! += xt[f]! * w.W[f]![j]!;
        for (let k = 0; k < u; k++) hp[j]! += h[k]! * w.U[k]![j]!;
        if (w.b) {
          xp[j]! += w.b[0]![j]!;
          hp[j]! += w.b[1]![j]!;
        }
      }
      const next = new Array<number>(u);
      for (let k = 0; k < u; k++) {
        const z = ract(xp[k]! + hp[k]!);
        const r = ract(xp[u + k]! + hp[u + k]!);
        const hh = act(xp[2 * u + k]! + r * hp[2 * u + k]!);
        next[k] = z * h[k]! + (1 - z) * hh;
      }
      h = next;
      out.push(h.slice());
    }
    return out;
  });
}

const matrix = (r: () => number, rows: number, cols: number, scale = 0.6): number[][] =>
  Array.from({ length: rows }, () => Array.from({ length: cols }, () => r() * scale));

interface Case {
  units: number;
  features: number;
  steps: number;
  batch: number;
  act: Act;
  ract: Act;
  returnSequences: boolean;
  goBackwards: boolean;
  initialState: boolean;
  useBias: boolean;
  seed: number;
}

/** Builds the layer through the layer table's lowering (as the runtime does) and runs it; returns [B][T|1][u]. */
function runLstmc(c: Case, x: number[][][], w: RefWeights, h0: number[][]): number[][][] {
  const inst = instanceOf(
    L('gru', {
      units: c.units,
      activation: c.act,
      recurrentActivation: c.ract,
      returnSequences: c.returnSequences,
      goBackwards: c.goBackwards,
      useBias: c.useBias,
    }),
  )!;
  const spec = inst.def.lower.tfjs.spec(inst, undefined);
  expect(spec).toMatchObject({ factory: 'gruResetAfter', module: 'lstmc' });
  const layer = buildLayer(spec);
  const xi = tf.input({ shape: [c.steps, c.features] });
  const hi = tf.input({ shape: [c.units] });
  const y = layer.apply(xi, c.initialState ? { initialState: [hi] } : {}) as tf.SymbolicTensor;
  const model = tf.model({ inputs: c.initialState ? [xi, hi] : [xi], outputs: y });
  layer.setWeights([tf.tensor(w.W), tf.tensor(w.U), ...(w.b ? [tf.tensor(w.b)] : [])]);
  const feed = c.initialState ? [tf.tensor3d(x), tf.tensor2d(h0)] : [tf.tensor3d(x)];
  const out = model.predict(feed) as tf.Tensor;
  const arr = out.arraySync() as number[][] | number[][][];
  tf.dispose([out, ...feed]);
  model.dispose();
  return c.returnSequences ? (arr as number[][][]) : (arr as number[][]).map((row) => [row]);
}

function maxAbsDiff(a: number[][][], b: number[][][]): number {
  let m = 0;
  a.forEach((s, i) => s.forEach((r, t) => r.forEach((v, k) => (m = Math.max(m, Math.abs(v - b[i]![t]![k]!))))));
  return m;
}

let worst = 0;

describe('GRUResetAfter against the Keras equations (float64 reference)', () => {
  const acts: Act[] = ['tanh', 'relu', 'linear', 'sigmoid'];
  const racts: Act[] = ['sigmoid', 'hardSigmoid'];
  const arb = fc.record({
    units: fc.integer({ min: 1, max: 6 }),
    features: fc.integer({ min: 1, max: 5 }),
    steps: fc.integer({ min: 1, max: 6 }),
    batch: fc.integer({ min: 1, max: 3 }),
    act: fc.constantFrom(...acts),
    ract: fc.constantFrom(...racts),
    returnSequences: fc.boolean(),
    goBackwards: fc.boolean(),
    initialState: fc.boolean(),
    useBias: fc.boolean(),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  });

  it('outputs agree within 1e-5 over random cases (fast-check, fixed seed)', () => {
    fc.assert(
      fc.property(arb, (c) => {
        const r = seeded(c.seed);
        const x = Array.from({ length: c.batch }, () => matrix(r, c.steps, c.features, 1));
        const w: RefWeights = {
          W: matrix(r, c.features, 3 * c.units),
          U: matrix(r, c.units, 3 * c.units),
          b: c.useBias ? matrix(r, 2, 3 * c.units, 0.5) : null,
        };
        const h0 = c.initialState ? matrix(r, c.batch, c.units, 0.8) : matrix(() => 0, c.batch, c.units);
        const ref = kerasGru(x, w, h0, c);
        const want = c.returnSequences ? ref : ref.map((s) => [s[s.length - 1]!]);
        const got = runLstmc(c, x, w, h0);
        const d = maxAbsDiff(want, got);
        worst = Math.max(worst, d);
        expect(d, JSON.stringify(c)).toBeLessThan(1e-5);
      }),
      { seed: 11, numRuns: 60 },
    );
  });

  it('the two biases are not interchangeable: the recurrent bias is gated by r, the input bias is not', () => {
    // With W = U = 0, h̃ = act(b_in,h + r ⊙ b_rec,h): moving the h-gate bias from one row to the other changes h.
    const c: Case = {
      units: 2,
      features: 1,
      steps: 1,
      batch: 1,
      act: 'linear',
      ract: 'sigmoid',
      returnSequences: false,
      goBackwards: false,
      initialState: false,
      useBias: true,
      seed: 1,
    };
    const zeros = { W: matrix(() => 0, 1, 6), U: matrix(() => 0, 2, 6) };
    const inRow = runLstmc(c, [[[1]]], { ...zeros, b: [[0, 0, 0, 0, 1, 1], new Array(6).fill(0)] }, [[0, 0]]);
    const recRow = runLstmc(c, [[[1]]], { ...zeros, b: [new Array(6).fill(0), [0, 0, 0, 0, 1, 1]] }, [[0, 0]]);
    // z = r = σ(0) = 1/2: input row gives (1 − z)·1 = 0.5, recurrent row (1 − z)·r·1 = 0.25.
    expect(inRow[0]![0]![0]).toBeCloseTo(0.5, 6);
    expect(recRow[0]![0]![0]).toBeCloseTo(0.25, 6);
  });

  it('bidirectional(gru) is the forward reference concatenated with the backward one', () => {
    const units = 3;
    const r = seeded(5);
    const x = Array.from({ length: 2 }, () => matrix(r, 4, 2, 1));
    const wf: RefWeights = { W: matrix(r, 2, 9), U: matrix(r, 3, 9), b: matrix(r, 2, 9) };
    const wb: RefWeights = { W: matrix(r, 2, 9), U: matrix(r, 3, 9), b: matrix(r, 2, 9) };
    const inst = instanceOf(L('bidirectional', { mergeMode: 'concat' }, L('gru', { units, returnSequences: true })))!;
    const layer = buildLayer(inst.def.lower.tfjs.spec(inst, undefined));
    const xi = tf.input({ shape: [4, 2] });
    const model = tf.model({ inputs: xi, outputs: layer.apply(xi) as tf.SymbolicTensor });
    layer.setWeights([wf, wb].flatMap((w) => [tf.tensor(w.W), tf.tensor(w.U), tf.tensor(w.b!)]));
    const got = (model.predict(tf.tensor3d(x)) as tf.Tensor).arraySync() as number[][][];
    const h0 = matrix(() => 0, 2, units);
    const opts = { act: 'tanh', ract: 'sigmoid' } as const;
    const f = kerasGru(x, wf, h0, { ...opts, goBackwards: false });
    const b = kerasGru(x, wb, h0, { ...opts, goBackwards: true }).map((s) => s.slice().reverse());
    const want = f.map((s, i) => s.map((row, t) => [...row, ...b[i]![t]!]));
    expect(maxAbsDiff(want, got)).toBeLessThan(1e-5);
    model.dispose();
  });

  afterAll(() => {
    console.log(`GRUResetAfter vs float64 Keras maths: max |diff| ${worst.toExponential(2)}`);
  });
});

describe('GRUResetAfter gradients', () => {
  it('every weight gradient matches central differences of the float64 reference', () => {
    const [B, T, F, u] = [2, 4, 3, 3];
    const r = seeded(7);
    const x = Array.from({ length: B }, () => matrix(r, T, F, 1));
    const w: RefWeights = { W: matrix(r, F, 3 * u), U: matrix(r, u, 3 * u), b: matrix(r, 2, 3 * u, 0.5) };
    const coef = Array.from({ length: B }, () => matrix(r, T, u, 1));
    const h0 = matrix(() => 0, B, u);
    const opts: RefOptions = { act: 'tanh', ract: 'sigmoid', goBackwards: false };
    // loss = Σ coef ⊙ outputs (every step)
    const loss = (ww: RefWeights): number =>
      kerasGru(x, ww, h0, opts).reduce(
        (s, seq, i) => s + seq.reduce((s2, row, t) => s2 + row.reduce((s3, v, k) => s3 + v * coef[i]![t]![k]!, 0), 0),
        0,
      );
    const layer = gruResetAfter({ units: u, returnSequences: true, recurrentActivation: 'sigmoid' });
    const xt = tf.tensor3d(x);
    tf.dispose(layer.apply(xt) as tf.Tensor);
    layer.setWeights([tf.tensor(w.W), tf.tensor(w.U), tf.tensor(w.b!)]);
    const ct = tf.tensor3d(coef);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(xt) as tf.Tensor, ct)) as tf.Scalar);
    const names = ['kernel', 'recurrent_kernel', 'bias'] as const;
    const keyOf = (n: string): RefKey => (n === 'kernel' ? 'W' : n === 'recurrent_kernel' ? 'U' : 'b');
    type RefKey = 'W' | 'U' | 'b';
    let checked = 0;
    for (const v of layer.trainableWeights) {
      const short = names.find((n) => v.originalName.endsWith(`/${n}`))!;
      expect(short, v.originalName).toBeDefined();
      const g = grads[v.originalName]!.arraySync() as number[][];
      const key = keyOf(short);
      const m = w[key]!;
      for (let i = 0; i < m.length; i++)
        for (let j = 0; j < m[i]!.length; j++) {
          const eps = 1e-6;
          const orig = m[i]![j]!;
          m[i]![j] = orig + eps;
          const up = loss(w);
          m[i]![j] = orig - eps;
          const down = loss(w);
          m[i]![j] = orig;
          const fd = (up - down) / (2 * eps);
          expect(Math.abs(g[i]![j]! - fd), `${short}[${i}][${j}]`).toBeLessThan(1e-4 * Math.max(1, Math.abs(fd)));
          checked++;
        }
    }
    expect(checked).toBe(F * 3 * u + u * 3 * u + 2 * 3 * u);
    tf.dispose([xt, ct, ...Object.values(grads)]);
    layer.dispose();
  });
});

describe('GRU parameters, weights and lowering', () => {
  const model = (args: string): string => `model M {\n  input x: [10, 14]\n  gru(32${args})\n  dense(1)\n}\n`;

  // The figures (4,641 vs 4,545) are with a dense(1) head: the GRU alone has 4,608 vs 4,512.
  it.each([
    ['', 4608, 4641, 'GRUResetAfter', [2, 96]],
    [', resetAfter: true', 4608, 4641, 'GRUResetAfter', [2, 96]],
    [', resetAfter: false', 4512, 4545, 'GRU', [96]],
  ])(
    'gru(32%s) on 14 features: %i parameters (%i with dense(1)), class %s',
    (args, params, total, className, biasShape) => {
      const r = checkSource(model(args), 'm.lstm');
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const ir = r.models[0]!;
      const gruNode = ir.nodes.find((n) => n.type === 'gru')!;
      expect(gruNode.params.trainable).toBe(params);
      const m = buildModel(toTfModelSpec(ir));
      const layer = m.layers.find((l) => l.getClassName() === className)!;
      expect(layer, className).toBeDefined();
      expect(layer.countParams()).toBe(params);
      expect(m.countParams()).toBe(total);
      expect(layer.getWeights().map((t) => t.shape)).toEqual([[14, 96], [32, 96], biasShape]);
      expect(layer.getConfig().recurrentActivation).toBe('sigmoid');
      m.dispose();
    },
  );

  it('refuses resetAfter: false on its own class (that is tfjs’s GRU)', () => {
    expect(() => new GRUResetAfter({ units: 2, resetAfter: false as unknown as true })).toThrow(/tf\.layers\.gru/);
  });
});

describe('GRUResetAfter serialization', () => {
  it('getConfig round-trips every argument', () => {
    const args = {
      units: 5,
      activation: 'relu',
      recurrentActivation: 'hardSigmoid',
      useBias: false,
      kernelInitializer: 'glorotNormal',
      recurrentInitializer: 'orthogonal',
      biasInitializer: 'ones',
      dropout: 0.25,
      recurrentDropout: 0.5,
      returnSequences: true,
      returnState: true,
      goBackwards: true,
      name: 'g',
    } as const;
    const a = gruResetAfter(args);
    const config = a.getConfig();
    expect(config).toMatchObject({
      units: 5,
      activation: 'relu',
      recurrentActivation: 'hardSigmoid',
      useBias: false,
      dropout: 0.25,
      recurrentDropout: 0.5,
      returnSequences: true,
      returnState: true,
      goBackwards: true,
      resetAfter: true,
      name: 'g',
    });
    const b = GRUResetAfter.fromConfig(
      GRUResetAfter,
      JSON.parse(JSON.stringify(config)) as tf.serialization.ConfigDict,
    );
    expect(b).toBeInstanceOf(GRUResetAfter);
    expect(b.getConfig()).toEqual(config);
  });

  it('a saved model (model.json + weights) loads again with identical predictions', async () => {
    const r = checkSource(
      'model M {\n  input x: [6, 3]\n  bidirectional(gru(4, returnSequences: true))\n  gru(5)\n  dense(2)\n}\n',
      'm.lstm',
    );
    const m = buildModel(toTfModelSpec(r.models[0]!));
    const x = tf.randomNormal([3, 6, 3], 0, 1, 'float32', 3);
    const before = (m.predict(x) as tf.Tensor).dataSync().slice();
    const dir = mkdtempSync(join(tmpdir(), 'lstmc-gru-ra-'));
    try {
      await m.save(fileSaveHandler(dir));
      const loaded = await loadModelDir(dir);
      expect(loaded.layers.map((l) => l.getClassName())).toEqual(['Bidirectional', 'GRUResetAfter', 'Dense']);
      const after = (loaded.predict(x) as tf.Tensor).dataSync();
      expect(Array.from(after)).toEqual(Array.from(before));
      loaded.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      m.dispose();
      x.dispose();
    }
  });
});

describe('GRUResetAfter dropout', () => {
  it('is off outside training and draws one mask per call, fixed over the steps, in training', () => {
    const withDrop = gruResetAfter({ units: 3, dropout: 0.5, recurrentDropout: 0.5, returnSequences: true });
    const plain = gruResetAfter({ units: 3, returnSequences: true });
    const x = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 9);
    withDrop.apply(x);
    plain.apply(x);
    plain.setWeights(withDrop.getWeights());
    const a = (withDrop.apply(x) as tf.Tensor).dataSync();
    const b = (plain.apply(x) as tf.Tensor).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    // In training, a dropout function that records its calls: three input masks and three recurrent masks per call.
    let calls = 0;
    const recorder = gruResetAfter({
      units: 3,
      dropout: 0.5,
      recurrentDropout: 0.5,
      dropoutFunc: (t: tf.Tensor) => {
        calls++;
        return t;
      },
    } as Parameters<typeof gruResetAfter>[0]);
    recorder.apply(x, { training: true });
    expect(calls).toBe(6);
    recorder.apply(x, { training: true });
    expect(calls).toBe(12);
    tf.dispose([x]);
  });
});
