/**
 * What a model's outputs mean, for `lstmc predict`: class index, label and probability for
 * classifiers (softmax over the last axis: the labels are the data block's `labels` or the model's
 * alphabet; sigmoid with binary crossentropy: class 1 when p ≥ 0.5), values in the original units for
 * models trained on a scaled CSV series. Pure: no tfjs, no printing (cli/predict-output.ts formats).
 *
 * The meaning comes from the loss the run trained with (lstmc.json): categorical crossentropy means
 * class probabilities, binary crossentropy the probability of class 1, anything else values. A model
 * directory without lstmc.json gives values (or classes, when every output row is a distribution).
 */
import type { DataInfo } from './data/types.js';

type Nested = number | Nested[];

export type PredictionKind = 'classes' | 'binary' | 'values';

export interface Prediction {
  /** 1-based sample number. */
  sample: number;
  /** The sample when it was text. */
  input?: string;
  /** Classes: the class index (a list for sequence outputs). */
  class?: number | number[];
  label?: string | string[];
  /** Classes with an alphabet or one-character labels over a sequence: the labels joined. */
  text?: string;
  /** The probability of the predicted class (a list for sequence outputs). */
  probability?: number | number[];
  /** The model's output (values: in original units for a scaled CSV model). */
  output: Nested;
}

export interface PredictionReport {
  kind: PredictionKind;
  /** Output shape per sample (batch excluded). */
  shape: number[];
  /** Class names in output order, when known, and where they come from. */
  labels?: string[];
  labelSource?: 'labels' | 'alphabet';
  /** Values: the CSV column they are in, and whether they were unscaled to its original units. */
  column?: string;
  originalUnits?: boolean;
  predictions: Prediction[];
}

function shapeOf(v: Nested): number[] {
  const s: number[] = [];
  for (let x = v; Array.isArray(x); x = x[0]!) s.push(x.length);
  return s;
}

function flat(v: Nested): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

function rows(v: Nested, last: number): number[][] {
  const f = flat(v);
  const out: number[][] = [];
  for (let i = 0; i < f.length; i += last) out.push(f.slice(i, i + last));
  return out;
}

function isDistribution(r: number[]): boolean {
  const sum = r.reduce((a, b) => a + b, 0);
  return r.length > 1 && r.every((p) => p >= 0 && p <= 1) && Math.abs(sum - 1) < 1e-3;
}

/** What the outputs of a loss mean. */
export function predictionKind(loss: string | undefined, outputs: Nested[]): PredictionKind {
  if (loss !== undefined) {
    if (/categoricalcrossentropy/i.test(loss)) return 'classes';
    if (/binarycrossentropy/i.test(loss)) return 'binary';
    return 'values';
  }
  const shape = outputs.length > 0 ? shapeOf(outputs[0]!) : [];
  const last = shape[shape.length - 1] ?? 1;
  return outputs.length > 0 && outputs.every((o) => rows(o, last).every(isDistribution)) ? 'classes' : 'values';
}

/** The names of a model's classes: the data block's labels, else its alphabet's symbols. */
export function classLabels(info: DataInfo | undefined): string[] | undefined {
  if (info?.labels) return info.labels;
  if (info?.alphabet) return [...info.alphabet];
  return undefined;
}

/** Interprets raw outputs (one per sample, original units already) for people and programs. */
export function interpretPredictions(
  outputs: Nested[],
  info: DataInfo | undefined,
  loss: string | undefined,
  inputs?: unknown[],
): PredictionReport {
  const kind = predictionKind(loss, outputs);
  const shape = outputs.length > 0 ? shapeOf(outputs[0]!) : [];
  const labels = classLabels(info);
  const report: PredictionReport = {
    kind,
    shape,
    ...(labels ? { labels, labelSource: info?.labels ? 'labels' : 'alphabet' } : {}),
    predictions: [],
  };
  if (kind === 'values' && info?.source === 'csv') {
    if (info.column !== undefined) report.column = info.column;
    report.originalUnits = info.scale !== undefined;
  }
  const sequence = shape.length >= 2;
  outputs.forEach((o, i) => {
    const p: Prediction = { sample: i + 1, output: o };
    const input = inputs?.[i];
    if (typeof input === 'string') p.input = input;
    if (kind === 'classes') {
      const rs = rows(o, shape[shape.length - 1] ?? 1);
      const classes = rs.map((r) => r.reduce((b, v, k) => (v > r[b]! ? k : b), 0));
      const probs = rs.map((r, k) => r[classes[k]!]!);
      p.class = sequence ? classes : classes[0]!;
      p.probability = sequence ? probs : probs[0]!;
      if (labels) {
        const names = classes.map((c) => labels[c] ?? String(c));
        p.label = sequence ? names : names[0]!;
        if (sequence && names.every((n) => [...n].length === 1)) p.text = names.join('');
      }
    } else if (kind === 'binary') {
      const ps = flat(o);
      const classes = ps.map((v) => (v >= 0.5 ? 1 : 0));
      const probs = ps.map((v, k) => (classes[k] === 1 ? v : 1 - v));
      const many = ps.length > 1;
      p.class = many ? classes : classes[0]!;
      p.probability = many ? probs : probs[0]!;
      if (labels) {
        const names = classes.map((c) => labels[c] ?? String(c));
        p.label = many ? names : names[0]!;
      }
      if (many) {
        const names = classes.map((c) => labels?.[c] ?? String(c));
        p.text = names.join(names.every((n) => [...n].length === 1) ? '' : ' ');
      }
    }
    report.predictions.push(p);
  });
  return report;
}

/** Text as the model saw its corpus: lower-cased when the data block said `lowercase: true`. */
export function textAsTrained(text: string, info: DataInfo | undefined): string {
  return info?.options?.lowercase === true ? text.toLowerCase() : text;
}

/** Characters of `text` a model with this alphabet cannot see (they are dropped), in order of appearance. */
export function outsideAlphabet(text: string, info: DataInfo | undefined): string[] {
  if (!info?.alphabet) return [];
  const syms = new Set(info.alphabet);
  return [...new Set([...text].filter((c) => !syms.has(c)))];
}

/** `'X', 'é', '\n'` — characters as people can read them. */
export function showChars(chars: readonly string[]): string {
  return chars.map((c) => JSON.stringify(c).replace(/^"|"$/g, "'").replace(/^'''$/, `"'"`)).join(', ');
}
