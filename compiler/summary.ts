/**
 * Model summaries (pure; loads no tfjs): the `lstmc summary --json` contract (LANGUAGE.md section 5)
 * and a Keras-style text table.
 */
import type { Dim, IRModel, IRNode, Shape, ValueRef } from './ir.js';
import { getLayer } from './layers/table.js';

/**
 * A summary dimension: unknown dims are null, symbols are strings; the batch dimension is null unless the
 * model declares its batch size (`input x: [1, 1] batch 25`), then that number (as tfjs reports it).
 */
export type SummaryShape = Dim[];

export interface SummaryInput {
  name: string;
  shape: SummaryShape;
}

export interface SummaryLayer {
  name: string;
  /** TF.js class name, e.g. 'LSTM', 'TimeDistributed'. */
  type: string;
  /** One shape, or a list of shapes when the layer has several outputs (returnState). */
  outputShape: SummaryShape | SummaryShape[];
  params: number;
}

export interface ModelSummary {
  name: string;
  inputs: SummaryInput[];
  layers: SummaryLayer[];
  outputs: Array<{ shape: SummaryShape }>;
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
}

export interface SummaryOptions {
  /** Override the class-name lookup (default: the layer table's `className`). */
  className?: (type: string) => string | undefined;
}

/** `lstmc summary --json` top level. */
export interface SummaryReport {
  models: ModelSummary[];
}

/** Prepend the batch dimension: null, or the declared batch size. */
export function withBatch(shape: Shape, batch?: number): SummaryShape {
  return [batch ?? null, ...shape.map((d) => (d === undefined ? null : d))];
}

/** The model's declared batch size (every input declares the same one once checked), if any. */
function declaredBatchOf(model: IRModel): number | undefined {
  return model.inputs.find((i) => i.batch !== undefined)?.batch;
}

function nodeParams(node: IRNode): number {
  return node.params.trainable + node.params.nonTrainable;
}

function refShape(model: IRModel, ref: ValueRef): Shape | undefined {
  const input = model.inputs.find((i) => i.name === ref.node);
  if (input !== undefined) return input.shape;
  const node = model.nodes.find((n) => n.name === ref.node);
  return node?.outputShapes[ref.index];
}

export function summarize(model: IRModel, options: SummaryOptions = {}): ModelSummary {
  const classOf = (type: string): string => options.className?.(type) ?? getLayer(type)?.className ?? type;
  let trainable = 0;
  let nonTrainable = 0;
  const batch = declaredBatchOf(model);
  const layers: SummaryLayer[] = model.nodes.map((node) => {
    trainable += node.params.trainable;
    nonTrainable += node.params.nonTrainable;
    const shapes = node.outputShapes.map((s) => withBatch(s, batch));
    return {
      name: node.name,
      type: classOf(node.type),
      outputShape: shapes.length === 1 ? shapes[0]! : shapes,
      params: nodeParams(node),
    };
  });
  const outputShapes: Shape[] =
    model.outputShapes.length > 0
      ? model.outputShapes
      : model.outputs.map((r) => refShape(model, r)).filter((s): s is Shape => s !== undefined);
  return {
    name: model.name,
    inputs: model.inputs.map((i) => ({ name: i.name, shape: withBatch(i.shape, i.batch) })),
    layers,
    outputs: outputShapes.map((s) => ({ shape: withBatch(s, batch) })),
    totalParams: trainable + nonTrainable,
    trainableParams: trainable,
    nonTrainableParams: nonTrainable,
  };
}

/**
 * For functional models: for each layer name, the values it reads (Keras `name[0][index]`), including
 * `initialState`. Undefined for sequential models (the table then has no "Connected to" column).
 */
export interface SummaryGraph {
  /** Inputs are shown as InputLayer rows first. */
  inputs: SummaryInput[];
  connectedTo: Record<string, string[]>;
}

export function summaryGraph(model: IRModel): SummaryGraph | undefined {
  if (model.kind !== 'functional') return undefined;
  const connectedTo: Record<string, string[]> = {};
  for (const node of model.nodes) {
    const refs = [...node.inputs, ...(node.initialState ?? [])];
    connectedTo[node.name] = refs.map((r) => `${r.node}[0][${r.index}]`);
  }
  return { inputs: model.inputs.map((i) => ({ name: i.name, shape: withBatch(i.shape, i.batch) })), connectedTo };
}

// ---------------------------------------------------------------------------------------------
// text table

function dimText(d: Dim, index: number): string {
  if (index === 0 && d === null) return 'batch';
  if (d === null) return '?';
  return String(d);
}

export function shapeText(shape: SummaryShape): string {
  return `(${shape.map(dimText).join(', ')})`;
}

function outputShapeText(s: SummaryShape | SummaryShape[]): string {
  if (s.length > 0 && Array.isArray(s[0])) return `[${(s as SummaryShape[]).map(shapeText).join(', ')}]`;
  return shapeText(s as SummaryShape);
}

/** 3600 -> "3,600". */
export function formatCount(n: number): string {
  return Math.trunc(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * A Keras-style summary table. Pass `graph` (from `summaryGraph`) for functional models to get the
 * InputLayer rows and the "Connected to" column.
 */
export function renderSummaryTable(summary: ModelSummary, graph?: SummaryGraph): string {
  const header = ['Layer (type)', 'Output Shape', 'Param #'];
  if (graph !== undefined) header.push('Connected to');
  const rows: string[][][] = [];
  if (graph !== undefined) {
    for (const input of graph.inputs) rows.push([[`${input.name} (InputLayer)`, shapeText(input.shape), '0', '']]);
  }
  for (const layer of summary.layers) {
    const cells = [`${layer.name} (${layer.type})`, outputShapeText(layer.outputShape), formatCount(layer.params)];
    if (graph === undefined) {
      rows.push([cells]);
      continue;
    }
    const conns = graph.connectedTo[layer.name] ?? [];
    const lines: string[][] = [[...cells, conns[0] ?? '']];
    for (let i = 1; i < conns.length; i++) lines.push(['', '', '', conns[i]!]);
    rows.push(lines);
  }
  const gap = 3;
  const widths = header.map((h, c) =>
    Math.max(h.length, ...rows.flatMap((row) => row.map((line) => (line[c] ?? '').length))),
  );
  const total = widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1) + 1;
  const line = (cells: string[]): string =>
    (' ' + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + gap))).join('')).trimEnd();
  const thin = '_'.repeat(total);
  const thick = '='.repeat(total);
  const out: string[] = [`Model: "${summary.name}"`, thin, line(header), thick];
  rows.forEach((row, i) => {
    for (const l of row) out.push(line(l));
    out.push(i === rows.length - 1 ? thick : thin);
  });
  if (rows.length === 0) out.push(thick);
  out.push(`Total params: ${formatCount(summary.totalParams)}`);
  out.push(`Trainable params: ${formatCount(summary.trainableParams)}`);
  out.push(`Non-trainable params: ${formatCount(summary.nonTrainableParams)}`);
  out.push(thin);
  return out.join('\n') + '\n';
}
