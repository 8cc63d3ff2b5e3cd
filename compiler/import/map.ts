/**
 * `lstmc import`, step 2: one Keras layer (class name + config) → one lstmc layer call, driven by the
 * layer table (compiler/layers/table.ts): the class is found by the table's `className`, each
 * `snake_case` config key by the camelCase argument of the table's schema, each value checked with
 * the table's type (compiler/schema.ts `checkValue`), and only values that differ from the table's
 * Keras 2 defaults are kept. Layers other helpers add to the table are picked up without a change here.
 *
 * What has no lstmc spelling (a regularizer, a constraint, a parametrised initializer, an unknown key
 * with a non-default value, a dtype other than float32, Keras 3's hard_sigmoid, a frozen layer) is a
 * located diagnostic; nothing is dropped silently. The only keys ignored are those that cannot
 * change what the model computes (`implementation`, `unroll`, seeds, ...): see `INERT`.
 */
import { Diagnostics, type DiagnosticBag } from '../../base/diagnostics.js';
import { didYouMean } from '../../base/did-you-mean.js';
import type { Span } from '../../base/span.js';
import type { ArgValue } from '../ir.js';
import { LAYERS } from '../layers/table.js';
import type { LayerDef } from '../layers/types.js';
import { UNSUPPORTED_LAYERS } from '../layers/unsupported.js';
import { checkValue, describeArgValue, expectedWithRange, type ValueType } from '../schema.js';
import { dtypeOf, type SourceFormat } from './graph.js';
import {
  field,
  isArray,
  isObject,
  num,
  plain,
  shortText,
  str,
  type JsonEntry,
  type JsonNode,
  type JsonObject,
} from './json.js';

export interface MappedLayer {
  def: LayerDef;
  /** Arguments that differ from the table's defaults, in the table's order. */
  args: { name: string; value: ArgValue }[];
  inner?: MappedLayer;
}

export interface LayerSource {
  name: string;
  className: string;
  config: JsonObject;
  span: Span;
}

/** `return_sequences` → `returnSequences`. */
export function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Keras spellings of a class name that the table spells otherwise: `MaxPool1D`, `AvgPool2D`, `Convolution1D`. */
function canonicalClass(className: string): string {
  return className
    .replace(/^Convolution(?=\dD$)/, 'Conv')
    .replace(/Avg(?=Pool)/, 'Average')
    .replace(/Pool(?=\dD$)/, 'Pooling');
}

/**
 * The table's layers by their (Keras / TF.js) class name, lower case, and by the classes of lstmc's
 * own TF.js layers their lowering may produce (`GRUResetAfter` in a model.json lstmc saved).
 */
function tableByClass(): Map<string, LayerDef> {
  const out = new Map<string, LayerDef>();
  for (const d of LAYERS.values()) {
    for (const c of d.lower.tfjs.lstmcClasses ?? []) out.set(c.toLowerCase(), d);
  }
  for (const d of LAYERS.values()) out.set(d.className.toLowerCase(), d);
  return out;
}

/** Keras classes that are not layers of the table and never will be one-to-one (reasons said to users). */
const KERAS_ONLY: Readonly<Record<string, string>> = {
  CuDNNLSTM:
    "CuDNNLSTM keeps two bias vectors (8·units parameters of bias); lstmc's lstm has one. Rebuild the model with LSTM (Keras converts the weights) and export it again.",
  CuDNNGRU: 'CuDNNGRU is a GRU with resetAfter and two bias vectors; rebuild the model with GRU and export it again.',
  TFOpLambda:
    'A TensorFlow operation called on Keras tensors (x * 2, tf.concat, ...) runs TensorFlow code, which a spec cannot hold.',
  SlicingOpLambda: 'Slicing a Keras tensor (x[:, -1]) runs TensorFlow code, which a spec cannot hold.',
  Lambda: 'Lambda layers run arbitrary Python code, which a spec cannot hold.',
  Sequential: 'A model nested as a layer is not supported; build the outer model from its layers.',
  Functional: 'A model nested as a layer is not supported; build the outer model from its layers.',
  Model: 'A model nested as a layer is not supported; build the outer model from its layers.',
};

/**
 * Keys that never change what a model computes (execution details, seeds) or that equal Keras's
 * default: ignored. Anything else the table has no argument for is refused with its value.
 */
