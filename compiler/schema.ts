/**
 * The one schema language for everything a spec configures with `name: value`: layer arguments,
 * optimizer arguments, `train { }` keys and `data { }` keys. A `FieldSpec` says the type (with range
 * or enum), the Keras 2 default, whether it is required, and one line of documentation.
 *
 * `checkValue` is the one value rule: it normalises a plain value (`ArgValue`) against a type or
 * returns a structured problem (never a message to be re-parsed). The binder (compiler/bind.ts) uses
 * it for values written in a spec; the runtime uses it (through compiler/data-schema.ts) for the same
 * data options, so both agree on every type, range and default.
 *
 * Pure: no tfjs, no file system, never throws.
 */
import type { ArgValue } from './ir.js';

export type ValueType =
  | { kind: 'int'; min?: number; max?: number }
  | { kind: 'float'; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }
  | { kind: 'bool' }
  /** A string; `nonEmpty` rejects "". */
  | { kind: 'string'; nonEmpty?: boolean }
  /**
   * An identifier or string from a fixed set (activation, padding, loss, ...). `aliases` map other
   * accepted spellings to their canonical value (mse → meanSquaredError); `caseInsensitive` accepts
   * any case (data options such as `scale: MinMax`).
   */
  | {
      kind: 'enum';
      values: readonly string[];
      what: string;
      aliases?: Readonly<Record<string, string>>;
      caseInsensitive?: boolean;
    }
  /** An int or a list of ints of the given length (kernelSize: 3 or [3]; poolSize: [2, 2]). */
  | { kind: 'intOrList'; length: number; min?: number }
  /** A list of ints (permute dims, reshape targetShape which may hold one -1). */
  | { kind: 'intList'; min?: number; allowMinusOne?: boolean; minLength?: number; maxLength?: number }
  /** A list of values of one type; a single value is a list of one (`metrics: accuracy`). */
  | { kind: 'list'; item: ValueType }
  /** A CSV column: a header name (string) or a 0-based index (int). */
  | { kind: 'column' }
  /** A nested layer call (wrappers). Bound by the layer binder. */
  | { kind: 'layer' }
  /** Graph-only: a list of value names (initialState). Resolved by the checker, not passed as config. */
  | { kind: 'valueRefs' }
  /** A value whose form the block's own binder handles (the optimizer name-or-call, earlyStopping). */
  | { kind: 'custom'; expected: string };

export interface FieldSpec {
  type: ValueType;
  /** Keras 2 default; lowered explicitly. `undefined` = no default (argument optional or required). */
  default?: ArgValue;
  required?: boolean;
  /** false: not part of the TF.js config (e.g. initialState, which goes to `apply`). */
  tf?: boolean;
  doc: string;
  /** Said with an out-of-range value (permute's 1-based dims). */
  rangeHint?: string;
}

/** A set of named fields, the first `main` of which may also be given positionally. */
export interface Schema {
  fields: Readonly<Record<string, FieldSpec>>;
  main?: readonly string[];
}

/** Why a value does not fit its type: data for a diagnostic, never a message. */
export type ValueProblem =
  | { problem: 'type'; expected: string }
  | { problem: 'range'; range: string }
  | { problem: 'enum'; what: string; values: readonly string[] }
  /** A list of the wrong length (intOrList / intList). */
  | { problem: 'length'; expected: string; got: number };

export type Checked = { ok: true; value: ArgValue } | ({ ok: false } & ValueProblem);

/** Integers beyond this are not exact in float64 (the .lstm and YAML front ends read numbers as such). */
export const MAX_INT = Number.MAX_SAFE_INTEGER;

type Range = { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean };

function inRange(r: Range, n: number): boolean {
  if (r.min !== undefined && (r.minExclusive ? n <= r.min : n < r.min)) return false;
  if (r.max !== undefined && (r.maxExclusive ? n >= r.max : n > r.max)) return false;
  return true;
}

/** `≥ 1 and ≤ 10`, `> 0`, or '' when unbounded. */
export function rangeText(r: Range): string {
  const lo = r.min !== undefined ? `${r.minExclusive ? '>' : '≥'} ${r.min}` : undefined;
  const hi = r.max !== undefined ? `${r.maxExclusive ? '<' : '≤'} ${r.max}` : undefined;
  if (lo && hi) return `${lo} and ${hi}`;
  return lo ?? hi ?? '';
}

/** What a value of type `t` is, in words: "an integer", "one of tanh, relu". */
export function expectedText(t: ValueType): string {
  switch (t.kind) {
    case 'int':
      return 'an integer';
    case 'float':
      return 'a number';
    case 'bool':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'enum':
      return `one of ${t.values.join(', ')}`;
    case 'intOrList':
      return t.length === 1 ? 'an integer' : `an integer or a list of ${t.length} integers`;
    case 'intList':
      return 'a list of integers';
    case 'list':
      return `a list of ${expectedText(t.item).replace(/^(an?|one of) /, '')}`;
    case 'column':
      return 'a column name (string) or a 0-based column index';
    case 'layer':
      return 'a layer, e.g. lstm(32)';
    case 'valueRefs':
      return 'a list of value names, e.g. [h, c]';
    case 'custom':
      return t.expected;
  }
}

/** The type with its range in words: "an integer ≥ 1", "a number ≥ 0 and < 1". */
export function expectedWithRange(t: ValueType): string {
  const base = expectedText(t);
  if (t.kind !== 'int' && t.kind !== 'float') return base;
  const r = rangeText(t);
  return r ? `${base} ${r}` : base;
}

