/** Running a trained model: evaluate on a split, predict on raw inputs, generate (temperature sampling). */
import * as tf from '@tensorflow/tfjs';
import type { DataInfo, Split } from './data/types.js';
import { DataError } from './data/types.js';
import { unscale } from './data/csv.js';
import { textAsTrained } from './predictions.js';
import { Rng } from './rng.js';

export function toTensor(a: { values: Float32Array; shape: number[] }): tf.Tensor {
  return tf.tensor(a.values, a.shape, 'float32');
}

// ------------------------------------------------------------------ declared batch sizes, stateful layers

/** The model's fixed batch size (`input x: [1, 1] batch 25` builds it with `batchShape`), or undefined. */
export function fixedBatchOf(model: tf.LayersModel): number | undefined {
  const b = model.inputs[0]?.shape[0];
  return typeof b === 'number' && b > 0 ? b : undefined;
}

/** True when a layer of the model (a wrapped one too) is stateful: tfjs's `Container.stateful`. */
export function isStateful(model: tf.LayersModel): boolean {
  return (model as unknown as { stateful?: boolean }).stateful === true;
}

/**
 * When a stateful model's states start afresh: `call` (once, at the start of the call; its batches carry
 * the states on, as Keras's `predict` does after `reset_states()`), `batch` (before every batch: the
 * batches are independent), or `never` (the states left by the previous call go on: programmatic use).
 */
export type ResetStates = 'call' | 'batch' | 'never';
export const RESET_STATES: readonly ResetStates[] = ['call', 'batch', 'never'];

/**
 * The stream layout of `n = m·B` samples for a stateful model with batch B: row i of batch k is sample
 * i·m + k, so each row of the batch reads one contiguous stretch of the data (samples in order), and
 * the state a row ends a batch with belongs to the sample that row reads next.
 */
export function streamOrder(n: number, batch: number): Int32Array {
  const m = Math.floor(n / batch);
  const out = new Int32Array(m * batch);
  for (let k = 0; k < m; k++) for (let i = 0; i < batch; i++) out[k * batch + i] = i * m + k;
  return out;
}

/**
 * `model.predict` for a model with a fixed batch size: the samples go in batches of exactly that size
 * (the last one padded with zeros, whose outputs are dropped), in order, states reset as `reset` says.
 * A model without a fixed batch is predicted as usual (`reset` applies to stateful layers all the same).
 */
export function predictInBatches(model: tf.LayersModel, x: tf.Tensor, reset: ResetStates = 'call'): tf.Tensor {
  const batch = fixedBatchOf(model);
  const stateful = isStateful(model);
  if (batch === undefined) {
    if (stateful && reset !== 'never') model.resetStates();
    return model.predict(x) as tf.Tensor;
  }
  const n = x.shape[0]!;
  const parts: tf.Tensor[] = [];
  for (let start = 0; start < n; start += batch) {
    if (stateful && (reset === 'batch' || (reset === 'call' && start === 0))) model.resetStates();
    const part = tf.tidy(() => {
      const size = Math.min(batch, n - start);
      let xb = x.slice(start, size);
      if (size < batch) {
        const pad: [number, number][] = x.shape.map((_, i) => (i === 0 ? [0, batch - size] : [0, 0]));
        xb = tf.pad(xb, pad);
      }
      const y = model.predict(xb) as tf.Tensor;
      return size < batch ? y.slice(0, size) : y;
    });
    parts.push(part);
  }
  if (parts.length === 1) return parts[0]!;
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}

/** The first `n` samples of a split (for a stateful model: whole batches only). */
function headOf(split: Split, n: number): Split {
  const cut = (a: { values: Float32Array; shape: number[] }) => {
    const per = a.shape.slice(1).reduce((p, d) => p * d, 1);
    return { values: a.values.subarray(0, n * per), shape: [n, ...a.shape.slice(1)] };
  };
  return { ...split, x: cut(split.x), y: cut(split.y) };
}

/**
 * Loss and compiled metrics of `model` on `split`, plus:
 * - csv data with min-max scaling: `mae` / `rmse` in the original units (`maeOriginal`, `rmseOriginal`);
 * - one-hot sequence targets (rank ≥ 2, e.g. addition [2, 12]): `sequenceAccuracy` (every step right);
 * - regression targets: `mae` when no metric computed it.
 */
