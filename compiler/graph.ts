/**
 * The model as a graph (`lstmc graph`, the report's diagram), as Keras `plot_model(show_shapes=True)`
 * draws it: one box per input and layer with its name, type, the call as written, input and output
 * shapes and parameter count; one small box per model output; edges for data, initial states
 * (`initialState`) and model outputs, labelled with the state they carry (`h`, `c`, `h fwd`).
 *
 * Pure data built from the checked IR plus its Graphviz DOT text. Everything per layer comes from the
 * layer table (class names, categories, state names); nothing here loads tfjs or WASM — layout and
 * rendering (Graphviz compiled to WASM) sit above, in cli/graph-render.ts.
 */
import type { IRLayer, IRModel, IRNode, Shape, ValueRef } from './ir.js';
import { getLayer } from './layers/table.js';
import type { LayerCategory } from './layers/types.js';
import { layerCallText } from './print.js';
import { formatCount, shapeText, withBatch } from './summary.js';

export type GraphNodeKind = 'input' | 'layer' | 'output';

export interface GraphNode {
  /** The DOT node id: `input:x`, `layer:lstm_1`, `output:0`. */
  id: string;
  kind: GraphNodeKind;
  /** The input's or layer's name; `output`, `output 2`, ... for model outputs. */
  name: string;
  /** TF.js class name ('LSTM'); wrappers name their inner layer ('Bidirectional(LSTM)'); 'InputLayer', 'Output'. */
  type: string;
  /** Layer category from the table ('recurrent', 'wrapper', ...); absent for inputs and outputs. */
  category?: LayerCategory;
  /** The layer call as the spec spells it, defaults left out (`lstm(50, returnSequences: true)`); '' otherwise. */
  call: string;
  /**
   * Shapes with the batch dimension, as `lstmc summary` prints them: `(batch, 60, 1)`; several outputs
   * are named (`out: (batch, 16)`, `h: (batch, 8)`).
   */
  inputShapes: string[];
  outputShapes: string[];
  params: number;
}

export type GraphEdgeKind = 'data' | 'state' | 'output';

export interface GraphEdge {
  from: string;
  to: string;
  /** Which output of the source node the edge carries (0 unless it returns states). */
  fromOutput: number;
  /** data: a layer input; state: an `initialState` entry; output: a model output. */
  kind: GraphEdgeKind;
  /** '' for a plain data edge; the state's name otherwise (`h`, `c`, `h fwd`, `initial c`). */
  label: string;
  /** The shape the edge carries, with the batch dimension. */
  shape: string;
}

export interface ModelGraph {
  model: string;
  kind: IRModel['kind'];
  nodes: GraphNode[];
  edges: GraphEdge[];
  totalParams: number;
}

function className(l: IRLayer): string {
  const own = getLayer(l.type)?.className ?? l.type;
  return l.inner ? `${own}(${className(l.inner)})` : own;
}

/**
 * Names of `count` states of a layer, as `returnState` returns them and `initialState` takes them,
 * from the table (`h`, `c`). A wrapper whose states are its inner layer's repeated (bidirectional:
 * forward states, then backward ones) names them `h fwd`, ..., `h bwd`, ...
 */
export function stateNames(l: IRLayer, count: number): string[] {
  const own = getLayer(l.type)?.stateNames;
  const inner = l.inner ? getLayer(l.inner.type)?.stateNames : undefined;
  if (own && own.length === count) return [...own];
  if (inner && inner.length === count) return [...inner];
  if (inner && inner.length * 2 === count) return [...inner.map((s) => `${s} fwd`), ...inner.map((s) => `${s} bwd`)];
  return Array.from({ length: count }, (_, i) => `state ${i + 1}`);
}

/** Names of a node's outputs: '' for the main output, then its states (`returnState: true`). */
export function outputNames(node: IRLayer & { outputShapes: Shape[] }): string[] {
  const n = node.outputShapes.length;
  return n <= 1 ? [''] : ['', ...stateNames(node, n - 1)];
}

