/**
 * Parity: every layer's PyTorch lowering (emit/pytorch/support.py, built from the table's `pytorch`
 * lowering) against real tfjs-layers (cpu backend). No mocks on either side.
 *
 * Per case: build the layer in tfjs with its TF.js config, give it random weights, run a random
 * input (and random initial states where the layer takes them); build the same layer in PyTorch from
 * the table's PyTorch config, load the weights with `load_tfjs_weights`, run the same input. Outputs
 * must agree within 1e-5 (float32), `tfjs_weights()` must give back the loaded weights bit for bit
 * under the TF.js names. Cases: the layer oracle's cases (concrete sizes for symbols), extra ones
 * for activations, padding, states, masks and training-time behaviour, and every layer of a few
 * hundred random architectures (test/helpers/random-arch.ts).
 *
 * Python runs once for the whole file (JSON over stdin/stdout). Without an interpreter that imports
 * torch the suite says so and skips, except under CI where it fails.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IRLayer, Shape } from '../compiler/ir.js';
import { ACTIVATIONS, instanceOf, LAYERS, stateShapesOf } from '../compiler/layers/table.js';
import type { LayerInstance, TfLayerSpec } from '../compiler/layers/types.js';
import { L, randFunctional, randSequential, rng, type Rng } from './helpers/random-arch.js';
import {
  fromWire,
  PY_WIRE_HELPERS,
  requireTorchPython,
  runPythonJson,
  skipWithoutTorch,
  toWire,
  type WireArray,
} from './helpers/python.js';
import { buildTfLayer } from './helpers/tf-layers.js';

const SUPPORT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../emit/pytorch/support.py');
const TOLERANCE = 1e-5;
/** Gradients: max abs difference over the largest entry of the tfjs gradient (at least 1). */
const GRAD_TOLERANCE = 1e-5;
const BATCH = 2;
/** The size given to symbolic and unknown dimensions. */
const UNKNOWN_DIM = 4;
const N_SEQUENTIAL = 120;
const N_FUNCTIONAL = 80;

// ---------------------------------------------------------------------------------------------
// The Python side: one program, a batch of cases
// ---------------------------------------------------------------------------------------------

const DRIVER = `
import importlib.util, inspect, json, sys, traceback
import torch
torch.set_num_threads(1)
${PY_WIRE_HELPERS}
req = json.load(sys.stdin)
_spec = importlib.util.spec_from_file_location("lstmc_support", req["support"])
S = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(S)
torch.manual_seed(req["seed"])

def build(s):
    inner = build(s["layer"]) if s.get("layer") else None
    return S.build_layer(s["className"], s["config"], s.get("input_shape"), inner)

def named(m):
    return [dict(name=n, **wire(a)) for n, a in m.tfjs_weights()]

def call(m, x, mask=None, initial_state=None):
    kw = {}
    if initial_state is not None:
        kw["initial_state"] = initial_state
    if mask is not None and "mask" in inspect.signature(m.forward).parameters:
        kw["mask"] = mask
    return m(x, **kw)

def outs(y):
    return [wire(t) for t in (y if isinstance(y, list) else [y])]

def tensor(a):
    return torch.from_numpy(arr(a))

def run(case):
    kind = case["kind"]
    if kind == "init":
        return {"weights": named(build(case["spec"]))}
    if kind == "chain":
        mods = [build(s) for s in case["specs"]]
        for m, ws in zip(mods, case["weights"]):
            m.load_tfjs_weights([arr(w) for w in ws])
            m.eval()
        x, mask = tensor(case["inputs"][0]), None
        with torch.no_grad():
            for m in mods:
                y = call(m, x, mask=mask)
                mask = m.compute_mask(x, mask)
                x = y
        return {"outputs": outs(x)}
    m = build(case["spec"])
    m.load_tfjs_weights([arr(w) for w in case["weights"]])
    round_trip = named(m)
    m.train(bool(case.get("training")))
    xs = [tensor(a) for a in case["inputs"]]
    states = [tensor(a) for a in case["initialState"]] if case.get("initialState") else None
    y = call(m, xs if len(xs) > 1 else xs[0], initial_state=states)
    ys = y if isinstance(y, list) else [y]
    # gradients of the sum of all outputs, per trainable weight in TF.js order
    trainable = [(n, t) for n, t in m._weight_tensors() if isinstance(t, torch.nn.Parameter)]
    grads = []
    if trainable:
        sum(t.sum() for t in ys).backward()
        grads = [dict(name=n, **wire(t.grad if t.grad is not None else torch.zeros_like(t))) for n, t in trainable]
    return {"outputs": outs(y), "roundTrip": round_trip, "weightsAfter": named(m), "grads": grads}

results = []
for case in req["cases"]:
    try:
        r = run(case)
    except Exception as e:
        r = {"error": type(e).__name__ + ": " + str(e), "trace": traceback.format_exc()[-3000:]}
    r["id"] = case["id"]
    results.append(r)
json.dump({"torch": torch.__version__, "results": results}, sys.stdout)
`;

interface PySpec {
  className: string;
  config: Record<string, unknown>;
  input_shape: unknown;
  layer?: PySpec;
}

interface PyCase {
  id: string;
  kind: 'layer' | 'chain' | 'init';
  spec?: PySpec;
  specs?: PySpec[];
  weights?: WireArray[] | WireArray[][];
  inputs?: WireArray[];
  initialState?: WireArray[];
  training?: boolean;
}

interface NamedWire extends WireArray {
  name: string;
}

interface PyResult {
  id: string;
  error?: string;
  trace?: string;
  outputs?: WireArray[];
  roundTrip?: NamedWire[];
  weightsAfter?: NamedWire[];
  weights?: NamedWire[];
  grads?: NamedWire[];
}

// ---------------------------------------------------------------------------------------------
// Lowering as the model emitter does it (table only: class name, config, inner input shapes)
// ---------------------------------------------------------------------------------------------

/** Batch-less shape for Python: symbols and unknown dims are null (None). */
const pyShape = (s: Shape): (number | null)[] => s.map((d) => (typeof d === 'number' ? d : null));

function pySpec(inst: LayerInstance, inputShapes: Shape[], name: string, outputShape?: Shape): PySpec {
  const low = inst.def.lower.pytorch;
  if (!low) throw new Error(`${inst.def.name} has no pytorch lowering`);
  const spec: PySpec = {
    className: low.className,
    config: { ...low.config(inst, inputShapes, outputShape), name },
    input_shape: inst.def.inputs.max > 1 ? inputShapes.map(pyShape) : pyShape(inputShapes[0] ?? []),
  };
  if (inst.inner) {
    if (!low.innerInputShapes) throw new Error(`${inst.def.name} wraps a layer but has no innerInputShapes`);
    spec.layer = pySpec(inst.inner, low.innerInputShapes(inst, inputShapes), `${name}_inner`);
  }
  return spec;
}

/** The TF.js spec with names (as the model lowering adds them), built into a layer (as the runtime does). */
function tfSpec(inst: LayerInstance, outputShape: Shape | undefined, name: string): TfLayerSpec {
  const spec = structuredClone(inst.def.lower.tfjs.spec(inst, outputShape));
  const nameAll = (s: TfLayerSpec, n: string): void => {
    s.config = { ...s.config, name: n };
    if (s.inner) nameAll(s.inner, `${n}_inner`);
  };
  nameAll(spec, name);
  return spec;
}

