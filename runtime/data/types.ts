import { readFileSync } from 'node:fs';
import type { ArgValue } from '../../compiler/ir.js';
import type { Span } from '../../grammar/ast.js';

/** A dense float array with its full shape (batch first). */
export interface ArrayData {
  values: Float32Array;
  shape: number[];
}

export interface Split {
  x: ArrayData;
  y: ArrayData;
}

/** What predict / evaluate / generate need to know about the data a model was trained on (JSON). */
export interface DataInfo {
  source: 'synthetic' | 'csv' | 'text';
  /** The problem name (synthetic) or the file path (csv/text). */
  value: string;
  options: Record<string, ArgValue>;
  inputShape: number[];
  targetShape: number[];
  /** Symbols in one-hot order (text, chars, addition). */
  alphabet?: string;
  /** Names of the classes in output order (the data block's `labels`). */
  labels?: string[];
  /** Min-max scaling of a CSV series: scaled = (v − min) / (max − min). */
  scale?: { min: number; max: number };
  /** CSV: the column used (header name or index). */
  column?: string;
  description: string;
}

export interface Dataset {
  train: Split;
  test: Split | null;
  info: DataInfo;
}

/** A problem with the data, found before training. `file`/`line` locate it (1-based). */
export class DataError extends Error {
  constructor(
    message: string,
    public file?: string,
    public line?: number,
    public span?: Span,
  ) {
    super(message);
    this.name = 'DataError';
  }
  /** `file:line: message` (or the message alone). */
  located(): string {
    const at = this.span ? `${this.span.file}:${this.span.line}:${this.span.column}` : '';
    if (this.file)
      return `${this.file}${this.line ? `:${this.line}` : ''}: ${this.message}${at ? ` (data block at ${at})` : ''}`;
    if (at) return `${at}: ${this.message}`;
    return this.message;
  }
}

export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Reads a data file as UTF-8; a missing or unreadable file is a DataError naming it. */
export function readDataFile(file: string, displayName: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(
      code === 'ENOENT' ? 'file not found' : `cannot read the file (${(e as Error).message})`,
      displayName,
    );
  }
}
