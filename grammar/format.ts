/**
 * `lstmc fmt`: the canonical layout of a `.lstm` file, every comment kept. Pure; never throws.
 *
 * The layout (docs/tooling.md):
 * - one statement per line, two spaces of indentation per level; one blank line between models;
 * - blank lines between statements, entries, arguments and comments are kept, runs of them collapsed
 *   to one (none right after an opening bracket, before a closing one or before a `-> layer` step);
 * - `train { }` and `data { }` one entry per line; a call, list or nested block stays on one line
 *   when it fits in WIDTH columns and holds no comment, else one argument / item / entry per line
 *   (trailing commas); a `let` chain too long for one line puts each `-> layer` on its own line;
 * - trailing comments of neighbouring lines line up, at column COMMENT_COLUMN or two spaces after the
 *   longest of those lines; own-line comments keep their place, indented like the code they precede;
 * - values are printed as written (number spellings, `$name`), strings with canonical escapes;
 *   calls keep their positional / named arguments; a layer without arguments gets `()`;
 * - line ends follow the file (CRLF stays CRLF); one final newline.
 *
 * Safety: the result must parse to the same AST (spans aside) and hold every comment, else the
 * formatter refuses (LSTM9001) rather than write something different.
 */
import type { Arg, Block, BlockEntry, Call, LetStmt, ModelDecl, SpecFile, Statement, Value } from './ast.js';
import { Diagnostics, makeDiagnostic, type Diagnostic } from '../base/diagnostics.js';
import { attachComments, type AttachedComments, type SourceComment } from './comments.js';
import { lstmLexer } from './lexer.js';
import { parseLstm } from './lstm.js';

/** Lines longer than this are broken where the layout allows. */
export const WIDTH = 100;
/** Trailing comments start at this column (0-based) at least: the house style of the reference specs. */
export const COMMENT_COLUMN = 38;

/** A `.lstm` string literal: `"..."` with \" \\ \n \t and \u{...} escapes. */
export function lstmString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f || c === 0x2028 || c === 0x2029) out += `\\u{${c.toString(16)}}`;
    else out += ch;
  }
  return out + '"';
}

/** The comments of a `.lstm` source, in order (lexer errors aside: such files are not formatted). */
export function lstmComments(text: string): SourceComment[] {
  const found = lstmLexer.tokenize(text).groups['comments'] ?? [];
  return found.map((t) => {
    const body = t.image.trimEnd();
    return { start: t.startOffset, end: t.startOffset + body.length, text: body };
  });
}

/** One output line before rendering. */
export interface Line {
  indent: number;
  kind: 'code' | 'comment' | 'blank';
  text: string;
  /** A trailing comment (code lines). */
  comment?: string;
  /** The line ends with an opening bracket: no blank line may follow it. */
  opener?: boolean;
}

/**
 * Lines to text: trailing comments of neighbouring code lines (same indentation, no blank or comment
 * line between) line up at `minColumn` or two spaces after the longest of them.
 */
export function renderLines(lines: readonly Line[], eol: string, minColumn: number): string {
  const column = new Array<number>(lines.length).fill(0);
  for (let i = 0; i < lines.length;) {
    if (lines[i]!.kind !== 'code') {
      i++;
      continue;
    }
    let j = i;
    let col = minColumn;
    while (j < lines.length && lines[j]!.kind === 'code' && lines[j]!.indent === lines[i]!.indent) {
      const l = lines[j]!;
      if (l.comment !== undefined) col = Math.max(col, l.indent + l.text.length + 2);
      j++;
    }
    for (let k = i; k < j; k++) column[k] = col;
    i = j;
  }
  while (lines.length > 0 && lines[lines.length - 1]!.kind === 'blank') lines = lines.slice(0, -1);
  const out = lines.map((l, i) => {
    if (l.kind === 'blank') return '';
    const code = ' '.repeat(l.indent) + l.text;
    if (l.comment === undefined) return code;
    return code + ' '.repeat(Math.max(1, column[i]! - code.length)) + l.comment;
  });
  return out.join(eol) + eol;
}

/** A number as written when that is valid `.lstm` (YAML spells some differently), else its value. */
const LSTM_NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function numberText(v: Extract<Value, { kind: 'int' | 'float' }>): string {
  return LSTM_NUMBER.test(v.raw) ? v.raw : String(v.value);
}

export interface LstmPrintOptions {
  /** Put a blank line before a model's `train { }` / `data { }` (convert from YAML, which has none). */
  blankBeforeBlocks?: boolean;
}

