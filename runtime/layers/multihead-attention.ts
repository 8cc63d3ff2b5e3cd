/**
 * lstmc's TF.js class for Keras's `MultiHeadAttention` (keras/src/layers/attention/multi_head_attention.py), with
 * attention over the time axis (Keras's default `attention_axes`):
 *
 *   q = query · Wq + bq    [B, Tq, H, keyDim]     (Keras EinsumDense "abc,cde->abde", kernel [dq, H, keyDim])
 *   k = key · Wk + bk      [B, Tv, H, keyDim]
 *   v = value · Wv + bv    [B, Tv, H, valueDim]
 *   scores  = (q / sqrt(keyDim)) · kᵀ per head         [B, H, Tq, Tv]
 *   scores += -1e9 where the attention mask is false    (query ∧ value ∧ key masks ∧ causal; Keras Softmax(mask))
 *   weights = softmax(scores over Tv), dropped out while training (the second output is before dropout)
 *   output  = (weights · v) · Wo + bo  [B, Tq, outputShape]   (EinsumDense "abcd,cde->abe", kernel [H, valueDim, out])
 *
 * Weights in Keras's names and order: query/kernel, query/bias, key/kernel, key/bias, value/kernel, value/bias,
 * attention_output/kernel, attention_output/bias (no biases with useBias false). The output's mask is the query's.
 * The einsums are reshapes and matMuls here, so every op has a TF.js gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { registerLstmcClass } from './registry.js';
import { attentionMasks, dropWeights, initializerOf, inputShapes, maskScores, qvk, scoreMask } from './attention.js';

type Kwargs = Record<string, unknown>;

export interface MultiHeadAttentionArgs {
  name?: string;
  trainable?: boolean;
  numHeads: number;
  keyDim: number;
  /** Default: keyDim. */
  valueDim?: number;
  dropout?: number;
  useBias?: boolean;
  /** Output features; default: the query's. */
  outputShape?: number;
  kernelInitializer?: string;
  biasInitializer?: string;
  useCausalMask?: boolean;
  /** Also return the attention weights [batch, numHeads, Tq, Tv] as a second output. */
  returnAttentionScores?: boolean;
}

interface Projection {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
}

export class MultiHeadAttention extends tf.layers.Layer {
  static className = 'MultiHeadAttention';
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  readonly useBias: boolean;
  /** The `outputShape` argument (tfjs's Layer has an `outputShape` of its own). */
  readonly outputFeatures: number | undefined;
  readonly kernelInitializer: string;
  readonly biasInitializer: string;
  readonly useCausalMask: boolean;
  readonly returnAttentionScores: boolean;
  private proj: { query: Projection; key: Projection; value: Projection; output: Projection } | null = null;

