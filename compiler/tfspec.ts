/**
 * Model-level lowering of checked IR to plain TF.js data (no tfjs import): the one description both
 * the emitter (prints it as TypeScript) and the runtime (calls tf.layers.* with it) consume.
 * OWNER: layer-table work. The shape of these types is shared; fill in the implementation.
 */
import type { Dim, IRLayer, IRModel, IRNode, Shape, ValueRef } from './ir.js';
import { instanceOf } from './layers/table.js';
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

/** Batch-less IR shape to a TF.js shape: symbolic and unknown dims become null. */
export function toTfShape(shape: readonly Dim[]): (number | null)[] {
  return shape.map((d) => (typeof d === 'number' ? d : null));
}

function fullyKnown(shape: Shape | undefined): shape is number[] {
  return shape !== undefined && shape.every((d) => typeof d === 'number');
}

/**
 * TF.js's symbolic Reshape never resolves a -1 (its computeOutputShape returns null for it), so a
 * following dense/lstm would see an undefined dim. When the checker proved the output shape, lower
 * the concrete shape instead of the -1.
 */
function resolveReshape(layer: IRLayer, spec: TfLayerSpec, outShape: Shape | undefined): void {
  if (layer.type === 'reshape' && fullyKnown(outShape) && Array.isArray(spec.config.targetShape)) {
    const target = spec.config.targetShape as number[];
    if (target.includes(-1) && target.length === outShape.length) spec.config.targetShape = outShape.slice();
  }
  if (layer.type === 'timeDistributed' && layer.inner && spec.inner && outShape) {
    resolveReshape(layer.inner, spec.inner, outShape.slice(1));
  }
}

function nodeSpec(node: IRNode, inputShape: (number | null)[] | undefined): TfNodeSpec {
  const inst = instanceOf(node);
  if (!inst) throw new Error(`toTfModelSpec: layer type "${node.type}" of node ${node.name} is not in the layer table`);
  const raw = inst.def.tfSpec(inst);
  resolveReshape(node, raw, node.outputShapes[0]);
  const config: Record<string, unknown> = { name: node.name };
  if (inputShape) config.inputShape = inputShape;
  Object.assign(config, raw.config);
  const spec: TfLayerSpec = { factory: raw.factory, config };
  if (raw.inner) {
    const innerName = node.inner?.args.name ?? (node.args.layer as IRLayer | undefined)?.args?.name;
    spec.inner = typeof innerName === 'string' ? { ...raw.inner, config: { name: innerName, ...raw.inner.config } } : raw.inner;
  }
  const out: TfNodeSpec = {
    name: node.name,
    spec,
    inputs: node.inputs.map((r) => ({ node: r.node, index: r.index })),
    outputCount: inst.def.outputCount(inst),
  };
  if (node.initialState && node.initialState.length > 0) {
    out.initialState = node.initialState.map((r) => ({ node: r.node, index: r.index }));
  }
  return out;
}

/**
 * Lower a checked IRModel to plain TF.js data. Sequential models put `inputShape` (from the single
 * model input) on the first layer's config; functional models list their inputs. Every layer config
 * carries its `name`. Pure; the result is JSON-serialisable.
 */
export function toTfModelSpec(model: IRModel): TfModelSpec {
  const inputs: TfInputSpec[] = model.inputs.map((i) => ({ name: i.name, shape: toTfShape(i.shape) }));
  const sequential = model.kind === 'sequential';
  const nodes = model.nodes.map((n, i) =>
    nodeSpec(n, sequential && i === 0 && inputs[0] ? inputs[0].shape.slice() : undefined),
  );
  return {
    kind: model.kind,
    name: model.name,
    inputs,
    nodes,
    outputs: model.outputs.map((r) => ({ node: r.node, index: r.index })),
  };
}