/** Prints an AST with its attached comments in the `.lstm` layout. */
class LstmPrinter {
  readonly lines: Line[] = [];
  readonly printed = new Set<SourceComment>();

  constructor(
    private readonly c: AttachedComments,
    private readonly opts: LstmPrintOptions = {},
  ) {}

  // ------------------------------------------------------------ lines

  private code(indent: number, text: string, opener = false): void {
    this.lines.push(opener ? { indent, kind: 'code', text, opener } : { indent, kind: 'code', text });
  }

  private blank(): void {
    const last = this.lines[this.lines.length - 1];
    if (!last || last.kind === 'blank' || last.opener) return;
    this.lines.push({ indent: 0, kind: 'blank', text: '' });
  }

  private comment(indent: number, c: SourceComment): void {
    if (this.c.blankBefore(c.start)) this.blank();
    this.lines.push({ indent, kind: 'comment', text: c.text });
    this.printed.add(c);
  }

  /** A trailing comment on the last line printed. */
  private trail(c: SourceComment | undefined): void {
    if (!c) return;
    const last = this.lines[this.lines.length - 1];
    if (last && last.kind === 'code' && last.comment === undefined) last.comment = c.text;
    else this.lines.push({ indent: last?.indent ?? 0, kind: 'comment', text: c.text });
    this.printed.add(c);
  }

  /**
   * One item of a broken container: its leading comments, a blank line where the source had one,
   * the item, and its trailing comment (several: all but the last move above it).
   */
  private item(key: object, start: number | undefined, indent: number, body: () => void): void {
    const trailing = this.c.trailing(key);
    for (const c of [...this.c.leading(key), ...trailing.slice(0, -1)]) this.comment(indent, c);
    if (start !== undefined && this.c.blankBefore(start)) this.blank();
    body();
    this.trail(trailing[trailing.length - 1]);
  }

  private opening(key: object): void {
    const first = this.c.opening(key);
    for (const c of first) this.trail(c);
  }

  private closing(key: object, indent: number): void {
    for (const c of this.c.closing(key)) this.comment(indent, c);
  }

  /** `open` on a line, the items one per line at indent + 2, their closing comments, then `close`. */
  private container<T>(
    open: string,
    key: object,
    items: readonly T[],
    itemKey: (t: T) => [object, number],
    emit: (t: T, indent: number) => void,
    close: string,
    indent: number,
  ): void {
    this.code(indent, open, true);
    this.opening(key);
    for (const t of items) {
      const [k, s] = itemKey(t);
      this.item(k, s, indent + 2, () => emit(t, indent + 2));
    }
    this.closing(key, indent + 2);
    this.code(indent, close);
  }

  private fits(indent: number, text: string): boolean {
    return indent + text.length <= WIDTH;
  }

  // ------------------------------------------------------------ flat forms (undefined: must break)

  flatValue(v: Value): string | undefined {
    switch (v.kind) {
      case 'int':
      case 'float':
        return numberText(v);
      case 'string':
        return lstmString(v.value);
      case 'bool':
        return String(v.value);
      case 'ident':
        return (v.dollar ? '$' : '') + v.name;
      case 'unknown':
        return '?';
      case 'list': {
        if (this.c.dirty(v)) return undefined;
        const items = v.items.map((x) => this.flatValue(x));
        return items.every((x) => x !== undefined) ? `[${items.join(', ')}]` : undefined;
      }
      case 'call':
        return this.flatCall(v.call);
      case 'block':
        return this.flatBlock(v.block);
    }
  }

  flatCall(c: Call): string | undefined {
    if (this.c.dirty(c)) return undefined;
    const args = c.args.map((a) => {
      const v = this.flatValue(a.value);
      return v === undefined ? undefined : a.name !== undefined ? `${a.name}: ${v}` : v;
    });
    return args.every((x) => x !== undefined) ? `${c.name}(${args.join(', ')})` : undefined;
  }

  flatBlock(b: Block): string | undefined {
    if (this.c.dirty(b)) return undefined;
    if (b.entries.length === 0) return '{}';
    const entries = b.entries.map((e) => this.flatEntry(e));
    return entries.every((x) => x !== undefined) ? `{ ${entries.join('  ')} }` : undefined;
  }

  flatEntry(e: BlockEntry): string | undefined {
    if (e.value.kind === 'block') {
      const b = this.flatBlock(e.value.block);
      return b === undefined ? undefined : `${e.key} ${b}`;
    }
    const v = this.flatValue(e.value);
    return v === undefined ? undefined : `${e.key}: ${v}`;
  }

  // ------------------------------------------------------------ broken forms