const INERT: Readonly<Record<string, (v: JsonNode) => boolean>> = {
  implementation: () => true,
  unroll: () => true,
  use_cudnn: () => true,
  seed: () => true,
  input_length: () => true,
  fused: () => true,
  zero_output_for_mask: () => true,
  renorm_momentum: () => true,
  // Shapes a built Keras layer records (MultiHeadAttention): they follow from its inputs.
  query_shape: () => true,
  key_shape: () => true,
  value_shape: () => true,
  time_major: (v) => isFalse(v),
  causal: (v) => isFalse(v),
  keepdims: (v) => isFalse(v),
  // Attention over the time axis of [batch, time, features]: Keras's default for 3-D inputs.
  attention_axes: (v) => v.kind === 'null' || (isArray(v) && v.items.length === 1 && num(v.items[0]) === 1),
  stateful: (v) => isFalse(v),
  reset_after: (v) => isFalse(v),
  renorm: (v) => isFalse(v),
  rms_scaling: (v) => isFalse(v),
  synchronized: (v) => isFalse(v),
  sparse: (v) => isFalse(v),
  ragged: (v) => isFalse(v),
  mask_zero: (v) => isFalse(v),
  go_backwards: (v) => isFalse(v),
  data_format: (v) => v.kind === 'null' || str(v) === 'channels_last',
  dilation_rate: (v) => allOnes(v),
  groups: (v) => num(v) === 1,
  dropout: (v) => num(v) === 0,
  recurrent_dropout: (v) => num(v) === 0,
};

/**
 * Arguments Keras 2 added later: a file that does not mention one predates it and meant the old
 * behaviour (GRU `reset_after` came in Keras 2.1.3 and defaults to false there; the table's default is
 * tf.keras's true). TF.js and Keras 3 always write them.
 */
const BEFORE_ADDED: Readonly<Record<string, ArgValue>> = { resetAfter: false };

/** Keys every layer config has that are not arguments: handled elsewhere (names, shapes, dtypes). */
const META = new Set([
  'name',
  'trainable',
  'dtype',
  'batch_input_shape',
  'batch_shape',
  'input_shape',
  'batch_size',
  'input_dtype',
]);

/** JSON with object keys sorted at every level. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The backward layer of a Bidirectional is its forward layer with go_backwards flipped (names aside). */
function isMirror(forward: JsonNode | undefined, backward: JsonNode): boolean {
  if (!forward || str(field(forward, 'class_name')) !== str(field(backward, 'class_name'))) return false;
  const f = field(forward, 'config');
  const b = field(backward, 'config');
  if (!isObject(f) || !isObject(b)) return false;
  const norm = (c: JsonObject, flip: boolean): string => {
    const o = plain(c) as Record<string, unknown>;
    delete o.name;
    o.go_backwards = flip ? !(o.go_backwards === true) : o.go_backwards === true;
    return stable(o);
  };
  return norm(f, true) === norm(b, false);
}

function isFalse(v: JsonNode): boolean {
  return v.kind === 'null' || (v.kind === 'bool' && !v.value);
}

function allOnes(v: JsonNode): boolean {
  if (v.kind === 'null') return true;
  if (v.kind === 'number') return v.value === 1;
  return isArray(v) && v.items.every((x) => num(x) === 1);
}

function entrySpan(e: JsonEntry): Span {
  const v = e.value.span;
  return { ...e.keySpan, endLine: v.endLine, endColumn: v.endColumn, endOffset: v.endOffset };
}

interface Ctx {
  bag: DiagnosticBag;
  format: SourceFormat;
  /** The layer named in messages (a wrapper's, for its inner layer). */
  layer: string;
}

/** Keras activation spellings the TF.js identifiers spell otherwise (silu is swish). */
const ACTIVATION_ALIASES: Readonly<Record<string, string>> = { silu: 'swish' };

type Converted = { ok: true; value: ArgValue | undefined } | { ok: false };

function unsupported(ctx: Ctx, cls: string, e: JsonEntry, hint: string): Converted {
  ctx.bag.add(
    Diagnostics.ImportUnsupportedConfig,
    entrySpan(e),
    { layer: ctx.layer, className: cls, key: e.key, value: shortText(e.value) },
    hint,
  );
  return { ok: false };
}

function enumMatch(values: readonly string[], s: string): string | undefined {
  if (values.includes(s)) return s;
  const c = camelCase(s);
  if (values.includes(c)) return c;
  return values.find((v) => v.toLowerCase() === s.toLowerCase() || v.toLowerCase() === c.toLowerCase());
}

