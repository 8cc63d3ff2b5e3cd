/**
 * Comments re-attached to the AST, for the printers that must keep them (`lstmc fmt`, lossless
 * `lstmc convert`). Format-agnostic: the `.lstm` lexer and the YAML CST both yield `#` comments with
 * offsets, and both front ends put offsets on every span, so one placement rule serves both.
 *
 * The AST is seen as nested *containers* (the file, a model body, a block, a call's arguments, a
 * list, a `let` chain) holding *items* (models, statements, entries, arguments, list items, chain
 * steps) that a printer puts on lines of their own when the container is broken over several lines.
 * A comment goes to the innermost container around it:
 * - on the line where an item ends: *trailing* that item;
 * - on the opening line of a container, before any item: *opening* (printed after `{`, `(` or `[`);
 * - otherwise before an item: *leading* that item (own lines above it);
 * - after the last item: *closing* (own lines before the closing bracket).
 * A comment inside an item but in none of its containers (inside `let [a, b]`, say) is leading
 * that item (printed above it, so comments keep their order). A container with a comment anywhere inside is
 * *dirty*: printers must break it over lines so that each comment keeps a line to live on.
 *
 * Keys are AST objects: items by their node (the `fromSpan` of a `let` for its source, the
 * `trainSpan` / `dataSpan` of a model for its blocks), containers by the node that owns the brackets
 * (the `Call`, the list `Value`, the `Block`, a model's `statements`, a `let`'s `chain`, the file's
 * `SpecFile`).
 */
import type { Block, Call, LetStmt, ModelDecl, SpecFile, Span, Statement, Value } from './ast.js';

export interface SourceComment {
  /** Offset of the `#`. */
  start: number;
  /** End offset (exclusive), trailing blanks excluded. */
  end: number;
  /** The comment as written, from `#`, trailing blanks removed. */
  text: string;
}

interface Item {
  key: object;
  start: number;
  end: number;
  subs: Container[];
}

interface Container {
  key: object;
  start: number;
  end: number;
  items: Item[];
  /** Whether comments on its first line count as opening comments (not for the file). */
  opens: boolean;
  /** Its items are always on lines of their own (the file, a model body, `train { }`, `data { }`). */
  lines?: boolean;
}

export interface AttachedComments {
  leading(key: object): readonly SourceComment[];
  trailing(key: object): readonly SourceComment[];
  opening(key: object): readonly SourceComment[];
  closing(key: object): readonly SourceComment[];
  /** A comment lies somewhere inside this container: it cannot be printed on one line. */
  dirty(key: object): boolean;
  /** The source has a blank line right before `offset` (only whitespace back to the previous token or comment). */
  blankBefore(offset: number): boolean;
  readonly all: readonly SourceComment[];
}

const start = (s: Span): number => s.offset ?? 0;
const end = (s: Span): number => s.endOffset ?? s.offset ?? 0;

function valueContainers(v: Value): Container[] {
  switch (v.kind) {
    case 'list':
      return [{ key: v, start: start(v.span), end: end(v.span), opens: true, items: v.items.map(valueItem) }];
    case 'call':
      return [callContainer(v.call)];
    case 'block':
      return [blockContainer(v.block)];
    default:
      return [];
  }
}

function valueItem(v: Value): Item {
  return { key: v, start: start(v.span), end: end(v.span), subs: valueContainers(v) };
}

const byStart = (a: Item, b: Item): number => a.start - b.start;

function callContainer(c: Call): Container {
  return {
    key: c,
    start: start(c.span),
    end: end(c.span),
    opens: true,
    items: c.args
      .map((a) => ({ key: a, start: start(a.span), end: end(a.span), subs: valueContainers(a.value) }))
      .sort(byStart),
  };
}

function blockContainer(b: Block, lines = false): Container {
  const items: Item[] = b.entries.map((e) => ({
    key: e,
    start: start(e.span),
    end: end(e.span),
    subs: valueContainers(e.value),
  }));
  items.sort(byStart);
  // Entries of a repeated `train { }` are merged into the first block: cover them all.
  let s = start(b.span);
  let z = end(b.span);
  for (const it of items) {
    s = Math.min(s, it.start);
    z = Math.max(z, it.end);
  }
  return { key: b, start: s, end: z, opens: true, items, lines };
}

function letItem(s: LetStmt): Item {
  // The chain starts where the source names end: comments inside the targets, the annotation or a
  // `[a, b]` source are the statement's own (printed above or after it), those after the source on
  // its line trail the source (the `let ... = x` line of a broken chain).
  const at = end(s.fromSpan);
  const from: Item = { key: s.fromSpan, start: at, end: at, subs: [] };
  const steps: Item[] = s.chain.map((c) => ({
    key: c,
    start: start(c.span),
    end: end(c.span),
    subs: [callContainer(c)],
  }));
  const chain: Container = {
    key: s.chain,
    start: at,
    end: Math.max(at, end(s.span)),
    opens: false,
    items: [from, ...steps],
  };
  return { key: s, start: start(s.span), end: end(s.span), subs: [chain] };
}

function statementItem(s: Statement): Item {
  const range = { key: s, start: start(s.span), end: end(s.span) };
  switch (s.kind) {
    case 'param':
      return { ...range, subs: valueContainers(s.value) };
    case 'input':
      return { ...range, subs: valueContainers(s.shape) };
    case 'layer':
      return { ...range, subs: [callContainer(s.call)] };
    case 'let':
      return letItem(s);
    case 'output':
      return { ...range, subs: [] };
  }
}