export function evaluateSplit(
  model: tf.LayersModel,
  split: Split,
  info?: DataInfo,
  batchSize = 256,
): Record<string, number> {
  const out: Record<string, number> = {};
  const fixed = fixedBatchOf(model);
  // A fixed batch (declared): whole batches only, in order, states reset once at the start.
  if (fixed !== undefined) {
    const whole = split.x.shape[0]! - (split.x.shape[0]! % fixed);
    if (whole === 0) return out;
    if (whole < split.x.shape[0]!) split = headOf(split, whole);
  }
  const x = toTensor(split.x);
  const y = toTensor(split.y);
  try {
    if (model.optimizer != null || (model as unknown as { isCompiled?: boolean }).isCompiled) {
      const names = model.metricsNames;
      if (fixed === undefined) {
        const r = model.evaluate(x, y, { batchSize });
        const rs = Array.isArray(r) ? r : [r];
        rs.forEach((t, i) => (out[names[i] ?? `metric${i}`] = t.dataSync()[0]!));
        tf.dispose(rs);
      } else {
        // tfjs's evaluate wants exactly the declared batch: one call per batch, the mean of equal-sized batches.
        if (isStateful(model)) model.resetStates();
        const n = x.shape[0]!;
        const sums: number[] = [];
        for (let start = 0; start < n; start += fixed) {
          const [xb, yb] = [x.slice(start, fixed), y.slice(start, fixed)];
          const r = model.evaluate(xb, yb, { batchSize: fixed });
          const rs = Array.isArray(r) ? r : [r];
          rs.forEach((t, i) => (sums[i] = (sums[i] ?? 0) + t.dataSync()[0]!));
          tf.dispose([...rs, xb, yb]);
        }
        sums.forEach((v, i) => (out[names[i] ?? `metric${i}`] = v / (n / fixed)));
      }
    }
    const pred = fixed === undefined ? (model.predict(x, { batchSize }) as tf.Tensor) : predictInBatches(model, x);
    const p = pred.dataSync() as Float32Array;
    pred.dispose();
    const yv = split.y.values;
    const tshape = split.y.shape.slice(1);
    const last = tshape[tshape.length - 1]!;
    const isOneHot = last > 1 && isOneHotData(yv, last);
    if (isOneHot && tshape.length >= 2) {
      const n = split.y.shape[0]!;
      const per = yv.length / n;
      let ok = 0;
      for (let i = 0; i < n; i++) {
        let all = true;
        for (let s = i * per; s < (i + 1) * per && all; s += last) {
          if (argmax(p, s, last) !== argmax(yv, s, last)) all = false;
        }
        if (all) ok++;
      }
      out.sequenceAccuracy = ok / n;
    }
    if (!isOneHot && !isBinary(yv)) {
      let ae = 0;
      let se = 0;
      let aeO = 0;
      let seO = 0;
      for (let i = 0; i < yv.length; i++) {
        const d = p[i]! - yv[i]!;
        ae += Math.abs(d);
        se += d * d;
        if (info?.scale) {
          const dO = unscale(p[i]!, info.scale) - unscale(yv[i]!, info.scale);
          aeO += Math.abs(dO);
          seO += dO * dO;
        }
      }
      if (out.mae === undefined) out.mae = ae / yv.length;
      if (info?.scale) {
        out.maeOriginal = aeO / yv.length;
        out.rmseOriginal = Math.sqrt(seO / yv.length);
      } else if (out.rmse === undefined) out.rmse = Math.sqrt(se / yv.length);
    }
  } finally {
    tf.dispose([x, y]);
  }
  return out;
}

function argmax(a: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[off + i]! > a[off + best]!) best = i;
  return best;
}

function isOneHotData(v: Float32Array, last: number): boolean {
  for (let s = 0; s < Math.min(v.length, last * 50); s += last) {
    let sum = 0;
    for (let i = 0; i < last; i++) {
      const x = v[s + i]!;
      if (x !== 0 && x !== 1) return false;
      sum += x;
    }
    if (sum !== 1) return false;
  }
  return true;
}

