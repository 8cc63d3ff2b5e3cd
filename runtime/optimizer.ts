/**
 * The optimizer of a `train { }` block, with gradient clipping, and `model.compile` from the spec.
 *
 * Everything comes from the `train` part of the TfModelSpec (compiler/tfspec.ts): the `tf.train.*`
 * call with every default explicit, the loss and metric identifiers, clipNorm / clipValue. The emitter
 * prints the same data, so both paths build the same optimizer. Clipping is runtime/clipping.ts
 * `withGradientClipping`, the function the emitter copies into generated modules.
 */
import * as tf from '@tensorflow/tfjs';
import type { TfOptimizerSpec, TfTrainSpec } from '../compiler/tfspec.js';
import { withGradientClipping } from './clipping.js';
import { withOutputLosses } from './output-losses.js';

/** The optimizer a spec's `tf.train.<factory>(...args)` call describes. */
export function makeOptimizer({ factory, args }: TfOptimizerSpec): tf.Optimizer {
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

/**
 * Clips the gradients `opt` applies (runtime/clipping.ts). With `track`, also counts the batches
 * clipNorm scaled (this reads every batch's norms back from the backend, so training does not track).
 */
export function applyClipping(
  opt: tf.Optimizer,
  clip: { clipNorm?: number; clipValue?: number },
  track = false,
): ClipStats {
  const stats: ClipStats = { lastNorm: null, clippedBatches: 0 };
  const { clipNorm } = clip;
  const onNorm =
    track && clipNorm !== undefined
      ? (largest: number) => {
          stats.lastNorm = largest;
          if (largest > clipNorm) stats.clippedBatches++;
        }
      : undefined;
  withGradientClipping(opt, clip, onNorm);
  return stats;
}

/** Optimizer for a train spec, clipped as the spec says. */
export function optimizerFor(train: TfTrainSpec): { optimizer: tf.Optimizer; clip: ClipStats } {
  const optimizer = makeOptimizer(train.optimizer);
  const clip = applyClipping(optimizer, {
    ...(train.clipNorm !== undefined ? { clipNorm: train.clipNorm } : {}),
    ...(train.clipValue !== undefined ? { clipValue: train.clipValue } : {}),
  });
  return { optimizer, clip };
}

/**
 * `model.compile` with the spec's loss (one per output when the spec gives them, weighted by its
 * `lossWeights` as Keras does: runtime/output-losses.ts), optimizer (clipped) and metrics.
 */
export function compileModel(model: tf.LayersModel, train: TfTrainSpec): { optimizer: tf.Optimizer; clip: ClipStats } {
  const { optimizer, clip } = optimizerFor(train);
  model.compile({ loss: train.losses ? [...train.losses] : train.loss, optimizer, metrics: [...train.metrics] });
  if (train.losses) withOutputLosses(model, train.lossWeights ?? train.losses.map(() => 1), train.outputNames ?? []);
  else if (train.outputNames) withOutputLosses(model, null, train.outputNames);
  return { optimizer, clip };
}
