/** A text corpus for a character-level generative model. */
import { DataError, readDataFile } from './types.js';

export interface Corpus {
  text: string;
  alphabet: string;
}

export function readCorpus(
  file: string,
  displayName: string,
  opts: { lowercase?: boolean; alphabet?: string; window: number },
): Corpus {
  let text = readDataFile(file, displayName);
  if (text.includes('\u0000')) throw new DataError('the file is not text (it contains NUL bytes)', displayName);
  text = text.replace(/\r\n/g, '\n');
  if (opts.lowercase) text = text.toLowerCase();
  let alphabet: string;
  if (opts.alphabet !== undefined) {
    alphabet = opts.alphabet;
    const keep = new Set(alphabet);
    text = [...text].filter((c) => keep.has(c)).join('');
  } else {
    alphabet = [...new Set(text)].sort().join('');
  }
  const n = [...text].length;
  if (n < opts.window + 1) {
    throw new DataError(
      `the corpus has ${n} usable character(s), but window ${opts.window} needs at least ${opts.window + 1}`,
      displayName,
    );
  }
  if ([...alphabet].length < 2) throw new DataError('the corpus needs at least 2 distinct characters', displayName);
  return { text, alphabet };
}
