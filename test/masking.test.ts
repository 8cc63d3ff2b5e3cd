/**
 * Masking: `masking(maskValue)` and `embedding(..., maskZero: true)` through the whole pipeline (checker,
 * TF.js lowering, runtime), and numerically:
 *
 * - oracle: every recurrent case (lstm, gru both resetAfter kinds, simpleRNN; returnSequences, returnState,
 *   goBackwards; bidirectional in every merge mode) against a plain float64 TypeScript implementation of the
 *   Keras 2 maths with its mask semantics (a masked step keeps the states and repeats the previous output);
 * - invariance: a batch with masked (padded) steps at the end, the start and the middle gives the same final
 *   outputs and states as the same sequences without those steps, and the same per-step outputs at the kept
 *   steps (recurrent layers, bidirectional, timeDistributed after a masked lstm, merges of masked branches,
 *   embedding with maskZero);
 * - the checker: where a mask goes, what it warns about and what it refuses (TF.js 4.22's behaviour).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import type { IRModel } from '../compiler/ir.js';
import { printLstm, printYaml } from '../compiler/print.js';
import { toTfModelSpec } from '../compiler/tfspec.js';
import { buildModel } from '../runtime/build.js';
import { emitModules, moduleNames } from '../emit/typescript.js';
import { projectTempDir } from './emit-helpers.js';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});
afterAll(() => tf.disposeVariables());

// ---------------------------------------------------------------- helpers

function check(source: string, format?: 'lstm' | 'yaml') {
  const r = checkSource(source, format === 'yaml' ? 'm.yaml' : 'm.lstm');
  return { ...r, codes: r.diagnostics.map((d) => d.code) };
}

function modelOf(source: string): IRModel {
  const r = check(source);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !r.models[0]) throw new Error(errors.map((d) => `${d.code} ${d.message}`).join('\n'));
  return r.models[0];
}

/** mulberry32: a seeded uniform generator. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds the model and gives every weight seeded values in [-0.6, 0.6]. */
function built(source: string, seed = 1): tf.LayersModel {
  const model = buildModel(toTfModelSpec(modelOf(source)));
  const r = rng(seed);
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    // getWeights gives the variables' own tensors: not disposed here.
    layer.setWeights(
      ws.map((w) =>
        tf.tensor(
          Float32Array.from({ length: w.size }, () => (r() - 0.5) * 1.2),
          w.shape,
        ),
      ),
    );
  }
  return model;
}

type Seq = number[][]; // [T][F]

function predict(model: tf.LayersModel, xs: Seq[] | number[][][], ids = false): number[][][] {
  const x = ids ? tf.tensor2d(xs as unknown as number[][]) : tf.tensor3d(xs as number[][][]);
  const y = model.predict(x);
  const outs = (Array.isArray(y) ? y : [y]).map((t) => t.arraySync() as number[][]);
  tf.dispose([x, ...(Array.isArray(y) ? y : [y])]);
  return outs as unknown as number[][][];
}

function maxDiff(a: unknown, b: unknown): number {
  const fa = [a].flat(Infinity as 1) as number[];
  const fb = [b].flat(Infinity as 1) as number[];
  if (fa.length !== fb.length) return Infinity;
  return fa.reduce((m, v, i) => Math.max(m, Math.abs(v - fb[i]!)), 0);
}

// ---------------------------------------------------------------- the reference maths (float64, Keras 2)

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

type Kind = 'lstm' | 'gru' | 'gruBefore' | 'simpleRNN';

/** x · W for a row vector x and W [in][out]. */
function vecMat(x: readonly number[], w: readonly number[][]): number[] {
  const out = new Array<number>(w[0]!.length).fill(0);
  x.forEach((xi, i) => w[i]!.forEach((wij, j) => (out[j]! += xi * wij)));
  return out;
}

interface CellWeights {
  kernel: number[][];
  recurrent: number[][];
  /** One row, or two (GRU resetAfter: input bias, recurrent bias). */
  bias: number[][];
}

