/**
 * runtime/orthogonal.ts: the float64 Householder orthogonal initializer against tfjs's own Orthogonal.
 *
 * - orthogonality (QᵀQ = I for tall and square, QQᵀ = I for wide, 3-D shapes flattened as tfjs does) and gain;
 * - with the same `seed`, the same matrix as tfjs (the sign-corrected thin QR factor is unique);
 * - with different seeds, the same distribution: two-sample Kolmogorov–Smirnov on single entries, the
 *   frequency of a positive diagonal entry (what the sign correction is for), second and fourth moments;
 * - registration: layer configs ('orthogonal', the recurrent default), runtime/build.ts models and model.json
 *   loading resolve to FastOrthogonal; saved configs stay `Orthogonal`; install is idempotent and undoable;
 *   tfjs's "Slowness may result" warning is gone.
 * Fixed seeds throughout: the statistical checks are deterministic. (Speed is in `npm run bench:speed`.)
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { checkSource } from '../compiler/index.js';
import {
  buildModel,
  FastOrthogonal,
  fastOrthogonalInstalled,
  installFastOrthogonal,
  toTfModelSpec,
  uninstallFastOrthogonal,
} from '../runtime/index.js';
import { orthogonalFromGaussian, signCorrectedQ, stockOrthogonal } from '../runtime/orthogonal.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  installFastOrthogonal();
});

const rowsCols = (shape: number[]): [number, number] => [
  shape.slice(0, -1).reduce((a, b) => a * b, 1),
  shape[shape.length - 1]!,
];

/** max |G - I| where G is the Gram matrix of the columns (tall/square) or rows (wide), divided by gain². */
function orthogonalityError(w: Float32Array, shape: number[], gain: number): number {
  const [r, c] = rowsCols(shape);
  const tall = r >= c;
  const n = tall ? c : r;
  const len = tall ? r : c;
  const at = (vec: number, i: number) => (tall ? w[i * c + vec]! : w[vec * c + i]!);
  let worst = 0;
  for (let p = 0; p < n; p++) {
    for (let q = p; q < n; q++) {
      let s = 0;
      for (let i = 0; i < len; i++) s += at(p, i) * at(q, i);
      worst = Math.max(worst, Math.abs(s / (gain * gain) - (p === q ? 1 : 0)));
    }
  }
  return worst;
}

function values(init: { apply(shape: number[], dtype?: tf.DataType): tf.Tensor }, shape: number[]): Float32Array {
  const t = init.apply(shape);
  expect(t.shape).toEqual(shape);
  expect(t.dtype).toBe('float32');
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

describe('FastOrthogonal: orthogonality and gain', () => {
  const shapes = [
    [1, 1],
    [8, 8],
    [64, 64],
    [100, 30],
    [30, 100],
    [2, 3, 20],
    [50, 200],
    [200, 50],
    [1, 7],
    [7, 1],
  ];
  for (const shape of shapes) {
    for (const gain of [1, 2.5]) {
      it(`${JSON.stringify(shape)}, gain ${gain}`, () => {
        const w = values(new FastOrthogonal({ gain, seed: 11 }), shape);
        expect(orthogonalityError(w, shape, gain)).toBeLessThan(1e-5);
      });
    }
  }

  it('the float64 QR itself is orthogonal to 1e-12 and reproduces A = Q·R column by column', () => {
    const m = 40;
    const n = 17;
    const g = tf.randomNormal([m, n], 0, 1, 'float32', 5);
    const rowMajor = g.dataSync();
    g.dispose();
    const a = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[j * m + i] = rowMajor[i * n + j]!;
    const q = signCorrectedQ(a.slice(), m, n);
    // R = QᵀA must be upper triangular with a positive diagonal (that is what the sign correction means).
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let r = 0;
        for (let k = 0; k < m; k++) r += q[i * m + k]! * a[j * m + k]!;
        if (i > j) expect(Math.abs(r)).toBeLessThan(1e-12);
        if (i === j) expect(r).toBeGreaterThan(0);
      }
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let k = 0; k < m; k++) s += q[i * m + k]! * q[j * m + k]!;
        expect(Math.abs(s - (i === j ? 1 : 0))).toBeLessThan(1e-12);
      }
    }
  });

  it('rejects what tfjs rejects (shapes below 2-D) and checks its arguments', () => {
    expect(() => new FastOrthogonal({}).apply([5])).toThrow(/at least 2D/);
    expect(() => orthogonalFromGaussian([1, 2, 3], [2, 2])).toThrow(RangeError);
    expect(() => signCorrectedQ(new Float64Array(6), 2, 3)).toThrow(RangeError);
  });
});

