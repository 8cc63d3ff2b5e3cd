/**
 * lstmc's TF.js classes for Keras's `Attention` (Luong dot-product) and `AdditiveAttention` (Bahdanau), after
 * keras/src/layers/attention/attention.py and additive_attention.py:
 *
 *   scores  = query · keyᵀ (× scale)                               (Attention, scoreMode dot)
 *           = w · Σ_f tanh(scale · (query + key))                  (Attention, scoreMode concat; w, scale scalars)
 *           = Σ_f scale_f · tanh(query + key)                      (AdditiveAttention; scale a vector)
 *   scores -= 1e9 where the value/key step is masked or, with useCausalMask, lies after the query step
 *   weights = softmax(scores over the value axis), dropped out while training
 *   output  = weights · value, zeroed at masked query steps; its mask is the query's.
 *
 * Inputs are `[query, value]` or `[query, value, key]` (the key defaults to the value). Masks arrive as
 * `kwargs.mask`: a list `[queryMask, valueMask, keyMask?]`, or one tensor (what TF.js 4.22's model executor
 * passes a multi-input layer: the first input's mask only, i.e. the query's; a value that is the query tensor
 * itself, as in self-attention, gets it too).
 */
import * as tf from '@tensorflow/tfjs';
import { registerLstmcClass } from './registry.js';

type Kwargs = Record<string, unknown>;

export interface AttentionMasks {
  query: tf.Tensor | null;
  value: tf.Tensor | null;
  key: tf.Tensor | null;
}

/**
 * The query / value / key masks of a call (see the file comment). Given one mask (the query's, from TF.js's
 * executor), a value or key that is the query tensor itself (self-attention, `[x, x]`) has that mask too.
 */
export function attentionMasks(kwargs: Kwargs | undefined, inputs?: tf.Tensor | tf.Tensor[]): AttentionMasks {
  const m = kwargs?.mask as tf.Tensor | (tf.Tensor | null | undefined)[] | null | undefined;
  if (m == null) return { query: null, value: null, key: null };
  if (Array.isArray(m)) return { query: m[0] ?? null, value: m[1] ?? null, key: m[2] ?? null };
  const xs = Array.isArray(inputs) ? inputs : [];
  const same = (i: number) => (xs[i] !== undefined && xs[i] === xs[0] ? m : null);
  return { query: m, value: same(1), key: same(2) };
}

/** [query, value, key] from a layer's inputs (two or three tensors). */
export function qvk(inputs: tf.Tensor | tf.Tensor[], who: string): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
  const xs = Array.isArray(inputs) ? inputs : [inputs];
  if (xs.length < 2 || xs.length > 3) {
    throw new Error(`${who} takes [query, value] or [query, value, key]; got ${xs.length} input(s).`);
  }
  const q = xs[0] as tf.Tensor3D;
  const v = xs[1] as tf.Tensor3D;
  return [q, v, (xs[2] ?? v) as tf.Tensor3D];
}

/**
 * The boolean [1 or batch, Tq, Tv] mask of allowed (query, value) pairs, or null: the value and key masks
 * (broadcast over query steps), AND the causal mask (value step ≤ query step), AND, when `withQuery`, the query
 * mask (broadcast over value steps; MultiHeadAttention's rule, Keras `_compute_attention_mask`).
 */
export function scoreMask(
  masks: AttentionMasks,
  tq: number,
  tv: number,
  causal: boolean,
  withQuery: boolean,
): tf.Tensor | null {
  let mask: tf.Tensor | null = null;
  const and = (m: tf.Tensor) => {
    mask = mask === null ? m : tf.logicalAnd(mask, m);
  };
  if (withQuery && masks.query) and(tf.expandDims(tf.cast(masks.query, 'bool'), 2));
  if (masks.value) and(tf.expandDims(tf.cast(masks.value, 'bool'), 1));
  if (masks.key) and(tf.expandDims(tf.cast(masks.key, 'bool'), 1));
  if (causal) {
    const rows = tf.range(0, tq, 1, 'int32').reshape([tq, 1]);
    const cols = tf.range(0, tv, 1, 'int32').reshape([1, tv]);
    and(tf.greaterEqual(rows, cols).expandDims(0));
  }
  return mask;
}

