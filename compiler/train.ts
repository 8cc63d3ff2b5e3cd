/**
 * The `train { }` and `data { }` blocks: validated against small tables (losses, optimizers and their
 * arguments, metrics; data sources from compiler/data-schema.ts), defaults filled, spans kept.
 * Pure; reports LSTM4xxx diagnostics and never throws.
 */
import type { Block, Span, Value } from '../grammar/ast.js';
import { dataShapes, detectSource, shapesCompatible } from './data-schema.js';
import { DiagnosticBag, Diagnostics } from '../base/diagnostics.js';
import { didYouMeanHint } from '../base/did-you-mean.js';
import type { ArgValue, IRData, IRInput, IRNode, IROptimizer, IRTrain, Shape } from './ir.js';
import { formatShape } from './layers/common.js';

/** Canonical TF.js loss names, and the aliases Keras users type. */
export const LOSSES: Readonly<Record<string, string>> = {
  meanSquaredError: 'meanSquaredError',
  mse: 'meanSquaredError',
  meanAbsoluteError: 'meanAbsoluteError',
  mae: 'meanAbsoluteError',
  meanAbsolutePercentageError: 'meanAbsolutePercentageError',
  mape: 'meanAbsolutePercentageError',
  meanSquaredLogarithmicError: 'meanSquaredLogarithmicError',
  msle: 'meanSquaredLogarithmicError',
  squaredHinge: 'squaredHinge',
  hinge: 'hinge',
  categoricalHinge: 'categoricalHinge',
  logcosh: 'logcosh',
  categoricalCrossentropy: 'categoricalCrossentropy',
  sparseCategoricalCrossentropy: 'sparseCategoricalCrossentropy',
  binaryCrossentropy: 'binaryCrossentropy',
  kullbackLeiblerDivergence: 'kullbackLeiblerDivergence',
  kld: 'kullbackLeiblerDivergence',
  poisson: 'poisson',
  cosineProximity: 'cosineProximity',
};

/**
 * Optimizers: the `tf.train.<factory>(...)` call each lowers to, with its positional parameters and
 * their defaults (classic Keras 2, where they differ from TF.js: epsilon 1e-7). The emitter prints
 * `optimizerCall()`'s result and the runtime calls it, so the two cannot drift.
 */
export const OPTIMIZER_TABLE: Readonly<Record<string, { factory: string; params: readonly { name: string; default: number | boolean }[] }>> = {
  sgd: { factory: 'sgd', params: [{ name: 'learningRate', default: 0.01 }] },
  momentum: { factory: 'momentum', params: [{ name: 'learningRate', default: 0.01 }, { name: 'momentum', default: 0.9 }, { name: 'useNesterov', default: false }] },
  adagrad: { factory: 'adagrad', params: [{ name: 'learningRate', default: 0.01 }, { name: 'initialAccumulatorValue', default: 0.1 }] },
  adadelta: { factory: 'adadelta', params: [{ name: 'learningRate', default: 1 }, { name: 'rho', default: 0.95 }, { name: 'epsilon', default: 1e-7 }] },
  adam: { factory: 'adam', params: [{ name: 'learningRate', default: 0.001 }, { name: 'beta1', default: 0.9 }, { name: 'beta2', default: 0.999 }, { name: 'epsilon', default: 1e-7 }] },
  adamax: { factory: 'adamax', params: [{ name: 'learningRate', default: 0.002 }, { name: 'beta1', default: 0.9 }, { name: 'beta2', default: 0.999 }, { name: 'epsilon', default: 1e-7 }, { name: 'decay', default: 0 }] },
  rmsprop: { factory: 'rmsprop', params: [{ name: 'learningRate', default: 0.001 }, { name: 'decay', default: 0.9 }, { name: 'momentum', default: 0 }, { name: 'epsilon', default: 1e-7 }, { name: 'centered', default: false }] },
};

/** Optimizers and the numeric arguments a spec may give each (derived from the table). */
export const OPTIMIZERS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(OPTIMIZER_TABLE).map(([k, v]) => [k, v.params.filter((p) => typeof p.default === 'number').map((p) => p.name)]),
);

