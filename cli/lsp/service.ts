/**
 * The language service behind `lstmc lsp`: plain functions over one document's text and a position,
 * answering in LSP's data shapes. Everything comes from the checker's own results
 * (`checkSource(..., { analysis: true })`: diagnostics with their fixes, the AST, each model's
 * definitions, resolved uses and layer calls with their nodes) and from the layer, train and data
 * tables; nothing here parses specs a second way. The completion and signature-help context is a
 * light token scan of the text before the cursor (a half-typed call does not parse, by definition).
 *
 * Never throws on bad input: a half-typed, binary or oversized document gives what can be said
 * (an oversized one: one notice, no analysis).
 */
import type {
  CodeAction,
  CompletionItem,
  CompletionItemKind,
  Diagnostic as LspDiagnostic,
  DocumentSymbol,
  Hover,
  InlayHint,
  Location,
  SignatureHelp,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { sortDiagnostics, type Diagnostic, type DiagnosticFix } from '../../base/diagnostics.js';
import type { Span } from '../../base/span.js';
import type { Call, Value } from '../../grammar/ast.js';
import type { SpecFormat } from '../../grammar/index.js';
import { formatSource } from '../../grammar/format.js';
import { checkSource, type CheckResult, type ModelAnalysis, type SymbolDefinition } from '../../compiler/index.js';
import type { Shape } from '../../compiler/ir.js';
import { formatShape, getLayer, layerNames } from '../../compiler/layers/table.js';
import type { LayerDef } from '../../compiler/layers/types.js';
import { expectedText, type FieldSpec, type ValueType } from '../../compiler/schema.js';
import { DATA_SOURCES, SYNTHETIC_PROBLEMS } from '../../compiler/data-schema.js';
import { missingDataFiles } from '../../compiler/data.js';
import { displayPath } from '../files.js';
import { EARLY_STOPPING_SCHEMA, LOSSES, METRICS, OPTIMIZER_TABLE, TRAIN_SCHEMA } from '../../compiler/train.js';
import { LineIndex, rangeContains, rangesOverlap, spanContains, spanToRange, spanWidth } from './text.js';
import type { Position, Range } from './text.js';

export type { Position, Range } from './text.js';

/**
 * Documents longer than this are not analysed as you type (one notice says so; `lstmc check` still
 * works): checking costs some 0.1 ms per layer line, so 64 KB (about 3,000 lines) keeps the worst
 * re-check, which runs on the server's one thread, to a fraction of a second.
 */
export const MAX_ANALYSED_CHARS = 64 * 1024;

// LSP enumerations (numbers, as the protocol sends them).
const Severity = { error: 1, warning: 2, info: 3 } as const;
const CompletionKind = {
  Function: 3,
  Field: 5,
  Variable: 6,
  Property: 10,
  Keyword: 14,
  EnumMember: 20,
  Constant: 21,
} as const;
const SymbolKind = { Class: 5, Function: 12, Variable: 13, Constant: 14, Object: 19 } as const;
const InlayHintKind = { Type: 1 } as const;
const SNIPPET = 2;

/** One analysed version of a document. */
export class SpecDocument {
  readonly lines: LineIndex;
  /** The checker's result; undefined when the document is too large to analyse. */
  readonly result: CheckResult | undefined;
  readonly format: SpecFormat;

  constructor(
    readonly uri: string,
    readonly text: string,
    readonly version: number,
    /** The path diagnostics are reported against (also picks the front end when `format` is absent). */
    readonly file: string,
    format?: SpecFormat,
  ) {
    this.lines = new LineIndex(text);
    this.format = format ?? (/\.ya?ml$/i.test(file) ? 'yaml' : 'lstm');
    // A lone \r is a line break to LSP (and to the .lstm front end) but not to the YAML package's line
    // counter: as \n (same length, same offsets) every span counts lines as the editor does.
    const analysed = text.replace(/\r(?!\n)/g, '\n');
    this.result =
      text.length > MAX_ANALYSED_CHARS
        ? undefined
        : checkSource(analysed, file, { analysis: true, format: this.format });
    // As `lstmc check` does: data files that do not exist next to a spec on disk are LSTM4020 warnings.
    if (this.result && path.isAbsolute(file)) {
      const base = path.dirname(file);
      const missing = missingDataFiles(this.result.models, (p) => {
        const absolute = path.isAbsolute(p) ? p : path.resolve(base, p);
        return { absolute: displayPath(absolute, process.cwd()), exists: existsSync(absolute) };
      });
      if (missing.length > 0) this.result.diagnostics = sortDiagnostics([...this.result.diagnostics, ...missing]);
    }
  }

  get models(): ModelAnalysis[] {
    return this.result?.analysis ?? [];
  }

  slice(s: Span): string {
    return this.text.slice(this.offset(s, 'start'), this.offset(s, 'end'));
  }

  offset(s: Span, which: 'start' | 'end'): number {
    const known = which === 'start' ? s.offset : s.endOffset;
    if (known !== undefined) return known;
    const r = spanToRange(s);
    return this.lines.offsetAt(which === 'start' ? r.start : r.end);
  }
}

// ------------------------------------------------------------------------------------------------
// diagnostics

export function diagnostics(doc: SpecDocument): LspDiagnostic[] {
  if (!doc.result) {
    return [
      {
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        severity: Severity.info,
        source: 'lstmc',
        message: `This file is ${Math.round(doc.text.length / 1024)} KB; lstmc analyses files up to ${MAX_ANALYSED_CHARS / 1024} KB as you type. Run \`lstmc check\` on it.`,
      },
    ];
  }
  return doc.result.diagnostics.map((d) => toLspDiagnostic(d));
}

function toLspDiagnostic(d: Diagnostic): LspDiagnostic {
  const out: LspDiagnostic = {
    range: spanToRange(d),
    severity: Severity[d.severity],
    code: d.code,
    source: 'lstmc',
    message: d.hint !== undefined ? `${d.message}\nhint: ${d.hint}` : d.message,
  };
  return out;
}

// ------------------------------------------------------------------------------------------------
// inlay hints: the output shape and parameter count at the end of every layer call

export function shapesText(shapes: readonly Shape[]): string {
  return shapes.map((s) => formatShape(s, false)).join(', ');
}

function paramsText(n: number): string {
  return `${n.toLocaleString('en-US')} param${n === 1 ? '' : 's'}`;
}

export function inlayHints(doc: SpecDocument, range?: Range): InlayHint[] {
  const out: InlayHint[] = [];
  for (const m of doc.models) {
    for (const c of m.calls) {
      if (!c.node) continue;
      const end = spanToRange(c.call.span).end;
      if (range && !rangeContains(range, end)) continue;
      const n = c.node.params.trainable + c.node.params.nonTrainable;
      const label = `→ ${shapesText(c.node.outputShapes)}${n > 0 ? ` · ${paramsText(n)}` : ''}`;
      out.push({ position: end, label, kind: InlayHintKind.Type, paddingLeft: true });
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// what is under the cursor

interface CallHit {
  call: Call;
  /** The node of a top-level call (absent for a nested call or one that failed). */
  model: ModelAnalysis;
  info?: ModelAnalysis['calls'][number];
}

/** Every call of a model (top-level ones with their info, then nested ones), innermost found by width. */
function allCalls(m: ModelAnalysis): CallHit[] {
  const out: CallHit[] = [];
  const nested = (call: Call): void => {
    for (const a of call.args) visitValue(a.value);
  };
  const visitValue = (v: Value): void => {
    if (v.kind === 'call') {
      out.push({ call: v.call, model: m });
      nested(v.call);
    } else if (v.kind === 'list') v.items.forEach(visitValue);
  };
  for (const info of m.calls) {
    out.push({ call: info.call, model: m, info });
    nested(info.call);
  }
  return out;
}

function modelAt(doc: SpecDocument, p: Position): ModelAnalysis | undefined {
  return doc.models.find((m) => spanContains(m.span, p)) ?? (doc.models.length === 1 ? doc.models[0] : undefined);
}

const WORD = /[A-Za-z0-9_]/;

/** The identifier at (or just before) a position, with its range. */
export function wordAt(doc: SpecDocument, p: Position): { word: string; range: Range } | undefined {
  const line = doc.lines.line(p.line);
  let s = Math.min(p.character, line.length);
  let e = s;
  while (s > 0 && WORD.test(line[s - 1]!)) s--;
  while (e < line.length && WORD.test(line[e]!)) e++;
  if (s === e || /[0-9]/.test(line[s]!)) return undefined;
  return {
    word: line.slice(s, e),
    range: { start: { line: p.line, character: s }, end: { line: p.line, character: e } },
  };
}

/** Ranges of the whole-word occurrences of `name` inside `span` (a use span may hold more than the name). */
function occurrences(doc: SpecDocument, span: Span, name: string): Range[] {
  const start = doc.offset(span, 'start');
  const text = doc.text.slice(start, doc.offset(span, 'end'));
  const out: Range[] = [];
  const re = new RegExp(`(?<![A-Za-z0-9_])${name.replace(/[^A-Za-z0-9_]/g, '')}(?![A-Za-z0-9_])`, 'g');
  for (const m of text.matchAll(re)) {
    out.push({
      start: doc.lines.positionAt(start + m.index),
      end: doc.lines.positionAt(start + m.index + name.length),
    });
  }
  return out;
}

interface SymbolHit {
  model: ModelAnalysis;
  name: string;
  def: SymbolDefinition;
  range: Range;
}

/** The param, input or let name at a position (its definition or a use). */
export function symbolAt(doc: SpecDocument, p: Position): SymbolHit | undefined {
  const w = wordAt(doc, p);
  if (!w) return undefined;
  for (const m of doc.models) {
    if (!spanContains(m.span, p)) continue;
    const def = m.definitions.find((d) => d.name === w.word);
    if (!def) continue;
    const onDef = m.definitions.some((d) => d.name === w.word && spanContains(d.span, p));
    const onUse = m.uses.some((u) => u.name === w.word && spanContains(u.span, p));
    if (onDef || onUse) return { model: m, name: w.word, def, range: w.range };
  }
  return undefined;
}

/** Every occurrence of a symbol in its model: definitions first, then uses, each once. */
function symbolRanges(doc: SpecDocument, hit: SymbolHit, includeDeclaration = true): Range[] {
  const key = (r: Range): string => `${r.start.line}:${r.start.character}`;
  const defs = new Map<string, Range>();
  for (const d of hit.model.definitions)
    if (d.name === hit.name) for (const r of occurrences(doc, d.span, hit.name)) defs.set(key(r), r);
  const all = new Map<string, Range>(includeDeclaration ? defs : []);
  for (const u of hit.model.uses)
    if (u.name === hit.name)
      for (const r of occurrences(doc, u.span, hit.name))
        if (!defs.has(key(r)) || includeDeclaration) all.set(key(r), r);
  return [...all.values()].sort((a, b) => a.start.line - b.start.line || a.start.character - b.start.character);
}

export function definition(doc: SpecDocument, p: Position): Location | undefined {
  const hit = symbolAt(doc, p);
  if (!hit) return undefined;
  const r = occurrences(doc, hit.def.span, hit.name)[0] ?? spanToRange(hit.def.span);
  return { uri: doc.uri, range: r };
}

export function references(doc: SpecDocument, p: Position, includeDeclaration: boolean): Location[] {
  const hit = symbolAt(doc, p);
  if (!hit) return [];
  return symbolRanges(doc, hit, includeDeclaration).map((range) => ({ uri: doc.uri, range }));
}

const KEYWORDS = new Set(['model', 'param', 'input', 'let', 'output', 'train', 'data', 'true', 'false']);

export function prepareRename(doc: SpecDocument, p: Position): { range: Range; placeholder: string } | undefined {
  const hit = symbolAt(doc, p);
  return hit ? { range: hit.range, placeholder: hit.name } : undefined;
}

/** The edits of a rename, or a message saying why it cannot be done. */
export function rename(doc: SpecDocument, p: Position, newName: string): WorkspaceEdit | { error: string } {
  const hit = symbolAt(doc, p);
  if (!hit) return { error: 'Only params, inputs and let names can be renamed.' };
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName) || KEYWORDS.has(newName)) {
    return {
      error: `"${newName}" is not a valid name (letters, digits and _, not starting with a digit, no keyword).`,
    };
  }
  if (newName !== hit.name && hit.model.definitions.some((d) => d.name === newName)) {
    return { error: `"${newName}" is already defined in model ${hit.model.name}.` };
  }
  const edits: TextEdit[] = symbolRanges(doc, hit).map((range) => ({ range, newText: newName }));
  return { changes: { [doc.uri]: edits } };
}

// ------------------------------------------------------------------------------------------------
// hover

function md(...parts: (string | undefined)[]): { kind: 'markdown'; value: string } {
  return { kind: 'markdown', value: parts.filter((p) => p !== undefined && p !== '').join('\n\n') };
}

function typeText(t: ValueType): string {
  return t.kind === 'enum' ? t.what : expectedText(t).replace(/^(an?|one of) /, '');
}

function argLine(name: string, spec: FieldSpec): string {
  const dflt = spec.default !== undefined ? ` = ${JSON.stringify(spec.default)}` : spec.required ? ' (required)' : '';
  return `\`${name}\`: ${typeText(spec.type)}${dflt}`;
}

function layerDocs(def: LayerDef): string {
  return md(
    `**${def.name}** — ${def.className} (${def.category})`,
    def.doc,
    `Shape: \`${def.shapeDoc}\``,
    def.notes && def.notes.length > 0 ? def.notes.map((n) => `- ${n}`).join('\n') : undefined,
  ).value;
}

function defText(d: SymbolDefinition): string {
  if (d.kind === 'param') return `param ${d.name} = ${JSON.stringify(d.value)}`;
  const shape = d.shapes ? shapesText(d.shapes) : d.shape ? formatShape(d.shape, false) : '(unknown: its step failed)';
  return `${d.kind} ${d.name}: ${shape}${d.batch !== undefined ? ` batch ${d.batch}` : ''}`;
}

export function hover(doc: SpecDocument, p: Position): Hover | undefined {
  const m = modelAt(doc, p);
  if (!m) return undefined;
  const sym = symbolAt(doc, p);
  if (sym) {
    const d = sym.def;
    const what = d.kind === 'param' ? 'A param' : d.kind === 'input' ? 'A model input' : 'A value';
    // A declared batch size (`batch 25`) stands where the batch dimension is.
    const withBatch = (s: Shape): string =>
      d.batch !== undefined ? formatShape([d.batch, ...s], false) : formatShape(s);
    const batch = d.kind !== 'param' && d.shape ? ` With the batch: \`${withBatch(d.shape)}\`.` : '';
    return {
      contents: md('```lstm\n' + defText(d) + '\n```', `${what} of model ${m.name}.${batch}`),
      range: sym.range,
    };
  }
  // The model's name: its totals, as the summary's last lines.
  if (spanContains(m.nameSpan, p)) {
    const nodes = m.calls.flatMap((c) => (c.node ? [c.node] : []));
    const total = nodes.reduce((n, x) => n + x.params.trainable + x.params.nonTrainable, 0);
    const inputs = m.definitions
      .filter((d) => d.kind === 'input')
      .map((d) => `\`${d.name}: ${defText(d).split(': ')[1]}\``);
    const complete = nodes.length === m.calls.length;
    const ir = doc.result?.models.find((x) => x.name === m.name && x.span === m.span);
    return {
      contents: md(
        `**model ${m.name}**: ${nodes.length} layer${nodes.length === 1 ? '' : 's'}, ${paramsText(total)}${complete ? '' : ' so far (the rest does not check yet)'}.`,
        inputs.length > 0 ? `Inputs: ${inputs.join(', ')}.` : undefined,
        ir ? `Output${ir.outputShapes.length === 1 ? '' : 's'}: \`${shapesText(ir.outputShapes)}\`.` : undefined,
      ),
      range: spanToRange(m.nameSpan),
    };
  }
  // The innermost call whose name or argument name is under the cursor.
  const hits = allCalls(m).filter((h) => spanContains(h.call.span, p));
  hits.sort((a, b) => spanWidth(a.call.span) - spanWidth(b.call.span));
  for (const h of hits) {
    const def = getLayer(h.call.name);
    if (!def) continue;
    if (spanContains(h.call.nameSpan, p)) {
      const node = h.info?.node;
      const n = node ? node.params.trainable + node.params.nonTrainable : undefined;
      const here = node
        ? `**Here:** \`${shapesText(node.inputShapes)}\` → \`${shapesText(node.outputShapes)}\`, ${paramsText(n!)}${node.params.nonTrainable > 0 ? ` (${node.params.nonTrainable.toLocaleString('en-US')} non-trainable)` : ''}; named \`${node.name}\`.`
        : undefined;
      return { contents: md(here, layerDocs(def)), range: spanToRange(h.call.nameSpan) };
    }
    for (const a of h.call.args) {
      if (a.name !== undefined && a.nameSpan && spanContains(a.nameSpan, p)) {
        const spec = def.args[a.name];
        if (!spec) return undefined;
        return { contents: md(argLine(a.name, spec), spec.doc), range: spanToRange(a.nameSpan) };
      }
    }
  }
  // A key of the train / data block.
  const decl = doc.result?.spec?.models.find((d) => d.name.name === m.name && spanContains(d.span, p));
  for (const [block, schemaOf] of [
    [decl?.train, (k: string) => TRAIN_SCHEMA.fields[k]],
    [decl?.data, (k: string) => dataKey(k)],
  ] as const) {
    for (const e of block?.entries ?? []) {
      if (spanContains(e.keySpan, p)) {
        const spec = schemaOf(e.key);
        if (spec) return { contents: md(argLine(e.key, spec), spec.doc), range: spanToRange(e.keySpan) };
      }
    }
  }
  return undefined;
}

function dataKey(k: string): FieldSpec | undefined {
  const src = DATA_SOURCES[k];
  if (src) return { type: src.value, doc: src.doc };
  for (const s of Object.values(DATA_SOURCES)) if (Object.hasOwn(s.keys, k)) return s.keys[k];
  return undefined;
}

// ------------------------------------------------------------------------------------------------
// the context of the cursor: a token scan of the text before it

interface Tok {
  text: string;
  kind: 'id' | 'num' | 'str' | 'punct';
  line: number;
}

/** How much text before the cursor the context scan reads (completion stays O(1) in the file size). */
const CONTEXT_CHARS = 8000;

function tokensBefore(doc: SpecDocument, p: Position): { toks: Tok[]; prefix: string } {
  const end = doc.lines.offsetAt(p);
  const startLine = doc.lines.positionAt(Math.max(0, end - CONTEXT_CHARS)).line;
  const start = doc.lines.offsetAt({ line: startLine, character: 0 });
  const text = doc.text.slice(start, end);
  const toks: Tok[] = [];
  let line = startLine;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === '#') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      toks.push({ text: text.slice(i, j + 1), kind: 'str', line });
      i = j + 1;
    } else if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < text.length && WORD.test(text[j]!)) j++;
      toks.push({ text: text.slice(i, j), kind: 'id', line });
      i = j;
    } else if (/[0-9.]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[0-9A-Za-z_.]/.test(text[j]!)) j++;
      toks.push({ text: text.slice(i, j), kind: 'num', line });
      i = j;
    } else if (c === '-' && text[i + 1] === '>') {
      toks.push({ text: '->', kind: 'punct', line });
      i += 2;
    } else {
      toks.push({ text: c, kind: 'punct', line });
      i++;
    }
  }
  let prefix = '';
  const last = toks[toks.length - 1];
  if (last && last.kind === 'id' && WORD.test(text[text.length - 1] ?? '')) {
    prefix = last.text;
    toks.pop();
  }
  return { toks, prefix };
}

