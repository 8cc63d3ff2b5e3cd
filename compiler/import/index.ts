/**
 * `lstmc import`: a TF.js `model.json`, a Keras 2 `to_json()` or a Keras 3 model config → a spec.
 *
 *   json.ts   the JSON with positions
 *   graph.ts  format detection and one normalised layer graph (inputs, layers with calls, outputs)
 *   map.ts    each Keras layer → an lstmc layer call, from the layer table
 *   write.ts  the spec text (sequential or graph form, names, header)
 *   index.ts  this: graph checks (shared layers, masks, cycles, dangling references), the train
 *             block from a `training_config`, and the verification that the written spec checks
 *             clean (else an internal error, never a bad file)
 *
 * Pure: no file system, no tfjs. Never throws: `importModel` returns the text (undefined when
 * anything could not be expressed) and located diagnostics into the imported file.
 *
 * `layerNames` maps each Keras layer name to the name of its layer in the checked spec (`lstm_1`,
 * or the Keras name kept with `name:`), in the spec's node order: what `--weights`
 * (runtime/import-weights.ts) needs to put each original weight on its layer.
 */
import {
  Diagnostics,
  DiagnosticBag,
  format as formatMessage,
  sortDiagnostics,
  type Diagnostic,
} from '../../base/diagnostics.js';
import type { Span } from '../../base/span.js';
import { formatSource } from '../../grammar/format.js';
import { convertSpec } from '../convert.js';
import { checkSource } from '../index.js';
import type { IRModel, Shape } from '../ir.js';
import { LOSSES, METRIC_TABLE, OPTIMIZER_TABLE, OPTIMIZERS } from '../train.js';
import { readGraph, type KGraph, type KRef, type SourceFormat } from './graph.js';
import { field, isArray, isObject, num, parseJson, str, type JsonNode } from './json.js';
import { camelCase, mapLayer, type MappedLayer } from './map.js';
import { instanceOf, writeSpec, type PlannedNode } from './write.js';

export { isGeneratedName } from './graph.js';
export type { KGraph, SourceFormat } from './graph.js';

/** Larger files are refused unread (a model topology is kilobytes; weights live in .bin files). */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

export interface ImportOptions {
  /** The spelling to write (default `.lstm`). */
  to?: 'lstm' | 'yaml';
  /** The source's name for the header comment (default: `file`). */
  sourceName?: string;
}

export interface ImportResult {
  /** The spec, or undefined when the model cannot be expressed (see diagnostics). */
  text: string | undefined;
  diagnostics: Diagnostic[];
  /** The checked model of the written spec. */
  model?: IRModel;
  /** Keras layer name → the spec's layer name (IR node name), in the spec's node order. */
  layerNames: Record<string, string>;
  graph?: KGraph;
}

function done(bag: DiagnosticBag, extra: Partial<ImportResult> = {}): ImportResult {
  return { text: undefined, layerNames: {}, ...extra, diagnostics: sortDiagnostics(bag.items) };
}

/**
 * Keyword arguments of a call that lstmc cannot express (`mask`, `training`, `constants`, ...).
 * Keras 3 records `training: false` on every call it traces, and its Functional model passes its own
 * `training` over it when called (keras/src/models/functional.py `operation_fn`): not a setting.
 * In Keras 2 an explicit `training=` is baked into the graph (frozen batch statistics): refused.
 */
function describeKwarg(k: string, v: JsonNode, format: SourceFormat): string | undefined {
  if (v.kind === 'null') return undefined;
  if (k === 'training' && format === 'keras3') return undefined;
  if (k === 'mask') return 'an explicit mask';
  if (k === 'training') return `training = ${v.kind === 'bool' ? String(v.value) : '...'}`;
  return `the argument ${k}`;
}

