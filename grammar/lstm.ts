/**
 * The `.lstm` front end: source text -> AST + diagnostics. Never throws, never recurses deeper than
 * MAX_NESTING bracket levels, linear in the input.
 *
 * Pipeline: binary check -> lex (lexer errors -> LSTM1003) -> nesting guard (LSTM1004; the too-deep
 * part is dropped before parsing) -> parse with recovery (LSTM1001; resumes at the next `model`
 * after junk at the top level) -> CST visitor (literal errors) -> LSTM1005 if no model at all.
 */
import { EOF, tokenMatcher, type CstNode, type IToken } from './chevrotain.js';
import type { ModelDecl, ParseResult, SpecFile } from './ast.js';
import {
  DiagnosticBag,
  Diagnostics,
  sortDiagnostics,
  type Diagnostic,
  type DiagnosticFix,
} from '../base/diagnostics.js';
import { CLOSERS, Keyword, LBrace, Model, OPENERS, RBrace, UnterminatedString, lstmLexer } from './lexer.js';
import { MAX_PARSE_ERRORS, lstmParser } from './parser.js';
import { binaryReason } from './binary.js';
import { SourceText, cstToModels, type JunkRun } from './cst-to-ast.js';
import { habitHint, rewriteHabits } from './habits.js';

/** Brackets, parentheses and braces may nest this deep; deeper input is rejected (LSTM1004). */
export const MAX_NESTING = 64;