/** One step of the Keras 2 cell: the output and the new states. Gate orders: lstm i f c o, gru z r h. */
function step(kind: Kind, w: CellWeights, x: number[], states: number[][]): { out: number[]; states: number[][] } {
  const u = w.recurrent.length;
  const h = states[0]!;
  const xk = vecMat(x, w.kernel);
  if (kind === 'simpleRNN') {
    const hr = vecMat(h, w.recurrent);
    const out = xk.map((v, j) => Math.tanh(v + hr[j]! + w.bias[0]![j]!));
    return { out, states: [out] };
  }
  if (kind === 'lstm') {
    const z = vecMat(h, w.recurrent).map((v, j) => v + xk[j]! + w.bias[0]![j]!);
    const c = states[1]!;
    const c2 = c.map((cj, j) => sigmoid(z[u + j]!) * cj + sigmoid(z[j]!) * Math.tanh(z[2 * u + j]!));
    const h2 = c2.map((cj, j) => sigmoid(z[3 * u + j]!) * Math.tanh(cj));
    return { out: h2, states: [h2, c2] };
  }
  const bx = w.bias[0]!;
  if (kind === 'gru') {
    // resetAfter: true: the reset gate multiplies the recurrent product (and its bias).
    const br = w.bias[1]!;
    const hr = vecMat(h, w.recurrent).map((v, j) => v + br[j]!);
    const zg = (j: number) => sigmoid(xk[j]! + bx[j]! + hr[j]!);
    const rg = (j: number) => sigmoid(xk[u + j]! + bx[u + j]! + hr[u + j]!);
    const h2 = h.map((hj, j) => {
      const cand = Math.tanh(xk[2 * u + j]! + bx[2 * u + j]! + rg(j) * hr[2 * u + j]!);
      return zg(j) * hj + (1 - zg(j)) * cand;
    });
    return { out: h2, states: [h2] };
  }
  // resetAfter: false (TF.js's GRU): the reset gate multiplies h before the recurrent matmul.
  const rec = w.recurrent;
  const cols = (from: number) => rec.map((row) => row.slice(from, from + u));
  const hz = vecMat(h, cols(0));
  const hr = vecMat(h, cols(u));
  const z = h.map((_, j) => sigmoid(xk[j]! + hz[j]! + bx[j]!));
  const r = h.map((_, j) => sigmoid(xk[u + j]! + hr[j]! + bx[u + j]!));
  const hh = vecMat(
    h.map((hj, j) => hj * r[j]!),
    cols(2 * u),
  );
  const h2 = h.map((hj, j) => z[j]! * hj + (1 - z[j]!) * Math.tanh(xk[2 * u + j]! + hh[j]! + bx[2 * u + j]!));
  return { out: h2, states: [h2] };
}

/**
 * The Keras 2 RNN loop with a mask: at a masked step the states are carried over and the output repeats the
 * previous one (`carry`, zero before the first kept step) or is zero (`zero`: Keras 2's Bidirectional with
 * returnSequences). With goBackwards the steps run (and the sequence is returned) in reverse.
 */
function rnn(
  kind: Kind,
  w: CellWeights,
  xs: Seq,
  mask: boolean[],
  opts: { goBackwards: boolean; flavour: 'carry' | 'zero' },
): { seq: number[][]; last: number[]; states: number[][] } {
  const u = w.recurrent.length;
  let states = Array.from({ length: kind === 'lstm' ? 2 : 1 }, () => new Array<number>(u).fill(0));
  let prev = new Array<number>(u).fill(0);
  const order = xs.map((_, t) => t);
  if (opts.goBackwards) order.reverse();
  const seq: number[][] = [];
  for (const t of order) {
    if (mask[t]) {
      const s = step(kind, w, xs[t]!, states);
      states = s.states;
      prev = s.out;
      seq.push(s.out);
    } else {
      seq.push(opts.flavour === 'zero' ? new Array<number>(u).fill(0) : prev);
    }
  }
  return { seq, last: prev, states };
}

function cellWeights(ws: tf.Tensor[]): CellWeights {
  const [k, r, b] = ws.map((t) => t.arraySync());
  const bias = b as number[] | number[][];
  return {
    kernel: k as number[][],
    recurrent: r as number[][],
    bias: Array.isArray(bias[0]) ? (bias as number[][]) : [bias as number[]],
  };
}

function merge(mode: string, a: number[], b: number[]): number[] {
  if (mode === 'concat') return [...a, ...b];
  if (mode === 'sum') return a.map((v, i) => v + b[i]!);
  if (mode === 'mul') return a.map((v, i) => v * b[i]!);
  return a.map((v, i) => (v + b[i]!) / 2);
}

// ---------------------------------------------------------------- padded batches

const F = 3;

interface Padded {
  xs: Seq[];
  masks: boolean[][];
  /** The same sequences without their masked steps. */
  kept: Seq[];
}

