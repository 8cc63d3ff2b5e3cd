/**
 * What a checkpoint was trained as, so `lstmc train --resume` can refuse a spec that no longer matches
 * it: the architecture (every layer's TF.js config and wiring, the inputs), the optimizer with every
 * argument, the loss (per output, with its weights) and metrics, and the shapes of the data. Plain
 * JSON, stored in lstmc.json.
 *
 * `compareFingerprints` names each difference in the user's words ("layer lstm_1: units 16 in the
 * checkpoint, 17 in the spec"). Epochs, batch size and sample counts are not part of it: a resumed run
 * may change them.
 */
import type { TfModelSpec } from '../compiler/tfspec.js';
import { OPTIMIZER_TABLE } from '../compiler/train.js';
import type { DataInfo } from './data/types.js';

export interface RunFingerprint {
  version: 1;
  kind: TfModelSpec['kind'];
  inputs: { name: string; shape: (number | null)[] }[];
  layers: {
    name: string;
    /** The tf.layers factory. */
    type: string;
    /** The layer's config without its name. */
    config: Record<string, unknown>;
    /** Where its inputs (and initial states) come from, as `node[:index]`. */
    from: string[];
  }[];
  outputs: string[];
  optimizer: { name: string; args: Record<string, number | boolean> };
  loss: string;
  /** Per-output losses and weights (only when the spec gives them: older fingerprints lack both). */
  losses?: string[];
  lossWeights?: number[];
  metrics: string[];
  validationSplit: number;
  data: { inputShape: number[]; targetShape: number[] };
}

function ref(r: { node: string; index: number }): string {
  return r.index === 0 ? r.node : `${r.node}:${r.index}`;
}

/** The fingerprint of a model about to train on data of `info`'s shapes. */
export function runFingerprint(spec: TfModelSpec, info: Pick<DataInfo, 'inputShape' | 'targetShape'>): RunFingerprint {
  const o = spec.train.optimizer;
  const entry = Object.entries(OPTIMIZER_TABLE).find(([, d]) => d.factory === o.factory);
  const args: Record<string, number | boolean> = {};
  o.args.forEach((v, i) => (args[entry?.[1].params[i]?.name ?? `arg${i}`] = v));
  return {
    version: 1,
    kind: spec.kind,
    inputs: spec.inputs.map((i) => ({ name: i.name, shape: [...i.shape] })),
    layers: spec.nodes.map((n) => {
      // The name is the key; a first layer's inputShape repeats the model input (compared as such).
      const { name: _name, inputShape: _i, batchInputShape: _b, ...config } = n.spec.config as Record<string, unknown>;
      return {
        name: n.name,
        type: n.spec.factory,
        config: JSON.parse(JSON.stringify(config)) as Record<string, unknown>,
        from: [...n.inputs.map(ref), ...(n.initialState ?? []).map((r) => `initialState ${ref(r)}`)],
      };
    }),
    outputs: spec.outputs.map(ref),
    optimizer: { name: entry?.[0] ?? o.factory, args },
    loss: spec.train.loss,
    ...(spec.train.losses ? { losses: [...spec.train.losses] } : {}),
    ...(spec.train.lossWeights ? { lossWeights: [...spec.train.lossWeights] } : {}),
    metrics: [...spec.train.metrics],
    validationSplit: spec.train.validationSplit,
    data: { inputShape: [...info.inputShape], targetShape: [...info.targetShape] },
  };
}

