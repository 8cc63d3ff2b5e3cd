/**
 * CST -> AST (part 3 of the tokens / parser / visitor split).
 *
 * Error recovery can leave CST nodes with missing children, so every child access is defensive:
 * a construct that lacks an essential part (a name, a value) is dropped; everything else is kept.
 * Literal problems (numbers that are not finite, see ./number.ts; bad string escapes, unterminated
 * strings) are reported here, while the node is still produced.
 */
import type { CstElement, CstNode, IToken } from './chevrotain.js';
import type { Arg, Block, BlockEntry, Call, LetStmt, ModelDecl, Name, Span, Statement, Value } from './ast.js';
import { Diagnostics, type DiagnosticBag } from '../base/diagnostics.js';
import { lstmParser } from './parser.js';
import { UnterminatedString } from './lexer.js';
import { numberLiteral } from './number.js';
import { lineOfOffset } from '../base/span.js';

/** Offsets -> 1-based line/column spans (CR, LF and CRLF line ends, like the lexer). */
export class SourceText {
  private readonly lineStarts: number[] = [0];
  constructor(
    readonly text: string,
    readonly file: string,
  ) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.lineStarts.push(i + 1);
      else if (c === 13 && text.charCodeAt(i + 1) !== 10) this.lineStarts.push(i + 1);
    }
  }

  private lineIndex(offset: number): number {
    return lineOfOffset(this.lineStarts, offset);
  }

  /** Line and column (1-based) of an offset. */
  position(offset: number): { line: number; column: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    const li = this.lineIndex(o);
    return { line: li + 1, column: o - this.lineStarts[li]! + 1 };
  }

  /** A span from `start` (inclusive) to `end` (exclusive), both 0-based offsets. */
  span(start: number, end: number): Span {
    const s = Math.max(0, Math.min(start, this.text.length));
    const e = Math.max(s, Math.min(end, this.text.length));
    const a = this.position(s);
    if (e === s)
      return {
        file: this.file,
        line: a.line,
        column: a.column,
        endLine: a.line,
        endColumn: a.column,
        offset: s,
        endOffset: e,
      };
    const last = this.position(e - 1);
    return {
      file: this.file,
      line: a.line,
      column: a.column,
      endLine: last.line,
      endColumn: last.column + 1,
      offset: s,
      endOffset: e,
    };
  }

  tokenSpan(t: IToken): Span {
    return this.span(t.startOffset, t.startOffset + t.image.length);
  }
}

/** The first token of a run of stray tokens the grammar swallowed; the front end reports it. */
export interface JunkRun {
  token: IToken;
  expected: string;
}

export interface BuildContext {
  src: SourceText;
  diags: DiagnosticBag;
  junk: JunkRun[];
}

type Children = Record<string, CstElement[] | undefined>;

function isToken(e: CstElement | undefined): e is IToken {
  return e !== undefined && (e as IToken).tokenType !== undefined;
}

function startOf(e: CstElement): number {
  return isToken(e) ? e.startOffset : (e.location?.startOffset ?? NaN);
}

/** Records the first token of every run of consecutive `junkKey` tokens among a node's children. */
function collectJunk(ch: Children, junkKey: string, expected: string, b: BuildContext): void {
  const junk = ch[junkKey];
  if (!junk || junk.length === 0) return;
  const all = Object.values(ch)
    .flatMap((arr) => arr ?? [])
    .filter((e) => Number.isFinite(startOf(e)))
    .sort((x, y) => startOf(x) - startOf(y));
  const isJunk = new Set<CstElement>(junk);
  let prevJunk = false;
  for (const e of all) {
    const j = isJunk.has(e);
    if (j && !prevJunk && isRealToken(e)) b.junk.push({ token: e, expected });
    prevJunk = j;
  }
}

function isRealToken(e: CstElement | undefined): e is IToken {
  return isToken(e) && e.isInsertedInRecovery !== true && Number.isFinite(e.startOffset);
}

function tokens(ch: Children, key: string): IToken[] {
  const arr = ch[key];
  if (arr === undefined) return [];
  for (const e of arr) if (!isRealToken(e)) return arr.filter(isRealToken);
  return arr as IToken[];
}