/** Resolve calls, refuse shared layers and odd calls, order topologically. */
function plan(graph: KGraph, mapped: Map<string, MappedLayer>, bag: DiagnosticBag): PlannedNode[] | undefined {
  const errors = bag.errorCount;
  const inputNames = new Set(graph.inputs.map((i) => i.name));
  const layerByName = new Map(graph.layers.map((l) => [l.name, l]));
  const planned = new Map<string, PlannedNode>();
  for (const l of graph.layers) {
    const m = mapped.get(l.name);
    if (!m) continue;
    if (l.calls.length === 0) {
      bag.add(Diagnostics.ImportGraph, l.span, {
        layer: l.name,
        message: 'it is never called (it has no inbound nodes)',
      });
      continue;
    }
    if (l.calls.length > 1) {
      bag.add(Diagnostics.ImportUnsupportedLayer, l.span, {
        layer: l.name,
        className: l.className,
        reason: `it is called ${l.calls.length} times (a shared layer); every lstmc layer call has weights of its own.`,
      });
      continue;
    }
    const call = l.calls[0]!;
    for (const kw of call.kwargs) {
      const what = describeKwarg(kw.key, kw.value, graph.format);
      if (what) bag.add(Diagnostics.ImportMask, kw.span, { layer: l.name, className: l.className, what });
    }
    let inputs = call.inputs;
    let initialState = call.initialState;
    // Keras 2 / TF.js: a recurrent layer's initial states are extra inputs of its call.
    if (m.def.stateShapes && inputs.length > m.def.inputs.max && initialState.length === 0) {
      initialState = inputs.slice(m.def.inputs.max);
      inputs = inputs.slice(0, m.def.inputs.max);
    }
    const outputCount = m.def.outputCount(instanceOf(m));
    planned.set(l.name, { name: l.name, className: l.className, mapped: m, inputs, initialState, outputCount });
  }
  if (bag.errorCount > errors) return undefined;
  // References: to an input or a layer's (only) call, a tensor it has.
  const checkRef = (from: string, r: KRef): boolean => {
    if (inputNames.has(r.layer)) {
      if (r.node === 0 && r.tensor === 0) return true;
    } else if (layerByName.has(r.layer)) {
      const p = planned.get(r.layer);
      if (p && r.node === 0 && r.tensor >= 0 && r.tensor < p.outputCount) return true;
      if (p && r.node === 0) {
        bag.add(Diagnostics.ImportGraph, r.span, {
          layer: from,
          message: `it reads output ${r.tensor} of "${r.layer}", which has ${p.outputCount} output${p.outputCount === 1 ? '' : 's'}`,
        });
        return false;
      }
    } else {
      bag.add(Diagnostics.ImportGraph, r.span, {
        layer: from,
        message: `it reads from "${r.layer}", which is not a layer of the model`,
      });
      return false;
    }
    bag.add(Diagnostics.ImportGraph, r.span, {
      layer: from,
      message: `it reads call ${r.node} of "${r.layer}", which is called once`,
    });
    return false;
  };
  for (const p of planned.values()) for (const r of [...p.inputs, ...p.initialState]) checkRef(p.name, r);
  for (const r of graph.outputs) checkRef('output_layers', r);
  if (bag.errorCount > errors) return undefined;
  // Topological order (file order where free), cycles reported.
  const order: PlannedNode[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (name: string, path: string[]): boolean => {
    if (inputNames.has(name)) return true;
    const s = state.get(name);
    if (s === 'done') return true;
    const p = planned.get(name)!;
    if (s === 'open') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      bag.add(Diagnostics.ImportGraph, layerByName.get(name)!.span, {
        layer: name,
        message: `the layers form a cycle: ${cycle.join(' -> ')}`,
      });
      return false;
    }
    state.set(name, 'open');
    for (const r of [...p.inputs, ...p.initialState]) if (!visit(r.layer, [...path, name])) return false;
    state.set(name, 'done');
    order.push(p);
    return true;
  };
  for (const l of graph.layers) if (!visit(l.name, [])) return undefined;
  // The table's shape rules: a layer lstmc's version of cannot take this input is refused here,
  // at the layer, rather than in the written spec.
  const shapes = new Map<string, Shape[]>(graph.inputs.map((i) => [i.name, [i.shape]]));
  for (const p of order) {
    const ins = p.inputs.map((r) => shapes.get(r.layer)?.[r.tensor]);
    if (ins.some((x) => x === undefined)) continue;
    const r = p.mapped.def.outputShapes(instanceOf(p.mapped), ins as Shape[]);
    if (r.ok) {
      shapes.set(p.name, r.shapes);
      continue;
    }
    const l = layerByName.get(p.name)!;
    bag.add(Diagnostics.ImportUnsupportedLayer, l.span, {
      layer: p.name,
      className: p.className,
      reason: `lstmc's ${p.mapped.def.name} does not take its input: ${formatMessage(Diagnostics[r.error.key].message, r.error.args)}`,
    });
  }
  if (bag.errorCount > errors) return undefined;
  return order;
}

/** Keras optimizer keywords whose lstmc (TF.js) name differs; RMSprop's rho is TF.js's decay. */
const OPTIMIZER_KEYS: Readonly<Record<string, string>> = { lr: 'learningRate', nesterov: 'useNesterov', rho: 'decay' };

/** Keras optimizer settings that change nothing when at these values. */
function inertOptimizerSetting(key: string, v: JsonNode): boolean {
  if (['name', 'is_legacy_optimizer', 'jit_compile', 'ema_momentum', 'ema_overwrite_frequency'].includes(key))
    return true;
  return v.kind === 'null' || (v.kind === 'bool' && !v.value) || (v.kind === 'number' && v.value === 0);
}

