/**
 * `lstmc predict --format table|json|csv`: a PredictionReport (runtime/predictions.ts) for people (an
 * aligned table with rounded numbers and a line saying what the numbers are) or programs (JSON with
 * every field, CSV with one row per sample). Pure: no tfjs, no file system.
 *
 * Rounding: probabilities to 3 decimals in the table; values to about 4 significant digits of the
 * largest in their column (a column shares its decimals: 431.2, 12.5); JSON and CSV keep 7 significant digits
 * (all a float32 output has).
 */
import type { Prediction, PredictionReport } from '../runtime/predictions.js';

export type PredictFormat = 'table' | 'json' | 'csv';
export const PREDICT_FORMATS: readonly PredictFormat[] = ['table', 'json', 'csv'];

type Nested = number | Nested[];

export interface PredictContext {
  model: string;
  /** Where the inputs came from, in words (a CSV series: which values of which file). */
  source?: string;
}

/** 7 significant digits: a float32 carries no more. */
export function round7(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(7)) : v;
}

function deepRound(v: Nested): Nested {
  return Array.isArray(v) ? v.map(deepRound) : round7(v);
}

function flat(v: Nested): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

/** Decimals that give about 4 significant digits for the largest magnitude (0 to 6). */
export function decimalsFor(values: readonly number[]): number {
  const m = Math.max(0, ...values.filter(Number.isFinite).map(Math.abs));
  if (m === 0) return 3;
  return Math.min(6, Math.max(0, 3 - Math.floor(Math.log10(m))));
}

