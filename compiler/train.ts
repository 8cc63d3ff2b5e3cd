/**
 * The train table (losses, metrics, optimizers with their Keras 2 defaults) and the `train { }`
 * block's schema, bound by the one binder (compiler/bind.ts). Both back ends read the table: the
 * emitter prints `optimizerCall()`, the runtime calls it. Pure; reports LSTM4xxx and never throws.
 */
import { Diagnostics, replaceFix, type DiagnosticBag } from '../base/diagnostics.js';
import { didYouMeanFixes, didYouMeanHint } from '../base/did-you-mean.js';
import type { Span } from '../base/span.js';
import type { Block, Value } from '../grammar/ast.js';
import {
  bindFields,
  blockEntries,
  unknownFieldHint,
  unknownFieldSuggestion,
  type BindIssue,
  type Entry,
  type Scope,
} from './bind.js';
import type { IROptimizer, IRPerOutput, IRTrain } from './ir.js';
import { checkValue, expectedWithRange, type FieldSpec, type Schema, type ValueType } from './schema.js';

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
export const OPTIMIZER_TABLE: Readonly<
  Record<string, { factory: string; params: readonly { name: string; default: number | boolean }[] }>
> = {
  sgd: { factory: 'sgd', params: [{ name: 'learningRate', default: 0.01 }] },
  momentum: {
    factory: 'momentum',
    params: [
      { name: 'learningRate', default: 0.01 },
      { name: 'momentum', default: 0.9 },
      { name: 'useNesterov', default: false },
    ],
  },
  adagrad: {
    factory: 'adagrad',
    params: [
      { name: 'learningRate', default: 0.01 },
      { name: 'initialAccumulatorValue', default: 0.1 },
    ],
  },
  adadelta: {
    factory: 'adadelta',
    params: [
      { name: 'learningRate', default: 1 },
      { name: 'rho', default: 0.95 },
      { name: 'epsilon', default: 1e-7 },
    ],
  },
  adam: {
    factory: 'adam',
    params: [
      { name: 'learningRate', default: 0.001 },
      { name: 'beta1', default: 0.9 },
      { name: 'beta2', default: 0.999 },
      { name: 'epsilon', default: 1e-7 },
    ],
  },
  adamax: {
    factory: 'adamax',
    params: [
      { name: 'learningRate', default: 0.002 },
      { name: 'beta1', default: 0.9 },
      { name: 'beta2', default: 0.999 },
      { name: 'epsilon', default: 1e-7 },
      { name: 'decay', default: 0 },
    ],
  },
  rmsprop: {
    factory: 'rmsprop',
    params: [
      { name: 'learningRate', default: 0.001 },
      { name: 'decay', default: 0.9 },
      { name: 'momentum', default: 0 },
      { name: 'epsilon', default: 1e-7 },
      { name: 'centered', default: false },
    ],
  },
};

/** Optimizers and the numeric arguments a spec may give each (derived from the table). */
export const OPTIMIZERS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(OPTIMIZER_TABLE).map(([k, v]) => [
    k,
    v.params.filter((p) => typeof p.default === 'number').map((p) => p.name),
  ]),
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

const canonicalLosses = [...new Set(Object.values(LOSSES))];
const lossT: ValueType = {
  kind: 'enum',
  what: 'loss',
  values: canonicalLosses,
  aliases: Object.fromEntries(Object.entries(LOSSES).filter(([k, v]) => k !== v)),
};
const metricT: Extract<ValueType, { kind: 'enum' }> = {
  kind: 'enum',
  what: 'metric',
  values: [...new Set(Object.values(METRIC_TABLE))],
  aliases: Object.fromEntries(Object.entries(METRIC_TABLE).filter(([k, v]) => k !== v)),
};
const positive: ValueType = { kind: 'float', min: 0, minExclusive: true };

