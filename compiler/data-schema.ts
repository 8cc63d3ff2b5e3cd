/**
 * The `data { }` block reference: which data sources exist, their keys, types and defaults, and the
 * input / target shapes (batch excluded) each source produces from its options.
 *
 * PURE: no tfjs, no file system. The checker (compiler/lower.ts) uses `dataShapes` to validate a data
 * block (LSTM4008 DataConfig) and to compare the target shape with the model output (LSTM4007
 * TargetShape); the runtime (runtime/data/) uses `resolveDataOptions` to get the same options with the
 * defaults filled in, so both agree on every default.
 *
 * A data block names exactly one source by giving it as a key:
 *
 *   data { synthetic: echo  samples: 2000  seed: 7 }
 *   data { csv: "airline.csv"  column: "passengers"  window: 12  horizon: 1  scale: minmax  split: 0.67 }
 *   data { text: "corpus.txt"  window: 40  step: 3 }
 *
 * `IRData.source` is the source name ('synthetic' | 'csv' | 'text'); `IRData.options` holds every key
 * of the block, including the source key itself (`options.synthetic = 'echo'`, `options.csv = 'a.csv'`).
 * `dataShapes` also accepts the source value under `options.source` or `options.problem`.
 *
 * Shapes: a `Dim` is a positive integer, or null when it is only known from the data (the vocabulary
 * of a text file without an explicit `alphabet`). null matches anything.
 */
import type { ArgValue, Shape } from './ir.js';

export type DataKeyType =
  | { kind: 'int'; min?: number; max?: number }
  | { kind: 'float'; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }
  | { kind: 'bool' }
  | { kind: 'string' }
  /** A column: a header name (string) or a 0-based index (int). */
  | { kind: 'column' }
  | { kind: 'enum'; values: readonly string[] };

export interface DataKeySpec {
  type: DataKeyType;
  /** Filled in when the key is absent. `undefined`: no default (required, or optional without one). */
  default?: ArgValue;
  required?: boolean;
  doc: string;
}

export interface SyntheticProblemDef {
  name: string;
  /** Other spellings accepted for `synthetic:`. */
  aliases: readonly string[];
  doc: string;
  /** Problem-specific keys (besides the common synthetic keys). */
  keys: Readonly<Record<string, DataKeySpec>>;
  /** Suggested loss for a model trained on it (documentation / hints). */
  loss: string;
}

export interface DataSourceDef {
  name: string;
  doc: string;
  /** The type of the source key's own value (`synthetic: echo`, `csv: "file.csv"`). */
  value: DataKeyType;
  /** Keys valid for every use of the source. */
  keys: Readonly<Record<string, DataKeySpec>>;
}

const int = (min?: number, max?: number): DataKeyType => ({ kind: 'int', ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });

const SYNTHETIC_COMMON: Record<string, DataKeySpec> = {
  samples: { type: int(1, 10_000_000), default: 2000, doc: 'Number of training examples to generate.' },
  testSamples: { type: int(1, 10_000_000), default: 200, doc: 'Number of held-out examples (generated with a different seed) for evaluation.' },
  seed: { type: int(0), default: 1, doc: 'Seed of the generator; the same seed gives the same examples.' },
};