/** scores - 1e9 where `mask` is false (Keras: `scores -= 1e9 * cast(logical_not(mask))`). */
export function maskScores(scores: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
  if (mask === null) return scores;
  return tf.sub(scores, tf.mul(tf.sub(1, tf.cast(mask, 'float32')), 1e9));
}

/** Dropout of the attention weights while training (Keras drops the weights, rescaling by 1 / (1 - rate)). */
export function dropWeights(weights: tf.Tensor, rate: number, kwargs: Kwargs | undefined): tf.Tensor {
  return kwargs?.training === true && rate > 0 ? tf.dropout(weights, rate) : weights;
}

/** A TF.js initializer by its identifier (`glorotUniform`, `zeros`, ...), as tf.layers configs name them. */
type Initializer = ReturnType<typeof tf.initializers.zeros>;
export function initializerOf(name: string): Initializer {
  const make = (tf.initializers as unknown as Record<string, ((c?: object) => Initializer) | undefined>)[name];
  if (typeof make !== 'function') throw new Error(`Unknown initializer "${name}".`);
  return make({});
}

/** Shapes of one or several inputs, as tfjs passes them to computeOutputShape / build. */
export function inputShapes(inputShape: tf.Shape | tf.Shape[]): tf.Shape[] {
  return Array.isArray(inputShape[0]) ? (inputShape as tf.Shape[]) : [inputShape as tf.Shape];
}

// ---------------------------------------------------------------------------------------------
// Attention / AdditiveAttention
// ---------------------------------------------------------------------------------------------

interface BaseAttentionArgs {
  name?: string;
  trainable?: boolean;
  /** Fraction of the attention weights dropped during training. */
  dropout?: number;
  /** Query step i attends to value steps 0..i only. */
  useCausalMask?: boolean;
  /** Also return the attention weights [batch, Tq, Tv] as a second output. */
  returnAttentionScores?: boolean;
}

export interface AttentionArgs extends BaseAttentionArgs {
  /** Learn a scalar `scale` for the scores. Default false. */
  useScale?: boolean;
  /** `dot` (default) or `concat`. */
  scoreMode?: 'dot' | 'concat';
}

export interface AdditiveAttentionArgs extends BaseAttentionArgs {
  /** Learn a `scale` vector (one weight per feature). Default true. */
  useScale?: boolean;
}

abstract class BaseDenseAttention extends tf.layers.Layer {
  readonly dropout: number;
  readonly useCausalMask: boolean;
  readonly returnAttentionScores: boolean;

  constructor(args: BaseAttentionArgs) {
    super(args);
    this.dropout = args.dropout ?? 0;
    this.useCausalMask = args.useCausalMask ?? false;
    this.returnAttentionScores = args.returnAttentionScores ?? false;
    this.supportsMasking = true;
  }

  /** Raw scores [batch, Tq, Tv]. */
  protected abstract scores(query: tf.Tensor3D, key: tf.Tensor3D): tf.Tensor;

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const [q, v] = inputShapes(inputShape) as [tf.Shape, tf.Shape];
    const out: tf.Shape = [...q.slice(0, -1), v[v.length - 1]!];
    return this.returnAttentionScores ? [out, [q[0]!, q[1]!, v[1]!]] : out;
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    // A copy: TF.js disposes an output's mask with the output (Tensor.kerasMask), and the query's mask lives on.
    const m = attentionMasks({ mask }).query;
    const q = m === null ? null : tf.clone(m);
    return (this.returnAttentionScores ? [q, null] : q) as tf.Tensor | tf.Tensor[];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const [q, v, k] = qvk(inputs, this.getClassName());
      // Keras's Attention reads the query and value masks only (a key mask is not used).
      const masks = { ...attentionMasks(kwargs, inputs), key: null };
      const scores = this.scores(q, k);
      const mask = scoreMask(masks, q.shape[1], v.shape[1], this.useCausalMask, false);
      const weights = dropWeights(tf.softmax(maskScores(scores, mask), -1), this.dropout, kwargs);
      let out: tf.Tensor = tf.matMul(weights as tf.Tensor3D, v);
      if (masks.query) out = tf.mul(out, tf.expandDims(tf.cast(masks.query, 'float32'), -1));
      return this.returnAttentionScores ? [out, weights] : out;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      dropout: this.dropout,
      useCausalMask: this.useCausalMask,
      returnAttentionScores: this.returnAttentionScores,
    };
  }
}