/** The keys of `train { }`: types, ranges and defaults (defaultTrain), documented for docs/. */
export const TRAIN_SCHEMA: Schema = {
  fields: {
    loss: {
      type: { kind: 'custom', expected: 'a loss name, a list of losses (one per output) or a map by output name' },
      default: 'meanSquaredError',
      doc: 'The loss (TF.js name or Keras alias: mse, mae, ...); for several outputs, a list in output order or a map by output name.',
    },
    lossWeights: {
      type: { kind: 'custom', expected: 'a list of numbers ≥ 0 (one per output) or a map by output name' },
      doc: 'Weights of the per-output losses (Keras loss_weights): the total loss is their weighted sum.',
    },
    optimizer: {
      type: { kind: 'custom', expected: 'an optimizer name or call, e.g. adam or adam(learningRate: 0.001)' },
      default: 'adam',
      doc: `The optimizer: ${Object.keys(OPTIMIZER_TABLE).join(', ')}; a call sets its arguments.`,
    },
    metrics: { type: { kind: 'custom', expected: 'metric names' }, doc: 'Metrics reported while training.' },
    epochs: { type: { kind: 'int', min: 1 }, default: 1, doc: 'Passes over the training data.' },
    batchSize: { type: { kind: 'int', min: 1 }, default: 32, doc: 'Examples per gradient step.' },
    validationSplit: {
      type: { kind: 'float', min: 0, max: 1, maxExclusive: true },
      default: 0,
      doc: 'Fraction of the training data held out for validation.',
    },
    shuffle: { type: { kind: 'bool' }, default: true, doc: 'Shuffle the examples every epoch.' },
    clipNorm: { type: positive, doc: 'Clip each gradient tensor to this L2 norm (Keras clipnorm).' },
    clipValue: { type: positive, doc: 'Clip gradients element-wise to [-clipValue, clipValue].' },
    earlyStopping: {
      type: { kind: 'custom', expected: 'a block `earlyStopping { patience: 3 }` or a patience number' },
      doc: 'Stop when the monitored value stops improving.',
    },
    seed: { type: { kind: 'int', min: 0 }, doc: 'Seed for weight initialisation and shuffling (exact resume).' },
  },
};

/** The keys of `earlyStopping { }`. */
export const EARLY_STOPPING_SCHEMA: Schema = {
  fields: {
    patience: { type: { kind: 'int', min: 0 }, default: 0, doc: 'Epochs without improvement before stopping.' },
    minDelta: {
      type: { kind: 'float', min: 0 },
      default: 0,
      doc: 'The smallest change that counts as an improvement.',
    },
    monitor: {
      type: { kind: 'string' },
      default: 'val_loss',
      doc: 'The value watched: loss, val_loss, or a metric (val_ prefix for validation).',
    },
  },
};

/** The arguments an optimizer call takes (its numeric parameters; the first is positional). */
export function optimizerSchema(name: string): Schema | undefined {
  const def = OPTIMIZER_TABLE[name];
  if (!def) return undefined;
  const fields: Record<string, FieldSpec> = {};
  for (const p of def.params) {
    if (typeof p.default !== 'number') continue;
    fields[p.name] = {
      type: p.name === 'learningRate' ? positive : { kind: 'float', min: 0 },
      default: p.default,
      doc: `${p.name} (default ${p.default}).`,
    };
  }
  return { fields, main: ['learningRate'] };
}

/** A value as written, for "got ..." in train and data messages. */
export function describeWritten(v: Value): string {
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

/** A binder issue in a `train`-like block as LSTM4004/4005 (and 2006, 2010) say it. */
export function reportBlockIssue(
  bag: DiagnosticBag,
  block: string,
  i: BindIssue,
  format: Scope['format'],
  keyPrefix = '',
): void {
  switch (i.kind) {
    case 'unknown':
      bag.add(
        Diagnostics.UnknownTrainKey,
        i.span,
        { key: i.name, block },
        i.hint,
        i.suggestion !== undefined ? [replaceFix(i.span, i.name, i.suggestion)] : undefined,
      );
      return;
    case 'duplicate':
      bag.add(Diagnostics.DuplicateArgument, i.span, { name: i.name });
      return;
    case 'undefinedParam':
      bag.add(
        Diagnostics.UndefinedParam,
        i.span,
        { name: i.name },
        i.hint ??
          (i.dollar
            ? `Declare it with ${format === 'yaml' ? `\`params: {${i.name}: ...}\`` : `\`param ${i.name} = ...\``}.`
            : `${keyPrefix}${i.field} must be ${expectedWithRange(i.type)}; \`${i.name}\` is not a declared param.`),
      );
      return;
    case 'value': {
      const expected = i.problem.problem === 'enum' ? `one of ${i.problem.values.join(', ')}` : expectedFor(i);
      const got =
        i.resolved?.param !== undefined
          ? `${i.resolved.param} = ${JSON.stringify(i.resolved.value)}`
          : describeWritten(i.value);
      bag.add(Diagnostics.TrainValue, i.span, { key: `${keyPrefix}${i.name}`, expected, got });
      return;
    }
    case 'positional':
    case 'missing':
      // Blocks have no positional or required keys; callers with those handle them.
      return;
  }
}