/** The built-in demo problems (the six reference architectures' data). */
export const SYNTHETIC_PROBLEMS: Readonly<Record<string, SyntheticProblemDef>> = {
  echo: {
    name: 'echo',
    aliases: [],
    doc: 'Random one-hot sequences of `length` steps over `features` symbols; the target is the one-hot symbol at position `index`.',
    loss: 'categoricalCrossentropy',
    keys: {
      length: { type: int(1, 100_000), default: 5, doc: 'Time steps per sequence.' },
      features: { type: int(2, 100_000), default: 10, doc: 'Number of symbols (one-hot width).' },
      index: { type: int(0), default: 2, doc: '0-based position of the symbol to echo (must be < length).' },
    },
  },
  sine: {
    name: 'sine',
    aliases: ['dampedSine', 'damped_sine'],
    doc: 'Damped sine waves 0.5 + 0.5·sin(2πi/p)·e^(−d·i) with random period p ∈ [10, 20] and decay d ∈ [0.01, 0.1]: `length` steps in, the next `horizon` values out.',
    loss: 'meanAbsoluteError',
    keys: {
      length: { type: int(1, 100_000), default: 50, doc: 'Input time steps.' },
      horizon: { type: int(1, 100_000), default: 5, doc: 'Values to predict after the input.' },
    },
  },
  square: {
    name: 'square',
    aliases: ['movingSquare', 'moving_square'],
    doc: 'A one-pixel dot moves one column per frame across `size`×`size` frames (random row), from the left edge rightwards or from the right edge leftwards; target 1 when it moves right. Input [frames, size, size, 1], target [1]; default 5 frames of 50×50.',
    loss: 'binaryCrossentropy',
    keys: {
      size: { type: int(2, 4096), default: 50, doc: 'Frame width and height in pixels.' },
      frames: { type: int(1, 4096), default: 5, doc: 'Frames per sequence (the dot advances one pixel per frame from the left or right edge; at most `size`).' },
    },
  },
  addition: {
    name: 'addition',
    aliases: ['add'],
    doc: 'Sums of `terms` random integers in [1, `largest`] as characters: "10+10+10" → "30", one-hot over "0123456789+ " (12 symbols), left-padded with spaces.',
    loss: 'categoricalCrossentropy',
    keys: {
      terms: { type: int(1, 100), default: 3, doc: 'Number of terms to add.' },
      largest: { type: int(1, 1_000_000), default: 10, doc: 'Largest value of one term.' },
    },
  },
  cumsum: {
    name: 'cumsum',
    aliases: ['cumulativeSum', 'cumulative_sum'],
    doc: 'Sequences of `length` uniform values in [0, 1]; per step, target 1 once the running sum exceeds `threshold` (default length/4). Input [length, 1], target [length, 1].',
    loss: 'binaryCrossentropy',
    keys: {
      length: { type: int(1, 100_000), default: 10, doc: 'Time steps.' },
      threshold: { type: { kind: 'float', min: 0 }, doc: 'Running-sum threshold; default length / 4.' },
    },
  },
  chars: {
    name: 'chars',
    aliases: ['text', 'shakespeare', 'corpus'],
    doc: 'Character-level windows over a seeded generated corpus of simple English sentences (alphabet: newline, space, ".", ",", 0-9, a-z: 40 symbols, CHARS_ALPHABET). Input [window, 40] one-hot, target [40] (the next character).',
    loss: 'categoricalCrossentropy',
    keys: {
      window: { type: int(1, 10_000), default: 10, doc: 'Characters of context.' },
      step: { type: int(1, 10_000), default: 1, doc: 'Stride between windows.' },
    },
  },
  rectangle: {
    name: 'rectangle',
    aliases: ['rectangles'],
    doc: 'Corners of random rectangles in the unit square traversed clockwise from the bottom-left: given one corner (x, y) predict the next. Input [1, 2], target [2].',
    loss: 'meanAbsoluteError',
    keys: {},
  },
};

/** The alphabet of the built-in `chars` corpus (index = one-hot position). */
export const CHARS_ALPHABET = '\n .,0123456789abcdefghijklmnopqrstuvwxyz';
/** The alphabet of the `addition` problem. */
export const ADDITION_ALPHABET = '0123456789+ ';

