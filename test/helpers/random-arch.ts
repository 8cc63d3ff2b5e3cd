/**
 * Seeded random architectures (sequential chains and functional graphs with merges, residual
 * branches and initialState), valid by construction against the layer table. Shared by the layer
 * oracle (table vs tfjs) and the pipeline oracle (printed spec -> check -> summary vs tfjs).
 */
import type { ArgValue, IRLayer, IRModel, IRNode, Shape, ValueRef } from '../../compiler/ir.js';
import { instanceOf } from '../../compiler/layers/table.js';

export const span = { file: 'oracle.lstm', line: 1, column: 1, endLine: 1, endColumn: 2 };

export function L(type: string, args: Record<string, ArgValue> = {}, inner?: IRLayer): IRLayer {
  const a = { ...args };
  if (inner) a.layer = inner;
  const l: IRLayer = { type, args: a, argSpans: {}, argParams: {}, span };
  if (inner) l.inner = inner;
  return l;
}

/** mulberry32 */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    bool: (p = 0.5) => next() < p,
  };
}
export type Rng = ReturnType<typeof rng>;

/** xorshift32: uniform numbers in [-1, 1) (the oracle tests' weights and inputs). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 4294967296) * 2 - 1;
  };
}

const ACTS = [
  'linear',
  'relu',
  'tanh',
  'sigmoid',
  'softmax',
  'elu',
  'selu',
  'softplus',
  'hardSigmoid',
  'swish',
  'relu6',
];
const INITS = ['glorotUniform', 'glorotNormal', 'heNormal', 'leCunUniform', 'zeros', 'randomNormal', 'truncatedNormal'];

export function randRecurrent(r: Rng, opts: { returnSequences?: boolean; returnState?: boolean } = {}): IRLayer {
  const type = r.pick(['lstm', 'gru', 'simpleRNN']);
  const args: Record<string, ArgValue> = {
    units: r.int(1, 8),
    returnSequences: opts.returnSequences ?? r.bool(),
  };
  if (opts.returnState) args.returnState = true;
  if (r.bool(0.3)) args.activation = r.pick(ACTS);
  if (r.bool(0.3)) args.useBias = r.bool();
  if (r.bool(0.2)) args.goBackwards = true;
  if (r.bool(0.2)) args.dropout = 0.1;
  if (r.bool(0.2)) args.kernelInitializer = r.pick(INITS);
  if (type === 'lstm' && r.bool(0.2)) args.unitForgetBias = false;
  return L(type, args);
}

export function intOrList(r: Rng, rank: number, lo: number, hi: number): ArgValue {
  if (rank === 1) return r.bool() ? r.int(lo, hi) : [r.int(lo, hi)];
  return r.bool() ? r.int(lo, hi) : Array.from({ length: rank }, () => r.int(lo, hi));
}

/** A random layer (no merges) meant for an input of the given shape; may still be invalid. */
export function randLayer(r: Rng, x: Shape, depth = 0): IRLayer {
  const rank = x.length;
  const opts: (() => IRLayer)[] = [
    () =>
      L('dense', {
        units: r.int(1, 16),
        ...(r.bool(0.5) ? { activation: r.pick(ACTS) } : {}),
        ...(r.bool(0.2) ? { useBias: false } : {}),
      }),
    () => L('dropout', { rate: r.pick([0, 0.1, 0.5]) }),
    () => L('activation', { activation: r.pick(ACTS) }),
    () =>
      L(
        r.pick(['batchNormalization', 'layerNormalization']),
        r.bool(0.3) ? { axis: r.int(1, rank), center: r.bool() } : {},
      ),
    () => {
      const perm = Array.from({ length: rank }, (_, i) => i + 1).sort(() => r.next() - 0.5);
      return L('permute', { dims: perm });
    },
    () => {
      const total = x.every((d) => typeof d === 'number') ? (x as number[]).reduce((a, b) => a * b, 1) : 0;
      const divs = Array.from({ length: total }, (_, i) => i + 1).filter((d) => total % d === 0);
      if (divs.length === 0) return L('reshape', { targetShape: [-1] });
      const d = r.pick(divs);
      const shape = r.bool() ? [d, total / d] : [total];
      if (r.bool(0.5)) shape[r.int(0, shape.length - 1)] = -1;
      return L('reshape', { targetShape: shape });
    },
  ];
  if (rank === 1) opts.push(() => L('repeatVector', { n: r.int(1, 4) }));
  if (rank >= 2) opts.push(() => L('flatten'));
  if (rank === 2) {
    opts.push(
      () => randRecurrent(r),
      () => randRecurrent(r),
      () => L('bidirectional', { mergeMode: r.pick(['concat', 'sum', 'mul', 'ave']) }, randRecurrent(r)),
      () => {
        const strides = r.int(1, 2);
        return L('conv1d', {
          filters: r.int(1, 4),
          kernelSize: intOrList(r, 1, 1, 3),
          strides,
          padding: r.pick(['valid', 'same']),
          ...(strides === 1 && r.bool(0.3) ? { dilationRate: 2 } : {}),
          ...(r.bool(0.3) ? { activation: r.pick(ACTS) } : {}),
        });
      },
      () =>
        L(r.pick(['maxPooling1d', 'averagePooling1d']), {
          poolSize: intOrList(r, 1, 1, 3),
          ...(r.bool(0.3) ? { strides: r.int(1, 2) } : {}),
          padding: r.pick(['valid', 'same']),
        }),
      () => L(r.pick(['globalMaxPooling1d', 'globalAveragePooling1d'])),
    );
  }
  if (rank === 3) {
    opts.push(
      () =>
        L('conv2d', {
          filters: r.int(1, 4),
          kernelSize: intOrList(r, 2, 1, 3),
          strides: intOrList(r, 2, 1, 2),
          padding: r.pick(['valid', 'same']),
        }),
      () =>
        L(r.pick(['maxPooling2d', 'averagePooling2d']), {
          poolSize: intOrList(r, 2, 1, 3),
          padding: r.pick(['valid', 'same']),
        }),
      () => L(r.pick(['globalMaxPooling2d', 'globalAveragePooling2d'])),
    );
  }
  if (rank >= 2 && depth === 0) {
    const w = () => L('timeDistributed', {}, randLayer(r, x.slice(1), 1));
    opts.push(w, w);
  }
  return r.pick(opts)();
}

