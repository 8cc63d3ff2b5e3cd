/**
 * `lstmc import`, step 1: the JSON of a model file → one normalised layer graph (`KGraph`), whatever
 * its format:
 * - a TF.js layers `model.json` (`format: layers-model`, `modelTopology` = a Keras JSON, plus a
 *   `weightsManifest`; the tensorflowjs converter's `modelTopology.model_config` too);
 * - a Keras 2 `model.to_json()`: Sequential with the bare list `config: [...]` of Keras 2.0/2.1 or
 *   `config: {name, layers}` of 2.2+; Model / Functional with `inbound_nodes` lists
 *   `[[name, node, tensor, {kwargs}], ...]`;
 * - a Keras 3 config (`module`, `registered_name`, `build_config`, `batch_shape`, inbound nodes as
 *   `{args: [{class_name: '__keras_tensor__', config: {keras_history: [layer, node, tensor]}}], kwargs}`).
 *
 * Pure: no file system, no tfjs; problems are located diagnostics, never exceptions.
 */
import { Diagnostics, type DiagnosticBag } from '../../base/diagnostics.js';
import type { Span } from '../../base/span.js';
import { field, isArray, isObject, num, str, type JsonNode, type JsonObject } from './json.js';

export type SourceFormat = 'tfjs' | 'keras2' | 'keras3';

/** A tensor: output `tensor` of call `node` of layer `layer`. */
export interface KRef {
  layer: string;
  node: number;
  tensor: number;
  span: Span;
}

/** One call of a layer (one inbound node). */
export interface KCall {
  inputs: KRef[];
  /** Keyword arguments other than tensors' (masks, training flags) and `initial_state`. */
  kwargs: { key: string; value: JsonNode; span: Span }[];
  initialState: KRef[];
  span: Span;
}

export interface KLayer {
  name: string;
  className: string;
  config: JsonObject;
  /** The layer object in the file (for positions). */
  node: JsonObject;
  /** Where to point at the layer: its `class_name` value. */
  span: Span;
  calls: KCall[];
}

export interface KInput {
  name: string;
  /** Batch excluded; null = unknown. */
  shape: (number | null)[];
  batch: number | null;
  dtype: string | undefined;
  span: Span;
}

export interface KGraph {
  format: SourceFormat;
  /** `Keras 2.2.4`, `TF.js layers 4.22.0`, `Keras 3`. */
  version: string;
  /** `Sequential` or `Functional`. */
  kind: 'Sequential' | 'Functional';
  modelName: string | undefined;
  inputs: KInput[];
  /** In file order, input layers excluded. */
  layers: KLayer[];
  outputs: KRef[];
  /** `training_config` (Keras / TF.js converter) or `trainingConfig` (tfjs `model.save`). */
  trainingConfig: JsonNode | undefined;
  /** The file carries weights (a TF.js model.json with a weightsManifest). */
  hasWeights: boolean;
  /** The model's `class_name` value. */
  span: Span;
}

const INPUT_CLASSES = new Set(['InputLayer']);