/** `optimizer: adam(learningRate: 0.01)` from a Keras optimizer config; notes for what lstmc lacks. */
function optimizerLines(optClass: string, cfg: JsonNode | undefined, lines: string[], notes: string[]): void {
  let o = optClass.toLowerCase();
  // Keras's SGD with momentum is TF.js's momentum optimizer.
  const momentum = num(field(cfg, 'momentum'));
  if (o === 'sgd' && momentum !== undefined && momentum > 0) o = 'momentum';
  const table = OPTIMIZER_TABLE[o];
  if (!table) {
    notes.push(`Not imported: the optimizer ${optClass} (no lstmc optimizer).`);
    return;
  }
  const args: string[] = [];
  const skipped: string[] = [];
  const entries = isObject(cfg) ? [...cfg.entries.values()] : [];
  for (const e of entries) {
    const name = OPTIMIZER_KEYS[e.key] ?? camelCase(e.key);
    // Only the numeric arguments a spec may give (OPTIMIZERS); a flag such as useNesterov is a note.
    const param = OPTIMIZERS[o]?.includes(name) ? table.params.find((p) => p.name === name) : undefined;
    const v = e.value.kind === 'number' || e.value.kind === 'bool' ? e.value.value : undefined;
    if (param && v !== undefined) {
      const same =
        typeof v === 'number' && typeof param.default === 'number'
          ? Math.abs(v - param.default) <= 1e-12
          : v === param.default;
      if (!same) args.push(`${name}: ${String(v)}`);
    } else if ((e.key === 'clipnorm' || e.key === 'clipvalue') && e.value.kind === 'number') {
      lines.push(`${e.key === 'clipnorm' ? 'clipNorm' : 'clipValue'}: ${e.value.value}`);
    } else if (!inertOptimizerSetting(e.key, e.value) && !(e.key === 'momentum' && o === 'momentum')) {
      skipped.push(e.key);
    }
  }
  lines.splice(
    lines.length - lines.filter((l) => l.startsWith('clip')).length,
    0,
    args.length > 0 ? `optimizer: ${o}(${args.join(', ')})` : `optimizer: ${o}`,
  );
  if (skipped.length > 0)
    notes.push(`Not imported: the optimizer settings ${skipped.join(', ')} (lstmc has no such setting).`);
}

/** `training_config` → lines of a `train { }` block and notes for what has no lstmc spelling. */
function trainLines(tc: JsonNode | undefined, notes: string[]): string[] | undefined {
  if (!isObject(tc)) return undefined;
  const lines: string[] = [];
  const lossNode = field(tc, 'loss');
  const name = (n: JsonNode | undefined): string | undefined => {
    // Keras 3 metric objects name their function in config (MeanMetricWrapper {name: mae}).
    const s = str(n) ?? str(field(field(n, 'config'), 'name')) ?? str(field(n, 'class_name'));
    if (s === undefined) return undefined;
    return camelCase(s.replace(/^[A-Z]/, (c) => c.toLowerCase()));
  };
  const loss = name(lossNode);
  if (loss === undefined || LOSSES[loss] === undefined) {
    notes.push(
      `Not imported: the loss ${lossNode ? JSON.stringify(lossNode.kind === 'string' ? lossNode.value : '...') : '(none)'} (no lstmc loss).`,
    );
    return undefined;
  }
  lines.push(`loss: ${loss}`);
  const opt = field(tc, 'optimizer_config') ?? field(tc, 'optimizer');
  // tensorflowjs_converter writes Keras 3 optimizers as `Custom>Adam`.
  const optClass = str(field(opt, 'class_name'))?.replace(/^Custom>/, '');
  if (optClass !== undefined) optimizerLines(optClass, field(opt, 'config'), lines, notes);
  const metricsNode = field(tc, 'metrics');
  if (isArray(metricsNode)) {
    const flat = metricsNode.items.flatMap((m) => (isArray(m) ? m.items : [m]));
    const ok: string[] = [];
    for (const m of flat) {
      const n = name(m);
      if (n !== undefined && METRIC_TABLE[n] !== undefined) ok.push(n);
      else
        notes.push(
          `Not imported: the metric ${str(m) ?? str(field(field(m, 'config'), 'name')) ?? str(field(m, 'class_name')) ?? '...'} (no lstmc metric).`,
        );
    }
    if (ok.length > 0) lines.push(`metrics: [${[...new Set(ok)].join(', ')}]`);
  }
  return lines;
}

