/**
 * A source location: the ground floor every phase points into (spans live below grammar/).
 */
export interface Span {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** 1-based, inclusive line of the last character. */
  endLine: number;
  /** 1-based, exclusive (the column just after the last character). */
  endColumn: number;
  /** 0-based character offsets into the source, when known. */
  offset?: number;
  endOffset?: number;
}

/** The 0-based line holding `offset`, given each line's start offset (ascending, starting with 0). */
export function lineOfOffset(lineStarts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