/**
 * Five sequences of T steps: masked at the end, at the start, in the middle, nowhere, and (with `withAllMasked`)
 * everywhere. A masked step is all zeros (masking's default maskValue).
 */
function padded(seed: number, withAllMasked = false): Padded {
  const r = rng(seed);
  const patterns = [
    [1, 1, 1, 1, 1, 0, 0, 0],
    [0, 0, 0, 1, 1, 1, 1, 1],
    [1, 1, 0, 0, 1, 0, 1, 1],
    [1, 1, 1, 1, 1, 1, 1, 1],
    ...(withAllMasked ? [[0, 0, 0, 0, 0, 0, 0, 0]] : []),
  ].map((p) => p.map((v) => v === 1));
  const xs = patterns.map((p) =>
    p.map((keep) => (keep ? Array.from({ length: F }, () => (r() - 0.5) * 2) : new Array<number>(F).fill(0))),
  );
  return { xs, masks: patterns, kept: xs.map((x, i) => x.filter((_, t) => patterns[i]![t])) };
}

/** Runs each kept (unpadded) sequence alone: its outputs, one list per model output. */
function predictEach(model: tf.LayersModel, kept: Seq[]): number[][][][] {
  return kept.map((x) => predict(model, [x]).map((o) => o[0] as unknown as number[][]));
}

/** The per-step outputs at the kept steps, in the order the layer ran them. */
function keptSteps(seq: number[][], mask: boolean[], goBackwards: boolean): number[][] {
  const m = goBackwards ? [...mask].reverse() : mask;
  return seq.filter((_, t) => m[t]);
}

// ---------------------------------------------------------------- recurrent layers

const KINDS: { kind: Kind; call: (u: number, extra: string) => string; states: string[] }[] = [
  { kind: 'lstm', call: (u, e) => `lstm(${u}${e})`, states: ['h', 'c'] },
  { kind: 'gru', call: (u, e) => `gru(${u}${e})`, states: ['h'] },
  { kind: 'gruBefore', call: (u, e) => `gru(${u}, resetAfter: false${e})`, states: ['h'] },
  { kind: 'simpleRNN', call: (u, e) => `simpleRNN(${u}${e})`, states: ['h'] },
];

interface RecurrentCase {
  id: string;
  kind: Kind;
  source: string;
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
}

const RECURRENT_CASES: RecurrentCase[] = KINDS.flatMap(({ kind, call, states }) =>
  [false, true].flatMap((returnSequences) =>
    [false, true].flatMap((returnState) =>
      [false, true].map((goBackwards): RecurrentCase => {
        const extra =
          (returnSequences ? ', returnSequences: true' : '') +
          (returnState ? ', returnState: true' : '') +
          (goBackwards ? ', goBackwards: true' : '');
        const outs = returnState ? ['o', ...states] : ['o'];
        const lhs = returnState ? `[${outs.join(', ')}]` : 'o';
        return {
          id: `${kind}${returnSequences ? ' returnSequences' : ''}${returnState ? ' returnState' : ''}${goBackwards ? ' goBackwards' : ''}`,
          kind,
          returnSequences,
          returnState,
          goBackwards,
          source: `model M {
  input x: [S, ${F}]
  let m = x -> masking()
  let ${lhs} = m -> ${call(5, extra)}
  output ${outs.join(', ')}
}`,
        };
      }),
    ),
  ),
);

describe('recurrent layers with masked steps: the Keras 2 maths, and padding changes nothing', () => {
  let worst = 0;
  afterAll(() => console.log(`masking oracle: max abs diff vs the float64 reference ${worst.toExponential(2)}`));

  it.each(RECURRENT_CASES.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const model = built(c.source, 7);
    const data = padded(11, true);
    const layer = model.layers.find((l) => l.getWeights().length > 0)!;
    const w = cellWeights(layer.getWeights());
    const got = predict(model, data.xs);
    data.xs.forEach((x, b) => {
      const ref = rnn(c.kind, w, x, data.masks[b]!, { goBackwards: c.goBackwards, flavour: 'carry' });
      const expected = [c.returnSequences ? ref.seq : ref.last, ...(c.returnState ? ref.states : [])];
      expected.forEach((e, i) => {
        const d = maxDiff(got[i]![b], e);
        worst = Math.max(worst, d);
        expect(d, `${c.id}: output ${i}, sequence ${b}`).toBeLessThan(1e-5);
      });
    });
    // The same sequences without their masked steps give the same final outputs and states.
    const alone = predictEach(model, data.kept.slice(0, 4));
    alone.forEach((outs, b) => {
      outs.forEach((o, i) => {
        const padOut = got[i]![b] as unknown as number[][];
        const same = i === 0 && c.returnSequences ? keptSteps(padOut, data.masks[b]!, c.goBackwards) : padOut;
        expect(maxDiff(same, o), `${c.id}: output ${i} of sequence ${b}, padded vs not`).toBeLessThan(1e-6);
      });
    });
    model.dispose();
  });
});

