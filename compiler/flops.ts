/**
 * Analytic FLOP counts of a checked model, per sample (for `npm run bench:speed`'s GFLOP/s). Plain data in,
 * plain data out: no tfjs.
 *
 * The count is the matrix arithmetic of the layers that have weights, the part that dominates recurrent
 * models. Every weight (kernel, recurrent kernel, bias; trainable or not) takes part in one multiply-add
 * per *position* the layer applies it at, so
 *
 *     forward FLOPs of a layer = 2 × params × positions
 *
 * where positions are
 *   - recurrent layers (table category 'recurrent', and wrappers of one, e.g. bidirectional): the number
 *     of timesteps T of the input, times the output positions of one step for convLstm2d (rows' × cols': its
 *     kernels are convolutions) — each step multiplies the step input by the kernel [F, G·U] and the
 *     state by the recurrent kernel [U, G·U] (G gates: lstm 4, gru 3, simpleRNN 1), 2·G·U·(F + U) FLOPs,
 *     plus the bias; a bidirectional wrapper's params already hold both directions;
 *   - every other layer: the output positions, i.e. the product of its first output shape without the last
 *     (channel) dimension — dense on [F] is 1, dense (or timeDistributed dense) on [T, F] is T, conv2d is
 *     H'·W' (params k_h·k_w·C_in·C_out + C_out: one multiply-add per weight per output pixel);
 *   - embeddings are lookups: 0.
 * Layers without weights (activations, dropout, pooling, merges, reshapes) count 0, and so does the
 * element-wise gate arithmetic of recurrent cells (sigmoid/tanh/products: about 10·U per step, under 10 %
 * of 2·G·U·(F + U) once U ≥ 16). Biases count as multiply-adds (2 FLOPs), an overcount of 1/(F + U + 1).
 *
 * Training (forward + backward, BPTT for recurrent layers) is 3 × forward: the backward pass of each matrix
 * product is two products of the same size (the gradient with respect to its input or state, and the one
 * with respect to its weights). For the stacked 4 × LSTM(50) regressor on [60, 1]: params
 * 10,400 + 3 × 20,200 = 71,000, forward 2 · 71,000 · 60 = 8.52 MFLOP, training 25.6 MFLOP per sample.
 */
import type { IRModel, Shape } from './ir.js';
import { getLayer } from './layers/table.js';

export interface LayerFlops {
  name: string;
  /** The layer table key (for display). */
  type: string;
  params: number;
  positions: number;
  /** 2 × params × positions. */
  forward: number;
}

export interface ModelFlops {
  /** Per sample. */
  forward: number;
  /** Forward + backward per sample (3 × forward). */
  train: number;
  layers: LayerFlops[];
  /** Layers whose count needed a dimension the spec leaves symbolic (counted as 0). */
  unknown: string[];
}

/** The product of the known dims of `dims`, or undefined when one is symbolic. */
function product(dims: Shape): number | undefined {
  let p = 1;
  for (const d of dims) {
    if (typeof d !== 'number') return undefined;
    p *= d;
  }
  return p;
}

const mul = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : a * b;

/** The per-sample FLOP counts of `model` (see the module comment for the formula). */
export function modelFlops(model: IRModel): ModelFlops {
  const layers: LayerFlops[] = [];
  const unknown: string[] = [];
  for (const node of model.nodes) {
    const def = getLayer(node.type);
    const params = node.params.trainable + node.params.nonTrainable;
    if (!def || params === 0 || def.category === 'embedding') {
      layers.push({ name: node.name, type: node.type, params, positions: 0, forward: 0 });
      continue;
    }
    const innerDef = node.inner ? getLayer(node.inner.type) : undefined;
    const recurrent = def.category === 'recurrent' || innerDef?.category === 'recurrent';
    const input = node.inputShapes[0] ?? [];
    const output = node.outputShapes[0] ?? [];
    // A recurrent layer applies its weights at every step, at every output position of the step: 1 for lstm,
    // rows' × cols' for convLstm2d (its input [T, rows, cols, C] has 2 spatial dims, as its output's last ones).
    const spatial = Math.max(0, input.length - 2);
    const positions = recurrent
      ? mul(product(input.slice(0, 1)), product(output.slice(output.length - 1 - spatial, -1)))
      : product(output.slice(0, -1));
    if (positions === undefined) unknown.push(node.name);
    const p = positions ?? 0;
    layers.push({ name: node.name, type: node.type, params, positions: p, forward: 2 * params * p });
  }
  const forward = layers.reduce((s, l) => s + l.forward, 0);
  return { forward, train: 3 * forward, layers, unknown };
}
