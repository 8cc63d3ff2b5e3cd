/**
 * Attention layers (compiler/layers/attention.ts, runtime/layers/attention.ts, multihead-attention.ts) against the
 * Keras definition of their maths, written here in plain float64 from keras/src/layers/attention/*.py:
 *
 *   Attention:          scores = q·kᵀ (× scale) | w · Σ tanh(scale · (q + k)); masked scores -= 1e9; softmax over the
 *                       value axis; out = weights · v, × query mask.
 *   AdditiveAttention:  scores = Σ scale · tanh(q + k); the rest as Attention.
 *   MultiHeadAttention: EinsumDense projections, q / sqrt(keyDim) · kᵀ per head, Softmax(mask) (-1e9 where the
 *                       query ∧ value ∧ key ∧ causal mask is false), weights · v, output EinsumDense.
 *
 * Random weights (setWeights) and inputs; max abs diff < 1e-5. Also: parameter counts equal Keras's formulas,
 * gradients reach every weight (one training step) and agree with finite differences of the float64 maths, masks,
 * save + load round trips, and a spec through checkSource -> toTfModelSpec -> buildModel.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import { instanceOf } from '../compiler/layers/table.js';
import { toTfModelSpec } from '../compiler/tfspec.js';
import { buildModel } from '../runtime/build.js';
import { fileSaveHandler, loadModelDir } from '../runtime/io.js';
import { lstmcLayers } from '../runtime/layers/index.js';
import { L } from './helpers/random-arch.js';

type M = number[][]; // [T][F]
type B = M[]; // [batch][T][F]

const tmp = mkdtempSync(join(tmpdir(), 'lstmc-attention-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// Seeded data

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randArray(r: () => number, shape: number[], scale = 1): unknown {
  if (shape.length === 0) return (r() * 2 - 1) * scale;
  return Array.from({ length: shape[0]! }, () => randArray(r, shape.slice(1), scale));
}

const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);

function maxAbsDiff(a: unknown, b: unknown): number {
  const fa = flat(a);
  const fb = flat(b);
  expect(fa.length).toBe(fb.length);
  return fa.reduce((m, x, i) => Math.max(m, Math.abs(x - fb[i]!)), 0);
}

/** 0/1 masks [batch][T], each row with at least one kept step. */
function randMask(r: () => number, batch: number, t: number): number[][] {
  return Array.from({ length: batch }, () => {
    const row = Array.from({ length: t }, () => (r() < 0.7 ? 1 : 0));
    row[Math.floor(r() * t)] = 1;
    return row;
  });
}

// ---------------------------------------------------------------------------------------------
// The Keras maths in float64

interface Masks {
  query?: number[][];
  value?: number[][];
  key?: number[][];
}

function softmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Allowed (i, j) for batch b: value/key masks, causal, and (MHA) the query mask. */
function allowed(masks: Masks, b: number, i: number, j: number, causal: boolean, withQuery: boolean): boolean {
  if (withQuery && masks.query && !masks.query[b]![i]) return false;
  if (masks.value && !masks.value[b]![j]) return false;
  if (masks.key && !masks.key[b]![j]) return false;
  if (causal && j > i) return false;
  return true;
}

interface DenseOpts {
  kind: 'dot' | 'concat' | 'additive';
  scale: number | number[] | null;
  concatWeight?: number;
  causal?: boolean;
  masks?: Masks;
}

