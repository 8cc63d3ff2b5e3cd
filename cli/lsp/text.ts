/**
 * Positions for the language server: LSP positions (0-based line, UTF-16 character) to and from
 * lstmc spans (1-based line and column, end column exclusive; both front ends count UTF-16 units,
 * as JavaScript strings do).
 */
import { lineOfOffset, type Span } from '../../base/span.js';

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** A document's text with its line starts, for offset <-> position conversions. */
export class LineIndex {
  readonly starts: number[] = [0];
  constructor(readonly text: string) {
    // LSP's line breaks: \n, \r\n and a lone \r (as the front ends count lines).
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** Offset just past the last character of a 0-based line (before its line break). */
  private lineEnd(n: number): number {
    if (n + 1 >= this.starts.length) return this.text.length;
    let end = this.starts[n + 1]! - 1;
    if (this.text.charCodeAt(end) === 10 && end > this.starts[n]! && this.text.charCodeAt(end - 1) === 13) end--;
    return end;
  }

  /** The text of a 0-based line, without its line break. */
  line(n: number): string {
    if (n < 0 || n >= this.starts.length) return '';
    return this.text.slice(this.starts[n]!, this.lineEnd(n));
  }

  offsetAt(p: Position): number {
    if (p.line < 0) return 0;
    if (p.line >= this.starts.length) return this.text.length;
    return Math.min(this.starts[p.line]! + Math.max(0, p.character), this.lineEnd(p.line));
  }

  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    const lo = lineOfOffset(this.starts, o);
    return { line: lo, character: o - this.starts[lo]! };
  }
}

export function spanToRange(s: Span): Range {
  return {
    start: { line: Math.max(0, s.line - 1), character: Math.max(0, s.column - 1) },
    end: { line: Math.max(0, s.endLine - 1), character: Math.max(0, s.endColumn - 1) },
  };
}

export function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}

/** `p` is inside `r`, ends included (a cursor just after a word is on the word). */
export function rangeContains(r: Range, p: Position): boolean {
  return comparePositions(r.start, p) <= 0 && comparePositions(p, r.end) <= 0;
}

export function spanContains(s: Span, p: Position): boolean {
  return rangeContains(spanToRange(s), p);
}

export function rangesOverlap(a: Range, b: Range): boolean {
  return comparePositions(a.start, b.end) <= 0 && comparePositions(b.start, a.end) <= 0;
}

/** Width of a span in characters when it is on one line (else Infinity): the innermost hit wins. */
export function spanWidth(s: Span): number {
  return s.line === s.endLine ? s.endColumn - s.column : Infinity;
}