describe('bidirectional with masked steps, every merge mode', () => {
  const CASES = ['concat', 'sum', 'mul', 'ave'].flatMap((mergeMode) =>
    (['lstm', 'gru'] as const).flatMap((kind) =>
      [false, true].map((returnSequences) => ({
        id: `bidirectional(${kind}) ${mergeMode}${returnSequences ? ' returnSequences' : ''}`,
        kind,
        mergeMode,
        returnSequences,
        source: `model M {
  input x: [S, ${F}]
  let m = x -> masking()
  let [o, ${kind === 'lstm' ? 'hf, cf, hb, cb' : 'hf, hb'}] = m -> bidirectional(${kind}(4${returnSequences ? ', returnSequences: true' : ''}, returnState: true), mergeMode: ${mergeMode})
  output o, ${kind === 'lstm' ? 'hf, cf, hb, cb' : 'hf, hb'}
}`,
      })),
    ),
  );

  it.each(CASES.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const model = built(c.source, 3);
    const data = padded(5);
    const bi = model.layers.find((l) => l.getWeights().length > 0)!;
    const ws = bi.getWeights();
    const fw = cellWeights(ws.slice(0, 3));
    const bw = cellWeights(ws.slice(3));
    const got = predict(model, data.xs);
    data.xs.forEach((x, b) => {
      const mask = data.masks[b]!;
      for (const flavour of ['carry', 'zero'] as const) {
        const f = rnn(c.kind, fw, x, mask, { goBackwards: false, flavour });
        const r = rnn(c.kind, bw, x, mask, { goBackwards: true, flavour });
        const out = c.returnSequences
          ? f.seq.map((s, t) => merge(c.mergeMode, s, [...r.seq].reverse()[t]!))
          : merge(c.mergeMode, f.last, r.last);
        const d = maxDiff(got[0]![b], out);
        if (flavour === 'carry') {
          // TF.js: a masked step repeats the previous output in each direction.
          expect(d, `${c.id}: sequence ${b}`).toBeLessThan(1e-5);
          expect(
            maxDiff(
              got.slice(1).map((s) => s[b]),
              [...f.states, ...r.states],
            ),
          ).toBeLessThan(1e-5);
        } else if (c.returnSequences && b === 2) {
          // Keras 2 outputs zeros at masked steps here; TF.js does not (documented difference). Shown on the
          // sequence masked in the middle, where both directions have an output to repeat.
          expect(d, `${c.id}: sequence ${b} differs from Keras 2's zeros at masked steps`).toBeGreaterThan(1e-3);
          const kept = (s: unknown) => (s as number[][]).filter((_, t) => mask[t]);
          expect(maxDiff(kept(got[0]![b]), kept(out)), 'but agrees at the kept steps').toBeLessThan(1e-5);
        }
      }
    });
    const alone = predictEach(model, data.kept);
    alone.forEach((outs, b) => {
      const padOut = got[0]![b] as unknown as number[][];
      const same = c.returnSequences ? padOut.filter((_, t) => data.masks[b]![t]) : padOut;
      expect(maxDiff(same, outs[0]), `${c.id}: sequence ${b}, padded vs not`).toBeLessThan(1e-6);
      expect(
        maxDiff(
          got.slice(1).map((s) => s[b]),
          outs.slice(1),
        ),
        `${c.id}: states of sequence ${b}`,
      ).toBeLessThan(1e-6);
    });
    model.dispose();
  });
});