/** A value as users see it in messages. */
export function describeArgValue(v: ArgValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return `layer ${v.type}(...)`;
  if (typeof v === 'string') return `"${v}"`;
  return String(v);
}

/** A typical value of the type, for hints (`lstm(32)`, `kernelSize: [2, 2]`). */
export function exampleFor(t: ValueType): string {
  switch (t.kind) {
    case 'int':
      return String(t.min === undefined || t.min <= 1 ? 32 : t.min);
    case 'float':
      return '0.5';
    case 'bool':
      return 'true';
    case 'string':
      return '"name"';
    case 'enum':
      return t.values[0] ?? '...';
    case 'intOrList':
      return t.length === 1 ? '3' : `[${new Array(t.length).fill(2).join(', ')}]`;
    case 'intList':
      return '[2, 1]';
    case 'list':
      return `[${exampleFor(t.item)}]`;
    case 'column':
      return '"close"';
    case 'layer':
      return 'lstm(32)';
    case 'valueRefs':
      return '[h, c]';
    case 'custom':
      return '...';
  }
}

/** The canonical enum value for `v`, or undefined. */
export function enumValue(t: Extract<ValueType, { kind: 'enum' }>, v: string): string | undefined {
  if (t.values.includes(v)) return v;
  if (t.aliases && Object.hasOwn(t.aliases, v)) return t.aliases[v];
  if (t.caseInsensitive) {
    const lower = v.toLowerCase();
    return t.values.find((x) => x.toLowerCase() === lower);
  }
  return undefined;
}

/** Every spelling an enum accepts (values and aliases), for did-you-mean. */
export function enumSpellings(t: Extract<ValueType, { kind: 'enum' }>): string[] {
  return [...t.values, ...Object.keys(t.aliases ?? {})];
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

/**
 * Checks a plain value against its type and normalises it (enum aliases to canonical values, a single
 * list item to a list). `layer`, `valueRefs` and `custom` values are bound by their block and pass.
 */
export function checkValue(t: ValueType, v: ArgValue): Checked {
  const type = (): Checked => ({ ok: false, problem: 'type', expected: expectedText(t) });
  switch (t.kind) {
    case 'int':
      if (!isInt(v)) return type();
      if (!inRange(t, v) || Math.abs(v) > MAX_INT)
        return { ok: false, problem: 'range', range: rangeText(t) || `≤ ${MAX_INT}` };
      return { ok: true, value: v };
    case 'float':
      if (typeof v !== 'number' || !Number.isFinite(v)) return type();
      if (!inRange(t, v)) return { ok: false, problem: 'range', range: rangeText(t) };
      return { ok: true, value: v };
    case 'bool':
      return typeof v === 'boolean' ? { ok: true, value: v } : type();
    case 'string':
      return typeof v === 'string' && (!t.nonEmpty || v !== '') ? { ok: true, value: v } : type();
    case 'enum': {
      if (typeof v !== 'string') return type();
      const hit = enumValue(t, v);
      return hit !== undefined
        ? { ok: true, value: hit }
        : { ok: false, problem: 'enum', what: t.what, values: enumSpellings(t) };
    }
    case 'intOrList': {
      const list = typeof v === 'number' ? [v] : Array.isArray(v) ? v : undefined;
      if (!list || !list.every(isInt)) return type();
      if (Array.isArray(v) && v.length !== t.length)
        return { ok: false, problem: 'length', expected: expectedText(t), got: v.length };
      const min = t.min ?? 1;
      if ((list as number[]).some((x) => x < min)) return { ok: false, problem: 'range', range: `≥ ${min}` };
      return { ok: true, value: Array.isArray(v) ? v.slice() : v };
    }
    case 'intList': {
      if (!Array.isArray(v) || !v.every(isInt)) return type();
      const list = v as number[];
      if (t.minLength !== undefined && list.length < t.minLength) {
        return {
          ok: false,
          problem: 'length',
          expected: `a list of at least ${t.minLength} integer(s)`,
          got: list.length,
        };
      }
      if (t.maxLength !== undefined && list.length > t.maxLength) {
        return {
          ok: false,
          problem: 'length',
          expected: `a list of at most ${t.maxLength} integers`,
          got: list.length,
        };
      }
      const min = t.min ?? 1;
      const minusOnes = t.allowMinusOne ? list.filter((x) => x === -1).length : 0;
      if (list.some((x) => x < min && !(x === -1 && t.allowMinusOne)) || minusOnes > 1) {
        return {
          ok: false,
          problem: 'range',
          range: t.allowMinusOne ? 'positive integers and at most one -1' : `integers ≥ ${min}`,
        };
      }
      return { ok: true, value: list.slice() };
    }
    case 'list': {
      const items = Array.isArray(v) ? v : [v];
      const out: ArgValue[] = [];
      for (const it of items) {
        const r = checkValue(t.item, it);
        if (!r.ok) return r;
        out.push(r.value);
      }
      return { ok: true, value: out };
    }
    case 'column':
      if (typeof v === 'string' && v !== '') return { ok: true, value: v };
      if (isInt(v) && v >= 0) return { ok: true, value: v };
      return type();
    case 'layer':
    case 'valueRefs':
    case 'custom':
      return { ok: true, value: v };
  }
}

/** The value a field takes when it is absent: a copy of its default. */
export function defaultOf(spec: FieldSpec): ArgValue | undefined {
  const copy = (v: ArgValue): ArgValue => (Array.isArray(v) ? v.map(copy) : v);
  return spec.default === undefined ? undefined : copy(spec.default);
}