function tok(ch: Children, key: string, i = 0): IToken | undefined {
  const arr = ch[key];
  if (arr === undefined) return undefined;
  let k = 0;
  for (const e of arr) if (isRealToken(e) && k++ === i) return e;
  return undefined;
}

function isNode(e: CstElement | undefined): e is CstNode {
  return e !== undefined && (e as IToken).tokenType === undefined;
}

function nodes(ch: Children, key: string): CstNode[] {
  const arr = ch[key];
  if (arr === undefined) return [];
  for (const e of arr) if (!isNode(e)) return arr.filter(isNode);
  return arr as CstNode[];
}

function node(ch: Children, key: string, i = 0): CstNode | undefined {
  const arr = ch[key];
  if (arr === undefined) return undefined;
  let k = 0;
  for (const e of arr) if (isNode(e) && k++ === i) return e;
  return undefined;
}

/** [start, endExclusive) of a CST node, from its location or, failing that, its real tokens. */
function nodeRange(n: CstNode): [number, number] | undefined {
  const loc = n.location;
  if (loc && Number.isFinite(loc.startOffset) && Number.isFinite(loc.endOffset))
    return [loc.startOffset, loc.endOffset! + 1];
  let lo = Infinity;
  let hi = -Infinity;
  const walk = (x: CstNode, depth: number): void => {
    if (depth > 200) return;
    for (const arr of Object.values(x.children)) {
      for (const e of arr ?? []) {
        if (isRealToken(e)) {
          lo = Math.min(lo, e.startOffset);
          hi = Math.max(hi, e.startOffset + e.image.length);
        } else if (e && !isToken(e)) walk(e, depth + 1);
      }
    }
  };
  walk(n, 0);
  return Number.isFinite(lo) ? [lo, hi] : undefined;
}

interface BlockStmt {
  kind: 'train' | 'data';
  block: Block;
  span: Span;
}

function isBlockStmt(x: Statement | BlockStmt): x is BlockStmt {
  return x.kind === 'train' || x.kind === 'data';
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  n: '\n',
  t: '\t',
  r: '\r',
  '/': '/',
  "'": "'",
  '0': '\0',
};

const BaseVisitor = lstmParser.getBaseCstVisitorConstructor<BuildContext, unknown>();

/**
 * One visitor instance, reused. Each `visitX(ctx, b)` receives the node's children and the build
 * context; a method returns undefined when recovery left too little to build the node.
 */
class AstBuilder extends BaseVisitor {
  constructor() {
    super();
    this.validateVisitor();
  }

  // ---------- helpers ----------
  private spanFrom(
    first: IToken | CstNode | undefined,
    last: IToken | CstNode | undefined,
    b: BuildContext,
  ): Span | undefined {
    const range = (x: IToken | CstNode | undefined): [number, number] | undefined =>
      x === undefined
        ? undefined
        : isToken(x)
          ? isRealToken(x)
            ? [x.startOffset, x.startOffset + x.image.length]
            : undefined
          : nodeRange(x);
    const a = range(first) ?? range(last);
    const z = range(last) ?? range(first);
    if (!a || !z) return undefined;
    return b.src.span(Math.min(a[0], z[0]), Math.max(a[1], z[1]));
  }

  private name(t: IToken | undefined, b: BuildContext): Name | undefined {
    return t ? { name: t.image, span: b.src.tokenSpan(t) } : undefined;
  }

  private v<R>(n: CstNode | undefined, b: BuildContext): R | undefined {
    return n === undefined ? undefined : (this.visit(n, b) as R | undefined);
  }

  // ---------- rules ----------
  file(ch: Children, b: BuildContext): ModelDecl[] {
    const out: ModelDecl[] = [];
    for (const n of nodes(ch, 'modelDecl')) {
      const m = this.v<ModelDecl>(n, b);
      if (m) out.push(m);
    }
    return out;
  }

