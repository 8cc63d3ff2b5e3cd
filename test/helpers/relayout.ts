/**
 * Random re-layouts of a `.lstm` source for property tests: the same tokens (and comments) with other
 * separators between them: spaces, line breaks, blank lines, tabs and new comments (a comment always
 * ends its line). The tokens, so the AST, stay the same.
 */
import { lstmLexer } from '../../grammar/lexer.js';

/** Tokens and comments of a source, in order, as [image, isComment]. */
export function pieces(text: string): [string, boolean][] {
  const lexed = lstmLexer.tokenize(text);
  const all = [
    ...lexed.tokens.map((t) => ({ at: t.startOffset, image: t.image, comment: false })),
    ...(lexed.groups['comments'] ?? []).map((t) => ({ at: t.startOffset, image: t.image.trimEnd(), comment: true })),
  ].sort((a, b) => a.at - b.at);
  return all.map((p) => [p.image, p.comment]);
}

/** Separators put between two tokens; `{i}` numbers new comments. Choices 0, 1 and 5 add no line break. */
export const GAPS = [' ', '  ', '\n', '\n    ', '\n\n\n', '\t', ' # note {i}\n', '\n# own line {i}\n\n', '   #{i}\n  '];

/** `text` with the separator GAPS[choices[i]] after its i-th token (choices repeat). */
export function relayout(text: string, choices: readonly number[]): string {
  const ps = pieces(text);
  let out = '';
  ps.forEach(([image, comment], i) => {
    out += image;
    const gap = GAPS[choices[i % choices.length]! % GAPS.length]!.replace('{i}', String(i));
    out += comment && !gap.includes('\n') ? `\n${gap}` : gap;
  });
  return out;
}
