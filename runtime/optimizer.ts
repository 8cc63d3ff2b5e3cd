/**
 * The optimizer of a `train { }` block, with gradient clipping.
 *
 * Which `tf.train.*` call and which defaults come from the train table (compiler/train.ts
 * `optimizerCall`), the same one the emitter prints, so both paths build the same optimizer.
 *
 * clipNorm: as Keras `clipnorm`, each gradient tensor whose L2 norm exceeds clipNorm is scaled down to
 * norm clipNorm (tensors are clipped independently). clipValue: element-wise clipping to
 * [−clipValue, clipValue]. Both are applied (norm first) by wrapping the optimizer's `applyGradients`,
 * which `model.fit` → `optimizer.minimize` calls once per batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { IROptimizer, IRTrain } from '../compiler/ir.js';
import { LOSSES, METRIC_TABLE, optimizerCall } from '../compiler/train.js';

type NamedGrads = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];

/** The optimizer a checked train block names, every default explicit (see OPTIMIZER_TABLE). */
export function makeOptimizer(o: IROptimizer): tf.Optimizer {
  const { factory, args } = optimizerCall(o);
  const make = (tf.train as unknown as Record<string, (...a: (number | boolean)[]) => tf.Optimizer>)[factory];
  if (typeof make !== 'function') throw new Error(`tf.train.${factory} does not exist`);
  return make(...args);
}

export interface ClipStats {
  /** Largest per-tensor gradient norm of the last batch, before clipping (only tracked when clipping). */
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
        const norms = ts.map((t) => tf.sqrt(tf.sum(tf.square(t))));
        if (track) {
          const largest = Math.max(...norms.map((n) => n.dataSync()[0]!));
          stats.lastNorm = largest;
          if (largest > clipNorm) stats.clippedBatches++;
        }
        ts = ts.map((t, i) => tf.mul(t, tf.div(clipNorm, tf.maximum(norms[i]!, clipNorm))));
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

/** The tfjs-layers loss identifier for a checked loss name (the checker already canonicalises). */
export function lossName(name: string): string {
  return Object.hasOwn(LOSSES, name) ? LOSSES[name]! : name;
}

/** The tfjs-layers metric identifier for a checked metric name. */
export function metricName(name: string): string {
  return Object.hasOwn(METRIC_TABLE, name) ? METRIC_TABLE[name]! : name;
}
