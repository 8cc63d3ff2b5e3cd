/**
 * The fused recurrent kernels (runtime/fused/) against tfjs's own layers: outputs and every gradient
 * (inputs, initial states, kernel, recurrent kernel, bias) within 1e-4 relative on random cases over
 * every argument the kernels honour (property tests with fixed seeds), bidirectional in every merge mode,
 * a finite-difference check of the kernels' gradients, the fallbacks, and training through model.fit.
 */
import * as tf from '@tensorflow/tfjs';
// (the wasm backend is loaded by runtime/backend.ts in the model.fit test)
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeFusion, fuseRecurrentLayers, unfuseRecurrentLayers } from '../runtime/fused/layer.js';
import { CELL_KERNELS, recurrentBackward, recurrentForward, type CellKernel } from '../runtime/fused/kernels.js';
import { fusedEngine } from '../runtime/fused/wasm.js';
import { setupBackend } from '../runtime/backend.js';
import { lstmcLayerFactory } from '../runtime/layers/index.js';

const ACTS = ['tanh', 'sigmoid', 'hardSigmoid', 'relu', 'linear'] as const;
/**
 * tfjs layer factories by the cell they hold (gruResetAfter: lstmc's own GRUResetAfter, the Keras 2 GRU, compared
 * with its unfused self); `ract`: whether the cell has a recurrent activation.
 */
const CELLS = [
  { factory: 'lstm', cell: 'LSTMCell', ract: true, states: 2 },
  { factory: 'gru', cell: 'GRUCell', ract: true, states: 1 },
  { factory: 'simpleRNN', cell: 'SimpleRNNCell', ract: false, states: 1 },
  { factory: 'gruResetAfter', cell: 'GRUResetAfterCell', ract: true, states: 1 },
] as const;
type CellCase = (typeof CELLS)[number];

type Factory = (c: Record<string, unknown>) => tf.layers.Layer;
const make = (factory: string, c: Record<string, unknown>): tf.layers.Layer =>
  ((lstmcLayerFactory(factory) as Factory | undefined) ?? (tf.layers as unknown as Record<string, Factory>)[factory]!)(
    c,
  );

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  expect(fusedEngine(), 'the fused kernels load (dist/wasm/recurrent.wasm is built by the test setup)').toBeDefined();
});

/**
 * |a − b| ≤ 1e-4·|a| + 1e-5·max|a| elementwise: 1e-4 relative, with a floor at 1e-5 of the tensor's scale for
 * elements near zero (sums that cancel, such as bias gradients, carry float32 round-off of that size).
 */
function expectClose(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(b.length, `${what}: length`).toBe(a.length);
  let scale = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!)) scale = Math.max(scale, Math.abs(a[i]!));
  for (let i = 0; i < a.length; i++) {
    // Where tfjs overflows (linear gates can grow without bound), the kernels must overflow alike.
    if (!Number.isFinite(a[i]!)) {
      if (!Object.is(a[i], b[i])) throw new Error(`${what}[${i}]: tfjs ${a[i]}, fused ${b[i]}`);
      continue;
    }
    const tol = 1e-4 * Math.abs(a[i]!) + 1e-5 * scale;
    if (!(Math.abs(a[i]! - b[i]!) <= tol))
      throw new Error(`${what}[${i}]: tfjs ${a[i]}, fused ${b[i]} (tolerance ${tol.toExponential(2)})`);
  }
}

/** A dropout function that depends only on the shape and rate (tfjs draws several masks and uses the first). */
function fixedDropout(x: tf.Tensor, rate: number): tf.Tensor {
  return tf.tidy(() => {
    const n = x.size;
    const keep = Float32Array.from({ length: n }, (_, i) =>
      (((i * 2654435761) >>> 0) % 1000) / 1000 >= rate ? 1 / (1 - rate) : 0,
    );
    return tf.mul(x, tf.tensor(keep, x.shape));
  });
}

