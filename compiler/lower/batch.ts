/**
 * Declared batch sizes (`input x: [1, 1] batch 25`) and stateful recurrent layers: what they imply for
 * training when the `train { }` block does not say otherwise. Runs after the shape pass, before the
 * rules (compiler/rules/stateful.ts reports what is wrong; this only fills defaults):
 * - `batchSize` defaults to the declared batch (a model with a fixed batch dimension trains on it);
 * - `shuffle` defaults to false when a layer is stateful (states carry from one batch to the next, so
 *   the samples must stay in order; Keras users turn it off by hand).
 */
import type { IRLayer, IRNode, IRTrain } from '../ir.js';
import type { ModelState } from './state.js';

/** The declared batch of a model: the first input's that declares one. */
export function declaredBatch(st: Pick<ModelState, 'inputs'>): number | undefined {
  return st.inputs.find((i) => i.batch !== undefined)?.batch;
}

/** Every stateful layer of the model (a wrapped one too), with the node it belongs to. */
export function statefulLayers(nodes: readonly IRNode[]): { node: IRNode; layer: IRLayer }[] {
  const out: { node: IRNode; layer: IRLayer }[] = [];
  for (const node of nodes) {
    for (let l: IRLayer | undefined = node; l !== undefined; l = l.inner) {
      if (l.args['stateful'] === true) {
        out.push({ node, layer: l });
        break;
      }
    }
  }
  return out;
}

export function applyDeclaredBatch(st: ModelState, train: IRTrain): void {
  const batch = declaredBatch(st);
  if (batch !== undefined && train.spans['batchSize'] === undefined) train.batchSize = batch;
  if (statefulLayers(st.nodes).length > 0 && train.spans['shuffle'] === undefined) train.shuffle = false;
}
