/**
 * Pass 2: bind every layer call of the model against the layer table: the layer name, its arguments
 * (through the one binder, compiler/bind.ts), nested layers of wrappers, and the user's layer names
 * (reserved before any is generated, so generated names never collide with them).
 */
import { Diagnostics, replaceFix } from '../../base/diagnostics.js';
import { didYouMean } from '../../base/did-you-mean.js';
import type { Call, Statement, Value } from '../../grammar/ast.js';
import { pythonConstantHint } from '../../grammar/habits.js';
import { bindFields, camelCase, type BindIssue, type Entry } from '../bind.js';
import type { ArgValue, IRLayer } from '../ir.js';
import { getLayer, layerNames } from '../layers/table.js';
import type { LayerDef } from '../layers/types.js';
import { UNSUPPORTED_LAYERS } from '../layers/unsupported.js';
import { describeArgValue, exampleFor, expectedText } from '../schema.js';
import { describeValue } from './params.js';
import type { ModelState } from './state.js';

/** TF.js `isValidTensorName`: what a layer name may be. */
const TF_NAME_RE = /^[A-Za-z0-9][-A-Za-z0-9._/]*$/;

export function bindLayers(st: ModelState, ordered: readonly Statement[]): void {
  reserveUserNames(st);
  for (const s of ordered) {
    if (s.kind === 'layer') st.bound.set(s.call, bindCall(st, s.call, false));
    else if (s.kind === 'let') for (const c of s.chain) st.bound.set(c, bindCall(st, c, true));
  }
}

function reserveUserNames(st: ModelState): void {
  const visit = (c: Call): void => {
    for (const a of c.args) {
      // `name: "enc"`, or a bare word `name: enc` (a string too, unless it names a param).
      const v = a.value;
      const name = a.name === 'name' ? layerNameOf(st, v) : undefined;
      if (name !== undefined) {
        if (!TF_NAME_RE.test(name)) {
          st.err(Diagnostics.InvalidModelName, v.span, {
            name,
            reason:
              'a layer name must start with a letter or digit and contain only letters, digits, -, _, . and / (TensorFlow.js rejects others)',
          });
        }
        if (st.usedNames.has(name))
          st.err(Diagnostics.DuplicateName, v.span, { name }, 'Layer names must be unique in a model.');
        st.usedNames.add(name);
      }
      if (a.value.kind === 'call') visit(a.value.call);
    }
  };
  for (const s of st.decl.statements) {
    if (s.kind === 'layer') visit(s.call);
    else if (s.kind === 'let') s.chain.forEach(visit);
  }
}

/** The layer name a `name:` value gives: a string, a bare word, or a string param. */
function layerNameOf(st: ModelState, v: Value): string | undefined {
  if (v.kind === 'string') return v.value;
  if (v.kind !== 'ident') return undefined;
  const p = st.param(v.name);
  if (p === undefined) return v.dollar ? undefined : v.name;
  return typeof p === 'string' ? p : undefined;
}

/** Bind a call's arguments against the layer table. Reports and returns undefined on errors. */
export function bindCall(st: ModelState, call: Call, graph: boolean): IRLayer | undefined {
  const def = getLayer(call.name);
  if (!def) {
    reportUnknownLayer(st, call);
    // Still look inside nested calls for more errors.
    for (const a of call.args) if (a.value.kind === 'call') bindCall(st, a.value.call, graph);
    return undefined;
  }
  let inner: IRLayer | undefined;
  const entries: Entry[] = call.args.map((a) => {
    const e: Entry = { value: a.value, span: a.span };
    if (a.name !== undefined) e.name = a.name;
    if (a.nameSpan !== undefined) e.nameSpan = a.nameSpan;
    return e;
  });
  const bound = bindFields({ fields: def.args, main: def.main }, entries, st, (i) => reportArgIssue(st, def, call, i), {
    special: (name, spec, v) => {
      if (spec.type.kind === 'layer') {
        const l = bindNested(st, def, call, name, v, graph);
        if (l) inner = l;
        return l;
      }
      return bindValueRefs(st, def, call, name, v, graph);
    },
  });
  if (!bound.ok) return undefined;
  if (inner) {
    const innerDef = getLayer(inner.type)!;
    if (def.canWrap && !def.canWrap(innerDef)) {
      st.err(
        Diagnostics.NotAWrapper,
        bound.spans['layer'] ?? call.span,
        { layer: call.name, inner: inner.type },
        def.wrapHint,
      );
      return undefined;
    }
  }
  const layer: IRLayer = {
    type: def.name,
    args: bound.values,
    argSpans: bound.spans,
    argParams: bound.params,
    span: call.span,
  };
  if (inner) layer.inner = inner;
  return layer;
}