/** Index of the innermost bracket still open at the end of `toks` (from `before`), or -1. */
function openerIndex(toks: Tok[], before = toks.length): number {
  let depth = 0;
  for (let i = before - 1; i >= 0; i--) {
    const t = toks[i]!.text;
    if (t === ')' || t === ']' || t === '}') depth++;
    else if (t === '(' || t === '[' || t === '{') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** The enclosing call `name(` around the end of `toks`, looking out through lists: its name and `(` index. */
function enclosingCall(toks: Tok[]): { name: string; open: number } | undefined {
  let at = toks.length;
  for (;;) {
    const o = openerIndex(toks, at);
    if (o < 0) return undefined;
    const t = toks[o]!.text;
    const before = toks[o - 1];
    if (t === '(' && before?.kind === 'id') return { name: before.text, open: o };
    if (t === '{') return undefined;
    at = o;
  }
}

/** What the enclosing `{` belongs to: 'train', 'data', 'earlyStopping', 'model' or undefined (top level). */
function enclosingBlock(toks: Tok[]): string | undefined {
  let at = toks.length;
  for (;;) {
    const o = openerIndex(toks, at);
    if (o < 0) return undefined;
    if (toks[o]!.text === '{') {
      const b1 = toks[o - 1]?.text;
      if (toks[o - 2]?.text === 'model') return 'model';
      return b1;
    }
    at = o;
  }
}

// ------------------------------------------------------------------------------------------------
// completion

function item(label: string, kind: CompletionItemKind, detail?: string, doc?: string, insert?: string): CompletionItem {
  const it: CompletionItem = { label, kind };
  if (detail !== undefined) it.detail = detail;
  if (doc !== undefined) it.documentation = { kind: 'markdown', value: doc };
  if (insert !== undefined) {
    it.insertText = insert;
    if (insert.includes('$')) it.insertTextFormat = SNIPPET;
  }
  return it;
}

function layerItems(format: SpecFormat): CompletionItem[] {
  return layerNames().map((n) => {
    const def = getLayer(n)!;
    const insert = format === 'yaml' ? `${n}: ` : def.main.length > 0 ? `${n}($1)` : `${n}()`;
    return item(n, CompletionKind.Function, `${def.className} — ${def.shapeDoc}`, layerDocs(def), insert);
  });
}

function valueItems(t: ValueType): CompletionItem[] {
  switch (t.kind) {
    case 'enum':
      return t.values.map((v) => item(v, CompletionKind.EnumMember, t.what));
    case 'bool':
      return ['true', 'false'].map((v) => item(v, CompletionKind.Keyword));
    case 'list':
      return valueItems(t.item);
    case 'layer':
      return layerItems('lstm');
    default:
      return [];
  }
}

function nameItems(m: ModelAnalysis | undefined, kinds: readonly SymbolDefinition['kind'][]): CompletionItem[] {
  if (!m) return [];
  const seen = new Set<string>();
  return m.definitions
    .filter((d) => kinds.includes(d.kind) && !seen.has(d.name) && seen.add(d.name))
    .map((d) => item(d.name, d.kind === 'param' ? CompletionKind.Constant : CompletionKind.Variable, defText(d)));
}

function argItems(def: LayerDef, given: ReadonlySet<string>, format: SpecFormat): CompletionItem[] {
  return Object.entries(def.args)
    .filter(([k]) => !given.has(k))
    .map(([k, spec]) =>
      item(k, CompletionKind.Property, argLine(k, spec), spec.doc, format === 'yaml' ? `${k}: ` : `${k}: `),
    );
}

const TRAIN_VALUES: Readonly<Record<string, () => CompletionItem[]>> = {
  loss: () => Object.keys(LOSSES).map((l) => item(l, CompletionKind.EnumMember, `loss → ${LOSSES[l]}`)),
  optimizer: () => Object.keys(OPTIMIZER_TABLE).map((o) => item(o, CompletionKind.EnumMember, 'optimizer')),
  metrics: () => METRICS.map((x) => item(x, CompletionKind.EnumMember, 'metric')),
};

function schemaKeyItems(fields: Readonly<Record<string, FieldSpec>>): CompletionItem[] {
  return Object.entries(fields).map(([k, spec]) => item(k, CompletionKind.Field, argLine(k, spec), spec.doc, `${k}: `));
}

function dataKeyItems(): CompletionItem[] {
  const fields: Record<string, FieldSpec> = {};
  for (const s of Object.values(DATA_SOURCES)) {
    fields[s.name] = { type: s.value, doc: s.doc };
    Object.assign(fields, s.keys);
  }
  return schemaKeyItems(fields);
}

function blockValueItems(block: string | undefined, key: string): CompletionItem[] {
  if (block === 'train') return TRAIN_VALUES[key]?.() ?? valueItems(TRAIN_SCHEMA.fields[key]?.type ?? { kind: 'int' });
  if (block === 'earlyStopping') return valueItems(EARLY_STOPPING_SCHEMA.fields[key]?.type ?? { kind: 'int' });
  if (block === 'data') {
    if (key === 'synthetic') return Object.keys(SYNTHETIC_PROBLEMS).map((s) => item(s, CompletionKind.EnumMember));
    const spec = dataKey(key);
    return spec ? valueItems(spec.type) : [];
  }
  return [];
}

const STATEMENT_KEYWORDS: readonly [string, string][] = [
  ['input', 'input ${1:x}: [${2:T}, ${3:1}]'],
  ['let', 'let ${1:name} = ${2:x} -> '],
  ['param', 'param ${1:name} = ${2:1}'],
  ['output', 'output '],
  ['train', 'train {\n  loss: ${1:mse}\n  optimizer: ${2:adam}\n}'],
  ['data', 'data {\n  synthetic: ${1:sine}\n}'],
];

export function completion(doc: SpecDocument, p: Position): CompletionItem[] {
  const items = doc.format === 'yaml' ? yamlCompletion(doc, p) : lstmCompletion(doc, p);
  // Completing the name of an existing call (`lst|(20)`): the name only, not a second `(`.
  const rest = doc.lines
    .line(p.line)
    .slice(p.character)
    .replace(/^[A-Za-z0-9_]*/, '');
  if (doc.format === 'lstm' && rest.startsWith('(')) {
    for (const it of items) {
      if (it.insertTextFormat === SNIPPET && it.insertText?.endsWith(')')) {
        delete it.insertText;
        delete it.insertTextFormat;
      }
    }
  }
  return items;
}

function lstmCompletion(doc: SpecDocument, p: Position): CompletionItem[] {
  const m = modelAt(doc, p);
  const { toks } = tokensBefore(doc, p);
  const prev = toks[toks.length - 1];
  const opener = openerIndex(toks);
  const openTok = opener >= 0 ? toks[opener]! : undefined;
  const call = enclosingCall(toks);
  const block = enclosingBlock(toks);
  // After `->`: a layer.
  if (prev?.text === '->') return layerItems('lstm');
  // Value position: after `key:` (or inside a list that follows one).
  let keyIdx = prev?.text === ':' ? toks.length - 2 : -1;
  if (keyIdx < 0 && openTok?.text === '[' && toks[opener - 1]?.text === ':') keyIdx = opener - 2;
  const key = keyIdx >= 0 ? toks[keyIdx] : undefined;
  if (key?.kind === 'id') {
    const keyOpener = openerIndex(toks, keyIdx);
    const container = keyOpener >= 0 ? toks[keyOpener]! : undefined;
    if (container?.text === '(' && toks[keyOpener - 1]?.kind === 'id') {
      const def = getLayer(toks[keyOpener - 1]!.text);
      const spec = def?.args[key.text];
      if (spec?.type.kind === 'valueRefs') return nameItems(m, ['input', 'let']);
      return [...(spec ? valueItems(spec.type) : []), ...nameItems(m, ['param'])];
    }
    if (container?.text === '{') {
      const b = toks[keyOpener - 1]?.text;
      return [...blockValueItems(b, key.text), ...nameItems(m, ['param'])];
    }
    // `input x: [` — dimensions: params.
    return nameItems(m, ['param']);
  }
  // Inside a call, at an argument: its argument names, params, and layers for a wrapper.
  if (call && (prev?.text === '(' || prev?.text === ',') && toks[toks.length - 1] !== undefined) {
    const def = getLayer(call.name);
    if (def) {
      const given = new Set<string>();
      for (let i = call.open + 1; i < toks.length - 1; i++) if (toks[i + 1]!.text === ':') given.add(toks[i]!.text);
      const wraps = def.main.length > 0 && def.args[def.main[0]!]?.type.kind === 'layer' && prev.text === '(';
      return [...(wraps ? layerItems('lstm') : []), ...argItems(def, given, 'lstm'), ...nameItems(m, ['param'])];
    }
    // An optimizer call: its arguments.
    const opt = OPTIMIZER_TABLE[call.name];
    if (opt)
      return opt.params.map((x) => item(x.name, CompletionKind.Property, `= ${x.default}`, undefined, `${x.name}: `));
    return nameItems(m, ['param']);
  }
  // `let y = ` / `output ` / `[a, ` : value names.
  if (prev?.text === '=' && toks[toks.length - 3]?.text === 'let') return nameItems(m, ['input', 'let']);
  if (prev?.text === '=' && toks.slice(-4).some((t) => t.text === 'let')) return nameItems(m, ['input', 'let']);
  if (openTok?.text === '[' && toks[opener - 1]?.text === '=') return nameItems(m, ['input', 'let']);
  const lineToks = toks.filter((t) => t.line === p.line);
  if (lineToks[0]?.text === 'output') return nameItems(m, ['input', 'let']);
  // At the start of a statement.
  if (lineToks.length === 0 || prev?.text === '{' || prev?.text === '}') {
    if (block === 'train') return schemaKeyItems(TRAIN_SCHEMA.fields);
    if (block === 'earlyStopping') return schemaKeyItems(EARLY_STOPPING_SCHEMA.fields);
    if (block === 'data') return dataKeyItems();
    if (block === 'model')
      return [
        ...STATEMENT_KEYWORDS.map(([k, snippet]) => item(k, CompletionKind.Keyword, undefined, undefined, snippet)),
        ...layerItems('lstm'),
      ];
    if (block === undefined)
      return [item('model', CompletionKind.Keyword, undefined, undefined, 'model ${1:Name} {\n  $0\n}')];
  }
  return [];
}

const YAML_TOP_KEYS = ['model', 'params', 'inputs', 'layers', 'graph', 'outputs', 'train', 'data'];

function yamlCompletion(doc: SpecDocument, p: Position): CompletionItem[] {
  const m = modelAt(doc, p);
  const full = doc.lines.line(p.line);
  const line = full.slice(0, p.character);
  const indent = (s: string): number => /^\s*/.exec(s)![0].length;
  /** The top-level key whose section the line is in. */
  const section = (): string | undefined => {
    for (let l = p.line - 1; l >= 0; l--) {
      const t = doc.lines.line(l);
      const k = /^([A-Za-z_]\w*)\s*:/.exec(t);
      if (k) return k[1];
    }
    return undefined;
  };
  // `  - lst|` in layers: a layer.
  if (/^\s*-\s*[A-Za-z_]*$/.test(line) && section() !== 'train') return layerItems('yaml');
  // `- lstm: {units: 20, ret|` or `- lstm: {activation: |`
  const flow = /^\s*-\s*([A-Za-z_]\w*)\s*:\s*\{(.*)$/.exec(line);
  if (flow) {
    const def = getLayer(flow[1]!);
    const inner = flow[2]!;
    if (def && !inner.includes('}')) {
      const value = /([A-Za-z_]\w*)\s*:\s*[A-Za-z_]*$/.exec(inner);
      if (value) {
        const spec = def.args[value[1]!];
        return [...(spec ? valueItems(spec.type) : []), ...nameItems(m, ['param'])];
      }
      const given = new Set([...inner.matchAll(/([A-Za-z_]\w*)\s*:/g)].map((x) => x[1]!));
      return argItems(def, given, 'yaml');
    }
  }
  const kv = /^(\s*)([A-Za-z_]\w*)\s*:\s*[A-Za-z_]*$/.exec(line);
  if (kv && indent(line) > 0) {
    const sec = section();
    if (sec === 'train' || sec === 'data') return blockValueItems(sec, kv[2]!);
  }
  if (/^\s*[A-Za-z_]*$/.test(line)) {
    if (indent(line) === 0)
      return YAML_TOP_KEYS.map((k) => item(k, CompletionKind.Keyword, undefined, undefined, `${k}: `));
    const sec = section();
    if (sec === 'train') return schemaKeyItems(TRAIN_SCHEMA.fields);
    if (sec === 'data') return dataKeyItems();
  }
  return [];
}

// ------------------------------------------------------------------------------------------------
// signature help for layer calls

export function signatureHelp(doc: SpecDocument, p: Position): SignatureHelp | undefined {
  if (doc.format !== 'lstm') return undefined;
  const { toks } = tokensBefore(doc, p);
  const call = enclosingCall(toks);
  if (!call) return undefined;
  const def = getLayer(call.name);
  if (!def) return undefined;
  const order = [...def.main, ...Object.keys(def.args).filter((k) => !def.main.includes(k))];
  const parts = order.map((k) => {
    const spec = def.args[k]!;
    const optional = spec.required ? '' : '?';
    return { k, text: `${k}${optional}: ${typeText(spec.type)}`, doc: spec.doc };
  });
  let label = `${def.name}(`;
  const parameters = parts.map((x, i) => {
    const start = label.length;
    label += x.text;
    const end = label.length;
    if (i < parts.length - 1) label += ', ';
    return { label: [start, end] as [number, number], documentation: x.doc };
  });
  label += ')';
  // Which argument the cursor is in: the named one, else the positional index.
  let index = 0;
  let segStart = call.open + 1;
  let depth = 0;
  for (let i = call.open + 1; i < toks.length; i++) {
    const t = toks[i]!.text;
    if (t === '(' || t === '[' || t === '{') depth++;
    else if (t === ')' || t === ']' || t === '}') depth--;
    else if (t === ',' && depth === 0) {
      index++;
      segStart = i + 1;
    }
  }
  const seg = toks.slice(segStart);
  let active = index;
  if (seg.length >= 2 && seg[0]!.kind === 'id' && seg[1]!.text === ':') active = order.indexOf(seg[0]!.text);
  else if (index >= def.main.length) active = -1;
  return {
    signatures: [
      { label, documentation: { kind: 'markdown', value: `${def.doc}\n\nShape: \`${def.shapeDoc}\`` }, parameters },
    ],
    activeSignature: 0,
    activeParameter: active < 0 ? parameters.length : active,
  };
}

// ------------------------------------------------------------------------------------------------
// document symbols (the outline)

export function documentSymbols(doc: SpecDocument): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const m of doc.models) {
    const children: DocumentSymbol[] = [];
    for (const d of m.definitions) {
      const kind = d.kind === 'param' ? SymbolKind.Constant : SymbolKind.Variable;
      const detail = defText(d)
        .slice(d.kind.length + 1 + d.name.length)
        .replace(/^\s*[:=]\s*/, '');
      children.push({ name: d.name, detail, kind, range: spanToRange(d.span), selectionRange: spanToRange(d.span) });
    }
    for (const c of m.calls) {
      const r = spanToRange(c.call.span);
      const detail = c.node ? `→ ${shapesText(c.node.outputShapes)}` : '';
      children.push({
        name: c.node?.name ?? c.call.name,
        detail,
        kind: SymbolKind.Function,
        range: r,
        selectionRange: spanToRange(c.call.nameSpan),
      });
    }
    const decl = doc.result?.spec?.models.find((d) => d.name.name === m.name && d.span === m.span);
    for (const [name, span] of [
      ['train', decl?.trainSpan],
      ['data', decl?.dataSpan],
    ] as const) {
      if (span)
        children.push({ name, kind: SymbolKind.Object, range: spanToRange(span), selectionRange: spanToRange(span) });
    }
    children.sort(
      (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
    );
    const range = spanToRange(m.span);
    out.push({
      name: m.name,
      detail: 'model',
      kind: SymbolKind.Class,
      range,
      selectionRange: spanToRange(m.nameSpan),
      children: children.filter((c) => rangeContains(range, c.range.start) && rangeContains(range, c.range.end)),
    });
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// code actions: the diagnostics' fixes

/** A fix's edits as LSP text edits; undefined when the text no longer matches (the document changed). */
export function fixEdits(doc: SpecDocument, fix: DiagnosticFix): TextEdit[] | undefined {
  const out: TextEdit[] = [];
  for (const e of fix.edits) {
    const start = doc.offset(e.span, 'start');
    const end = doc.offset(e.span, 'end');
    if (e.oldText === undefined) {
      out.push({ range: { start: doc.lines.positionAt(start), end: doc.lines.positionAt(end) }, newText: e.newText });
      continue;
    }
    const at = doc.text.slice(start, end).indexOf(e.oldText);
    if (at < 0) return undefined;
    out.push({
      range: { start: doc.lines.positionAt(start + at), end: doc.lines.positionAt(start + at + e.oldText.length) },
      newText: e.newText,
    });
  }
  return out;
}

export function codeActions(doc: SpecDocument, range: Range): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of doc.result?.diagnostics ?? []) {
    if (!d.fixes || !rangesOverlap(spanToRange(d), range)) continue;
    for (const fix of d.fixes) {
      const edits = fixEdits(doc, fix);
      if (!edits) continue;
      out.push({
        title: fix.title,
        kind: 'quickfix',
        diagnostics: [toLspDiagnostic(d)],
        isPreferred: d.fixes.length === 1,
        edit: { changes: { [doc.uri]: edits } },
      });
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// formatting (`.lstm` only: the formatter of `lstmc fmt`)

/**
 * The edit that formats the document: the changed middle between the unchanged start and end (so
 * the editor keeps the cursor and folds where nothing changed); [] when it is formatted already;
 * undefined when it cannot be formatted (YAML, syntax errors, too large).
 */
export function formatting(doc: SpecDocument): TextEdit[] | undefined {
  if (doc.format !== 'lstm' || doc.text.length > MAX_ANALYSED_CHARS) return undefined;
  const r = formatSource(doc.text, doc.file);
  if (r.text === undefined) return undefined;
  const a = doc.text;
  const b = r.text;
  if (a === b) return [];
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  return [
    {
      range: { start: doc.lines.positionAt(start), end: doc.lines.positionAt(endA) },
      newText: b.slice(start, endB),
    },
  ];
}
