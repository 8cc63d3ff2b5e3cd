/**
 * Pass 1a: the model's params, with `--param` overrides applied. A param whose declaration is
 * invalid is kept as poisoned, so its uses are skipped silently (no cascades).
 */
import { Diagnostics } from '../../base/diagnostics.js';
import type { Value } from '../../grammar/ast.js';
import type { ParamValue } from '../bind.js';
import type { ModelState } from './state.js';

/** Parse a `--param` value as typed on the command line. */
export function parseParamOverride(raw: string): ParamValue {
  const t = raw.trim();
  if (/^[+-]?\d+$/.test(t)) return Number(t);
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (t === 'true') return true;
  if (t === 'false') return false;
  return t;
}

/** A value as users see it in messages: `integer 5`, `name relu`, `layer lstm(...)`. */
export function describeValue(v: Value): string {
  switch (v.kind) {
    case 'int':
      return `integer ${v.raw}`;
    case 'float':
      return `number ${v.raw}`;
    case 'string':
      return `string ${JSON.stringify(v.value)}`;
    case 'bool':
      return `boolean ${v.value}`;
    case 'ident':
      return `name ${v.dollar ? '$' : ''}${v.name}`;
    case 'unknown':
      return '?';
    case 'list':
      return 'a list';
    case 'call':
      return `layer ${v.call.name}(...)`;
    case 'block':
      return 'a block';
  }
}

export function collectParams(st: ModelState): void {
  for (const s of st.decl.statements) {
    if (s.kind !== 'param') continue;
    const name = s.name.name;
    const prev = st.params.get(name);
    if (prev) {
      st.err(Diagnostics.DuplicateName, s.name.span, { name }, `The first definition is on line ${prev.span.line}.`);
      continue;
    }
    const v = s.value;
    let value: ParamValue;
    if (v.kind === 'int' || v.kind === 'float') {
      if (!Number.isFinite(v.value)) {
        // The front end already reported it.
        st.params.set(name, { value: 0, span: s.name.span, poisoned: true });
        continue;
      }
      value = v.value;
    } else if (v.kind === 'string' || v.kind === 'bool') value = v.value;
    else if (v.kind === 'ident' && !v.dollar) value = v.name;
    else {
      st.err(Diagnostics.ParamValue, v.span, {
        name,
        reason: `expected a number, string, boolean or name, got ${describeValue(v)}`,
      });
      st.params.set(name, { value: 0, span: s.name.span, poisoned: true });
      continue;
    }
    const raw = st.overrides[name];
    if (raw !== undefined) value = parseParamOverride(raw);
    st.params.set(name, { value, span: s.name.span });
  }
}