/** Keras Attention / AdditiveAttention (dropout off): [out, weights]. Only the query and value masks count. */
function refDense(q: B, v: B, k: B, o: DenseOpts): [B, B] {
  const masks = { ...(o.masks ?? {}) };
  delete masks.key;
  const outs: B = [];
  const weights: B = [];
  q.forEach((qb, b) => {
    const kb = k[b]!;
    const vb = v[b]!;
    const wb: M = qb.map((qi, i) => {
      const scores = kb.map((kj, j) => {
        let s: number;
        if (o.kind === 'dot') {
          s = qi.reduce((a, x, f) => a + x * kj[f]!, 0);
          if (o.scale !== null) s *= o.scale as number;
        } else if (o.kind === 'concat') {
          const sc = o.scale === null ? 1 : (o.scale as number);
          s = (o.concatWeight ?? 1) * qi.reduce((a, x, f) => a + Math.tanh(sc * (x + kj[f]!)), 0);
        } else {
          const sc = o.scale as number[] | null;
          s = qi.reduce((a, x, f) => a + (sc ? sc[f]! : 1) * Math.tanh(x + kj[f]!), 0);
        }
        return allowed(masks, b, i, j, o.causal ?? false, false) ? s : s - 1e9;
      });
      return softmaxRow(scores);
    });
    weights.push(wb);
    outs.push(
      wb.map((wi, i) =>
        vb[0]!.map((_, f) => {
          const x = wi.reduce((a, w, j) => a + w * vb[j]![f]!, 0);
          return masks.query ? x * masks.query[b]![i]! : x;
        }),
      ),
    );
  });
  return [outs, weights];
}

interface MhaWeights {
  wq: number[][][];
  bq: number[][] | null;
  wk: number[][][];
  bk: number[][] | null;
  wv: number[][][];
  bv: number[][] | null;
  wo: number[][][];
  bo: number[] | null;
}

/** x [T][d] · W [d][H][P] + b [H][P] -> [T][H][P] (EinsumDense "abc,cde->abde"). */
function einsumDense(x: M, w: number[][][], bias: number[][] | null): number[][][] {
  const h = w[0]!.length;
  const p = w[0]![0]!.length;
  return x.map((row) =>
    Array.from({ length: h }, (_, hi) =>
      Array.from(
        { length: p },
        (_, pi) => row.reduce((a, xf, f) => a + xf * w[f]![hi]![pi]!, 0) + (bias ? bias[hi]![pi]! : 0),
      ),
    ),
  );
}

/** Keras MultiHeadAttention (dropout off): [out [B][Tq][O], scores [B][H][Tq][Tv]]. */
function refMha(
  q: B,
  v: B,
  k: B,
  w: MhaWeights,
  keyDim: number,
  causal: boolean,
  masks: Masks = {},
): [B, number[][][][]] {
  const outs: B = [];
  const scores: number[][][][] = [];
  q.forEach((qb, b) => {
    const qp = einsumDense(qb, w.wq, w.bq);
    const kp = einsumDense(k[b]!, w.wk, w.bk);
    const vp = einsumDense(v[b]!, w.wv, w.bv);
    const heads = w.wq[0]!.length;
    const sb = Array.from({ length: heads }, (_, h) =>
      qp.map((qi, i) =>
        softmaxRow(
          kp.map((kj, j) => {
            const s = qi[h]!.reduce((a, x, f) => a + (x / Math.sqrt(keyDim)) * kj[h]![f]!, 0);
            // float32 as Keras and TF.js compute it: a fully masked row is uniform (s - 1e9 rounds to -1e9)
            return allowed(masks, b, i, j, causal, true) ? s : Math.fround(Math.fround(s) - 1e9);
          }),
        ),
      ),
    );
    scores.push(sb);
    const outDim = w.wo[0]![0]!.length;
    outs.push(
      qp.map((_, i) =>
        Array.from({ length: outDim }, (_, o) => {
          let acc = w.bo ? w.bo[o]! : 0;
          for (let h = 0; h < heads; h++) {
            for (let e = 0; e < w.wv[0]![0]!.length; e++) {
              const ctx = sb[h]![i]!.reduce((a, wt, j) => a + wt * vp[j]![h]![e]!, 0);
              acc += ctx * w.wo[h]![e]![o]!;
            }
          }
          return acc;
        }),
      ),
    );
  });
  return [outs, scores];
}

// ---------------------------------------------------------------------------------------------
// Running the TF.js classes

type AnyLayer = tf.layers.Layer;

