/**
 * Printers: checked IR back to spec text, in either spelling (after graphql-js's printer).
 *
 * `parse(print(ir))` lowers to the same IR (spans aside): tested on the reference specs and on
 * hundreds of random architectures (test/print.test.ts, test/pipeline-oracle.test.ts). Used by
 * `lstmc convert` to turn a `.lstm` spec into YAML and back.
 *
 * Every argument the IR holds is printed, defaults included, unless `omitDefaults` is set; values
 * that came from a param print as the param's name.
 */
import type { ArgValue, IRLayer, IRModel, IRNode, IRPerOutput, IRTrain, ValueRef } from './ir.js';
import { getLayer } from './layers/table.js';
import type { ArgSpec } from './layers/types.js';
import { defaultTrain } from './train.js';
import { lstmString, WIDTH } from '../grammar/format.js';

export interface PrintOptions {
  /** Leave out arguments equal to the layer table's default. Default true. */
  omitDefaults?: boolean;
  /** Print each layer's name as a `name:` argument. Default: only names the user gave. */
  names?: 'all' | 'user';
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORDS = new Set(['model', 'param', 'input', 'let', 'output', 'train', 'data', 'true', 'false']);

/** Re-exported: the `.lstm` string literal rule lives with the formatter (grammar/format.ts). */
export { lstmString };

function sameValue(a: ArgValue | undefined, b: ArgValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface Style {
  str(s: string): string;
  list(items: string[]): string;
  /** An enum value / identifier-like string. */
  word(s: string): string;
  unknownDim: string;
  /** A reference to a spec param. */
  param(name: string): string;
}

const LSTM_STYLE: Style = {
  str: lstmString,
  list: (items) => `[${items.join(', ')}]`,
  word: (s) => (IDENT.test(s) && !KEYWORDS.has(s) ? s : lstmString(s)),
  unknownDim: '?',
  param: (name) => name,
};

const YAML_STYLE: Style = {
  // JSON string syntax is a valid YAML double-quoted scalar.
  str: (s) => JSON.stringify(s),
  list: (items) => `[${items.join(', ')}]`,
  word: (s) => (IDENT.test(s) && !/^(true|false|null|yes|no|on|off|y|n|~)$/i.test(s) ? s : JSON.stringify(s)),
  unknownDim: 'null',
  param: (name) => `$${name}`,
};

function num(n: number): string {
  return String(n);
}

function value(v: ArgValue, spec: ArgSpec | undefined, st: Style, form: 'lstm' | 'yaml'): string {
  if (v === null) return st.unknownDim;
  if (typeof v === 'number') return num(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return spec?.type.kind === 'string' ? st.str(v) : st.word(v);
  if (Array.isArray(v)) return st.list(v.map((x) => value(x, undefined, st, form)));
  return form === 'lstm' ? lstmCall(v, {}, undefined) : yamlLayer(v, {}, undefined);
}

interface ArgText {
  positional: string[];
  named: [string, string][];
}

/** The arguments of a layer as text: main arguments positionally, the rest by name. */
function argTexts(
  l: IRLayer,
  st: Style,
  form: 'lstm' | 'yaml',
  opts: PrintOptions,
  name: string | undefined,
  states: string[] | undefined,
): ArgText {
  const def = getLayer(l.type);
  const out: ArgText = { positional: [], named: [] };
  if (!def) return out;
  const omit = opts.omitDefaults !== false;
  const shown = (k: string): string | undefined => {
    const v = l.args[k];
    const param = l.argParams?.[k];
    if (param) return st.param(param);
    if (v === undefined || v === null) return undefined;
    return value(v, def.args[k], st, form);
  };
  let positionalOpen = true;
  for (const k of def.main) {
    const v = l.args[k];
    const text = k === 'layer' && l.inner ? value(l.inner, undefined, st, form) : shown(k);
    if (
      text === undefined ||
      (v !== undefined &&
        v !== null &&
        omit &&
        !def.args[k]?.required &&
        sameValue(v, def.args[k]?.default) &&
        k !== 'layer')
    ) {
      positionalOpen = false;
      continue;
    }
    if (positionalOpen) out.positional.push(text);
    else out.named.push([k, text]);
  }
  for (const [k, spec] of Object.entries(def.args)) {
    if (def.main.includes(k) || k === 'layer' || k === 'initialState' || k === 'name') continue;
    const v = l.args[k];
    if (v === undefined || v === null) continue;
    if (omit && !l.argParams?.[k] && sameValue(v, spec.default)) continue;
    out.named.push([k, shown(k)!]);
  }
  if (states && states.length > 0) out.named.push(['initialState', st.list(states)]);
  if (name !== undefined) out.named.push(['name', st.str(name)]);
  return out;
}

function layerName(l: IRLayer, node: IRNode | undefined, opts: PrintOptions): string | undefined {
  if (opts.names === 'all' && node) return node.name;
  const given = l.args['name'];
  return typeof given === 'string' ? given : undefined;
}

function lstmCall(l: IRLayer, opts: PrintOptions, node: IRNode | undefined, states?: string[]): string {
  const a = argTexts(l, LSTM_STYLE, 'lstm', opts, layerName(l, node, opts), states);
  const parts = [...a.positional, ...a.named.map(([k, v]) => `${k}: ${v}`)];
  return `${l.type}(${parts.join(', ')})`;
}

/** A sequential YAML layer item as people write it: `lstm: 128`, `flatten`, `dense: {units: 5, ...}`. */
function yamlItem(l: IRLayer, opts: PrintOptions, node: IRNode | undefined): string {
  const a = argTexts(l, YAML_STYLE, 'yaml', opts, layerName(l, node, opts), undefined);
  const wrapper = getLayer(l.type)?.main[0] === 'layer';
  if (a.positional.length === 0 && a.named.length === 0) return l.type;
  if (a.positional.length === 1 && a.named.length === 0 && !wrapper && !a.positional[0]!.startsWith('['))
    return `${l.type}: ${a.positional[0]}`;
  return yamlLayer(l, opts, node).slice(1, -1);
}

/** A YAML layer item's value: `{lstm: {units: 25}}`, `{timeDistributed: {layer: {...}}}`. */
function yamlLayer(l: IRLayer, opts: PrintOptions, node: IRNode | undefined, states?: string[]): string {
  const def = getLayer(l.type);
  const a = argTexts(l, YAML_STYLE, 'yaml', opts, layerName(l, node, opts), states);
  const entries: string[] = [];
  const main = def?.main ?? [];
  a.positional.forEach((text, i) => entries.push(`${main[i] ?? 'layer'}: ${text}`));
  for (const [k, v] of a.named) entries.push(`${k}: ${v}`);
  return `{${l.type}: {${entries.join(', ')}}}`;
}

// ------------------------------------------------------------------------------------ models

interface Names {
  /** Text for a reference (`x`, `lstm_1`, or a destructured name). */
  ref(r: ValueRef): string;
  /** For each node: the names its outputs are bound to (`_` when unused). */
  targets(n: IRNode): string[];
}

function valueNames(m: IRModel): Names {
  const used = new Set<string>();
  const key = (r: ValueRef) => `${r.node}#${r.index}`;
  for (const n of m.nodes) for (const r of [...n.inputs, ...(n.initialState ?? [])]) used.add(key(r));
  for (const r of m.outputs) used.add(key(r));
  const multi = new Map<string, number>();
  for (const n of m.nodes) if (n.outputShapes.length > 1) multi.set(n.name, n.outputShapes.length);
  const taken = new Set<string>([...m.inputs.map((i) => i.name), ...Object.keys(m.params)]);
  const alias = new Map<string, string>();
  const fresh = (base: string): string => {
    let name = IDENT.test(base) && !KEYWORDS.has(base) ? base : `v_${base.replace(/[^A-Za-z0-9_]/g, '_')}`;
    if (taken.has(name)) {
      let k = 2;
      while (taken.has(`${name}_${k}`)) k++;
      name = `${name}_${k}`;
    }
    taken.add(name);
    return name;
  };
  // Outputs keep the names the spec gave them (`output value, label`): per-output losses are keyed by them.
  m.outputs.forEach((r, i) => {
    const name = m.outputNames?.[i];
    if (name === undefined || alias.has(key(r)) || taken.has(name) || !IDENT.test(name) || KEYWORDS.has(name)) return;
    if (m.inputs.some((inp) => inp.name === r.node)) return;
    alias.set(key(r), name);
    taken.add(name);
  });
  for (const n of m.nodes) {
    const count = multi.get(n.name) ?? 1;
    for (let i = 0; i < count; i++) {
      if (alias.has(key({ node: n.name, index: i }))) continue;
      if (!used.has(key({ node: n.name, index: i })) && count > 1) continue;
      alias.set(
        key({ node: n.name, index: i }),
        fresh(count === 1 ? n.name : i === 0 ? n.name : `${n.name}_state${i}`),
      );
    }
  }
  return {
    ref: (r) => alias.get(key(r)) ?? r.node,
    targets: (n) => {
      const count = multi.get(n.name) ?? 1;
      return Array.from({ length: count }, (_, i) => alias.get(key({ node: n.name, index: i })) ?? '_');
    },
  };
}

function dims(m: IRModel, i: number, st: Style): string {
  const inp = m.inputs[i]!;
  return st.list(
    inp.shape.map((d, k) => {
      const p = inp.dimParams?.[k];
      return p !== undefined ? st.param(p) : d === null ? st.unknownDim : String(d);
    }),
  );
}

/** The declared batch of input `i` (a param's name where it came from one), or undefined. */
function batchOf(m: IRModel, i: number, st: Style): string | undefined {
  const inp = m.inputs[i]!;
  if (inp.batch === undefined) return undefined;
  return inp.batchParam !== undefined ? st.param(inp.batchParam) : String(inp.batch);
}

function trainEntries(t: IRTrain, st: Style, form: 'lstm' | 'yaml'): [string, string][] {
  const d = defaultTrain();
  const out: [string, string][] = [];
  const given = (k: string) => k in t.spans;
  // Per-output losses and weights as written: a list in output order or a map by output name.
  const perOutput = <T>(p: IRPerOutput<T>, show: (v: T) => string): string =>
    p.by === 'list'
      ? st.list(p.values.map(show))
      : `{${p.names.map((n, i) => `${n}: ${show(p.values[i]!)}`).join(', ')}}`;
  if (t.losses) out.push(['loss', perOutput(t.losses, (x) => st.word(x))]);
  else if (given('loss') || t.loss !== d.loss) out.push(['loss', st.word(t.loss)]);
  if (t.lossWeights) out.push(['lossWeights', perOutput(t.lossWeights, num)]);
  if (given('optimizer') || t.optimizer.name !== d.optimizer.name || Object.keys(t.optimizer.args).length) {
    const args = Object.entries(t.optimizer.args);
    if (args.length === 0) out.push(['optimizer', t.optimizer.name]);
    else if (form === 'lstm')
      out.push(['optimizer', `${t.optimizer.name}(${args.map(([k, v]) => `${k}: ${num(v)}`).join(', ')})`]);
    else out.push(['optimizer', `{${t.optimizer.name}: {${args.map(([k, v]) => `${k}: ${num(v)}`).join(', ')}}}`]);
  }
  if (given('metrics') || t.metrics.length) out.push(['metrics', st.list(t.metrics.map((x) => st.word(x)))]);
  for (const k of ['epochs', 'batchSize', 'validationSplit', 'shuffle', 'clipNorm', 'clipValue', 'seed'] as const) {
    const v = t[k];
    if (v === undefined) continue;
    if (given(k) || v !== (d as unknown as Record<string, unknown>)[k]) out.push([k, String(v)]);
  }
  if (t.earlyStopping) {
    const es = t.earlyStopping;
    const parts = [`patience: ${es.patience}`];
    if (es.monitor !== 'val_loss') parts.push(`monitor: ${st.str(es.monitor)}`);
    if (es.minDelta !== 0) parts.push(`minDelta: ${num(es.minDelta)}`);
    out.push(['earlyStopping', form === 'lstm' ? `{ ${parts.join('  ')} }` : `{${parts.join(', ')}}`]);
  }
  return out;
}

function dataEntries(m: IRModel, st: Style): [string, string][] {
  if (!m.data) return [];
  const o = m.data.options;
  const keys = Object.keys(o);
  // The source key first (`synthetic: echo`, `csv: "a.csv"`).
  keys.sort((a, b) => (a === m.data!.source ? -1 : b === m.data!.source ? 1 : 0));
  return keys.map((k) => {
    const v = o[k]!;
    const isPathOrText = k === m.data!.source && m.data!.source !== 'synthetic';
    const text =
      typeof v === 'string'
        ? isPathOrText || k === 'alphabet' || k === 'column'
          ? st.str(v)
          : st.word(v)
        : value(v, undefined, st, 'lstm');
    return [k, text];
  });
}

function paramText(v: number | string | boolean, st: Style): string {
  return typeof v === 'string' ? st.str(v) : String(v);
}

/** One model in the `.lstm` form. */
export function printLstm(m: IRModel, opts: PrintOptions = {}): string {
  const lines: string[] = [`model ${m.name} {`];
  for (const [k, v] of Object.entries(m.params)) lines.push(`  param ${k} = ${paramText(v, LSTM_STYLE)}`);
  m.inputs.forEach((inp, i) => {
    const batch = batchOf(m, i, LSTM_STYLE);
    lines.push(`  input ${inp.name}: ${dims(m, i, LSTM_STYLE)}${batch === undefined ? '' : ` batch ${batch}`}`);
  });
  if (m.kind === 'sequential') {
    for (const n of m.nodes) lines.push(`  ${lstmCall(n, opts, n)}`);
  } else {
    const names = valueNames(m);
    for (const n of m.nodes) {
      const targets = names.targets(n);
      const lhs = targets.length > 1 ? `[${targets.join(', ')}]` : targets[0]!;
      const from = n.inputs.length === 1 ? names.ref(n.inputs[0]!) : `[${n.inputs.map(names.ref).join(', ')}]`;
      const states = n.initialState?.map(names.ref);
      const call = lstmCall(n, opts, n, states);
      const line = `  let ${lhs} = ${from} -> ${call}`;
      // The canonical layout (grammar/format.ts): a chain too long for one line puts its `-> layer` on the next.
      lines.push(line.length <= WIDTH ? line : `  let ${lhs} = ${from}\n      -> ${call}`);
    }
    lines.push(`  output ${m.outputs.map(names.ref).join(', ')}`);
  }
  const train = trainEntries(m.train, LSTM_STYLE, 'lstm');
  if (train.length) {
    lines.push('', '  train {');
    for (const [k, v] of train) lines.push(`    ${k}: ${v}`);
    lines.push('  }');
  }
  const data = dataEntries(m, LSTM_STYLE);
  if (data.length) {
    lines.push(train.length ? '  data {' : '\n  data {');
    for (const [k, v] of data) lines.push(`    ${k}: ${v}`);
    lines.push('  }');
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** One model as a YAML document. */
export function printYaml(m: IRModel, opts: PrintOptions = {}): string {
  const lines: string[] = [`model: ${m.name}`];
  const params = Object.entries(m.params);
  if (params.length) {
    lines.push('params:');
    for (const [k, v] of params) lines.push(`  ${k}: ${paramText(v, YAML_STYLE)}`);
  }
  lines.push('inputs:');
  m.inputs.forEach((inp, i) => {
    const batch = batchOf(m, i, YAML_STYLE);
    const shape = dims(m, i, YAML_STYLE);
    lines.push(`  ${inp.name}: ${batch === undefined ? shape : `{shape: ${shape}, batch: ${batch}}`}`);
  });
  if (m.kind === 'sequential') {
    lines.push('layers:');
    for (const n of m.nodes) lines.push(`  - ${yamlItem(n, opts, n)}`);
  } else {
    const names = valueNames(m);
    lines.push('graph:');
    for (const n of m.nodes) {
      const targets = names.targets(n);
      const lhs = targets.length > 1 ? `[${targets.join(', ')}]` : targets[0]!;
      const from = n.inputs.length === 1 ? names.ref(n.inputs[0]!) : `[${n.inputs.map(names.ref).join(', ')}]`;
      const states = n.initialState?.map(names.ref);
      lines.push(`  - {let: ${lhs}, from: ${from}, layers: [${yamlLayer(n, opts, n, states)}]}`);
    }
    lines.push(`outputs: [${m.outputs.map(names.ref).join(', ')}]`);
  }
  const train = trainEntries(m.train, YAML_STYLE, 'yaml');
  if (train.length) {
    lines.push('train:');
    for (const [k, v] of train) lines.push(`  ${k}: ${v}`);
  }
  const data = dataEntries(m, YAML_STYLE);
  if (data.length) {
    lines.push('data:');
    for (const [k, v] of data) lines.push(`  ${k}: ${v}`);
  }
  return lines.join('\n') + '\n';
}

/** One layer call as a `.lstm` spec spells it, defaults left out: `lstm(50, returnSequences: true)` (graph boxes). */
export function layerCallText(l: IRLayer): string {
  return lstmCall(l, {}, undefined);
}
