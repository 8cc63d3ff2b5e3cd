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