/** Import a model file's text. `file` is the name diagnostics carry. */
export function importModel(text: string, file: string, opts: ImportOptions = {}): ImportResult {
  const bag = new DiagnosticBag();
  const whole: Span = { file, line: 1, column: 1, endLine: 1, endColumn: 1, offset: 0, endOffset: 0 };
  try {
    if (text.length > MAX_IMPORT_BYTES) {
      bag.add(Diagnostics.ImportTooLarge, whole, { size: text.length, max: MAX_IMPORT_BYTES });
      return done(bag);
    }
    const parsed = parseJson(text, file);
    if (!parsed.ok) {
      bag.add(Diagnostics.ImportJson, parsed.span, { message: parsed.message });
      return done(bag);
    }
    const graph = readGraph(parsed.value, bag);
    if (!graph) return done(bag);
    if (graph.layers.length === 0) {
      bag.add(Diagnostics.ImportMissingField, parsed.value.span, {
        field: 'layers',
        where: 'the model (it has no layers besides its inputs)',
      });
      return done(bag, { graph });
    }
    for (const inp of graph.inputs) {
      if (inp.dtype !== undefined && !/^(float32|int32|int64)$/.test(inp.dtype)) {
        bag.add(Diagnostics.ImportDtype, inp.span, { layer: inp.name, dtype: inp.dtype });
      }
    }
    const mapped = new Map<string, MappedLayer>();
    for (const l of graph.layers) {
      const m = mapLayer(bag, graph.format, { name: l.name, className: l.className, config: l.config, span: l.span });
      if (m) mapped.set(l.name, m);
    }
    if (bag.hasErrors) return done(bag, { graph });
    const nodes = plan(graph, mapped, bag);
    if (!nodes || bag.hasErrors) return done(bag, { graph });
    const stateful = nodes.some((n) =>
      [...n.mapped.args, ...(n.mapped.inner?.args ?? [])].some((a) => a.name === 'stateful' && a.value === true),
    );
    const notes: string[] = [];
    const train = trainLines(graph.trainingConfig, notes);
    const source = opts.sourceName ?? file;
    const written = writeSpec({ graph, nodes, source, train, notes, batch: stateful });
    return verify(written.text, written.layerNames, nodes, file, opts, bag, graph);
  } catch (e) {
    bag.add(Diagnostics.Internal, whole, { message: `import: ${e instanceof Error ? e.message : String(e)}` });
    return done(bag);
  }
}

/** Lay the spec out canonically and check it: it must check clean, else an internal error. */
function verify(
  raw: string,
  kerasToSpec: Record<string, string>,
  nodes: PlannedNode[],
  file: string,
  opts: ImportOptions,
  bag: DiagnosticBag,
  graph: KGraph,
): ImportResult {
  const internal = (message: string): ImportResult => {
    bag.add(
      Diagnostics.Internal,
      { file, line: 1, column: 1, endLine: 1, endColumn: 1 },
      { message: `import: ${message}` },
    );
    return done(bag, { graph });
  };
  const specFile = 'imported.lstm';
  const formatted = formatSource(raw, specFile);
  if (formatted.text === undefined) {
    return internal(`the written spec does not parse (${formatted.diagnostics[0]?.message ?? 'no message'})`);
  }
  const checked = checkSource(formatted.text, specFile);
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  const model = checked.models[0];
  if (errors.length > 0 || !model) {
    const d = errors[0];
    // A whole-model rule of the checker (a mask into a layer that cannot take one, ...) refuses
    // what each layer alone allowed: the model cannot be expressed, which is no bug of the import.
    if (d && /^LSTM[23]/.test(d.code)) {
      bag.add(Diagnostics.ImportUnsupportedLayer, graph.span, {
        layer: graph.modelName ?? 'model',
        className: graph.kind,
        reason: `the spec it becomes does not check: ${d.code} ${d.message}`,
      });
      return done(bag, { graph });
    }
    return internal(`the written spec does not check (${d ? `${d.code} ${d.message}` : 'no model'})`);
  }
  if (model.nodes.length !== nodes.length) return internal('the written spec has another number of layers');
  const layerNames: Record<string, string> = {};
  let mismatch = false;
  nodes.forEach((n, i) => {
    const ir = model.nodes[i]!;
    if (ir.type !== n.mapped.def.name) mismatch = true;
    const kept = kerasToSpec[n.name];
    layerNames[n.name] = kept !== undefined && kept !== '' ? kept : ir.name;
  });
  if (mismatch) return internal('the written spec orders its layers otherwise');
  let text = formatted.text;
  if (opts.to === 'yaml') {
    const converted = convertSpec(text, specFile, 'lstm', 'yaml', checked.models);
    const again = checkSource(converted.text, 'imported.yaml', { format: 'yaml' });
    if (again.diagnostics.some((d) => d.severity === 'error')) return internal('the YAML spelling does not check');
    text = converted.text;
  }
  return { text, diagnostics: sortDiagnostics(bag.items), model, layerNames, graph };
}
