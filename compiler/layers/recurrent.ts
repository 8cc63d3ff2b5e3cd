/**
 * Recurrent layers: lstm, gru, simpleRNN, and the bidirectional wrapper.
 *
 * Keras 2 defaults that differ from TF.js and are therefore always lowered explicitly:
 * - `recurrentActivation: 'sigmoid'` (tfjs LSTM/GRU default to `hardSigmoid`);
 * - `unitForgetBias: true` for LSTM (tfjs leaves it undefined, i.e. false).
 * GRU `resetAfter` defaults to true (Keras 2 / tf.keras 2): the reset gate applies after the recurrent matmul and
 * the bias has two rows, 3u(f+u+2) parameters. TF.js 4.22 implements only `resetAfter: false`, so a reset-after GRU
 * lowers to lstmc's own class (runtime/layers/gru.ts, `lstmcLayers.gruResetAfter`); `resetAfter: false` lowers to
 * `tf.layers.gru` (3u(f+u+1) parameters).
 */
import type { Shape } from '../ir.js';
import type { ArgSpec, LayerDef, LayerInstance, ShapeResult, TfLayerSpec } from './types.js';
import {
  activationArg,
  arg,
  boolArg,
  boolT,
  configFromArgs,
  defineLayer,
  expectKnown,
  expectRank,
  fail,
  initArg,
  mergeModeT,
  nameArg,
  numArg,
  ok,
  rateT,
  single,
  strArg,
  trainable,
  unitsArg,
  wrapperSpec,
} from './common.js';

export const RECURRENT_HINT =
  'A recurrent layer reads a sequence [batch, timesteps, features]; if the previous layer is recurrent, give it `returnSequences: true`.';

function recurrentArgs(opts: { unitForgetBias?: boolean; states: readonly string[] }): Record<string, ArgSpec> {
  const args: Record<string, ArgSpec> = {
    units: unitsArg('units (size of the hidden state)'),
    activation: activationArg('tanh', 'Activation of the candidate / output'),
  };
  // LSTM and GRU have a recurrent activation; simpleRNN does not (removed by the caller).
  args.recurrentActivation = activationArg('sigmoid', 'Activation of the gates');
  args.useBias = arg(boolT, 'Whether the layer uses a bias vector.', { default: true });
  args.kernelInitializer = initArg('glorotUniform', 'the input kernel');
  args.recurrentInitializer = initArg('orthogonal', 'the recurrent kernel');
  args.biasInitializer = initArg('zeros', 'the bias');
  if (opts.unitForgetBias) {
    args.unitForgetBias = arg(boolT, 'Add 1 to the forget-gate bias at initialisation (Keras 2 default true).', {
      default: true,
    });
  }
  args.dropout = arg(rateT, 'Fraction of the input units to drop.', { default: 0 });
  args.recurrentDropout = arg(rateT, 'Fraction of the recurrent units to drop.', { default: 0 });
  args.returnSequences = arg(boolT, 'Return the full sequence [timesteps, units] instead of the last output.', {
    default: false,
  });
  args.returnState = arg(
    boolT,
    `Also return the final state${opts.states.length > 1 ? 's' : ''}: \`let [out, ${opts.states.join(', ')}] = ...\`.`,
    {
      default: false,
    },
  );
  args.goBackwards = arg(boolT, 'Process the sequence backwards and return the reversed sequence.', { default: false });
  // No schema default (false, as in Keras and TF.js): lowered only when given, so configs stay as before.
  args.stateful = arg(
    boolT,
    'Keep the final states of each batch as the initial states of the next (sample i continues sample i); needs a declared batch size: `input x: [1, 1] batch 25`. Default false.',
  );
  args.name = nameArg();
  args.initialState = arg({ kind: 'valueRefs' }, 'Graph form: the initial state(s), e.g. `[h, c]` for an LSTM.', {
    tf: false,
  });
  return args;
}

/** The states a recurrent layer takes (`initialState`) and returns (`returnState`), in order. */
export function stateShapesOf(inst: LayerInstance): Shape[] {
  return inst.def.stateShapes?.(inst) ?? [];
}

interface CellInfo {
  name: 'lstm' | 'gru' | 'simpleRNN';
  className: string;
  /** Gate blocks in the kernel (lstm 4: i, f, c, o; gru 3: z, r, h; simpleRNN 1). */
  gates: number;
  /** Recurrent states (lstm 2: h, c; gru and simpleRNN 1: h). */
  states: number;
  doc: string;
  notes?: readonly string[];
  kernels: readonly string[];
  /** Bias rows (GRU resetAfter: 2, input and recurrent bias; else 1). */
  biasRows?: (inst: LayerInstance) => number;
  /** Extra schema arguments of this cell, inserted after `useBias`. */
  extraArgs?: Record<string, ArgSpec>;
  /** The TF.js lowering, when not `tf.layers.<name>(configFromArgs)`. */
  tfjsSpec?: (inst: LayerInstance) => TfLayerSpec;
  lstmcClasses?: readonly string[];
}

