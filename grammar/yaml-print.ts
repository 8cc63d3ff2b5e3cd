/**
 * The YAML spelling of an AST, comments kept: what `lstmc convert` writes for `.lstm -> YAML` (and
 * `YAML -> YAML`). Pure; the layer knowledge it needs (wrappers, spread main arguments, the names of
 * main arguments) comes from the layer table as a `LayerSyntax`, as for the YAML front end.
 *
 * - One YAML document per model (`---` between them): `model`, `params`, `inputs`, then `layers:`
 *   for bare layer lines and `graph:` for `let` steps (in source order; a model that alternates
 *   between the two more than once has no YAML spelling), `outputs`, `train`, `data`.
 * - `let` names, destructuring, typed lets (`shape:`) and `$param` references are kept as written.
 * - Comments keep their line: above a statement, entry or layer item when they were above it, after
 *   it when they ended its line. Comments inside a statement (between the arguments of a broken call,
 *   say) go above the statement, in order: YAML flow collections have no place for them.
 *
 * `printYamlSpec` returns undefined when some part has no YAML spelling that reads back the same way;
 * `lstmc convert` then falls back to the IR printer and says that comments were not carried over.
 */
import { Parser, type CST } from 'yaml';
import type { Block, Call, LayerHintSyntax, LayerSyntax, ModelDecl, SpecFile, Statement, Value } from './ast.js';
import type { AttachedComments, SourceComment } from './comments.js';
import { renderLines, WIDTH, type Line } from './format.js';

/** Trailing comments start at this column at least (the house style of the reference YAML specs). */
export const YAML_COMMENT_COLUMN = 30;

type Syntax = LayerSyntax & LayerHintSyntax;

/** The `#` comments of a YAML source, in order (from the `yaml` package's CST). */
export function yamlComments(text: string): SourceComment[] {
  const out: SourceComment[] = [];
  const seen = new Set<unknown>();
  const visit = (x: unknown, depth: number): void => {
    if (x === null || typeof x !== 'object' || depth > 400 || seen.has(x)) return;
    seen.add(x);
    if (Array.isArray(x)) {
      for (const it of x) visit(it, depth + 1);
      return;
    }
    const t = x as { type?: unknown; offset?: unknown; source?: unknown };
    if (t.type === 'comment' && typeof t.offset === 'number' && typeof t.source === 'string') {
      const body = t.source.trimEnd();
      out.push({ start: t.offset, end: t.offset + body.length, text: body });
      return;
    }
    for (const v of Object.values(x)) visit(v, depth + 1);
  };
  for (const token of new Parser().parse(text) as Iterable<CST.Token>) visit(token, 0);
  return out.sort((a, b) => a.start - b.start);
}

type Ctx = 'arg' | 'block' | 'optimizer';

/** Plain scalars YAML would read as something else than a name. */
const NOT_A_NAME = /^(true|false|null|True|False|TRUE|FALSE|Null|NULL|~|y|n|yes|no|on|off)$/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Prints values and layer calls in YAML so that the YAML front end reads back the same model. */
export class YamlSpeller {
  /** The params of the model being printed: a bare name that refers to one is written `$name`. */
  params: ReadonlySet<string> = new Set();

  constructor(private readonly syntax: Syntax) {}

  value(v: Value, ctx: Ctx): string | undefined {
    switch (v.kind) {
      case 'int':
      case 'float':
        return /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(v.raw) ? v.raw : String(v.value);
      case 'string':
        return JSON.stringify(v.value);
      case 'bool':
        return String(v.value);
      case 'ident':
        if (!IDENT.test(v.name) || NOT_A_NAME.test(v.name)) return undefined;
        return (v.dollar || this.params.has(v.name) ? '$' : '') + v.name;
      case 'unknown':
        return 'null';
      case 'list': {
        const items = v.items.map((x) => this.value(x, ctx === 'optimizer' ? 'block' : ctx));
        return items.every((x) => x !== undefined) ? `[${items.join(', ')}]` : undefined;
      }
      case 'call':
        return this.callValue(v.call, ctx);
      case 'block':
        return this.block(v.block, ctx);
    }
  }

