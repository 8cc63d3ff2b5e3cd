/**
 * Model-level lowering of checked IR to plain TF.js data (no tfjs import): the one description both
 * the emitter (prints it as TypeScript) and the runtime (calls tf.layers.* with it) consume.
 *
 * Final and normalized: every decision a back end would otherwise make is made here, once: the model
 * kind (tf.sequential or tf.model), every layer's name, where input shapes go, and the TF.js
 * identifiers of the loss, the metrics and the optimizer call. Back ends print or execute it as is.
 */
import type { Dim, IRLayer, IRModel, IRNode, IRTrain, ValueRef } from './ir.js';
import { instanceOf } from './layers/table.js';
import type { LayerInstance, TfLayerSpec } from './layers/types.js';
import { optimizerCall, outputLosses, perOutput } from './train.js';

export interface TfInputSpec {
  name: string;
  /** Batch excluded; symbolic and unknown dims are null. */
  shape: (number | null)[];
  /**
   * The declared batch size (`input x: [1, 1] batch 25`): the model is then built with a fixed batch
   * dimension (`batchInputShape: [batch, ...shape]` on a sequential first layer, `tf.input({ batchShape })`).
   */
  batch?: number;
}

export interface TfNodeSpec {
  /** Layer name (unique in the model). */
  name: string;
  /**
   * The `tf.layers.<factory>(config)` call. The config always has `name`; the first layer of a
   * sequential model also has `inputShape` (or `batchInputShape` when the input declares a batch), and
   * no other layer has `inputShape`/`batchInputShape`.
   */
  spec: TfLayerSpec;
  inputs: ValueRef[];
  initialState?: ValueRef[];
  /** Number of outputs of `apply` (1 + states when returnState). */
  outputCount: number;
}

/** The `tf.train.<factory>(...args)` call, every default explicit (compiler/train.ts `optimizerCall`). */
export interface TfOptimizerSpec {
  factory: string;
  args: (number | boolean)[];
}

/** What `model.compile()` and `model.fit()` need, as TF.js identifiers and values. */
export interface TfTrainSpec {
  /** The loss identifier `model.compile` accepts (e.g. `meanSquaredError`), for every output unless `losses` is set. */
  loss: string;
  /**
   * One loss identifier per output, in output order, when the spec gives per-output losses that differ
   * or loss weights other than 1 (`loss` is then the first output's; otherwise the one they share). tfjs
   * compiles the list; runtime/output-losses.ts `withOutputLosses` weights it.
   */
  losses?: string[];
  /** Keras `loss_weights` in output order (tfjs 4.22's compile has none: runtime/output-losses.ts applies them). */
  lossWeights?: number[];
  /** The user's name of each output (`output a, b`) with `losses` or several outputs: for the logged names. */
  outputNames?: string[];
  /** Metric identifiers `model.compile` accepts (e.g. `accuracy`, `mse`). */
  metrics: string[];
  optimizer: TfOptimizerSpec;
  /** Keras `clipnorm`: each gradient tensor is scaled down to this L2 norm (runtime/clipping.ts). */
  clipNorm?: number;
  /** Element-wise gradient clipping to [-clipValue, clipValue], after clipNorm. */
  clipValue?: number;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  shuffle: boolean;
}