const idOf = {
  input: (name: string) => `input:${name}`,
  layer: (name: string) => `layer:${name}`,
  output: (i: number) => `output:${i}`,
};

/** The model's graph: inputs, layers and outputs as nodes; every data input, initial state and output as an edge. */
export function modelGraph(model: IRModel): ModelGraph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const byName = new Map<string, IRNode>(model.nodes.map((n) => [n.name, n]));
  const inputs = new Map(model.inputs.map((i) => [i.name, i]));
  const source = (ref: ValueRef): { id: string; shape: Shape | undefined; name: string } => {
    const input = inputs.get(ref.node);
    if (input) return { id: idOf.input(input.name), shape: input.shape, name: '' };
    const node = byName.get(ref.node);
    return {
      id: idOf.layer(ref.node),
      shape: node?.outputShapes[ref.index],
      name: node ? (outputNames(node)[ref.index] ?? '') : '',
    };
  };
  // A declared batch size (`input x: [1, 1] batch 25`) is shown as that number, as tfjs reports it.
  const batch = model.inputs.find((i) => i.batch !== undefined)?.batch;
  const text = (s: Shape | undefined): string => (s ? shapeText(withBatch(s, batch)) : '?');

  for (const input of model.inputs) {
    const shape = text(input.shape);
    nodes.push({
      id: idOf.input(input.name),
      kind: 'input',
      name: input.name,
      type: 'InputLayer',
      call: '',
      inputShapes: [shape],
      outputShapes: [shape],
      params: 0,
    });
  }
  let total = 0;
  for (const node of model.nodes) {
    const id = idOf.layer(node.name);
    const params = node.params.trainable + node.params.nonTrainable;
    total += params;
    const category = getLayer(node.type)?.category;
    nodes.push({
      id,
      kind: 'layer',
      name: node.name,
      type: className(node),
      ...(category ? { category } : {}),
      call: layerCallText(node),
      inputShapes: node.inputShapes.map(text),
      outputShapes:
        node.outputShapes.length > 1
          ? outputNames(node).map((name, i) => `${name || 'out'}: ${text(node.outputShapes[i])}`)
          : node.outputShapes.map(text),
      params,
    });
    for (const ref of node.inputs) {
      const s = source(ref);
      edges.push({ from: s.id, to: id, fromOutput: ref.index, kind: 'data', label: s.name, shape: text(s.shape) });
    }
    const targetStates = stateNames(node, node.initialState?.length ?? 0);
    (node.initialState ?? []).forEach((ref, i) => {
      const s = source(ref);
      const into = targetStates[i]!;
      const label = s.name === '' || s.name === into ? `initial ${into}` : `${s.name} → initial ${into}`;
      edges.push({ from: s.id, to: id, fromOutput: ref.index, kind: 'state', label, shape: text(s.shape) });
    });
  }
  model.outputs.forEach((ref, i) => {
    const s = source(ref);
    const id = idOf.output(i);
    nodes.push({
      id,
      kind: 'output',
      name: model.outputs.length === 1 ? 'output' : `output ${i + 1}`,
      type: 'Output',
      call: '',
      inputShapes: [text(s.shape)],
      outputShapes: [text(s.shape)],
      params: 0,
    });
    edges.push({ from: s.id, to: id, fromOutput: ref.index, kind: 'output', label: s.name, shape: text(s.shape) });
  });
  return { model: model.name, kind: model.kind, nodes, edges, totalParams: total };
}

// ---------------------------------------------------------------------------------------------
// DOT

