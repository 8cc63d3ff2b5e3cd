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
 *
 * Shapes: a `Dim` is a positive integer, or null when it is only known from the data (the vocabulary
 * of a text file without an explicit `alphabet`). null matches anything.
 */
import type { ArgValue, Shape } from './ir.js';
import { checkValue, describeArgValue, expectedWithRange, type FieldSpec, type ValueType } from './schema.js';

/** Data keys use the one schema language (compiler/schema.ts). */
export type DataKeySpec = FieldSpec;

/** The alphabet of the built-in `chars` corpus (index = one-hot position). */
export const CHARS_ALPHABET = '\n .,0123456789abcdefghijklmnopqrstuvwxyz';
const CHARS_VOCAB = CHARS_ALPHABET.length;

export interface SyntheticProblemDef {
  name: string;
  /** Other spellings accepted for `synthetic:`. */
  aliases: readonly string[];
  doc: string;
  /** Problem-specific keys (besides the common synthetic keys). */
  keys: Readonly<Record<string, DataKeySpec>>;
  /** Suggested loss for a model trained on it (documentation / hints). */
  loss: string;
  /** Classification problems: the number of classes its targets have (they take `labels` to name them). */
  classes?: (options: Record<string, ArgValue>) => number;
}

export interface DataSourceDef {
  name: string;
  doc: string;
  /** The type of the source key's own value (`synthetic: echo`, `csv: "file.csv"`). */
  value: ValueType;
  /** Keys valid for every use of the source. */
  keys: Readonly<Record<string, DataKeySpec>>;
}

const int = (min?: number, max?: number): ValueType => ({
  kind: 'int',
  ...(min !== undefined ? { min } : {}),
  ...(max !== undefined ? { max } : {}),
});

const SYNTHETIC_COMMON: Record<string, DataKeySpec> = {
  samples: { type: int(1, 10_000_000), default: 2000, doc: 'Number of training examples to generate.' },
  testSamples: {
    type: int(1, 10_000_000),
    default: 200,
    doc: 'Number of held-out examples (generated with a different seed) for evaluation.',
  },
  seed: { type: int(0), default: 1, doc: 'Seed of the generator; the same seed gives the same examples.' },
};

/** `labels`, a key of the classification problems. */
const LABELS: DataKeySpec = {
  type: { kind: 'list', item: { kind: 'string', nonEmpty: true } },
  doc: 'Names of the classes in output order, shown by `lstmc predict`: one per class.',
};

