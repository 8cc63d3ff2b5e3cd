/**
 * Seeded generators for the six demo problems (after Brownlee, "Long Short-Term Memory Networks With
 * Python"). Shapes are documented in compiler/data-schema.ts (`SYNTHETIC_PROBLEMS`).
 *
 * - echo: [length, features] one-hot → [features] (symbol at `index`)
 * - sine: [length, 1] → [horizon] (damped sine, period ∈ [10, 20], decay ∈ [0.01, 0.1])
 * - square: [frames, size, size, 1] → [1] (1 = the dot moves right). Default 50 frames of 50×50.
 * - addition: [8, 12] → [2, 12] for 3 terms ≤ 10 ("10+10+10" → "30"), left-padded with spaces
 * - cumsum: [length, 1] → [length, 1] (running sum > threshold)
 * - chars: [window, 28] → [28] next character of a generated English-like corpus
 * - rectangle: [1, 2] → [2] the next corner of a rectangle (clockwise from bottom-left)
 */
import type { ArgValue } from '../../compiler/ir.js';
import { ADDITION_ALPHABET, CHARS_ALPHABET, additionLengths } from '../../compiler/data-schema.js';
import { type Rng } from '../rng.js';
import type { Split } from './types.js';

type Opts = Record<string, ArgValue>;
const num = (o: Opts, k: string) => o[k] as number;

function alloc(n: number, xShape: number[], yShape: number[]): Split {
  const xs = [n, ...xShape];
  const ys = [n, ...yShape];
  return {
    x: { values: new Float32Array(xs.reduce((a, b) => a * b, 1)), shape: xs },
    y: { values: new Float32Array(ys.reduce((a, b) => a * b, 1)), shape: ys },
  };
}

export function echo(n: number, o: Opts, rng: Rng): Split {
  const L = num(o, 'length');
  const F = num(o, 'features');
  const idx = num(o, 'index');
  const s = alloc(n, [L, F], [F]);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < L; t++) {
      const v = rng.int(0, F - 1);
      s.x.values[(i * L + t) * F + v] = 1;
      if (t === idx) s.y.values[i * F + v] = 1;
    }
  }
  return s;
}

export function sine(n: number, o: Opts, rng: Rng): Split {
  const L = num(o, 'length');
  const H = num(o, 'horizon');
  const s = alloc(n, [L, 1], [H]);
  for (let i = 0; i < n; i++) {
    const p = rng.int(10, 20);
    const d = rng.uniform(0.01, 0.1);
    for (let t = 0; t < L + H; t++) {
      const v = 0.5 + 0.5 * Math.sin((2 * Math.PI * t) / p) * Math.exp(-d * t);
      if (t < L) s.x.values[i * L + t] = v;
      else s.y.values[i * H + (t - L)] = v;
    }
  }
  return s;
}

export function square(n: number, o: Opts, rng: Rng): Split {
  const S = num(o, 'size');
  const F = num(o, 'frames');
  const s = alloc(n, [F, S, S, 1], [1]);
  const frame = S * S;
  for (let i = 0; i < n; i++) {
    const right = rng.next() < 0.5;
    const row = rng.int(0, S - 1);
    let col = right ? 0 : S - 1;
    for (let f = 0; f < F; f++) {
      s.x.values[(i * F + f) * frame + row * S + col] = 1;
      col += right ? 1 : -1;
    }
    s.y.values[i] = right ? 1 : 0;
  }
  return s;
}

/** The addition problem's strings for one example. */
export function additionStrings(terms: number, largest: number, rng: Rng): { input: string; output: string } {
  const vals = Array.from({ length: terms }, () => rng.int(1, largest));
  const { inLength, outLength } = additionLengths(terms, largest);
  const input = vals.join('+').padStart(inLength, ' ');
  const output = String(vals.reduce((a, b) => a + b, 0)).padStart(outLength, ' ');
  return { input, output };
}

export function oneHotString(str: string, alphabet: string, out: Float32Array, offset: number): void {
  const V = alphabet.length;
  for (let t = 0; t < str.length; t++) {
    const k = alphabet.indexOf(str[t]!);
    if (k >= 0) out[offset + t * V + k] = 1;
  }
}

export function addition(n: number, o: Opts, rng: Rng): Split {
  const terms = num(o, 'terms');
  const largest = num(o, 'largest');
  const { inLength, outLength } = additionLengths(terms, largest);
  const V = ADDITION_ALPHABET.length;
  const s = alloc(n, [inLength, V], [outLength, V]);
  for (let i = 0; i < n; i++) {
    const { input, output } = additionStrings(terms, largest, rng);
    oneHotString(input, ADDITION_ALPHABET, s.x.values, i * inLength * V);
    oneHotString(output, ADDITION_ALPHABET, s.y.values, i * outLength * V);
  }
  return s;
}

export function cumsum(n: number, o: Opts, rng: Rng): Split {
  const L = num(o, 'length');
  const th = (o.threshold as number | undefined) ?? L / 4;
  const s = alloc(n, [L, 1], [L, 1]);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let t = 0; t < L; t++) {
      const v = rng.next();
      sum += v;
      s.x.values[i * L + t] = v;
      s.y.values[i * L + t] = sum > th ? 1 : 0;
    }
  }
  return s;
}