function describeChars(run: string): string {
  const shown = run.length > 12 ? run.slice(0, 12) : run;
  const printable = [...shown].every((ch) => {
    const c = ch.codePointAt(0)!;
    return c > 32 && c !== 0x7f && !(c >= 0x80 && c < 0xa0) && c !== 0xfffd && !/\s/.test(ch);
  });
  const text = printable
    ? `"${shown}"`
    : [...shown].map((ch) => 'U+' + ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')).join(' ');
  return run.length > shown.length ? `${text}...` : text;
}

function describeFound(t: IToken): string {
  if (t.tokenType === EOF || !Number.isFinite(t.startOffset)) return 'end of file';
  const img = t.image.length > 30 ? `${t.image.slice(0, 30)}...` : t.image;
  return img.startsWith('"') ? `string ${img}` : `"${img}"`;
}

function emptySpec(src: SourceText, file: string): SpecFile {
  return { file, format: 'lstm', models: [], span: src.span(0, src.text.length) };
}

export function parseLstm(source: string, file: string): ParseResult {
  const text = typeof source === 'string' ? source : String(source ?? '');
  const src = new SourceText(text, file);
  try {
    return parseInner(src, file);
  } catch (e) {
    // A bug, not a user problem: still never throw out of the front end.
    const bag = new DiagnosticBag();
    bag.add(Diagnostics.Internal, src.span(0, 0), { message: e instanceof Error ? e.message : String(e) });
    return { spec: emptySpec(src, file), diagnostics: bag.items };
  }
}

function parseInner(src: SourceText, file: string): ParseResult {
  const text = src.text;
  const bag = new DiagnosticBag();

  const binary = binaryReason(text);
  if (binary !== undefined) {
    bag.add(Diagnostics.BinaryFile, src.span(0, /^[^\r\n]/.test(text) ? 1 : 0), { what: binary.what });
    return { spec: emptySpec(src, file), diagnostics: bag.items };
  }

  // ---- lex ----
  const lexed = lstmLexer.tokenize(text);
  /** Lines with a lexical error: parse errors there are consequences, not news. */
  const lexErrorLines = new Set<number>();
  for (const e of lexed.errors) {
    const span = src.span(e.offset, e.offset + Math.max(1, e.length));
    const run = text.slice(e.offset, e.offset + e.length);
    // 'relu': a Python string. One hint per line (the closing quote is a second error).
    const quote = run.startsWith("'") && !lexErrorLines.has(span.line);
    const hint = quote ? singleQuoteHint(text, e.offset) : undefined;
    bag.add(Diagnostics.InvalidCharacter, span, { char: describeChars(run) }, hint);
    lexErrorLines.add(span.line);
  }
  for (const t of lexed.tokens) {
    if (t.tokenType === UnterminatedString) lexErrorLines.add(src.position(t.startOffset).line);
  }

  // The lexer tracks only start offsets (cheap); the parser's node locations need end offsets.
  for (const t of lexed.tokens) t.endOffset = t.startOffset + t.image.length - 1;

  // ---- nesting guard: drop everything nested deeper than MAX_NESTING ----
  const all = lexed.tokens;
  let kept: IToken[] = all;
  let depth = 0;
  let cut = false;
  let reported = false;
  for (let i = 0; i < all.length; i++) {
    const t = all[i]!;
    const open = OPENERS.has(t.tokenType);
    const close = !open && CLOSERS.has(t.tokenType);
    if (open) depth++;
    const tooDeep = depth > MAX_NESTING;
    if (tooDeep && !cut) {
      cut = true;
      kept = all.slice(0, i);
      if (!reported) {
        reported = true;
        bag.add(Diagnostics.NestingTooDeep, src.tokenSpan(t), { max: MAX_NESTING });
      }
    } else if (!tooDeep && cut) kept.push(t);
    if (close) depth = Math.max(0, depth - 1);
  }

  // ---- stray tokens between models: removed here, one error per run ----
  const parseErrors: SyntaxError[] = [];
  {
    const inModels: IToken[] = [];
    let braces = 0;
    let inModel = false;
    let opened = false;
    let prevStray = false;
    for (const t of kept) {
      if (braces === 0 && t.tokenType === Model) {
        inModel = true;
        opened = false;
      }
      if (inModel) {
        inModels.push(t);
        prevStray = false;
        if (t.tokenType === LBrace) {
          braces++;
          opened = true;
        } else if (t.tokenType === RBrace) {
          braces = Math.max(0, braces - 1);
          if (braces === 0 && opened) inModel = false;
        }
        continue;
      }
      if (!prevStray) parseErrors.push({ token: t, expected: '"model"', repetition: true, stray: true });
      prevStray = true;
    }
    if (inModels.length !== kept.length) kept = inModels;
  }

  // ---- parse (restarting at the next `model` should the parser stop before the end) ----
  const junk: JunkRun[] = [];
  const models: ModelDecl[] = [];
  let start = 0;
  while (start <= kept.length) {
    lstmParser.input = start === 0 ? kept : kept.slice(start);
    const cst: CstNode = lstmParser.file();
    if (lstmParser.stoppedEarly) cut = true;
    let redundant: IToken | undefined;
    for (const e of lstmParser.errors) {
      const rule = e.context?.ruleStack?.at(-1);
      parseErrors.push({
        token: e.token,
        expected: e.message,
        repetition: rule === 'file' || rule === 'modelDecl' || rule === 'block',
        stray: false,
      });
      if (e.name === 'NotAllInputParsedException') redundant = e.token;
    }
    models.push(...cstToModels(cst, { src, diags: bag, junk }));
    if (!redundant) break;
    let idx = kept.indexOf(redundant, start);
    if (idx < 0) break;
    idx++;
    while (idx < kept.length && kept[idx]!.tokenType !== Model) idx++;
    if (idx >= kept.length) break;
    start = idx;
  }

  // ---- parse errors -> LSTM1001, one per line, none inside/after a too-deep region at EOF ----
  const lastTok = kept[kept.length - 1];
  const eofOffset = lastTok ? lastTok.startOffset + lastTok.image.length : text.length;
  for (const j of junk) parseErrors.push({ token: j.token, expected: j.expected, repetition: true, stray: true });
  const seenOffsets = new Set<number>();
  const sorted = [...parseErrors].sort((a, b) => offsetOf(a.token, eofOffset) - offsetOf(b.token, eofOffset));
  let prevRawIndex = -Infinity;
  let prevRawLine = -1;
  for (const e of sorted) {
    const t = e.token;
    const atEof = t.tokenType === EOF || !Number.isFinite(t.startOffset);
    const off = atEof ? eofOffset : t.startOffset;
    const index = atEof ? kept.length : firstTokenAt(kept, off);
    // Cascades: after a statement fails, the enclosing `model { }` / `{ }` body meets what is left
    // of it (stray tokens, often on the same line). Keep only the first error of such a run.
    const line = src.position(off).line;
    const cascade = index - prevRawIndex <= 1 || (e.repetition && (index - prevRawIndex <= 3 || line === prevRawLine));
    prevRawIndex = index;
    prevRawLine = line;
    if (cascade || (atEof && cut)) continue;
    // A token missing at the end of a line is reported there ("Unexpected end of line"), not at
    // the start of the next line, so that a second mistake on the next line is still reported.
    // (A stray token is reported where it stands.)
    const prev = index > 0 ? kept[index - 1] : undefined;
    const prevEnd = prev ? prev.startOffset + prev.image.length : -1;
    const newLine = prev !== undefined && !e.stray && (atEof || src.position(prevEnd).line < src.position(off).line);
    const span = newLine ? src.span(prevEnd, prevEnd) : atEof ? src.span(eofOffset, eofOffset) : src.tokenSpan(t);
    const found = newLine && !atEof ? 'end of line' : describeFound(t);
    const key = newLine ? prevEnd : off;
    // One error per offset; none on a line whose characters the lexer already rejected.
    if (seenOffsets.has(key) || lexErrorLines.has(span.line)) continue;
    if (seenOffsets.size >= MAX_PARSE_ERRORS) break;
    seenOffsets.add(key);
    bag.add(
      Diagnostics.UnexpectedToken,
      span,
      { found, expected: e.expected || 'something else' },
      ...hintAndFixes(parseHint(t, atEof, e.expected, kept, src)),
    );
  }

  if (models.length === 0 && bag.items.length === 0) {
    bag.add(Diagnostics.NoModel, src.span(0, 0));
  }

  const spec: SpecFile = { file, format: 'lstm', models, span: src.span(0, text.length) };
  return { spec, diagnostics: sortDiagnostics(bag.items) };
}

/** `'linear'`: a Python string at `offset`. */
function singleQuoteHint(text: string, offset: number): string {
  const m = /^'([^'\r\n]*)'/.exec(text.slice(offset, offset + 200));
  if (m && /^[A-Za-z_][A-Za-z0-9_]*$/.test(m[1]!)) {
    return `Strings are written in double quotes, and a name such as \`${m[1]}\` needs none: write \`${m[1]}\`.`;
  }
  return m
    ? `Strings are written in double quotes: \`${JSON.stringify(m[1])}\`.`
    : 'Strings are written in double quotes ("...").';
}

