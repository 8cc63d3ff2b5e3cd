/**
 * `lstmc convert`, lossless: a spec in the other spelling (or canonically in its own) with its
 * comments, `let` names, destructuring, typed lets and `$param` references, from the AST rather than
 * from the checked IR (grammar/format.ts prints `.lstm`, grammar/yaml-print.ts YAML, both with the
 * comments grammar/comments.ts attached).
 *
 * The result is verified before it is returned: it must check clean, to the same IR (spans aside),
 * with every comment. When it does not (a construct the other spelling cannot hold exactly, e.g. a
 * model that alternates bare layer lines and `let` steps, or a bug), the IR printer (compiler/print.ts)
 * writes the model instead and `lossless` is false: the model is the same, comments and names are not.
 */
import { attachComments, type SourceComment } from '../grammar/comments.js';
import { lstmComments, printLstmSpec } from '../grammar/format.js';
import { parseSpec, type SpecFormat } from '../grammar/index.js';
import type { Arg, Call, SpecFile, Value } from '../grammar/ast.js';
import { printYamlSpec, yamlComments } from '../grammar/yaml-print.js';
import { checkSource } from './index.js';
import type { IRModel } from './ir.js';
import { LAYER_SYNTAX } from './layers/table.js';
import { printLstm, printYaml } from './print.js';

export interface ConvertResult {
  text: string;
  /** Comments, names and the spelling of the source were kept (else the IR printer wrote it). */
  lossless: boolean;
}

function commentsOf(text: string, format: SpecFormat): SourceComment[] {
  return format === 'yaml' ? yamlComments(text) : lstmComments(text);
}

/** The IR without positions, for "same model" comparisons. */
export function comparableModels(models: readonly IRModel[]): string {
  return JSON.stringify(models, (k, v: unknown) =>
    k === 'span' || k === 'spans' || k === 'argSpans' || k === 'file' ? undefined : v,
  );
}

/**
 * Layer calls whose main arguments are given by name (`lstm(units: 50, returnSequences: true)`, as
 * YAML writes them) get them positionally (`lstm(50, returnSequences: true)`), as `.lstm` reads best.
 * In place: the `Arg` objects stay (comments are attached to them).
 */
function positionalMain(spec: SpecFile): void {
  const call = (c: Call): void => {
    for (const a of c.args) value(a.value);
    const main = LAYER_SYNTAX.mainArguments?.(c.name);
    if (!main || c.args.some((a) => a.name === undefined)) return;
    const front: Arg[] = [];
    for (const k of main) {
      const a = c.args.find((x) => x.name === k);
      if (!a) break;
      front.push(a);
    }
    if (front.length === 0) return;
    const rest = c.args.filter((a) => !front.includes(a));
    for (const a of front) {
      delete a.name;
      delete a.nameSpan;
    }
    c.args.splice(0, c.args.length, ...front, ...rest);
  };
  const value = (v: Value): void => {
    if (v.kind === 'call') call(v.call);
    else if (v.kind === 'list') v.items.forEach(value);
    else if (v.kind === 'block') v.block.entries.forEach((e) => value(e.value));
  };
  for (const m of spec.models) {
    for (const s of m.statements) {
      if (s.kind === 'layer') call(s.call);
      else if (s.kind === 'let') s.chain.forEach(call);
    }
  }
}

/**
 * `$name` for a declared param reads as the bare `name` in `.lstm` (as the reference specs write it;
 * YAML needs the `$`). In place.
 */
function bareParams(spec: SpecFile): void {
  for (const m of spec.models) {
    const params = new Set(m.statements.filter((s) => s.kind === 'param').map((s) => s.name.name));
    const value = (v: Value): void => {
      if (v.kind === 'ident' && v.dollar && params.has(v.name)) v.dollar = false;
      else if (v.kind === 'call') v.call.args.forEach((a) => value(a.value));
      else if (v.kind === 'list') v.items.forEach(value);
      else if (v.kind === 'block') v.block.entries.forEach((e) => value(e.value));
    };
    for (const s of m.statements) {
      if (s.kind === 'param') continue;
      if (s.kind === 'input') {
        value(s.shape);
        if (s.batch) value(s.batch);
      } else if (s.kind === 'layer') s.call.args.forEach((a) => value(a.value));
      else if (s.kind === 'let') {
        if (s.annotation) value(s.annotation);
        s.chain.forEach((c) => c.args.forEach((a) => value(a.value)));
      }
    }
    for (const b of [m.train, m.data]) b?.entries.forEach((e) => value(e.value));
  }
}

/**
 * Convert a checked source (`models`: its IR, without errors) to `to`. Never throws on a spec that
 * checked clean; returns the IR printer's text when the lossless spelling is not possible.
 */
export function convertSpec(
  source: string,
  file: string,
  from: SpecFormat,
  to: SpecFormat,
  models: readonly IRModel[],
): ConvertResult {
  const fallback = (): ConvertResult => ({
    text: to === 'yaml' ? models.map((m) => printYaml(m)).join('---\n') : models.map((m) => printLstm(m)).join('\n'),
    lossless: false,
  });
  try {
    const parsed = parseSpec(source, file, LAYER_SYNTAX, from);
    if (parsed.diagnostics.some((d) => d.severity === 'error')) return fallback();
    const comments = commentsOf(source, from);
    const attached = attachComments(parsed.spec, comments, source);
    let text: string | undefined;
    if (to === 'yaml') text = printYamlSpec(parsed.spec, attached, LAYER_SYNTAX);
    else {
      positionalMain(parsed.spec);
      bareParams(parsed.spec);
      const printed = printLstmSpec(parsed.spec, attached, '\n', { blankBeforeBlocks: from === 'yaml' });
      text = printed.lost.length === 0 ? printed.text : undefined;
    }
    if (text === undefined) return fallback();
    const again = checkSource(text, `converted.${to}`, { format: to });
    const sorted = (cs: SourceComment[]) => cs.map((c) => c.text).sort();
    const same =
      !again.diagnostics.some((d) => d.severity === 'error') &&
      comparableModels(again.models) === comparableModels(models) &&
      JSON.stringify(sorted(commentsOf(text, to))) === JSON.stringify(sorted(comments));
    return same ? { text, lossless: true } : fallback();
  } catch {
    return fallback();
  }
}