describe('FastOrthogonal against tfjs Orthogonal', () => {
  it('the same seed gives the same matrix (to float32 rounding), for square, tall, wide and 3-D shapes', () => {
    for (const shape of [
      [4, 4],
      [16, 16],
      [12, 5],
      [5, 12],
      [2, 3, 8],
      [20, 80],
    ]) {
      for (const seed of [1, 2, 1234]) {
        const fast = values(new FastOrthogonal({ seed, gain: 1.5 }), shape);
        const stock = values(stockOrthogonal({ seed, gain: 1.5 }), shape);
        let worst = 0;
        for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs(fast[i]! - stock[i]!));
        expect(worst, `${JSON.stringify(shape)} seed ${seed}`).toBeLessThan(1e-5);
      }
    }
  });

  it('different seeds give different matrices', () => {
    const a = values(new FastOrthogonal({ seed: 1 }), [6, 6]);
    const b = values(new FastOrthogonal({ seed: 2 }), [6, 6]);
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('without a seed it consumes Math.random exactly as tfjs does (one call per matrix)', () => {
    const calls = (make: () => { apply(s: number[]): tf.Tensor }) => {
      const spy = vi.spyOn(Math, 'random');
      try {
        make().apply([10, 40]).dispose();
        return spy.mock.calls.length;
      } finally {
        spy.mockRestore();
      }
    };
    expect(calls(() => new FastOrthogonal({}))).toBe(calls(() => stockOrthogonal({})));
  });

  /** Two-sample Kolmogorov–Smirnov statistic. */
  function ks(a: number[], b: number[]): number {
    const x = [...a].sort((p, q) => p - q);
    const y = [...b].sort((p, q) => p - q);
    let i = 0;
    let j = 0;
    let d = 0;
    while (i < x.length && j < y.length) {
      const v = Math.min(x[i]!, y[j]!);
      while (i < x.length && x[i]! <= v) i++;
      while (j < y.length && y[j]! <= v) j++;
      d = Math.max(d, Math.abs(i / x.length - j / y.length));
    }
    return d;
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = (xs: number[]) => {
    const m = mean(xs);
    return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
  };

  // N matrices from each side, disjoint seeds: fast 1..N, tfjs N+1..2N.
  const N = 300;
  for (const shape of [
    [3, 3],
    [6, 2],
    [2, 6],
  ]) {
    it(`same distribution on ${JSON.stringify(shape)} (${N} matrices per side)`, () => {
      const [r, c] = rowsCols(shape);
      const fast: Float32Array[] = [];
      const stock: Float32Array[] = [];
      for (let s = 1; s <= N; s++) {
        fast.push(values(new FastOrthogonal({ seed: s }), shape));
        stock.push(values(stockOrthogonal({ seed: N + s }), shape));
      }
      // KS on a few single entries (entries of one matrix are dependent; across matrices they are independent).
      const crit = 1.95 * Math.sqrt(2 / N); // α = 0.001
      for (const idx of [0, c - 1, (r - 1) * c, r * c - 1, Math.min(r, c) - 1]) {
        const d = ks(
          fast.map((w) => w[idx]!),
          stock.map((w) => w[idx]!),
        );
        expect(d, `entry ${idx}`).toBeLessThan(crit);
      }
      // Diagonal signs: P(w[0][0] > 0) and P(w[k][k] > 0), the two samples' frequencies within 4 standard errors
      // (a missing or wrong sign correction skews them: Householder QR alone makes R's diagonal negative).
      for (let k = 0; k < Math.min(r, c); k++) {
        const pf = mean(fast.map((w) => (w[k * c + k]! > 0 ? 1 : 0)));
        const ps = mean(stock.map((w) => (w[k * c + k]! > 0 ? 1 : 0)));
        const se = Math.sqrt((0.25 * 2) / N);
        expect(Math.abs(pf - ps), `diag ${k}: ${pf} vs ${ps}`).toBeLessThan(4 * se);
        expect(Math.abs(pf - 0.5), `diag ${k}: ${pf}`).toBeLessThan(4 * Math.sqrt(0.25 / N));
      }
      // Moments of all entries: E[w²] = 1/max(r, c) exactly for both; E[w⁴] compared within 6 standard errors.
      const all = (ws: Float32Array[]) => ws.flatMap((w) => Array.from(w));
      for (const [name, f] of [
        ['w^2', (v: number) => v * v],
        ['w^4', (v: number) => v ** 4],
      ] as const) {
        const a = all(fast).map(f);
        const b = all(stock).map(f);
        // Entries within a matrix are dependent: the standard error uses matrices as the unit.
        const perMatrix = (ws: Float32Array[]) => ws.map((w) => mean(Array.from(w).map(f)));
        const se = Math.sqrt(variance(perMatrix(fast)) / N + variance(perMatrix(stock)) / N);
        expect(Math.abs(mean(a) - mean(b)), name).toBeLessThanOrEqual(6 * se + 1e-9);
      }
      expect(mean(all(fast).map((v) => v * v))).toBeCloseTo(1 / Math.max(r, c), 5);
    });
  }
});

describe('registration', () => {
  const recurrentInit = (layer: tf.layers.Layer): unknown =>
    (layer as unknown as { cell: { recurrentInitializer: unknown } }).cell.recurrentInitializer;

  it('LSTM, GRU and SimpleRNN layers built from configs use FastOrthogonal', () => {
    expect(fastOrthogonalInstalled()).toBe(true);
    for (const make of [tf.layers.lstm, tf.layers.gru, tf.layers.simpleRNN]) {
      const l = make({ units: 4 });
      expect(recurrentInit(l)).toBeInstanceOf(FastOrthogonal);
      const named = make({ units: 4, kernelInitializer: 'orthogonal', recurrentInitializer: 'orthogonal' });
      expect(recurrentInit(named)).toBeInstanceOf(FastOrthogonal);
      expect((named as unknown as { cell: { kernelInitializer: unknown } }).cell.kernelInitializer).toBeInstanceOf(
        FastOrthogonal,
      );
    }
  });

  it('runtime/build.ts models get orthogonal recurrent kernels from it; model.json stays stock and loads with it', async () => {
    const src = readFileSync('specs/stacked.lstm', 'utf8');
    const { models } = checkSource(src, 'stacked.lstm');
    const spy = vi.spyOn(FastOrthogonal.prototype, 'apply');
    const model = buildModel(toTfModelSpec(models[0]!));
    const recurrent = model.layers.filter((l) => l.getClassName() === 'LSTM');
    expect(recurrent.length).toBeGreaterThan(0);
    expect(spy.mock.calls.length).toBe(recurrent.length);
    for (const l of recurrent) {
      const k = l.getWeights()[1]!;
      expect(orthogonalityError(k.dataSync() as Float32Array, k.shape, 1)).toBeLessThan(1e-5);
    }
    const json = JSON.stringify(model.toJSON(null, false));
    expect(json).toContain('"recurrent_initializer":{"class_name":"Orthogonal"');
    expect(json).not.toContain('Custom>');
    spy.mockClear();
    const loaded = await tf.models.modelFromJSON(JSON.parse(json) as tf.io.ModelJSON);
    expect(spy.mock.calls.length).toBe(recurrent.length);
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
    spy.mockRestore();
  });

  it('no "Slowness may result" warning for large kernels', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const l = tf.layers.lstm({ units: 64 });
      l.apply(tf.input({ shape: [3, 2] }));
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('install is idempotent; uninstall puts tfjs back', () => {
    installFastOrthogonal();
    installFastOrthogonal();
    expect(recurrentInit(tf.layers.lstm({ units: 2 }))).toBeInstanceOf(FastOrthogonal);
    uninstallFastOrthogonal();
    expect(fastOrthogonalInstalled()).toBe(false);
    const stock = recurrentInit(tf.layers.lstm({ units: 2 }));
    expect(stock).not.toBeInstanceOf(FastOrthogonal);
    expect((stock as { getClassName(): string }).getClassName()).toBe('Orthogonal');
    installFastOrthogonal();
    expect(recurrentInit(tf.layers.lstm({ units: 2 }))).toBeInstanceOf(FastOrthogonal);
  });
});