/** Fill colours of box headers by layer category (the table's categories, not layer names). */
const CATEGORY_COLORS: Readonly<Record<LayerCategory, string>> = {
  recurrent: '#cfe2f3',
  wrapper: '#d9d2e9',
  core: '#eeeeee',
  conv: '#d9ead3',
  pooling: '#e2efd9',
  normalization: '#fff2cc',
  merge: '#fce5cd',
  attention: '#fff0f5',
  embedding: '#f4cccc',
};
const INPUT_COLOR = '#fde9c8';
const OUTPUT_COLOR = '#e8e8e8';

/** Text for a DOT HTML-like label. */
export function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A DOT double-quoted string. */
export function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Long calls (a wrapper's inner layer with many arguments) are broken after commas, about 48 characters a line. */
function wrapCall(call: string, width = 48): string[] {
  if (call.length <= width) return [call];
  const lines: string[] = [];
  let line = '';
  for (const part of call.split(/(?<=, )/)) {
    if (line !== '' && (line + part).length > width) {
      lines.push(line.trimEnd());
      line = '    ';
    }
    line += part;
  }
  if (line.trim() !== '') lines.push(line);
  return lines;
}

function shapesCell(shapes: string[]): string {
  return shapes.map(htmlEscape).join('<br/>');
}

function nodeLabel(n: GraphNode): string {
  const fill = n.kind === 'input' ? INPUT_COLOR : n.kind === 'output' ? OUTPUT_COLOR : CATEGORY_COLORS[n.category!];
  const rows: string[] = [];
  if (n.kind === 'output') {
    rows.push(`<tr><td bgcolor="${fill}"><b>${htmlEscape(n.name)}</b></td></tr>`);
    rows.push(`<tr><td>${shapesCell(n.outputShapes)}</td></tr>`);
  } else {
    rows.push(
      `<tr><td colspan="2" bgcolor="${fill ?? '#eeeeee'}"><b>${htmlEscape(n.name)}</b> (${htmlEscape(n.type)})</td></tr>`,
    );
    if (n.call !== '')
      rows.push(
        `<tr><td colspan="2" align="left"><font point-size="9">${wrapCall(n.call)
          .map(htmlEscape)
          .join('<br align="left"/>')}</font></td></tr>`,
      );
    if (n.kind === 'layer') rows.push(`<tr><td align="right">input:</td><td>${shapesCell(n.inputShapes)}</td></tr>`);
    rows.push(`<tr><td align="right">output:</td><td>${shapesCell(n.outputShapes)}</td></tr>`);
    if (n.kind === 'layer') rows.push(`<tr><td align="right">params:</td><td>${formatCount(n.params)}</td></tr>`);
  }
  return `<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">${rows.join('')}</table>>`;
}

function edgeAttrs(e: GraphEdge): string {
  const attrs: string[] = [];
  if (e.label !== '') attrs.push(`label=${dotString(` ${e.label} `)}`);
  if (e.kind === 'state') attrs.push('style=dashed', 'color="#3d6fb4"', 'fontcolor="#3d6fb4"');
  if (e.kind === 'output') attrs.push('color="#888888"');
  return attrs.length > 0 ? ` [${attrs.join(', ')}]` : '';
}

/** The graph as Graphviz DOT text (deterministic: the golden files compare it byte for byte). */
export function graphToDot(g: ModelGraph): string {
  const lines: string[] = [];
  lines.push(`digraph ${dotString(g.model)} {`);
  lines.push(
    `  graph [rankdir=TB, nodesep=0.35, ranksep=0.4, fontname="Courier", fontsize=14, labelloc=t, label=<<b>${htmlEscape(
      g.model,
    )}</b>  ·  ${formatCount(g.totalParams)} params>];`,
  );
  lines.push('  node [shape=plain, fontname="Courier", fontsize=10];');
  lines.push('  edge [fontname="Courier", fontsize=9, arrowsize=0.7, color="#444444"];');
  for (const n of g.nodes) lines.push(`  ${dotString(n.id)} [label=${nodeLabel(n)}];`);
  for (const e of g.edges) lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)}${edgeAttrs(e)};`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