/** Keras `Attention`: Luong-style dot-product attention (or `scoreMode: 'concat'`). */
export class Attention extends BaseDenseAttention {
  static className = 'Attention';
  readonly useScale: boolean;
  readonly scoreMode: 'dot' | 'concat';
  private scale: tf.LayerVariable | null = null;
  private concatScoreWeight: tf.LayerVariable | null = null;

  constructor(args: AttentionArgs = {}) {
    super(args);
    this.useScale = args.useScale ?? false;
    this.scoreMode = args.scoreMode ?? 'dot';
    if (this.scoreMode !== 'dot' && this.scoreMode !== 'concat') {
      throw new Error(`Attention scoreMode must be "dot" or "concat"; got "${String(this.scoreMode)}".`);
    }
  }

  override build(_inputShape: tf.Shape | tf.Shape[]): void {
    if (this.useScale) this.scale = this.addWeight('scale', [], 'float32', tf.initializers.ones());
    if (this.scoreMode === 'concat') {
      this.concatScoreWeight = this.addWeight('concat_score_weight', [], 'float32', tf.initializers.ones());
    }
    this.built = true;
  }

  protected scores(query: tf.Tensor3D, key: tf.Tensor3D): tf.Tensor {
    if (this.scoreMode === 'dot') {
      const s = tf.matMul(query, key, false, true);
      return this.scale ? tf.mul(s, this.scale.read()) : s;
    }
    // [B, Tq, 1, d] + [B, 1, Tv, d]
    let sum: tf.Tensor = tf.add(tf.expandDims(query, 2), tf.expandDims(key, 1));
    if (this.scale) sum = tf.mul(sum, this.scale.read());
    return tf.mul(tf.sum(tf.tanh(sum), -1), this.concatScoreWeight!.read());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), useScale: this.useScale, scoreMode: this.scoreMode };
  }
}

/** Keras `AdditiveAttention`: Bahdanau-style additive attention. */
export class AdditiveAttention extends BaseDenseAttention {
  static className = 'AdditiveAttention';
  readonly useScale: boolean;
  private scale: tf.LayerVariable | null = null;

  constructor(args: AdditiveAttentionArgs = {}) {
    super(args);
    this.useScale = args.useScale ?? true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const v = inputShapes(inputShape)[1] ?? [];
    const dim = v[v.length - 1];
    if (this.useScale) {
      if (typeof dim !== 'number') throw new Error('AdditiveAttention needs a known number of value features.');
      this.scale = this.addWeight('scale', [dim], 'float32', tf.initializers.glorotUniform({}));
    }
    this.built = true;
  }

  protected scores(query: tf.Tensor3D, key: tf.Tensor3D): tf.Tensor {
    const t = tf.tanh(tf.add(tf.expandDims(query, 2), tf.expandDims(key, 1)));
    return tf.sum(this.scale ? tf.mul(t, this.scale.read()) : t, -1);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), useScale: this.useScale };
  }
}

registerLstmcClass(Attention);
registerLstmcClass(AdditiveAttention);

/** `Attention` (Keras `Attention`, Luong): `[query, value]` or `[query, value, key]`. */
export function attention(config: AttentionArgs = {}): Attention {
  return new Attention(config);
}

/** `AdditiveAttention` (Keras `AdditiveAttention`, Bahdanau): `[query, value]` or `[query, value, key]`. */
export function additiveAttention(config: AdditiveAttentionArgs = {}): AdditiveAttention {
  return new AdditiveAttention(config);
}