/** An activation (`"relu"`, or a Keras 3 object) as a TF.js identifier. */
function activationName(ctx: Ctx, cls: string, e: JsonEntry, values: readonly string[]): Converted {
  let name: string | undefined;
  const v = e.value;
  if (v.kind === 'string') name = v.value;
  else if (isObject(v))
    name = str(field(v, 'config')) ?? str(field(field(v, 'config'), 'name')) ?? str(field(v, 'class_name'));
  if (v.kind === 'null') name = 'linear';
  if (name === undefined) return unsupported(ctx, cls, e, 'Activations are read by name (e.g. "tanh").');
  if (name === 'hard_sigmoid' && ctx.format === 'keras3') {
    ctx.bag.add(Diagnostics.ImportHardSigmoid, entrySpan(e), {
      layer: ctx.layer,
      className: cls,
      key: e.key.replace(/_/g, ' '),
    });
    return { ok: false };
  }
  const m = enumMatch(values, ACTIVATION_ALIASES[name] ?? name);
  if (m === undefined) return unsupported(ctx, cls, e, `The activations lstmc knows are ${values.join(', ')}.`);
  return { ok: true, value: m };
}

function close(a: number | undefined, b: number): boolean {
  return a !== undefined && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}

/** An initializer object (`{class_name: VarianceScaling, config: {...}}`) as an lstmc initializer name. */
function initializerName(ctx: Ctx, cls: string, e: JsonEntry, values: readonly string[]): Converted {
  const v = e.value;
  const fail = (): Converted =>
    unsupported(
      ctx,
      cls,
      e,
      `Initializers take no settings in lstmc; it knows ${values.join(', ')} with their Keras defaults.`,
    );
  let className: string | undefined;
  let config: JsonNode | undefined;
  if (v.kind === 'string') className = v.value;
  else if (isObject(v)) {
    className = str(field(v, 'class_name'));
    config = field(v, 'config');
  }
  if (className === undefined) return fail();
  const c = (k: string): number | undefined => num(field(config, k));
  const s = (k: string): string | undefined => str(field(config, k));
  const base = className.replace(/Initializer$/, '');
  let name: string | undefined;
  if (base === 'VarianceScaling') {
    const scale = c('scale') ?? 1;
    const mode = camelCase(s('mode') ?? 'fan_in').replace(/^fanavg$/i, 'fanAvg');
    const dist = s('distribution') ?? 'truncated_normal';
    const normal = dist === 'normal' || dist === 'truncated_normal';
    const uniform = dist === 'uniform';
    const family =
      close(scale, 1) && mode === 'fanAvg'
        ? 'glorot'
        : close(scale, 2) && mode === 'fanIn'
          ? 'he'
          : close(scale, 1) && mode === 'fanIn'
            ? 'leCun'
            : undefined;
    if (family && (normal || uniform)) name = `${family}${normal ? 'Normal' : 'Uniform'}`;
  } else if (base === 'Orthogonal') {
    if (close(c('gain') ?? 1, 1)) name = 'orthogonal';
  } else if (base === 'RandomUniform' || base === 'uniform') {
    if (close(c('minval') ?? -0.05, -0.05) && close(c('maxval') ?? 0.05, 0.05)) name = 'randomUniform';
  } else if (base === 'RandomNormal' || base === 'normal') {
    if (close(c('mean') ?? 0, 0) && close(c('stddev') ?? 0.05, 0.05)) name = 'randomNormal';
  } else if (base === 'TruncatedNormal') {
    if (close(c('mean') ?? 0, 0) && close(c('stddev') ?? 0.05, 0.05)) name = 'truncatedNormal';
  } else if (base === 'Constant') {
    const value = c('value');
    if (value === 0) name = 'zeros';
    else if (value === 1) name = 'ones';
  } else {
    name = enumMatch(values, base) ?? enumMatch(values, camelCase(base));
  }
  if (name === undefined || !values.includes(name)) return fail();
  return { ok: true, value: name };
}

