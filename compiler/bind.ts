/**
 * The one binder: `name: value` entries written in a spec (a layer call's arguments, an optimizer
 * call's arguments, the keys of `train { }`, `earlyStopping { }` and `data { }`) against a `Schema`
 * (compiler/schema.ts). It resolves params, places positional (main) arguments, checks every value
 * with `checkValue`, fills Keras 2 defaults, and reports what is wrong as structured `BindIssue`s:
 * each block maps them to its own diagnostic codes, so the checking itself exists once.
 *
 * Hints for the mistakes people bring from Python and Keras (snake_case names, `input_shape` on a
 * layer) are made here, for every block alike, in the spelling of the file (.lstm or YAML).
 *
 * Pure; never throws.
 */
import { didYouMean } from '../base/did-you-mean.js';
import type { Span } from '../base/span.js';
import type { Value } from '../grammar/ast.js';
import type { ArgValue } from './ir.js';
import {
  checkValue,
  defaultOf,
  expectedText,
  type FieldSpec,
  type Schema,
  type ValueProblem,
  type ValueType,
} from './schema.js';

export type ParamValue = number | string | boolean;

/** One `name: value` (or positional value) as written. */
export interface Entry {
  name?: string;
  nameSpan?: Span;
  value: Value;
  span: Span;
}

/** How names in values resolve: the model's params. */
export interface Scope {
  /**
   * The param's value, 'poisoned' when its declaration was invalid (already reported), else undefined.
   * `at` is where the name is read (recorded as a use of the param for editors).
   */
  param(name: string, at?: Span): ParamValue | 'poisoned' | undefined;
  paramNames(): Iterable<string>;
  /** The spelling of the file, for hints. */
  format: 'lstm' | 'yaml';
}

/** A value as resolved from the source: the literal, or a param's value with the param's name. */
export interface Resolved {
  value: ArgValue;
  param?: string;
}

export type BindIssue =
  /** `suggestion`: the known name it was probably meant to be (camelCase or did-you-mean). */
  | { kind: 'unknown'; name: string; span: Span; hint: string | undefined; suggestion?: string | undefined }
  | { kind: 'duplicate'; name: string; span: Span }
  | { kind: 'positional'; span: Span; max: number; got: number; value: Value }
  | { kind: 'missing'; name: string; spec: FieldSpec; main: boolean }
  /** The value does not fit; `resolved` is set when it was a literal or a param (not a nested call). */
  | {
      kind: 'value';
      name: string;
      span: Span;
      value: Value;
      type: ValueType;
      resolved: Resolved | undefined;
      problem: ValueProblem;
    }
  | {
      kind: 'undefinedParam';
      name: string;
      dollar: boolean;
      span: Span;
      field: string;
      type: ValueType;
      hint: string | undefined;
      suggestion?: string | undefined;
    };

export interface Bound {
  /** Every field that was given or has a default (failed ones are absent). */
  values: Record<string, ArgValue>;
  /** Where each given field's value is. */
  spans: Record<string, Span>;
  /** Fields whose value came from a param, and the param's name. */
  params: Record<string, string>;
  /** Where each given field's name (or positional value) is. */
  keySpans: Record<string, Span>;
  ok: boolean;
}

export interface BindOptions {
  /** Binds values of kind `layer`, `valueRefs` and `custom`; undefined: failed (it reported why). */
  special?: (field: string, spec: FieldSpec, v: Value) => ArgValue | undefined;
  /** Fill defaults of absent fields (default true). */
  defaults?: boolean;
  /** What the fields are called in hints: 'Arguments' (layers, optimizers) or 'Keys' (blocks). */
  noun?: string;
}

const SNAKE = /_([a-z0-9])/g;
export const camelCase = (name: string): string => name.replace(SNAKE, (_, c: string) => c.toUpperCase());

/** Keras arguments that say the input shape: in lstmc the model's `input` declares it once. */
const INPUT_SHAPE_ARGS = new Set([
  'inputShape',
  'batchInputShape',
  'inputLength',
  'inputDim',
  'batchSize',
  'batchShape',
]);

/** The hint for an unknown field: camelCase spelling, Keras habits, did-you-mean, or the known names. */
export function unknownFieldHint(
  name: string,
  fields: readonly string[],
  format: Scope['format'],
  noun = 'Arguments',
): string | undefined {
  const camel = camelCase(name);
  if (camel !== name && fields.includes(camel)) return `Did you mean "${camel}"? ${noun} are camelCase TF.js names.`;
  if (INPUT_SHAPE_ARGS.has(camel) && !fields.includes(camel)) {
    return format === 'yaml'
      ? 'The model declares its input shape once, without the batch: `inputs: {x: [60, 1]}`.'
      : 'The model declares its input shape once, without the batch: `input x: [60, 1]`.';
  }
  const m = didYouMean(name, fields);
  if (m !== undefined) return `Did you mean "${m}"?`;
  return fields.length > 0 ? `Known ${noun.toLowerCase()}: ${fields.join(', ')}.` : undefined;
}

/** The known name an unknown field was probably meant to be: its camelCase spelling, or the closest. */
export function unknownFieldSuggestion(name: string, fields: readonly string[]): string | undefined {
  const camel = camelCase(name);
  if (camel !== name && fields.includes(camel)) return camel;
  return didYouMean(name, fields);
}