  modelDecl(ch: Children, b: BuildContext): ModelDecl | undefined {
    const kw = tok(ch, 'Model');
    const nameTok = tok(ch, 'Identifier');
    const first = kw ?? nameTok;
    collectJunk(ch, 'StmtJunk', 'a statement or "}"', b);
    if (!first) return undefined;
    const statements: Statement[] = [];
    const m: ModelDecl = {
      name: nameTok
        ? { name: nameTok.image, span: b.src.tokenSpan(nameTok) }
        : { name: '', span: b.src.tokenSpan(first) },
      statements,
      span: b.src.span(first.startOffset, first.startOffset + first.image.length),
    };
    for (const e of nodes(ch, 'modelEntry')) {
      const r = this.v<Statement | BlockStmt>(e, b);
      if (!r) continue;
      if (isBlockStmt(r)) {
        const prev = m[r.kind];
        if (prev) prev.entries.push(...r.block.entries);
        else {
          m[r.kind] = r.block;
          if (r.kind === 'train') m.trainSpan = r.span;
          else m.dataSpan = r.span;
        }
      } else statements.push(r);
    }
    // The model's span covers everything that was parsed for it (recovery may drop the "}").
    const rb = tok(ch, 'RBrace');
    const lastEntry = nodes(ch, 'modelEntry').at(-1);
    const lastRange = lastEntry ? nodeRange(lastEntry) : undefined;
    const end = rb
      ? rb.startOffset + 1
      : lastRange
        ? lastRange[1]
        : Math.max(...[first, nameTok, tok(ch, 'LBrace')].map((t) => (t ? t.startOffset + t.image.length : 0)));
    m.span = b.src.span(first.startOffset, end);
    return m;
  }

  modelEntry(ch: Children, b: BuildContext): unknown {
    for (const key of ['paramDecl', 'inputDecl', 'letStmt', 'outputStmt', 'trainBlock', 'dataBlock', 'layerStmt']) {
      const n = node(ch, key);
      if (n) return this.v(n, b);
    }
    return undefined;
  }

  paramDecl(ch: Children, b: BuildContext): Statement | undefined {
    const name = this.name(tok(ch, 'Identifier'), b);
    const value = this.v<Value>(node(ch, 'value'), b);
    const span = this.spanFrom(tok(ch, 'Param'), node(ch, 'value') ?? tok(ch, 'Identifier'), b);
    if (!name || !value || !span) return undefined;
    return { kind: 'param', name, value, span };
  }

  inputDecl(ch: Children, b: BuildContext): Statement | undefined {
    const name = this.name(tok(ch, 'Identifier'), b);
    const shape = this.v<Value>(node(ch, 'value'), b);
    const batchNode = node(ch, 'batchValue');
    const batch = batchNode ? this.v<Value>(batchNode, b) : undefined;
    const span = this.spanFrom(tok(ch, 'Input'), batchNode ?? node(ch, 'value') ?? tok(ch, 'Identifier'), b);
    if (!name || !shape || !span) return undefined;
    return batch ? { kind: 'input', name, shape, batch, span } : { kind: 'input', name, shape, span };
  }

  letStmt(ch: Children, b: BuildContext): LetStmt | undefined {
    const targets = this.v<{ names: Name[]; isList: boolean; span: Span }>(node(ch, 'letTargets'), b);
    const from = this.v<{ names: Name[]; isList: boolean; span: Span }>(node(ch, 'nameOrList'), b);
    if (!targets || !from || targets.names.length === 0) return undefined;
    const annotation = this.v<Value>(node(ch, 'value'), b);
    const chain: Call[] = [];
    for (const c of nodes(ch, 'call')) {
      const call = this.v<Call>(c, b);
      if (call) chain.push(call);
    }
    const lastCall = chain[chain.length - 1];
    const kw = tok(ch, 'Let');
    const start = kw ? kw.startOffset : (targets.span.offset ?? 0);
    const end = lastCall ? lastCall.span.endOffset! : from.span.endOffset!;
    const s: LetStmt = {
      kind: 'let',
      targets: targets.names,
      destructure: targets.isList,
      from: from.names,
      fromIsList: from.isList,
      fromSpan: from.span,
      chain,
      span: b.src.span(start, end),
    };
    if (annotation) s.annotation = annotation;
    return s;
  }

  letTargets(ch: Children, b: BuildContext): unknown {
    return this.v(node(ch, 'nameOrList'), b);
  }

  nameOrList(ch: Children, b: BuildContext): { names: Name[]; isList: boolean; span: Span } | undefined {
    const names = tokens(ch, 'Identifier').map((t) => ({ name: t.image, span: b.src.tokenSpan(t) }));
    const lb = tok(ch, 'LBracket');
    const isList = lb !== undefined;
    const span = this.spanFrom(
      lb ?? tokens(ch, 'Identifier')[0],
      tok(ch, 'RBracket') ?? tokens(ch, 'Identifier').at(-1),
      b,
    );
    if (!span) return undefined;
    return { names, isList, span };
  }

