/**
 * The `data { }` block → arrays. Options are resolved by compiler/data-schema.ts (the same defaults the
 * checker validates against); files are resolved relative to the spec file's directory.
 */
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { IRData } from '../../compiler/ir.js';
import {
  resolveDataOptions,
  CHARS_ALPHABET,
  ADDITION_ALPHABET,
  type ResolvedData,
} from '../../compiler/data-schema.js';
import { Rng } from '../rng.js';
import { csvWindows, readCsvColumn } from './csv.js';
import { GENERATORS, charWindows } from './synthetic.js';
import { readCorpus } from './text.js';
import { DataError, type DataInfo, type Dataset, type Split } from './types.js';

export * from './types.js';
export { unscale } from './csv.js';

export interface LoadDataOptions {
  /** Directory relative paths are resolved against (default: the spec file's directory, else cwd). */
  baseDir?: string;
  /** Override `samples` / `testSamples` (synthetic), e.g. for quick tests. */
  samples?: number;
  testSamples?: number;
}

/**
 * The data in a few words, as the start line of `lstmc train` shows it: `csv sales.csv [close] window
 * 28 → 1` (the column actually read), `text corpus.txt window 40 step 3`, `synthetic echo seed 7`.
 */
function describeData(r: ResolvedData, column?: string): string {
  const o = r.options;
  if (r.source === 'csv')
    return `csv ${r.value} [${column ?? o.column ?? 'last column'}] window ${o.window} → ${o.horizon}${o.scale === 'none' ? ' unscaled' : ''}`;
  if (r.source === 'text') return `text ${r.value} window ${o.window} step ${o.step}`;
  return `synthetic ${r.value} seed ${o.seed}`;
}

/** Validates the data block options (as the checker does) and loads the arrays. Throws DataError. */
export function loadData(data: IRData, opts: LoadDataOptions = {}): Dataset {
  try {
    return loadDataUnlocated(data, opts);
  } catch (e) {
    if (e instanceof DataError && !e.span) e.span = data.spans[data.source] ?? data.span;
    throw e;
  }
}

function loadDataUnlocated(data: IRData, opts: LoadDataOptions): Dataset {
  const r = resolveDataOptions(data.source, data.options);
  if ('error' in r) throw new DataError(r.error, undefined, undefined, (r.key && data.spans[r.key]) || data.span);
  if (opts.samples !== undefined) r.options.samples = opts.samples;
  if (opts.testSamples !== undefined) r.options.testSamples = opts.testSamples;
  const base = opts.baseDir ?? (data.span?.file ? dirname(resolve(data.span.file)) : process.cwd());
  const path = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const display = (p: string) => {
    const rel = relative(process.cwd(), path(p));
    return rel.startsWith('..') ? path(p) : rel;
  };
  const o = r.options;
  let train: Split;
  let test: Split | null;
  const info: DataInfo = {
    source: r.source,
    value: r.value,
    options: { ...o },
    inputShape: [],
    targetShape: [],
    description: describeData(r),
  };
  if (r.source === 'synthetic') {
    const gen = GENERATORS[r.value]!;
    const seed = o.seed as number;
    train = gen(o.samples as number, o, new Rng(seed * 2 + 1));
    test = gen(o.testSamples as number, o, new Rng(seed * 2 + 1 + 0x9e3779b1));
    if (r.value === 'chars') info.alphabet = CHARS_ALPHABET;
    if (r.value === 'addition') info.alphabet = ADDITION_ALPHABET;
    if (Array.isArray(o.labels)) info.labels = (o.labels as string[]).map(String);
  } else if (r.source === 'csv') {
    const series = readCsvColumn(path(r.value), display(r.value), o.column, o.header as boolean | undefined);
    const w = csvWindows(series, display(r.value), o);
    train = w.train;
    test = w.test;
    info.column = w.column;
    info.description = describeData(r, w.column);
    if (w.scale) info.scale = w.scale;
  } else {
    const window = o.window as number;
    const c = readCorpus(path(r.value), display(r.value), {
      lowercase: o.lowercase as boolean,
      window,
      ...(typeof o.alphabet === 'string' ? { alphabet: o.alphabet } : {}),
    });
    const all = charWindows(c.text, c.alphabet, window, o.step as number);
    const n = all.x.shape[0]!;
    const nTest = n >= 20 ? Math.floor(n / 10) : 0;
    const cut = (s: Split, from: number, to: number): Split => {
      const xs = s.x.shape.slice(1).reduce((a, b) => a * b, 1);
      const ys = s.y.shape.slice(1).reduce((a, b) => a * b, 1);
      return {
        x: { values: s.x.values.slice(from * xs, to * xs), shape: [to - from, ...s.x.shape.slice(1)] },
        y: { values: s.y.values.slice(from * ys, to * ys), shape: [to - from, ...s.y.shape.slice(1)] },
      };
    };
    train = nTest > 0 ? cut(all, 0, n - nTest) : all;
    test = nTest > 0 ? cut(all, n - nTest, n) : null;
    info.alphabet = c.alphabet;
  }
  info.inputShape = train.x.shape.slice(1);
  info.targetShape = train.y.shape.slice(1);
  return { train, test, info };
}