function isBinary(v: Float32Array): boolean {
  for (let i = 0; i < Math.min(v.length, 1000); i++) if (v[i] !== 0 && v[i] !== 1) return false;
  return true;
}

type Nested = number | Nested[];

function flatten(v: Nested, out: number[]): void {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
}

function nest(flat: ArrayLike<number>, shape: number[], off = 0): Nested {
  if (shape.length === 0) return flat[off]!;
  const [d, ...rest] = shape;
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: d! }, (_, i) => nest(flat, rest, off + i * size));
}

/**
 * Predictions for raw samples. `inputs` is one sample or a list of samples (nested arrays matching the
 * model input shape, batch excluded), in ORIGINAL units; for models trained on a scaled CSV series,
 * inputs are scaled and outputs unscaled. For text models, a sample may be a string (one-hot encoded
 * over the alphabet, left-padded with spaces / cut to the window).
 */
export function predictSamples(
  model: tf.LayersModel,
  info: DataInfo | undefined,
  inputs: unknown,
  reset: ResetStates = 'call',
): Nested[] {
  const inShape = (model.inputs[0]!.shape.slice(1) as (number | null)[]).map((d, i) => d ?? info?.inputShape[i] ?? -1);
  const size = inShape.reduce((a, b) => a * b, 1);
  let samples: unknown[] = Array.isArray(inputs) ? inputs : [inputs];
  const flatOf = (s: unknown): number[] => {
    if (typeof s === 'string') {
      if (!info?.alphabet) throw new DataError('string inputs need a model trained on text');
      const syms = [...info.alphabet];
      // The one-hot width may exceed the alphabet (a model sized for a larger vocabulary).
      const V = Math.max(inShape[1] ?? 0, syms.length);
      const W = inShape[0]!;
      const chars = [...textAsTrained(s, info)].slice(-W);
      while (chars.length < W) chars.unshift(syms.includes(' ') ? ' ' : syms[0]!);
      const f = new Array<number>(W * V).fill(0);
      chars.forEach((c, t) => {
        const k = syms.indexOf(c);
        if (k >= 0) f[t * V + k] = 1;
      });
      return f;
    }
    const f: number[] = [];
    flatten(s as Nested, f);
    return f;
  };
  // A single sample given as a nested array of the input's shape (not a list of samples)?
  if (Array.isArray(inputs) && typeof inputs[0] !== 'string') {
    const f: number[] = [];
    flatten(inputs as Nested, f);
    if (f.length === size && !(Array.isArray(inputs[0]) && flatOf(inputs[0]).length === size)) samples = [inputs];
  }
  const flat: number[] = [];
  samples.forEach((s, i) => {
    const f = flatOf(s);
    if (f.length !== size)
      throw new DataError(
        `sample ${i + 1} has ${f.length} value(s), but the model input [${inShape.join(', ')}] needs ${size}`,
      );
    if (f.some((v) => !Number.isFinite(v))) throw new DataError(`sample ${i + 1} has a non-numeric value`);
    for (const v of f) flat.push(info?.scale ? (v - info.scale.min) / (info.scale.max - info.scale.min || 1) : v);
  });
  const x = tf.tensor(flat, [samples.length, ...inShape]);
  const y = predictInBatches(model, x, reset);
  const shape = y.shape.slice(1);
  const vals = Array.from(y.dataSync(), (v) => (info?.scale ? unscale(v, info.scale) : v));
  tf.dispose([x, y]);
  const per = shape.reduce((a, b) => a * b, 1);
  return samples.map((_, i) => nest(vals.slice(i * per, (i + 1) * per), shape));
}

/** Samples an index from probabilities with a temperature (T → 0: argmax; T = 1: as predicted). */
export function sampleWithTemperature(probs: ArrayLike<number>, temperature: number, rng: Rng): number {
  const n = probs.length;
  if (temperature <= 1e-6) return argmax(probs, 0, n);
  const logits = Array.from({ length: n }, (_, i) => Math.log(Math.max(probs[i]!, 1e-12)) / temperature);
  const m = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - m));
  const s = e.reduce((a, b) => a + b, 0);
  let r = rng.next() * s;
  for (let i = 0; i < n; i++) {
    r -= e[i]!;
    if (r <= 0) return i;
  }
  return n - 1;
}