/** The `tf.train.<factory>(...args)` call for a checked optimizer, every default explicit. */
export function optimizerCall(o: IROptimizer): { factory: string; args: (number | boolean)[] } {
  const def = OPTIMIZER_TABLE[o.name];
  if (!def) throw new Error(`optimizer ${o.name} is not in the table (the checker admits only table entries)`);
  return { factory: def.factory, args: def.params.map((p) => o.args[p.name] ?? p.default) };
}

/**
 * Metrics a spec may name, and the TF.js metric identifier each lowers to (`model.compile` accepts
 * exactly these strings: tfjs-layers' metricsMap plus its special `accuracy`/`acc`).
 */
export const METRIC_TABLE: Readonly<Record<string, string>> = {
  accuracy: 'accuracy',
  acc: 'accuracy',
  binaryAccuracy: 'binaryAccuracy',
  categoricalAccuracy: 'categoricalAccuracy',
  precision: 'precision',
  categoricalCrossentropy: 'categoricalCrossentropy',
  sparseCategoricalCrossentropy: 'sparseCategoricalCrossentropy',
  mse: 'mse',
  meanSquaredError: 'mse',
  mae: 'mae',
  meanAbsoluteError: 'mae',
  mape: 'mape',
  meanAbsolutePercentageError: 'mape',
  cosine: 'cosine',
  cosineProximity: 'cosine',
};

export const METRICS: readonly string[] = Object.keys(METRIC_TABLE);

const TRAIN_KEYS = ['loss', 'optimizer', 'metrics', 'epochs', 'batchSize', 'validationSplit', 'shuffle', 'clipNorm', 'clipValue', 'earlyStopping', 'seed'] as const;

type Resolve = (v: Value) => { value: number | string | boolean; param?: string } | undefined;

function describe(v: Value): string {
  switch (v.kind) {
    case 'int':
    case 'float':
      return v.raw;
    case 'string':
      return JSON.stringify(v.value);
    case 'bool':
      return String(v.value);
    case 'ident':
      return v.name;
    case 'unknown':
      return '?';
    case 'list':
      return 'a list';
    case 'call':
      return `${v.call.name}(...)`;
    case 'block':
      return 'a block';
  }
}

/** A scalar value, with params substituted. */
function scalar(v: Value, resolve: Resolve): number | string | boolean | undefined {
  switch (v.kind) {
    case 'int':
    case 'float':
      return Number.isFinite(v.value) ? v.value : undefined;
    case 'string':
      return v.value;
    case 'bool':
      return v.value;
    case 'ident':
      return resolve(v)?.value;
    default:
      return undefined;
  }
}

export function defaultTrain(): IRTrain {
  return {
    loss: 'meanSquaredError',
    optimizer: { name: 'adam', args: {} },
    metrics: [],
    epochs: 1,
    batchSize: 32,
    validationSplit: 0,
    shuffle: true,
    spans: {},
  };
}