  /** A nested `{ k: v }` block as a flow mapping (one that YAML would read as a call is refused). */
  block(b: Block, ctx: Ctx): string | undefined {
    if (b.entries.length === 1) {
      const only = b.entries[0]!.value;
      if (ctx === 'arg' || ctx === 'optimizer' || only.kind === 'block') return undefined;
    }
    const parts = b.entries.map((e) => {
      const x = this.value(e.value, 'block');
      return x === undefined || !IDENT.test(e.key) ? undefined : `${e.key}: ${x}`;
    });
    return parts.every((x) => x !== undefined) ? `{${parts.join(', ')}}` : undefined;
  }

  /** A call used as a value: `{adam: {learningRate: 0.01}}`, `{glorotUniform: {seed: 1}}`. */
  callValue(c: Call, ctx: Ctx): string | undefined {
    if (c.args.length === 0) return ctx === 'block' ? `{${c.name}: }` : `{${c.name}: null}`;
    const body = this.callBody(c);
    if (body === undefined) return undefined;
    // In train/data a one-key mapping is a call only when its value is a mapping (or empty).
    if (ctx === 'block' && !body.startsWith('{')) return undefined;
    return `{${c.name}: ${body}}`;
  }

  /** What follows `name:` in a layer item or a call mapping; undefined when it has no spelling. */
  callBody(c: Call): string | undefined {
    const positional = c.args.filter((a) => a.name === undefined);
    const named = c.args.filter((a) => a.name !== undefined);
    if (positional.length > 0 && positional.some((a, i) => c.args[i] !== a)) return undefined;
    const wrapper = this.syntax.isWrapper(c.name);
    if (named.length === 0 && positional.length === 1) {
      const v = positional[0]!.value;
      if (wrapper) return this.inner(v);
      const listSpreads = v.kind === 'list' && this.syntax.spreadsMain(c.name);
      if (v.kind !== 'block' && !listSpreads) return this.value(v, 'arg');
    }
    if (named.length === 0 && positional.length > 1 && this.syntax.spreadsMain(c.name)) {
      const items = positional.map((a) => (a.value.kind === 'list' ? undefined : this.value(a.value, 'arg')));
      if (items.every((x) => x !== undefined)) return `[${items.join(', ')}]`;
    }
    // Every argument by name; main arguments take their names from the layer table.
    const main = positional.length > 0 ? this.syntax.mainArguments?.(c.name) : [];
    if (main === undefined || main.length < positional.length) return undefined;
    const parts: string[] = [];
    for (const [i, a] of c.args.entries()) {
      const key = a.name ?? (i === 0 && wrapper ? 'layer' : main[i]!);
      const text = key === 'layer' && wrapper ? this.inner(a.value) : this.value(a.value, 'arg');
      if (text === undefined || !IDENT.test(key)) return undefined;
      parts.push(`${key}: ${text}`);
    }
    return `{${parts.join(', ')}}`;
  }

  /** A wrapper's inner layer: a bare name or `{name: body}`. */
  private inner(v: Value): string | undefined {
    if (v.kind !== 'call') return undefined;
    if (v.call.args.length === 0) return IDENT.test(v.call.name) ? v.call.name : undefined;
    const body = this.callBody(v.call);
    return body === undefined ? undefined : `{${v.call.name}: ${body}}`;
  }

  /** A layer item without `- `: `lstm: 25`, `flatten`, `dense: {units: 5, activation: relu}`. */
  layerItem(c: Call): string | undefined {
    if (!IDENT.test(c.name)) return undefined;
    if (c.args.length === 0) return c.name;
    const body = this.callBody(c);
    return body === undefined ? undefined : `${c.name}: ${body}`;
  }
}

/** Lines of one YAML document, with comments placed (see the file comment). */
class YamlDocPrinter {
  readonly lines: Line[] = [];
  readonly printed = new Set<SourceComment>();

  constructor(
    private readonly c: AttachedComments,
    private readonly say: YamlSpeller,
  ) {}

  private code(indent: number, text: string): void {
    this.lines.push({ indent, kind: 'code', text });
  }

  private own(indent: number, cs: readonly SourceComment[]): void {
    for (const c of cs) {
      if (this.printed.has(c)) continue;
      this.lines.push({ indent, kind: 'comment', text: c.text });
      this.printed.add(c);
    }
  }