function expectedFor(i: Extract<BindIssue, { kind: 'value' }>): string {
  return i.problem.problem === 'length' ? i.problem.expected : expectedWithRange(i.type);
}

export function lowerTrain(block: Block | undefined, span: Span, bag: DiagnosticBag, scope: Scope): IRTrain {
  const t = defaultTrain();
  if (!block) return t;
  const bound = bindFields(TRAIN_SCHEMA, blockEntries(block.entries), scope, (i) => reportTrainIssue(bag, i, scope), {
    defaults: false,
    noun: 'Keys',
    special: (name, _spec, v) => {
      if (name === 'optimizer') {
        const o = lowerOptimizer(v, bag, scope);
        if (o) t.optimizer = o;
        return o ? o.name : undefined;
      }
      if (name === 'metrics') {
        t.metrics = lowerMetrics(v, bag, scope);
        return t.metrics;
      }
      if (name === 'loss') {
        const l = lowerLoss(v, bag, scope);
        if (typeof l === 'string') t.loss = l;
        else if (l) t.losses = l;
        return l === undefined ? undefined : typeof l === 'string' ? l : l.values;
      }
      if (name === 'lossWeights') {
        const w = lowerLossWeights(v, bag, scope);
        if (w) t.lossWeights = w;
        return w?.values;
      }
      const es = lowerEarlyStopping(v, bag, scope);
      if (es) t.earlyStopping = es;
      return es ? es.patience : undefined;
    },
  });
  for (const e of block.entries) t.spans[e.key] ??= e.span;
  const v = bound.values;
  if (typeof v.epochs === 'number') t.epochs = v.epochs;
  if (typeof v.batchSize === 'number') t.batchSize = v.batchSize;
  if (typeof v.validationSplit === 'number') t.validationSplit = v.validationSplit;
  if (typeof v.shuffle === 'boolean') t.shuffle = v.shuffle;
  if (typeof v.clipNorm === 'number') t.clipNorm = v.clipNorm;
  if (typeof v.clipValue === 'number') t.clipValue = v.clipValue;
  if (typeof v.seed === 'number') t.seed = v.seed;
  return t;
}

function reportTrainIssue(bag: DiagnosticBag, i: BindIssue, scope: Scope): void {
  reportBlockIssue(bag, 'train', i, scope.format);
}

function lowerOptimizer(v: Value, bag: DiagnosticBag, scope: Scope): IROptimizer | undefined {
  if (v.kind === 'call') {
    const name = v.call.name;
    const schema = optimizerSchema(name);
    if (!schema) {
      bag.add(
        Diagnostics.UnknownOptimizer,
        v.call.nameSpan,
        { name },
        didYouMeanHint(name, Object.keys(OPTIMIZER_TABLE)),
        didYouMeanFixes(v.call.nameSpan, name, Object.keys(OPTIMIZER_TABLE)),
      );
      return undefined;
    }
    const entries: Entry[] = v.call.args.map((a) => {
      const e: Entry = { value: a.value, span: a.span };
      if (a.name !== undefined) e.name = a.name;
      if (a.nameSpan !== undefined) e.nameSpan = a.nameSpan;
      return e;
    });
    const allowed = Object.keys(schema.fields);
    const bound = bindFields(
      schema,
      entries,
      scope,
      (i) => {
        if (i.kind === 'unknown' || i.kind === 'positional') {
          const argName = i.kind === 'unknown' ? i.name : '(positional)';
          const hint =
            (i.kind === 'unknown' ? unknownFieldHint(i.name, allowed, scope.format) : undefined) ??
            `${name} takes: ${allowed.join(', ')}.`;
          const to = i.kind === 'unknown' ? unknownFieldSuggestion(i.name, allowed) : undefined;
          bag.add(
            Diagnostics.UnknownArgument,
            i.span,
            { what: 'Optimizer', layer: name, name: argName },
            hint,
            to !== undefined ? [replaceFix(i.span, argName, to)] : undefined,
          );
        } else reportBlockIssue(bag, 'train', i, scope.format, `${name}.`);
      },
      { defaults: false },
    );
    // Only what the spec gave: the table's defaults are applied by optimizerCall.
    return { name, args: bound.values as Record<string, number> };
  }
  // A name as the loss reads one: a `$param` that is not declared is LSTM2010, not an unknown optimizer.
  const x = nameValue(v, bag, scope);
  if (x === 'poisoned') return undefined;
  if (x === undefined) {
    bag.add(Diagnostics.TrainValue, v.span, {
      key: 'optimizer',
      expected: 'an optimizer name or call, e.g. adam or adam(learningRate: 0.001)',
      got: describeWritten(v),
    });
    return undefined;
  }
  if (!OPTIMIZER_TABLE[x]) {
    bag.add(
      Diagnostics.UnknownOptimizer,
      v.span,
      { name: x },
      didYouMeanHint(x, Object.keys(OPTIMIZER_TABLE)),
      didYouMeanFixes(v.span, x, Object.keys(OPTIMIZER_TABLE)),
    );
    return undefined;
  }
  return { name: x, args: {} };
}