/** A label as the table shows it: quoted when it is blank, has spaces or is a control character. */
function showLabel(s: string): string {
  return /^[^\s"',]+$/.test(s) ? s : JSON.stringify(s);
}

/** Column names of a value output: `t+1 ... t+H` for a CSV forecast, else `y[0]`, `y[0,1]`, ... */
function valueColumns(r: PredictionReport): string[] {
  const shape = r.shape;
  const n = shape.reduce((a, b) => a * b, 1);
  if (r.column !== undefined && shape.length === 1) return Array.from({ length: n }, (_, i) => `t+${i + 1}`);
  return Array.from({ length: n }, (_, i) => {
    const idx: number[] = [];
    let rest = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx.unshift(rest % shape[d]!);
      rest = Math.floor(rest / shape[d]!);
    }
    return `y[${idx.join(',')}]`;
  });
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** One line saying what the numbers are (table output only). */
export function meaningLine(r: PredictionReport, ctx: PredictContext): string {
  const from = ctx.source ? `, ${ctx.source}` : '';
  if (r.kind === 'values') {
    if (r.column !== undefined)
      return `${ctx.model}: forecast of "${r.column}"${r.originalUnits ? ' in its original units' : ''}${from}`;
    return `${ctx.model}: outputs${from}`;
  }
  const names = !r.labels
    ? 'no labels: add `labels: [...]` to the data block'
    : r.labelSource === 'alphabet'
      ? "labels: the model's alphabet"
      : `labels: ${r.labels.map(showLabel).join(', ')}`;
  if (r.kind === 'binary') {
    const name = (k: number) => (r.labels?.[k] !== undefined ? ` (${showLabel(r.labels[k]!)})` : '');
    return `${ctx.model}: class 1${name(1)} when its probability is at least 0.5, else class 0${name(0)}${from}`;
  }
  const n = r.shape[r.shape.length - 1];
  const names12 = r.labels && r.labels.length > 12 && r.labelSource === 'labels' ? `${r.labels.length} labels` : names;
  return `${ctx.model}: the most probable of ${n} classes, with its probability (${names12})${from}`;
}

function tableRows(r: PredictionReport): { header: string[]; rows: string[][]; right: boolean[] } {
  const hasInput = r.predictions.some((p) => p.input !== undefined);
  const inputCol = (p: Prediction) => (hasInput ? [p.input !== undefined ? JSON.stringify(p.input) : ''] : []);
  if (r.kind === 'values') {
    const cols = valueColumns(r);
    const values = r.predictions.map((p) => flat(p.output));
    const dec = cols.map((_, k) => decimalsFor(values.map((v) => v[k]!)));
    return {
      header: ['sample', ...(hasInput ? ['input'] : []), ...cols],
      rows: r.predictions.map((p, i) => [
        String(p.sample),
        ...inputCol(p),
        ...values[i]!.map((v, k) => v.toFixed(dec[k]!)),
      ]),
      right: [true, ...(hasInput ? [false] : []), ...cols.map(() => true)],
    };
  }
  const sequence = r.predictions.some((p) => Array.isArray(p.class));
  if (sequence) {
    const hasText = r.predictions.some((p) => p.text !== undefined);
    return {
      header: ['sample', ...(hasInput ? ['input'] : []), 'prediction', 'lowest probability'],
      rows: r.predictions.map((p) => [
        String(p.sample),
        ...inputCol(p),
        hasText && p.text !== undefined
          ? JSON.stringify(p.text)
          : list(p.label ?? p.class)
              .map((x) => showLabel(String(x)))
              .join(' '),
        Math.min(...list(p.probability)).toFixed(3),
      ]),
      right: [true, ...(hasInput ? [false] : []), false, true],
    };
  }
  const hasLabel = r.predictions.some((p) => p.label !== undefined);
  return {
    header: ['sample', ...(hasInput ? ['input'] : []), 'class', ...(hasLabel ? ['label'] : []), 'probability'],
    rows: r.predictions.map((p) => [
      String(p.sample),
      ...inputCol(p),
      String(p.class),
      ...(hasLabel ? [showLabel(String(p.label ?? ''))] : []),
      (p.probability as number).toFixed(3),
    ]),
    right: [true, ...(hasInput ? [false] : []), true, ...(hasLabel ? [false] : []), true],
  };
}

function table(r: PredictionReport, ctx: PredictContext): string {
  const { header, rows, right } = tableRows(r);
  const width = header.map((h, i) => Math.max([...h].length, ...rows.map((row) => [...row[i]!].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(width[i]! - [...c].length);
        return right[i] ? pad + c : c + pad;
      })
      .join('  ')
      .trimEnd();
  return [meaningLine(r, ctx), line(header), ...rows.map(line)].join('\n') + '\n';
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(r: PredictionReport): string {
  const hasInput = r.predictions.some((p) => p.input !== undefined);
  const inputCol = (p: Prediction) => (hasInput ? [p.input ?? ''] : []);
  let header: string[];
  let rows: string[][];
  if (r.kind === 'values') {
    header = ['sample', ...(hasInput ? ['input'] : []), ...valueColumns(r)];
    rows = r.predictions.map((p) => [
      String(p.sample),
      ...inputCol(p),
      ...flat(p.output).map((v) => String(round7(v))),
    ]);
  } else {
    const hasText = r.predictions.some((p) => p.text !== undefined);
    const hasLabel = r.predictions.some((p) => p.label !== undefined);
    header = [
      'sample',
      ...(hasInput ? ['input'] : []),
      ...(hasText ? ['text'] : []),
      'class',
      ...(hasLabel ? ['label'] : []),
      'probability',
    ];
    rows = r.predictions.map((p) => [
      String(p.sample),
      ...inputCol(p),
      ...(hasText ? [p.text ?? ''] : []),
      list(p.class).join(' '),
      ...(hasLabel ? [list(p.label).join(' ')] : []),
      list(p.probability)
        .map((v) => String(round7(v)))
        .join(' '),
    ]);
  }
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

function json(r: PredictionReport, ctx: PredictContext): string {
  const num = (v: number | number[] | undefined) =>
    v === undefined ? undefined : Array.isArray(v) ? v.map(round7) : round7(v);
  return (
    JSON.stringify({
      model: ctx.model,
      kind: r.kind,
      shape: r.shape,
      ...(r.labels ? { labels: r.labels } : {}),
      ...(r.column !== undefined ? { column: r.column } : {}),
      ...(ctx.source !== undefined ? { source: ctx.source } : {}),
      ...(r.originalUnits !== undefined ? { units: r.originalUnits ? 'original' : 'as trained' } : {}),
      predictions: r.predictions.map((p) => ({
        sample: p.sample,
        ...(p.input !== undefined ? { input: p.input } : {}),
        ...(p.class !== undefined ? { class: p.class } : {}),
        ...(p.label !== undefined ? { label: p.label } : {}),
        ...(p.text !== undefined ? { text: p.text } : {}),
        ...(p.probability !== undefined ? { probability: num(p.probability) } : {}),
        output: deepRound(p.output),
      })),
    }) + '\n'
  );
}

export function formatPredictions(r: PredictionReport, format: PredictFormat, ctx: PredictContext): string {
  if (format === 'json') return json(r, ctx);
  if (format === 'csv') return csv(r);
  return table(r, ctx);
}