  outputStmt(ch: Children, b: BuildContext): Statement | undefined {
    const ids = tokens(ch, 'Identifier');
    const span = this.spanFrom(tok(ch, 'Output'), ids.at(-1), b);
    if (!span || ids.length === 0) return undefined;
    return { kind: 'output', names: ids.map((t) => ({ name: t.image, span: b.src.tokenSpan(t) })), span };
  }

  trainBlock(ch: Children, b: BuildContext): { kind: 'train'; block: Block; span: Span } | undefined {
    const bn = node(ch, 'block');
    const block = this.v<Block>(bn, b);
    const span = this.spanFrom(tok(ch, 'Train'), bn, b);
    return block && span ? { kind: 'train', block, span } : undefined;
  }

  dataBlock(ch: Children, b: BuildContext): { kind: 'data'; block: Block; span: Span } | undefined {
    const bn = node(ch, 'block');
    const block = this.v<Block>(bn, b);
    const span = this.spanFrom(tok(ch, 'Data'), bn, b);
    return block && span ? { kind: 'data', block, span } : undefined;
  }

  layerStmt(ch: Children, b: BuildContext): Statement | undefined {
    const call = this.v<Call>(node(ch, 'call'), b);
    return call ? { kind: 'layer', call, span: call.span } : undefined;
  }

  block(ch: Children, b: BuildContext): Block | undefined {
    collectJunk(ch, 'EntryJunk', 'an entry "key: value" or "}"', b);
    const entries: BlockEntry[] = [];
    for (const n of nodes(ch, 'blockEntry')) {
      const e = this.v<BlockEntry>(n, b);
      if (e) entries.push(e);
    }
    const span = this.spanFrom(tok(ch, 'LBrace'), tok(ch, 'RBrace') ?? nodes(ch, 'blockEntry').at(-1), b);
    if (!span) return undefined;
    return { entries, span };
  }

  blockEntry(ch: Children, b: BuildContext): BlockEntry | undefined {
    const keyTok = tok(ch, 'Identifier') ?? tok(ch, 'Keyword');
    if (!keyTok) return undefined;
    let value: Value | undefined;
    const bn = node(ch, 'block');
    if (bn) {
      const block = this.v<Block>(bn, b);
      if (block) value = { kind: 'block', block, span: block.span };
    } else value = this.v<Value>(node(ch, 'value'), b);
    if (!value) return undefined;
    return {
      key: keyTok.image,
      keySpan: b.src.tokenSpan(keyTok),
      value,
      span: b.src.span(keyTok.startOffset, value.span.endOffset!),
    };
  }

  call(ch: Children, b: BuildContext): Call | undefined {
    const nameTok = tok(ch, 'Identifier');
    if (!nameTok) return undefined;
    const args: Arg[] = this.v<Arg[]>(node(ch, 'args'), b) ?? [];
    const rp = tok(ch, 'RParen');
    const lp = tok(ch, 'LParen');
    const endOffset = rp
      ? rp.startOffset + 1
      : args.length > 0
        ? args[args.length - 1]!.span.endOffset!
        : lp
          ? lp.startOffset + 1
          : nameTok.startOffset + nameTok.image.length;
    return {
      name: nameTok.image,
      nameSpan: b.src.tokenSpan(nameTok),
      args,
      span: b.src.span(nameTok.startOffset, endOffset),
    };
  }

  args(ch: Children, b: BuildContext): Arg[] {
    const out: Arg[] = [];
    for (const n of nodes(ch, 'arg')) {
      const a = this.v<Arg>(n, b);
      if (a) out.push(a);
    }
    return out;
  }

  arg(ch: Children, b: BuildContext): Arg | undefined {
    const value = this.v<Value>(node(ch, 'value'), b);
    if (!value) return undefined;
    const nameTok = tok(ch, 'Identifier');
    if (!nameTok) return { value, span: value.span };
    return {
      name: nameTok.image,
      nameSpan: b.src.tokenSpan(nameTok),
      value,
      span: b.src.span(nameTok.startOffset, value.span.endOffset!),
    };
  }