  /** `prefix + v + suffix` from a new line at `indent`, broken over lines when needed. */
  value(prefix: string, v: Value, indent: number, suffix: string): void {
    const flat = this.flatValue(v);
    if (flat !== undefined && (this.fits(indent, prefix + flat + suffix) || !this.breakable(v))) {
      this.code(indent, prefix + flat + suffix);
      return;
    }
    switch (v.kind) {
      case 'list':
        this.container(
          `${prefix}[`,
          v,
          v.items,
          (x) => [x, x.span.offset ?? 0],
          (x, ind) => this.value('', x, ind, ','),
          `]${suffix}`,
          indent,
        );
        return;
      case 'call':
        this.call(prefix, v.call, indent, suffix);
        return;
      case 'block':
        this.block(prefix, v.block, indent, suffix, false);
        return;
      default:
        this.code(indent, prefix + (flat ?? '') + suffix);
    }
  }

  private breakable(v: Value): boolean {
    return (
      (v.kind === 'list' && v.items.length > 0) ||
      (v.kind === 'call' && v.call.args.length > 0) ||
      (v.kind === 'block' && v.block.entries.length > 0)
    );
  }

  call(prefix: string, c: Call, indent: number, suffix: string): void {
    const flat = this.flatCall(c);
    if (flat !== undefined && (c.args.length === 0 || this.fits(indent, prefix + flat + suffix))) {
      this.code(indent, prefix + flat + suffix);
      return;
    }
    this.container(
      `${prefix}${c.name}(`,
      c,
      c.args,
      (a: Arg) => [a, a.span.offset ?? 0],
      (a, ind) => this.value(a.name !== undefined ? `${a.name}: ` : '', a.value, ind, ','),
      `)${suffix}`,
      indent,
    );
  }

  block(prefix: string, b: Block, indent: number, suffix: string, broken: boolean): void {
    const flat = this.flatBlock(b);
    if (flat !== undefined && (b.entries.length === 0 || (!broken && this.fits(indent, prefix + flat + suffix)))) {
      this.code(indent, prefix + flat + suffix);
      return;
    }
    this.container(
      `${prefix}{`,
      b,
      b.entries,
      (e: BlockEntry) => [e, e.span.offset ?? 0],
      (e, ind) => this.entry(e, ind),
      `}${suffix}`,
      indent,
    );
  }

  entry(e: BlockEntry, indent: number): void {
    if (e.value.kind === 'block') this.block(`${e.key} `, e.value.block, indent, '', false);
    else this.value(`${e.key}: `, e.value, indent, '');
  }

  // ------------------------------------------------------------ statements and models

  statement(s: Statement, indent: number): void {
    switch (s.kind) {
      case 'param':
        this.value(`param ${s.name.name} = `, s.value, indent, '');
        return;
      case 'input': {
        const batch = s.batch === undefined ? undefined : this.flatValue(s.batch);
        this.value(`input ${s.name.name}: `, s.shape, indent, batch === undefined ? '' : ` batch ${batch}`);
        return;
      }
      case 'layer':
        this.call('', s.call, indent, '');
        return;
      case 'output':
        this.code(indent, `output ${s.names.map((n) => n.name).join(', ')}`);
        return;
      case 'let':
        this.let(s, indent);
        return;
    }
  }

  private names(names: readonly { name: string }[], list: boolean): string {
    return list ? `[${names.map((n) => n.name).join(', ')}]` : (names[0]?.name ?? '_');
  }

  let(s: LetStmt, indent: number): void {
    // The annotation holds no comments of its own (they belong to the statement): print it flat.
    const annotation = s.annotation ? `: ${this.flatValue(s.annotation) ?? ''}` : '';
    const head = `let ${this.names(s.targets, s.destructure)}${annotation} = ${this.names(s.from, s.fromIsList)}`;
    if (!this.c.dirty(s.chain)) {
      const calls = s.chain.map((c) => this.flatCall(c));
      const flat = calls.every((x) => x !== undefined) ? [head, ...calls].join(' -> ') : undefined;
      if (flat !== undefined && this.fits(indent, flat)) {
        this.code(indent, flat);
        return;
      }
    }
    this.item(s.fromSpan, s.fromSpan.offset ?? 0, indent, () => this.code(indent, head));
    // No blank lines between the steps of a chain (comments among them keep theirs).
    for (const c of s.chain) this.item(c, undefined, indent + 4, () => this.call('-> ', c, indent + 4, ''));
    this.closing(s.chain, indent + 4);
  }

