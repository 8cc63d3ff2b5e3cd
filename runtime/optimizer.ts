/**
 * The optimizer of a `train { }` block, with gradient clipping.
 *
 * clipNorm: GLOBAL norm clipping — when ‖g‖ over all gradients exceeds clipNorm, every gradient is scaled
 * by clipNorm / ‖g‖ (tf.clip_by_global_norm; Keras `global_clipnorm`). clipValue: element-wise clipping
 * to [−clipValue, clipValue]. Both are applied (norm first) by wrapping the optimizer's `applyGradients`,
 * which `model.fit` → `optimizer.minimize` calls once per batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { IROptimizer, IRTrain } from '../compiler/ir.js';

type NamedGrads = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];

/** Keras / tfjs-layers defaults. */
export function makeOptimizer(o: IROptimizer): tf.Optimizer {
  const a = o.args ?? {};
  const lr = (d: number) => a.learningRate ?? a.lr ?? d;
  switch (o.name.toLowerCase()) {
    case 'sgd':
      return a.momentum ? tf.train.momentum(lr(0.01), a.momentum, Boolean(a.nesterov ?? a.useNesterov)) : tf.train.sgd(lr(0.01));
    case 'momentum':
      return tf.train.momentum(lr(0.01), a.momentum ?? 0.9, Boolean(a.useNesterov ?? a.nesterov));
    case 'adam':
      return tf.train.adam(lr(0.001), a.beta1 ?? a.beta_1 ?? 0.9, a.beta2 ?? a.beta_2 ?? 0.999, a.epsilon ?? 1e-7);
    case 'adamax':
      return tf.train.adamax(lr(0.002), a.beta1 ?? 0.9, a.beta2 ?? 0.999, a.epsilon ?? 1e-7, a.decay ?? 0);
    case 'rmsprop':
      return tf.train.rmsprop(lr(0.001), a.decay ?? a.rho ?? 0.9, a.momentum ?? 0, a.epsilon ?? 1e-7, Boolean(a.centered ?? 0));
    case 'adagrad':
      return tf.train.adagrad(lr(0.01), a.initialAccumulatorValue ?? 0.1);
    case 'adadelta':
      return tf.train.adadelta(lr(1), a.rho ?? 0.95, a.epsilon ?? 1e-7);
    default:
      throw new Error(`Unknown optimizer "${o.name}".`);
  }
}

export interface ClipStats {
  /** Global gradient norm of the last batch, before clipping (only tracked when clipping). */
  lastNorm: number | null;
  /** Batches whose gradients were scaled by clipNorm. */
  clippedBatches: number;
}

/** Wraps `applyGradients` so gradients are clipped first. Returns live statistics. */
export function applyClipping(opt: tf.Optimizer, clip: { clipNorm?: number; clipValue?: number }, track = false): ClipStats {
  const stats: ClipStats = { lastNorm: null, clippedBatches: 0 };
  const { clipNorm, clipValue } = clip;
  if (clipNorm === undefined && clipValue === undefined) return stats;
  const original = opt.applyGradients.bind(opt);
  opt.applyGradients = (grads: NamedGrads) => {
    const list = Array.isArray(grads) ? grads : Object.entries(grads).map(([name, tensor]) => ({ name, tensor }));
    const clipped = tf.tidy(() => {
      let ts = list.map((g) => g.tensor);
      if (clipNorm !== undefined) {
        const norm = tf.sqrt(tf.addN(ts.map((t) => tf.sum(tf.square(t)))));
        const n = track ? norm.dataSync()[0]! : NaN;
        if (track) {
          stats.lastNorm = n;
          if (n > clipNorm) stats.clippedBatches++;
        }
        const factor = tf.div(clipNorm, tf.maximum(norm, clipNorm));
        ts = ts.map((t) => tf.mul(t, factor));
      }
      if (clipValue !== undefined) ts = ts.map((t) => tf.clipByValue(t, -clipValue, clipValue));
      return ts;
    });
    const out: tf.NamedTensorMap = {};
    list.forEach((g, i) => (out[g.name] = clipped[i]!));
    try {
      original(out);
    } finally {
      tf.dispose(clipped);
    }
  };
  return stats;
}

/** Optimizer for a train block, clipped as the block says. */
export function optimizerFor(train: IRTrain): { optimizer: tf.Optimizer; clip: ClipStats } {
  const optimizer = makeOptimizer(train.optimizer);
  const clip = applyClipping(optimizer, {
    ...(train.clipNorm !== undefined ? { clipNorm: train.clipNorm } : {}),
    ...(train.clipValue !== undefined ? { clipValue: train.clipValue } : {}),
  });
  return { optimizer, clip };
}

const LOSS_ALIASES: Record<string, string> = {
  mse: 'meanSquaredError',
  mae: 'meanAbsoluteError',
  mape: 'meanAbsolutePercentageError',
  msle: 'meanSquaredLogarithmicError',
  kld: 'kullbackLeiblerDivergence',
  kldivergence: 'kullbackLeiblerDivergence',
  crossentropy: 'categoricalCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  mean_squared_error: 'meanSquaredError',
  mean_absolute_error: 'meanAbsoluteError',
  cosine: 'cosineProximity',
  huber: 'huberLoss',
  logcosh: 'logcosh',
};

/** The tfjs-layers loss name for a spec's loss name. */
export function lossName(name: string): string {
  return LOSS_ALIASES[name] ?? LOSS_ALIASES[name.toLowerCase()] ?? name;
}

/** The tfjs-layers metric name for a spec's metric name. */
export function metricName(name: string): string {
  const m: Record<string, string> = { acc: 'accuracy', mean_absolute_error: 'mae', mean_squared_error: 'mse', meanAbsoluteError: 'mae', meanSquaredError: 'mse' };
  return m[name] ?? name;
}