function reportUnknownLayer(st: ModelState, call: Call): void {
  const names = layerNames();
  const camel = camelCase(call.name);
  const direct = names.find((n) => n.toLowerCase() === camel.toLowerCase());
  if (direct === undefined) {
    const unsupported = Object.keys(UNSUPPORTED_LAYERS).find((n) => n.toLowerCase() === camel.toLowerCase());
    if (unsupported !== undefined) {
      st.err(Diagnostics.UnsupportedLayer, call.nameSpan, { name: call.name }, UNSUPPORTED_LAYERS[unsupported]);
      return;
    }
  }
  const meant = didYouMean(call.name, names);
  const hint = direct
    ? `Did you mean "${direct}"? Layer names are tf.layers factory names in camelCase.`
    : meant !== undefined
      ? `Did you mean "${meant}"?`
      : undefined;
  const to = direct ?? meant;
  st.err(
    Diagnostics.UnknownLayer,
    call.nameSpan,
    { name: call.name },
    hint,
    to !== undefined ? [replaceFix(call.nameSpan, call.name, to)] : undefined,
  );
}

/** A wrapper's inner layer: a call, or a bare layer name (`timeDistributed(flatten)`). */
function bindNested(
  st: ModelState,
  def: LayerDef,
  call: Call,
  name: string,
  v: Value,
  graph: boolean,
): IRLayer | undefined {
  if (v.kind === 'call') return bindCall(st, v.call, graph);
  if (v.kind === 'ident' && getLayer(v.name))
    return bindCall(st, { name: v.name, nameSpan: v.span, args: [], span: v.span }, graph);
  st.err(Diagnostics.ArgumentType, v.span, {
    name,
    layer: call.name,
    expected: expectedText(def.args[name]!.type),
    got: describeValue(v),
  });
  return undefined;
}

/** `initialState: [h, c]`: value names, resolved later by the shape pass. Graph form only. */
function bindValueRefs(
  st: ModelState,
  def: LayerDef,
  call: Call,
  name: string,
  v: Value,
  graph: boolean,
): ArgValue | undefined {
  const items = v.kind === 'list' ? v.items : [v];
  const names: string[] = [];
  for (const it of items) {
    if (it.kind !== 'ident' || it.dollar) {
      st.err(Diagnostics.ArgumentType, it.span, {
        name,
        layer: call.name,
        expected: expectedText(def.args[name]!.type),
        got: describeValue(it),
      });
      return undefined;
    }
    names.push(it.name);
  }
  if (!graph) {
    st.err(
      Diagnostics.InitialStateMismatch,
      v.span,
      { message: 'initialState is only available in the graph form.' },
      st.format === 'yaml'
        ? 'Use a graph step: `graph: [{let: out, from: x, layers: [{lstm: {units: 32, initialState: [h, c]}}]}]`.'
        : 'Use `let out = x -> lstm(..., initialState: [h, c])`.',
    );
    return undefined;
  }
  return names;
}