/** A JSON value as the plain value of the table's type, before `checkValue`. */
function plainValue(v: JsonNode): ArgValue | undefined {
  switch (v.kind) {
    case 'number':
    case 'string':
    case 'bool':
      return v.value;
    case 'null':
      return null;
    case 'array': {
      const out: ArgValue[] = [];
      for (const it of v.items) {
        const x = plainValue(it);
        if (x === undefined) return undefined;
        out.push(x);
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** Compare with the table's default, lists of an intOrList broadcast first. */
function sameAsDefault(t: ValueType, value: ArgValue, dflt: ArgValue | undefined): boolean {
  if (dflt === undefined) return false;
  if (t.kind === 'intOrList') {
    const norm = (x: ArgValue): string =>
      JSON.stringify(typeof x === 'number' ? new Array<number>(t.length).fill(x) : x);
    return norm(value) === norm(dflt);
  }
  return JSON.stringify(value) === JSON.stringify(dflt);
}

function convert(ctx: Ctx, cls: string, e: JsonEntry, t: ValueType): Converted {
  const v = e.value;
  if (t.kind === 'enum' && t.what === 'activation') return activationName(ctx, cls, e, t.values);
  if (t.kind === 'enum' && t.what === 'initializer') return initializerName(ctx, cls, e, t.values);
  if (t.kind === 'enum') {
    const s = str(v);
    const m = s === undefined ? undefined : enumMatch(t.values, s);
    if (m === undefined) return unsupported(ctx, cls, e, `The values lstmc knows are ${t.values.join(', ')}.`);
    return { ok: true, value: m };
  }
  let value = plainValue(v);
  if (value === undefined) return unsupported(ctx, cls, e, 'This value has no lstmc spelling.');
  // A one-element list of a one-axis window is its number (kernel_size [3] is kernelSize: 3), and so
  // is TF.js's one-axis list for an axis (LayerNormalization axis [1]).
  if (t.kind === 'intOrList' && Array.isArray(value) && value.length === 1 && t.length === 1) value = value[0]!;
  if (t.kind === 'int' && Array.isArray(value) && value.length === 1) value = value[0]!;
  // An unknown target dimension (TF.js writes null) is the -1 of a list that allows one.
  if (t.kind === 'intList' && t.allowMinusOne && Array.isArray(value)) value = value.map((x) => (x === null ? -1 : x));
  const checked = checkValue(t, value);
  if (!checked.ok) {
    ctx.bag.add(Diagnostics.ImportValue, entrySpan(e), {
      layer: ctx.layer,
      className: cls,
      key: e.key,
      expected: expectedWithRange(t),
      got: describeArgValue(value),
    });
    return { ok: false };
  }
  return { ok: true, value: checked.value };
}

/** The table's layer for a Keras class, or a diagnostic (unknown, unsupported). */
export function layerDefFor(
  bag: DiagnosticBag,
  src: { name: string; className: string; span: Span },
): LayerDef | undefined {
  const byClass = tableByClass();
  const canon = canonicalClass(src.className);
  const def = byClass.get(canon.toLowerCase());
  if (def) return def;
  const reason =
    KERAS_ONLY[src.className] ??
    Object.entries(UNSUPPORTED_LAYERS).find(([k]) => k.toLowerCase() === canon.toLowerCase())?.[1];
  if (reason !== undefined) {
    bag.add(Diagnostics.ImportUnsupportedLayer, src.span, { layer: src.name, className: src.className, reason });
    return undefined;
  }
  const known = [...[...LAYERS.values()].map((d) => d.className), ...Object.keys(KERAS_ONLY)];
  const close = didYouMean(src.className, known);
  bag.add(
    Diagnostics.ImportUnknownClass,
    src.span,
    { layer: src.name, className: src.className },
    close !== undefined
      ? `Did you mean "${close}"? lstmc imports the Keras layers of its layer table (docs/layers.md).`
      : undefined,
  );
  return undefined;
}

/** Map one Keras layer (a wrapper with its inner layer) to an lstmc call; undefined after diagnostics. */
export function mapLayer(
  bag: DiagnosticBag,
  format: SourceFormat,
  src: LayerSource,
  outer?: string,
): MappedLayer | undefined {
  const def = layerDefFor(bag, { name: outer ?? src.name, className: src.className, span: src.span });
  if (!def) return undefined;
  const ctx: Ctx = { bag, format, layer: outer ?? src.name };
  const cls = src.className;
  const errorsBefore = bag.errorCount;
  const dtype = dtypeOf(src.config);
  // The first layer of a Keras 2 Sequential model carries its input's dtype (int32 token ids).
  const inputDtype = src.config.entries.has('batch_input_shape') && /^int(32|64)$/.test(dtype?.name ?? '');
  if (dtype && dtype.name !== 'float32' && !inputDtype) {
    bag.add(Diagnostics.ImportDtype, dtype.span, { layer: ctx.layer, dtype: dtype.name });
  }
  const trainable = field(src.config, 'trainable');
  if (trainable?.kind === 'bool' && !trainable.value && outer === undefined) {
    unsupported(
      ctx,
      cls,
      src.config.entries.get('trainable')!,
      'Every lstmc layer is trained; a frozen layer cannot be expressed.',
    );
  }
  const values = new Map<string, ArgValue>();
  let inner: MappedLayer | undefined;
  for (const e of src.config.entries.values()) {
    if (META.has(e.key)) continue;
    const argName = camelCase(e.key);
    const spec = def.args[argName];
    if (spec && spec.type.kind === 'layer') {
      const h = e.value;
      const innerCls = str(field(h, 'class_name'));
      const innerConfig = field(h, 'config');
      if (innerCls === undefined || !isObject(innerConfig)) {
        bag.add(Diagnostics.ImportMissingField, e.keySpan, {
          field: `${e.key}.class_name`,
          where: `layer "${ctx.layer}"`,
        });
        continue;
      }
      const innerName = str(field(innerConfig, 'name')) ?? ctx.layer;
      inner = mapLayer(
        bag,
        format,
        { name: innerName, className: innerCls, config: innerConfig, span: field(h, 'class_name')!.span },
        ctx.layer,
      );
      continue;
    }
    if (spec && spec.tf !== false && spec.type.kind !== 'valueRefs') {
      if (e.value.kind === 'null') {
        if (spec.type.kind === 'bool') values.set(argName, false);
        else if (spec.default !== undefined && spec.default !== null) {
          unsupported(
            ctx,
            cls,
            e,
            `The lstmc layer ${def.name} has ${argName} ${describeArgValue(spec.default)} by default and no "none".`,
          );
        }
        continue;
      }
      const r = convert(ctx, cls, e, spec.type);
      if (r.ok && r.value !== undefined) values.set(argName, r.value);
      continue;
    }
    // Keras 3's Bidirectional always writes its backward layer: the forward one reading backwards is
    // what lstmc's bidirectional runs; anything else is refused.
    if (e.key === 'backward_layer' && e.value.kind !== 'null') {
      if (!isMirror(field(src.config, 'layer'), e.value)) {
        unsupported(
          ctx,
          cls,
          e,
          'A bidirectional layer in lstmc runs a copy of the forward layer backwards; this one differs.',
        );
      }
      continue;
    }
    if (/_(regularizer|constraint)$/.test(e.key)) {
      if (e.value.kind !== 'null') {
        unsupported(
          ctx,
          cls,
          e,
          `${e.key.endsWith('constraint') ? 'Weight constraints' : 'Regularizers'} are not part of lstmc; remove it from the model before exporting (the trained weights stay valid).`,
        );
      }
      continue;
    }
    const inert = INERT[e.key];
    if (inert ? inert(e.value) : e.value.kind === 'null') continue;
    unsupported(ctx, cls, e, `The lstmc layer ${def.name} has no argument for it.`);
  }
  if (bag.errorCount > errorsBefore) return undefined;
  if (format === 'keras2') {
    for (const [name, v] of Object.entries(BEFORE_ADDED)) if (def.args[name] && !values.has(name)) values.set(name, v);
  }
  const args: { name: string; value: ArgValue }[] = [];
  for (const [name, spec] of Object.entries(def.args)) {
    if (!values.has(name)) {
      if (spec.required && spec.type.kind !== 'layer') {
        bag.add(Diagnostics.ImportMissingField, src.span, {
          field: name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
          where: `layer "${ctx.layer}" (${cls})`,
        });
        return undefined;
      }
      continue;
    }
    const v = values.get(name)!;
    if (!spec.required && sameAsDefault(spec.type, v, spec.default)) continue;
    // An optional window argument without a default takes a main argument's value (pooling strides
    // default to poolSize): Keras writes it out, a person leaves it out.
    if (
      !spec.required &&
      spec.default === undefined &&
      spec.type.kind === 'intOrList' &&
      def.main.some(
        (m) => def.args[m]?.type.kind === 'intOrList' && values.has(m) && sameAsDefault(spec.type, v, values.get(m)!),
      )
    )
      continue;
    // An optional flag without a schema default is off unless given (stateful).
    if (spec.default === undefined && v === false) continue;
    args.push({ name, value: v });
  }
  const out: MappedLayer = { def, args };
  if (Object.values(def.args).some((s) => s.type.kind === 'layer')) {
    if (!inner) {
      if (bag.errorCount === errorsBefore)
        bag.add(Diagnostics.ImportMissingField, src.span, { field: 'layer', where: `the wrapper "${ctx.layer}"` });
      return undefined;
    }
    out.inner = inner;
  }
  return out;
}