  value(ch: Children, b: BuildContext): Value | undefined {
    let t: IToken | undefined;
    if ((t = tok(ch, 'NumberLit'))) return this.number(t, b);
    if ((t = tok(ch, 'StringLike'))) return this.string(t, b);
    if ((t = tok(ch, 'True'))) return { kind: 'bool', value: true, span: b.src.tokenSpan(t) };
    if ((t = tok(ch, 'False'))) return { kind: 'bool', value: false, span: b.src.tokenSpan(t) };
    if ((t = tok(ch, 'DollarIdent')))
      return { kind: 'ident', name: t.image.slice(1), dollar: true, span: b.src.tokenSpan(t) };
    if ((t = tok(ch, 'Question'))) return { kind: 'unknown', span: b.src.tokenSpan(t) };
    let n: CstNode | undefined;
    if ((n = node(ch, 'list'))) return this.v<Value>(n, b);
    if ((n = node(ch, 'call'))) {
      const call = this.v<Call>(n, b);
      if (!call) return undefined;
      // A bare identifier is an ident value; with parentheses it is a nested call.
      if (!tok(n.children, 'LParen')) return { kind: 'ident', name: call.name, dollar: false, span: call.span };
      return { kind: 'call', call, span: call.span };
    }
    if ((n = node(ch, 'block'))) {
      const block = this.v<Block>(n, b);
      return block ? { kind: 'block', block, span: block.span } : undefined;
    }
    return undefined;
  }

  list(ch: Children, b: BuildContext): Value | undefined {
    const items: Value[] = [];
    for (const n of nodes(ch, 'value')) {
      const v = this.v<Value>(n, b);
      if (v) items.push(v);
    }
    const span = this.spanFrom(tok(ch, 'LBracket'), tok(ch, 'RBracket') ?? nodes(ch, 'value').at(-1), b);
    return span ? { kind: 'list', items, span } : undefined;
  }

  // ---------- literals ----------
  private number(t: IToken, b: BuildContext): Value {
    const raw = t.image;
    const span = b.src.tokenSpan(t);
    const n = numberLiteral(raw);
    if (n.problem !== undefined) b.diags.add(Diagnostics.InvalidNumber, span, { raw, reason: n.problem });
    return { kind: n.kind, value: n.value, raw, span };
  }

  private string(t: IToken, b: BuildContext): Value {
    const span = b.src.tokenSpan(t);
    const closed = t.tokenType !== UnterminatedString;
    if (!closed) b.diags.add(Diagnostics.UnterminatedString, span);
    const body = t.image.slice(1, closed ? -1 : undefined);
    let out = '';
    for (let i = 0; i < body.length; i++) {
      const c = body[i]!;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const n = body[i + 1];
      if (n === undefined) break; // a trailing backslash of an unterminated string
      const simple = ESCAPES[n];
      if (simple !== undefined) {
        out += simple;
        i++;
        continue;
      }
      const escStart = t.startOffset + 1 + i;
      if (n === 'u') {
        const m =
          /^u\{([0-9a-fA-F]{1,6})\}/.exec(body.slice(i + 1, i + 11)) ??
          /^u([0-9a-fA-F]{4})/.exec(body.slice(i + 1, i + 6));
        const cp = m ? parseInt(m[1]!, 16) : NaN;
        if (m && cp <= 0x10ffff) {
          out += String.fromCodePoint(cp);
          i += m[0].length;
          continue;
        }
        const len = m ? m[0].length + 1 : 2;
        b.diags.add(Diagnostics.InvalidEscape, b.src.span(escStart, escStart + len), {
          seq: `"${body.slice(i, i + len)}"`,
        });
        i += len - 1;
        continue;
      }
      b.diags.add(Diagnostics.InvalidEscape, b.src.span(escStart, escStart + 2), { seq: `"\\${n}"` });
      out += n;
      i++;
    }
    return { kind: 'string', value: out, span };
  }
}

export const astBuilder = new AstBuilder();

/** Build the models of one `file` CST node. */
export function cstToModels(cst: CstNode, ctx: BuildContext): ModelDecl[] {
  return (astBuilder.visit(cst, ctx) as ModelDecl[] | undefined) ?? [];
}
