/**
 * Pass 3: walk the ordered statements, thread values through the bound layers and infer every
 * shape with the layer table's pure shape rules. Builds the model's inputs and nodes, resolves
 * `initialState` and destructuring, checks typed `let`s, and collects the outputs.
 *
 * A step that fails poisons the names it defines, so later uses of them say nothing more (no
 * cascades).
 */
import { Diagnostics, type DiagnosticFix } from '../../base/diagnostics.js';
import { didYouMeanHint } from '../../base/did-you-mean.js';
import type { Span } from '../../base/span.js';
import type { Call, LetStmt, Name, Statement, Value } from '../../grammar/ast.js';
import { pythonConstantHint } from '../../grammar/habits.js';
import type { Dim, IRInput, IRNode, Shape, ValueRef } from '../ir.js';
import { formatShape } from '../layers/common.js';
import { getLayer, instanceOf, stateShapesOf } from '../layers/table.js';
import type { LayerDef } from '../layers/types.js';
import { MAX_INT } from '../schema.js';
import { describeValue } from './params.js';
import type { Binding, ModelState } from './state.js';

export interface Outputs {
  refs: ValueRef[];
  shapes: Shape[];
  /** The node that produced each output (undefined for an input used as output). */
  producers: (IRNode | undefined)[];
  /** The user's name of each output: the `output a, b` names, else the producing node's (or input's) name. */
  names: string[];
}

/** Infers shapes through the ordered statements; returns the model's outputs. */
export function inferShapes(st: ModelState, ordered: readonly Statement[]): Outputs {
  let outputStmt: Extract<Statement, { kind: 'output' }> | undefined;
  for (const s of ordered) {
    switch (s.kind) {
      case 'param':
        break;
      case 'input':
        lowerInput(st, s);
        break;
      case 'layer':
        lowerBareLayer(st, s.call);
        break;
      case 'let':
        st.sawGraphFeature = true;
        lowerLet(st, s);
        break;
      case 'output':
        st.sawGraphFeature = true;
        if (outputStmt)
          st.err(
            Diagnostics.DuplicateName,
            s.span,
            { name: 'output' },
            st.spell('Name all outputs in one `output a, b` line.', 'Name all outputs in one `outputs: [a, b]` list.'),
          );
        outputStmt = s;
        break;
    }
  }
  return collectOutputs(st, outputStmt);
}