/** Most lines a statement with a Python habit is looked for on, around the error. */
const HABIT_LINES = 5;
/** Most tokens looked at on either side of the error (a hint costs O(1) per error, whatever the line). */
const HABIT_TOKENS = 60;

/**
 * The tokens of the statement around tokens[i]: its line, extended while brackets opened on
 * earlier lines are still open (or brackets opened here close on later lines), at most HABIT_LINES
 * lines and HABIT_TOKENS tokens either side. `clipped` when a token limit cut the statement short.
 */
function statementAround(tokens: IToken[], i: number, src: SourceText): { from: number; to: number; clipped: boolean } {
  const line = (k: number): number => src.position(tokens[k]!.startOffset).line;
  let clipped = false;
  const lineStart = (k: number): number => {
    const l = line(k);
    while (k > 0 && line(k - 1) === l) {
      if (i - k >= HABIT_TOKENS) {
        clipped = true;
        break;
      }
      k--;
    }
    return k;
  };
  const lineEnd = (k: number): number => {
    const l = line(k);
    while (k + 1 < tokens.length && line(k + 1) === l) {
      if (k - i >= HABIT_TOKENS) {
        clipped = true;
        break;
      }
      k++;
    }
    return k;
  };
  let from = lineStart(i);
  let to = lineEnd(i);
  const balance = (): number => {
    let b = 0;
    for (let k = from; k <= to; k++) {
      const img = tokens[k]!.image;
      if (img === '(' || img === '[') b++;
      else if (img === ')' || img === ']') b--;
    }
    return b;
  };
  for (let n = 1; n < HABIT_LINES && !clipped; n++) {
    const b = balance();
    if (b < 0 && from > 0) from = lineStart(from - 1);
    else if (b > 0 && to + 1 < tokens.length) to = lineEnd(to + 1);
    else break;
  }
  return { from, to, clipped };
}

