/** The test both front ends use to refuse binary input (LSTM1007) before parsing anything. */

/** Control characters that do not belong in a text file (tab, LF, VT, FF, CR are fine). */
function isBinaryChar(c: number): boolean {
  return (c < 32 && c !== 9 && c !== 10 && c !== 11 && c !== 12 && c !== 13) || c === 0x7f || c === 0xfffd;
}

/** Why the source looks binary, and the offset of the first offending character; undefined for text. */
export function binaryReason(source: string): { what: string; at: number } | undefined {
  const nul = source.indexOf('\0');
  if (nul >= 0) return { what: 'NUL bytes', at: nul };
  let bad = 0;
  let first = -1;
  for (let i = 0; i < source.length; i++) {
    if (isBinaryChar(source.charCodeAt(i))) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad >= 4 && bad / source.length > 0.1) return { what: 'control characters or invalid UTF-8', at: first };
  return undefined;
}