function run(layer: AnyLayer, xs: B[], masks: Masks = {}, withMasks = false): number[][][][] {
  const tensors = xs.map((x) => tf.tensor3d(x));
  const kwargs: Record<string, unknown> = {};
  const maskTensors: tf.Tensor[] = [];
  if (withMasks) {
    const m = [masks.query, masks.value, masks.key].slice(0, xs.length).map((x) => {
      if (!x) return null;
      const t = tf.tensor2d(x).cast('bool');
      maskTensors.push(t);
      return t;
    });
    kwargs.mask = m;
  }
  const out = layer.apply(tensors, kwargs) as tf.Tensor | tf.Tensor[];
  const list = Array.isArray(out) ? out : [out];
  const result = list.map((t) => t.arraySync() as number[][][]);
  tf.dispose([...tensors, ...list, ...maskTensors]);
  return result;
}

function build(layer: AnyLayer, xs: B[]): void {
  layer.build(xs.map((x) => [null, x[0]!.length, x[0]![0]!.length]));
}

const BATCH = 2;
const TQ = 4;
const TV = 5;

interface DenseCase {
  name: string;
  factory: 'attention' | 'additiveAttention';
  config: Record<string, unknown>;
  kind: DenseOpts['kind'];
  dims: { dq: number; dv: number; dk?: number };
}

const denseCases: DenseCase[] = [
  { name: 'dot', factory: 'attention', config: {}, kind: 'dot', dims: { dq: 3, dv: 3 } },
  { name: 'dot useScale', factory: 'attention', config: { useScale: true }, kind: 'dot', dims: { dq: 3, dv: 3 } },
  { name: 'dot with key', factory: 'attention', config: {}, kind: 'dot', dims: { dq: 3, dv: 5, dk: 3 } },
  { name: 'dot causal', factory: 'attention', config: { useCausalMask: true }, kind: 'dot', dims: { dq: 2, dv: 2 } },
  {
    name: 'concat useScale',
    factory: 'attention',
    config: { scoreMode: 'concat', useScale: true },
    kind: 'concat',
    dims: { dq: 3, dv: 4, dk: 3 },
  },
  { name: 'concat', factory: 'attention', config: { scoreMode: 'concat' }, kind: 'concat', dims: { dq: 3, dv: 3 } },
  { name: 'additive', factory: 'additiveAttention', config: {}, kind: 'additive', dims: { dq: 4, dv: 4 } },
  {
    name: 'additive no scale, key, causal',
    factory: 'additiveAttention',
    config: { useScale: false, useCausalMask: true },
    kind: 'additive',
    dims: { dq: 3, dv: 6, dk: 3 },
  },
];