function show(v: unknown): string {
  if (v === undefined) return '(none)';
  if (Array.isArray(v)) return `[${v.map((x) => (x === null ? 'None' : show(x))).join(', ')}]`;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * What changed from the checkpoint (`was`) to the spec (`now`), one phrase per difference, in order:
 * inputs, layers (added, removed, retyped, rewired, reconfigured), outputs, optimizer, loss, metrics,
 * data. Empty when they match.
 */
export function compareFingerprints(was: RunFingerprint, now: RunFingerprint): string[] {
  const out: string[] = [];
  const pair = (a: unknown, b: unknown) => `${show(a)} in the checkpoint, ${show(b)} in the spec`;
  const wasInputs = new Map(was.inputs.map((i) => [i.name, i]));
  for (const i of now.inputs) {
    const w = wasInputs.get(i.name);
    if (!w) out.push(`input ${i.name} is new in the spec`);
    else if (!same(w.shape, i.shape)) out.push(`input ${i.name}: shape ${pair(w.shape, i.shape)}`);
  }
  for (const w of was.inputs)
    if (!now.inputs.some((i) => i.name === w.name)) out.push(`input ${w.name} is in the checkpoint, not in the spec`);

  const wasLayers = new Map(was.layers.map((l) => [l.name, l]));
  const nowNames = new Set(now.layers.map((l) => l.name));
  for (const l of now.layers) {
    const w = wasLayers.get(l.name);
    if (!w) {
      out.push(`layer ${l.name} (${l.type}) is new in the spec`);
      continue;
    }
    if (w.type !== l.type) {
      out.push(`layer ${l.name}: a ${w.type} in the checkpoint, a ${l.type} in the spec`);
      continue;
    }
    if (!same(w.from, l.from)) out.push(`layer ${l.name}: input ${pair(w.from.join(', '), l.from.join(', '))}`);
    const keys = [...new Set([...Object.keys(w.config), ...Object.keys(l.config)])];
    for (const k of keys) {
      if (!same(w.config[k], l.config[k])) out.push(`layer ${l.name}: ${k} ${pair(w.config[k], l.config[k])}`);
    }
  }
  for (const w of was.layers)
    if (!nowNames.has(w.name)) out.push(`layer ${w.name} (${w.type}) is in the checkpoint, not in the spec`);
  if (!same(was.outputs, now.outputs)) out.push(`outputs: ${pair(was.outputs.join(', '), now.outputs.join(', '))}`);

  if (was.optimizer.name !== now.optimizer.name) {
    out.push(`optimizer: ${pair(was.optimizer.name, now.optimizer.name)}`);
  } else {
    for (const k of [...new Set([...Object.keys(was.optimizer.args), ...Object.keys(now.optimizer.args)])]) {
      if (!same(was.optimizer.args[k], now.optimizer.args[k]))
        out.push(`optimizer ${now.optimizer.name}: ${k} ${pair(was.optimizer.args[k], now.optimizer.args[k])}`);
    }
  }
  // One loss for every output is the per-output list [loss, loss, ...] (and no weights are all 1s).
  const nOut = now.outputs.length;
  const losses = (f: RunFingerprint) => f.losses ?? Array.from({ length: f.outputs.length }, () => f.loss);
  const weights = (f: RunFingerprint) => f.lossWeights ?? Array.from({ length: f.outputs.length }, () => 1);
  if (!same(losses(was), losses(now)))
    out.push(
      nOut === 1 && was.outputs.length === 1
        ? `loss: ${pair(losses(was)[0], losses(now)[0])}`
        : `loss: ${pair(losses(was), losses(now))}`,
    );
  if (!same(weights(was), weights(now))) out.push(`lossWeights: ${pair(weights(was), weights(now))}`);
  if (!same(was.metrics, now.metrics)) out.push(`metrics: ${pair(was.metrics, now.metrics)}`);
  if (was.validationSplit !== now.validationSplit)
    out.push(`validationSplit: ${pair(was.validationSplit, now.validationSplit)}`);
  if (!same(was.data.inputShape, now.data.inputShape))
    out.push(`data inputs: shape ${pair(was.data.inputShape, now.data.inputShape).replace('in the spec', 'now')}`);
  if (!same(was.data.targetShape, now.data.targetShape))
    out.push(`data targets: shape ${pair(was.data.targetShape, now.data.targetShape).replace('in the spec', 'now')}`);
  return out;
}