  private trail(cs: readonly SourceComment[]): void {
    for (const c of cs) {
      if (this.printed.has(c)) continue;
      const last = this.lines[this.lines.length - 1];
      if (last && last.kind === 'code' && last.comment === undefined) last.comment = c.text;
      else this.lines.push({ indent: last?.indent ?? 0, kind: 'comment', text: c.text });
      this.printed.add(c);
    }
  }

  /** Comments inside [start, end) not yet printed, in order. */
  private inside(start: number | undefined, end: number | undefined): SourceComment[] {
    if (start === undefined || end === undefined) return [];
    const all = this.c.all;
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (all[mid]!.start < start) lo = mid + 1;
      else hi = mid;
    }
    const out: SourceComment[] = [];
    for (let i = lo; i < all.length && all[i]!.start < end; i++) if (!this.printed.has(all[i]!)) out.push(all[i]!);
    return out;
  }

  /** One line item: its comments above (leading and inside), the line(s), its trailing comment. */
  private item(
    key: object,
    span: { offset?: number; endOffset?: number },
    indent: number,
    body: () => boolean,
    hoist = true,
  ): boolean {
    const before = [...this.c.leading(key), ...(hoist ? this.inside(span.offset, span.endOffset) : [])];
    this.own(
      indent,
      [...new Set(before)].sort((a, b) => a.start - b.start),
    );
    if (!body()) return false;
    this.trail(this.c.trailing(key));
    return true;
  }

  model(m: ModelDecl): boolean {
    this.own(0, this.c.leading(m));
    if (!IDENT.test(m.name.name)) return false;
    this.say.params = new Set(m.statements.filter((s) => s.kind === 'param').map((s) => s.name.name));
    this.code(0, `model: ${m.name.name}`);
    this.trail(this.c.opening(m.statements));

    const params = m.statements.filter((s) => s.kind === 'param');
    const inputs = m.statements.filter((s) => s.kind === 'input');
    if (params.length > 0) {
      this.code(0, 'params:');
      for (const p of params) {
        const ok = this.item(p, p.span, 2, () => {
          const v = this.say.value(p.value, 'arg');
          if (v === undefined || !IDENT.test(p.name.name)) return false;
          this.code(2, `${p.name.name}: ${v}`);
          return true;
        });
        if (!ok) return false;
      }
    }
    if (inputs.length > 0) {
      this.code(0, 'inputs:');
      for (const p of inputs) {
        const ok = this.item(p, p.span, 2, () => {
          const v = this.say.value(p.shape, 'arg');
          if (v === undefined || !IDENT.test(p.name.name)) return false;
          if (p.batch !== undefined) {
            // `input x: [1, 1] batch 25` -> `x: {shape: [1, 1], batch: 25}`
            const b = this.say.value(p.batch, 'arg');
            if (b === undefined) return false;
            this.code(2, `${p.name.name}: {shape: ${v}, batch: ${b}}`);
            return true;
          }
          this.code(2, `${p.name.name}: ${v}`);
          return true;
        });
        if (!ok) return false;
      }
    }
    // Runs of bare layer lines and of `let` steps, in order; each key may appear once.
    const runs: { kind: 'layer' | 'let'; items: Statement[] }[] = [];
    for (const s of m.statements) {
      if (s.kind !== 'layer' && s.kind !== 'let') continue;
      const last = runs[runs.length - 1];
      if (last && last.kind === s.kind) last.items.push(s);
      else runs.push({ kind: s.kind, items: [s] });
    }
    if (new Set(runs.map((r) => r.kind)).size !== runs.length) return false;
    for (const run of runs) {
      this.code(0, run.kind === 'layer' ? 'layers:' : 'graph:');
      for (const s of run.items) {
        // A `let` with comments inside is written as a block mapping that has a line for each.
        const own = new Set(this.c.leading(s));
        const placed = s.kind === 'let' && this.inside(s.span.offset, s.span.endOffset).some((c) => !own.has(c));
        if (!this.item(s, s.span, 2, () => this.statement(s, placed), !placed)) return false;
      }
    }
    const outputs = m.statements.filter((s) => s.kind === 'output');
    if (outputs.length > 1) return false;
    for (const o of outputs) {
      const ok = this.item(o, o.span, 0, () => {
        this.code(0, `outputs: [${o.names.map((n) => n.name).join(', ')}]`);
        return true;
      });
      if (!ok) return false;
    }
    const blocks: { key: 'train' | 'data'; span: object; start: number; block: Block }[] = [];
    if (m.train && m.trainSpan)
      blocks.push({ key: 'train', span: m.trainSpan, start: m.trainSpan.offset ?? 0, block: m.train });
    if (m.data && m.dataSpan)
      blocks.push({ key: 'data', span: m.dataSpan, start: m.dataSpan.offset ?? 0, block: m.data });
    for (const b of blocks) if (!this.topBlock(b.key, b.span, b.block)) return false;
    this.own(0, this.c.closing(m.statements));
    this.own(0, this.c.trailing(m));
    return true;
  }

  private statement(s: Statement, placed = false): boolean {
    if (s.kind === 'layer') {
      const item = this.say.layerItem(s.call);
      if (item === undefined) return false;
      this.code(2, `- ${item}`);
      return true;
    }
    if (s.kind !== 'let') return false;
    const names = (ns: readonly { name: string }[], list: boolean): string | undefined =>
      ns.every((n) => IDENT.test(n.name)) ? (list ? `[${ns.map((n) => n.name).join(', ')}]` : ns[0]?.name) : undefined;
    const target = names(s.targets, s.destructure);
    const from = names(s.from, s.fromIsList);
    const shape = s.annotation ? this.say.value(s.annotation, 'arg') : undefined;
    const items = s.chain.map((c) => this.say.layerItem(c));
    if (target === undefined || from === undefined || (s.annotation && shape === undefined)) return false;
    if (items.some((x) => x === undefined)) return false;
    const parts = [`let: ${target}`];
    if (shape !== undefined) parts.push(`shape: ${shape}`);
    parts.push(`from: ${from}`);
    if (items.length > 0) parts.push(`layers: [${items.join(', ')}]`);
    const flow = `- {${parts.join(', ')}}`;
    if (!placed && 2 + flow.length <= WIDTH) {
      this.code(2, flow);
      return true;
    }
    this.code(2, `- ${parts[0]}`);
    for (const p of parts.slice(1, items.length > 0 ? -1 : undefined)) {
      this.code(4, p);
      if (p.startsWith('from:')) this.trail(this.c.trailing(s.fromSpan));
    }
    if (items.length > 0) {
      this.code(4, 'layers:');
      s.chain.forEach((c, i) => {
        this.item(c, c.span, 6, () => {
          this.code(6, `- ${items[i]!}`);
          return true;
        });
      });
      this.own(6, this.c.closing(s.chain));
    }
    return true;
  }

  private topBlock(key: 'train' | 'data', spanKey: object, b: Block): boolean {
    this.own(0, this.c.leading(spanKey));
    this.code(0, `${key}:`);
    this.trail(this.c.opening(b));
    for (const e of b.entries) {
      const ctx: Ctx = key === 'train' && e.key === 'optimizer' ? 'optimizer' : 'block';
      const ok = this.item(e, e.span, 2, () => {
        const v = this.say.value(e.value, ctx);
        if (v === undefined || !IDENT.test(e.key)) return false;
        this.code(2, `${e.key}: ${v}`);
        return true;
      });
      if (!ok) return false;
    }
    this.own(2, this.c.closing(b));
    this.trail(this.c.trailing(spanKey));
    return true;
  }

  fileEnd(spec: SpecFile): void {
    this.own(0, this.c.closing(spec));
  }
}

class NoSpelling extends Error {}

/**
 * The YAML text of a spec with its comments, or undefined when some part has no YAML spelling that
 * reads back the same way. Every comment is printed exactly once (else undefined). Never throws.
 */
export function printYamlSpec(spec: SpecFile, comments: AttachedComments, syntax: Syntax): string | undefined {
  const say = new YamlSpeller(syntax);
  const docs: string[] = [];
  const printed = new Set<SourceComment>();
  try {
    spec.models.forEach((m, i) => {
      const p = new YamlDocPrinter(comments, say);
      for (const c of printed) p.printed.add(c);
      if (!p.model(m)) throw new NoSpelling();
      if (i === spec.models.length - 1) p.fileEnd(spec);
      for (const c of p.printed) printed.add(c);
      docs.push(renderLines(p.lines, '\n', YAML_COMMENT_COLUMN));
    });
  } catch (e) {
    if (e instanceof NoSpelling) return undefined;
    throw e;
  }
  if (comments.all.some((c) => !printed.has(c))) return undefined;
  return docs.join('---\n');
}
