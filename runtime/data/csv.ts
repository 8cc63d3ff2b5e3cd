/**
 * A CSV column as a time series: windows of `window` values → the next `horizon` values, min-max scaled
 * (fitted on the training part only), split in time order (first `split` of the windows train).
 * Every problem is reported with the CSV file and its 1-based line.
 */
import type { ArgValue } from '../../compiler/ir.js';
import { DataError, readDataFile, type Split } from './types.js';

export interface CsvSeries {
  values: number[];
  /** 1-based file line of each value. */
  lines: number[];
  column: string;
}

/** Splits one CSV line (RFC 4180 quotes; `,` or `;` or tab as detected). */
export function splitCsvLine(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

const isNumeric = (s: string) => s !== '' && Number.isFinite(Number(s));

/** Reads one numeric column of a CSV file. */
export function readCsvColumn(
  file: string,
  displayName: string,
  column: ArgValue | undefined,
  header: boolean | undefined,
): CsvSeries {
  return parseCsvColumn(readDataFile(file, displayName), displayName, column, header);
}

/** The header cells of CSV text (its first non-empty, non-comment line), or null when it has none. */
export function csvHeader(text: string): string[] | null {
  const first = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .find((l) => l.trim() !== '' && !l.startsWith('#'));
  if (first === undefined) return null;
  const sep = [',', ';', '\t'].map((s) => ({ s, n: first.split(s).length })).sort((a, b) => b.n - a.n)[0]!.s;
  const cells = splitCsvLine(first, sep);
  return cells.every(isNumeric) ? null : cells;
}

/** One numeric column of CSV text (`displayName` and 1-based lines locate every problem). */
export function parseCsvColumn(
  text: string,
  displayName: string,
  column: ArgValue | undefined,
  header: boolean | undefined,
): CsvSeries {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows = text
    .split(/\r?\n/)
    .map((l, i) => ({ line: i + 1, text: l }))
    .filter((r) => r.text.trim() !== '' && !r.text.startsWith('#'));
  if (rows.length === 0) throw new DataError('the CSV file is empty', displayName);
  const first = rows[0]!.text;
  const sep = [',', ';', '\t'].map((s) => ({ s, n: first.split(s).length })).sort((a, b) => b.n - a.n)[0]!.s;
  const firstCells = splitCsvLine(first, sep);
  const hasHeader = header ?? !firstCells.every(isNumeric);
  const names = hasHeader ? firstCells : firstCells.map((_, i) => String(i));
  let col: number;
  if (column === undefined || column === null) col = names.length - 1;
  else if (typeof column === 'number') {
    if (column >= names.length)
      throw new DataError(
        `column index ${column} is out of range: the file has ${names.length} column(s)`,
        displayName,
        rows[0]!.line,
      );
    col = column;
  } else {
    col = names.indexOf(String(column));
    if (col < 0) {
      throw new DataError(
        hasHeader
          ? `no column "${column}"; the header has ${names.map((n) => `"${n}"`).join(', ')}`
          : `no column "${column}": the file has no header row (use a 0-based column index)`,
        displayName,
        rows[0]!.line,
      );
    }
  }
  const values: number[] = [];
  const lines: number[] = [];
  for (const r of hasHeader ? rows.slice(1) : rows) {
    const cells = splitCsvLine(r.text, sep);
    const cell = cells[col];
    if (cell === undefined)
      throw new DataError(`row has ${cells.length} cell(s), column "${names[col]}" is missing`, displayName, r.line);
    if (!isNumeric(cell))
      throw new DataError(`non-numeric value "${cell}" in column "${names[col]}"`, displayName, r.line);
    values.push(Number(cell));
    lines.push(r.line);
  }
  return { values, lines, column: names[col]! };
}

export interface CsvWindows {
  train: Split;
  test: Split | null;
  scale?: { min: number; max: number };
  column: string;
}

/** Windows of a series, scaled; throws DataError when there are too few rows. */
export function csvWindows(series: CsvSeries, displayName: string, o: Record<string, ArgValue>): CsvWindows {
  const W = o.window as number;
  const H = o.horizon as number;
  const split = o.split as number;
  const v = series.values;
  const n = v.length - W - H + 1;
  if (n < 1) {
    throw new DataError(
      `too few rows for the window: ${v.length} value(s) in column "${series.column}", but window ${W} + horizon ${H} needs at least ${W + H}`,
      displayName,
      series.lines[series.lines.length - 1],
    );
  }
  const nTrain = Math.min(n, Math.max(1, Math.floor(n * split)));
  let scale: { min: number; max: number } | undefined;
  let f = (x: number) => x;
  if (o.scale === 'minmax') {
    // Fit on the values the training windows see (no look-ahead into the test part).
    const seen = v.slice(0, nTrain + W + H - 1);
    const min = Math.min(...seen);
    const max = Math.max(...seen);
    scale = { min, max };
    const range = max - min || 1;
    f = (x: number) => (x - min) / range;
  }
  const make = (from: number, to: number): Split => {
    const count = to - from;
    const x = new Float32Array(count * W);
    const y = new Float32Array(count * H);
    for (let i = 0; i < count; i++) {
      for (let t = 0; t < W; t++) x[i * W + t] = f(v[from + i + t]!);
      for (let t = 0; t < H; t++) y[i * H + t] = f(v[from + i + W + t]!);
    }
    return { x: { values: x, shape: [count, W, 1] }, y: { values: y, shape: [count, H] } };
  };
  return {
    train: make(0, nTrain),
    test: nTrain < n ? make(nTrain, n) : null,
    ...(scale ? { scale } : {}),
    column: series.column,
  };
}

/** Undo the min-max scaling. */
export function unscale(x: number, scale: { min: number; max: number } | undefined): number {
  if (!scale) return x;
  return x * (scale.max - scale.min || 1) + scale.min;
}
