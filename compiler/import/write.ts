/**
 * `lstmc import`, step 3: the checked layer graph → `.lstm` text a person would have written:
 * `model <Name>` from the Keras model name, `input` declarations (`batch N` for stateful models), the
 * sequential form for a chain and the graph form (`let`, destructuring, `initialState`, `output`)
 * otherwise, `let` names from the Keras layer names, `name:` only for names a person chose, only
 * non-default arguments, and a header comment naming the source. The caller lays it out with the
 * canonical formatter (grammar/format.ts) and re-checks it.
 */
import type { ArgValue } from '../ir.js';
import { lstmString } from '../../grammar/format.js';
import type { LayerInstance } from '../layers/types.js';
import { isGeneratedInputName, isGeneratedName, type KGraph, type KRef } from './graph.js';
import type { MappedLayer } from './map.js';

/** One call in the model, resolved: its data inputs and initial states as values. */
export interface PlannedNode {
  /** The Keras layer name. */
  name: string;
  className: string;
  mapped: MappedLayer;
  inputs: KRef[];
  initialState: KRef[];
  outputCount: number;
}

export interface WriteInput {
  graph: KGraph;
  /** In a topological order. */
  nodes: PlannedNode[];
  /** Source file name for the header. */
  source: string;
  /** Lines of the `train { }` block (already mapped), or undefined. */
  train: string[] | undefined;
  /** Extra header comment lines (what was not imported). */
  notes: string[];
  /** Write `batch N` on inputs (a stateful model declares its batch size). */
  batch: boolean;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORDS = new Set(['model', 'param', 'input', 'let', 'output', 'train', 'data', 'true', 'false', 'batch', '_']);

export function instanceOf(m: MappedLayer): LayerInstance {
  const inst: LayerInstance = { def: m.def, args: Object.fromEntries(m.args.map((a) => [a.name, a.value])) };
  if (m.inner) inst.inner = instanceOf(m.inner);
  return inst;
}

/** A valid model name from the Keras model name: `sequential_1` → `Sequential1`, `my-model` → `MyModel`. */
export function modelName(keras: string | undefined, fallback: string): string {
  const parts = (keras ?? '').split(/[^A-Za-z0-9]+/).filter((p) => p !== '');
  let name = parts.map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
  if (name === '') name = fallback;
  if (!/^[A-Za-z]/.test(name)) name = `Model${name}`;
  return name;
}

function identifier(s: string): string {
  let id = s.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (id === '') id = 'v';
  if (/^[0-9]/.test(id)) id = `v${id}`;
  return id;
}

class Names {
  private readonly used = new Set<string>(KEYWORDS);
  take(wanted: string): string {
    const base = identifier(wanted);
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}${i}`;
    this.used.add(name);
    return name;
  }
}

function valueText(v: ArgValue, isString: boolean): string {
  if (v === null) return '?';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return isString || !IDENT.test(v) || KEYWORDS.has(v) ? lstmString(v) : v;
  if (Array.isArray(v)) return `[${v.map((x) => valueText(x, isString)).join(', ')}]`;
  return '?';
}

/** `lstm(50, returnSequences: true)`; `name` is added when the Keras name is one a person chose. */
export function callText(m: MappedLayer, name?: string): string {
  const parts: string[] = [];
  const given = new Map(m.args.map((a) => [a.name, a.value]));
  const positional = new Set<string>();
  for (const k of m.def.main) {
    if (m.def.args[k]?.type.kind === 'layer') {
      if (!m.inner) break;
      parts.push(callText(m.inner));
      positional.add(k);
      continue;
    }
    if (!given.has(k)) break;
    parts.push(valueText(given.get(k)!, m.def.args[k]?.type.kind === 'string'));
    positional.add(k);
  }
  for (const a of m.args) {
    if (positional.has(a.name)) continue;
    parts.push(`${a.name}: ${valueText(a.value, m.def.args[a.name]?.type.kind === 'string')}`);
  }
  if (name !== undefined && m.def.args.name) parts.push(`name: ${lstmString(name)}`);
  return parts.length === 0 ? `${m.def.name}()` : `${m.def.name}(${parts.join(', ')})`;
}

function dimsText(dims: (number | null)[]): string {
  return `[${dims.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** The suffix a person drops from a layer name for a value name: `encoder_lstm` → `encoder`. */
function valueBase(node: PlannedNode): string {
  if (isGeneratedName(node.name, node.className, node.mapped.def.name)) return node.mapped.def.name;
  const words = [node.mapped.def.name, node.className, node.mapped.inner?.def.name].filter((w): w is string => !!w);
  for (const w of words) {
    const m = new RegExp(`^(.+?)[_-]${w}$`, 'i').exec(node.name);
    if (m && IDENT.test(m[1]!)) return m[1]!;
  }
  return node.name;
}

const key = (r: { layer: string; tensor: number }): string => `${r.layer}#${r.tensor}`;

/** The spec text (not yet laid out canonically). */
export function writeSpec(w: WriteInput): { text: string; layerNames: Record<string, string> } {
  const { graph, nodes } = w;
  const names = new Names();
  const lines: string[] = [];
  const kind = graph.kind === 'Sequential' ? 'Sequential' : 'Functional';
  lines.push(`# Imported by lstmc from ${w.source} (${graph.version}, ${kind})`);
  for (const n of w.notes) lines.push(`# ${n}`);
  const name = modelName(graph.modelName, 'Imported');
  lines.push(`model ${name} {`);

  const valueOf = new Map<string, string>();
  for (const inp of graph.inputs) {
    const wanted = isGeneratedInputName(inp.name)
      ? graph.inputs.length === 1
        ? 'x'
        : `x${graph.inputs.indexOf(inp) + 1}`
      : inp.name;
    const n = names.take(wanted);
    valueOf.set(key({ layer: inp.name, tensor: 0 }), n);
    const batch = w.batch && inp.batch !== null ? ` batch ${inp.batch}` : '';
    lines.push(`  input ${n}: ${dimsText(inp.shape)}${batch}`);
  }

  // Which layer name each spec node gets (Keras names a person chose are kept as `name:`).
  const layerNames: Record<string, string> = {};
  const keep = (n: PlannedNode): string | undefined =>
    isGeneratedName(n.name, n.className, n.mapped.def.name) ? undefined : n.name;

  // Uses of each tensor: by a node (as data or state) or as a model output.
  const uses = new Map<string, number>();
  const use = (r: KRef): void => void uses.set(key(r), (uses.get(key(r)) ?? 0) + 1);
  for (const n of nodes) [...n.inputs, ...n.initialState].forEach(use);
  graph.outputs.forEach(use);

  const single = graph.inputs.length === 1 && graph.outputs.length === 1;
  const chain =
    single &&
    nodes.every((n, i) => {
      const from = i === 0 ? graph.inputs[0]!.name : nodes[i - 1]!.name;
      return (
        n.outputCount === 1 &&
        n.initialState.length === 0 &&
        n.inputs.length === 1 &&
        n.inputs[0]!.layer === from &&
        n.inputs[0]!.tensor === 0 &&
        uses.get(key({ layer: from, tensor: 0 })) === 1
      );
    }) &&
    nodes.length > 0 &&
    graph.outputs[0]!.layer === nodes[nodes.length - 1]!.name &&
    graph.outputs[0]!.tensor === 0;

  if (chain) {
    for (const n of nodes) {
      lines.push(`  ${callText(n.mapped, keep(n))}`);
      layerNames[n.name] = keep(n) ?? '';
    }
  } else {
    // Graph form: one `let` per chain of single-use, single-output steps.
    const continues = nodes.map((n, i) => {
      const prev = nodes[i - 1];
      return (
        prev !== undefined &&
        n.inputs.length === 1 &&
        n.initialState.length === 0 &&
        n.inputs[0]!.layer === prev.name &&
        n.inputs[0]!.tensor === 0 &&
        prev.outputCount === 1 &&
        uses.get(key({ layer: prev.name, tensor: 0 })) === 1
      );
    });
    const refText = (r: KRef): string => valueOf.get(key(r)) ?? '_';
    let open: { from: string; steps: string[] } | undefined;
    nodes.forEach((n, i) => {
      let text = callText(n.mapped, keep(n));
      if (n.initialState.length > 0) {
        const states = `initialState: [${n.initialState.map(refText).join(', ')}]`;
        text = text.endsWith('()') ? `${text.slice(0, -1)}${states})` : `${text.slice(0, -1)}, ${states})`;
      }
      layerNames[n.name] = keep(n) ?? '';
      if (continues[i] && open) open.steps.push(text);
      else {
        const from = n.inputs.length === 1 ? refText(n.inputs[0]!) : `[${n.inputs.map(refText).join(', ')}]`;
        open = { from, steps: [text] };
      }
      if (continues[i + 1]) return;
      // The chain ends here: name its outputs.
      const base = valueBase(n);
      let targets: string;
      if (n.outputCount === 1) {
        targets = names.take(base);
        valueOf.set(key({ layer: n.name, tensor: 0 }), targets);
      } else {
        const states = stateNamesOf(n);
        const parts: string[] = [];
        for (let t = 0; t < n.outputCount; t++) {
          if ((uses.get(key({ layer: n.name, tensor: t })) ?? 0) === 0) {
            parts.push('_');
            continue;
          }
          const v = names.take(t === 0 ? base : (states[t - 1] ?? `${base}_${t}`));
          valueOf.set(key({ layer: n.name, tensor: t }), v);
          parts.push(v);
        }
        targets = `[${parts.join(', ')}]`;
      }
      lines.push(`  let ${targets} = ${open.from} -> ${open.steps.join(' -> ')}`);
      open = undefined;
    });
    const outs = graph.outputs.map((r) => valueOf.get(key(r)) ?? '_');
    lines.push(`  output ${outs.join(', ')}`);
  }
  if (w.train) {
    lines.push('');
    lines.push('  train {');
    for (const l of w.train) lines.push(`    ${l}`);
    lines.push('  }');
  }
  lines.push('}');
  return { text: `${lines.join('\n')}\n`, layerNames };
}

/** `h`, `c` for an lstm; forward then backward (`h_fw`, `c_fw`, `h_bw`, `c_bw`) for a bidirectional one. */
function stateNamesOf(n: PlannedNode): string[] {
  const own = n.mapped.def.stateNames;
  if (own && own.length > 0) return [...own];
  const inner = n.mapped.inner?.def.stateNames ?? [];
  return [...inner.map((s) => `${s}_fw`), ...inner.map((s) => `${s}_bw`)];
}