export function lowerTrain(block: Block | undefined, span: Span, bag: DiagnosticBag, resolve: Resolve): IRTrain {
  const t = defaultTrain();
  if (!block) return t;
  const seen = new Set<string>();
  for (const e of block.entries) {
    if (seen.has(e.key)) {
      bag.add(Diagnostics.DuplicateArgument, e.keySpan, { name: e.key });
      continue;
    }
    seen.add(e.key);
    t.spans[e.key] = e.span;
    const v = e.value;
    const bad = (expected: string): void => {
      bag.add(Diagnostics.TrainValue, v.span, { key: e.key, expected, got: describe(v) });
    };
    const num = (min: number, opts: { int?: boolean; maxExclusive?: number; minExclusive?: boolean } = {}): number | undefined => {
      const x = scalar(v, resolve);
      const expected = `${opts.int ? 'an integer' : 'a number'} ${opts.minExclusive ? '>' : '≥'} ${min}${opts.maxExclusive !== undefined ? ` and < ${opts.maxExclusive}` : ''}`;
      if (typeof x !== 'number' || (opts.int && !Number.isInteger(x)) || (opts.minExclusive ? x <= min : x < min) || (opts.maxExclusive !== undefined && x >= opts.maxExclusive)) {
        bad(expected);
        return undefined;
      }
      return x;
    };
    switch (e.key) {
      case 'loss': {
        const x = scalar(v, resolve);
        if (typeof x !== 'string') {
          bad('a loss name, e.g. categoricalCrossentropy');
          break;
        }
        const canon = LOSSES[x];
        if (!canon) {
          bag.add(Diagnostics.UnknownLoss, v.span, { name: x }, didYouMeanHint(x, Object.keys(LOSSES)));
          break;
        }
        t.loss = canon;
        break;
      }
      case 'optimizer': {
        let name: string | undefined;
        const args: Record<string, number> = {};
        if (v.kind === 'call') {
          name = v.call.name;
          const allowed = OPTIMIZERS[name];
          if (!allowed) {
            bag.add(Diagnostics.UnknownOptimizer, v.call.nameSpan, { name }, didYouMeanHint(name, Object.keys(OPTIMIZERS)));
            break;
          }
          let positional = 0;
          for (const a of v.call.args) {
            const argName = a.name ?? (positional++ === 0 ? 'learningRate' : undefined);
            if (argName === undefined || !allowed.includes(argName)) {
              bag.add(Diagnostics.UnknownArgument, a.nameSpan ?? a.span, { what: 'Optimizer', layer: name, name: argName ?? '(positional)' }, didYouMeanHint(argName ?? '', allowed) ?? `${name} takes: ${allowed.join(', ')}.`);
              continue;
            }
            const x = scalar(a.value, resolve);
            if (typeof x !== 'number' || x < 0 || (argName === 'learningRate' && x <= 0)) {
              bag.add(Diagnostics.TrainValue, a.value.span, { key: `${name}.${argName}`, expected: argName === 'learningRate' ? 'a number > 0' : 'a number ≥ 0', got: describe(a.value) });
              continue;
            }
            args[argName] = x;
          }
        } else {
          const x = scalar(v, resolve);
          if (typeof x !== 'string') {
            bad('an optimizer name or call, e.g. adam or adam(learningRate: 0.001)');
            break;
          }
          name = x;
          if (!OPTIMIZERS[name]) {
            bag.add(Diagnostics.UnknownOptimizer, v.span, { name }, didYouMeanHint(name, Object.keys(OPTIMIZERS)));
            break;
          }
        }
        t.optimizer = { name, args };
        break;
      }
      case 'metrics': {
        const items = v.kind === 'list' ? v.items : [v];
        const out: string[] = [];
        for (const it of items) {
          const x = scalar(it, resolve);
          if (typeof x !== 'string') {
            bag.add(Diagnostics.TrainValue, it.span, { key: 'metrics', expected: 'metric names', got: describe(it) });
            continue;
          }
          if (!METRICS.includes(x)) {
            bag.add(Diagnostics.UnknownMetric, it.span, { name: x }, didYouMeanHint(x, METRICS) ?? `TF.js's model.compile knows: ${[...new Set(Object.values(METRIC_TABLE))].join(', ')}.`);
            continue;
          }
          out.push(METRIC_TABLE[x]!);
        }
        t.metrics = out;
        break;
      }
      case 'epochs': {
        const x = num(1, { int: true });
        if (x !== undefined) t.epochs = x;
        break;
      }
      case 'batchSize': {
        const x = num(1, { int: true });
        if (x !== undefined) t.batchSize = x;
        break;
      }
      case 'validationSplit': {
        const x = num(0, { maxExclusive: 1 });
        if (x !== undefined) t.validationSplit = x;
        break;
      }
      case 'shuffle': {
        const x = scalar(v, resolve);
        if (typeof x !== 'boolean') bad('true or false');
        else t.shuffle = x;
        break;
      }
      case 'clipNorm': {
        const x = num(0, { minExclusive: true });
        if (x !== undefined) t.clipNorm = x;
        break;
      }
      case 'clipValue': {
        const x = num(0, { minExclusive: true });
        if (x !== undefined) t.clipValue = x;
        break;
      }
      case 'seed': {
        const x = num(0, { int: true });
        if (x !== undefined) t.seed = x;
        break;
      }
      case 'earlyStopping': {
        const es = { patience: 0, monitor: 'val_loss', minDelta: 0 };
        if (v.kind === 'block') {
          for (const be of v.block.entries) {
            const x = scalar(be.value, resolve);
            if (be.key === 'patience') {
              if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) bag.add(Diagnostics.TrainValue, be.value.span, { key: 'earlyStopping.patience', expected: 'an integer ≥ 0', got: describe(be.value) });
              else es.patience = x;
            } else if (be.key === 'minDelta') {
              if (typeof x !== 'number' || x < 0) bag.add(Diagnostics.TrainValue, be.value.span, { key: 'earlyStopping.minDelta', expected: 'a number ≥ 0', got: describe(be.value) });
              else es.minDelta = x;
            } else if (be.key === 'monitor') {
              if (typeof x !== 'string' || !/^(val_)?[A-Za-z]+$/.test(x)) bag.add(Diagnostics.TrainValue, be.value.span, { key: 'earlyStopping.monitor', expected: 'a metric name such as val_loss or loss', got: describe(be.value) });
              else es.monitor = x;
            } else {
              bag.add(Diagnostics.UnknownTrainKey, be.keySpan, { key: be.key, block: 'earlyStopping' }, didYouMeanHint(be.key, ['patience', 'minDelta', 'monitor']));
            }
          }
        } else {
          const x = scalar(v, resolve);
          if (typeof x === 'number' && Number.isInteger(x) && x >= 0) es.patience = x;
          else if (x === true) es.patience = 3;
          else {
            bad('a block `earlyStopping { patience: 3 }` or a patience number');
            break;
          }
        }
        t.earlyStopping = es;
        break;
      }
      default:
        bag.add(Diagnostics.UnknownTrainKey, e.keySpan, { key: e.key, block: 'train' }, didYouMeanHint(e.key, TRAIN_KEYS) ?? `Known keys: ${TRAIN_KEYS.join(', ')}.`);
    }
  }
  if (t.clipNorm !== undefined && t.clipValue !== undefined) {
    bag.add(Diagnostics.ClipBoth, t.spans['clipValue'] ?? span);
  }
  return t;
}