interface Case {
  units: number;
  inputDim: number;
  steps: number;
  batch: number;
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  useBias: boolean;
  activation: (typeof ACTS)[number];
  recurrentActivation: (typeof ACTS)[number];
  initialState: boolean;
  dropout: number;
  recurrentDropout: number;
  training: boolean;
  seed: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  units: fc.integer({ min: 1, max: 9 }),
  inputDim: fc.integer({ min: 1, max: 5 }),
  // tfjs's own layers cannot backpropagate a 1-step sequence (its Unpack gradient gets a bare tensor).
  steps: fc.integer({ min: 2, max: 7 }),
  // 9 and 13 rows split over worker threads; 1, 2, 5 stay on one.
  batch: fc.constantFrom(1, 2, 5, 9, 13),
  returnSequences: fc.boolean(),
  returnState: fc.boolean(),
  goBackwards: fc.boolean(),
  useBias: fc.boolean(),
  activation: fc.constantFrom(...ACTS),
  recurrentActivation: fc.constantFrom(...ACTS),
  initialState: fc.boolean(),
  dropout: fc.constantFrom(0, 0.3),
  recurrentDropout: fc.constantFrom(0, 0.4),
  training: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

/** Outputs and gradients of one layer call under a fixed random loss. */
function outputsAndGrads(layer: tf.layers.Layer, x: tf.Tensor, states: tf.Tensor[] | null, training: boolean) {
  return tf.tidy(() => {
    const xv = tf.variable(x, true, `x_${Math.random()}`);
    const sv = states?.map((s, i) => tf.variable(s, true, `s${i}_${Math.random()}`)) ?? null;
    const outs = (): tf.Tensor[] => {
      const kw: Record<string, unknown> = { training };
      if (sv) kw.initialState = sv;
      const y = layer.call(xv, kw);
      return Array.isArray(y) ? y : [y];
    };
    const loss = (): tf.Scalar =>
      outs()
        .map((o, i) => tf.sum(tf.mul(o, tf.sin(tf.add(tf.mul(tf.range(0, o.size).reshape(o.shape), 0.7), i)))))
        .reduce((p, q) => tf.add(p, q)) as tf.Scalar;
    const ys = outs().map((t) => [...t.dataSync()]);
    const { grads } = tf.variableGrads(loss);
    const g: Record<string, number[]> = {};
    const named = [xv, ...(sv ?? []), ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
    named.forEach((v, i) => {
      const gv = grads[v.name];
      const ns = sv?.length ?? 0;
      g[i === 0 ? 'dx' : i <= ns ? `dstate${i - 1}` : `dweight${i - 1 - ns}`] = gv ? [...gv.dataSync()] : [];
    });
    xv.dispose();
    sv?.forEach((s) => s.dispose());
    return { ys, g };
  });
}

function compareCase(cell: CellCase, k: Case): void {
  const config: Record<string, unknown> = {
    units: k.units,
    returnSequences: k.returnSequences,
    returnState: k.returnState,
    goBackwards: k.goBackwards,
    useBias: k.useBias,
    activation: k.activation,
    dropout: k.dropout,
    recurrentDropout: k.recurrentDropout,
    dropoutFunc: fixedDropout,
    biasInitializer: 'randomNormal',
  };
  if (cell.ract) config.recurrentActivation = k.recurrentActivation;
  const stock = make(cell.factory, config);
  const fused = make(cell.factory, config);
  const x = tf.randomNormal([k.batch, k.steps, k.inputDim], 0, 1, 'float32', k.seed);
  stock.apply(tf.input({ shape: [k.steps, k.inputDim] }));
  fused.apply(tf.input({ shape: [k.steps, k.inputDim] }));
  // Seeded weights (scaled by fan-in, as initialisers do), so that every case is reproducible from its seed.
  const weights = stock
    .getWeights()
    .map((w, i) => tf.randomNormal(w.shape, 0, 0.8 / Math.sqrt(w.shape[0]!), 'float32', k.seed + 10 + i));
  stock.setWeights(weights);
  fused.setWeights(weights);
  const report = fuseRecurrentLayers({ layers: [fused] });
  expect(report.fused).toEqual([fused.name]);
  const states = k.initialState
    ? Array.from({ length: cell.states }, (_, i) =>
        tf.randomNormal([k.batch, k.units], 0, 1, 'float32', k.seed + i + 1),
      )
    : null;
  const a = outputsAndGrads(stock, x, states, k.training);
  const b = outputsAndGrads(fused, x, states, k.training);
  expect(b.ys.length).toBe(a.ys.length);
  a.ys.forEach((y, i) => expectClose(`output ${i}`, y, b.ys[i]!));
  expect(Object.keys(b.g)).toEqual(Object.keys(a.g));
  for (const key of Object.keys(a.g)) expectClose(key, a.g[key]!, b.g[key]!);
  x.dispose();
  states?.forEach((s) => s.dispose());
  stock.dispose();
  fused.dispose();
}

describe('fused kernels equal tfjs layers: outputs and all gradients (random cases, fixed seeds)', () => {
  for (const cell of CELLS) {
    it(`${cell.factory}: every argument combination`, () => {
      fc.assert(
        fc.property(caseArb, (k) => compareCase(cell, k)),
        { numRuns: 40, seed: 20261202 },
      );
    });
  }

  it('a wide case splits its rows over the worker threads and still agrees', () => {
    const k: Case = {
      // Large enough that even SimpleRNN's calls are worth splitting (≥ 4 MFLOP).
      units: 56,
      inputDim: 16,
      steps: 16,
      batch: 37,
      returnSequences: true,
      returnState: true,
      goBackwards: false,
      useBias: true,
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
      initialState: true,
      dropout: 0,
      recurrentDropout: 0.3,
      training: true,
      seed: 7,
    };
    const eng = fusedEngine()!;
    const run = eng.run;
    const split: number[] = [];
    eng.run = (...a) => {
      const n = run(...a);
      split.push(n);
      return n;
    };
    try {
      for (const cell of CELLS) compareCase(cell, k);
    } finally {
      eng.run = run;
    }
    // Every call (per cell: two forward passes, outputs then gradients, and one backward) ran on all threads.
    expect(split).toHaveLength(3 * CELLS.length);
    expect(
      split.every((n) => n === Math.min(eng.threads, Math.floor(37 / 4))),
      split.join(','),
    ).toBe(true);
  });
});

describe('bidirectional runs both directions fused, in every merge mode', () => {
  for (const mergeMode of ['concat', 'sum', 'ave', 'mul'] as const) {
    for (const cell of CELLS.filter((c) => c.factory !== 'simpleRNN')) {
      it(`${cell.factory}, merge ${mergeMode}`, () => {
        const mk = () =>
          tf.layers.bidirectional({
            layer: make(cell.factory, { units: 5, returnSequences: true, recurrentActivation: 'sigmoid' }) as tf.RNN,
            mergeMode,
          });
        const stock = mk();
        const fused = mk();
        const x = tf.randomNormal([6, 4, 3], 0, 1, 'float32', 11);
        stock.apply(tf.input({ shape: [4, 3] }));
        fused.apply(tf.input({ shape: [4, 3] }));
        fused.setWeights(stock.getWeights());
        const report = fuseRecurrentLayers({ layers: [fused] });
        expect(report.fused).toEqual([`${fused.name}/forward`, `${fused.name}/backward`]);
        const a = outputsAndGrads(stock, x, null, true);
        const b = outputsAndGrads(fused, x, null, true);
        a.ys.forEach((y, i) => expectClose(`output ${i}`, y, b.ys[i]!));
        for (const key of Object.keys(a.g)) expectClose(key, a.g[key]!, b.g[key]!);
      });
    }
  }
});

describe("the kernels' gradients match finite differences", () => {
  const rnd = (n: number, seed: number): Float32Array => {
    let s = seed;
    return Float32Array.from({ length: n }, () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return (s / 2147483648 - 0.5) * 1.2;
    });
  };
  for (const [name, kernel] of Object.entries(CELL_KERNELS) as [string, CellKernel][]) {
    it(name, () => {
      const d = { B: 3, T: 4, I: 2, H: 3 };
      const G = kernel.gates * d.H;
      const opt = { act: 1, ract: 2, backwards: false };
      const base = {
        x: rnd(d.B * d.T * d.I, 1),
        kernel: rnd(d.I * G, 2),
        recurrentKernel: rnd(d.H * G, 3),
        bias: rnd(G * (kernel.biasRows ?? 1), 4),
        states: Array.from({ length: kernel.states }, (_, i) => rnd(d.B * d.H, 5 + i)),
        mask: null,
      };
      const wy = rnd(d.B * d.T * d.H, 9);
      const wl = Array.from({ length: kernel.states }, (_, i) => rnd(d.B * d.H, 10 + i));
      // loss = Σ wy·y + Σ wl·last states
      const loss = (inp: typeof base): number => {
        const f = recurrentForward(kernel, d, opt, inp, false);
        let s = 0;
        f.y.forEach((v, i) => (s += v * wy[i]!));
        f.last.forEach((l, k) => l.forEach((v, i) => (s += v * wl[k]![i]!)));
        return s;
      };
      const before = fusedEngine()!.reserved();
      const fwd = recurrentForward(kernel, d, opt, base, true);
      expect(fusedEngine()!.reserved(), 'the forward pass keeps what the backward pass reads').toBeGreaterThan(before);
      const g = recurrentBackward(kernel, d, opt, { ...base, hasBias: true, dy: wy, dLast: wl }, fwd.saved!);
      expect(fusedEngine()!.reserved(), 'the backward pass gives back every block').toBe(before);
      expect(() =>
        recurrentBackward(kernel, d, opt, { ...base, hasBias: true, dy: wy, dLast: wl }, fwd.saved!),
      ).toThrow(/already backpropagated/);
      const eps = 1e-2;
      const check = (what: string, arr: Float32Array, grad: Float32Array): void => {
        for (let i = 0; i < arr.length; i++) {
          const keep = arr[i]!;
          arr[i] = keep + eps;
          const up = loss(base);
          arr[i] = keep - eps;
          const down = loss(base);
          arr[i] = keep;
          const fd = (up - down) / (2 * eps);
          expect(Math.abs(fd - grad[i]!), `${what}[${i}]: finite difference ${fd}, kernel ${grad[i]}`).toBeLessThan(
            2e-3 + 2e-2 * Math.abs(fd),
          );
        }
      };
      check('x', base.x, g.dx);
      check('kernel', base.kernel, g.dKernel);
      check('recurrentKernel', base.recurrentKernel, g.dRecurrentKernel);
      check('bias', base.bias, g.dBias!);
      base.states.forEach((s, i) => check(`state ${i}`, s, g.dStates[i]!));
    });
  }
});

describe('what the kernels do not cover keeps tfjs’s layer, and says why', () => {
  it('stateful layers and activations without a kernel are skipped with a reason', () => {
    const stateful = tf.layers.lstm({ units: 3, stateful: true, batchInputShape: [2, 4, 3] });
    const elu = tf.layers.gru({ units: 3, activation: 'elu', inputShape: [4, 3] });
    const selu = tf.layers.lstm({ units: 3, recurrentActivation: 'selu', inputShape: [4, 3] });
    const model = { layers: [stateful, elu, selu, tf.layers.dense({ units: 1 })] };
    const r = fuseRecurrentLayers(model);
    expect(r.fused).toEqual([]);
    expect(r.skipped.map((s) => s.reason)).toEqual([
      'stateful layers keep tfjs’s implementation',
      'activation elu has no fused kernel',
      'recurrentActivation selu has no fused kernel',
    ]);
    expect(describeFusion(r)).toContain(`${elu.name} (activation elu has no fused kernel)`);
  });

  it('a call with a mask runs tfjs’s own implementation (bit-identical to stock)', () => {
    const stock = tf.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid' });
    const fused = tf.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid' });
    const x = tf.randomNormal([3, 5, 2], 0, 1, 'float32', 3);
    stock.apply(tf.input({ shape: [5, 2] }));
    fused.apply(tf.input({ shape: [5, 2] }));
    fused.setWeights(stock.getWeights());
    fuseRecurrentLayers({ layers: [fused] });
    const mask = tf.tensor2d(
      [
        [1, 1, 1, 0, 0],
        [1, 1, 1, 1, 1],
        [1, 0, 0, 0, 0],
      ],
      [3, 5],
      'bool',
    );
    const a = (stock.call(x, { mask }) as tf.Tensor).dataSync();
    const b = (fused.call(x, { mask }) as tf.Tensor).dataSync();
    expect([...b]).toEqual([...a]);
    // Without the mask the fused path runs: equal within tolerance, not bit-identical.
    const c = (stock.call(x, {}) as tf.Tensor).dataSync();
    const e = (fused.call(x, {}) as tf.Tensor).dataSync();
    expectClose('unmasked', c, e);
    expect([...e]).not.toEqual([...c]);
    unfuseRecurrentLayers({ layers: [fused] });
    expect([...(fused.call(x, {}) as tf.Tensor).dataSync()]).toEqual([...c]);
  });
});

describe('models train through model.fit on the kernels and save as stock layers', () => {
  const build = () => {
    const m = tf.sequential();
    m.add(tf.layers.lstm({ units: 8, returnSequences: true, inputShape: [6, 2], recurrentActivation: 'sigmoid' }));
    m.add(tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4, recurrentActivation: 'sigmoid' }) as tf.RNN }));
    m.add(tf.layers.dense({ units: 1 }));
    return m;
  };

  for (const backend of ['cpu', 'wasm']) {
    it(`the loss curve equals tfjs's (${backend})`, async () => {
      await setupBackend(backend as 'cpu' | 'wasm');
      try {
        const a = build();
        const b = build();
        b.setWeights(a.getWeights());
        expect(fuseRecurrentLayers(b).fused).toHaveLength(3);
        const x = tf.randomNormal([40, 6, 2], 0, 1, 'float32', 5);
        const y = tf.randomNormal([40, 1], 0, 1, 'float32', 6);
        const fit = async (m: tf.Sequential) => {
          m.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
          const h = await m.fit(x, y, { epochs: 4, batchSize: 8, shuffle: false, verbose: 0 });
          return h.history.loss as number[];
        };
        const la = await fit(a);
        const lb = await fit(b);
        la.forEach((v, i) => expect(Math.abs(v - lb[i]!)).toBeLessThan(1e-3 * Math.abs(v)));
        expect(lb[3]!).toBeLessThan(lb[0]!);
        // Saved as plain layers: the same model.json as the unfused model's.
        const topology = async (m: tf.LayersModel) => {
          let saved: unknown;
          await m.save(
            tf.io.withSaveHandler(
              async (art) => (
                (saved = art.modelTopology),
                { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
              ),
            ),
          );
          return JSON.stringify(saved).replace(/"name":"[A-Za-z_]+\d*"/g, '');
        };
        expect(await topology(b)).toEqual(await topology(a));
      } finally {
        await tf.setBackend('cpu');
      }
    });
  }
});