/** Metrics one by one, so each bad name is reported where it is and the good ones are kept. */
function lowerMetrics(v: Value, bag: DiagnosticBag, scope: Scope): string[] {
  const items = v.kind === 'list' ? v.items : [v];
  const out: string[] = [];
  for (const it of items) {
    const x =
      it.kind === 'ident' ? (scope.param(it.name, it.span) ?? it.name) : it.kind === 'string' ? it.value : undefined;
    if (x === 'poisoned') continue;
    if (typeof x !== 'string') {
      bag.add(Diagnostics.TrainValue, it.span, { key: 'metrics', expected: 'metric names', got: describeWritten(it) });
      continue;
    }
    const c = checkValue(metricT, x);
    if (!c.ok) {
      const known = [...metricT.values];
      bag.add(
        Diagnostics.UnknownMetric,
        it.span,
        { name: x },
        didYouMeanHint(x, [...known, ...Object.keys(metricT.aliases ?? {})]) ??
          `TF.js's model.compile knows: ${known.join(', ')}.`,
        didYouMeanFixes(it.span, x, [...known, ...Object.keys(metricT.aliases ?? {})]),
      );
      continue;
    }
    out.push(c.value as string);
  }
  return out;
}

function lowerEarlyStopping(v: Value, bag: DiagnosticBag, scope: Scope): IRTrain['earlyStopping'] {
  if (v.kind === 'block') {
    const b = bindFields(
      EARLY_STOPPING_SCHEMA,
      blockEntries(v.block.entries),
      scope,
      (i) => reportBlockIssue(bag, 'earlyStopping', i, scope.format, 'earlyStopping.'),
      {
        noun: 'Keys',
      },
    );
    const monitor = b.values.monitor as string;
    if (!/^(val_)?[A-Za-z]+$/.test(monitor)) {
      bag.add(Diagnostics.TrainValue, b.spans.monitor ?? v.span, {
        key: 'earlyStopping.monitor',
        expected: 'a metric name such as val_loss or loss',
        got: JSON.stringify(monitor),
      });
      return undefined;
    }
    return { patience: b.values.patience as number, monitor, minDelta: b.values.minDelta as number };
  }
  const x =
    v.kind === 'int' || v.kind === 'float'
      ? v.value
      : v.kind === 'bool'
        ? v.value
        : v.kind === 'ident'
          ? scope.param(v.name, v.span)
          : undefined;
  if (typeof x === 'number' && Number.isInteger(x) && x >= 0) return { patience: x, monitor: 'val_loss', minDelta: 0 };
  if (x === true) return { patience: 3, monitor: 'val_loss', minDelta: 0 };
  if (x !== 'poisoned') {
    bag.add(Diagnostics.TrainValue, v.span, {
      key: 'earlyStopping',
      expected: 'a block `earlyStopping { patience: 3 }` or a patience number',
      got: describeWritten(v),
    });
  }
  return undefined;
}

// ------------------------------------------------------------------ per-output losses and weights

/** A name-like value (identifier, string or a param holding a string); 'poisoned' after a reported param error. */
function nameValue(v: Value, bag: DiagnosticBag, scope: Scope): string | 'poisoned' | undefined {
  if (v.kind === 'ident') {
    const p = scope.param(v.name, v.span);
    if (p === 'poisoned') return 'poisoned';
    if (p === undefined && v.dollar) {
      bag.add(Diagnostics.UndefinedParam, v.span, { name: v.name });
      return 'poisoned';
    }
    if (p === undefined) return v.name;
    return typeof p === 'string' ? p : undefined;
  }
  return v.kind === 'string' ? v.value : undefined;
}