// ---------------------------------------------------------------------------------------------
// Random data
// ---------------------------------------------------------------------------------------------

function normal(r: Rng): number {
  const u = Math.max(r.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.next());
}

function randomValues(r: Rng, shape: number[], f: () => number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = f();
  return tf.tensor(v, shape, 'float32');
}

/** Random weights of a reasonable scale: outputs stay O(1), so 1e-5 is a float32 tolerance. */
function randomWeight(r: Rng, name: string, shape: number[]): tf.Tensor {
  if (name.endsWith('moving_variance')) return randomValues(r, shape, () => 0.5 + r.next());
  const fanIn = shape.length >= 2 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 4;
  const scale = 1 / Math.sqrt(Math.max(1, fanIn));
  return randomValues(r, shape, () => normal(r) * scale);
}

/** Sizes for symbolic/unknown dims: a size another input has at that axis, else UNKNOWN_DIM. */
function concretize(shapes: readonly Shape[]): number[][] {
  return shapes.map((s) =>
    s.map((d, i) => {
      if (typeof d === 'number') return d;
      const other = shapes.find((o) => o.length === s.length && typeof o[i] === 'number');
      return (other?.[i] as number | undefined) ?? UNKNOWN_DIM;
    }),
  );
}

async function wireOf(t: tf.Tensor): Promise<WireArray> {
  return toWire((await t.data()) as Float32Array, t.shape);
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

interface Case {
  layer: IRLayer;
  inputs: Shape[];
  /** Give the layer random initial states (recurrent layers). */
  initialState?: boolean;
  /** Run in training mode (deterministic layers only: batch statistics, no dropout). */
  training?: boolean;
}

const C = (layer: IRLayer, inputs: Shape[], extra: Omit<Case, 'layer' | 'inputs'> = {}): Case => ({
  layer,
  inputs,
  ...extra,
});

/** test/layers-oracle.test.ts's per-layer cases. */
const ORACLE_CASES: Case[] = [
  C(L('gaussianNoise', { stddev: 0.1 }), [[5, 10]]),
  C(L('gaussianNoise', { stddev: 0 }), [[3, 4, 2]]),
  C(L('lstm', { units: 25 }), [[5, 10]]),
  C(L('lstm', { units: 4, returnSequences: true, useBias: false }), [['T', 3]]),
  C(L('lstm', { units: 8, returnState: true }), [[5, 2]]),
  C(L('lstm', { units: 8, returnState: true, returnSequences: true, goBackwards: true, unitForgetBias: false }), [
    [5, 2],
  ]),
  C(
    L('lstm', {
      units: 3,
      dropout: 0.2,
      recurrentDropout: 0.1,
      activation: 'relu',
      recurrentActivation: 'hardSigmoid',
    }),
    [[null, 7]],
  ),
  C(L('gru', { units: 10 }), [[7, 3]]),
  C(L('gru', { units: 6, returnState: true, returnSequences: true }), [[7, 3]]),
  C(L('gru', { units: 6, useBias: false }), [[7, 3]]),
  C(L('simpleRNN', { units: 6, returnSequences: true }), [[7, 3]]),
  C(L('simpleRNN', { units: 6, returnState: true }), [['T', 3]]),
  C(L('dense', { units: 10, activation: 'softmax' }), [[25]]),
  C(L('dense', { units: 4, useBias: false }), [['T', 3]]),
  C(L('dense', { units: 4, activation: 'gelu' }), [[2, 3, 5]]),
  C(L('dropout', { rate: 0.3, seed: 1 }), [['T', 3]]),
  C(L('activation', { activation: 'swish' }), [[2, 3]]),
  C(L('activation', { activation: 'logSoftmax' }), [[3]]),
  C(L('flatten'), [[4, 5, 2]]),
  C(L('flatten'), [[3, 2]]),
  C(L('reshape', { targetShape: [2, 3] }), [[6]]),
  C(L('reshape', { targetShape: [-1, 2] }), [[3, 4]]),
  C(L('reshape', { targetShape: [4, 3] }), [[2, 6]]),
  C(L('repeatVector', { n: 3 }), [[75]]),
  C(L('permute', { dims: [2, 1] }), [['T', 3]]),
  C(L('permute', { dims: [3, 1, 2] }), [[2, 3, 4]]),
  C(L('embedding', { inputDim: 100, outputDim: 8 }), [['T']]),
  C(L('embedding', { inputDim: 10, outputDim: 3, maskZero: true }), [[4, 5]]),
  C(L('masking', { maskValue: 0.5 }), [[5, 3]]),
  C(L('masking', { maskValue: 0 }), [[2, 4, 3]]),
  C(L('conv1d', { filters: 4, kernelSize: 3 }), [[10, 2]]),
  C(L('conv1d', { filters: 4, kernelSize: [3], padding: 'same', strides: 2 }), [[9, 2]]),
  C(L('conv1d', { filters: 4, kernelSize: 3 }), [['T', 2]]),
  C(L('conv1d', { filters: 1, kernelSize: 3, dilationRate: 2, useBias: false }), [[10, 1]]),
  C(L('conv2d', { filters: 2, kernelSize: [2, 2], activation: 'relu' }), [[50, 50, 1]]),
  C(L('conv2d', { filters: 3, kernelSize: 3, strides: [2, 1], padding: 'same' }), [[9, 9, 3]]),
  C(L('conv2d', { filters: 3, kernelSize: [3, 2], dilationRate: [2, 1] }), [[9, 9, 3]]),
  C(L('maxPooling1d'), [[9, 3]]),
  C(L('maxPooling1d', { poolSize: 3, strides: 1, padding: 'same' }), [[9, 3]]),
  C(L('averagePooling1d', { poolSize: [2] }), [[8, 3]]),
  C(L('maxPooling2d', { poolSize: [2, 2] }), [[49, 49, 2]]),
  C(L('maxPooling2d'), [[5, 5, 2]]),
  C(L('averagePooling2d', { poolSize: 3, padding: 'same' }), [[5, 5, 2]]),
  C(L('averagePooling2d', { poolSize: [2, 3], strides: [1, 2] }), [[6, 7, 2]]),
  C(L('globalMaxPooling1d'), [['T', 3]]),
  C(L('globalAveragePooling1d'), [[5, 3]]),
  C(L('globalMaxPooling2d'), [[5, 4, 3]]),
  C(L('globalAveragePooling2d'), [[5, 4, 3]]),
  C(L('batchNormalization'), [[5, 3]]),
  C(L('batchNormalization', { axis: 1, center: false }), [[5, 3]]),
  C(L('batchNormalization', { scale: false, momentum: 0.9, epsilon: 1e-5 }), [[7]]),
  C(L('layerNormalization'), [['T', 3]]),
  C(L('layerNormalization', { center: false }), [[4, 6]]),
  C(L('concatenate'), [
    [5, 3],
    [5, 4],
  ]),
  C(L('concatenate', { axis: 1 }), [
    [5, 3],
    [2, 3],
    [1, 3],
  ]),
  C(L('concatenate', { axis: -2 }), [
    ['T', 3],
    [2, 3],
  ]),
  C(L('add'), [
    [5, 3],
    [5, 3],
    [5, 3],
  ]),
  C(L('add'), [
    [null, 3],
    [5, 3],
  ]),
  C(L('multiply'), [
    ['T', 3],
    ['T', 3],
  ]),
  C(L('average'), [[3], [3]]),
  C(L('bidirectional', {}, L('lstm', { units: 50, returnSequences: true })), [[10, 1]]),
  C(L('bidirectional', { mergeMode: 'sum' }, L('gru', { units: 5 })), [[10, 2]]),
  C(L('bidirectional', { mergeMode: 'mul' }, L('simpleRNN', { units: 5, returnSequences: true })), [['T', 2]]),
  C(L('bidirectional', { mergeMode: 'ave' }, L('lstm', { units: 3 })), [[4, 2]]),
  C(L('bidirectional', {}, L('lstm', { units: 4, returnState: true })), [[10, 2]]),
  C(L('bidirectional', { mergeMode: 'sum' }, L('gru', { units: 4, returnState: true, returnSequences: true })), [
    [10, 2],
  ]),
  C(L('timeDistributed', {}, L('dense', { units: 12, activation: 'softmax' })), [[2, 50]]),
  C(L('timeDistributed', {}, L('conv2d', { filters: 2, kernelSize: [2, 2], activation: 'relu' })), [[5, 50, 50, 1]]),
  C(L('timeDistributed', {}, L('maxPooling2d', { poolSize: [2, 2] })), [[5, 49, 49, 2]]),
  C(L('timeDistributed', {}, L('flatten')), [['T', 24, 24, 2]]),
  C(L('timeDistributed', {}, L('dropout', { rate: 0.5 })), [['T', 4]]),
  C(L('timeDistributed', {}, L('conv1d', { filters: 3, kernelSize: 2 })), [[4, 6, 2]]),
  C(L('timeDistributed', {}, L('lstm', { units: 3 })), [[4, 6, 2]]),
  C(L('conv3d', { filters: 3, kernelSize: [2, 3, 3], strides: [1, 2, 2], padding: 'same' }), [[5, 9, 9, 2]]),
  C(L('conv3d', { filters: 2, kernelSize: 3, dilationRate: 2, useBias: false }), [['T', 9, 9, 2]]),
  C(L('maxPooling3d'), [[5, 9, 9, 2]]),
  C(L('maxPooling3d', { poolSize: [1, 3, 3], strides: 1, padding: 'same' }), [[5, 9, 9, 2]]),
  C(L('convLstm2d', { filters: 3, kernelSize: 3 }), [[4, 8, 8, 2]]),
  C(L('convLstm2d', { filters: 3, kernelSize: [3, 2], strides: 2, padding: 'same', returnSequences: true }), [
    ['T', 9, 9, 2],
  ]),
  C(L('convLstm2d', { filters: 2, kernelSize: 3, returnState: true, goBackwards: true, unitForgetBias: false }), [
    [4, 6, 6, 1],
  ]),
  C(L('bidirectional', {}, L('convLstm2d', { filters: 2, kernelSize: 3, returnSequences: true })), [[4, 6, 6, 1]]),
  C(L('timeDistributed', {}, L('conv3d', { filters: 2, kernelSize: 2 })), [[3, 5, 6, 6, 2]]),
  C(L('timeDistributed', {}, L('maxPooling3d', { poolSize: 2 })), [[3, 5, 6, 6, 2]]),
  // attention layers (lstmc's own classes)
  C(L('attention'), [
    [4, 6],
    [7, 6],
  ]),
  C(L('attention', { useScale: true, scoreMode: 'concat', returnAttentionScores: true }), [
    ['T', 6],
    [7, 3],
    [7, 6],
  ]),
  C(L('attention', { useScale: true, useCausalMask: true }), [
    [5, 3],
    [5, 3],
  ]),
  C(L('additiveAttention'), [
    [4, 6],
    [7, 6],
  ]),
  C(L('additiveAttention', { useScale: false, returnAttentionScores: true, useCausalMask: true }), [
    [4, 6],
    [7, 2],
    [7, 6],
  ]),
  C(L('multiHeadAttention', { numHeads: 2, keyDim: 3 }), [
    [4, 6],
    [7, 5],
  ]),
  C(
    L('multiHeadAttention', {
      numHeads: 3,
      keyDim: 2,
      valueDim: 4,
      outputShape: 5,
      useBias: false,
      useCausalMask: true,
      returnAttentionScores: true,
    }),
    [
      [4, 6],
      [7, 5],
      [7, 3],
    ],
  ),
];

/** Every activation the table accepts (the test follows the table, never a copy of it). */
const ACTS: readonly string[] = ACTIVATIONS;

/** What the oracle cases leave out: every activation, gate variants, states, asymmetric padding, axes. */
const EXTRA_CASES: Case[] = [
  ...ACTS.map((a) => C(L('activation', { activation: a }), [[4, 5]])),
  // recurrent: the fused paths (tanh/sigmoid LSTM, tanh/relu SimpleRNN) and the step loop
  C(L('lstm', { units: 5, recurrentActivation: 'hardSigmoid', returnSequences: true }), [[6, 3]]),
  C(L('lstm', { units: 5, activation: 'relu', returnSequences: true, goBackwards: true }), [[6, 3]]),
  C(L('lstm', { units: 5, returnState: true }), [[6, 3]], { initialState: true }),
  C(L('lstm', { units: 5, activation: 'softsign', returnSequences: true, returnState: true }), [[6, 3]], {
    initialState: true,
  }),
  C(L('lstm', { units: 4, goBackwards: true }), [[6, 3]], { initialState: true }),
  C(L('gru', { units: 5, goBackwards: true, returnSequences: true }), [[6, 3]], { initialState: true }),
  C(L('gru', { units: 5, activation: 'relu', recurrentActivation: 'hardSigmoid' }), [[6, 3]]),
  // resetAfter false: TF.js's GRU (the default, true, is lstmc's GRUResetAfter and torch.gru for tanh/sigmoid)
  C(L('gru', { units: 5, resetAfter: false, goBackwards: true, returnSequences: true }), [[6, 3]], {
    initialState: true,
  }),
  C(L('gru', { units: 5, resetAfter: false, returnState: true }), [[6, 3]]),
  C(L('gru', { units: 4, resetAfter: false, useBias: false, activation: 'relu' }), [[6, 3]]),
  C(L('bidirectional', { mergeMode: 'sum' }, L('gru', { units: 3, resetAfter: false })), [[5, 2]]),
  C(L('gru', { units: 4, useBias: false, returnSequences: true }), [[6, 3]], { initialState: true }),
  C(L('simpleRNN', { units: 5, activation: 'relu', returnSequences: true }), [[6, 3]], { initialState: true }),
  C(L('simpleRNN', { units: 5, activation: 'linear', goBackwards: true, returnSequences: true }), [[6, 3]]),
  C(L('simpleRNN', { units: 5, useBias: false, returnState: true }), [[6, 3]], { initialState: true }),
  C(
    L('bidirectional', { mergeMode: 'concat' }, L('lstm', { units: 3, returnSequences: true, returnState: true })),
    [[5, 2]],
    { initialState: true },
  ),
  C(L('bidirectional', { mergeMode: 'ave' }, L('gru', { units: 3, returnState: true })), [[5, 2]], {
    initialState: true,
  }),
  C(L('bidirectional', { mergeMode: 'mul' }, L('lstm', { units: 3, goBackwards: true, returnSequences: true })), [
    [5, 2],
  ]),
  C(L('bidirectional', { mergeMode: 'sum' }, L('simpleRNN', { units: 3, activation: 'tanh' })), [[5, 2]], {
    initialState: true,
  }),
  // training mode without randomness: the same numbers as inference for RNNs, batch statistics for BN
  C(L('lstm', { units: 4, returnSequences: true }), [[5, 3]], { training: true }),
  C(L('gru', { units: 4, returnSequences: true }), [[5, 3]], { training: true }),
  C(L('batchNormalization'), [[5, 3]], { training: true }),
  C(L('batchNormalization', { axis: 1, momentum: 0.9 }), [[5, 3]], { training: true }),
  C(L('batchNormalization', { axis: 2, epsilon: 0.01 }), [[4, 3, 2]], { training: true }),
  C(L('timeDistributed', {}, L('batchNormalization', { momentum: 0.5 })), [[3, 4]], { training: true }),
  // TF `same` padding puts the odd pixel at the end
  C(L('conv1d', { filters: 2, kernelSize: 4, padding: 'same' }), [[7, 3]]),
  C(L('conv1d', { filters: 2, kernelSize: 2, padding: 'same', dilationRate: 3 }), [[7, 3]]),
  C(L('conv1d', { filters: 2, kernelSize: 3, padding: 'causal', activation: 'relu' }), [[7, 3]]),
  C(L('conv1d', { filters: 2, kernelSize: 3, padding: 'causal', strides: 2 }), [[8, 3]]),
  C(L('conv1d', { filters: 2, kernelSize: 2, padding: 'causal', dilationRate: 3, useBias: false }), [[7, 3]]),
  C(L('conv2d', { filters: 2, kernelSize: [2, 4], strides: [2, 3], padding: 'same', activation: 'tanh' }), [[7, 8, 2]]),
  C(L('conv2d', { filters: 2, kernelSize: [2, 2], dilationRate: 2, padding: 'same', useBias: false }), [[6, 5, 2]]),
  C(L('maxPooling1d', { poolSize: 2, strides: 1, padding: 'same' }), [[5, 2]]),
  C(L('averagePooling1d', { poolSize: 2, strides: 1, padding: 'same' }), [[5, 2]]),
  C(L('averagePooling1d', { poolSize: 3, strides: 2, padding: 'same' }), [[8, 2]]),
  C(L('maxPooling2d', { poolSize: [2, 3], strides: [1, 2], padding: 'same' }), [[5, 6, 2]]),
  C(L('averagePooling2d', { poolSize: [2, 3], strides: [1, 2], padding: 'same' }), [[5, 6, 2]]),
  C(L('averagePooling2d', { poolSize: 2, padding: 'same' }), [[5, 5, 1]]),
  // normalisation axes and ranks
  C(L('batchNormalization', { axis: 2 }), [[4, 3, 2]]),
  C(L('batchNormalization', { axis: 1 }), [[4, 3, 2]]),
  C(L('layerNormalization', { axis: 1, epsilon: 1e-5 }), [[4, 3]]),
  C(L('layerNormalization', { axis: 2, scale: false }), [[4, 3, 2]]),
  // indices given as floats are truncated as TF.js casts them
  C(L('embedding', { inputDim: 7, outputDim: 4 }), [[3, 2]]),
  // wrappers in wrappers, stateful inner layers
  C(
    L(
      'timeDistributed',
      {},
      L('bidirectional', { mergeMode: 'concat' }, L('gru', { units: 2, returnSequences: true })),
    ),
    [[3, 4, 2]],
  ),
  C(L('timeDistributed', {}, L('batchNormalization')), [[3, 4]]),
  C(L('timeDistributed', {}, L('reshape', { targetShape: [-1] })), [[3, 2, 2]]),
  // 3-D convolution / pooling: TF `same` padding with odd totals and strides; convLstm2d gate variants
  C(L('conv3d', { filters: 2, kernelSize: [2, 3, 4], strides: [2, 1, 3], padding: 'same', activation: 'tanh' }), [
    [5, 6, 7, 2],
  ]),
  C(L('conv3d', { filters: 2, kernelSize: 2, dilationRate: [1, 2, 2], padding: 'same' }), [[4, 5, 5, 1]]),
  C(L('maxPooling3d', { poolSize: [2, 3, 2], strides: [2, 2, 1], padding: 'same' }), [[5, 6, 5, 2]]),
  C(L('maxPooling3d', { poolSize: 2, strides: 1 }), [[3, 4, 4, 1]]),
  C(L('convLstm2d', { filters: 2, kernelSize: 3, recurrentActivation: 'hardSigmoid', returnSequences: true }), [
    [3, 6, 5, 2],
  ]),
  C(L('convLstm2d', { filters: 2, kernelSize: 2, padding: 'same', dilationRate: 2, activation: 'relu' }), [
    [3, 5, 5, 1],
  ]),
  C(L('convLstm2d', { filters: 2, kernelSize: [2, 3], useBias: false, goBackwards: true, returnSequences: true }), [
    [3, 5, 6, 1],
  ]),
  C(L('convLstm2d', { filters: 2, kernelSize: 3, padding: 'same', returnSequences: true }), [[3, 5, 5, 2]], {
    training: true,
  }),
  C(
    L(
      'bidirectional',
      { mergeMode: 'sum' },
      L('convLstm2d', { filters: 2, kernelSize: 3, returnState: true, returnSequences: true }),
    ),
    [[3, 5, 5, 1]],
  ),
];

/** Every layer of seeded random architectures, with the input shapes it has there. */
function randomCases(): Case[] {
  const r = rng(20250112);
  const out: Case[] = [];
  const models = [
    ...Array.from({ length: N_SEQUENTIAL }, (_, i) => randSequential(r, i)),
    ...Array.from({ length: N_FUNCTIONAL }, (_, i) => randFunctional(r, i)),
  ];
  for (const m of models) {
    for (const n of m.nodes) {
      const layer: IRLayer = { type: n.type, args: n.args, argSpans: {}, argParams: {}, span: n.span };
      if (n.inner) layer.inner = n.inner;
      out.push(C(layer, n.inputShapes, n.initialState ? { initialState: true } : {}));
    }
  }
  return out;
}

/**
 * tfjs-layers 4.22 bugs the PyTorch classes do not copy, because tfjs's result contradicts the
 * checked shapes (the PyTorch class computes the checked, Keras result). Such cases assert that
 * PyTorch gives the checked shapes and that tfjs still shows the bug: when tfjs (or the TF.js
 * lowering) is fixed, the case fails and this entry should go.
 */
const TFJS_BUGS: { why: string; applies(layer: IRLayer): boolean }[] = [
  // (concatenate's negative axes: fixed in the TF.js lowering, which now lowers the positive axis.)
];

/**
 * Layers tfjs-layers 4.22 runs but cannot differentiate (so `lstmc train` on tfjs cannot train them
 * either; PyTorch can). Their gradients are not compared; any other tfjs gradient failure is one.
 */
function tfjsCannotDifferentiate(inst: LayerInstance, inputs: readonly Shape[]): string | undefined {
  const a = inst.args;
  const rank = (inputs[0]?.length ?? 0) + 1;
  const dilated = (v: unknown) => (Array.isArray(v) ? v : [v]).some((d) => typeof d === 'number' && d > 1);
  if (['conv1d', 'conv2d', 'conv3d', 'convLstm2d'].includes(inst.def.name) && dilated(a.dilationRate)) {
    return 'no gradient for dilated convolutions';
  }
  if (
    (inst.def.name === 'batchNormalization' || inst.def.name === 'layerNormalization') &&
    (a.center === false || a.scale === false)
  ) {
    return 'normalization without beta or gamma (center/scale false) has no gradient';
  }
  if (inst.def.name === 'batchNormalization' && typeof a.axis === 'number' && a.axis !== -1 && a.axis !== rank - 1) {
    return 'batchNormalization on an axis other than the last has no gradient';
  }
  if (inst.inner) {
    const innerInputs = inst.def.lower.pytorch?.innerInputShapes?.(inst, inputs) ?? [];
    return tfjsCannotDifferentiate(inst.inner, innerInputs);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Preparing cases in tfjs
// ---------------------------------------------------------------------------------------------

const kindOf = (l: IRLayer): string => (l.inner ? `${l.type}(${kindOf(l.inner)})` : l.type);

interface Prepared {
  id: string;
  kind: string;
  source: string;
  py: PyCase;
  /** TF.js weight names relative to the layer, in `layer.weights` order. */
  names: string[];
  weights: WireArray[];
  tfOutputs: WireArray[];
  /** Training cases: the weights after the step (BN moving statistics). */
  tfWeightsAfter?: WireArray[];
  /** d(sum of all outputs)/d(weight) per trainable weight, in TF.js order; why not, when tfjs cannot. */
  tfGrads: WireArray[] | string;
  /** The checked output shapes, batch included. */
  checked: number[][];
  /** A known tfjs bug this case hits (see TFJS_BUGS). */
  tfjsBug?: string;
}

async function prepare(c: Case, id: string, source: string, r: Rng): Promise<Prepared | { skip: string }> {
  const inst = instanceOf(c.layer);
  if (!inst) return { skip: `${id}: not in the table` };
  const shapes = concretize(c.inputs);
  const res = inst.def.outputShapes(inst, shapes);
  if (!res.ok) return { skip: `${id}: ${res.error.key} with concrete sizes ${JSON.stringify(shapes)}` };
  const name = `l${id.replace(/\W/g, '_')}`;
  const layer = buildTfLayer(tfSpec(inst, res.shapes[0], name));
  try {
    const embedding = c.layer.type === 'embedding' ? Number(c.layer.args.inputDim) : 0;
    const xs = shapes.map((s) =>
      embedding > 0
        ? randomValues(r, [BATCH, ...s], () => Math.floor(r.next() * embedding) + (id.includes('extra') ? 0.7 : 0))
        : randomValues(r, [BATCH, ...s], () => normal(r)),
    );
    const states = c.initialState
      ? stateShapesOf(inst).map((s) => randomValues(r, [BATCH, ...(s as number[])], () => normal(r) * 0.5))
      : undefined;
    const input = xs.length === 1 ? xs[0]! : xs;
    const kwargs: Record<string, unknown> = states ? { initialState: states } : {};
    tf.dispose(layer.apply(input, { ...kwargs }) as tf.Tensor | tf.Tensor[]);
    const names = layer.weights.map((w) => {
      const prefix = `${layer.name}/`;
      return w.originalName.startsWith(prefix) ? w.originalName.slice(prefix.length) : w.originalName;
    });
    const values = layer.weights.map((w, i) => randomWeight(r, names[i]!, w.shape as number[]));
    layer.setWeights(values);
    const out = layer.apply(input, c.training ? { ...kwargs, training: true } : { ...kwargs }) as
      tf.Tensor | tf.Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    const weights = await Promise.all(values.map(wireOf));
    const tfWeightsAfter = c.training ? await Promise.all(layer.getWeights().map(wireOf)) : undefined;
    // (a training step of BN moves its statistics again here; they were read above)
    const vars = layer.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read());
    let tfGrads: WireArray[] | string = [];
    if (vars.length > 0) {
      try {
        const { grads } = tf.variableGrads(() => {
          const o = layer.apply(input, c.training ? { ...kwargs, training: true } : { ...kwargs }) as
            tf.Tensor | tf.Tensor[];
          return (Array.isArray(o) ? o : [o]).map((t) => tf.sum(t)).reduce((a, b) => tf.add(a, b)) as tf.Scalar;
        }, vars);
        tfGrads = await Promise.all(vars.map((v) => wireOf(grads[v.name]!)));
        tf.dispose(Object.values(grads));
      } catch (e) {
        const known = tfjsCannotDifferentiate(inst, shapes);
        if (!known) throw e;
        tfGrads = known;
      }
    }
    const prepared: Prepared = {
      id,
      kind: kindOf(c.layer),
      source,
      names,
      weights,
      tfGrads,
      checked: res.shapes.map((s) => [BATCH, ...(s as number[])]),
      ...(TFJS_BUGS.find((b) => b.applies(c.layer)) ? { tfjsBug: TFJS_BUGS.find((b) => b.applies(c.layer))!.why } : {}),
      tfOutputs: await Promise.all(outs.map(wireOf)),
      py: {
        id,
        kind: 'layer',
        spec: pySpec(inst, c.inputs, name, res.shapes[0]),
        weights,
        inputs: await Promise.all(xs.map(wireOf)),
        ...(states ? { initialState: await Promise.all(states.map(wireOf)) } : {}),
        ...(c.training ? { training: true } : {}),
      },
    };
    if (tfWeightsAfter) prepared.tfWeightsAfter = tfWeightsAfter;
    tf.dispose([...xs, ...(states ?? []), ...values, ...outs]);
    return prepared;
  } finally {
    layer.dispose();
  }
}

/** A model chain with masks: tfjs propagates an Embedding's maskZero mask; PyTorch via compute_mask. */
interface ChainCase {
  id: string;
  layers: IRLayer[];
  input: Shape;
  inputDim: number;
}

const CHAIN_CASES: ChainCase[] = [
  {
    id: 'mask:embedding-lstm',
    layers: [
      L('embedding', { inputDim: 6, outputDim: 3, maskZero: true }),
      L('lstm', { units: 4, returnSequences: true }),
    ],
    input: [7],
    inputDim: 6,
  },
  {
    id: 'mask:embedding-gru-dense',
    layers: [
      L('embedding', { inputDim: 6, outputDim: 3, maskZero: true }),
      L('gru', { units: 4, goBackwards: true }),
      L('dense', { units: 2 }),
    ],
    input: [7],
    inputDim: 6,
  },
  {
    id: 'mask:embedding-dropout-bidirectional-lstm',
    layers: [
      L('embedding', { inputDim: 6, outputDim: 3, maskZero: true }),
      L('dropout', { rate: 0.3 }),
      L('bidirectional', { mergeMode: 'concat' }, L('lstm', { units: 3, returnSequences: true })),
      L('simpleRNN', { units: 2 }),
    ],
    input: [7],
    inputDim: 6,
  },
];

interface PreparedChain {
  id: string;
  py: PyCase;
  tfOutput: WireArray;
}

async function prepareChain(c: ChainCase, r: Rng): Promise<PreparedChain> {
  const model = tf.sequential();
  const specs: PySpec[] = [];
  let shape: Shape = c.input;
  c.layers.forEach((l, i) => {
    const inst = instanceOf(l)!;
    const res = inst.def.outputShapes(inst, [shape]);
    if (!res.ok) throw new Error(`${c.id}: ${res.error.key}`);
    const spec = tfSpec(inst, res.shapes[0], `${c.id.replace(/\W/g, '_')}_${i}`);
    if (i === 0) spec.config.inputShape = shape;
    model.add(buildTfLayer(spec));
    specs.push(pySpec(inst, [shape], spec.config.name as string, res.shapes[0]));
    shape = res.shapes[0]!;
  });
  const weights: WireArray[][] = [];
  for (const layer of model.layers) {
    const values = layer.weights.map((w) => randomWeight(r, w.originalName, w.shape as number[]));
    layer.setWeights(values);
    weights.push(await Promise.all(values.map(wireOf)));
    tf.dispose(values);
  }
  // padded sequences: zeros (masked) at the end and in the middle
  const n = (c.input[0] as number) ?? 7;
  const rows = [
    [1, 2, 3, 4, 5, 0, 0].slice(0, n),
    [3, 0, 5, 1, 0, 2, 0].slice(0, n),
    [0, 0, 4, 4, 1, 5, 2].slice(0, n),
  ].map((row) => row.map((v) => Math.min(v, c.inputDim - 1)));
  const x = tf.tensor2d(rows, [rows.length, n], 'float32');
  const y = model.predict(x) as tf.Tensor;
  const out: PreparedChain = {
    id: c.id,
    tfOutput: await wireOf(y),
    py: { id: c.id, kind: 'chain', specs, weights, inputs: [await wireOf(x)] },
  };
  tf.dispose([x, y]);
  model.dispose();
  return out;
}

/** Initializers: the PyTorch layer starts like the TF.js one (names, shapes, distribution). */
const INIT_CASES: { id: string; layer: IRLayer; input: Shape }[] = [
  { id: 'init:lstm', layer: L('lstm', { units: 32 }), input: [5, 48] },
  { id: 'init:gru-glorotNormal', layer: L('gru', { units: 24, kernelInitializer: 'glorotNormal' }), input: [5, 40] },
  {
    id: 'init:dense-heUniform',
    layer: L('dense', { units: 64, kernelInitializer: 'heUniform', biasInitializer: 'ones' }),
    input: [96],
  },
  {
    id: 'init:dense-leCunNormal',
    layer: L('dense', { units: 64, kernelInitializer: 'leCunNormal', biasInitializer: 'zeros' }),
    input: [96],
  },
  {
    id: 'init:conv2d-heNormal',
    layer: L('conv2d', { filters: 16, kernelSize: 3, kernelInitializer: 'heNormal' }),
    input: [8, 8, 12],
  },
  { id: 'init:embedding', layer: L('embedding', { inputDim: 200, outputDim: 16 }), input: [5] },
  {
    id: 'init:embedding-truncatedNormal',
    layer: L('embedding', { inputDim: 200, outputDim: 16, embeddingsInitializer: 'truncatedNormal' }),
    input: [5],
  },
  {
    id: 'init:simpleRNN-randomNormal',
    layer: L('simpleRNN', { units: 40, kernelInitializer: 'randomNormal', recurrentInitializer: 'orthogonal' }),
    input: [5, 30],
  },
  { id: 'init:batchNormalization', layer: L('batchNormalization'), input: [5, 6] },
  { id: 'init:bidirectional-lstm', layer: L('bidirectional', {}, L('lstm', { units: 8 })), input: [5, 3] },
];

interface PreparedInit {
  id: string;
  py: PyCase;
  names: string[];
  tfWeights: { shape: number[]; values: Float32Array }[];
}

async function prepareInit(c: (typeof INIT_CASES)[number]): Promise<PreparedInit> {
  const inst = instanceOf(c.layer)!;
  const res = inst.def.outputShapes(inst, [c.input]);
  if (!res.ok) throw new Error(`${c.id}: ${res.error.key}`);
  const name = c.id.replace(/\W/g, '_');
  const layer = buildTfLayer(tfSpec(inst, res.shapes[0], name));
  const x = tf.zeros([1, ...(c.input as number[])]);
  tf.dispose(layer.apply(x) as tf.Tensor);
  const names = layer.weights.map((w) => w.originalName.slice(layer.name.length + 1));
  const tfWeights = await Promise.all(
    layer.getWeights().map(async (w) => ({ shape: w.shape, values: (await w.data()) as Float32Array })),
  );
  x.dispose();
  layer.dispose();
  return {
    id: c.id,
    names,
    tfWeights,
    py: { id: c.id, kind: 'init', spec: pySpec(inst, [c.input], name, res.shapes[0]) },
  };
}

/** Training-time randomness, compared in distribution (Python only; TF.js semantics in the comments). */
const STAT_CASES: { id: string; layer: IRLayer; input: number[]; fill: 'ones' | 'normal' }[] = [
  // tf.layers.dropout: kept values scaled by 1/(1 - rate), a fraction `rate` zeroed
  { id: 'stat:dropout', layer: L('dropout', { rate: 0.3 }), input: [400, 10], fill: 'ones' },
  // tf.layers.gaussianNoise: x + N(0, stddev²)
  { id: 'stat:gaussianNoise', layer: L('gaussianNoise', { stddev: 0.5 }), input: [400, 10], fill: 'ones' },
  // input dropout of a linear SimpleRNN is unbiased: the batch mean of training outputs is the inference output
  {
    id: 'stat:simpleRNN-dropout',
    layer: L('simpleRNN', { units: 3, activation: 'linear', dropout: 0.4, returnSequences: true }),
    input: [4000, 4, 2],
    fill: 'ones',
  },
  // LSTM with input and recurrent dropout takes the step loop in training: it must run and differ from inference
  {
    id: 'stat:lstm-dropout',
    layer: L('lstm', { units: 3, dropout: 0.5, recurrentDropout: 0.5 }),
    input: [50, 4, 2],
    fill: 'ones',
  },
  {
    id: 'stat:gru-dropout',
    layer: L('gru', { units: 3, dropout: 0.5, recurrentDropout: 0.5 }),
    input: [50, 4, 2],
    fill: 'ones',
  },
];

interface PreparedStat {
  id: string;
  py: PyCase;
  pyEval: PyCase;
}

async function prepareStat(c: (typeof STAT_CASES)[number], r: Rng): Promise<PreparedStat> {
  const inst = instanceOf(c.layer)!;
  const batchless = c.input.slice(1);
  const res = inst.def.outputShapes(inst, [batchless]);
  if (!res.ok) throw new Error(`${c.id}: ${res.error.key}`);
  const name = c.id.replace(/\W/g, '_');
  const layer = buildTfLayer(tfSpec(inst, res.shapes[0], name));
  tf.dispose(layer.apply(tf.zeros([1, ...batchless])) as tf.Tensor);
  const weights = await Promise.all(
    layer.weights.map(async (w) => {
      const t = randomWeight(r, w.originalName, w.shape as number[]);
      const out = await wireOf(t);
      t.dispose();
      return out;
    }),
  );
  layer.dispose();
  const x = c.fill === 'ones' ? tf.ones(c.input) : randomValues(r, c.input, () => normal(r));
  const base: PyCase = {
    id: c.id,
    kind: 'layer',
    spec: pySpec(inst, [batchless], name, res.shapes[0]),
    weights,
    inputs: [await wireOf(x)],
  };
  x.dispose();
  return { id: c.id, py: { ...base, training: true }, pyEval: { ...base, id: `${c.id}:eval` } };
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

const SKIP = skipWithoutTorch('PyTorch layer parity');

describe.skipIf(SKIP)('PyTorch layers (emit/pytorch/support.py) against tfjs-layers', () => {
  const prepared: Prepared[] = [];
  const skipped: string[] = [];
  const chains: PreparedChain[] = [];
  const inits: PreparedInit[] = [];
  const stats: PreparedStat[] = [];
  const results = new Map<string, PyResult>();
  let torchVersion = '';
  let pythonMs = 0;
  const origWarn = console.warn;

  beforeAll(async () => {
    const python = requireTorchPython();
    console.warn = (...a: unknown[]) => {
      if (typeof a[0] === 'string' && a[0].includes('Orthogonal initializer')) return;
      origWarn(...a);
    };
    await tf.setBackend('cpu');
    await tf.ready();
    const r = rng(7);
    const groups: [string, Case[]][] = [
      ['oracle', ORACLE_CASES],
      ['extra', EXTRA_CASES],
      ['random', randomCases()],
    ];
    for (const [source, cases] of groups) {
      for (let i = 0; i < cases.length; i++) {
        const p = await prepare(cases[i]!, `${source}${i}`, source, r);
        if ('skip' in p) skipped.push(p.skip);
        else prepared.push(p);
      }
    }
    for (const c of CHAIN_CASES) chains.push(await prepareChain(c, r));
    for (const c of INIT_CASES) inits.push(await prepareInit(c));
    for (const c of STAT_CASES) stats.push(await prepareStat(c, r));
    const cases: PyCase[] = [
      ...prepared.map((p) => p.py),
      ...chains.map((c) => c.py),
      ...inits.map((c) => c.py),
      ...stats.flatMap((s) => [s.py, s.pyEval]),
    ];
    const run = await runPythonJson<{ torch: string; results: PyResult[] }>(
      python,
      DRIVER,
      { support: SUPPORT, seed: 1234, cases },
      { timeoutMs: 300_000 },
    );
    torchVersion = run.result.torch;
    pythonMs = run.ms;
    for (const res of run.result.results) results.set(res.id, res);
  }, 300_000);

  afterAll(() => {
    console.warn = origWarn;
    tf.disposeVariables();
  });

  const resultOf = (id: string): PyResult => {
    const r = results.get(id);
    if (!r) throw new Error(`no Python result for ${id}`);
    if (r.error) throw new Error(`${id}: ${r.error}\n${r.trace ?? ''}`);
    return r;
  };

  it('every layer of the table has a PyTorch lowering, and every one is covered by parity cases', () => {
    const missing = [...LAYERS.values()].filter((d) => !d.lower.pytorch).map((d) => d.name);
    expect(missing).toEqual([]);
    const covered = new Set(prepared.flatMap((p) => p.kind.split(/[()]/).filter(Boolean)));
    expect([...LAYERS.keys()].filter((n) => !covered.has(n))).toEqual([]);
    for (const d of LAYERS.values()) {
      const wraps = d.args[d.main[0] ?? '']?.type.kind === 'layer';
      expect(Boolean(d.lower.pytorch?.innerInputShapes), `${d.name}: innerInputShapes exactly for wrappers`).toBe(
        wraps,
      );
    }
  });

  it('outputs agree within 1e-5, gradients too, and tfjs_weights() round-trips the weights under the TF.js names', () => {
    const perKind = new Map<string, { cases: number; max: number; grad: number }>();
    const failures: string[] = [];
    const knownBugs: string[] = [];
    const noTfGrads = new Set<string>();
    for (const p of prepared) {
      const res = results.get(p.id);
      const label = `${p.id} ${p.kind} ${JSON.stringify(p.py.spec?.config)} input ${JSON.stringify(p.py.spec?.input_shape)}`;
      if (!res || res.error) {
        failures.push(`${label}: ${res?.error ?? 'no result'}\n${res?.trace ?? ''}`);
        continue;
      }
      const problems: string[] = [];
      const outs = res.outputs ?? [];
      if (p.tfjsBug) {
        const pyShapes = JSON.stringify(outs.map((o) => o.shape));
        if (pyShapes !== JSON.stringify(p.checked))
          problems.push(`output shapes ${pyShapes}, checked ${JSON.stringify(p.checked)}`);
        if (JSON.stringify(p.tfOutputs.map((o) => o.shape)) === JSON.stringify(p.checked)) {
          problems.push(`tfjs no longer has the bug "${p.tfjsBug}": drop it from TFJS_BUGS`);
        }
        knownBugs.push(`${p.id} ${p.kind}: ${p.tfjsBug}`);
        if (problems.length) failures.push(`${label}: ${problems.join('; ')}`);
        continue;
      }
      if (outs.length !== p.tfOutputs.length) problems.push(`${outs.length} outputs, tfjs ${p.tfOutputs.length}`);
      let worst = 0;
      p.tfOutputs.forEach((t, i) => {
        const o = outs[i];
        if (!o) return;
        if (JSON.stringify(o.shape) !== JSON.stringify(t.shape)) {
          problems.push(`output ${i}: shape ${JSON.stringify(o.shape)}, tfjs ${JSON.stringify(t.shape)}`);
          return;
        }
        worst = Math.max(worst, maxAbsDiff(fromWire(o), fromWire(t)));
      });
      if (worst > TOLERANCE) problems.push(`max abs diff ${worst.toExponential(2)}`);
      const rt = res.roundTrip ?? [];
      const rtNames = rt.map((w) => w.name);
      if (JSON.stringify(rtNames) !== JSON.stringify(p.names))
        problems.push(`weight names ${JSON.stringify(rtNames)}, tfjs ${JSON.stringify(p.names)}`);
      p.weights.forEach((w, i) => {
        const back = rt[i];
        if (!back || back.data !== w.data || JSON.stringify(back.shape) !== JSON.stringify(w.shape)) {
          problems.push(
            `weight ${p.names[i]} does not round-trip (shape ${JSON.stringify(back?.shape)} vs ${JSON.stringify(w.shape)})`,
          );
        }
      });
      // gradients (what training in PyTorch follows): relative to the largest entry of each gradient
      let worstGrad = 0;
      const grads = res.grads ?? [];
      const tfGrads = typeof p.tfGrads === 'string' ? [] : p.tfGrads;
      if (typeof p.tfGrads === 'string') noTfGrads.add(`${p.kind}: ${p.tfGrads}`);
      else if (grads.length !== tfGrads.length) problems.push(`${grads.length} gradients, tfjs ${tfGrads.length}`);
      tfGrads.forEach((g, i) => {
        const pg = grads[i];
        if (!pg) return;
        const want = fromWire(g);
        const scale = Math.max(1, ...Array.from(want, Math.abs));
        worstGrad = Math.max(worstGrad, maxAbsDiff(fromWire(pg), want) / scale);
      });
      if (worstGrad > GRAD_TOLERANCE) problems.push(`gradient relative diff ${worstGrad.toExponential(2)}`);
      if (p.tfWeightsAfter) {
        // training step: BN moving statistics updated like tfjs
        p.tfWeightsAfter.forEach((w, i) => {
          const after = res.weightsAfter?.[i];
          const d = after ? maxAbsDiff(fromWire(after), fromWire(w)) : Infinity;
          if (d > TOLERANCE) problems.push(`weight ${p.names[i]} after a training step differs by ${d}`);
        });
      }
      if (problems.length) failures.push(`${label}: ${problems.join('; ')}`);
      const k = perKind.get(p.kind) ?? { cases: 0, max: 0, grad: 0 };
      k.cases++;
      k.max = Math.max(k.max, worst);
      k.grad = Math.max(k.grad, worstGrad);
      perKind.set(p.kind, k);
    }
    const rows = [...perKind.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    console.log(
      `PyTorch parity (torch ${torchVersion}, one Python run ${pythonMs} ms): ${prepared.length} layer cases` +
        ` (${skipped.length} random ones skipped: a symbolic size made them invalid), ${failures.length} failures\n` +
        rows
          .map(
            ([k, v]) =>
              `  ${k.padEnd(44)} ${String(v.cases).padStart(4)} cases  max |diff| ${v.max.toExponential(2)}  grads ${v.grad.toExponential(2)}`,
          )
          .join('\n') +
        (knownBugs.length
          ? `\n  known tfjs bugs (PyTorch follows the checked shapes):\n    ${knownBugs.join('\n    ')}`
          : '') +
        (noTfGrads.size
          ? `\n  gradients not compared (tfjs cannot differentiate):\n    ${[...noTfGrads].join('\n    ')}`
          : ''),
    );
    expect(failures.slice(0, 8).join('\n\n')).toBe('');
    expect(prepared.length).toBeGreaterThan(400);
    expect(skipped.length).toBeLessThan(prepared.length / 10);
  });

  it('masks from embedding(maskZero) reach recurrent layers as in tfjs (compute_mask + forward(mask=))', () => {
    for (const c of chains) {
      const res = resultOf(c.id);
      const o = res.outputs?.[0];
      expect(o?.shape, c.id).toEqual(c.tfOutput.shape);
      const d = maxAbsDiff(fromWire(o!), fromWire(c.tfOutput));
      expect(d, `${c.id}: max abs diff`).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('a PyTorch layer starts like the TF.js one: weight names, shapes and initializer statistics', () => {
    const stat = (v: Float32Array) => {
      let s = 0;
      let s2 = 0;
      let max = 0;
      for (const x of v) {
        s += x;
        s2 += x * x;
        max = Math.max(max, Math.abs(x));
      }
      const mean = s / v.length;
      return { mean, std: Math.sqrt(Math.max(0, s2 / v.length - mean * mean)), max };
    };
    for (const c of inits) {
      const res = resultOf(c.id);
      const py = res.weights ?? [];
      expect(
        py.map((w) => w.name),
        c.id,
      ).toEqual(c.names);
      c.tfWeights.forEach((t, i) => {
        const p = py[i]!;
        expect(p.shape, `${c.id} ${c.names[i]}`).toEqual(t.shape);
        const a = stat(fromWire(p));
        const b = stat(t.values);
        const what = `${c.id} ${c.names[i]}: torch mean ${a.mean.toFixed(4)} std ${a.std.toFixed(4)} max ${a.max.toFixed(4)}; tfjs mean ${b.mean.toFixed(4)} std ${b.std.toFixed(4)} max ${b.max.toFixed(4)}`;
        if (b.std === 0) {
          // constant initializers (zeros, ones, unit forget bias) are equal exactly
          expect(Array.from(fromWire(p)), what).toEqual(Array.from(t.values));
        } else {
          // Two independent samples of one distribution: bounds of 6 standard errors (a false alarm about
          // once in 10^9 runs), which still catch a wrong scale or a shifted mean on these sizes.
          const na = p.shape.reduce((x, y) => x * y, 1);
          const nb = t.values.length;
          expect(Math.abs(a.std / b.std - 1), what).toBeLessThan(6 * Math.sqrt(1 / (2 * na) + 1 / (2 * nb)));
          expect(Math.abs(a.mean - b.mean), what).toBeLessThan(
            6 * Math.sqrt((a.std * a.std) / na + (b.std * b.std) / nb),
          );
          expect(a.max, what).toBeLessThanOrEqual(b.max * 1.35);
        }
      });
    }
    // orthogonal recurrent kernels: the rows of the [units, 4·units] LSTM kernel are orthonormal
    const lstm = resultOf('init:lstm').weights!.find((w) => w.name === 'recurrent_kernel')!;
    const [rows, cols] = lstm.shape as [number, number];
    const v = fromWire(lstm);
    let worst = 0;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < rows; j++) {
        let dot = 0;
        for (let k = 0; k < cols; k++) dot += v[i * cols + k]! * v[j * cols + k]!;
        worst = Math.max(worst, Math.abs(dot - (i === j ? 1 : 0)));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('training-time randomness matches TF.js in distribution; inference is deterministic', () => {
    const out = (id: string) => fromWire(resultOf(id).outputs![0]!);
    // dropout: a fraction `rate` of zeros, the rest scaled by 1/(1 - rate); inference is the identity
    const d = out('stat:dropout');
    const zeros = d.filter((x) => x === 0).length / d.length;
    expect(Math.abs(zeros - 0.3)).toBeLessThan(0.03);
    expect(d.filter((x) => x !== 0).every((x) => Math.abs(x - 1 / 0.7) < 1e-6)).toBe(true);
    expect(out('stat:dropout:eval').every((x) => x === 1)).toBe(true);
    // gaussian noise: mean 1, stddev 0.5
    const g = out('stat:gaussianNoise');
    const mean = g.reduce((a, b) => a + b, 0) / g.length;
    const std = Math.sqrt(g.reduce((a, b) => a + (b - mean) ** 2, 0) / g.length);
    expect(Math.abs(mean - 1)).toBeLessThan(0.05);
    expect(Math.abs(std - 0.5)).toBeLessThan(0.05);
    expect(out('stat:gaussianNoise:eval').every((x) => x === 1)).toBe(true);
    // unbiased input dropout in a linear RNN: batch mean of training outputs ≈ the inference output
    const train = out('stat:simpleRNN-dropout');
    const evalOut = out('stat:simpleRNN-dropout:eval');
    const per = evalOut.length / 4000;
    for (let k = 0; k < per; k++) {
      let s = 0;
      for (let b = 0; b < 4000; b++) s += train[b * per + k]!;
      expect(Math.abs(s / 4000 - evalOut[k]!), `unit ${k}`).toBeLessThan(0.05 * Math.max(1, Math.abs(evalOut[k]!)));
    }
    for (const id of ['stat:lstm-dropout', 'stat:gru-dropout']) {
      const t = out(id);
      const e = out(`${id}:eval`);
      expect(t.every(Number.isFinite), id).toBe(true);
      expect(maxAbsDiff(t, e), `${id}: training differs from inference`).toBeGreaterThan(1e-3);
      // every row of the inference output is the same (one input repeated): no randomness at inference
      const w = e.length / 50;
      for (let b = 1; b < 50; b++) for (let k = 0; k < w; k++) expect(e[b * w + k]).toBe(e[k]);
    }
  });
});

describe('PyTorch parity suite: the interpreter', () => {
  it('is found, or the suite says why it skipped (and CI never skips)', () => {
    if (process.env.CI) expect(SKIP).toBe(false);
    if (!SKIP) expect(() => requireTorchPython()).not.toThrow();
  });
});