export function randShape(r: Rng): Shape {
  const rank = r.pick([1, 2, 2, 2, 3, 4]);
  const dims: Shape = Array.from({ length: rank }, () => r.int(1, rank >= 3 ? 8 : 12));
  if (rank >= 2 && r.bool(0.3)) dims[0] = r.pick(['T', null]);
  return dims;
}

export interface Value {
  ref: ValueRef;
  shape: Shape;
}

/** Try to append `layer` to the model being built; returns the node or undefined if invalid. */
export function tryNode(
  nodes: IRNode[],
  layer: IRLayer,
  inputs: Value[],
  initialState?: ValueRef[],
): IRNode | undefined {
  const inst = instanceOf(layer);
  if (!inst) throw new Error(`bad layer ${layer.type}`);
  const inShapes = inputs.map((v) => v.shape);
  const r = inst.def.outputShapes(inst, inShapes);
  if (!r.ok) return undefined;
  if (r.shapes.some((s) => s.some((d) => typeof d === 'number' && d > 4096))) return undefined;
  const params = inst.def.paramCount(inst, inShapes);
  if (params.trainable + params.nonTrainable > 100_000) return undefined;
  const name = `${layer.type}_${nodes.length + 1}`;
  const node: IRNode = {
    ...layer,
    name,
    inputs: inputs.map((v) => v.ref),
    inputShapes: inShapes,
    outputShapes: r.shapes,
    params,
  };
  if (initialState) node.initialState = initialState;
  nodes.push(node);
  return node;
}

const train = {
  loss: 'mse',
  optimizer: { name: 'adam', args: {} },
  metrics: [],
  epochs: 1,
  batchSize: 1,
  validationSplit: 0,
  shuffle: true,
  spans: {},
};

export function mkModel(
  name: string,
  kind: IRModel['kind'],
  inputs: { name: string; shape: Shape }[],
  nodes: IRNode[],
  outputs: ValueRef[],
): IRModel {
  const shapeOf = (r: ValueRef) => nodes.find((n) => n.name === r.node)!.outputShapes[r.index]!;
  return {
    name,
    file: 'oracle.lstm',
    span,
    kind,
    params: {},
    inputs: inputs.map((i) => ({ ...i, dimParams: i.shape.map(() => undefined), span })),
    nodes,
    outputs,
    outputShapes: outputs.map(shapeOf),
    train,
  };
}

export function randSequential(r: Rng, id: number): IRModel {
  for (;;) {
    const shape = randShape(r);
    const nodes: IRNode[] = [];
    let cur: Value = { ref: { node: 'x', index: 0 }, shape };
    const len = r.int(1, 6);
    if (shape.length === 1 && typeof shape[0] === 'number' && r.bool(0.2)) {
      tryNode(nodes, L('embedding', { inputDim: r.int(5, 50), outputDim: r.int(1, 8) }), [cur]);
      cur = { ref: { node: nodes[0]!.name, index: 0 }, shape: nodes[0]!.outputShapes[0]! };
    }
    for (let tries = 0; nodes.length < len && tries < 40; tries++) {
      const n = tryNode(nodes, randLayer(r, cur.shape), [cur]);
      if (n) cur = { ref: { node: n.name, index: 0 }, shape: n.outputShapes[0]! };
    }
    if (nodes.length === 0) continue;
    return mkModel(`Seq${id}`, 'sequential', [{ name: 'x', shape }], nodes, [cur.ref]);
  }
}

