/**
 * The YAML front end (LANGUAGE.md section 3), on the `yaml` package (v2).
 *
 * It produces the same AST as the `.lstm` front end for the same model (spans aside), with a span on
 * every node. It walks the YAML nodes itself and never calls `toJS`, so aliases are never expanded
 * (a "billion laughs" document costs nothing) and every value keeps its source range.
 *
 * Pipeline, none of which throws on bad input:
 *   1. Reject binary input (LSTM1007; grammar/binary.ts, the same test as the `.lstm` front end).
 *   2. Tokenise to the YAML CST (`Parser`, iterative, safe on any input) and measure the nesting depth
 *      with an explicit stack. Deeper than MAX_YAML_DEPTH: LSTM1004 and stop, because the composer
 *      (`Composer`, what `parseAllDocuments` runs on the same tokens) is recursive and blows up on
 *      pathological nesting.
 *   3. Compose the documents (one model per YAML document, `---`), map the YAML errors to LSTM1010
 *      (syntax), validate every node (LSTM1011 duplicate key, LSTM1012 alias/anchor, LSTM1013 tags and
 *      non-name keys), then convert each document to a ModelDecl (LSTM1013 structure, LSTM1014 keys).
 *
 * Mapping decisions (the `.lstm` parser must produce the same for the equivalent spelling):
 * - Statements come in this order: `params` (ParamDecl), `inputs` (InputDecl), then `layers` items
 *   (LayerStmt) and `graph` steps (LetStmt) in the order the two keys appear, then `outputs`.
 * - A layer item `- name` / `- name:` / `- name: null` is a call with no args; `- name: scalar` has one
 *   positional arg; `- name: {k: v, ...}` has only named args (so `- lstm: {units: 50}` equals
 *   `lstm(units: 50)`, not `lstm(50)`).
 * - `- name: [a, b]` (a YAML sequence): ONE positional list arg (`maxPooling2d: [2, 2]` equals
 *   `maxPooling2d([2, 2])`, `reshape: [5, 2]` equals `reshape([5, 2])`), except for the layers whose
 *   main argument is several values (`syntax.spreadsMain`: `embedding`), where the items are the positional
 *   args (`embedding: [1000, 64]` equals `embedding(1000, 64)`).
 * - Wrappers (`syntax.isWrapper`: `timeDistributed`, `bidirectional`): the inner layer is the FIRST positional
 *   arg, a call value. It is given as `- timeDistributed: {dense: 12}` (a single-key mapping), as the
 *   `layer:` key (`- bidirectional: {layer: {lstm: 50}, mergeMode: concat}`; the other keys are named
 *   args, after the positional one whatever the key order) or as a bare name (`- timeDistributed:
 *   flatten` equals `timeDistributed(flatten())`, a call with no args, not an ident).
 * - Values: plain scalars that look like identifiers are `ident` (`$x`: ident with dollar), quoted
 *   ones `string`, other plain text `string`; `true`/`false` bool; numbers `int` or `float` by the
 *   rule both front ends share (./number.ts; raw = source text); `null`/`~`/empty and `?` are
 *   `unknown`; sequences `list`.
 * - A mapping used as a value: in a layer argument, a param or a dimension, a single-key mapping is a
 *   call (`kernelInitializer: {glorotUniform: {seed: 1}}` equals `glorotUniform(seed: 1)`), any
 *   other mapping a `block`. In `train`/`data`, a single-key mapping whose value is a mapping or
 *   empty is a call (`optimizer: {adam: {learningRate: 0.001}}` equals `adam(learningRate: 0.001)`),
 *   and so is any single-key mapping under `optimizer` (`optimizer: {sgd: 0.1}` equals `sgd(0.1)`);
 *   any other mapping is a block (`earlyStopping: {patience: 3}` equals `earlyStopping { patience: 3 }`).
 * - A call's args use the same rules as a layer item's (`{adam: 0.01}`: positional, `{adam: {...}}`:
 *   named).
 */