function recurrent(cell: CellInfo): LayerDef {
  const { name, className, gates, states: nStates } = cell;
  const stateNames = nStates === 2 ? ['h', 'c'] : ['h'];
  const args = recurrentArgs({ unitForgetBias: name === 'lstm' ? true : undefined, states: stateNames });
  if (name === 'simpleRNN') delete args.recurrentActivation;
  if (name !== 'lstm') delete args.unitForgetBias;
  if (cell.extraArgs) {
    // After useBias, in schema order (docs, printer, completion).
    const entries = Object.entries(args);
    const at = entries.findIndex(([k]) => k === 'useBias') + 1;
    entries.splice(at, 0, ...Object.entries(cell.extraArgs));
    for (const k of Object.keys(args)) delete args[k];
    for (const [k, v] of entries) args[k] = v;
  }
  return defineLayer({
    name,
    className,
    pytorch: { className },
    category: 'recurrent',
    doc: cell.doc,
    shapeDoc: '[T, F] -> [units]; [T, units] with returnSequences; plus one [units] per state with returnState',
    ...(cell.notes ? { notes: cell.notes } : {}),
    readsSequence: true,
    tfjs: {
      kernels: cell.kernels,
      ...(cell.tfjsSpec ? { spec: cell.tfjsSpec } : {}),
      ...(cell.lstmcClasses ? { lstmcClasses: cell.lstmcClasses } : {}),
    },
    main: ['units'],
    args,
    stateNames,
    // Masked steps keep the states and repeat the previous output; the mask goes on with the sequence only.
    masking: (inst) => ({
      supports: true,
      reads: true,
      output: boolArg(inst, 'returnSequences', false) ? 'carry' : 'none',
      reverses: boolArg(inst, 'goBackwards', false) && boolArg(inst, 'returnSequences', false),
    }),
    stateShapes: (inst) => Array.from({ length: nStates }, () => [numArg(inst, 'units', 1)]),
    outputCount: (inst) => (boolArg(inst, 'returnState', false) ? 1 + nStates : 1),
    outputShapes(inst: LayerInstance, inputs: readonly Shape[]): ShapeResult {
      const s = single(name, inputs);
      if ('error' in s) return s.error;
      const x = s.shape;
      const r = expectRank(name, x, 2, '[batch, timesteps, features]', RECURRENT_HINT);
      if (r) return r;
      const k = expectKnown(name, x, -1, 'last (features)');
      if (k) return k;
      const units = numArg(inst, 'units', 1);
      const out: Shape = boolArg(inst, 'returnSequences', false) ? [x[0] ?? null, units] : [units];
      const shapes: Shape[] = [out];
      if (boolArg(inst, 'returnState', false)) for (let i = 0; i < nStates; i++) shapes.push([units]);
      return ok(...shapes);
    },
    paramCount(inst, inputs) {
      const f = inputs[0]?.[inputs[0].length - 1];
      const features = typeof f === 'number' ? f : 0;
      const u = numArg(inst, 'units', 1);
      const bias = boolArg(inst, 'useBias', true) ? u * (cell.biasRows?.(inst) ?? 1) : 0;
      return trainable(gates * (u * (features + u) + bias));
    },
  });
}

const KERAS2_GATES =
  'recurrentActivation defaults to sigmoid (Keras 2); TF.js would default to hardSigmoid. Always lowered explicitly.';

export const lstm = recurrent({
  name: 'lstm',
  className: 'LSTM',
  gates: 4,
  states: 2,
  doc: 'Long short-term memory: reads a sequence step by step with input, forget and output gates; states [h, c].',
  notes: [KERAS2_GATES, 'unitForgetBias defaults to true (Keras 2); TF.js leaves it off. Always lowered explicitly.'],
  kernels: ['BatchMatMul', 'Sigmoid', 'Tanh'],
});
export const gru = recurrent({
  name: 'gru',
  className: 'GRU',
  gates: 3,
  states: 1,
  doc: 'Gated recurrent unit: update and reset gates, one state h.',
  notes: [
    KERAS2_GATES,
    '**resetAfter defaults to true (the tf.keras 2 default)**: the reset gate multiplies the recurrent product, and the bias has two rows (input and recurrent), so parameters are 3·units·(features + units + 2), e.g. 4,608 for gru(32) on 14 features (4,641 with a dense(1) head). TF.js has no reset-after GRU, so it runs on lstmc’s own class (GRUResetAfter); Keras weights load 1:1.',
    'resetAfter: false is TF.js’s GRU (the reset gate applied to h before the matmul, one bias): 3·units·(features + units + 1) parameters, 4,512 for gru(32) on 14 features (4,545 with a dense(1) head). Models saved by lstmc before resetAfter existed, and TF.js model.json GRUs, are this kind.',
  ],
  kernels: ['BatchMatMul', 'Sigmoid', 'Tanh'],
  extraArgs: {
    resetAfter: arg(
      boolT,
      'Apply the reset gate after the recurrent matmul, with separate input and recurrent biases (Keras 2 default true; false is TF.js’s GRU).',
      { default: true },
    ),
  },
  biasRows: (inst) => (boolArg(inst, 'resetAfter', true) ? 2 : 1),
  tfjsSpec: (inst) =>
    boolArg(inst, 'resetAfter', true)
      ? { factory: 'gruResetAfter', module: 'lstmc', config: configFromArgs(inst) }
      : { factory: 'gru', config: configFromArgs(inst) },
  lstmcClasses: ['GRUResetAfter'],
});
export const simpleRNN = recurrent({
  name: 'simpleRNN',
  className: 'SimpleRNN',
  gates: 1,
  states: 1,
  doc: 'A fully connected recurrent layer: h = activation(x · kernel + h · recurrentKernel + bias).',
  kernels: ['BatchMatMul', 'Tanh'],
});