describe('lstmc train runs the kernels by default, says so with --verbose, and --no-fused turns them off', () => {
  it('a bidirectional spec: same seed, fused and unfused give the same losses; verbose names the fused layers', async () => {
    const { checkSource } = await import('../compiler/index.js');
    const { train } = await import('../runtime/train.js');
    const src = `model BiSum {
  input x: [10, 1]
  bidirectional(lstm(6, returnSequences: true, recurrentDropout: 0.2), mergeMode: concat)
  gru(5, returnSequences: true)
  timeDistributed(dense(1, activation: sigmoid))
  train {
    loss: binaryCrossentropy
    optimizer: adam
    epochs: 2
    batchSize: 16
    seed: 3
  }
  data {
    synthetic: cumsum
    length: 10
    samples: 64
    testSamples: 16
  }
}`;
    const { models, diagnostics } = checkSource(src, 'bi.lstm');
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const run = async (fused: boolean) => {
      let out = '';
      const r = await train(models[0]!, {
        progress: 'lines',
        stream: { write: (s: string) => ((out += s), true) },
        verbose: true,
        fused,
        backend: 'wasm',
      });
      r.model.dispose();
      return { out, loss: r.history.loss! };
    };
    const a = await run(true);
    const b = await run(false);
    expect(a.out).toMatch(/fused kernels: bidirectional\w*\/forward, bidirectional\w*\/backward, gru\w*/);
    expect(b.out).not.toContain('fused kernels');
    // Recurrent dropout draws its masks from the same seeded generator in both runs.
    a.loss.forEach((v, i) => expect(Math.abs(v - b.loss[i]!)).toBeLessThan(1e-3 * Math.abs(v)));
  });
});