function modelItem(m: ModelDecl): Item {
  const items = m.statements.map(statementItem);
  // A top-level block starts at its keyword (`train:` in YAML, where the mapping starts at its first entry).
  if (m.train && m.trainSpan) {
    const c = blockContainer(m.train, true);
    c.start = Math.min(c.start, start(m.trainSpan));
    items.push({ key: m.trainSpan, start: start(m.trainSpan), end: Math.max(end(m.trainSpan), c.end), subs: [c] });
  }
  if (m.data && m.dataSpan) {
    const c = blockContainer(m.data, true);
    c.start = Math.min(c.start, start(m.dataSpan));
    items.push({ key: m.dataSpan, start: start(m.dataSpan), end: Math.max(end(m.dataSpan), c.end), subs: [c] });
  }
  items.sort((a, b) => a.start - b.start);
  const body: Container = {
    key: m.statements,
    start: start(m.span),
    end: end(m.span),
    opens: true,
    items,
    lines: true,
  };
  return { key: m, start: start(m.span), end: end(m.span), subs: [body] };
}

/** Line breaks in text[from, to). */
function breaks(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = Math.max(0, from); i < to && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) n++;
  }
  return n;
}

/** Attach `comments` (in source order) to the AST of `spec`, parsed from `text`. */
export function attachComments(spec: SpecFile, comments: readonly SourceComment[], text: string): AttachedComments {
  const root: Container = {
    key: spec,
    start: 0,
    end: Number.POSITIVE_INFINITY,
    opens: false,
    items: spec.models.map(modelItem),
  };
  const maps = {
    leading: new Map<object, SourceComment[]>(),
    trailing: new Map<object, SourceComment[]>(),
    opening: new Map<object, SourceComment[]>(),
    closing: new Map<object, SourceComment[]>(),
  };
  const dirty = new Set<object>();
  const add = (m: Map<object, SourceComment[]>, key: object, c: SourceComment): void => {
    const list = m.get(key);
    if (list) list.push(c);
    else m.set(key, [c]);
  };

  /**
   * The item a comment after `it` trails: `it`, or, where `it` ends with a container whose items
   * are always on their own lines (a YAML model ends where its last `data` entry ends), that last
   * item, since the printer puts it on its own line.
   */
  const lastOnLine = (it: Item): object => {
    let cur = it;
    for (let guard = 0; guard < 100; guard++) {
      const sub = cur.subs.find((s) => s.lines && s.items.length > 0);
      const last = sub?.items.reduce((a, b) => (b.end > a.end ? b : a));
      if (!sub || !last || last.end !== cur.end) break;
      dirty.add(sub.key);
      cur = last;
    }
    return cur.key;
  };

  const column = (offset: number): number => {
    let i = offset;
    while (i > 0 && text[i - 1] !== '\n' && text[i - 1] !== '\r') i--;
    return offset - i;
  };

  /**
   * The container a comment after the last item `it` closes: by indentation where brackets do not
   * say (YAML: a comment indented like the entries of the `train:` that ends the document closes
   * that block), else `outer`.
   */
  const closingOf = (it: Item, c: SourceComment, outer: Container): object => {
    let cur = it;
    let target = outer;
    for (let guard = 0; guard < 100; guard++) {
      const sub = cur.subs.find((s) => s.lines && s.items.length > 0);
      const first = sub?.items.reduce((a, b) => (b.start < a.start ? b : a));
      const last = sub?.items.reduce((a, b) => (b.end > a.end ? b : a));
      if (!sub || !first || !last || sub.end !== cur.end || last.end !== sub.end) break;
      if (column(c.start) < column(first.start)) break;
      dirty.add(sub.key);
      target = sub;
      cur = last;
    }
    return target.key;
  };

  const place = (cont: Container, c: SourceComment, depth: number): void => {
    const o = c.start;
    dirty.add(cont.key);
    // Items are sorted by start and do not overlap: the last one starting at or before `o` holds
    // it or precedes it (binary search: a model with thousands of commented layers stays linear).
    const items = cont.items;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid]!.start <= o) lo = mid + 1;
      else hi = mid;
    }
    const at = items[lo - 1];
    const next = items[lo];
    if (at && o < at.end) {
      const sub = depth < 500 ? at.subs.find((s) => s.start <= o && o < s.end) : undefined;
      if (sub) return place(sub, c, depth + 1);
      // Inside the item but in none of its containers (`input x: # c` before the shape, inside
      // `let [a, b]`): above the item, which keeps the comments in source order.
      add(maps.leading, at.key, c);
      return;
    }
    const prev = at;
    if (prev && breaks(text, prev.end, o) === 0) add(maps.trailing, lastOnLine(prev), c);
    else if (!prev && cont.opens && breaks(text, cont.start, o) === 0) add(maps.opening, cont.key, c);
    else if (next) add(maps.leading, next.key, c);
    else add(maps.closing, prev ? closingOf(prev, c, cont) : cont.key, c);
  };
  for (const c of comments) place(root, c, 0);

  const get = (m: Map<object, SourceComment[]>) => (key: object) => m.get(key) ?? [];
  return {
    leading: get(maps.leading),
    trailing: get(maps.trailing),
    opening: get(maps.opening),
    closing: get(maps.closing),
    dirty: (key) => dirty.has(key),
    blankBefore(offset) {
      let i = Math.min(offset, text.length) - 1;
      while (i >= 0 && /[ \t\r\n\f\v\u00a0\ufeff]/.test(text[i]!)) i--;
      return breaks(text, i + 1, offset) >= 2;
    },
    all: comments,
  };
}