function toArgValue(v: Value, resolve: Resolve): ArgValue | undefined {
  if (v.kind === 'list') {
    const out: ArgValue[] = [];
    for (const it of v.items) {
      const x = toArgValue(it, resolve);
      if (x === undefined) return undefined;
      out.push(x);
    }
    return out;
  }
  if (v.kind === 'unknown') return null;
  return scalar(v, resolve);
}

export function lowerData(
  block: Block,
  span: Span,
  bag: DiagnosticBag,
  resolve: Resolve,
  inputs: readonly IRInput[],
  outputShapes: readonly Shape[],
): IRData | undefined {
  const options: Record<string, ArgValue> = {};
  const spans: Record<string, Span> = {};
  let ok = true;
  for (const e of block.entries) {
    if (e.key in options) {
      bag.add(Diagnostics.DuplicateArgument, e.keySpan, { name: e.key });
      ok = false;
      continue;
    }
    const x = toArgValue(e.value, resolve);
    if (x === undefined) {
      bag.add(Diagnostics.DataConfig, e.value.span, { message: `Data key "${e.key}" has a value of the wrong kind (${describe(e.value)}).` });
      ok = false;
      continue;
    }
    options[e.key] = x;
    spans[e.key] = e.keySpan;
  }
  if (!ok) return undefined;
  const src = detectSource(Object.keys(options));
  if ('error' in src) {
    bag.add(Diagnostics.DataConfig, (src.key && spans[src.key]) || span, { message: src.error });
    return undefined;
  }
  const shapes = dataShapes(src.source, options);
  if ('error' in shapes) {
    const keySpan = shapes.key ? spans[shapes.key] : undefined;
    const known = /^Unknown key "([^"]+)"/.exec(shapes.error);
    if (known && keySpan) {
      bag.add(Diagnostics.UnknownTrainKey, keySpan, { key: known[1], block: 'data' }, extractHint(shapes.error));
    } else {
      bag.add(Diagnostics.DataConfig, keySpan ?? span, { message: shapes.error });
    }
    return undefined;
  }
  const data: IRData = { source: src.source, options, spans, span };
  // Shape mismatches point at the entry that names the source (`synthetic: echo`), not the whole block.
  const at = spans[src.source] ?? span;
  // Inputs: the data gives one input per model input.
  if (shapes.input.length === inputs.length) {
    shapes.input.forEach((s, i) => {
      const inp = inputs[i]!;
      if (!shapesCompatible(s, inp.shape)) {
        bag.add(Diagnostics.DataInputShape, at, { data: formatShape(s), name: inp.name, input: formatShape(inp.shape) }, `Declare \`input ${inp.name}: [${s.map((d) => d ?? '?').join(', ')}]\` or change the data options.`);
      }
    });
  }
  if (shapes.target.length === outputShapes.length) {
    shapes.target.forEach((s, i) => {
      const out = outputShapes[i]!;
      if (!shapesCompatible(s, out)) {
        let hint: string | undefined;
        if (out.length === s.length + 1) hint = 'The model outputs a sequence but the targets are one vector per example: remove `returnSequences: true` from the last recurrent layer, or drop timeDistributed.';
        else if (out.length + 1 === s.length) hint = 'The targets are sequences but the model outputs one vector per example: set `returnSequences: true` on the last recurrent layer and wrap the output layer in timeDistributed(...).';
        bag.add(Diagnostics.TargetShape, at, { target: formatShape(s), output: formatShape(out) }, hint);
      }
    });
  }
  return data;
}

