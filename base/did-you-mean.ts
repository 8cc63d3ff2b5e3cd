/**
 * "Did you mean": the closest known name to a misspelt one (edit distance).
 */
import { replaceFix, type DiagnosticFix } from './diagnostics.js';
import type { Span } from './span.js';

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const al = a.toLowerCase();
  const bl = b.toLowerCase();
  const prev = new Array<number>(bl.length + 1);
  for (let j = 0; j <= bl.length; j++) prev[j] = j;
  for (let i = 1; i <= al.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= bl.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (al[i - 1] === bl[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[bl.length]!;
}

/** The closest candidate within a distance proportional to the word, or undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const limit = Math.max(1, Math.floor(word.length / 3) + 1);
  for (const c of candidates) {
    if (c.toLowerCase() === word.toLowerCase()) return c;
    const dist = editDistance(word, c);
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  return bestD <= limit ? best : undefined;
}

export function didYouMeanHint(word: string, candidates: Iterable<string>): string | undefined {
  const m = didYouMean(word, candidates);
  return m === undefined ? undefined : `Did you mean "${m}"?`;
}

/** The did-you-mean replacement as a fix (`word`, inside `span`, becomes the closest candidate), or undefined. */
export function didYouMeanFixes(span: Span, word: string, candidates: Iterable<string>): DiagnosticFix[] | undefined {
  const m = didYouMean(word, candidates);
  return m === undefined || m === word ? undefined : [replaceFix(span, word, m)];
}