export interface TfModelSpec {
  /**
   * `sequential` (a `tf.sequential` stack) exactly when the model is one chain from one input, without
   * initial states and with single-output layers; otherwise `functional` (`tf.input` + `apply` + `tf.model`).
   */
  kind: 'sequential' | 'functional';
  name: string;
  /** The model inputs (a sequential model's one input is also the first layer's `inputShape`). */
  inputs: TfInputSpec[];
  nodes: TfNodeSpec[];
  outputs: ValueRef[];
  train: TfTrainSpec;
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

function nodeSpec(node: IRNode): TfNodeSpec {
  const inst = instanceOf(node);
  if (!inst) throw new Error(`toTfModelSpec: layer type "${node.type}" of node ${node.name} is not in the layer table`);
  const raw = inst.def.lower.tfjs.spec(inst, node.outputShapes[0]);
  const config: Record<string, unknown> = { name: node.name, ...raw.config };
  // module: 'lstmc' names one of lstmc's own classes (runtime/layers/); the back ends must see it.
  const spec: TfLayerSpec = { factory: raw.factory, ...(raw.module ? { module: raw.module } : {}), config };
  if (raw.inner) {
    const innerName = node.inner?.args.name ?? (node.args.layer as IRLayer | undefined)?.args?.name;
    spec.inner =
      typeof innerName === 'string' ? { ...raw.inner, config: { name: innerName, ...raw.inner.config } } : raw.inner;
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

const sameRef = (a: ValueRef | undefined, b: ValueRef): boolean =>
  a !== undefined && a.node === b.node && a.index === b.index;

/**
 * A `tf.sequential` stack can express the model: the checker found one chain from one input, each
 * layer reads the one before it, no layer takes initial states or returns more than one output, and
 * the last layer is the one output.
 */
function isSequential(model: IRModel, nodes: readonly TfNodeSpec[]): boolean {
  const input = model.inputs[0];
  if (model.kind !== 'sequential' || model.inputs.length !== 1 || input === undefined || nodes.length === 0)
    return false;
  if (model.outputs.length !== 1 || !sameRef(model.outputs[0], { node: nodes[nodes.length - 1]!.name, index: 0 }))
    return false;
  return nodes.every((n, i) => {
    const from: ValueRef = { node: i === 0 ? input.name : nodes[i - 1]!.name, index: 0 };
    return n.outputCount === 1 && n.initialState === undefined && n.inputs.length === 1 && sameRef(n.inputs[0], from);
  });
}

/** The train block as TF.js `compile`/`fit` arguments (loss and metrics are canonical once checked). */
export function toTfTrainSpec(train: IRTrain, outputNames: readonly string[] = []): TfTrainSpec {
  const out: TfTrainSpec = {
    loss: train.loss,
    metrics: [...train.metrics],
    optimizer: optimizerCall(train.optimizer),
    epochs: train.epochs,
    batchSize: train.batchSize,
    validationSplit: train.validationSplit,
    shuffle: train.shuffle,
  };
  if (train.clipNorm !== undefined) out.clipNorm = train.clipNorm;
  if (train.clipValue !== undefined) out.clipValue = train.clipValue;
  if (train.losses !== undefined || train.lossWeights !== undefined) {
    // Per-output losses only when they differ or are weighted: `[mse, mse]` is `loss: mse`.
    const losses = outputLosses(train, outputNames);
    const weights = perOutput(train.lossWeights, outputNames);
    if (losses[0] !== undefined) out.loss = losses[0];
    if (new Set(losses).size > 1 || weights?.some((w) => w !== 1)) {
      out.losses = losses;
      if (weights !== undefined) out.lossWeights = weights;
    }
  }
  if (out.losses !== undefined || outputNames.length > 1) out.outputNames = [...outputNames];
  return out;
}

/**
 * Lower a checked IRModel to plain TF.js data. Sequential models put `inputShape` (from the single
 * model input) on the first layer's config; functional models list their inputs. Every layer config
 * carries its `name`. Pure; the result is JSON-serialisable.
 */
export function toTfModelSpec(model: IRModel): TfModelSpec {
  const inputs: TfInputSpec[] = model.inputs.map((i) =>
    i.batch === undefined
      ? { name: i.name, shape: toTfShape(i.shape) }
      : { name: i.name, shape: toTfShape(i.shape), batch: i.batch },
  );
  const nodes = model.nodes.map(nodeSpec);
  const kind = isSequential(model, nodes) ? 'sequential' : 'functional';
  if (kind === 'sequential') {
    const first = nodes[0]!;
    const { name, ...rest } = first.spec.config;
    const input = inputs[0]!;
    const shapeArg =
      input.batch === undefined
        ? { inputShape: input.shape.slice() }
        : { batchInputShape: [input.batch, ...input.shape] };
    first.spec = { ...first.spec, config: { name, ...shapeArg, ...rest } };
  }
  return {
    kind,
    name: model.name,
    inputs,
    nodes,
    outputs: model.outputs.map((r) => ({ node: r.node, index: r.index })),
    train: toTfTrainSpec(model.train, model.outputNames ?? model.outputs.map((r) => r.node)),
    kernels: kernelsOf(model.nodes),
  };
}
