/**
 * Gradient clipping for TF.js optimizers: the one implementation. The runtime wraps its optimizers
 * with it (runtime/optimizer.ts), and the emitter (emit/typescript.ts) copies the text of
 * `withGradientClipping`, JSDoc included, into every generated module whose spec clips.
 *
 * So this file stays self-contained: it imports only `@tensorflow/tfjs` (as `tf`, the name the
 * generated modules use too), and the function must type-check under the strict options the
 * generated modules are checked with (test/emit-tsc.test.ts).
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Wraps a TF.js optimizer so that gradients are clipped before they are applied: each gradient tensor
 * is scaled so that its L2 norm is at most `clipNorm` (as Keras `clipnorm`: every tensor by its own
 * norm), then clipped element-wise to [-clipValue, clipValue]. TF.js optimizers have no clipping
 * option; `minimize` (and so `model.fit`) calls `applyGradients`, which this replaces.
 * `onNorm`, when given, receives the largest per-tensor norm of each batch, before clipping.
 */
export function withGradientClipping<O extends tf.Optimizer>(
  optimizer: O,
  clip: { clipNorm?: number; clipValue?: number },
  onNorm?: (largestNorm: number) => void,
): O {
  const { clipNorm, clipValue } = clip;
  if (clipNorm === undefined && clipValue === undefined) return optimizer;
  type Gradients = Parameters<tf.Optimizer['applyGradients']>[0];
  const applyGradients = optimizer.applyGradients.bind(optimizer);
  optimizer.applyGradients = (variableGradients: Gradients): void => {
    const named: tf.NamedTensorMap = {};
    if (Array.isArray(variableGradients)) {
      for (const { name, tensor } of variableGradients) named[name] = tensor;
    } else {
      Object.assign(named, variableGradients);
    }
    const names = Object.keys(named);
    const clipped = tf.tidy(() => {
      let grads = names.map((name) => named[name]!);
      if (clipNorm !== undefined) {
        const norms = grads.map((g) => tf.sqrt(tf.sum(tf.square(g))));
        if (onNorm !== undefined && norms.length > 0) onNorm(Math.max(...norms.map((n) => n.dataSync()[0]!)));
        grads = grads.map((g, i) => tf.mul(g, tf.div(clipNorm, tf.maximum(norms[i]!, clipNorm))));
      }
      if (clipValue !== undefined) grads = grads.map((g) => tf.clipByValue(g, -clipValue, clipValue));
      const out: tf.NamedTensorMap = {};
      names.forEach((name, i) => {
        out[name] = grads[i]!;
      });
      return out;
    });
    try {
      applyGradients(clipped);
    } finally {
      tf.dispose(clipped);
    }
  };
  return optimizer;
}