function extractHint(msg: string): string | undefined {
  const m = /expected one of (.*)\.$/.exec(msg);
  return m ? `Known keys: ${m[1]}.` : undefined;
}

/** The activation applied last by a node (looking through timeDistributed / bidirectional). */
function finalActivation(node: IRNode | undefined): { activation: string; layer: string } | undefined {
  if (!node) return undefined;
  const inner = node.inner;
  const a = node.args['activation'] ?? inner?.args['activation'];
  if (typeof a === 'string') return { activation: a, layer: node.name };
  return undefined;
}

/** The loss that usually goes with an output activation (for hints). */
const FITTING_LOSS: Readonly<Record<string, string>> = {
  sigmoid: 'binaryCrossentropy',
  softmax: 'categoricalCrossentropy',
  linear: 'meanSquaredError',
};

export function checkLossAgainstOutputs(
  train: IRTrain,
  producers: readonly (IRNode | undefined)[],
  span: Span,
  bag: DiagnosticBag,
): void {
  const lossSpan = train.spans['loss'] ?? span;
  const want: Record<string, string> = {
    categoricalCrossentropy: 'softmax',
    sparseCategoricalCrossentropy: 'softmax',
    binaryCrossentropy: 'sigmoid',
  };
  const expected = want[train.loss];
  if (!expected || !train.spans['loss']) return;
  producers.forEach((p, i) => {
    const fa = finalActivation(p);
    if (!fa) return;
    if (fa.activation !== expected) {
      bag.add(
        Diagnostics.LossActivation,
        lossSpan,
        { loss: train.loss, expected: `a ${expected} output`, layer: fa.layer, activation: fa.activation },
        `Add \`activation: ${expected}\` to ${fa.layer} (line ${p!.span.line}), or pick a loss that fits a ${fa.activation} output${FITTING_LOSS[fa.activation] ? ` (${FITTING_LOSS[fa.activation]})` : ''}.`,
      );
    }
  });
}