  constructor(args: MultiHeadAttentionArgs) {
    super(args);
    const positive = (n: unknown, what: string) => {
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
        throw new Error(`MultiHeadAttention ${what} must be a positive integer; got ${String(n)}.`);
      }
      return n;
    };
    this.numHeads = positive(args.numHeads, 'numHeads');
    this.keyDim = positive(args.keyDim, 'keyDim');
    this.valueDim = args.valueDim == null ? this.keyDim : positive(args.valueDim, 'valueDim');
    this.outputFeatures = args.outputShape == null ? undefined : positive(args.outputShape, 'outputShape');
    this.dropout = args.dropout ?? 0;
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer ?? 'glorotUniform';
    this.biasInitializer = args.biasInitializer ?? 'zeros';
    this.useCausalMask = args.useCausalMask ?? false;
    this.returnAttentionScores = args.returnAttentionScores ?? false;
    this.supportsMasking = true;
  }

  private outDim(queryShape: tf.Shape): number {
    return this.outputFeatures ?? (queryShape[queryShape.length - 1] as number);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shapes = inputShapes(inputShape);
    const [q, v] = shapes as [tf.Shape, tf.Shape];
    const k = shapes[2] ?? v;
    const features = (s: tf.Shape, what: string): number => {
      const d = s[s.length - 1];
      if (typeof d !== 'number') throw new Error(`MultiHeadAttention needs a known number of ${what} features.`);
      return d;
    };
    const kernelInit = initializerOf(this.kernelInitializer);
    const biasInit = initializerOf(this.biasInitializer);
    const projection = (name: string, kernelShape: number[], biasShape: number[]): Projection => ({
      kernel: this.addWeight(`${name}/kernel`, kernelShape, 'float32', kernelInit),
      bias: this.useBias ? this.addWeight(`${name}/bias`, biasShape, 'float32', biasInit) : null,
    });
    const h = this.numHeads;
    this.proj = {
      query: projection('query', [features(q, 'query'), h, this.keyDim], [h, this.keyDim]),
      key: projection('key', [features(k, 'key'), h, this.keyDim], [h, this.keyDim]),
      value: projection('value', [features(v, 'value'), h, this.valueDim], [h, this.valueDim]),
      output: projection('attention_output', [h, this.valueDim, this.outDim(q)], [this.outDim(q)]),
    };
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shapes = inputShapes(inputShape);
    const [q, v] = shapes as [tf.Shape, tf.Shape];
    const out: tf.Shape = [...q.slice(0, -1), this.outDim(q)];
    return this.returnAttentionScores ? [out, [q[0]!, this.numHeads, q[1]!, v[1]!]] : out;
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    // A copy: TF.js disposes an output's mask with the output (Tensor.kerasMask), and the query's mask lives on.
    const m = attentionMasks({ mask }).query;
    const q = m === null ? null : tf.clone(m);
    return (this.returnAttentionScores ? [q, null] : q) as tf.Tensor | tf.Tensor[];
  }

  /** x [B, T, d] -> [B, H, T, per] through a [d, H, per] kernel and [H, per] bias. */
  private project(x: tf.Tensor3D, p: Projection, per: number): tf.Tensor4D {
    const [b, t, d] = x.shape;
    const h = this.numHeads;
    let y: tf.Tensor = tf.matMul(tf.reshape(x, [b * t, d]), tf.reshape(p.kernel.read(), [d, h * per]));
    if (p.bias) y = tf.add(y, tf.reshape(p.bias.read(), [h * per]));
    return tf.transpose(tf.reshape(y, [b, t, h, per]), [0, 2, 1, 3]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      if (!this.proj) throw new Error('MultiHeadAttention called before it was built.');
      const [query, value, key] = qvk(inputs, 'MultiHeadAttention');
      const h = this.numHeads;
      const [b, tq] = query.shape;
      const tv = value.shape[1];
      const q = this.project(query, this.proj.query, this.keyDim);
      const k = this.project(key, this.proj.key, this.keyDim);
      const v = this.project(value, this.proj.value, this.valueDim);
      let scores: tf.Tensor = tf.matMul(tf.mul(q, 1 / Math.sqrt(this.keyDim)) as tf.Tensor4D, k, false, true);
      const mask = scoreMask(attentionMasks(kwargs, inputs), tq, tv, this.useCausalMask, true);
      if (mask !== null) scores = maskScores(scores, tf.expandDims(mask, 1)); // broadcast over heads
      const weights = tf.softmax(scores, -1);
      const dropped = dropWeights(weights, this.dropout, kwargs) as tf.Tensor4D;
      const ctx = tf.transpose(tf.matMul(dropped, v), [0, 2, 1, 3]); // [B, Tq, H, valueDim]
      const outDim = this.outDim(query.shape);
      const o = this.proj.output;
      let out: tf.Tensor = tf.matMul(
        tf.reshape(ctx, [b * tq, h * this.valueDim]),
        tf.reshape(o.kernel.read(), [h * this.valueDim, outDim]),
      );
      if (o.bias) out = tf.add(out, o.bias.read());
      out = tf.reshape(out, [b, tq, outDim]);
      return this.returnAttentionScores ? [out, weights] : out;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropout,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      useCausalMask: this.useCausalMask,
      returnAttentionScores: this.returnAttentionScores,
    };
    if (this.outputFeatures !== undefined) config.outputShape = this.outputFeatures;
    return config;
  }
}

registerLstmcClass(MultiHeadAttention);

/** `MultiHeadAttention` (Keras `MultiHeadAttention`): `[query, value]` or `[query, value, key]`. */
export function multiHeadAttention(config: MultiHeadAttentionArgs): MultiHeadAttention {
  return new MultiHeadAttention(config);
}