describe('attention / additiveAttention against the Keras maths (float64)', () => {
  it.each(denseCases.flatMap((c) => [[`${c.name}`, c, false] as const, [`${c.name}, masked`, c, true] as const]))(
    '%s',
    (_n, c, masked) => {
      const r = rng(c.name.length * 7919 + (masked ? 1 : 0));
      const { dq, dv } = c.dims;
      const dk = c.dims.dk;
      const q = randArray(r, [BATCH, TQ, dq]) as B;
      const v = randArray(r, [BATCH, TV, dv]) as B;
      const k = dk === undefined ? v : (randArray(r, [BATCH, TV, dk]) as B);
      const xs = dk === undefined ? [q, v] : [q, v, k];
      const layer = lstmcLayers[c.factory]({ ...c.config, returnAttentionScores: true });
      build(layer, xs);
      // random weights in Keras's shapes
      const weights = layer.getWeights().map((w) => tf.tensor(randArray(r, w.shape, 1.5) as number[], w.shape));
      layer.setWeights(weights);
      const wv = weights.map((w) => w.arraySync() as number | number[]);
      let scale: number | number[] | null = null;
      let concatWeight: number | undefined;
      if (c.kind === 'additive') scale = c.config.useScale === false ? null : (wv[0] as number[]);
      else {
        let i = 0;
        if (c.config.useScale) scale = wv[i++] as number;
        if (c.kind === 'concat') concatWeight = wv[i] as number;
      }
      const masks: Masks = masked
        ? { query: randMask(r, BATCH, TQ), value: randMask(r, BATCH, TV), key: randMask(r, BATCH, TV) }
        : {};
      const [out, scores] = run(layer, xs, masks, masked);
      const opts: DenseOpts = { kind: c.kind, scale, causal: c.config.useCausalMask === true, masks };
      if (concatWeight !== undefined) opts.concatWeight = concatWeight;
      const [refOut, refScores] = refDense(q, v, k, opts);
      expect(maxAbsDiff(out, refOut)).toBeLessThan(1e-5);
      expect(maxAbsDiff(scores, refScores)).toBeLessThan(1e-5);
      tf.dispose(weights);
    },
  );

  it('in a TF.js model, self-attention over an embedding(maskZero) masks the padding as Keras (one mask from the executor)', () => {
    // One attention layer per model: TF.js 4.22's predict disposes an intermediate tensor fed twice to one layer
    // ([e, e]) once its recipient count (per consumer) is used up, so a second consumer of e would fail.
    const embed = tf.layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true });
    const tokens = tf.input({ shape: [5] });
    const e = embed.apply(tokens) as tf.SymbolicTensor;
    const mhaLayer = lstmcLayers.multiHeadAttention({ numHeads: 2, keyDim: 2 });
    const layers = [lstmcLayers.attention({}), mhaLayer, lstmcLayers.additiveAttention({})];
    const models = layers.map((l) => tf.model({ inputs: tokens, outputs: l.apply([e, e]) as tf.SymbolicTensor }));
    const ids = [
      [3, 1, 4, 0, 0],
      [2, 5, 0, 0, 0],
    ];
    const x = tf.tensor2d(ids);
    const got = models.map((m) => (m.predict(x) as tf.Tensor).arraySync() as B);
    const table = embed.getWeights()[0]!.arraySync() as number[][];
    const emb: B = ids.map((row) => row.map((id) => table[id]!));
    const mask = ids.map((row) => row.map((id) => (id === 0 ? 0 : 1)));
    const masks: Masks = { query: mask, value: mask };
    const [refAtt] = refDense(emb, emb, emb, { kind: 'dot', scale: null, masks });
    const [refMhaOut] = refMha(emb, emb, emb, mhaWeightsOf(mhaLayer, true), 2, false, { ...masks, key: mask });
    const scale = layers[2]!.getWeights()[0]!.arraySync() as number[];
    const [refAdd] = refDense(emb, emb, emb, { kind: 'additive', scale, masks });
    expect(maxAbsDiff(got[0], refAtt)).toBeLessThan(1e-5);
    expect(maxAbsDiff(got[1], refMhaOut)).toBeLessThan(1e-5);
    expect(maxAbsDiff(got[2], refAdd)).toBeLessThan(1e-5);
    // without the value mask the padded steps would count: the reference says so too
    const [unmasked] = refDense(emb, emb, emb, { kind: 'dot', scale: null, masks: { query: mask } });
    expect(maxAbsDiff(got[0], unmasked)).toBeGreaterThan(1e-3);
    tf.dispose(x);
  });

  it('a masked value step gets no weight; masked query steps give zeros; the output mask is the query mask', () => {
    const r = rng(5);
    const q = randArray(r, [1, 3, 2]) as B;
    const v = randArray(r, [1, 4, 2]) as B;
    const layer = lstmcLayers.attention({ returnAttentionScores: true });
    const [out, weights] = run(layer, [q, v], { query: [[1, 0, 1]], value: [[1, 1, 0, 1]] }, true);
    for (const row of weights![0]!) expect(row[2]).toBe(0);
    expect(out![0]![1]!.map(Math.abs)).toEqual([0, 0]);
    const qm = tf.tensor2d([[1, 0, 1]]).cast('bool');
    const m = layer.computeMask([tf.zeros([1, 3, 2]), tf.zeros([1, 4, 2])], [qm, null as unknown as tf.Tensor]);
    expect((m as tf.Tensor[])[0]!.arraySync()).toEqual([[1, 0, 1]]);
    expect((m as tf.Tensor[])[1]).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// MultiHeadAttention

interface MhaCase {
  name: string;
  config: {
    numHeads: number;
    keyDim: number;
    valueDim?: number;
    outputShape?: number;
    useBias?: boolean;
    useCausalMask?: boolean;
  };
  dims: { dq: number; dv: number; dk?: number };
}

const mhaCases: MhaCase[] = [
  { name: 'self-attention shapes', config: { numHeads: 2, keyDim: 3 }, dims: { dq: 4, dv: 4 } },
  {
    name: 'value dim, output shape',
    config: { numHeads: 3, keyDim: 2, valueDim: 5, outputShape: 6 },
    dims: { dq: 4, dv: 3 },
  },
  { name: 'key, no bias', config: { numHeads: 2, keyDim: 4, useBias: false }, dims: { dq: 3, dv: 5, dk: 2 } },
  { name: 'causal', config: { numHeads: 1, keyDim: 3, useCausalMask: true }, dims: { dq: 3, dv: 3 } },
];

function mhaWeightsOf(layer: AnyLayer, useBias: boolean): MhaWeights {
  const ws = layer.getWeights().map((w) => w.arraySync());
  let i = 0;
  const take = () => ws[i++];
  const wq = take() as number[][][];
  const bq = useBias ? (take() as number[][]) : null;
  const wk = take() as number[][][];
  const bk = useBias ? (take() as number[][]) : null;
  const wv = take() as number[][][];
  const bv = useBias ? (take() as number[][]) : null;
  const wo = take() as number[][][];
  const bo = useBias ? (take() as number[]) : null;
  return { wq, bq, wk, bk, wv, bv, wo, bo };
}

describe('multiHeadAttention against the Keras maths (float64)', () => {
  it.each(mhaCases.flatMap((c) => [[c.name, c, false] as const, [`${c.name}, masked`, c, true] as const]))(
    '%s',
    (_n, c, masked) => {
      const r = rng(c.name.length * 104729 + (masked ? 3 : 0));
      const { dq, dv } = c.dims;
      const dk = c.dims.dk;
      const q = randArray(r, [BATCH, TQ, dq]) as B;
      const v = randArray(r, [BATCH, TV, dv]) as B;
      const k = dk === undefined ? v : (randArray(r, [BATCH, TV, dk]) as B);
      const xs = dk === undefined ? [q, v] : [q, v, k];
      const layer = lstmcLayers.multiHeadAttention({ ...c.config, returnAttentionScores: true });
      build(layer, xs);
      const names = layer.weights.map((w) => w.originalName.split('/').slice(-2).join('/'));
      const bias = c.config.useBias !== false;
      expect(names).toEqual(
        ['query', 'key', 'value', 'attention_output'].flatMap((p) =>
          bias ? [`${p}/kernel`, `${p}/bias`] : [`${p}/kernel`],
        ),
      );
      const weights = layer.getWeights().map((w) => tf.tensor(randArray(r, w.shape, 0.8) as number[], w.shape));
      layer.setWeights(weights);
      const masks: Masks = masked
        ? { query: randMask(r, BATCH, TQ), value: randMask(r, BATCH, TV), key: randMask(r, BATCH, TV) }
        : {};
      if (dk === undefined) delete masks.key; // no key input: no key mask (Keras: the key is the value)
      const [out, scores] = run(layer, xs, masks, masked);
      const [refOut, refScores] = refMha(
        q,
        v,
        k,
        mhaWeightsOf(layer, bias),
        c.config.keyDim,
        c.config.useCausalMask ?? false,
        masks,
      );
      expect(maxAbsDiff(out, refOut)).toBeLessThan(1e-5);
      expect(maxAbsDiff(scores, refScores)).toBeLessThan(1e-5);
      tf.dispose(weights);
    },
  );

  it('gradients agree with finite differences of the float64 maths (query kernel, value bias)', () => {
    const r = rng(11);
    const q = randArray(r, [1, 3, 2]) as B;
    const v = randArray(r, [1, 4, 3]) as B;
    const layer = lstmcLayers.multiHeadAttention({ numHeads: 2, keyDim: 2 });
    build(layer, [q, v]);
    layer.setWeights(layer.getWeights().map((w) => tf.tensor(randArray(r, w.shape, 0.8) as number[], w.shape)));
    const proj = randArray(r, [1, 3, 2]) as B; // loss = Σ out · proj
    const loss = (w: MhaWeights) => {
      const [out] = refMha(q, v, v, w, 2, false);
      return flat(out).reduce((a, x, i) => a + x * flat(proj)[i]!, 0);
    };
    const base = mhaWeightsOf(layer, true);
    const qt = tf.tensor3d(q);
    const vt = tf.tensor3d(v);
    const pt = tf.tensor3d(proj);
    const vars = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply([qt, vt]) as tf.Tensor, pt)) as tf.Scalar, vars);
    const gq = grads[vars[0]!.name]!.arraySync() as number[][][];
    const gbv = grads[vars[5]!.name]!.arraySync() as number[][];
    const eps = 1e-5;
    for (const [f, h, e] of [
      [0, 0, 0],
      [1, 1, 1],
      [0, 1, 0],
    ] as const) {
      const plus = structuredClone(base);
      const minus = structuredClone(base);
      plus.wq[f]![h]![e]! += eps;
      minus.wq[f]![h]![e]! -= eps;
      expect(Math.abs((loss(plus) - loss(minus)) / (2 * eps) - gq[f]![h]![e]!)).toBeLessThan(1e-4);
    }
    for (const [h, e] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const plus = structuredClone(base);
      const minus = structuredClone(base);
      plus.bv![h]![e]! += eps;
      minus.bv![h]![e]! -= eps;
      expect(Math.abs((loss(plus) - loss(minus)) / (2 * eps) - gbv[h]![e]!)).toBeLessThan(1e-4);
    }
    tf.dispose([qt, vt, pt, ...Object.values(grads)]);
  });
});