/** The built-in demo problems (the six reference architectures' data). */
export const SYNTHETIC_PROBLEMS: Readonly<Record<string, SyntheticProblemDef>> = {
  echo: {
    name: 'echo',
    aliases: [],
    doc: 'Random one-hot sequences of `length` steps over `features` symbols; the target is the one-hot symbol at position `index`.',
    loss: 'categoricalCrossentropy',
    classes: (o) => o.features as number,
    keys: {
      length: { type: int(1, 100_000), default: 5, doc: 'Time steps per sequence.' },
      features: { type: int(2, 100_000), default: 10, doc: 'Number of symbols (one-hot width).' },
      index: { type: int(0), default: 2, doc: '0-based position of the symbol to echo (must be < length).' },
      labels: LABELS,
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
    classes: () => 2,
    keys: {
      size: { type: int(2, 4096), default: 50, doc: 'Frame width and height in pixels.' },
      frames: {
        type: int(1, 4096),
        default: 5,
        doc: 'Frames per sequence (the dot advances one pixel per frame from the left or right edge; at most `size`).',
      },
      labels: LABELS,
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
    classes: () => 2,
    keys: {
      length: { type: int(1, 100_000), default: 10, doc: 'Time steps.' },
      threshold: { type: { kind: 'float', min: 0 }, doc: 'Running-sum threshold; default length / 4.' },
      labels: LABELS,
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
      vocab: {
        type: int(CHARS_VOCAB, 100_000),
        default: CHARS_VOCAB,
        doc: `One-hot width (at least the corpus's ${CHARS_VOCAB} symbols; the extra positions never occur), so a model sized for a larger vocabulary trains on it.`,
      },
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

/** The alphabet of the `addition` problem. */
export const ADDITION_ALPHABET = '0123456789+ ';

export const DATA_SOURCES: Readonly<Record<string, DataSourceDef>> = {
  synthetic: {
    name: 'synthetic',
    doc: `A built-in seeded generator: ${Object.keys(SYNTHETIC_PROBLEMS).join(', ')}.`,
    value: {
      kind: 'enum',
      what: 'synthetic problem',
      values: Object.keys(SYNTHETIC_PROBLEMS),
      aliases: Object.fromEntries(Object.values(SYNTHETIC_PROBLEMS).flatMap((p) => p.aliases.map((a) => [a, p.name]))),
      caseInsensitive: true,
    },
    keys: SYNTHETIC_COMMON,
  },
  csv: {
    name: 'csv',
    doc: 'One column of a CSV file as a time series: sliding windows of `window` values predict the next `horizon` values. Min-max scaled by default (fitted on the training part; metrics are reported in the original units). The first `split` fraction of the windows (in time order) trains, the rest tests.',
    value: { kind: 'string', nonEmpty: true },
    keys: {
      column: {
        type: { kind: 'column' },
        doc: 'Header name or 0-based index of the column; default: the last column.',
      },
      window: { type: int(1, 1_000_000), required: true, doc: 'Look-back window (input time steps).' },
      horizon: { type: int(1, 1_000_000), default: 1, doc: 'Number of future values to predict.' },
      scale: {
        type: { kind: 'enum', what: 'scaling', values: ['minmax', 'none'], caseInsensitive: true },
        default: 'minmax',
        doc: 'Scaling of the series.',
      },
      split: {
        type: { kind: 'float', min: 0, max: 1, minExclusive: true },
        default: 0.8,
        doc: 'Fraction of the windows used for training (the rest is the test set).',
      },
      header: {
        type: { kind: 'bool' },
        doc: 'Whether the first row is a header; default: detected (non-numeric first row).',
      },
    },
  },
  text: {
    name: 'text',
    doc: 'A text file for a character-level generative model: windows of `window` characters (one-hot) predict the next character.',
    value: { kind: 'string', nonEmpty: true },
    keys: {
      window: { type: int(1, 100_000), default: 40, doc: 'Characters of context.' },
      step: { type: int(1, 100_000), default: 3, doc: 'Stride between windows.' },
      lowercase: { type: { kind: 'bool' }, default: false, doc: 'Lower-case the corpus first.' },
      alphabet: {
        type: { kind: 'string' },
        doc: 'The symbols, in one-hot order; other characters are dropped. Default: every character of the file, sorted (then the vocabulary size is only known from the data).',
      },
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

/** Options of a data block with defaults filled in, validated. Every key of the result is known. */
export interface ResolvedData {
  source: 'synthetic' | 'csv' | 'text';
  /** synthetic: canonical problem name; csv/text: the path as written. */
  value: string;
  options: Record<string, ArgValue>;
}

/**
 * Validates a data block's options (plain values, e.g. from a run's saved IR) and fills in defaults.
 * Unknown keys, wrong types, out-of-range values and missing required keys are errors naming the
 * key. The checker binds the same schema from the spec text (compiler/data.ts) with `checkValue`,
 * the same value rule, so a checked block always resolves.
 */
export function resolveDataOptions(source: string, options: Record<string, ArgValue>): ResolvedData | DataError {
  const def = DATA_SOURCES[source];
  if (!def)
    return { error: `Unknown data source "${source}"; expected one of ${Object.keys(DATA_SOURCES).join(', ')}.` };
  const raw = options[source];
  if (raw === undefined)
    return { error: `The data source \`${source}:\` needs a value (${expectedWithRange(def.value)}).`, key: source };
  const checked = checkValue(def.value, raw);
  if (!checked.ok) {
    return source === 'synthetic' && typeof raw === 'string'
      ? {
          error: `Unknown synthetic problem "${raw}"; expected one of ${Object.keys(SYNTHETIC_PROBLEMS).join(', ')}.`,
          key: source,
        }
      : {
          error: `\`${source}\` must be ${source === 'synthetic' ? 'the name of a built-in problem' : 'a file path string'}, got ${describeArgValue(raw)}.`,
          key: source,
        };
  }
  const keys = keysOf(source, checked.value as string);
  for (const [k, v] of Object.entries(options)) {
    if (k === source) continue;
    const spec = keys[k];
    if (!spec)
      return {
        error: `Unknown key "${k}" for data source ${source}; expected one of ${Object.keys(keys).join(', ') || '(none)'}.`,
        key: k,
      };
    const r = checkValue(spec.type, v);
    if (!r.ok)
      return { error: `Data key "${k}" must be ${expectedWithRange(spec.type)}, got ${describeArgValue(v)}.`, key: k };
  }
  for (const [k, spec] of Object.entries(keys)) {
    if (spec.required && options[k] === undefined)
      return { error: `The ${source} data source needs key "${k}": ${spec.doc}`, key: source };
  }
  const [problem] = crossKeyProblems(source, options);
  if (problem) return { error: problem.message, ...(problem.key !== undefined ? { key: problem.key } : {}) };
  return withDefaults(source, options);
}

/** The keys a source takes (a synthetic problem adds its own). */
function keysOf(source: string, value: string): Record<string, DataKeySpec> {
  const def = DATA_SOURCES[source];
  if (!def) return {};
  const problem = source === 'synthetic' ? findSyntheticProblem(value) : undefined;
  return { ...def.keys, ...problem?.keys };
}

/** Checked options with every default filled in (the problem name made canonical). */
export function withDefaults(source: string, options: Record<string, ArgValue>): ResolvedData {
  const given = String(options[source] ?? '');
  const value = source === 'synthetic' ? (findSyntheticProblem(given)?.name ?? given) : given;
  const out: Record<string, ArgValue> = {};
  for (const [k, spec] of Object.entries(keysOf(source, value))) {
    const v = options[k];
    if (v !== undefined) {
      const c = spec.type.kind === 'enum' ? checkValue(spec.type, v) : undefined;
      out[k] = c?.ok ? c.value : v;
    } else if (spec.default !== undefined) out[k] = spec.default;
  }
  if (source === 'synthetic' && value === 'cumsum' && out.threshold === undefined)
    out.threshold = (out.length as number) / 4;
  return { source: source as ResolvedData['source'], value, options: out };
}

/** Rules between keys of checked options (index < length, frames ≤ size, a usable alphabet). */
export function crossKeyProblems(
  source: string,
  options: Record<string, ArgValue>,
): { key?: string; message: string }[] {
  const r = withDefaults(source, options);
  const out = r.options;
  const at = (k: string, other: string): string => (options[k] !== undefined ? k : other);
  const problems: { key?: string; message: string }[] = [];
  if (source === 'synthetic') {
    if (r.value === 'echo' && (out.index as number) >= (out.length as number)) {
      problems.push({
        message: `Data key "index" (${out.index}) must be less than "length" (${out.length}).`,
        key: at('index', 'length'),
      });
    }
    const problem = findSyntheticProblem(r.value);
    if (problem?.classes && Array.isArray(out.labels)) {
      const labels = out.labels as string[];
      if (labels.length !== problem.classes(out))
        problems.push({
          message: `Data key "labels" has ${labels.length} name(s), but ${r.value} has ${problem.classes(out)} classes here.`,
          key: 'labels',
        });
      else if (new Set(labels).size !== labels.length)
        problems.push({ message: 'Data key "labels" repeats a name.', key: 'labels' });
    }
    if (r.value === 'square' && (out.frames as number) > (out.size as number)) {
      problems.push({
        message: `Data key "frames" (${out.frames}) must be at most "size" (${out.size}): the dot moves one pixel per frame.`,
        key: at('frames', 'size'),
      });
    }
  }
  if (source === 'text' && typeof out.alphabet === 'string') {
    const chars = [...out.alphabet];
    if (chars.length < 2) problems.push({ message: 'Data key "alphabet" needs at least 2 symbols.', key: 'alphabet' });
    else if (new Set(chars).size !== chars.length)
      problems.push({ message: 'Data key "alphabet" repeats a symbol.', key: 'alphabet' });
  }
  return problems;
}

/** Character lengths of the addition problem's input and output strings. */
export function additionLengths(terms: number, largest: number): { inLength: number; outLength: number } {
  const digits = (n: number) => String(n).length;
  return { inLength: terms * digits(largest) + (terms - 1), outLength: digits(terms * largest) };
}

/** Input and target shapes (batch excluded) of resolved data options. */
export function resolvedShapes(resolved: ResolvedData | string, options?: Record<string, ArgValue>): DataShapes {
  const r = typeof resolved === 'string' ? withDefaults(resolved, options ?? {}) : resolved;
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
      return { input: [[n('window'), n('vocab')]], target: [[n('vocab')]] };
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
