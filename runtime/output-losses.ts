/**
 * Per-output loss weights (Keras `loss_weights`) for TF.js 4.22, whose `model.compile` has none, and
 * the user's output names in the logged loss and metric names. The emitter copies `withOutputLosses`
 * into generated modules (emit/typescript.ts), so the runtime and a compiled module weight alike.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * After `model.compile({ loss: [...] })`, with `weights` (null: only the names and the totals below):
 * output i's loss becomes `weights[i] · mean(loss_i)`, so the
 * total loss TF.js minimises and reports is Keras's weighted sum Σ wᵢ·mean(lossᵢ), also when the
 * outputs' loss tensors differ in shape (TF.js would otherwise add them elementwise: broadcast, or
 * fail). The per-output `<output>_loss` values TF.js logs are then each output's weighted term, and every
 * `<layer>_...` log name is renamed after `outputNames[i]`, the names the spec gave its outputs.
 * TF.js still sees the original loss functions where it tells losses apart (accuracy's kind, sparse
 * targets), as they were compiled by identifier. `evaluate` and validation report the whole total.
 */
export function withOutputLosses(
  model: tf.LayersModel,
  weights: readonly number[] | null,
  outputNames: readonly string[],
): void {
  type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;
  const m = model as unknown as {
    lossFunctions: LossFn[];
    metricsTensors: [LossFn, number][];
    metricsNames: string[];
    outputNames: string[];
  };
  const original = [...m.lossFunctions];
  if (weights !== null)
    m.lossFunctions = original.map((fn, i) => {
      const w = weights[i] ?? 1;
      return (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mul(tf.mean(fn(yTrue, yPred)), w);
    });
  const layerNames = [...m.outputNames];
  if (layerNames.length > 1) {
    // TF.js 4.22's test function (evaluate, fit's validation) returns the running total after each
    // output ([l0, l0+l1, ...]) before the metrics: one value more per extra output than it has names
    // for, so `loss` / `val_loss` would be the first output's loss. Keep the whole total only.
    const t = model as unknown as { makeTestFunction(): void; testFunction: (data: tf.Tensor[]) => tf.Tensor[] };
    const make = t.makeTestFunction.bind(model);
    t.makeTestFunction = () => {
      make();
      const f = t.testFunction;
      t.testFunction = (data) => {
        const outs = f(data);
        tf.dispose(outs.slice(0, layerNames.length - 1));
        return outs.slice(layerNames.length - 1);
      };
    };
  }
  m.metricsTensors.forEach((entry, k) => {
    const [fn, i] = entry;
    // With several outputs, TF.js lists each output's loss first (as `<layer>_loss`).
    if (weights !== null && original.length > 1 && k === i && fn === original[i])
      m.metricsTensors[k] = [m.lossFunctions[i]!, i];
    const layer = layerNames[i];
    const user = outputNames[i];
    const name = m.metricsNames[k + 1];
    if (layerNames.length > 1 && layer !== undefined && user !== undefined && name?.startsWith(`${layer}_`))
      m.metricsNames[k + 1] = `${user}_${name.slice(layer.length + 1)}`;
  });
}