export interface GenerateOptions {
  /** Text to start from (text models) or "x,y" (rectangle). Default: a space-padded window / a random corner. */
  seed?: string;
  /** Characters (text) or corners (rectangle) to generate. */
  length?: number;
  temperature?: number;
  /** Seed of the sampling RNG. */
  rngSeed?: number;
}

/** Generates from a generative model: characters for text models, corners for the rectangle problem. */
export function generate(model: tf.LayersModel, info: DataInfo | undefined, opts: GenerateOptions = {}): string {
  const rng = new Rng(opts.rngSeed ?? 42);
  const T = opts.temperature ?? 1;
  // A stateful model starts from fresh states for this seed; each step below carries them on.
  const stateful = isStateful(model);
  if (stateful) model.resetStates();
  const run = (make: () => tf.Tensor): Float32Array =>
    tf.tidy(() => predictInBatches(model, make(), 'never').dataSync() as Float32Array);
  if (info?.source === 'synthetic' && info.value === 'rectangle') {
    let pt: [number, number] = opts.seed
      ? (opts.seed.split(',').map(Number) as [number, number])
      : [rng.next() * 0.5, rng.next() * 0.5];
    const pts: [number, number][] = [pt];
    for (let i = 0; i < (opts.length ?? 3); i++) {
      const out = run(() => tf.tensor3d([[pt]]));
      pt = [out[0]!, out[1]!];
      pts.push(pt);
    }
    return pts.map((p) => `${p[0].toFixed(3)},${p[1].toFixed(3)}`).join('\n');
  }
  if (!info?.alphabet || info.source === 'csv' || (info.source === 'synthetic' && info.value !== 'chars')) {
    throw new DataError(
      'generate needs a generative model (trained on a text corpus, `synthetic: chars` or `synthetic: rectangle`)',
    );
  }
  const syms = [...info.alphabet];
  // The one-hot width may exceed the alphabet (a model sized for a larger vocabulary): positions past
  // the alphabet never occurred in training and are never sampled.
  const V = Math.max(info.inputShape[1] ?? 0, syms.length);
  const W = info.inputShape[0]!;
  const pad = syms.includes(' ') ? ' ' : syms[0]!;
  const start = [...textAsTrained(opts.seed ?? '', info)].filter((c) => syms.includes(c));
  const ctx = start.slice(-W);
  while (ctx.length < W) ctx.unshift(pad);
  let out = '';
  const timeDim = model.inputs[0]!.shape[1];
  if (stateful && (timeDim === 1 || timeDim === null)) {
    // The classic Keras char-rnn: one character per step, the states carrying the context. The seed
    // primes the states (a padding character when there is none); each sampled character is fed back.
    const step = new Float32Array(V);
    const primer = start.length > 0 ? start : [pad];
    let probs: Float32Array = new Float32Array(0);
    const feed = (c: string): void => {
      step.fill(0);
      step[syms.indexOf(c)] = 1;
      probs = run(() => tf.tensor3d(step, [1, 1, V]));
    };
    for (const c of primer) feed(c);
    for (let i = 0; i < (opts.length ?? 200); i++) {
      const c = syms[sampleWithTemperature(probs.subarray(0, syms.length), T, rng)]!;
      out += c;
      feed(c);
    }
    return (opts.seed ?? '') + out;
  }
  const x = new Float32Array(W * V);
  for (let i = 0; i < (opts.length ?? 200); i++) {
    // A stateful model that reads windows of several steps: each window starts from fresh states.
    if (stateful) model.resetStates();
    x.fill(0);
    ctx.forEach((c, t) => (x[t * V + syms.indexOf(c)] = 1));
    const probs = run(() => tf.tensor3d(x, [1, W, V]));
    const c = syms[sampleWithTemperature(probs.subarray(0, syms.length), T, rng)]!;
    out += c;
    ctx.shift();
    ctx.push(c);
  }
  return (opts.seed ?? '') + out;
}