function collectOutputs(st: ModelState, outputStmt: Extract<Statement, { kind: 'output' }> | undefined): Outputs {
  const out: Outputs = { refs: [], shapes: [], producers: [], names: [] };
  const push = (ref: ValueRef, shape: Shape, producer: IRNode | undefined, name = ref.node): void => {
    out.refs.push(ref);
    out.shapes.push(shape);
    out.producers.push(producer);
    out.names.push(name);
  };
  if (outputStmt) {
    for (const n of outputStmt.names) {
      const b = st.lookup(n);
      if (!b) continue;
      if (b.multi !== undefined) {
        st.err(
          Diagnostics.OutputIsNotTensor,
          n.span,
          { name: n.name },
          `It holds several outputs (returnState: true); destructure them with ${st.destructureExample()}.`,
        );
        continue;
      }
      push(b.ref, b.shape, b.producer, n.name);
    }
  } else if (st.current) {
    const b = st.current;
    b.used = true;
    if (b.multi === undefined) push(b.ref, b.shape, b.producer);
    else if (b.producer) {
      // A final layer with returnState and no destructuring: all its outputs are model outputs.
      const p = b.producer;
      p.outputShapes.forEach((sh, i) =>
        push({ node: b.ref.node, index: i }, sh, p, i === 0 ? b.ref.node : `${b.ref.node}_${i}`),
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------- inputs

function lowerInput(st: ModelState, s: Extract<Statement, { kind: 'input' }>): void {
  const name = s.name.name;
  if (st.env.has(name) || st.params.has(name)) {
    st.err(Diagnostics.DuplicateName, s.name.span, { name });
    return;
  }
  const shape: Shape = [];
  const dimParams: (string | undefined)[] = [];
  let ok = true;
  if (s.shape.kind !== 'list') {
    st.err(Diagnostics.InvalidInputDim, s.shape.span, {
      dim: describeValue(s.shape),
      reason: 'an input shape is a list of dimensions, e.g. [5, 10]',
    });
    ok = false;
  } else {
    if (s.shape.items.length === 0) {
      st.err(Diagnostics.InvalidInputDim, s.shape.span, {
        dim: '[]',
        reason: 'an input needs at least one dimension (the batch dimension is implicit)',
      });
      ok = false;
    }
    for (const item of s.shape.items) {
      const d = lowerDim(st, item, 'input');
      if (d === undefined) {
        ok = false;
        continue;
      }
      shape.push(d.dim);
      dimParams.push(d.param);
    }
  }
  const input: IRInput = { name, shape, dimParams, span: s.span };
  if (s.batch !== undefined) {
    const batch = lowerBatch(st, name, s.batch);
    if (batch === undefined) ok = false;
    else {
      input.batch = batch.value;
      if (batch.param !== undefined) input.batchParam = batch.param;
    }
  }
  if (ok) st.inputs.push(input);
  const b: Binding = { ref: { node: name, index: 0 }, shape, span: s.name.span, used: false, kind: 'input' };
  if (!ok) {
    // Reported above; uses of it are skipped silently, and it is not "unused" either.
    b.used = true;
    b.poisoned = true;
  }
  st.env.set(name, b);
  st.current = ok ? b : undefined;
}

/** The declared batch size of an input (`batch 25`, `batch B`): a positive integer or a param holding one. */
function lowerBatch(st: ModelState, input: string, v: Value): { value: number; param?: string } | undefined {
  const bad = (value: string, reason: string, hint?: string): undefined => {
    st.err(Diagnostics.InvalidBatch, v.span, { value, name: input, reason }, hint);
    return undefined;
  };
  if (v.kind === 'int' || v.kind === 'float') {
    if (!Number.isFinite(v.value)) return undefined; // reported by the front end
    if (v.kind === 'float' || !Number.isInteger(v.value)) return bad(v.raw, 'a batch size is a whole number');
    if (v.value <= 0) return bad(v.raw, 'a batch size must be positive');
    if (v.value > MAX_INT) return bad(v.raw, 'too large');
    return { value: v.value };
  }
  if (v.kind === 'ident') {
    const p = st.params.get(v.name);
    if (!p) {
      if (v.dollar) {
        st.err(Diagnostics.UndefinedParam, v.span, { name: v.name }, didYouMeanHint(v.name, st.params.keys()));
        return undefined;
      }
      return bad(
        v.name,
        'a batch size is a number or a param, not a symbol',
        didYouMeanHint(v.name, st.params.keys()) ?? 'Declare it with `param ' + v.name + ' = 25`, or write the number.',
      );
    }
    st.uses.push({ name: v.name, span: v.span });
    if (p.poisoned) return undefined;
    if (typeof p.value !== 'number' || !Number.isInteger(p.value) || p.value <= 0 || p.value > MAX_INT)
      return bad(`${v.name} = ${JSON.stringify(p.value)}`, 'a batch size param must be a positive integer');
    return { value: p.value, param: v.name };
  }
  if (v.kind === 'unknown') return bad('?', 'omit `batch` for an unknown batch size');
  return bad(describeValue(v), 'a batch size is a positive whole number, e.g. `batch 25`');
}

/** A dimension in an input shape or a typed-let annotation. */
function lowerDim(
  st: ModelState,
  item: Value,
  where: 'input' | 'annotation',
): { dim: Dim; param?: string } | undefined {
  if (item.kind === 'int' || item.kind === 'float') {
    if (!Number.isFinite(item.value)) return undefined;
    if (item.kind === 'float' || !Number.isInteger(item.value)) {
      st.err(Diagnostics.InvalidInputDim, item.span, { dim: item.raw, reason: 'dimensions are whole numbers' });
      return undefined;
    }
    if (item.value <= 0) {
      st.err(
        Diagnostics.InvalidInputDim,
        item.span,
        { dim: item.raw, reason: 'dimensions must be positive' },
        where === 'input' ? 'Use `?` for an unknown dimension or a symbol such as `T` for a named one.' : undefined,
      );
      return undefined;
    }
    if (item.value > MAX_INT) {
      st.err(Diagnostics.InvalidInputDim, item.span, { dim: item.raw, reason: 'too large' });
      return undefined;
    }
    return { dim: item.value };
  }
  if (item.kind === 'unknown') return { dim: null };
  if (item.kind === 'ident') {
    const p = st.params.get(item.name);
    if (p) {
      st.uses.push({ name: item.name, span: item.span });
      if (p.poisoned) return undefined;
      if (typeof p.value !== 'number' || !Number.isInteger(p.value) || p.value <= 0) {
        st.err(Diagnostics.InvalidInputDim, item.span, {
          dim: `${item.name} = ${JSON.stringify(p.value)}`,
          reason: 'a dimension param must be a positive integer',
        });
        return undefined;
      }
      return { dim: p.value, param: item.name };
    }
    if (item.dollar) {
      st.err(Diagnostics.UndefinedParam, item.span, { name: item.name }, didYouMeanHint(item.name, st.params.keys()));
      return undefined;
    }
    const python = pythonConstantHint(item.name, st.format, 'dimension');
    if (python !== undefined) {
      st.err(
        Diagnostics.InvalidInputDim,
        item.span,
        { dim: item.name, reason: 'a dimension is an integer, a param, a symbol such as T, or ?' },
        python,
      );
      return undefined;
    }
    return { dim: item.name }; // a symbol
  }
  if (item.kind === 'string') {
    const unquoted = item.value.trim();
    st.err(
      Diagnostics.InvalidInputDim,
      item.span,
      { dim: JSON.stringify(item.value), reason: 'a dimension is not a quoted string' },
      /^(\?|[A-Za-z_][A-Za-z0-9_]*|\d+)$/.test(unquoted)
        ? `Write it without quotes: \`${unquoted}\`${unquoted === '?' && st.format === 'yaml' ? ' (or `null`)' : ''}.`
        : undefined,
    );
    return undefined;
  }
  const nested = item.kind === 'list';
  st.err(
    Diagnostics.InvalidInputDim,
    item.span,
    {
      dim: nested ? '[...]' : describeValue(item),
      reason: nested
        ? 'a dimension cannot be a nested list'
        : 'a dimension is an integer, a param, a symbol such as T, or ?',
    },
    nested ? 'A shape is one flat list, e.g. [5, 10].' : undefined,
  );
  return undefined;
}

// ---------------------------------------------------------------- layers

function genName(st: ModelState, def: LayerDef): string {
  const base = snakeCase(def.className);
  let n = st.nameCounters.get(base) ?? 0;
  let name: string;
  do {
    n++;
    name = `${base}_${n}`;
  } while (st.usedNames.has(name));
  st.nameCounters.set(base, n);
  st.usedNames.add(name);
  return name;
}

function snakeCase(className: string): string {
  return className
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/(\d)_d\b/, '$1d');
}

function lowerBareLayer(st: ModelState, call: Call): void {
  const from = st.current;
  // No input (already reported), or a preceding error: the call was bound in pass 2 for its own errors.
  if (!from) return;
  from.used = true;
  const node = applyCall(st, call, [from]);
  st.current = node ? bindingForNode(node, call.span, 'chain') : undefined;
}

function bindingForNode(node: IRNode, span: Span, kind: Binding['kind']): Binding {
  const b: Binding = {
    ref: { node: node.name, index: 0 },
    shape: node.outputShapes[0] ?? [],
    span,
    producer: node,
    used: false,
    kind,
  };
  if (node.outputShapes.length > 1) b.multi = node.outputShapes.length;
  return b;
}

function lowerLet(st: ModelState, s: LetStmt): void {
  // Sources.
  const sources: Binding[] = [];
  let ok = true;
  for (const f of s.from) {
    const b = st.lookup(f);
    if (!b) {
      ok = false;
      continue;
    }
    if (b.multi !== undefined && s.chain.length > 0) {
      st.err(
        Diagnostics.MultiOutputAsSingle,
        f.span,
        { layer: b.producer?.type ?? f.name, count: b.multi },
        `Destructure it first: ${st.destructureExample()}.`,
      );
      ok = false;
      continue;
    }
    sources.push(b);
  }
  let cur: Binding[] = sources;
  let last: IRNode | undefined;
  if (ok) {
    for (let i = 0; i < s.chain.length; i++) {
      const call = s.chain[i]!;
      if (i > 0 && last && last.outputShapes.length > 1) {
        st.err(
          Diagnostics.MultiOutputAsSingle,
          s.chain[i - 1]!.span,
          { layer: last.type, count: last.outputShapes.length },
          `Only the last layer of a chain may return several outputs; destructure it with ${st.destructureExample()}.`,
        );
        ok = false;
        break;
      }
      const node = applyCall(st, call, cur);
      if (!node) {
        ok = false;
        break;
      }
      last = node;
      cur = [bindingForNode(node, call.span, 'chain')];
      cur[0]!.used = true;
    }
  }
  if (!ok || cur.length === 0) {
    st.poison(s.targets);
    st.current = undefined;
    return;
  }
  if (s.chain.length === 0 && cur.length > 1) {
    st.err(
      Diagnostics.MultiOutputAsSingle,
      s.fromSpan,
      { layer: 'a list', count: cur.length },
      'A list of values can only feed a multi-input layer such as concatenate().',
    );
    st.poison(s.targets);
    return;
  }
  const result = cur[0]!;
  if (s.destructure) destructure(st, s, result, last);
  else {
    const t = s.targets[0]!;
    if (s.annotation) checkAnnotation(st, s.annotation, result);
    define(st, t, result);
    st.current = st.env.get(t.name);
  }
}

function define(st: ModelState, t: Name, b: Binding): void {
  if (t.name === '_') return;
  const prev = st.env.get(t.name);
  if (prev && prev.span !== t.span) {
    st.err(Diagnostics.DuplicateName, t.span, { name: t.name }, `The first definition is on line ${prev.span.line}.`);
    return;
  }
  if (st.params.has(t.name)) {
    st.err(Diagnostics.DuplicateName, t.span, { name: t.name }, 'A param has this name.');
    return;
  }
  st.env.set(t.name, { ...b, span: t.span, used: false, kind: 'let' });
}

function destructure(st: ModelState, s: LetStmt, result: Binding, last: IRNode | undefined): void {
  const count = result.multi ?? 1;
  if (s.targets.length !== count) {
    const first = s.targets[0]!.span;
    const lastT = s.targets[s.targets.length - 1]!.span;
    const targetsSpan: Span = { ...first, endLine: lastT.endLine, endColumn: lastT.endColumn };
    if (lastT.endOffset !== undefined) targetsSpan.endOffset = lastT.endOffset;
    const lastDef = last ? getLayer(last.type) : undefined;
    const innerDef = last?.inner ? getLayer(last.inner.type) : undefined;
    const recurrent =
      lastDef?.category === 'recurrent' ? lastDef : innerDef?.category === 'recurrent' ? innerDef : undefined;
    let hint: string | undefined;
    if (count === 1 && recurrent) hint = 'Set `returnState: true` on the layer to get its states.';
    else if (count > 1 && last) {
      const names = ['out', ...(lastDef?.stateNames ?? [])];
      hint =
        lastDef?.category === 'recurrent' && names.length === count
          ? `An ${last.type} with returnState: true returns [output, ${names.slice(1).join(', ')}]: ${st.destructureExample(names)} (use _ for a value you do not need).`
          : `${last.type} returns ${count} values here: write ${count} names (use _ for a value you do not need).`;
    }
    st.err(Diagnostics.DestructureCount, targetsSpan, { want: s.targets.length, got: count }, hint);
    // The names exist, with unknown values: their uses say nothing more (no cascades).
    st.poison(s.targets);
    st.current = undefined;
    return;
  }
  s.targets.forEach((t, i) => {
    const shape = result.producer ? result.producer.outputShapes[i]! : result.shape;
    const b: Binding = {
      ref: { node: result.ref.node, index: result.producer ? i : result.ref.index },
      shape,
      span: t.span,
      used: false,
      kind: 'let',
    };
    if (result.producer) b.producer = result.producer;
    define(st, t, b);
  });
  const firstReal = s.targets.find((t) => t.name !== '_');
  st.current = firstReal ? st.env.get(firstReal.name) : undefined;
}

function checkAnnotation(st: ModelState, ann: Value, b: Binding): void {
  if (b.multi !== undefined) {
    st.err(
      Diagnostics.MultiOutputAsSingle,
      ann.span,
      { layer: b.producer?.type ?? 'value', count: b.multi },
      `Destructure it first: ${st.destructureExample()}.`,
    );
    return;
  }
  if (ann.kind !== 'list') {
    st.err(Diagnostics.InvalidInputDim, ann.span, {
      dim: describeValue(ann),
      reason: 'a shape annotation is a list of dimensions, e.g. [T, 93]',
    });
    return;
  }
  const declared: Shape = [];
  for (const item of ann.items) {
    const d = lowerDim(st, item, 'annotation');
    if (d === undefined) return;
    declared.push(d.dim);
  }
  const inferred = b.shape;
  const ok = declared.length === inferred.length && declared.every((d, i) => d === null || d === inferred[i]);
  if (ok) return;
  const diffs: string[] = [];
  if (declared.length !== inferred.length) diffs.push(`rank ${declared.length + 1} vs ${inferred.length + 1}`);
  else
    declared.forEach((d, i) => {
      const inf = inferred[i];
      if (d === null || d === inf) return;
      if (inf === null) diffs.push(`dimension ${i + 1}: ${d} is not provable (inferred unknown)`);
      else if (typeof inf === 'string' && typeof d === 'string')
        diffs.push(`dimension ${i + 1}: ${d} and ${inf} are not provably equal`);
      else diffs.push(`dimension ${i + 1}: ${d} vs ${inf}`);
    });
  st.err(
    Diagnostics.AssertionFailed,
    ann.span,
    { declared: formatShape(declared), inferred: formatShape(inferred) },
    diffs.length ? `Differs in ${diffs.join('; ')}.` : undefined,
  );
}

/** Apply a bound call to input bindings; creates an IRNode or reports and returns undefined. */
function applyCall(st: ModelState, call: Call, from: Binding[]): IRNode | undefined {
  const layer = st.bound.get(call);
  if (!layer) return undefined;
  const def = getLayer(layer.type)!;
  const inst = instanceOf(layer)!;
  const name = typeof layer.args['name'] === 'string' ? (layer.args['name'] as string) : genName(st, def);

  for (const b of from) {
    if (b.multi !== undefined) {
      st.err(
        Diagnostics.MultiOutputAsSingle,
        call.span,
        { layer: b.producer?.type ?? 'value', count: b.multi },
        `Destructure it first: ${st.destructureExample()}.`,
      );
      return undefined;
    }
    if (b.poisoned) return undefined;
  }
  if (from.length < def.inputs.min || from.length > def.inputs.max) {
    const { min, max } = def.inputs;
    const expected = max === Infinity ? `at least ${min}` : min === max ? `${min}` : `${min} to ${max}`;
    st.err(
      Diagnostics.InputCount,
      call.nameSpan,
      { layer: call.name, expected, got: from.length },
      min >= 2
        ? `Feed it a list: ${st.spell(`\`let m = [a, b] -> ${call.name}()\``, `\`{let: m, from: [a, b], layers: [${call.name}]}\``)}.`
        : undefined,
    );
    return undefined;
  }

  // initialState (graph form): as many states, of the shapes, as the layer keeps.
  let initialState: ValueRef[] | undefined;
  const initialStateNames = layer.args['initialState'];
  if (Array.isArray(initialStateNames)) {
    initialState = [];
    const stateSpan = layer.argSpans['initialState'] ?? call.span;
    const refs: Binding[] = [];
    for (const nm of initialStateNames as string[]) {
      const b = st.lookup({ name: nm, span: stateSpan });
      if (!b) return undefined;
      if (b.poisoned) return undefined;
      refs.push(b);
      initialState.push(b.ref);
    }
    const expected = stateShapesOf(inst);
    if (refs.length !== expected.length) {
      st.err(
        Diagnostics.InitialStateMismatch,
        stateSpan,
        { message: `${call.name} takes ${expected.length} initial state(s), got ${refs.length}.` },
        def.stateNames && def.stateNames.length === expected.length
          ? `An ${call.name} takes [${def.stateNames.join(', ')}].`
          : undefined,
      );
      return undefined;
    }
    for (let i = 0; i < refs.length; i++) {
      const sh = refs[i]!.shape;
      const want = expected[i]!;
      const units = want[0];
      if (sh.length !== want.length || (typeof sh[0] === 'number' && typeof units === 'number' && sh[0] !== units)) {
        st.err(
          Diagnostics.InitialStateMismatch,
          stateSpan,
          {
            message: `Initial state ${initialStateNames[i]} has shape ${formatShape(sh)}, but ${call.name}(${units ?? '?'}) needs ${formatShape(want)}.`,
          },
          'The encoder and decoder must have the same number of units.',
        );
        return undefined;
      }
    }
  }

  const inputShapes = from.map((b) => b.shape);
  const res = def.outputShapes(inst, inputShapes);
  if (!res.ok) {
    const e = res.error;
    const span = (e.argName && (layer.argSpans[e.argName] ?? layer.inner?.argSpans[e.argName])) || call.span;
    const classic = e.key === 'RankMismatch' ? classicHint(st, call, from[0], def) : undefined;
    const hint = classic ?? e.hint;
    const fixes = classic !== undefined ? returnSequencesFix(st, from[0]?.producer) : undefined;
    st.bag.add(Diagnostics[e.key], span, e.args, hint, fixes);
    return undefined;
  }
  const node: IRNode = {
    ...layer,
    name,
    inputs: from.map((b) => b.ref),
    inputShapes,
    outputShapes: res.shapes,
    params: def.paramCount(inst, inputShapes),
  };
  if (initialState) node.initialState = initialState;
  st.nodes.push(node);
  st.nodeOf.set(call, node);
  return node;
}

/**
 * The edit behind "add `returnSequences: true` to it": on the recurrent layer (or the one a wrapper
 * wraps) that returns only its last output. `returnSequences: false` written out becomes `true`; in
 * `.lstm` the argument goes before the call's `)`; in YAML `- lstm: 20` becomes
 * `- lstm: {units: 20, returnSequences: true}` and a flow mapping `{units: 20}` gets it before its
 * `}` (a block mapping gets no edit: its indentation is the editor's business).
 */
function returnSequencesFix(st: ModelState, producer: IRNode | undefined): DiagnosticFix[] | undefined {
  const layer = producer?.inner ?? producer;
  const def = layer ? getLayer(layer.type) : undefined;
  if (!layer || !def || def.args['returnSequences'] === undefined) return undefined;
  const title = `Add \`returnSequences: true\` to the ${layer.type} on line ${layer.span.line}`;
  const given = layer.argSpans['returnSequences'];
  if (given) return [{ title, edits: [{ span: given, newText: 'true' }] }];
  const call = callWithSpan(st, layer.span);
  // A recurrent layer needs its units, so its call has arguments.
  if (!call || call.args.length === 0) return undefined;
  const s = call.span;
  const lastChar = (): Span => {
    const at: Span = {
      file: s.file,
      line: s.endLine,
      column: s.endColumn - 1,
      endLine: s.endLine,
      endColumn: s.endColumn,
    };
    if (s.endOffset !== undefined) {
      at.offset = s.endOffset - 1;
      at.endOffset = s.endOffset;
    }
    return at;
  };
  if (st.format === 'lstm')
    return [{ title, edits: [{ span: lastChar(), oldText: ')', newText: ', returnSequences: true)' }] }];
  const only = call.args[0]!;
  if (call.args.length === 1 && only.name === undefined && def.main.length > 0) {
    const v = only.value;
    const raw = v.kind === 'int' ? v.raw : v.kind === 'ident' ? `${v.dollar ? '$' : ''}${v.name}` : undefined;
    if (raw === undefined) return undefined;
    return [{ title, edits: [{ span: v.span, newText: `{${def.main[0]}: ${raw}, returnSequences: true}` }] }];
  }
  if (call.args.every((a) => a.name !== undefined))
    return [{ title, edits: [{ span: lastChar(), oldText: '}', newText: ', returnSequences: true}' }] }];
  return undefined;
}

/** The layer call (top-level or nested in a wrapper) with this span. */
function callWithSpan(st: ModelState, span: Span): Call | undefined {
  const visit = (c: Call): Call | undefined => {
    if (c.span === span) return c;
    for (const a of c.args) {
      const found = a.value.kind === 'call' ? visit(a.value.call) : undefined;
      if (found) return found;
    }
    return undefined;
  };
  for (const c of st.bound.keys()) {
    const found = visit(c);
    if (found) return found;
  }
  return undefined;
}

/** The classic mistakes, said in words a Keras user knows. */
function classicHint(st: ModelState, call: Call, from: Binding | undefined, def: LayerDef): string | undefined {
  const producer = from?.producer;
  if (!producer || !def.readsSequence) {
    if (!producer && from && from.kind === 'input' && def.category === 'recurrent' && from.shape.length === 1) {
      return `An ${call.name} reads [timesteps, features]; declare the input with a time dimension, e.g. ${st.inputExample(from.ref.node, `T, ${from.shape[0]}`)}.`;
    }
    return undefined;
  }
  const pdef = getLayer(producer.type);
  const innerRecurrent = producer.inner && getLayer(producer.inner.type)?.category === 'recurrent';
  if ((pdef?.category === 'recurrent' || innerRecurrent) && producer.outputShapes[0]?.length === 1) {
    const where = producer.span.line;
    return `The ${producer.inner?.type ?? producer.type} on line ${where} returns only its last output; add \`returnSequences: true\` to it (line ${where}) so it passes the whole sequence to this ${call.name}.`;
  }
  if (producer.outputShapes[0]?.length === 1) {
    return `The ${producer.type} on line ${producer.span.line} produces one vector per example; to feed this ${call.name}, use repeatVector(n) or keep the time dimension.`;
  }
  return undefined;
}
