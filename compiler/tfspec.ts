/**
 * Model-level lowering of checked IR to plain TF.js data (no tfjs import): the one description both
 * the emitter (prints it as TypeScript) and the runtime (calls tf.layers.* with it) consume.
 * OWNER: layer-table work. The shape of these types is shared; fill in the implementation.
 */
import type { IRModel, ValueRef } from './ir.js';
import type { TfLayerSpec } from './layers/types.js';

export interface TfInputSpec {
  name: string;
  /** Batch excluded; symbolic and unknown dims are null. */
  shape: (number | null)[];
}

export interface TfNodeSpec {
  /** Layer name (unique in the model). */
  name: string;
  /** Config includes `name`; for the first layer of a sequential model also `inputShape`. */
  spec: TfLayerSpec;
  inputs: ValueRef[];
  initialState?: ValueRef[];
  /** Number of outputs of `apply` (1 + states when returnState). */
  outputCount: number;
}

export interface TfModelSpec {
  kind: 'sequential' | 'functional';
  name: string;
  inputs: TfInputSpec[];
  nodes: TfNodeSpec[];
  outputs: ValueRef[];
}

export declare function toTfModelSpec(model: IRModel): TfModelSpec;