export const DATA_SOURCES: Readonly<Record<string, DataSourceDef>> = {
  synthetic: {
    name: 'synthetic',
    doc: `A built-in seeded generator: ${Object.keys(SYNTHETIC_PROBLEMS).join(', ')}.`,
    value: { kind: 'enum', values: Object.keys(SYNTHETIC_PROBLEMS) },
    keys: SYNTHETIC_COMMON,
  },
  csv: {
    name: 'csv',
    doc: 'One column of a CSV file as a time series: sliding windows of `window` values predict the next `horizon` values. Min-max scaled by default (fitted on the training part; metrics are reported in the original units). The first `split` fraction of the windows (in time order) trains, the rest tests.',
    value: { kind: 'string' },
    keys: {
      column: { type: { kind: 'column' }, doc: 'Header name or 0-based index of the column; default: the last column.' },
      window: { type: int(1, 1_000_000), required: true, doc: 'Look-back window (input time steps).' },
      horizon: { type: int(1, 1_000_000), default: 1, doc: 'Number of future values to predict.' },
      scale: { type: { kind: 'enum', values: ['minmax', 'none'] }, default: 'minmax', doc: 'Scaling of the series.' },
      split: { type: { kind: 'float', min: 0, max: 1, minExclusive: true }, default: 0.8, doc: 'Fraction of the windows used for training (the rest is the test set).' },
      header: { type: { kind: 'bool' }, doc: 'Whether the first row is a header; default: detected (non-numeric first row).' },
    },
  },
  text: {
    name: 'text',
    doc: 'A text file for a character-level generative model: windows of `window` characters (one-hot) predict the next character.',
    value: { kind: 'string' },
    keys: {
      window: { type: int(1, 100_000), default: 40, doc: 'Characters of context.' },
      step: { type: int(1, 100_000), default: 3, doc: 'Stride between windows.' },
      lowercase: { type: { kind: 'bool' }, default: false, doc: 'Lower-case the corpus first.' },
      alphabet: { type: { kind: 'string' }, doc: 'The symbols, in one-hot order; other characters are dropped. Default: every character of the file, sorted (then the vocabulary size is only known from the data).' },
    },
  },
};

export type DataShapes = { input: Shape[]; target: Shape[] };
export type DataError = { error: string; key?: string };

/** Finds the synthetic problem by name or alias. */
export function findSyntheticProblem(name: string): SyntheticProblemDef | undefined {
  if (SYNTHETIC_PROBLEMS[name]) return SYNTHETIC_PROBLEMS[name];
  const lower = name.toLowerCase();
  for (const p of Object.values(SYNTHETIC_PROBLEMS)) {
    if (p.name.toLowerCase() === lower || p.aliases.some((a) => a.toLowerCase() === lower)) return p;
  }
  return undefined;
}