/** One loss name, checked against the table (LSTM4001 with did-you-mean; LSTM4005 for a non-name). */
function oneLoss(v: Value, key: string, bag: DiagnosticBag, scope: Scope): string | undefined {
  const x = nameValue(v, bag, scope);
  if (x === 'poisoned') return undefined;
  if (x === undefined) {
    bag.add(Diagnostics.TrainValue, v.span, {
      key,
      expected: 'a loss name, e.g. categoricalCrossentropy',
      got: describeWritten(v),
    });
    return undefined;
  }
  const c = checkValue(lossT, x);
  if (!c.ok) {
    bag.add(
      Diagnostics.UnknownLoss,
      v.span,
      { name: x },
      didYouMeanHint(x, Object.keys(LOSSES)),
      didYouMeanFixes(v.span, x, Object.keys(LOSSES)),
    );
    return undefined;
  }
  return c.value as string;
}

/**
 * Items of a per-output value: a list (in output order) or a map `{name: value}` by output name. Each
 * item is lowered by `one`; a map key given twice is LSTM2006. Undefined when anything was reported.
 */
function perOutputValue<T>(
  v: Value,
  key: string,
  bag: DiagnosticBag,
  one: (item: Value, itemKey: string) => T | undefined,
): IRPerOutput<T> | undefined {
  const out: IRPerOutput<T> = {
    by: v.kind === 'block' ? 'map' : 'list',
    values: [],
    names: [],
    spans: [],
    span: v.span,
  };
  let ok = true;
  if (v.kind === 'list') {
    v.items.forEach((it, i) => {
      const x = one(it, `${key}[${i}]`);
      if (x === undefined) ok = false;
      else {
        out.values.push(x);
        out.spans.push(it.span);
      }
    });
  } else if (v.kind === 'block') {
    for (const e of v.block.entries) {
      if (out.names.includes(e.key)) {
        bag.add(Diagnostics.DuplicateArgument, e.keySpan, { name: e.key });
        ok = false;
        continue;
      }
      const x = one(e.value, `${key}.${e.key}`);
      if (x === undefined) ok = false;
      else {
        out.values.push(x);
        out.names.push(e.key);
        out.spans.push(e.span);
      }
    }
  } else return undefined;
  return ok ? out : undefined;
}

/** `loss`: one name for every output, or per-output losses (a list or a map by output name). */
function lowerLoss(v: Value, bag: DiagnosticBag, scope: Scope): string | IRPerOutput<string> | undefined {
  if (v.kind === 'list' || v.kind === 'block')
    return perOutputValue(v, 'loss', bag, (it, k) => oneLoss(it, k, bag, scope));
  return oneLoss(v, 'loss', bag, scope);
}

/** `lossWeights`: numbers ≥ 0, a list in output order or a map by output name. */
function lowerLossWeights(v: Value, bag: DiagnosticBag, scope: Scope): IRPerOutput<number> | undefined {
  const expected = 'a list of numbers ≥ 0 (one per output) or a map by output name';
  if (v.kind !== 'list' && v.kind !== 'block') {
    bag.add(Diagnostics.TrainValue, v.span, { key: 'lossWeights', expected, got: describeWritten(v) });
    return undefined;
  }
  return perOutputValue(v, 'lossWeights', bag, (it, k) => {
    const p = it.kind === 'ident' ? scope.param(it.name, it.span) : undefined;
    if (p === 'poisoned') return undefined;
    const x = it.kind === 'int' || it.kind === 'float' ? it.value : p;
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) {
      bag.add(Diagnostics.TrainValue, it.span, {
        key: k,
        expected: 'a number ≥ 0',
        got: p !== undefined && it.kind === 'ident' ? `${it.name} = ${JSON.stringify(p)}` : describeWritten(it),
      });
      return undefined;
    }
    return x;
  });
}

/**
 * A per-output setting in output order: a list as given, a map looked up by output name. Undefined
 * when it does not fit the outputs (the checker has then reported it: compiler/rules/output-losses.ts).
 */
export function perOutput<T>(p: IRPerOutput<T> | undefined, outputNames: readonly string[]): T[] | undefined {
  if (p === undefined) return undefined;
  if (p.by === 'list') return p.values.length === outputNames.length ? [...p.values] : undefined;
  if (p.names.length !== outputNames.length) return undefined;
  const out: T[] = [];
  for (const n of outputNames) {
    const i = p.names.indexOf(n);
    if (i < 0) return undefined;
    out.push(p.values[i]!);
  }
  return out;
}

/** The loss of each output, in output order (the one `loss` for every output unless per-output ones are given). */
export function outputLosses(train: IRTrain, outputNames: readonly string[]): string[] {
  return perOutput(train.losses, outputNames) ?? outputNames.map(() => train.loss);
}