function snakeName(className: string): string {
  return className
    .replace(/(\d)D$/, '$1d')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * A layer name Keras or TF.js made up (`lstm_1`, `lstm`, `time_distributed_2`, `lstm_LSTM1`,
 * `input_1`, `input_layer_2`, `lstm_1_input`), as opposed to one a person chose.
 */
export function isGeneratedName(name: string, className: string, dslName?: string): boolean {
  const snake = snakeName(className);
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const forms = [
    snake,
    snake.replace(/_/g, ''),
    className.toLowerCase(),
    className[0]!.toLowerCase() + className.slice(1),
  ];
  if (dslName !== undefined) forms.push(dslName, dslName.toLowerCase(), snakeName(dslName));
  // Keras 2's and TF.js's own to_snake_case (ConvLSTM2D -> conv_lst_m2d).
  forms.push(
    className
      .replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2')
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .toLowerCase(),
  );
  for (const f of new Set(forms)) {
    if (new RegExp(`^${esc(f)}(_\\d+)?$`).test(name)) return true;
    if (new RegExp(`^${esc(f)}_${esc(className)}\\d+$`).test(name)) return true;
  }
  return false;
}

export function isGeneratedInputName(name: string): boolean {
  return /^(input(_layer)?(_\d+)?|input\d+|.*_input)$/.test(name);
}

interface Ctx {
  bag: DiagnosticBag;
  rootSpan: Span;
}

function missing(ctx: Ctx, fieldName: string, where: string, span: Span): undefined {
  ctx.bag.add(Diagnostics.ImportMissingField, span, { field: fieldName, where });
  return undefined;
}

/** The dtype name of a layer config (`float32`, or Keras 3's `{class_name: DTypePolicy, config: {name}}`). */
export function dtypeOf(config: JsonNode | undefined): { name: string; span: Span } | undefined {
  const d = field(config, 'dtype');
  if (d === undefined || d.kind === 'null') return undefined;
  if (d.kind === 'string') return { name: d.value, span: d.span };
  if (d.kind === 'object') {
    const name = str(field(field(d, 'config'), 'name')) ?? str(field(d, 'class_name'));
    if (name !== undefined) return { name, span: d.span };
  }
  return undefined;
}

/** `batch_input_shape` (Keras 2, TF.js) or `batch_shape` (Keras 3) of a config, if any. */
function batchShapeOf(config: JsonObject): { dims: (number | null)[]; span: Span } | 'invalid' | undefined {
  const node = field(config, 'batch_input_shape') ?? field(config, 'batch_shape');
  if (node === undefined || node.kind === 'null') return undefined;
  if (!isArray(node) || node.items.length < 1) return 'invalid';
  const dims: (number | null)[] = [];
  for (const it of node.items) {
    if (it.kind === 'null') dims.push(null);
    else if (it.kind === 'number' && Number.isInteger(it.value) && it.value >= 1) dims.push(it.value);
    else return 'invalid';
  }
  return { dims, span: node.span };
}

function inputFrom(ctx: Ctx, name: string, config: JsonObject, span: Span, where: string): KInput | undefined {
  const bs = batchShapeOf(config);
  if (bs === undefined || bs === 'invalid') return missing(ctx, 'batch_input_shape', where, span);
  const dtype = dtypeOf(config)?.name;
  return { name, shape: bs.dims.slice(1), batch: bs.dims[0] ?? null, dtype, span };
}

/** `[layer name, node index, tensor index, ...]` as a reference at `span`, if the first three have those types. */
function refOf(items: readonly JsonNode[], span: Span): KRef | undefined {
  const layer = str(items[0]);
  const n = num(items[1]);
  const t = num(items[2]);
  return layer !== undefined && n !== undefined && t !== undefined ? { layer, node: n, tensor: t, span } : undefined;
}

/** A Keras 3 `__keras_tensor__` object, or a Keras 2 `[name, node, tensor(, kwargs)]` list. */
function tensorRef(node: JsonNode): KRef | undefined {
  if (isObject(node) && str(field(node, 'class_name')) === '__keras_tensor__') {
    const h = field(field(node, 'config'), 'keras_history');
    return isArray(h) && h.items.length >= 3 ? refOf(h.items, node.span) : undefined;
  }
  if (isArray(node) && node.items.length >= 3 && node.items.length <= 4) return refOf(node.items, node.span);
  return undefined;
}

/** Every tensor reference in a (nested) value, in order. */
function tensorRefs(node: JsonNode): KRef[] | undefined {
  const r = tensorRef(node);
  if (r) return [r];
  if (isArray(node)) {
    const out: KRef[] = [];
    for (const it of node.items) {
      const sub = tensorRefs(it);
      if (!sub) return undefined;
      out.push(...sub);
    }
    return out;
  }
  return undefined;
}

/** kwargs of a call: `initial_state` refs apart, the rest kept for the mapping to judge. */
function callKwargs(kwargs: JsonNode | undefined, call: KCall): boolean {
  if (kwargs === undefined || kwargs.kind === 'null') return true;
  if (!isObject(kwargs)) return false;
  // tf.keras attention layers take the value (and key) tensors as keywords: `layer(query, value=v)`.
  const extra: Record<string, KRef[]> = {};
  for (const [key, e] of kwargs.entries) {
    const refs = e.value.kind === 'null' ? undefined : tensorRefs(e.value);
    if (key === 'initial_state' && e.value.kind !== 'null') {
      if (!refs) return false;
      call.initialState.push(...refs);
    } else if ((key === 'value' || key === 'key') && refs) {
      extra[key] = refs;
    } else {
      call.kwargs.push({
        key,
        value: e.value,
        span: {
          ...e.keySpan,
          endLine: e.value.span.endLine,
          endColumn: e.value.span.endColumn,
          endOffset: e.value.span.endOffset,
        },
      });
    }
  }
  call.inputs.push(...(extra.value ?? []), ...(extra.key ?? []));
  return true;
}

/** The inbound nodes of a functional layer: Keras 2 / TF.js lists or Keras 3 `{args, kwargs}`. */
function inboundCalls(ctx: Ctx, layer: string, node: JsonNode | undefined, span: Span): KCall[] | undefined {
  if (node === undefined) return missing(ctx, 'inbound_nodes', `layer "${layer}"`, span);
  if (!isArray(node)) return missing(ctx, 'inbound_nodes', `layer "${layer}"`, node.span);
  const calls: KCall[] = [];
  for (const c of node.items) {
    const call: KCall = { inputs: [], kwargs: [], initialState: [], span: c.span };
    if (isObject(c)) {
      // Keras 3
      const args = field(c, 'args');
      const refs = args === undefined ? [] : tensorRefs(args);
      if (!refs) return missing(ctx, 'args', `an inbound node of layer "${layer}"`, c.span);
      call.inputs = refs;
      if (!callKwargs(field(c, 'kwargs'), call))
        return missing(ctx, 'kwargs', `an inbound node of layer "${layer}"`, c.span);
    } else if (isArray(c)) {
      for (const entry of c.items) {
        const ref = tensorRef(entry);
        if (!ref || !isArray(entry))
          return missing(ctx, '[layer, node, tensor]', `an inbound node of layer "${layer}"`, entry.span);
        call.inputs.push(ref);
        if (!callKwargs(entry.items[3], call))
          return missing(ctx, 'kwargs', `an inbound node of layer "${layer}"`, entry.span);
      }
    } else {
      return missing(ctx, 'inbound_nodes', `layer "${layer}"`, c.span);
    }
    calls.push(call);
  }
  return calls;
}

/** `[[name, node, tensor], ...]` or Keras 3's single `[name, node, tensor]`. */
function refList(ctx: Ctx, node: JsonNode | undefined, what: string, span: Span): KRef[] | undefined {
  if (node === undefined || !isArray(node)) return missing(ctx, what, 'the model config', node?.span ?? span);
  const single = tensorRef(node);
  if (single && node.items[0]?.kind === 'string') return [single];
  const out: KRef[] = [];
  for (const it of node.items) {
    const r = tensorRef(it);
    if (!r) return missing(ctx, what, 'the model config', it.span);
    out.push(r);
  }
  return out;
}

function layerHeader(
  ctx: Ctx,
  obj: JsonNode,
  where: string,
): { className: string; config: JsonObject; name: string | undefined; span: Span } | undefined {
  if (!isObject(obj)) return missing(ctx, 'class_name', where, obj.span);
  const cls = field(obj, 'class_name');
  if (cls?.kind !== 'string') return missing(ctx, 'class_name', where, obj.span);
  const config = field(obj, 'config');
  if (!isObject(config)) return missing(ctx, 'config', `layer of class ${cls.value}`, cls.span);
  const name = str(field(obj, 'name')) ?? str(field(config, 'name'));
  return { className: cls.value, config, name, span: cls.span };
}

function versionOf(root: JsonNode, topology: JsonNode, format: SourceFormat): string {
  const converted = str(field(field(root, 'modelTopology'), 'keras_version'));
  if (format === 'tfjs' && converted !== undefined && !converted.startsWith('tfjs')) {
    return `Keras ${converted} via the TF.js converter`;
  }
  const v = str(field(topology, 'keras_version')) ?? str(field(root, 'keras_version'));
  if (format === 'keras3') return v !== undefined ? `Keras ${v}` : 'Keras 3';
  if (v === undefined) return format === 'tfjs' ? 'TF.js' : 'Keras 2';
  const tfjs = /^tfjs-layers\s+(.*)$/.exec(v);
  if (tfjs) return `TF.js layers ${tfjs[1]}`;
  return `Keras ${v}`;
}

/** Does the JSON use Keras 3 serialisation (`module` / `registered_name` / `batch_shape` / `__keras_tensor__`)? */
function looksKeras3(node: JsonNode, depth = 0): boolean {
  if (depth > 6) return false;
  if (isObject(node)) {
    if (node.entries.has('registered_name') || node.entries.has('batch_shape')) return true;
    if (node.entries.has('module') && node.entries.has('class_name')) return true;
    if (str(field(node, 'class_name')) === '__keras_tensor__') return true;
    for (const e of node.entries.values()) if (looksKeras3(e.value, depth + 1)) return true;
  } else if (isArray(node)) {
    for (const it of node.items.slice(0, 4)) if (looksKeras3(it, depth + 1)) return true;
  }
  return false;
}

/** Normalise a parsed model file into a `KGraph`; undefined (with diagnostics) when it is not one. */
export function readGraph(root: JsonNode, bag: DiagnosticBag): KGraph | undefined {
  const ctx: Ctx = { bag, rootSpan: root.span };
  if (!isObject(root)) {
    bag.add(Diagnostics.ImportFormat, root.span, {
      message: `the top level is ${root.kind === 'array' ? 'a list' : `a ${root.kind}`}, not an object`,
    });
    return undefined;
  }
  let format: SourceFormat;
  let topology: JsonNode | undefined;
  let trainingConfig: JsonNode | undefined;
  let hasWeights = false;
  if (root.entries.has('modelTopology')) {
    format = 'tfjs';
    topology = field(root, 'modelTopology');
    if (!isObject(topology)) return missing(ctx, 'modelTopology', 'the TF.js model.json', root.span);
    const fmt = str(field(root, 'format'));
    if (fmt !== undefined && fmt !== 'layers-model') {
      bag.add(Diagnostics.ImportFormat, field(root, 'format')!.span, {
        message: `it is a TF.js ${fmt}, not a layers model (a graph model has no layers to import)`,
      });
      return undefined;
    }
    trainingConfig = field(root, 'trainingConfig') ?? field(topology, 'training_config');
    const wm = field(root, 'weightsManifest');
    hasWeights = isArray(wm) && wm.items.length > 0;
    if (field(topology, 'model_config') !== undefined) topology = field(topology, 'model_config');
  } else if (root.entries.has('class_name')) {
    topology = root;
    format = 'keras2';
    trainingConfig = field(root, 'training_config');
  } else if (root.entries.has('model_config')) {
    trainingConfig = field(root, 'training_config');
    topology = field(root, 'model_config');
    format = 'keras2';
  } else {
    bag.add(
      Diagnostics.ImportFormat,
      { ...root.span, endLine: root.span.line, endColumn: root.span.column + 1 },
      {
        message: 'it has no "class_name" and no "modelTopology"',
      },
    );
    return undefined;
  }
  if (!isObject(topology)) return missing(ctx, 'class_name', 'the model', root.span);
  if (format !== 'tfjs' && looksKeras3(topology)) format = 'keras3';
  const clsNode = field(topology, 'class_name');
  const cls = str(clsNode);
  if (cls === undefined) return missing(ctx, 'class_name', 'the model', topology.span);
  const version = versionOf(root, topology, format);
  const config = field(topology, 'config');
  if (cls === 'Sequential') {
    return readSequential(ctx, { format, version, trainingConfig, hasWeights, span: clsNode!.span }, config, topology);
  }
  if (cls === 'Model' || cls === 'Functional') {
    if (!isObject(config)) return missing(ctx, 'config', `the ${cls} model`, clsNode!.span);
    return readFunctional(ctx, { format, version, trainingConfig, hasWeights, span: clsNode!.span }, config);
  }
  bag.add(Diagnostics.ImportFormat, clsNode!.span, {
    message: `its class is "${cls}", not Sequential, Model or Functional (a single layer's config is not a model)`,
  });
  return undefined;
}

type Common = Pick<KGraph, 'format' | 'version' | 'trainingConfig' | 'hasWeights' | 'span'>;

function readSequential(
  ctx: Ctx,
  common: Common,
  config: JsonNode | undefined,
  topology: JsonObject,
): KGraph | undefined {
  let layersNode: JsonNode | undefined;
  let modelName: string | undefined;
  if (isArray(config))
    layersNode = config; // Keras 2.0 / 2.1
  else if (isObject(config)) {
    layersNode = field(config, 'layers');
    modelName = str(field(config, 'name'));
  }
  if (!isArray(layersNode)) return missing(ctx, 'config.layers', 'the Sequential model', topology.span);
  const layers: KLayer[] = [];
  let input: KInput | undefined;
  let prev: string | undefined;
  for (const item of layersNode.items) {
    const h = layerHeader(ctx, item, 'a layer of the Sequential model');
    if (!h) return undefined;
    const name = h.name ?? `layer_${layers.length + 1}`;
    if (INPUT_CLASSES.has(h.className)) {
      if (input || layers.length > 0) {
        ctx.bag.add(Diagnostics.ImportGraph, h.span, {
          layer: name,
          message: 'an InputLayer in the middle of a Sequential model is not a model lstmc can express',
        });
        return undefined;
      }
      input = inputFrom(ctx, name, h.config, h.span, `the InputLayer "${name}"`);
      if (!input) return undefined;
      prev = name;
      continue;
    }
    if (!input) {
      // Keras 2 / TF.js: the first layer carries the input shape; a tf.keras Sequential built with
      // `model.build(shape)` records it as `build_input_shape` instead.
      const built = isObject(config) ? field(config, 'build_input_shape') : undefined;
      if (batchShapeOf(h.config) === undefined && isArray(built) && isObject(config)) {
        const shape: JsonObject = { kind: 'object', entries: new Map(), span: built.span };
        shape.entries.set('batch_input_shape', { key: 'batch_input_shape', keySpan: built.span, value: built });
        const dtype = config.entries.get('dtype');
        if (dtype) shape.entries.set('dtype', dtype);
        input = inputFrom(ctx, `${name}_input`, shape, h.span, 'build_input_shape of the Sequential model');
        if (!input) return undefined;
        prev = input.name;
      }
    }
    if (!input) {
      input = inputFrom(
        ctx,
        `${name}_input`,
        h.config,
        h.span,
        `the first layer "${name}" (a Sequential model needs its input shape)`,
      );
      if (!input) return undefined;
      prev = input.name;
    }
    const call: KCall = {
      inputs: [{ layer: prev!, node: 0, tensor: 0, span: h.span }],
      kwargs: [],
      initialState: [],
      span: h.span,
    };
    layers.push({
      name,
      className: h.className,
      config: h.config,
      node: item as JsonObject,
      span: h.span,
      calls: [call],
    });
    prev = name;
  }
  if (!input) return missing(ctx, 'config.layers', 'the Sequential model (it has no layers)', layersNode.span);
  const last = layers[layers.length - 1];
  const outputs: KRef[] = last ? [{ layer: last.name, node: 0, tensor: 0, span: last.span }] : [];
  return { ...common, kind: 'Sequential', modelName, inputs: [input], layers, outputs };
}

function readFunctional(ctx: Ctx, common: Common, config: JsonObject): KGraph | undefined {
  const layersNode = field(config, 'layers');
  if (!isArray(layersNode)) return missing(ctx, 'config.layers', 'the functional model', config.span);
  const modelName = str(field(config, 'name'));
  const inputs: KInput[] = [];
  const layers: KLayer[] = [];
  const names = new Set<string>();
  for (const item of layersNode.items) {
    const h = layerHeader(ctx, item, 'a layer of the functional model');
    if (!h) return undefined;
    if (h.name === undefined) return missing(ctx, 'name', `a layer of class ${h.className}`, h.span);
    if (names.has(h.name)) {
      ctx.bag.add(Diagnostics.ImportGraph, h.span, {
        layer: h.name,
        message: 'two layers of the model have this name',
      });
      return undefined;
    }
    names.add(h.name);
    if (INPUT_CLASSES.has(h.className)) {
      const inp = inputFrom(ctx, h.name, h.config, h.span, `the InputLayer "${h.name}"`);
      if (!inp) return undefined;
      inputs.push(inp);
      continue;
    }
    const calls = inboundCalls(ctx, h.name, field(item, 'inbound_nodes'), h.span);
    if (!calls) return undefined;
    layers.push({
      name: h.name,
      className: h.className,
      config: h.config,
      node: item as JsonObject,
      span: h.span,
      calls,
    });
  }
  const inputRefs = refList(ctx, field(config, 'input_layers'), 'input_layers', config.span);
  if (!inputRefs) return undefined;
  const outputs = refList(ctx, field(config, 'output_layers'), 'output_layers', config.span);
  if (!outputs) return undefined;
  // The model's inputs in the order input_layers gives.
  const byName = new Map(inputs.map((i) => [i.name, i]));
  const ordered: KInput[] = [];
  for (const r of inputRefs) {
    const inp = byName.get(r.layer);
    if (!inp) {
      ctx.bag.add(Diagnostics.ImportGraph, r.span, {
        layer: r.layer,
        message: 'input_layers names it, but it is not an InputLayer of the model',
      });
      return undefined;
    }
    ordered.push(inp);
  }
  return { ...common, kind: 'Functional', modelName, inputs: ordered, layers, outputs };
}