export function randFunctional(r: Rng, id: number): IRModel {
  for (;;) {
    const nodes: IRNode[] = [];
    const inputs: { name: string; shape: Shape }[] = [];
    const values: Value[] = [];
    const used = new Set<string>();
    const nIn = r.int(1, 2);
    const base = randShape(r);
    for (let i = 0; i < nIn; i++) {
      const s = i === 0 || r.bool() ? base.slice() : randShape(r);
      inputs.push({ name: `in${i}`, shape: s });
      values.push({ ref: { node: `in${i}`, index: 0 }, shape: s });
    }
    const steps = r.int(2, 7);
    for (let tries = 0; nodes.length < steps && tries < 60; tries++) {
      const roll = r.next();
      if (roll < 0.15) {
        // residual or sibling branch, then a merge: gives add/multiply/average equal shapes
        const from = r.pick(values);
        const branch = r.bool()
          ? L('dense', {
              units: (typeof from.shape[from.shape.length - 1] === 'number'
                ? from.shape[from.shape.length - 1]
                : 4) as number,
            })
          : L(r.pick(['dropout', 'activation', 'layerNormalization', 'batchNormalization']), {
              rate: 0.1,
              activation: 'tanh',
            });
        if (branch.type !== 'dropout') delete branch.args.rate;
        if (branch.type !== 'activation') delete branch.args.activation;
        const b = tryNode(nodes, branch, [from]);
        if (!b) continue;
        const bv = { ref: { node: b.name, index: 0 }, shape: b.outputShapes[0]! };
        const type = r.pick(['add', 'multiply', 'average', 'concatenate']);
        const m = tryNode(nodes, L(type), r.bool() ? [from, bv] : [bv, from]);
        if (m) {
          used.add(from.ref.node);
          used.add(b.name);
          values.push({ ref: { node: m.name, index: 0 }, shape: m.outputShapes[0]! });
        } else {
          used.add(from.ref.node);
          values.push(bv);
        }
      } else if (roll < 0.3 && values.length >= 2) {
        // merge two or three values
        const k = r.bool(0.8) ? 2 : 3;
        const picks = Array.from({ length: k }, () => r.pick(values));
        if (new Set(picks.map((p) => `${p.ref.node}:${p.ref.index}`)).size < k) continue;
        const type = r.pick(['concatenate', 'concatenate', 'add', 'multiply', 'average']);
        const args: Record<string, ArgValue> =
          type === 'concatenate' && r.bool(0.4) ? { axis: r.int(1, picks[0]!.shape.length) } : {};
        const n = tryNode(nodes, L(type, args), picks);
        if (n) {
          picks.forEach((p) => used.add(p.ref.node));
          values.push({ ref: { node: n.name, index: 0 }, shape: n.outputShapes[0]! });
        }
      } else if (roll < 0.42) {
        // encoder/decoder: recurrent with returnState feeding another recurrent's initialState
        const seqs = values.filter((v) => v.shape.length === 2 && typeof v.shape[1] === 'number');
        if (seqs.length === 0) continue;
        const enc = randRecurrent(r, { returnState: true });
        const src = r.pick(seqs);
        const e = tryNode(nodes, enc, [src]);
        if (!e) continue;
        used.add(src.ref.node);
        const nStates = e.outputShapes.length - 1;
        values.push({ ref: { node: e.name, index: 0 }, shape: e.outputShapes[0]! });
        const dec = L(enc.type, { units: enc.args.units!, returnSequences: r.bool() });
        const tgt = r.pick(seqs);
        const states = Array.from({ length: nStates }, (_, i) => ({ node: e.name, index: i + 1 }));
        const d = tryNode(nodes, dec, [tgt], states);
        if (d) {
          used.add(tgt.ref.node);
          values.push({ ref: { node: d.name, index: 0 }, shape: d.outputShapes[0]! });
        }
      } else {
        const from = r.pick(values);
        const n = tryNode(nodes, randLayer(r, from.shape), [from]);
        if (n) {
          used.add(from.ref.node);
          values.push({ ref: { node: n.name, index: 0 }, shape: n.outputShapes[0]! });
        }
      }
    }
    if (nodes.length === 0) continue;
    // every input must reach an output for tf.model: output the unused node values (and the last)
    const outs = values.filter((v) => !v.ref.node.startsWith('in') && !used.has(v.ref.node));
    if (inputs.some((i) => !used.has(i.name))) continue;
    const outputs = outs.length > 0 ? outs.map((v) => v.ref) : [values[values.length - 1]!.ref];
    return mkModel(`Fn${id}`, 'functional', inputs, nodes, outputs);
  }
}
