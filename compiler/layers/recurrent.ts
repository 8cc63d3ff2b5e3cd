/**
 * Recurrent layers: lstm, gru, simpleRNN, and the bidirectional wrapper.
 *
 * Keras 2 defaults that differ from TF.js and are therefore always lowered explicitly:
 * - `recurrentActivation: 'sigmoid'` (tfjs LSTM/GRU default to `hardSigmoid`);
 * - `unitForgetBias: true` for LSTM (tfjs leaves it undefined, i.e. false).
 * TF.js GRU only implements `resetAfter: false` (Keras 2 defaults to true, which adds a second
 * recurrent bias): the schema has no `resetAfter`, and parameter counts are TF.js's, 3u(f+u+1).
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
} from './common.js';

export const RECURRENT_HINT =
  'A recurrent layer reads a sequence [batch, timesteps, features]; if the previous layer is recurrent, give it `returnSequences: true`.';

function recurrentArgs(opts: { unitForgetBias?: boolean }): Record<string, ArgSpec> {
  const args: Record<string, ArgSpec> = {
    units: unitsArg('units (size of the hidden state)'),
    activation: activationArg('tanh', 'Activation of the candidate / output'),
  };
  // LSTM and GRU have a recurrent activation; simpleRNN does not (removed by the caller).
  args.recurrentActivation = activationArg('sigmoid', 'Activation of the gates (Keras 2 default; TF.js would use hardSigmoid)');
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
  args.returnState = arg(boolT, 'Also return the final state(s): `let [out, h, c] = ...`.', { default: false });
  args.goBackwards = arg(boolT, 'Process the sequence backwards and return the reversed sequence.', { default: false });
  args.name = nameArg();
  args.initialState = arg({ kind: 'valueRefs' }, 'Graph form: the initial state(s), e.g. `[h, c]` for an LSTM.', {
    tf: false,
  });
  return args;
}

/** Number of recurrent states of a recurrent layer type. */
export function stateCount(layer: string): number {
  return layer === 'lstm' ? 2 : 1;
}

function recurrent(name: 'lstm' | 'gru' | 'simpleRNN', className: string, gates: number): LayerDef {
  const args = recurrentArgs({ unitForgetBias: name === 'lstm' ? true : undefined });
  if (name === 'simpleRNN') delete args.recurrentActivation;
  if (name !== 'lstm') delete args.unitForgetBias;
  const nStates = stateCount(name);
  return defineLayer({
    name,
    className,
    category: 'recurrent',
    main: ['units'],
    args,
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
      const bias = boolArg(inst, 'useBias', true) ? u : 0;
      return trainable(gates * (u * (features + u) + bias));
    },
  });
}

export const lstm = recurrent('lstm', 'LSTM', 4);
export const gru = recurrent('gru', 'GRU', 3);
export const simpleRNN = recurrent('simpleRNN', 'SimpleRNN', 1);

const RECURRENT = new Set(['lstm', 'gru', 'simpleRNN']);

export const bidirectional: LayerDef = defineLayer({
  name: 'bidirectional',
  className: 'Bidirectional',
  category: 'wrapper',
  main: ['layer'],
  args: {
    layer: arg({ kind: 'layer' }, 'The recurrent layer to run forwards and backwards (lstm, gru, simpleRNN).', {
      required: true,
      tf: false,
    }),
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
  canWrap: (inner) => RECURRENT.has(inner.name),
  outputCount(inst) {
    const inner = inst.inner;
    if (!inner) return 1;
    return boolArg(inner, 'returnState', false) ? 1 + 2 * stateCount(inner.def.name) : 1;
  },
  outputShapes(inst, inputs): ShapeResult {
    const inner = inst.inner;
    if (!inner || !RECURRENT.has(inner.def.name)) {
      return fail('NotAWrapper', { layer: 'bidirectional', inner: inner?.def.name ?? 'nothing' });
    }
    const r = inner.def.outputShapes(inner, inputs);
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
  tfSpec(inst): TfLayerSpec {
    const spec: TfLayerSpec = { factory: 'bidirectional', config: configFromArgs(inst) };
    if (inst.inner) spec.inner = inst.inner.def.tfSpec(inst.inner);
    return spec;
  },
});