import { Composer, LineCounter, Parser, isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { CST, Document, Node as YNode, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type {
  Arg,
  Block,
  BlockEntry,
  Call,
  InputDecl,
  LayerStmt,
  LetStmt,
  ModelDecl,
  Name,
  OutputStmt,
  ParamDecl,
  Span,
  SpecFile,
  Statement,
  Value,
} from './ast.js';
import type { LayerHintSyntax, LayerSyntax, ParseResult } from './ast.js';
import { binaryReason } from './binary.js';
import { numberLiteral } from './number.js';
import { missingSpaceAfterColon, rewriteHabits, tupleAsList } from './habits.js';
import { lstmLexer } from './lexer.js';
import { parseLstm } from './lstm.js';
import {
  Diagnostics,
  makeDiagnostic,
  sortDiagnostics,
  type Diagnostic,
  type DiagnosticDef,
} from '../base/diagnostics.js';
import { didYouMean, didYouMeanHint } from '../base/did-you-mean.js';

/** Deepest nesting of YAML collections accepted (a real spec needs about 10). */
export const MAX_YAML_DEPTH = 64;
/** At most this many YAML syntax errors are reported per document. */
const MAX_SYNTAX_ERRORS = 50;

/** Top-level keys of a model document. */
export const YAML_MODEL_KEYS = ['model', 'params', 'inputs', 'layers', 'graph', 'outputs', 'train', 'data'] as const;
/** Keys of a graph step. */
export const YAML_STEP_KEYS = ['let', 'from', 'layers', 'shape'] as const;
/** Keys of an input given as a mapping: `x: {shape: [1, 1], batch: 25}`. */
export const YAML_INPUT_KEYS = ['shape', 'batch'] as const;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DOLLAR_IDENT = /^\$([A-Za-z_][A-Za-z0-9_]*)$/;

type Ctx = 'arg' | 'block' | 'optimizer';

class YamlFrontEnd {
  readonly diags: Diagnostic[] = [];
  private readonly lc = new LineCounter();
  /** While converting a document with syntax errors, structure diagnostics are suppressed (cascades). */
  private quiet = false;

  constructor(
    private readonly src: string,
    private readonly file: string,
    private readonly syntax: LayerSyntax & LayerHintSyntax,
  ) {
    // Filled here rather than by the Parser so that positions work before (or without) parsing.
    this.lc.addNewLine(0);
    for (let i = src.indexOf('\n'); i >= 0; i = src.indexOf('\n', i + 1)) this.lc.addNewLine(i + 1);
  }

  // ---------------------------------------------------------------- spans and diagnostics

  span(start: number, end: number): Span {
    const s = Math.max(0, Math.min(start, this.src.length));
    const e = Math.max(s, Math.min(end, this.src.length));
    const a = this.lc.linePos(s);
    const b = this.lc.linePos(e);
    return { file: this.file, line: a.line, column: a.col, endLine: b.line, endColumn: b.col, offset: s, endOffset: e };
  }

  /** A span of at least one character where the source allows (for carets). */
  pointSpan(start: number, end: number): Span {
    let e = end;
    if (e <= start && start < this.src.length && this.src[start] !== '\n' && this.src[start] !== '\r') e = start + 1;
    return this.span(start, e);
  }

  /** Whether this document already has its LSTM1012. */
  private aliasReported = false;

  report(def: DiagnosticDef, span: Span, args: Record<string, unknown> = {}, hint?: string): void {
    if (this.quiet && (def === Diagnostics.YamlStructure || def === Diagnostics.YamlUnknownKey)) return;
    if (def === Diagnostics.YamlAlias) {
      // One per document: an alias bomb has hundreds of anchors and aliases, one message says it all.
      if (this.aliasReported) return;
      this.aliasReported = true;
    }
    this.diags.push(makeDiagnostic(def, span, args, hint));
  }

  structure(span: Span, message: string, hint?: string): void {
    this.report(Diagnostics.YamlStructure, span, { message }, hint);
  }

  /** Start offset of a node. */
  start(n: YNode): number {
    return n.range?.[0] ?? 0;
  }

  /** End offset of a node's value: block collections end at their last item, scalars are trimmed. */
  end(n: YNode): number {
    const r = n.range;
    if (!r) return 0;
    if ((isMap(n) || isSeq(n)) && !n.flow) {
      let e = r[0];
      const last = n.items[n.items.length - 1] as unknown;
      if (last !== undefined) {
        if (isPair(last)) {
          const k = last.key as YNode | null;
          const v = last.value as YNode | null;
          if (k && k.range) e = Math.max(e, this.end(k));
          if (v && v.range && !this.isEmptyScalar(v)) e = Math.max(e, this.end(v));
        } else if (last && (last as YNode).range) {
          e = Math.max(e, this.end(last as YNode));
        }
      }
      return e;
    }
    let e = r[1];
    while (e > r[0] && /\s/.test(this.src[e - 1] ?? '')) e--;
    return e;
  }

  nodeSpan(n: YNode | null | undefined, fallback?: Span): Span {
    if (!n || !n.range) return fallback ?? this.span(0, 0);
    return this.span(this.start(n), this.end(n));
  }

  isEmptyScalar(n: unknown): boolean {
    return isScalar(n) && n.value === null && n.range != null && n.range[0] === n.range[1];
  }

  /** Span of a pair: from its key to the end of its value (or of its key when the value is empty). */
  pairSpan(p: Pair): Span {
    const k = p.key as YNode | null;
    const v = p.value as YNode | null;
    const s = k?.range ? this.start(k) : v?.range ? this.start(v) : 0;
    let e = k?.range ? this.end(k) : s;
    if (v?.range && !this.isEmptyScalar(v)) e = Math.max(e, this.end(v));
    return this.span(s, e);
  }

  // ---------------------------------------------------------------- driver

  run(): SpecFile {
    const models: ModelDecl[] = [];
    const spec: SpecFile = { file: this.file, format: 'yaml', models, span: this.span(0, 0) };
    const binary = binaryReason(this.src);
    if (binary !== undefined) {
      spec.span = this.span(0, this.src.length);
      this.report(Diagnostics.BinaryFile, this.pointSpan(binary.at, binary.at + 1), { what: binary.what });
      return spec;
    }
    spec.span = this.span(0, this.src.length);
    const tokens = Array.from(new Parser().parse(this.src));
    if (!this.checkDepth(tokens)) return spec;

    const composer = new Composer({
      prettyErrors: false,
      uniqueKeys: false, // duplicates are reported by validate() at the second key
      keepSourceTokens: true,
      strict: true,
    });
    const docs: Document.Parsed[] = Array.from(composer.compose(tokens, true, this.src.length));
    let sawContent = false;
    let sawError = false;
    for (const doc of docs) {
      const before = this.diags.length;
      this.aliasReported = false;
      this.quiet = this.syntaxErrors(doc);
      const c = doc.contents as YNode | null;
      if (c !== null && !this.isEmptyScalar(c) && !(isScalar(c) && c.value === null)) {
        sawContent = true;
        this.validate(c, 0);
        const m = this.model(c);
        if (m) models.push(m);
      }
      this.quiet = false;
      if (this.diags.length > before) sawError = true;
    }
    if (!sawContent && !sawError) {
      this.report(
        Diagnostics.NoModel,
        this.span(0, 0),
        {},
        'Add a document `model: Name`, `inputs: {x: [T, 1]}`, `layers: [...]`.',
      );
    }
    return spec;
  }

  /** Iterative walk of the CST; false (and LSTM1004) when collections nest deeper than allowed. */
  checkDepth(tokens: CST.Token[]): boolean {
    const stack: Array<[CST.Token, number]> = tokens.map((t) => [t, 0]);
    while (stack.length > 0) {
      const [t, depth] = stack.pop()!;
      if (t.type === 'document') {
        if (t.value) stack.push([t.value, depth]);
        continue;
      }
      if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
        const d = depth + 1;
        if (d > MAX_YAML_DEPTH) {
          const off = t.type === 'flow-collection' ? t.start.offset : t.offset;
          this.report(Diagnostics.NestingTooDeep, this.pointSpan(off, off + 1), { max: MAX_YAML_DEPTH });
          return false;
        }
        for (const item of t.items as CST.CollectionItem[]) {
          if (item.key) stack.push([item.key, d]);
          if (item.value) stack.push([item.value, d]);
        }
      }
    }
    return true;
  }

  /** Map the YAML parser's errors to LSTM1010 (LSTM1012 for alias problems); true if any is a syntax error. */
  syntaxErrors(doc: Document.Parsed): boolean {
    let syntax = false;
    let count = 0;
    const seenAt = new Set<number>();
    for (const err of doc.errors) {
      let [s, e] = err.pos;
      // The yaml package reports a missing closing quote where the input ends; the useful place is
      // the opening quote (the last unescaped one before the end: nothing after it closed it).
      const quote = err.code === 'MISSING_CHAR' ? /Missing closing (["'])quote/.exec(err.message)?.[1] : undefined;
      if (quote !== undefined) {
        let at = this.src.lastIndexOf(quote, Math.max(0, s - 1));
        while (at > 0 && quote === '"' && this.src[at - 1] === '\\') at = this.src.lastIndexOf(quote, at - 2);
        if (at >= 0) {
          seenAt.add(s);
          [s, e] = [at, at + 1];
        }
      } else if (seenAt.has(s)) {
        continue; // a follow-on error where the unterminated string swallowed the rest
      }
      const span = this.pointSpan(s, e);
      if (quote !== undefined && seenAt.size > 0 && e === s + 1) {
        // Same mistake as an unterminated string in the .lstm form, same code.
        syntax = true;
        this.report(Diagnostics.UnterminatedString, span, {}, `Close the string with a matching ${quote}.`);
        continue;
      }
      if (err.code === 'DUPLICATE_KEY') continue; // reported by validate()
      if (err.code === 'ALIAS_PROPS' || err.code === 'BAD_ALIAS') {
        this.report(Diagnostics.YamlAlias, span);
        continue;
      }
      syntax = true;
      if (++count > MAX_SYNTAX_ERRORS) continue;
      const hint = err.code === 'TAB_AS_INDENT' ? 'Indent YAML with spaces, not tabs.' : this.syntaxHint(s);
      this.report(Diagnostics.YamlSyntax, span, { message: err.message }, hint);
    }
    return syntax;
  }

  /** A hint for a YAML syntax error at `offset`: `epochs:10` (no space after the colon) starts there. */
  syntaxHint(offset: number): string | undefined {
    const lineEnd = this.src.indexOf('\n', offset);
    const rest = this.src
      .slice(offset, lineEnd < 0 ? undefined : lineEnd)
      .replace(/\s+#.*$/, '')
      .trimEnd();
    const meant = missingSpaceAfterColon(rest);
    return meant !== undefined
      ? `YAML needs a space after the colon: write \`${meant}\`; without it, \`${rest}\` is plain text.`
      : undefined;
  }

  /** Whole-tree checks: aliases, anchors, tags, keys that are not names, duplicate keys. */
  validate(n: unknown, depth: number): void {
    if (n === null || n === undefined || depth > MAX_YAML_DEPTH * 2 + 4) return;
    const node = n as YNode;
    if (isAlias(node)) {
      this.report(Diagnostics.YamlAlias, this.pointSpan(this.start(node), node.range?.[1] ?? this.start(node)));
      return;
    }
    if (node.anchor !== undefined) {
      const at = this.src.lastIndexOf('&' + node.anchor, this.start(node));
      const s = at >= 0 ? at : this.start(node);
      this.report(Diagnostics.YamlAlias, this.pointSpan(s, at >= 0 ? at + 1 + node.anchor.length : s + 1));
    }
    if (node.tag !== undefined) {
      let at = this.src.lastIndexOf('!', this.start(node));
      while (at > 0 && this.src[at - 1] === '!') at--;
      const s = at >= 0 ? at : this.start(node);
      let e = s;
      while (e < this.src.length && !/[\s,[\]{}]/.test(this.src[e]!)) e++;
      const text = e > s ? this.src.slice(s, e) : node.tag;
      this.structure(
        this.pointSpan(s, e),
        `YAML tags (${text}) are not allowed in specs.`,
        'Write the value without a tag.',
      );
    }
    if (isMap(node) && this.questionMark(node) < 0) {
      const seen = new Set<string>();
      for (const p of node.items) {
        const k = p.key as YNode | null;
        this.validate(k, depth + 1);
        this.validate(p.value, depth + 1);
        const name = this.keyName(p);
        if (name === undefined) {
          if (!isAlias(k)) {
            this.structure(
              k?.range ? this.nodeSpan(k) : this.pairSpan(p),
              'A mapping key must be a name.',
              'Write keys as plain names, e.g. `units: 50`.',
            );
          }
          continue;
        }
        if (seen.has(name)) this.report(Diagnostics.YamlDuplicateKey, this.nodeSpan(k), { key: name });
        seen.add(name);
      }
    } else if (isSeq(node)) {
      for (const it of node.items) this.validate(it, depth + 1);
    }
  }

  /** The key of a pair when it is a string scalar. */
  keyName(p: Pair): string | undefined {
    const k = p.key;
    return isScalar(k) && typeof k.value === 'string' ? k.value : undefined;
  }

  /** Pairs with name keys, first occurrence of each key only (duplicates were reported). */
  pairs(m: YAMLMap): Array<[string, Pair]> {
    const out: Array<[string, Pair]> = [];
    const seen = new Set<string>();
    for (const p of m.items) {
      const name = this.keyName(p);
      if (name === undefined || seen.has(name)) continue;
      seen.add(name);
      out.push([name, p]);
    }
    return out;
  }

  /** `[?, 10]`: YAML reads `?` as an empty explicit key; the offset of that `?`, or -1. */
  questionMark(n: unknown): number {
    if (!isMap(n) || n.items.length !== 1) return -1;
    const p = n.items[0]!;
    const k = p.key as unknown;
    const v = p.value as unknown;
    const emptyK = k === null || (isScalar(k) && k.value === null && this.isEmptyScalar(k));
    const emptyV = v === null || (isScalar(v) && v.value === null && this.isEmptyScalar(v));
    if (!emptyK || !emptyV) return -1;
    let i = this.start(n as YNode);
    if (this.src[i] === '?') return i;
    i--;
    while (i >= 0 && (this.src[i] === ' ' || this.src[i] === '\t')) i--;
    return i >= 0 && this.src[i] === '?' ? i : -1;
  }

  // ---------------------------------------------------------------- model document

  model(c: YNode): ModelDecl | undefined {
    if (!isMap(c)) {
      const what = isSeq(c) ? 'a list' : isAlias(c) ? 'an alias' : 'a scalar';
      this.structure(
        this.nodeSpan(c),
        `A YAML spec document must be a mapping with \`model:\`, \`inputs:\` and \`layers:\`; this one is ${what}.`,
      );
      return undefined;
    }
    const span = this.nodeSpan(c);
    const keys = new Map<string, Pair>();
    const order: string[] = [];
    const suggested = new Set<string>();
    for (const [k, p] of this.pairs(c)) {
      if (!(YAML_MODEL_KEYS as readonly string[]).includes(k)) {
        this.unknownKey(p, k, 'a model', YAML_MODEL_KEYS, suggested);
        continue;
      }
      keys.set(k, p);
      order.push(k);
    }

    let name: Name = { name: '', span: this.span(this.start(c), this.start(c)) };
    const mp = keys.get('model');
    if (!mp) {
      // `modle: A` already got "did you mean model?"; do not also say that `model:` is missing.
      if (!suggested.has('model'))
        this.structure(
          this.span(this.start(c), this.start(c)),
          'This document has no `model:` key; each YAML document is one model.',
          'Add `model: Name`.',
        );
    } else {
      const v = mp.value as YNode | null;
      if (isScalar(v) && typeof v.value === 'string' && v.value !== '') {
        name = { name: v.value, span: this.nodeSpan(v) };
      } else if (!isAlias(v)) {
        this.structure(
          this.nodeSpan(v, this.pairSpan(mp)),
          "`model` must be the model's name, e.g. `model: VanillaEcho`.",
        );
        if (isScalar(v) && v.value !== null) name = { name: String(v.value), span: this.nodeSpan(v) };
      }
    }

    const statements: Statement[] = [];
    const pp = keys.get('params');
    if (pp) statements.push(...this.params(pp));
    const ip = keys.get('inputs');
    if (ip) statements.push(...this.inputs(ip));
    for (const k of order) {
      if (k === 'layers') statements.push(...this.layers(keys.get(k)!));
      else if (k === 'graph') statements.push(...this.graph(keys.get(k)!));
    }
    const op = keys.get('outputs');
    if (op) {
      const o = this.outputs(op);
      if (o) statements.push(o);
    }

    const model: ModelDecl = { name, statements, span };
    const tp = keys.get('train');
    if (tp) {
      const b = this.topBlock(tp, 'train');
      if (b) {
        model.train = b;
        model.trainSpan = this.pairSpan(tp);
      }
    }
    const dp = keys.get('data');
    if (dp) {
      const b = this.topBlock(dp, 'data');
      if (b) {
        model.data = b;
        model.dataSpan = this.pairSpan(dp);
      }
    }
    return model;
  }

  /** LSTM1014 with a did-you-mean hint; remembers the suggestion. */
  unknownKey(p: Pair, key: string, where: string, candidates: readonly string[], suggested: Set<string>): void {
    const hint = didYouMeanHint(key, candidates);
    const m = didYouMean(key, candidates);
    if (m !== undefined) suggested.add(m);
    this.report(Diagnostics.YamlUnknownKey, this.nodeSpan(p.key as YNode), { key, where }, hint);
  }

  /** The value of `key:` as a mapping, or a located LSTM1013. */
  mapOf(p: Pair, key: string, example: string): YAMLMap | undefined {
    const v = p.value as YNode | null;
    if (isMap(v) && this.questionMark(v) < 0) return v;
    if (isAlias(v)) return undefined; // reported by validate()
    this.structure(this.nodeSpan(v, this.pairSpan(p)), `\`${key}\` must be a mapping, e.g. \`${example}\`.`);
    return undefined;
  }

  seqOf(p: Pair, key: string, example: string): YAMLSeq | undefined {
    const v = p.value as YNode | null;
    if (isSeq(v)) return v;
    if (isAlias(v)) return undefined; // reported by validate()
    this.structure(this.nodeSpan(v, this.pairSpan(p)), `\`${key}\` must be a list, e.g. \`${example}\`.`);
    return undefined;
  }

  params(p: Pair): ParamDecl[] {
    const m = this.mapOf(p, 'params', 'params: {units: 50}');
    if (!m) return [];
    const out: ParamDecl[] = [];
    for (const [k, q] of this.pairs(m)) {
      const name: Name = { name: k, span: this.nodeSpan(q.key as YNode) };
      out.push({ kind: 'param', name, value: this.requiredValue(q, k, 'arg'), span: this.pairSpan(q) });
    }
    return out;
  }

  inputs(p: Pair): InputDecl[] {
    const m = this.mapOf(p, 'inputs', 'inputs: {x: [5, 10]}');
    if (!m) return [];
    const out: InputDecl[] = [];
    for (const [k, q] of this.pairs(m)) {
      const name: Name = { name: k, span: this.nodeSpan(q.key as YNode) };
      let v = q.value as YNode | null;
      let batch: Value | undefined;
      if (isMap(v) && this.questionMark(v) < 0) {
        // `x: {shape: [1, 1], batch: 25}`: the twin of `input x: [1, 1] batch 25`.
        const m2 = v;
        const keys = new Map<string, Pair>();
        const suggested = new Set<string>();
        for (const [k2, q2] of this.pairs(m2)) {
          if (!(YAML_INPUT_KEYS as readonly string[]).includes(k2)) {
            this.unknownKey(q2, k2, 'an input', YAML_INPUT_KEYS, suggested);
            continue;
          }
          keys.set(k2, q2);
        }
        const bp = keys.get('batch');
        if (bp) batch = this.requiredValue(bp, 'batch', 'arg');
        const sp = keys.get('shape');
        if (!sp) {
          // `shap: [1, 1]` already got "did you mean shape?".
          if (!suggested.has('shape'))
            this.structure(
              this.nodeSpan(v),
              `Input "${k}" needs \`shape\`, e.g. \`${k}: {shape: [1, 1], batch: 25}\`.`,
            );
          continue;
        }
        v = sp.value as YNode | null;
      }
      if (!isSeq(v) && !isAlias(v)) {
        const list = isScalar(v) && typeof v.value === 'string' ? tupleAsList(v.value) : undefined;
        this.structure(
          this.nodeSpan(v, this.pairSpan(q)),
          `The shape of input "${k}" must be a list of dimensions, e.g. \`${k}: ${list ?? '[5, 10]'}\`.`,
          list !== undefined ? `Shapes are lists in square brackets: \`${k}: ${list}\`, not a tuple.` : undefined,
        );
      }
      const shape = this.value(v, 'arg', this.pairSpan(q));
      out.push(
        batch
          ? { kind: 'input', name, shape, batch, span: this.pairSpan(q) }
          : { kind: 'input', name, shape, span: this.pairSpan(q) },
      );
    }
    return out;
  }

  layers(p: Pair): LayerStmt[] {
    const s = this.seqOf(p, 'layers', 'layers: [lstm: 25, dense: 10]');
    if (!s) return [];
    const out: LayerStmt[] = [];
    for (const it of s.items) {
      const call = this.layerItem(it as YNode | null, this.nodeSpan(s));
      if (call) out.push({ kind: 'layer', call, span: call.span });
    }
    return out;
  }

  /** One item of a `layers:` list: `- name`, `- name: scalar`, `- name: {args}`, `- name: [args]`. */
  layerItem(it: YNode | null, fallback: Span): Call | undefined {
    if (isScalar(it) && typeof it.value === 'string' && it.value !== '') {
      const sp = this.nodeSpan(it);
      // Kept as a call of that (unknown) name: the checker then stops the chain there, quietly.
      if (it.type === 'PLAIN') this.layerHabit(it.value, sp);
      return { name: it.value, nameSpan: sp, args: [], span: sp };
    }
    if (isMap(it) && this.questionMark(it) < 0) {
      const ps = it.items;
      if (ps.length === 1) {
        const p = ps[0]!;
        const name = this.keyName(p);
        if (name === undefined) return undefined; // reported by validate()
        return this.callFrom(name, p.key as YNode, p.value as YNode | null, this.nodeSpan(it));
      }
      const names = ps.map((q) => this.keyName(q) ?? '?');
      const msg =
        ps.length === 0
          ? 'An empty mapping is not a layer; write `- name` or `- name: {args}`.'
          : `A layer item must have exactly one key, the layer name; this one has ${ps.length}: ${names.join(', ')}.`;
      this.structure(
        this.nodeSpan(it),
        msg,
        ps.length > 1
          ? `Indent the arguments under the layer name: \`- ${names[0]}: {${names
              .slice(1)
              .map((n) => `${n}: ...`)
              .join(', ')}}\`.`
          : undefined,
      );
      return undefined;
    }
    if (isAlias(it)) return undefined; // reported by validate()
    this.structure(
      this.nodeSpan(it, fallback),
      'A layer item must be `- name`, `- name: mainArgument` or `- name: {argument: value, ...}`.',
    );
    return undefined;
  }

  /**
   * A layer item that is one plain scalar but no layer name: a call in `.lstm` / Keras spelling
   * (`- lstm(50, returnSequences=True)`) or `- lstm:50` (no space after the colon). LSTM1013 with
   * the YAML spelling of what was meant.
   */
  layerHabit(text: string, span: Span): void {
    const call = /^([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(text);
    if (call && text.trimEnd().endsWith(')')) {
      const name = call[1]!;
      const yaml = yamlLayerItem(text, this.syntax);
      this.structure(
        span,
        `\`${name}(...)\` is a call; a YAML layer item is \`- name: mainArgument\` or \`- name: {argument: value, ...}\`.`,
        yaml === undefined
          ? `Write \`- ${name}: mainArgument\`, or name every argument: \`- ${name}: {argument: value, ...}\`.`
          : yaml.includes(MAIN_PLACEHOLDER)
            ? `Write \`- ${yaml}\`, with the argument's name for ${MAIN_PLACEHOLDER}: YAML names every argument when there are several.`
            : `Write \`- ${yaml}\`.`,
      );
      return;
    }
    const meant = missingSpaceAfterColon(text);
    if (meant !== undefined) {
      this.structure(
        span,
        `"${text}" is read as one layer name: YAML needs a space after the colon.`,
        `Write \`- ${meant}\`.`,
      );
    }
  }

  /** A call `name` whose arguments are given by the YAML value `v` (see the header for the rules). */
  callFrom(name: string, key: YNode, v: YNode | null, span: Span): Call {
    const nameSpan = this.nodeSpan(key);
    const args: Arg[] = [];
    const call: Call = { name, nameSpan, args, span };
    const wrapper = this.syntax.isWrapper(name);
    if (v === null || isAlias(v)) return call;
    if (isScalar(v)) {
      if (v.value === null) {
        if (!this.isEmptyScalar(v) && this.src.slice(this.start(v), this.end(v)) === '?') {
          args.push(this.positional(this.value(v, 'arg')));
        }
        return call;
      }
      if (wrapper && v.type === 'PLAIN' && typeof v.value === 'string' && IDENT.test(v.value)) {
        const sp = this.nodeSpan(v);
        args.push(
          this.positional({ kind: 'call', call: { name: v.value, nameSpan: sp, args: [], span: sp }, span: sp }),
        );
        return call;
      }
      args.push(this.positional(this.value(v, 'arg')));
      return call;
    }
    if (isSeq(v)) {
      if (this.syntax.spreadsMain(name))
        for (const it of v.items) args.push(this.positional(this.value(it as YNode, 'arg', this.nodeSpan(v))));
      else args.push(this.positional(this.value(v, 'arg')));
      return call;
    }
    if (isMap(v)) {
      if (this.questionMark(v) >= 0) {
        args.push(this.positional(this.value(v, 'arg')));
        return call;
      }
      const ps = this.pairs(v);
      if (wrapper) {
        const lp = ps.find(([k]) => k === 'layer');
        if (lp) {
          const inner = this.innerLayer(lp[1]);
          if (inner) args.push(this.positional(inner));
          for (const [k, q] of ps) if (k !== 'layer') args.push(this.named(k, q));
          return call;
        }
        if (ps.length === 1 && !this.syntax.hasArgument(name, ps[0]![0])) {
          const [k, q] = ps[0]!;
          const inner = this.callFrom(k, q.key as YNode, q.value as YNode | null, this.pairSpan(q));
          args.push(this.positional({ kind: 'call', call: inner, span: inner.span }));
          return call;
        }
        if (ps.length > 1) {
          this.structure(
            this.nodeSpan(v),
            `${name} with several arguments takes its inner layer under \`layer:\`, e.g. \`${name}: {layer: {lstm: 50}, mergeMode: concat}\`.`,
          );
        }
      }
      for (const [k, q] of ps) args.push(this.named(k, q));
      return call;
    }
    return call;
  }

  /** The `layer:` value of a wrapper: a layer name or a single-key mapping. */
  innerLayer(p: Pair): Value | undefined {
    const v = p.value as YNode | null;
    if (isScalar(v) && typeof v.value === 'string' && v.value !== '') {
      const sp = this.nodeSpan(v);
      return { kind: 'call', call: { name: v.value, nameSpan: sp, args: [], span: sp }, span: sp };
    }
    if (isMap(v) && v.items.length === 1 && this.questionMark(v) < 0) {
      const q = v.items[0]!;
      const k = this.keyName(q);
      if (k === undefined) return undefined;
      const c = this.callFrom(k, q.key as YNode, q.value as YNode | null, this.nodeSpan(v));
      return { kind: 'call', call: c, span: c.span };
    }
    if (isAlias(v)) return undefined;
    this.structure(
      this.nodeSpan(v, this.pairSpan(p)),
      '`layer` must be one layer, e.g. `layer: {lstm: {units: 50}}` or `layer: lstm`.',
    );
    return undefined;
  }

  positional(value: Value): Arg {
    return { value, span: value.span };
  }

  named(k: string, q: Pair): Arg {
    return {
      name: k,
      nameSpan: this.nodeSpan(q.key as YNode),
      value: this.requiredValue(q, k, 'arg'),
      span: this.pairSpan(q),
    };
  }

  /** The value of `key: value` where a value is required (LSTM1013 when it is empty). */
  requiredValue(q: Pair, key: string, ctx: Ctx): Value {
    const v = q.value as YNode | null;
    if (v === null || (isScalar(v) && v.value === null && this.isEmptyScalar(v))) {
      const k = q.key as YNode;
      // `{units:50}`: without a space after the colon YAML reads one key "units:50".
      const meant = missingSpaceAfterColon(key);
      let hint: string | undefined;
      if (meant !== undefined) {
        let b = this.start(k) - 1;
        while (b >= 0 && /\s/.test(this.src[b]!)) b--;
        const flow = this.src[b] === '{' || this.src[b] === ',';
        hint = `YAML needs a space after the colon: write \`${flow ? `{${meant}}` : meant}\`; without it, \`${key}\` is read as one key.`;
      }
      this.structure(this.nodeSpan(k), `"${key}" has no value.`, hint);
    }
    return this.value(v, ctx, this.pairSpan(q));
  }

  graph(p: Pair): LetStmt[] {
    const s = this.seqOf(p, 'graph', 'graph: [{let: h, from: x, layers: [lstm: 25]}]');
    if (!s) return [];
    const out: LetStmt[] = [];
    for (const it of s.items) {
      const node = it as YNode | null;
      if (!isMap(node) || this.questionMark(node) >= 0) {
        if (!isAlias(node)) {
          this.structure(
            this.nodeSpan(node, this.nodeSpan(s)),
            'A graph step must be a mapping `{let: name, from: name, layers: [...]}`.',
          );
        }
        continue;
      }
      const st = this.step(node);
      if (st) out.push(st);
    }
    return out;
  }

  step(m: YAMLMap): LetStmt | undefined {
    const span = this.nodeSpan(m);
    const keys = new Map<string, Pair>();
    const suggested = new Set<string>();
    for (const [k, q] of this.pairs(m)) {
      if (!(YAML_STEP_KEYS as readonly string[]).includes(k)) {
        this.unknownKey(q, k, 'a graph step', YAML_STEP_KEYS, suggested);
        continue;
      }
      keys.set(k, q);
    }
    const lp = keys.get('let');
    const fp = keys.get('from');
    if (!lp || !fp) {
      if ((!lp && suggested.has('let')) || (!fp && suggested.has('from'))) return undefined;
      this.structure(
        span,
        `A graph step needs ${!lp && !fp ? '`let:` and `from:`' : !lp ? '`let:`' : '`from:`'}, e.g. \`{let: h, from: x, layers: [lstm: 25]}\`.`,
      );
      return undefined;
    }
    const lv = lp.value as YNode | null;
    const targets = this.names(lv, 'let', this.pairSpan(lp));
    const fv = fp.value as YNode | null;
    const from = this.names(fv, 'from', this.pairSpan(fp));
    if (!targets || !from) return undefined;
    const chain: Call[] = [];
    const chp = keys.get('layers');
    if (chp) {
      const s = this.seqOf(chp, 'layers', 'layers: [lstm: 25]');
      if (s) {
        for (const it of s.items) {
          const c = this.layerItem(it as YNode | null, this.nodeSpan(s));
          if (c) chain.push(c);
        }
      }
    }
    const st: LetStmt = {
      kind: 'let',
      targets,
      destructure: isSeq(lv),
      from,
      fromIsList: isSeq(fv),
      fromSpan: this.nodeSpan(fv, this.pairSpan(fp)),
      chain,
      span,
    };
    const sp = keys.get('shape');
    if (sp) {
      const v = sp.value as YNode | null;
      if (!isSeq(v) && !isAlias(v)) {
        const list = isScalar(v) && typeof v.value === 'string' ? tupleAsList(v.value) : undefined;
        this.structure(
          this.nodeSpan(v, this.pairSpan(sp)),
          `\`shape\` must be a list of dimensions, e.g. \`shape: ${list ?? '[T, 93]'}\`.`,
          list !== undefined ? `Shapes are lists in square brackets: \`shape: ${list}\`, not a tuple.` : undefined,
        );
      }
      st.annotation = this.value(v, 'arg', this.pairSpan(sp));
    }
    return st;
  }

  /** `name` or `[name, ...]` (for `let`, `from`, `outputs`). */
  names(v: YNode | null, key: string, fallback: Span): Name[] | undefined {
    const one = (n: unknown): Name | undefined => {
      if (isScalar(n) && typeof n.value === 'string' && n.value !== '')
        return { name: n.value, span: this.nodeSpan(n) };
      if (!isAlias(n))
        this.structure(this.nodeSpan(n as YNode | null, fallback), `\`${key}\` must be a name or a list of names.`);
      return undefined;
    };
    if (isSeq(v)) {
      const out: Name[] = [];
      for (const it of v.items) {
        const n = one(it);
        if (!n) return undefined;
        out.push(n);
      }
      if (out.length === 0) {
        this.structure(this.nodeSpan(v), `\`${key}\` must not be an empty list.`);
        return undefined;
      }
      return out;
    }
    const n = one(v);
    return n ? [n] : undefined;
  }

  outputs(p: Pair): OutputStmt | undefined {
    const names = this.names(p.value as YNode | null, 'outputs', this.pairSpan(p));
    return names ? { kind: 'output', names, span: this.pairSpan(p) } : undefined;
  }

  topBlock(p: Pair, key: 'train' | 'data'): Block | undefined {
    const m = this.mapOf(p, key, key === 'train' ? 'train: {loss: mse, optimizer: adam}' : 'data: {synthetic: echo}');
    return m ? this.block(m, key === 'train' ? 'train' : 'data') : undefined;
  }

  block(m: YAMLMap, where: 'train' | 'data' | 'nested'): Block {
    const entries: BlockEntry[] = [];
    for (const [k, q] of this.pairs(m)) {
      const ctx: Ctx = where === 'train' && k === 'optimizer' ? 'optimizer' : 'block';
      const value = this.requiredValue(q, k, ctx);
      entries.push({ key: k, keySpan: this.nodeSpan(q.key as YNode), value, span: this.pairSpan(q) });
    }
    return { entries, span: this.nodeSpan(m) };
  }

  // ---------------------------------------------------------------- values

  value(n: YNode | null | undefined, ctx: Ctx, fallback?: Span): Value {
    if (n === null || n === undefined) {
      const sp = fallback ? this.span(fallback.endOffset ?? 0, fallback.endOffset ?? 0) : this.span(0, 0);
      return { kind: 'unknown', span: sp };
    }
    const span = this.nodeSpan(n, fallback);
    if (isAlias(n)) return { kind: 'unknown', span };
    if (isScalar(n)) return this.scalar(n, span);
    if (isSeq(n)) {
      return {
        kind: 'list',
        items: n.items.map((it) => this.value(it as YNode | null, ctx === 'optimizer' ? 'block' : ctx, span)),
        span,
      };
    }
    if (isMap(n)) {
      const q = this.questionMark(n);
      if (q >= 0) return { kind: 'unknown', span: this.span(q, q + 1) };
      const ps = this.pairs(n);
      if (ps.length === 1 && n.items.length === 1) {
        const [k, p] = ps[0]!;
        const v = p.value as YNode | null;
        const emptyOrMap = v === null || isMap(v) || (isScalar(v) && v.value === null && this.isEmptyScalar(v));
        if (ctx === 'arg' || ctx === 'optimizer' || (ctx === 'block' && emptyOrMap)) {
          const c = this.callFrom(k, p.key as YNode, v, span);
          return { kind: 'call', call: c, span };
        }
      }
      return { kind: 'block', block: this.block(n, 'nested'), span };
    }
    return { kind: 'unknown', span };
  }

  scalar(s: Scalar, span: Span): Value {
    const v = s.value;
    const raw = this.src.slice(this.start(s), this.end(s));
    if (v === null || v === undefined) return { kind: 'unknown', span };
    if (typeof v === 'boolean') return { kind: 'bool', value: v, span };
    if (typeof v === 'number' || typeof v === 'bigint') {
      const n = numberLiteral(raw, Number(v));
      if (n.problem !== undefined) this.report(Diagnostics.InvalidNumber, span, { raw, reason: n.problem });
      return { kind: n.kind, value: n.value, raw, span };
    }
    const str = String(v);
    if (s.type === 'PLAIN') {
      if (str === '?') return { kind: 'unknown', span };
      const d = DOLLAR_IDENT.exec(str);
      if (d) return { kind: 'ident', name: d[1]!, dollar: true, span };
      if (IDENT.test(str)) return { kind: 'ident', name: str, dollar: false, span };
    }
    return { kind: 'string', value: str, span };
  }
}

/**
 * Parse a YAML spec (one model per YAML document). Never throws on bad input. `syntax` says which
 * layers are wrappers or spread their main arguments; the layer table supplies it (`LAYER_SYNTAX`),
 * so the front end keeps no per-layer knowledge of its own.
 */
export function parseYaml(source: string, file: string, syntax: LayerSyntax & LayerHintSyntax): ParseResult {
  const fe = new YamlFrontEnd(source, file, syntax);
  let spec: SpecFile;
  try {
    spec = fe.run();
  } catch (e) {
    // A bug in this front end or in `yaml`: report it as an internal error rather than crash the CLI.
    const span: Span = { file, line: 1, column: 1, endLine: 1, endColumn: 1, offset: 0, endOffset: 0 };
    fe.diags.push(
      makeDiagnostic(Diagnostics.Internal, span, {
        message: `YAML front end: ${e instanceof Error ? e.message : String(e)}`,
      }),
    );
    spec = { file, format: 'yaml', models: [], span };
  }
  // Drop exact repeats (the same problem seen by two checks).
  const seen = new Set<string>();
  const diagnostics = sortDiagnostics(
    fe.diags.filter((d) => {
      const key = `${d.code}:${d.line}:${d.column}:${d.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }),
  );
  return { spec, diagnostics };
}

// ---------------------------------------------------------------- YAML spelling of a call (hints)

const PLAIN_SAFE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Stands for a main argument's name when the layer table did not supply it (LayerHintSyntax). */
const MAIN_PLACEHOLDER = '<main argument>';

/**
 * The YAML layer item (without `- `) for a layer written as a call in `.lstm` or Keras spelling,
 * e.g. `lstm(50, returnSequences=True)` -> `lstm: {units: 50, returnSequences: true}`; undefined
 * when the text is not one call, or when spelling it needs argument names nobody supplied.
 */
export function yamlLayerItem(text: string, syntax: LayerSyntax & LayerHintSyntax): string | undefined {
  if (text.length > 2_000) return undefined;
  // Python strings in single quotes become double-quoted (same length: offsets stay valid).
  const src = text.trim().replace(/'([^'\\\n]*)'/g, '"$1"');
  const lexed = lstmLexer.tokenize(src);
  if (lexed.errors.length > 0 || lexed.tokens.length > 200) return undefined;
  const rewritten = rewriteHabits(src, lexed.tokens).text;
  const parsed = parseLstm(`model M {\n${rewritten}\n}\n`, 'hint.lstm');
  const st = parsed.spec.models[0]?.statements;
  if (parsed.diagnostics.length > 0 || st?.length !== 1 || st[0]!.kind !== 'layer') return undefined;
  return yamlCall(st[0]!.call, syntax);
}

function yamlCall(call: Call, syntax: LayerSyntax & LayerHintSyntax): string | undefined {
  const positional = call.args.filter((a) => a.name === undefined);
  const named = call.args.filter((a) => a.name !== undefined);
  if (call.args.length === 0) return call.name;
  const value = (v: Value): string | undefined => yamlValue(v, syntax);
  const entries = (args: Arg[], keys: readonly string[]): string | undefined => {
    const parts: string[] = [];
    for (const [i, a] of args.entries()) {
      const v = value(a.value);
      if (v === undefined) return undefined;
      parts.push(`${keys[i] ?? a.name}: ${v}`);
    }
    return `{${parts.join(', ')}}`;
  };
  if (named.length === 0 && positional.length === 1) {
    const v = value(positional[0]!.value);
    return v === undefined ? undefined : `${call.name}: ${v}`;
  }
  if (named.length === 0 && syntax.spreadsMain(call.name)) {
    const vs = positional.map((a) => value(a.value));
    return vs.some((v) => v === undefined) ? undefined : `${call.name}: [${vs.join(', ')}]`;
  }
  let main = positional.length === 0 ? [] : syntax.mainArguments?.(call.name);
  // Without the table's names, one main argument still reads well with a placeholder.
  const unnamed = main === undefined || main.length < positional.length;
  if (unnamed && positional.length === 1 && !syntax.isWrapper(call.name)) {
    main = [MAIN_PLACEHOLDER];
  }
  if (main === undefined || main.length < positional.length) return undefined;
  // The YAML spelling names every argument; a wrapper's inner layer goes under `layer:`.
  const keys = positional.map((_, i) => (i === 0 && syntax.isWrapper(call.name) ? 'layer' : main[i]!));
  const body = entries([...positional, ...named], keys);
  return body === undefined ? undefined : `${call.name}: ${body}`;
}

function yamlValue(v: Value, syntax: LayerSyntax & LayerHintSyntax): string | undefined {
  switch (v.kind) {
    case 'int':
    case 'float':
      return v.raw;
    case 'bool':
      return String(v.value);
    case 'string':
      return PLAIN_SAFE.test(v.value) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(v.value)
        ? v.value
        : JSON.stringify(v.value);
    case 'ident':
      return `${v.dollar ? '$' : ''}${v.name}`;
    case 'unknown':
      return '?';
    case 'list': {
      const items = v.items.map((it) => yamlValue(it, syntax));
      return items.some((it) => it === undefined) ? undefined : `[${items.join(', ')}]`;
    }
    case 'call': {
      if (v.call.args.length === 0) return v.call.name;
      const inner = yamlCall(v.call, syntax);
      return inner === undefined ? undefined : `{${inner}}`;
    }
    case 'block': {
      const parts: string[] = [];
      for (const e of v.block.entries) {
        const x = yamlValue(e.value, syntax);
        if (x === undefined) return undefined;
        parts.push(`${e.key}: ${x}`);
      }
      return `{${parts.join(', ')}}`;
    }
  }
}