// ---------------------------------------------------------------------------------------------
// Parameter counts (Keras's formulas), training, save + load

describe('attention layers in models', () => {
  it.each([
    // Attention: useScale adds 1 scalar, scoreMode concat 1 more.
    [
      'attention',
      {},
      [
        [4, 6],
        [7, 6],
      ],
      0,
    ],
    [
      'attention',
      { useScale: true },
      [
        [4, 6],
        [7, 6],
      ],
      1,
    ],
    [
      'attention',
      { useScale: true, scoreMode: 'concat' },
      [
        [4, 6],
        [7, 6],
      ],
      2,
    ],
    // AdditiveAttention: useScale (default) is one weight per value feature.
    [
      'additiveAttention',
      {},
      [
        [4, 6],
        [7, 6],
      ],
      6,
    ],
    [
      'additiveAttention',
      { useScale: false },
      [
        [4, 6],
        [7, 9],
        [7, 6],
      ],
      0,
    ],
    // MultiHeadAttention(2, 2) on [8, 16] / [4, 16] (the Keras docs example): 3 × (16·2·2 + 2·2) + 2·2·16 + 16
    [
      'multiHeadAttention',
      { numHeads: 2, keyDim: 2 },
      [
        [8, 16],
        [4, 16],
      ],
      3 * (16 * 4 + 4) + 2 * 2 * 16 + 16,
    ],
    // numHeads 3, keyDim 2, valueDim 5, outputShape 7; query 6, value 4, key 3 features
    [
      'multiHeadAttention',
      { numHeads: 3, keyDim: 2, valueDim: 5, outputShape: 7 },
      [
        [8, 6],
        [4, 4],
        [4, 3],
      ],
      6 * 3 * 2 + 6 + (3 * 3 * 2 + 6) + (4 * 3 * 5 + 15) + 3 * 5 * 7 + 7,
    ],
    [
      'multiHeadAttention',
      { numHeads: 2, keyDim: 3, useBias: false },
      [
        [5, 4],
        [5, 4],
      ],
      3 * 4 * 2 * 3 + 2 * 3 * 4,
    ],
  ] as const)('%s %j on %j has %d params (table = tfjs countParams)', (type, args, inputs, want) => {
    const inst = instanceOf(L(type, { ...args }))!;
    const shapes = inputs.map((s) => [...s]);
    const res = inst.def.outputShapes(inst, shapes);
    expect(res.ok).toBe(true);
    const p = inst.def.paramCount(inst, shapes);
    expect(p.trainable).toBe(want);
    const layer = (lstmcLayers[type] as (c: unknown) => AnyLayer)(inst.def.lower.tfjs.spec(inst, undefined).config);
    layer.apply(shapes.map((s) => tf.input({ shape: s as number[] })));
    expect(layer.countParams()).toBe(want);
  });

  const spec = `
model Att {
  input dec: [6, 4]
  input enc: [7, 4]
  let [a, scores] = [dec, enc] -> attention(useScale: true, returnAttentionScores: true)
  let b = [dec, enc] -> additiveAttention(useCausalMask: true)
  let c = [dec, enc, enc] -> multiHeadAttention(2, 3, dropout: 0.1)
  let y = [a, b, c] -> concatenate() -> dense(2)
  output y, scores
}
`;

  it('a spec builds, trains (every weight moves) and saves + loads with identical predictions', async () => {
    const res = checkSource(spec, 'att.lstm');
    expect(res.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const model = buildModel(toTfModelSpec(res.models[0]!));
    expect(model.outputs.map((o) => o.shape)).toEqual([
      [null, 6, 2],
      [null, 6, 7],
    ]);
    const r = rng(3);
    const x = [tf.tensor(randArray(r, [8, 6, 4]) as number[][][]), tf.tensor(randArray(r, [8, 7, 4]) as number[][][])];
    const ys = [
      tf.tensor(randArray(r, [8, 6, 2]) as number[][][]),
      tf.softmax(tf.tensor(randArray(r, [8, 6, 7]) as number[][][])),
    ];
    model.compile({ optimizer: tf.train.sgd(0.1), loss: ['meanSquaredError', 'meanSquaredError'] });
    const attentionWeights = model.layers
      .filter((l) => /Attention/.test(l.getClassName()))
      .flatMap((l) => l.trainableWeights);
    expect(attentionWeights.length).toBe(1 + 1 + 8); // scale; scale [4]; 4 kernels + 4 biases
    const before = attentionWeights.map((w) => w.read().dataSync().slice());
    await model.fit(x, ys, { epochs: 1, batchSize: 8, verbose: 0 });
    attentionWeights.forEach((w, i) => {
      expect(maxAbsDiff(Array.from(w.read().dataSync()), Array.from(before[i]!)), w.name).toBeGreaterThan(0);
    });
    const dir = join(tmp, 'model');
    await model.save(fileSaveHandler(dir));
    const loaded = await loadModelDir(dir);
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
    const p1 = model.predict(x) as tf.Tensor[];
    const p2 = loaded.predict(x) as tf.Tensor[];
    p1.forEach((t, i) => expect(maxAbsDiff(t.arraySync(), p2[i]!.arraySync())).toBe(0));
    const mha = loaded.layers.find((l) => l.getClassName() === 'MultiHeadAttention')!;
    expect(mha.getConfig()).toMatchObject({ numHeads: 2, keyDim: 3, valueDim: 3, dropout: 0.1, useBias: true });
    tf.dispose([...x, ...ys, ...p1, ...p2]);
  });
  it('the encoder-decoder-attention spec trains (a decoder started from the encoder states, whose sequence attention reads)', async () => {
    // TF.js 4.22's executor shares one kwargs object between the layers of a training step and RNN.apply writes
    // the decoder's initialState into it; the encoder's sequence output, computed after the decoder, then failed
    // (runtime/layers/rnn-kwargs.ts).
    const file = join(__dirname, '..', 'specs', 'encoder-decoder-attention.lstm');
    const res = checkSource(readFileSync(file, 'utf8'), file);
    expect(res.diagnostics).toEqual([]);
    const model = buildModel(toTfModelSpec(res.models[0]!));
    const r = rng(9);
    const x = tf.tensor(randArray(r, [4, 8, 12]) as number[][][]);
    const y = tf.softmax(tf.tensor(randArray(r, [4, 2, 12]) as number[][][]));
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const h = await model.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0 });
    const losses = h.history.loss as number[];
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[2]!).toBeLessThan(losses[0]!);
    tf.dispose([x, y]);
  });
});