/** Which of the given block keys names the source. Errors when none or several do. */
export function detectSource(keys: readonly string[]): { source: string } | DataError {
  const found = keys.filter((k) => k in DATA_SOURCES);
  if (found.length === 1) return { source: found[0]! };
  if (found.length === 0) {
    return { error: `The data block names no source; add one of ${Object.keys(DATA_SOURCES).map((s) => `\`${s}:\``).join(', ')}.` };
  }
  return { error: `The data block names several sources (${found.join(', ')}); keep one.`, key: found[1]! };
}

function describe(v: ArgValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return `a layer (${v.type})`;
  if (typeof v === 'string') return `"${v}"`;
  return String(v);
}

function expected(t: DataKeyType): string {
  switch (t.kind) {
    case 'int': {
      const r = t.min !== undefined && t.max !== undefined ? ` in [${t.min}, ${t.max}]` : t.min !== undefined ? ` ≥ ${t.min}` : t.max !== undefined ? ` ≤ ${t.max}` : '';
      return `an integer${r}`;
    }
    case 'float': {
      const lo = t.min !== undefined ? `${t.minExclusive ? '>' : '≥'} ${t.min}` : '';
      const hi = t.max !== undefined ? `${t.maxExclusive ? '<' : '≤'} ${t.max}` : '';
      return `a number${lo || hi ? ' ' + [lo, hi].filter(Boolean).join(' and ') : ''}`;
    }
    case 'bool':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'column':
      return 'a column name (string) or a 0-based column index';
    case 'enum':
      return `one of ${t.values.join(', ')}`;
  }
}

/** Checks one value against its type; returns the normalised value or an error message. */
function checkValue(t: DataKeyType, v: ArgValue): { ok: true; value: ArgValue } | { ok: false } {
  switch (t.kind) {
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) return { ok: false };
      if (t.min !== undefined && v < t.min) return { ok: false };
      if (t.max !== undefined && v > t.max) return { ok: false };
      return { ok: true, value: v };
    case 'float':
      if (typeof v !== 'number' || !Number.isFinite(v)) return { ok: false };
      if (t.min !== undefined && (t.minExclusive ? v <= t.min : v < t.min)) return { ok: false };
      if (t.max !== undefined && (t.maxExclusive ? v >= t.max : v > t.max)) return { ok: false };
      return { ok: true, value: v };
    case 'bool':
      return typeof v === 'boolean' ? { ok: true, value: v } : { ok: false };
    case 'string':
      return typeof v === 'string' ? { ok: true, value: v } : { ok: false };
    case 'column':
      if (typeof v === 'string' && v !== '') return { ok: true, value: v };
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return { ok: true, value: v };
      return { ok: false };
    case 'enum': {
      if (typeof v !== 'string') return { ok: false };
      const hit = t.values.find((x) => x.toLowerCase() === v.toLowerCase());
      return hit !== undefined ? { ok: true, value: hit } : { ok: false };
    }
  }
}

/** The source key's value, whichever way the caller passed it. */
function sourceValue(source: string, options: Record<string, ArgValue>): ArgValue | undefined {
  if (options[source] !== undefined) return options[source];
  if (options.source !== undefined && options.source !== source) return options.source;
  if (options.problem !== undefined) return options.problem;
  return undefined;
}

/** Options of a data block with defaults filled in, validated. Every key of the result is known. */
export interface ResolvedData {
  source: 'synthetic' | 'csv' | 'text';
  /** synthetic: canonical problem name; csv/text: the path as written. */
  value: string;
  options: Record<string, ArgValue>;
}

/**
 * Validates a data block's options and fills in defaults. Unknown keys, wrong types, out-of-range
 * values and missing required keys are errors naming the key.
 */
export function resolveDataOptions(source: string, options: Record<string, ArgValue>): ResolvedData | DataError {
  const def = DATA_SOURCES[source];
  if (!def) return { error: `Unknown data source "${source}"; expected one of ${Object.keys(DATA_SOURCES).join(', ')}.` };
  const raw = sourceValue(source, options);
  if (raw === undefined) return { error: `The data source \`${source}:\` needs a value (${expected(def.value)}).`, key: source };
  let value: string;
  let keys: Record<string, DataKeySpec> = { ...def.keys };
  if (source === 'synthetic') {
    if (typeof raw !== 'string') return { error: `\`synthetic\` must be the name of a built-in problem (${Object.keys(SYNTHETIC_PROBLEMS).join(', ')}), got ${describe(raw)}.`, key: source };
    const p = findSyntheticProblem(raw);
    if (!p) return { error: `Unknown synthetic problem "${raw}"; expected one of ${Object.keys(SYNTHETIC_PROBLEMS).join(', ')}.`, key: source };
    value = p.name;
    keys = { ...keys, ...p.keys };
  } else {
    if (typeof raw !== 'string' || raw === '') return { error: `\`${source}\` must be a file path string, got ${describe(raw)}.`, key: source };
    value = raw;
  }
  const out: Record<string, ArgValue> = {};
  for (const [k, v] of Object.entries(options)) {
    if (k === source || k === 'source' || k === 'problem') continue;
    const spec = keys[k];
    if (!spec) {
      const known = Object.keys(keys);
      return { error: `Unknown key "${k}" for data source ${source}${source === 'synthetic' ? ` (${value})` : ''}; expected one of ${known.join(', ') || '(none)'}.`, key: k };
    }
    const r = checkValue(spec.type, v);
    if (!r.ok) return { error: `Data key "${k}" must be ${expected(spec.type)}, got ${describe(v)}.`, key: k };
    out[k] = r.value;
  }
  for (const [k, spec] of Object.entries(keys)) {
    if (out[k] !== undefined) continue;
    if (spec.required) return { error: `The ${source} data source needs key "${k}" (${spec.doc})`, key: source };
    if (spec.default !== undefined) out[k] = spec.default;
  }
  // Cross-key rules.
  if (source === 'synthetic') {
    if (value === 'echo' && (out.index as number) >= (out.length as number)) {
      return { error: `Data key "index" (${out.index}) must be less than "length" (${out.length}).`, key: options.index !== undefined ? 'index' : 'length' };
    }
    if (value === 'square' && (out.frames as number) > (out.size as number)) {
      return { error: `Data key "frames" (${out.frames}) must be at most "size" (${out.size}): the dot moves one pixel per frame.`, key: options.frames !== undefined ? 'frames' : 'size' };
    }
    if (value === 'cumsum' && out.threshold === undefined) out.threshold = (out.length as number) / 4;
  }
  if (source === 'text' && typeof out.alphabet === 'string') {
    const chars = [...out.alphabet];
    if (chars.length < 2) return { error: 'Data key "alphabet" needs at least 2 symbols.', key: 'alphabet' };
    if (new Set(chars).size !== chars.length) return { error: 'Data key "alphabet" repeats a symbol.', key: 'alphabet' };
  }
  return { source: source as ResolvedData['source'], value, options: out };
}