  model(m: ModelDecl): void {
    type Entry = { key: object; start: number; emit: (indent: number) => void };
    const entries: Entry[] = m.statements.map((s) => ({
      key: s,
      start: s.span.offset ?? 0,
      emit: (ind) => this.statement(s, ind),
    }));
    const train = m.train;
    if (train && m.trainSpan) {
      entries.push({
        key: m.trainSpan,
        start: m.trainSpan.offset ?? 0,
        emit: (ind) => this.block('train ', train, ind, '', true),
      });
    }
    const data = m.data;
    if (data && m.dataSpan) {
      entries.push({
        key: m.dataSpan,
        start: m.dataSpan.offset ?? 0,
        emit: (ind) => this.block('data ', data, ind, '', true),
      });
    }
    // Statements in their order (the YAML front end orders them by meaning, not by offset), then
    // `train { }` and `data { }` in theirs.
    const blocks = entries.splice(m.statements.length).sort((a, b) => a.start - b.start);
    entries.push(...blocks);
    if (this.opts.blankBeforeBlocks) {
      // A blank line between the layers and the first of `train { }` / `data { }`.
      const i = entries.findIndex((e) => e.key === m.trainSpan || e.key === m.dataSpan);
      if (i > 0) {
        const first = entries[i]!;
        const emit = first.emit;
        first.emit = (ind) => {
          this.blank();
          emit(ind);
        };
      }
    }
    this.container(
      `model ${m.name.name} {`,
      m.statements,
      entries,
      (e) => [e.key, e.start],
      (e, ind) => e.emit(ind),
      '}',
      0,
    );
  }

  file(spec: SpecFile): void {
    spec.models.forEach((m, i) => {
      // Exactly one blank line between models (before the comments that lead the next one).
      if (i > 0) this.blank();
      this.item(m, m.span.offset ?? 0, 0, () => this.model(m));
    });
    this.closing(spec, 0);
  }
}

/**
 * The `.lstm` text of an AST with its comments (from `attachComments`), and the comments it could
 * not place (none unless there is a bug; callers refuse to write rather than lose them).
 */
export function printLstmSpec(
  spec: SpecFile,
  comments: AttachedComments,
  eol = '\n',
  opts: LstmPrintOptions = {},
): { text: string; lost: SourceComment[] } {
  const p = new LstmPrinter(comments, opts);
  p.file(spec);
  return { text: renderLines(p.lines, eol, COMMENT_COLUMN), lost: comments.all.filter((c) => !p.printed.has(c)) };
}

/** The AST without positions, for "same AST" comparisons. */
export function withoutSpans(spec: SpecFile): unknown {
  const drop = new Set(['span', 'nameSpan', 'keySpan', 'fromSpan', 'trainSpan', 'dataSpan', 'file', 'format']);
  return JSON.parse(JSON.stringify(spec.models, (k, v: unknown) => (drop.has(k) ? undefined : v)));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Format a `.lstm` source. `text` is undefined when the source has syntax errors (returned as
 * diagnostics; a file that does not parse is never rewritten). Used by `lstmc fmt` and by the
 * language server's document formatting.
 */
export function formatSource(text: string, file: string): { text: string | undefined; diagnostics: Diagnostic[] } {
  const source = typeof text === 'string' ? text : String(text ?? '');
  const parsed = parseLstm(source, file);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) return { text: undefined, diagnostics: parsed.diagnostics };
  const internal = (message: string): { text: undefined; diagnostics: Diagnostic[] } => ({
    text: undefined,
    diagnostics: [
      makeDiagnostic(
        Diagnostics.Internal,
        { file, line: 1, column: 1, endLine: 1, endColumn: 1, offset: 0, endOffset: 0 },
        { message: `formatter: ${message}` },
      ),
    ],
  });
  try {
    const comments = attachComments(parsed.spec, lstmComments(source), source);
    const eol = /\r\n/.test(source) ? '\r\n' : '\n';
    const bom = source.startsWith('\ufeff') ? '\ufeff' : '';
    const printed = printLstmSpec(parsed.spec, comments, eol);
    const out = bom + printed.text;
    // Never hand back something that means something else or lost a comment.
    const again = parseLstm(out, file);
    if (
      again.diagnostics.some((d) => d.severity === 'error') ||
      !sameJson(withoutSpans(again.spec), withoutSpans(parsed.spec))
    )
      return internal('the formatted text does not parse to the same spec; the file was left as it is');
    const lost = printed.lost;
    if (lost.length > 0) return internal(`a comment would be lost (${lost[0]!.text}); the file was left as it is`);
    return { text: out, diagnostics: parsed.diagnostics };
  } catch (e) {
    return internal(e instanceof Error ? e.message : String(e));
  }
}