describe('masks through timeDistributed, merges and embedding(maskZero)', () => {
  const MODELS: { id: string; source: string; perStep: boolean }[] = [
    {
      id: 'timeDistributed(dense) after a masked lstm',
      perStep: true,
      source: `model M {
  input x: [S, ${F}]
  masking()
  lstm(6, returnSequences: true)
  timeDistributed(dense(2, activation: tanh))
}`,
    },
    {
      id: 'dense and dropout carry the mask to an lstm',
      perStep: false,
      source: `model M {
  input x: [S, ${F}]
  masking()
  dense(4, activation: tanh)
  dropout(0.5)
  lstm(3)
}`,
    },
    {
      id: 'concatenate of two masked branches, read by an lstm',
      perStep: false,
      source: `model M {
  input x: [S, ${F}]
  let m = x -> masking()
  let a = m -> lstm(4, returnSequences: true)
  let b = m -> gru(3, returnSequences: true)
  let y = [a, b] -> concatenate() -> lstm(2)
  output y
}`,
    },
    ...['add', 'multiply', 'average'].map((merge) => ({
      id: `${merge} of two masked branches, then timeDistributed(dense)`,
      perStep: true,
      source: `model M {
  input x: [S, ${F}]
  let m = x -> masking()
  let a = m -> lstm(4, returnSequences: true)
  let b = m -> simpleRNN(4, returnSequences: true)
  let y = [a, b] -> ${merge}() -> timeDistributed(dense(2))
  output y
}`,
    })),
    {
      id: 'stacked masked lstm -> bidirectional(gru) -> lstm',
      perStep: false,
      source: `model M {
  input x: [S, ${F}]
  masking()
  lstm(4, returnSequences: true)
  bidirectional(gru(3, returnSequences: true))
  lstm(2)
}`,
    },
  ];

  it.each(MODELS.map((c) => [c.id, c] as const))('%s: padded steps change nothing', (_id, c) => {
    const check0 = check(c.source);
    expect(check0.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const model = built(c.source, 9);
    const data = padded(21);
    const [got] = predict(model, data.xs);
    predictEach(model, data.kept).forEach(([o], b) => {
      const padOut = got![b] as unknown as number[][];
      const same = c.perStep ? padOut.filter((_, t) => data.masks[b]![t]) : padOut;
      expect(maxDiff(same, o), `sequence ${b}`).toBeLessThan(1e-6);
    });
    model.dispose();
  });

  it('goBackwards with returnSequences passes the mask on unreversed: the next lstm skips the wrong steps (LSTM3024)', () => {
    const source = `model M {\n  input x: [S, ${F}]\n  masking()\n  gru(4, returnSequences: true, goBackwards: true)\n  lstm(3)\n}`;
    expect(check(source).codes).toEqual(['LSTM3024']);
    const model = built(source, 6);
    const data = padded(17);
    const [got] = predict(model, data.xs);
    const alone = predictEach(model, data.kept);
    // Padded at the end and at the start: the padding no longer lines up with the mask.
    for (const b of [0, 1]) expect(maxDiff(got![b], alone[b]![0]), `sequence ${b}`).toBeGreaterThan(1e-4);
    // Nothing masked: nothing to misalign.
    expect(maxDiff(got![3], alone[3]![0])).toBeLessThan(1e-6);
    model.dispose();
  });

  it('with an initialState, a masked first step repeats the initial h (TF.js; Keras 2 outputs zeros)', () => {
    const source = `model M {
  input x: [S, ${F}]
  input h0: [4]
  input c0: [4]
  let m = x -> masking()
  let o = m -> lstm(4, returnSequences: true, initialState: [h0, c0])
  output o
}`;
    expect(check(source).codes).toEqual([]);
    const model = built(source, 5);
    const data = padded(3);
    const h0 = data.xs.map((_, b) => [0.1 * b, -0.2, 0.3, 0.05]);
    const c0 = data.xs.map(() => [0.2, 0.1, -0.1, 0.4]);
    const ins = [tf.tensor3d(data.xs), tf.tensor2d(h0), tf.tensor2d(c0)];
    const y = model.predict(ins) as tf.Tensor;
    const got = y.arraySync() as number[][][];
    // Sequence 1 is masked at steps 0-2: its output there is h0; sequence 0 starts with a kept step.
    for (const t of [0, 1, 2]) expect(maxDiff(got[1]![t], h0[1])).toBeLessThan(1e-6);
    expect(maxDiff(got[0]![0], h0[0])).toBeGreaterThan(1e-3);
    tf.dispose([...ins, y]);
    model.dispose();
  });

  it('embedding(maskZero: true) -> lstm: index 0 padding changes nothing', () => {
    const source = `model M {
  input tokens: [S]
  embedding(12, 4, maskZero: true)
  lstm(5, returnSequences: true)
  lstm(3)
}`;
    expect(check(source).diagnostics).toEqual([]);
    const model = built(source, 4);
    const r = rng(8);
    const rows = [
      [3, 7, 1, 9, 0, 0, 0],
      [0, 0, 0, 5, 2, 11, 4],
      [6, 0, 8, 0, 0, 2, 1],
    ];
    for (const row of rows) for (let t = 0; t < row.length; t++) if (row[t]! > 0) row[t] = 1 + Math.floor(r() * 11);
    const [got] = predict(model, rows as unknown as Seq[], true);
    rows.forEach((row, b) => {
      const [alone] = predict(model, [row.filter((v) => v !== 0)] as unknown as Seq[], true);
      expect(maxDiff(got![b], alone![0]), `sequence ${b}`).toBeLessThan(1e-6);
    });
    model.dispose();
  });

  it('masking zeroes the masked steps and keeps the others (maskValue -1)', () => {
    const model = built(`model M {\n  input x: [4, 2]\n  masking(-1)\n}`);
    const x = [
      [
        [1, 2],
        [-1, -1],
        [-1, 3],
        [0, 0],
      ],
    ];
    expect(
      maxDiff(predict(model, x)[0], [
        [
          [1, 2],
          [0, 0],
          [-1, 3],
          [0, 0],
        ],
      ]),
    ).toBe(0);
    model.dispose();
  });
});

// ---------------------------------------------------------------- the layer in the pipeline and the checker

describe('masking in the pipeline', () => {
  it('both spellings, the printer, the TF.js config and no parameters', () => {
    const lstm = `model Padded {\n  input x: [20, 3]\n  masking(-1)\n  lstm(8)\n  dense(1)\n}\n`;
    const yaml = `model: Padded\ninputs:\n  x: [20, 3]\nlayers:\n  - masking: -1\n  - lstm: 8\n  - dense: 1\n`;
    const a = modelOf(lstm);
    const b = checkSource(yaml, 'm.yaml').models[0]!;
    const strip = (m: IRModel) =>
      JSON.parse(JSON.stringify(m, (k, v) => (['span', 'spans', 'argSpans', 'file'].includes(k) ? undefined : v)));
    expect(strip(b)).toEqual(strip(a));
    expect(a.nodes[0]).toMatchObject({ type: 'masking', args: { maskValue: -1 }, params: { trainable: 0 } });
    expect(printLstm(a)).toContain('masking(-1)');
    expect(strip(modelOf(printLstm(a)))).toEqual(strip(a));
    expect(strip(checkSource(printYaml(a), 'p.yaml').models[0]!)).toEqual(strip(a));
    const spec = toTfModelSpec(a);
    expect(spec.nodes[0]!.spec).toMatchObject({ factory: 'masking', config: { maskValue: -1 } });
    expect(modelOf(`model D {\n  input x: [20, 3]\n  masking()\n  lstm(8)\n}`).nodes[0]!.args.maskValue).toBe(0);
    const tfModel = buildModel(spec);
    expect(tfModel.layers.find((l) => l.getClassName() === 'Masking')?.countParams()).toBe(0);
    tfModel.dispose();
  });

  it('the emitted TypeScript module builds the same masked model (same outputs on a padded batch)', async () => {
    const source = `model Emitted {\n  input x: [S, ${F}]\n  masking(0.5)\n  bidirectional(gru(4, returnSequences: true))\n  lstm(3)\n}`;
    const model = modelOf(source);
    const { modules, diagnostics } = emitModules([
      { model, tfSpec: toTfModelSpec(model), options: { sourcePath: 'x', source, version: '0' } },
    ]);
    expect(diagnostics).toEqual([]);
    expect(modules[0]!.text).toContain('tf.layers.masking(');
    const dir = projectTempDir('masking-emit');
    try {
      const file = path.join(dir, modules[0]!.fileName);
      writeFileSync(file, modules[0]!.text);
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      const fromModule = (mod[moduleNames(model.name).build] as () => tf.LayersModel)();
      const fromRuntime = built(source, 12);
      fromModule.setWeights(fromRuntime.getWeights());
      const data = padded(2);
      const pad = data.xs.map((x, b) => x.map((step, t) => (data.masks[b]![t] ? step : step.map(() => 0.5))));
      const a = predict(fromRuntime, pad);
      expect(maxDiff(predict(fromModule, pad), a)).toBe(0);
      // ...and 0.5-padding is masked: the kept steps alone give the same outputs.
      predictEach(fromRuntime, data.kept).forEach(([o], b) => expect(maxDiff(a[0]![b], o)).toBeLessThan(1e-6));
      fromModule.dispose();
      fromRuntime.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a masking layer on a flat input (it marks time steps)', () => {
    expect(check(`model M {\n  input x: [8]\n  masking()\n  dense(1)\n}`).codes).toContain('LSTM3001');
  });

  const CHECKS: { id: string; body: string; codes: string[] }[] = [
    { id: 'masking -> lstm', body: 'masking()\n  lstm(8)\n  dense(1)', codes: [] },
    { id: 'masking -> dense -> gru', body: 'masking()\n  dense(4)\n  gru(8)', codes: [] },
    {
      id: 'masking -> batchNormalization -> layerNormalization -> lstm',
      body: 'masking()\n  batchNormalization()\n  layerNormalization()\n  lstm(8)',
      codes: [],
    },
    { id: 'masking -> bidirectional', body: 'masking()\n  bidirectional(lstm(8))\n  dense(1)', codes: [] },
    {
      id: 'mask ended by an lstm before flatten',
      body: 'masking()\n  lstm(8)\n  repeatVector(3)\n  flatten()',
      codes: [],
    },
    { id: 'masking -> flatten', body: 'masking()\n  flatten()\n  dense(1)', codes: ['LSTM3020'] },
    { id: 'masking -> conv1d', body: 'masking()\n  conv1d(4, kernelSize: 3)\n  lstm(2)', codes: ['LSTM3020'] },
    {
      id: 'masking -> lstm(returnSequences) -> globalAveragePooling1d',
      body: 'masking()\n  lstm(8, returnSequences: true)\n  globalAveragePooling1d()\n  dense(1)',
      codes: ['LSTM3020'],
    },
    {
      id: 'a masked per-step output',
      body: 'masking()\n  lstm(8, returnSequences: true)\n  timeDistributed(dense(2))\n  train { loss: mse }',
      codes: ['LSTM3021'],
    },
    {
      id: 'a masked per-step output, not trained here',
      body: 'masking()\n  lstm(8, returnSequences: true)\n  timeDistributed(dense(2))',
      codes: [],
    },
    {
      id: 'timeDistributed(lstm) on masked frames',
      body: 'masking()\n  timeDistributed(simpleRNN(2))\n  lstm(2)',
      codes: ['LSTM3023'],
    },
  ];

  it.each(CHECKS.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const shape = c.id.includes('frames') ? '[6, 5, 3]' : '[20, 3]';
    const r = check(`model M {\n  input x: ${shape}\n  ${c.body}\n}`);
    expect(r.codes).toEqual(c.codes);
  });

  it('a mask through add / multiply / average is refused only when a layer reads it', () => {
    for (const merge of ['add', 'multiply', 'average']) {
      const read = check(`model M {
  input x: [20, 3]
  let m = x -> masking()
  let a = m -> lstm(4, returnSequences: true)
  let b = m -> lstm(4, returnSequences: true)
  let y = [a, b] -> ${merge}() -> dropout(0.1) -> bidirectional(lstm(2))
  output y
}`);
      expect(read.codes).toEqual(['LSTM3022']);
      expect(read.diagnostics[0]!.message).toContain(`${merge}_1`);
      expect(read.diagnostics[0]!.line).toBe(6);
    }
    // Unmasked first input, masked second: TF.js drops the mask (Keras would keep it): refused too.
    const mixed = check(`model M {
  input x: [20, 3]
  input y: [20, 4]
  let a = x -> masking() -> lstm(4, returnSequences: true)
  let s = [y, a] -> add() -> lstm(2)
  output s
}`);
    expect(mixed.codes).toEqual(['LSTM3022']);
  });

  it('embedding without maskZero drops a mask; with maskZero it makes a new one', () => {
    expect(check(`model M {\n  input t: [10]\n  embedding(50, 8, maskZero: true)\n  lstm(4)\n}`).codes).toEqual([]);
    expect(
      check(`model M {\n  input t: [10]\n  embedding(50, 8, maskZero: true)\n  conv1d(4, kernelSize: 3)\n  lstm(4)\n}`)
        .codes,
    ).toEqual(['LSTM3020']);
  });
});