/** Resolve a written value to a plain value: params substituted, names kept where the type takes names. */
export function resolveValue(
  v: Value,
  type: ValueType,
  scope: Scope,
  field: string,
  report: (i: BindIssue) => void,
): Resolved | 'failed' | 'wrong-kind' {
  switch (v.kind) {
    case 'int':
    case 'float':
      // A literal that is not a finite number was reported by the front end.
      return Number.isFinite(v.value) ? { value: v.value } : 'failed';
    case 'string':
      return { value: v.value };
    case 'bool':
      return { value: v.value };
    case 'unknown':
      return { value: null };
    case 'ident': {
      const p = scope.param(v.name, v.span);
      if (p === 'poisoned') return 'failed';
      if (p !== undefined) return { value: p, param: v.name };
      if (!v.dollar && takesNames(type)) return { value: v.name };
      const hint = didYouMean(v.name, scope.paramNames());
      report({
        kind: 'undefinedParam',
        name: v.name,
        dollar: v.dollar,
        span: v.span,
        field,
        type,
        hint: hint !== undefined ? `Did you mean "${hint}"?` : undefined,
        suggestion: hint,
      });
      return 'failed';
    }
    case 'list': {
      const items: ArgValue[] = [];
      const itemType = type.kind === 'list' ? type.item : type;
      for (const it of v.items) {
        if (it.kind === 'list' || it.kind === 'call' || it.kind === 'block') return 'wrong-kind';
        const r = resolveValue(it, itemType, scope, field, report);
        if (r === 'failed' || r === 'wrong-kind') return r;
        items.push(r.value);
      }
      return { value: items };
    }
    case 'call':
    case 'block':
      return 'wrong-kind';
  }
}

/** Types whose values are names (`activation: relu`, `loss: mse`), so a bare name is a literal. */
function takesNames(t: ValueType): boolean {
  return t.kind === 'enum' || t.kind === 'string' || t.kind === 'column' || (t.kind === 'list' && takesNames(t.item));
}

/**
 * Bind entries against a schema. Issues go to `report`; the result holds what bound (with defaults).
 */
export function bindFields(
  schema: Schema,
  entries: readonly Entry[],
  scope: Scope,
  report: (i: BindIssue) => void,
  options: BindOptions = {},
): Bound {
  const fields = schema.fields;
  const main = schema.main ?? [];
  const names = Object.keys(fields);
  const out: Bound = { values: {}, spans: {}, params: {}, keySpans: {}, ok: true };
  const given = new Set<string>();
  let positional = 0;
  const positionalCount = entries.filter((e) => e.name === undefined).length;
  for (const e of entries) {
    let name: string;
    if (e.name === undefined) {
      if (positional >= main.length) {
        report({ kind: 'positional', span: e.span, max: main.length, got: positionalCount, value: e.value });
        out.ok = false;
        positional++;
        continue;
      }
      name = main[positional++]!;
    } else {
      name = e.name;
      if (!Object.hasOwn(fields, name)) {
        report({
          kind: 'unknown',
          name,
          span: e.nameSpan ?? e.span,
          hint: unknownFieldHint(name, names, scope.format, options.noun),
          suggestion: unknownFieldSuggestion(name, names),
        });
        out.ok = false;
        continue;
      }
    }
    if (given.has(name)) {
      report({ kind: 'duplicate', name, span: e.nameSpan ?? e.span });
      out.ok = false;
      continue;
    }
    given.add(name);
    out.spans[name] = e.value.span;
    out.keySpans[name] = e.nameSpan ?? e.span;
    const spec = fields[name]!;
    const bound = bindValue(name, spec, e.value, scope, report, options);
    if (bound === undefined) {
      out.ok = false;
      continue;
    }
    out.values[name] = bound.value;
    if (bound.param !== undefined) out.params[name] = bound.param;
  }
  for (const [name, spec] of Object.entries(fields)) {
    if (given.has(name)) continue;
    if (spec.required) {
      report({ kind: 'missing', name, spec, main: main.includes(name) });
      out.ok = false;
      continue;
    }
    if (options.defaults !== false) {
      const d = defaultOf(spec);
      if (d !== undefined) out.values[name] = d;
    }
  }
  return out;
}

/** One value against its field spec. */
export function bindValue(
  name: string,
  spec: FieldSpec,
  v: Value,
  scope: Scope,
  report: (i: BindIssue) => void,
  options: BindOptions = {},
): Resolved | undefined {
  const t = spec.type;
  if (t.kind === 'layer' || t.kind === 'valueRefs' || t.kind === 'custom') {
    const value = options.special?.(name, spec, v);
    return value === undefined ? undefined : { value };
  }
  const r = resolveValue(v, t, scope, name, report);
  if (r === 'failed') return undefined;
  if (r === 'wrong-kind') {
    report({
      kind: 'value',
      name,
      span: v.span,
      value: v,
      type: t,
      resolved: undefined,
      problem: { problem: 'type', expected: expectedText(t) },
    });
    return undefined;
  }
  const c = checkValue(t, r.value);
  if (!c.ok) {
    const { ok: _ok, ...problem } = c;
    report({ kind: 'value', name, span: v.span, value: v, type: t, resolved: r, problem });
    return undefined;
  }
  return r.param !== undefined ? { value: c.value, param: r.param } : { value: c.value };
}

/** Entries of a `{ key: value }` block. */
export function blockEntries(entries: readonly { key: string; keySpan: Span; value: Value; span: Span }[]): Entry[] {
  return entries.map((e) => ({ name: e.key, nameSpan: e.keySpan, value: e.value, span: e.span }));
}
