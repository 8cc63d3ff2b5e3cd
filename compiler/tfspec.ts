/**
 * Model-level lowering of checked IR to plain TF.js data (no tfjs import): the one description both
 * the emitter (prints it as TypeScript) and the runtime (calls tf.layers.* with it) consume.
 * OWNER: layer-table work. The shape of these types is shared; fill in the implementation.
 */
import type { Dim, IRLayer, IRModel, IRNode, ValueRef } from './ir.js';
import { instanceOf } from './layers/table.js';
import type { LayerInstance, TfLayerSpec } from './layers/types.js';

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
  /** tfjs kernels that training this model needs (from the layer table), sorted: backends are chosen by them. */
  kernels: string[];
}

/** Kernels every model's training needs, whatever its layers. */
const COMMON_KERNELS = ['BatchMatMul', 'Add', 'Multiply', 'Sum', 'Reshape'];

function kernelsOf(nodes: readonly IRNode[]): string[] {
  const out = new Set<string>(COMMON_KERNELS);
  const visit = (inst: LayerInstance | undefined): void => {
    if (!inst) return;
    for (const k of inst.def.lower.tfjs.kernels) out.add(k);
    visit(inst.inner);
  };
  for (const n of nodes) visit(instanceOf(n));
  return [...out].sort();
}

/** Batch-less IR shape to a TF.js shape: symbolic and unknown dims become null. */
export function toTfShape(shape: readonly Dim[]): (number | null)[] {
  return shape.map((d) => (typeof d === 'number' ? d : null));
}

function nodeSpec(node: IRNode, inputShape: (number | null)[] | undefined): TfNodeSpec {
  const inst = instanceOf(node);
  if (!inst) throw new Error(`toTfModelSpec: layer type "${node.type}" of node ${node.name} is not in the layer table`);
  const raw = inst.def.lower.tfjs.spec(inst, node.outputShapes[0]);
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
    kernels: kernelsOf(model.nodes),
  };
}