export const bidirectional: LayerDef = defineLayer({
  name: 'bidirectional',
  className: 'Bidirectional',
  pytorch: {
    className: 'Bidirectional',
    // The forward and backward copies read the wrapper's input.
    innerInputShapes: (_inst, inputShapes) => inputShapes.map((s) => s.slice()),
  },
  category: 'wrapper',
  doc: 'Runs a recurrent layer forwards and a copy backwards over the sequence and merges the two outputs.',
  shapeDoc:
    '[T, F] -> [2·units] with concat, [units] otherwise (per step with returnSequences); states forward then backward',
  notes: ['mergeMode uses the TF.js spelling: concat, sum, mul, ave.'],
  readsSequence: true,
  tfjs: { spec: wrapperSpec('bidirectional') },
  main: ['layer'],
  args: {
    layer: arg(
      { kind: 'layer' },
      'The recurrent layer to run forwards and backwards (lstm, gru, simpleRNN, convLstm2d).',
      {
        required: true,
        tf: false,
      },
    ),
    mergeMode: arg(mergeModeT, 'How the two directions are combined: concat (doubles the units), sum, mul, ave.', {
      default: 'concat',
    }),
    name: nameArg(),
    initialState: arg(
      { kind: 'valueRefs' },
      'Graph form: the initial states, forward ones then backward ones (e.g. `[hf, cf, hb, cb]`).',
      { tf: false },
    ),
  },
  canWrap: (inner) => inner.category === 'recurrent',
  wrapHint: 'bidirectional wraps a recurrent layer: lstm, gru, simpleRNN or convLstm2d.',
  // Both directions get the mask: what the wrapped layer refuses (convLstm2d's mask of frames), this refuses.
  masking: (inst) => {
    const refuses = inst.inner?.def.masking?.(inst.inner).refuses;
    return {
      supports: true,
      reads: true,
      output: inst.inner && boolArg(inst.inner, 'returnSequences', false) ? 'carry' : 'none',
      ...(refuses !== undefined ? { refuses } : {}),
    };
  },
  stateShapes(inst) {
    const states = inst.inner ? stateShapesOf(inst.inner) : [];
    return [...states, ...states.map((s) => s.slice())];
  },
  outputCount(inst) {
    const inner = inst.inner;
    if (!inner) return 1;
    return boolArg(inner, 'returnState', false) ? 1 + 2 * stateShapesOf(inner).length : 1;
  },
  outputShapes(inst, inputs): ShapeResult {
    const inner = inst.inner;
    if (!inner || inner.def.category !== 'recurrent') {
      return fail('NotAWrapper', { layer: 'bidirectional', inner: inner?.def.name ?? 'nothing' });
    }
    // The wrapped layer starts from the wrapper's initial states: its shape rule sees them.
    const given = inst.args.initialState;
    const r = inner.def.outputShapes(
      given === undefined ? inner : { ...inner, args: { ...inner.args, initialState: given } },
      inputs,
    );
    if (!r.ok) return r;
    const [out, ...states] = r.shapes;
    if (!out) return ok();
    const merged: Shape = out.slice();
    if (strArg(inst, 'mergeMode', 'concat') === 'concat') {
      const last = merged[merged.length - 1];
      merged[merged.length - 1] = typeof last === 'number' ? last * 2 : null;
    }
    return ok(merged, ...states.map((s) => s.slice()), ...states.map((s) => s.slice()));
  },
  paramCount(inst, inputs) {
    const inner = inst.inner;
    if (!inner) return trainable(0);
    const p = inner.def.paramCount(inner, inputs);
    return { trainable: 2 * p.trainable, nonTrainable: 2 * p.nonTrainable };
  },
});