/** Character lengths of the addition problem's input and output strings. */
export function additionLengths(terms: number, largest: number): { inLength: number; outLength: number } {
  const digits = (n: number) => String(n).length;
  return { inLength: terms * digits(largest) + (terms - 1), outLength: digits(terms * largest) };
}

/** Input and target shapes (batch excluded) of resolved data options. */
export function resolvedShapes(r: ResolvedData): DataShapes {
  const o = r.options;
  const n = (k: string) => o[k] as number;
  if (r.source === 'csv') return { input: [[n('window'), 1]], target: [[n('horizon')]] };
  if (r.source === 'text') {
    const v = typeof o.alphabet === 'string' ? [...o.alphabet].length : null;
    return { input: [[n('window'), v]], target: [[v]] };
  }
  switch (r.value) {
    case 'echo':
      return { input: [[n('length'), n('features')]], target: [[n('features')]] };
    case 'sine':
      return { input: [[n('length'), 1]], target: [[n('horizon')]] };
    case 'square':
      return { input: [[n('frames'), n('size'), n('size'), 1]], target: [[1]] };
    case 'addition': {
      const { inLength, outLength } = additionLengths(n('terms'), n('largest'));
      return { input: [[inLength, ADDITION_ALPHABET.length]], target: [[outLength, ADDITION_ALPHABET.length]] };
    }
    case 'cumsum':
      return { input: [[n('length'), 1]], target: [[n('length'), 1]] };
    case 'chars':
      return { input: [[n('window'), CHARS_ALPHABET.length]], target: [[CHARS_ALPHABET.length]] };
    case 'rectangle':
      return { input: [[1, 2]], target: [[2]] };
    default:
      return { input: [], target: [] };
  }
}

/**
 * The input and target shapes (batch excluded; one per model input / output) that a data source
 * produces from its options, or the first validation error (with the offending key when there is one).
 */
export function dataShapes(source: string, options: Record<string, ArgValue>): DataShapes | DataError {
  const r = resolveDataOptions(source, options);
  if ('error' in r) return r;
  return resolvedShapes(r);
}

/** Whether two shapes agree (null / symbolic dims match anything). */
export function shapesCompatible(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  return a.every((d, i) => {
    const e = b[i];
    return typeof d !== 'number' || typeof e !== 'number' || d === e;
  });
}