const NOUNS = ['cat', 'dog', 'bird', 'fish', 'horse', 'king', 'queen', 'child', 'farmer', 'river', 'tree', 'house'];
const VERBS = ['sees', 'likes', 'finds', 'follows', 'watches', 'helps', 'calls', 'knows'];
const ADJS = ['big', 'small', 'old', 'young', 'red', 'green', 'quiet', 'happy'];
const DETS = ['the', 'a'];
const GLUE = ['and', 'at'];
/** Every word the `chars` corpus uses (to judge whether generated text is well formed); numbers are words too. */
export const CHARS_WORDS: ReadonlySet<string> = new Set([...NOUNS, ...VERBS, ...ADJS, ...DETS, ...GLUE]);

function nounPhrase(rng: Rng): string {
  const det = DETS[rng.int(0, DETS.length - 1)]!;
  const adj = rng.next() < 0.5 ? ADJS[rng.int(0, ADJS.length - 1)]! + ' ' : '';
  return `${det} ${adj}${NOUNS[rng.int(0, NOUNS.length - 1)]!}`;
}

function clause(rng: Rng): string {
  return `${nounPhrase(rng)} ${VERBS[rng.int(0, VERBS.length - 1)]!} ${nounPhrase(rng)}`;
}

/**
 * A seeded corpus of simple sentences over CHARS_ALPHABET, at least `minLength` characters long:
 * "the old king sees a bird, and a dog follows the river at 7." Paragraphs of 4 sentences end in "\n".
 */
export function charsCorpus(minLength: number, rng: Rng): string {
  const parts: string[] = [];
  let len = 0;
  let k = 0;
  while (len < minLength) {
    let s = clause(rng);
    if (rng.next() < 0.25) s += `, and ${clause(rng)}`;
    if (rng.next() < 0.2) s += ` at ${rng.int(1, 12)}`;
    s += ++k % 4 === 0 ? '.\n' : '. ';
    parts.push(s);
    len += s.length;
  }
  return parts.join('');
}

/** Fraction of the words of `text` (split on spaces, punctuation and newlines) that the corpus knows. */
export function wellFormedWords(text: string): number {
  const words = text.split(/[\s.,]+/).filter((w) => w !== '');
  // The first and last words may be cut off by the sample's ends.
  const inner = words.slice(1, -1);
  if (inner.length === 0) return 0;
  return inner.filter((w) => CHARS_WORDS.has(w) || /^\d+$/.test(w)).length / inner.length;
}

/**
 * One-hot windows of `window` characters → the next character. `width` (≥ the alphabet's size) is the
 * one-hot width: positions past the alphabet never occur (a model sized for a larger vocabulary).
 */
export function charWindows(
  corpus: string,
  alphabet: string,
  window: number,
  step: number,
  limit = Infinity,
  width?: number,
): Split {
  const syms = [...alphabet];
  const map = new Map(syms.map((c, i) => [c, i]));
  const idx = [...corpus].map((c) => map.get(c) ?? -1);
  const count = Math.min(limit, Math.floor((idx.length - window - 1) / step) + 1);
  const V = Math.max(width ?? 0, syms.length);
  const s = alloc(Math.max(0, count), [window, V], [V]);
  for (let i = 0; i < count; i++) {
    const start = i * step;
    for (let t = 0; t < window; t++) {
      const k = idx[start + t]!;
      if (k >= 0) s.x.values[(i * window + t) * V + k] = 1;
    }
    const k = idx[start + window]!;
    if (k >= 0) s.y.values[i * V + k] = 1;
  }
  return s;
}

export function chars(n: number, o: Opts, rng: Rng): Split {
  const W = num(o, 'window');
  const step = num(o, 'step');
  const corpus = charsCorpus(n * step + W + 1, rng);
  return charWindows(corpus, CHARS_ALPHABET, W, step, n, num(o, 'vocab'));
}

/** Corners of a random rectangle, clockwise from the bottom-left. */
export function rectangleCorners(rng: Rng): [number, number][] {
  const x = rng.next();
  const y = rng.next();
  const w = rng.uniform(0, 1 - x);
  const h = rng.uniform(0, 1 - y);
  return [
    [x, y],
    [x, y + h],
    [x + w, y + h],
    [x + w, y],
  ];
}

export function rectangle(n: number, _o: Opts, rng: Rng): Split {
  const s = alloc(n, [1, 2], [2]);
  let i = 0;
  while (i < n) {
    const c = rectangleCorners(rng);
    for (let k = 0; k < 3 && i < n; k++, i++) {
      s.x.values[i * 2] = c[k]![0];
      s.x.values[i * 2 + 1] = c[k]![1];
      s.y.values[i * 2] = c[k + 1]![0];
      s.y.values[i * 2 + 1] = c[k + 1]![1];
    }
  }
  return s;
}

export const GENERATORS: Record<string, (n: number, o: Opts, rng: Rng) => Split> = {
  echo,
  sine,
  square,
  addition,
  cumsum,
  chars,
  rectangle,
};