/** A binder issue as the layer diagnostics say it (LSTM2002-2007, 2010, 2011). */
function reportArgIssue(st: ModelState, def: LayerDef, call: Call, i: BindIssue): void {
  const layer = call.name;
  switch (i.kind) {
    case 'unknown':
      st.err(
        Diagnostics.UnknownArgument,
        i.span,
        { what: 'Layer', layer, name: i.name },
        i.hint,
        i.suggestion !== undefined ? [replaceFix(i.span, i.name, i.suggestion)] : undefined,
      );
      return;
    case 'duplicate':
      st.err(Diagnostics.DuplicateArgument, i.span, { name: i.name });
      return;
    case 'positional':
      st.err(
        Diagnostics.TooManyPositional,
        i.span,
        { layer, max: i.max, got: i.got },
        positionalHint(def, layer, i.value),
      );
      return;
    case 'missing': {
      const example = exampleFor(i.spec.type);
      let hint: string | undefined;
      if (st.format === 'yaml') {
        hint =
          i.main && call.args.length === 0
            ? `Give it as the value: \`- ${layer}: ${example}\`.`
            : `Add \`${i.name}: ${example}\` to its arguments.`;
      } else hint = i.main ? `Pass it first: \`${layer}(${example})\`.` : `Add \`${i.name}: ${example}\`.`;
      st.err(Diagnostics.MissingArgument, call.span, { layer, name: i.name }, hint);
      return;
    }
    case 'undefinedParam': {
      const hint =
        pythonConstantHint(i.name, st.format, 'value') ??
        i.hint ??
        (i.dollar
          ? `Declare it with ${st.spell(`\`param ${i.name} = ...\``, `\`params: {${i.name}: ...}\``)}.`
          : `${i.field} must be ${expectedText(i.type)}; \`${i.name}\` is not a declared param.`);
      st.err(
        Diagnostics.UndefinedParam,
        i.span,
        { name: i.name },
        hint,
        i.suggestion !== undefined && hint === i.hint ? [replaceFix(i.span, i.name, i.suggestion)] : undefined,
      );
      return;
    }
    case 'value': {
      const p = i.problem;
      const shown = i.resolved
        ? i.resolved.param !== undefined
          ? `${i.resolved.param} = ${describeArgValue(i.resolved.value)}`
          : describeArgValue(i.resolved.value)
        : describeValue(i.value);
      if (p.problem === 'enum') {
        const value = String(i.resolved?.value);
        const dm = didYouMean(value, p.values);
        const python = i.value.kind === 'ident' ? pythonConstantHint(value, st.format, 'value') : undefined;
        st.err(
          Diagnostics.UnknownEnumValue,
          i.span,
          { value, what: p.what },
          python ?? (dm ? `Did you mean "${dm}"?` : `Expected one of: ${p.values.join(', ')}.`),
          python === undefined && dm !== undefined && i.resolved?.param === undefined
            ? [replaceFix(i.span, value, dm)]
            : undefined,
        );
      } else if (p.problem === 'range') {
        const list = Array.isArray(i.resolved?.value) && def.args[i.name]?.type.kind === 'intList';
        const hint = def.args[i.name]?.rangeHint;
        st.err(
          Diagnostics.ArgumentRange,
          i.span,
          { name: i.name, layer, range: p.range, got: list ? JSON.stringify(i.resolved!.value) : shown },
          hint,
        );
      } else if (p.problem === 'length') {
        st.err(Diagnostics.ArgumentType, i.span, {
          name: i.name,
          layer,
          expected: p.expected,
          got: `a list of ${p.got}`,
        });
      } else {
        const python = i.value.kind === 'ident' ? pythonConstantHint(i.value.name, st.format, 'value') : undefined;
        st.err(Diagnostics.ArgumentType, i.span, { name: i.name, layer, expected: p.expected, got: shown }, python);
      }
      return;
    }
  }
}

/** Hint for an extra positional argument: the argument it was probably meant for (Keras `Dense(10, 'softmax')`). */
function positionalHint(def: LayerDef, layer: string, v: Value): string {
  if (def.main.length === 0) return `${layer} takes only named arguments.`;
  const word = v.kind === 'ident' && !v.dollar ? v.name : v.kind === 'string' ? v.value : undefined;
  if (word !== undefined) {
    for (const [k, spec] of Object.entries(def.args)) {
      if (spec.type.kind === 'enum' && spec.type.values.includes(word)) return `Name it: \`${k}: ${word}\`.`;
    }
  }
  const others = Object.keys(def.args).filter((k) => !def.main.includes(k) && k !== 'initialState');
  return `Only ${def.main.join(', ')} ${def.main.length === 1 ? 'is' : 'are'} positional; name the others (${others.slice(0, 6).join(', ')}${others.length > 6 ? ', ...' : ''}).`;
}