/**
 * Hints for the syntax mistakes that need context to explain: an unclosed `{`, a keyword as a name,
 * and Python / Keras habits (`name=value`, `True`, tuples) shown rewritten in lstmc spelling.
 */
/** A hint, with the edits that apply it when there are any. */
type ParseHint = string | { hint: string; fixes: DiagnosticFix[] } | undefined;

/** The `hint` and `fixes` arguments of `DiagnosticBag.add` for a parse hint. */
function hintAndFixes(h: ParseHint): [string | undefined, DiagnosticFix[] | undefined] {
  return typeof h === 'object' ? [h.hint, h.fixes] : [h, undefined];
}

function parseHint(t: IToken, atEof: boolean, expected: string, tokens: IToken[], src: SourceText): ParseHint {
  if (atEof && expected.includes('"}"')) {
    // Which `{` was left open? Brace counting alone blames the outermost one; indentation tells
    // better: a `}` closes the innermost open `{` whose line is indented like the `}` itself, and
    // any `{` it skips over is the one the user forgot to close.
    const indent = (tok: IToken): number => {
      const lineStart = tok.startOffset - (src.position(tok.startOffset).column - 1);
      let k = lineStart;
      while (k < src.text.length && (src.text[k] === ' ' || src.text[k] === '\t')) k++;
      return k - lineStart;
    };
    const open: number[] = [];
    let skipped: number | undefined;
    tokens.forEach((tok, i) => {
      if (tok.image === '{') open.push(i);
      else if (tok.image === '}') {
        const want = indent(tok);
        let j = open.length - 1;
        while (j >= 0 && indent(tokens[open[j]!]!) !== want) j--;
        if (j >= 0 && j < open.length - 1) {
          skipped ??= open[open.length - 1];
          open.length = j;
        } else open.pop();
      }
    });
    const i = skipped ?? open[open.length - 1];
    if (i !== undefined) {
      const before = i > 0 ? tokens[i - 1]!.image : '';
      const opener = i > 1 && tokens[i - 2]!.image === 'model' ? `model ${before}` : before;
      return `The "{" of \`${opener} {\` on line ${src.position(tokens[i]!.startOffset).line} is never closed; add a "}".`;
    }
  }
  if (!atEof && tokenMatcher(t, Keyword) && /name/.test(expected)) {
    return `"${t.image}" is a keyword; pick another name${t.image === 'input' ? ' (e.g. `x` or `inputs`)' : ''}.`;
  }
  if (!atEof && (t.image === '=' || t.image === '(')) {
    const i = firstTokenAt(tokens, t.startOffset);
    if (tokens[i] === t) {
      const { from, to, clipped } = statementAround(tokens, i, src);
      const r = rewriteHabits(src.text, tokens, from, to);
      // A statement cut short by the token limit is not worth showing rewritten: the rules only.
      if (r.changed.has(i)) {
        const hint = habitHint(r, clipped ? 0 : undefined);
        const line = (k: number): number => src.position(tokens[k]!.startOffset).line;
        // The rewrite folds line breaks and comments: offered as an edit for a one-line statement only.
        if (hint === undefined || clipped || line(from) !== line(to)) return hint;
        const last = tokens[to]!;
        const span = src.span(tokens[from]!.startOffset, last.startOffset + last.image.length);
        const fix: DiagnosticFix = { title: `Rewrite as \`${r.text.trim()}\``, edits: [{ span, newText: r.text }] };
        return { hint, fixes: [fix] };
      }
    }
  }
  return undefined;
}

/** Index of the first token starting at or after `offset` (binary search; tokens are in source order). */
function firstTokenAt(tokens: IToken[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.startOffset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface SyntaxError {
  token: IToken;
  /** The human "expected ..." phrase. */
  expected: string;
  /** Raised by a `file` / `model { }` / `{ }` repetition (as opposed to inside a statement). */
  repetition: boolean;
  /** A stray token the grammar swallowed (as opposed to a token that is missing). */
  stray: boolean;
}

function offsetOf(t: IToken, eof: number): number {
  return Number.isFinite(t.startOffset) && t.tokenType !== EOF ? t.startOffset : eof;
}

export type { Diagnostic };
