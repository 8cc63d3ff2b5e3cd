/**
 * AST -> checked IR. Resolves params (with `--param` overrides), binds every layer call against the
 * layer table (argument schema, defaults, did-you-mean), orders graph steps (forward references are
 * fine; cycles are diagnosed), infers and checks shapes through sequential and graph models, and
 * validates the `train` and `data` blocks.
 *
 * Never throws on bad input: everything becomes a diagnostic; a model with errors is not returned.
 * Shape functions come from the layer table and are pure; this module only threads values through.
 */
import type { Call, LetStmt, ModelDecl, Name, SpecFile, Span, Statement, Value } from '../grammar/ast.js';
import { DiagnosticBag, Diagnostics, type DiagnosticDef } from '../base/diagnostics.js';
import { didYouMean, didYouMeanHint } from '../base/did-you-mean.js';
import type { ArgValue, Dim, IRInput, IRLayer, IRModel, IRNode, Shape, ValueRef } from './ir.js';
import { getLayer, instanceOf, layerNames, stateShapesOf } from './layers/table.js';
import { formatShape } from './layers/common.js';
import type { ArgSpec, ArgType, LayerDef } from './layers/types.js';
import { lowerData, lowerTrain, checkLossAgainstOutputs } from './train.js';

export interface LowerOptions {
  /** `--param name=value` overrides (raw strings). */
  params?: Record<string, string>;
  /**
   * The front end reported syntax errors, so the AST is partial: do not report what is probably a
   * consequence of a dropped statement (no input, no layers, unused values).
   */
  afterSyntaxErrors?: boolean;
}

export interface LowerResult {
  models: IRModel[];
  /** All models, including those with errors (partially lowered), for tools that want them. */
  diagnostics: DiagnosticBag;
}

type ParamValue = number | string | boolean;

interface ParamEntry {
  value: ParamValue;
  span: Span;
  /** Its declaration was invalid (already reported): uses are silently skipped (no cascades). */
  poisoned?: boolean;
}

/** A named value in the model's environment. */
interface Binding {
  ref: ValueRef;
  shape: Shape;
  span: Span;
  /** The node that produced it (undefined for inputs). */
  producer?: IRNode;
  used: boolean;
  /** A whole multi-output node bound to one name (error when used). */
  multi?: number;
  kind: 'input' | 'let' | 'chain';
  /** Defined by a step that failed: uses are silently skipped (no cascades). */
  poisoned?: boolean;
}

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** TF.js `isValidTensorName`: what a layer name may be. */
const TF_NAME_RE = /^[A-Za-z0-9][-A-Za-z0-9._/]*$/;
const MAX_INT = Number.MAX_SAFE_INTEGER;

export function lowerSpec(spec: SpecFile, options: LowerOptions = {}): LowerResult {
  const bag = new DiagnosticBag();
  const models: IRModel[] = [];
  const seen = new Map<string, Span>();
  const overrides = options.params ?? {};
  const declaredAnywhere = new Set<string>();
  for (const m of spec.models) for (const s of m.statements) if (s.kind === 'param') declaredAnywhere.add(s.name.name);
  for (const name of Object.keys(overrides)) {
    if (!declaredAnywhere.has(name)) {
      const span = spec.models[0]?.name.span ?? spec.span;
      bag.add(Diagnostics.UndefinedParam, span, { name }, didYouMeanHint(name, declaredAnywhere) ?? 'Declare it with `param ' + name + ' = ...` or drop the --param override.');
    }
  }
  for (const m of spec.models) {
    const prev = seen.get(m.name.name);
    if (prev) bag.add(Diagnostics.DuplicateModel, m.name.span, { name: m.name.name }, `The first definition is on line ${prev.line}.`);
    else seen.set(m.name.name, m.name.span);
    const before = bag.errorCount;
    const model = new ModelLowering(m, spec, bag, overrides, options.afterSyntaxErrors === true).run();
    if (model && bag.errorCount === before) models.push(model);
  }
  return { models, diagnostics: bag };
}

/** Parse a `--param` value as typed on the command line. */
export function parseParamOverride(raw: string): ParamValue {
  const t = raw.trim();
  if (/^[+-]?\d+$/.test(t)) return Number(t);
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (t === 'true') return true;
  if (t === 'false') return false;
  return t;
}

function snakeCase(className: string): string {
  return className
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/(\d)_d\b/, '$1d');
}

function describeValue(v: Value): string {
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

function describeArgValue(v: ArgValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return `layer ${v.type}(...)`;
  if (typeof v === 'string') return `"${v}"`;
  return String(v);
}

function expectedText(t: ArgType): string {
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
    case 'layer':
      return 'a layer, e.g. lstm(32)';
    case 'valueRefs':
      return 'a list of value names, e.g. [h, c]';
  }
}

function rangeText(t: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }): string {
  const lo = t.min !== undefined ? `${t.minExclusive ? '>' : '≥'} ${t.min}` : undefined;
  const hi = t.max !== undefined ? `${t.maxExclusive ? '<' : '≤'} ${t.max}` : undefined;
  if (lo && hi) return `${lo} and ${hi}`;
  return lo ?? hi ?? 'in range';
}

class ModelLowering {
  private readonly params = new Map<string, ParamEntry>();
  private readonly env = new Map<string, Binding>();
  private readonly nodes: IRNode[] = [];
  private readonly inputs: IRInput[] = [];
  private readonly nameCounters = new Map<string, number>();
  private readonly usedNames = new Set<string>();
  private readonly file: string;
  /** The value a bare layer line continues from. */
  private current: Binding | undefined;
  private sawGraphFeature = false;

  constructor(
    private readonly m: ModelDecl,
    spec: SpecFile,
    private readonly bag: DiagnosticBag,
    private readonly overrides: Record<string, string>,
    private readonly afterSyntaxErrors = false,
  ) {
    this.file = spec.file;
  }

  private err(def: DiagnosticDef, span: Span, args: Record<string, unknown> = {}, hint?: string): void {
    this.bag.add(def, span, args, hint);
  }

  run(): IRModel | undefined {
    const m = this.m;
    if (!IDENT_RE.test(m.name.name)) {
      this.err(Diagnostics.InvalidModelName, m.name.span, { name: m.name.name, reason: 'a model name must be an identifier (letters, digits, _; not starting with a digit)' });
    }
    this.collectParams();
    // Reserve user-given layer names first so generated ones never collide with them.
    this.reserveUserNames();
    const ordered = this.orderStatements();
    let outputStmt: Extract<Statement, { kind: 'output' }> | undefined;
    for (const s of ordered) {
      switch (s.kind) {
        case 'param':
          break;
        case 'input':
          this.lowerInput(s);
          break;
        case 'layer':
          this.lowerBareLayer(s.call);
          break;
        case 'let':
          this.sawGraphFeature = true;
          this.lowerLet(s);
          break;
        case 'output':
          this.sawGraphFeature = true;
          if (outputStmt) this.err(Diagnostics.DuplicateName, s.span, { name: 'output' }, 'Name all outputs in one `output a, b` line.');
          outputStmt = s;
          break;
      }
    }
    // An input that is declared but invalid was reported where it is; do not also say "no input".
    const declaresInput = m.statements.some((s) => s.kind === 'input');
    if (!declaresInput && !this.afterSyntaxErrors) {
      this.err(Diagnostics.NoInput, m.name.span, { model: m.name.name });
    }
    const hasLayers = m.statements.some((s) => s.kind === 'layer' || (s.kind === 'let' && s.chain.length > 0));
    if (!hasLayers && declaresInput && !this.afterSyntaxErrors) {
      this.err(Diagnostics.EmptyModel, m.name.span, { model: m.name.name }, 'Add a layer line such as `lstm(32)` after the input.');
    }

    // Outputs.
    const outputs: ValueRef[] = [];
    const outputShapes: Shape[] = [];
    const outputProducers: (IRNode | undefined)[] = [];
    if (outputStmt) {
      for (const n of outputStmt.names) {
        const b = this.lookup(n);
        if (!b) continue;
        if (b.multi !== undefined) {
          this.err(Diagnostics.OutputIsNotTensor, n.span, { name: n.name }, 'It holds several outputs (returnState: true); destructure them with `let [out, h, c] = ...`.');
          continue;
        }
        outputs.push(b.ref);
        outputShapes.push(b.shape);
        outputProducers.push(b.producer);
      }
    } else if (this.current) {
      const b = this.current;
      b.used = true;
      if (b.multi === undefined) {
        outputs.push(b.ref);
        outputShapes.push(b.shape);
        outputProducers.push(b.producer);
      } else if (b.producer) {
        // A final layer with returnState and no destructuring: all its outputs are model outputs.
        b.producer.outputShapes.forEach((sh, i) => {
          outputs.push({ node: b.ref.node, index: i });
          outputShapes.push(sh);
          outputProducers.push(b.producer);
        });
      }
    }

    // Unused values (not after syntax errors: the statement using one may have been dropped).
    for (const [name, b] of this.env) {
      if (!this.afterSyntaxErrors && !b.used && b.kind !== 'chain' && !name.startsWith('_')) {
        this.err(Diagnostics.UnusedValue, b.span, { name }, b.kind === 'input' ? 'Remove the input or feed it to a layer.' : 'Feed it to a layer or list it in `output`.');
      }
    }

    const train = lowerTrain(m.train, m.trainSpan ?? m.span, this.bag, (v) => this.resolveIdentValue(v));
    const data = m.data ? lowerData(m.data, m.dataSpan ?? m.data.span, this.bag, (v) => this.resolveIdentValue(v), this.inputs, outputShapes) : undefined;
    if (outputs.length > 0) checkLossAgainstOutputs(train, outputProducers, m.trainSpan ?? m.span, this.bag);

    const kind = this.isSequential() ? 'sequential' : 'functional';
    const params: Record<string, ParamValue> = {};
    for (const [k, p] of this.params) params[k] = p.value;
    const model: IRModel = {
      name: m.name.name,
      file: this.file,
      span: m.span,
      kind,
      params,
      inputs: this.inputs,
      nodes: this.nodes,
      outputs,
      outputShapes,
      train,
    };
    if (data) model.data = data;
    return model;
  }

  private isSequential(): boolean {
    if (this.sawGraphFeature || this.inputs.length !== 1) return false;
    return this.nodes.every((n) => n.inputs.length === 1 && !n.initialState && n.outputShapes.length === 1);
  }

  // ---------------------------------------------------------------- params

  private collectParams(): void {
    for (const s of this.m.statements) {
      if (s.kind !== 'param') continue;
      const name = s.name.name;
      if (this.params.has(name)) {
        this.err(Diagnostics.DuplicateName, s.name.span, { name }, `The first definition is on line ${this.params.get(name)!.span.line}.`);
        continue;
      }
      let value: ParamValue | undefined;
      const v = s.value;
      if (v.kind === 'int' || v.kind === 'float') {
        if (!Number.isFinite(v.value)) {
          // The parser already reported it.
          this.params.set(name, { value: 0, span: s.name.span, poisoned: true });
          continue;
        }
        value = v.value;
      } else if (v.kind === 'string') value = v.value;
      else if (v.kind === 'bool') value = v.value;
      else if (v.kind === 'ident' && !v.dollar) value = v.name;
      else {
        this.err(Diagnostics.ParamValue, v.span, { name, reason: `expected a number, string, boolean or name, got ${describeValue(v)}` });
        this.params.set(name, { value: 0, span: s.name.span, poisoned: true });
        continue;
      }
      const raw = this.overrides[name];
      if (raw !== undefined) value = parseParamOverride(raw);
      this.params.set(name, { value, span: s.name.span });
    }
  }

  /** Resolve a bare identifier or `$name` value to a param's value if it names one. */
  private resolveIdentValue(v: Value): { value: ParamValue; param?: string } | undefined {
    if (v.kind !== 'ident') return undefined;
    const p = this.params.get(v.name);
    if (p) {
      if (p.poisoned) return undefined;
      return { value: p.value, param: v.name };
    }
    if (v.dollar) {
      this.err(Diagnostics.UndefinedParam, v.span, { name: v.name }, didYouMeanHint(v.name, this.params.keys()) ?? `Declare it with \`param ${v.name} = ...\`.`);
      return undefined;
    }
    return { value: v.name };
  }

  // ---------------------------------------------------------------- ordering

  /**
   * Orders statements so each one comes after the values it reads (forward references between
   * `let`s are allowed); a bare layer line depends on the value-defining statement before it.
   * Cycles are reported once and their statements dropped.
   */
  private orderStatements(): Statement[] {
    const stmts = this.m.statements;
    const definer = new Map<string, number>();
    stmts.forEach((s, i) => {
      if (s.kind === 'input') {
        if (!definer.has(s.name.name)) definer.set(s.name.name, i);
      } else if (s.kind === 'let') {
        for (const t of s.targets) if (t.name !== '_' && !definer.has(t.name)) definer.set(t.name, i);
      }
    });
    const deps: number[][] = stmts.map(() => []);
    let lastValue = -1;
    stmts.forEach((s, i) => {
      if (s.kind === 'layer') {
        if (lastValue >= 0) deps[i]!.push(lastValue);
        for (const n of refsInCall(s.call)) {
          const d = definer.get(n);
          if (d !== undefined && d !== i) deps[i]!.push(d);
        }
        lastValue = i;
      } else if (s.kind === 'let') {
        const names = [...s.from.map((f) => f.name), ...s.chain.flatMap(refsInCall)];
        for (const n of names) {
          const d = definer.get(n);
          if (d !== undefined && d !== i) deps[i]!.push(d);
        }
        lastValue = i;
      } else if (s.kind === 'input') {
        lastValue = i;
      } else if (s.kind === 'output') {
        for (const n of s.names) {
          const d = definer.get(n.name);
          if (d !== undefined && d !== i) deps[i]!.push(d);
        }
      }
    });
    // Kahn's algorithm, lowest source index first: source order whenever it is valid.
    const n = stmts.length;
    const indeg = new Array<number>(n).fill(0);
    const users: number[][] = stmts.map(() => []);
    deps.forEach((ds, i) => {
      for (const d of new Set(ds)) {
        indeg[i]!++;
        users[d]!.push(i);
      }
    });
    const ready: number[] = [];
    for (let i = 0; i < n; i++) if (indeg[i] === 0) ready.push(i);
    const out: Statement[] = [];
    const done = new Array<boolean>(n).fill(false);
    // ready is kept sorted; n is small relative to the cost of lowering, and pushes are in order mostly.
    while (ready.length > 0) {
      let minIdx = 0;
      for (let k = 1; k < ready.length; k++) if (ready[k]! < ready[minIdx]!) minIdx = k;
      const i = ready[minIdx]!;
      ready[minIdx] = ready[ready.length - 1]!;
      ready.pop();
      done[i] = true;
      out.push(stmts[i]!);
      for (const u of users[i]!) if (--indeg[u]! === 0) ready.push(u);
    }
    if (out.length < n) {
      // Report each cycle once.
      const reported = new Set<number>();
      for (let i = 0; i < n; i++) {
        if (done[i] || reported.has(i)) continue;
        const found = findCycle(i, deps, done);
        // A statement downstream of a cycle finds the same cycle again: report it once.
        if (!found || found.some((c) => reported.has(c))) continue;
        found.forEach((c) => reported.add(c));
        // Start the path at the statement that comes first in the source, and point at what it reads.
        const at = found.indexOf(Math.min(...found));
        const cycle = [...found.slice(at), ...found.slice(0, at)];
        const names = cycle.map((c) => stmtName(stmts[c]!));
        const first = stmts[cycle[0]!]!;
        const span = first.kind === 'let' ? first.fromSpan : first.span;
        this.err(Diagnostics.Cycle, span, { path: [...names, names[0]].join(' -> ') }, 'A value cannot depend on itself; break the loop.');
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- inputs

  private lowerInput(s: Extract<Statement, { kind: 'input' }>): void {
    const name = s.name.name;
    if (this.env.has(name) || this.params.has(name)) {
      this.err(Diagnostics.DuplicateName, s.name.span, { name });
      return;
    }
    const shape: Shape = [];
    const dimParams: (string | undefined)[] = [];
    let ok = true;
    if (s.shape.kind !== 'list') {
      this.err(Diagnostics.InvalidInputDim, s.shape.span, { dim: describeValue(s.shape), reason: 'an input shape is a list of dimensions, e.g. [5, 10]' });
      ok = false;
    } else {
      if (s.shape.items.length === 0) {
        this.err(Diagnostics.InvalidInputDim, s.shape.span, { dim: '[]', reason: 'an input needs at least one dimension (the batch dimension is implicit)' });
        ok = false;
      }
      for (const item of s.shape.items) {
        const d = this.lowerDim(item, 'input');
        if (d === undefined) {
          ok = false;
          continue;
        }
        shape.push(d.dim);
        dimParams.push(d.param);
      }
    }
    const input: IRInput = { name, shape, dimParams, span: s.span };
    if (ok) this.inputs.push(input);
    const b: Binding = { ref: { node: name, index: 0 }, shape, span: s.name.span, used: false, kind: 'input' };
    if (!ok) {
      // Reported above; uses of it are skipped silently, and it is not "unused" either.
      b.used = true;
      b.poisoned = true;
    }
    this.env.set(name, b);
    this.current = ok ? b : undefined;
  }

  /** A dimension in an input shape or a typed-let annotation. */
  private lowerDim(item: Value, where: 'input' | 'annotation'): { dim: Dim; param?: string } | undefined {
    if (item.kind === 'int' || item.kind === 'float') {
      if (!Number.isFinite(item.value)) return undefined;
      if (item.kind === 'float' || !Number.isInteger(item.value)) {
        this.err(Diagnostics.InvalidInputDim, item.span, { dim: item.raw, reason: 'dimensions are whole numbers' });
        return undefined;
      }
      if (item.value <= 0) {
        this.err(Diagnostics.InvalidInputDim, item.span, { dim: item.raw, reason: 'dimensions must be positive' }, where === 'input' ? 'Use `?` for an unknown dimension or a symbol such as `T` for a named one.' : undefined);
        return undefined;
      }
      if (item.value > MAX_INT) {
        this.err(Diagnostics.InvalidInputDim, item.span, { dim: item.raw, reason: 'too large' });
        return undefined;
      }
      return { dim: item.value };
    }
    if (item.kind === 'unknown') return { dim: null };
    if (item.kind === 'ident') {
      const p = this.params.get(item.name);
      if (p) {
        if (p.poisoned) return undefined;
        if (typeof p.value !== 'number' || !Number.isInteger(p.value) || p.value <= 0) {
          this.err(Diagnostics.InvalidInputDim, item.span, { dim: `${item.name} = ${JSON.stringify(p.value)}`, reason: 'a dimension param must be a positive integer' });
          return undefined;
        }
        return { dim: p.value, param: item.name };
      }
      if (item.dollar) {
        this.err(Diagnostics.UndefinedParam, item.span, { name: item.name }, didYouMeanHint(item.name, this.params.keys()));
        return undefined;
      }
      return { dim: item.name }; // a symbol
    }
    this.err(Diagnostics.InvalidInputDim, item.span, { dim: item.kind === 'list' ? '[...]' : describeValue(item), reason: item.kind === 'list' ? 'a dimension cannot be a nested list' : 'a dimension is an integer, a param, a symbol such as T, or ?' }, item.kind === 'list' ? 'A shape is one flat list, e.g. [5, 10].' : undefined);
    return undefined;
  }

  // ---------------------------------------------------------------- layers

  private reserveUserNames(): void {
    const visit = (c: Call): void => {
      for (const a of c.args) {
        if (a.name === 'name' && a.value.kind === 'string') {
          if (!TF_NAME_RE.test(a.value.value)) {
            this.err(Diagnostics.InvalidModelName, a.value.span, { name: a.value.value, reason: 'a layer name must start with a letter or digit and contain only letters, digits, -, _, . and / (TensorFlow.js rejects others)' });
          }
          if (this.usedNames.has(a.value.value)) {
            this.err(Diagnostics.DuplicateName, a.value.span, { name: a.value.value }, 'Layer names must be unique in a model.');
          }
          this.usedNames.add(a.value.value);
        }
        if (a.value.kind === 'call') visit(a.value.call);
      }
    };
    for (const s of this.m.statements) {
      if (s.kind === 'layer') visit(s.call);
      else if (s.kind === 'let') s.chain.forEach(visit);
    }
  }

  private genName(def: LayerDef): string {
    const base = snakeCase(def.className);
    let n = this.nameCounters.get(base) ?? 0;
    let name: string;
    do {
      n++;
      name = `${base}_${n}`;
    } while (this.usedNames.has(name));
    this.nameCounters.set(base, n);
    this.usedNames.add(name);
    return name;
  }

  private lowerBareLayer(call: Call): void {
    const from = this.current;
    if (!from) {
      // No input (already reported), or a preceding error: still bind the call for argument errors.
      this.bindCall(call, false);
      return;
    }
    from.used = true;
    const node = this.applyCall(call, [from], undefined);
    if (!node) {
      this.current = undefined;
      return;
    }
    this.current = this.bindingForNode(node, call.span, 'chain');
  }

  private bindingForNode(node: IRNode, span: Span, kind: Binding['kind']): Binding {
    const b: Binding = { ref: { node: node.name, index: 0 }, shape: node.outputShapes[0] ?? [], span, producer: node, used: false, kind };
    if (node.outputShapes.length > 1) b.multi = node.outputShapes.length;
    return b;
  }

  private lookup(n: Name): Binding | undefined {
    const b = this.env.get(n.name);
    if (!b) {
      const candidates = [...this.env.keys()];
      const meant = didYouMean(n.name, candidates);
      // The misspelt use was meant for that value: do not also call it unused.
      if (meant !== undefined) this.env.get(meant)!.used = true;
      this.err(Diagnostics.UndefinedName, n.span, { name: n.name }, meant !== undefined ? `Did you mean "${meant}"?` : candidates.length ? `Defined names: ${candidates.slice(0, 8).join(', ')}.` : 'Declare an input first, e.g. `input x: [T, 1]`.');
      return undefined;
    }
    b.used = true;
    return b;
  }

  private lowerLet(s: LetStmt): void {
    // Sources.
    const sources: Binding[] = [];
    let ok = true;
    for (const f of s.from) {
      const b = this.lookup(f);
      if (!b) {
        ok = false;
        continue;
      }
      if (b.multi !== undefined && s.chain.length > 0) {
        this.err(Diagnostics.MultiOutputAsSingle, f.span, { layer: b.producer?.type ?? f.name, count: b.multi }, 'Destructure it first: `let [out, h, c] = ...`.');
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
          this.err(Diagnostics.MultiOutputAsSingle, s.chain[i - 1]!.span, { layer: last.type, count: last.outputShapes.length }, 'Only the last layer of a chain may return several outputs; destructure it with `let [out, h, c] = ...`.');
          ok = false;
          break;
        }
        const node = this.applyCall(call, cur, s);
        if (!node) {
          ok = false;
          break;
        }
        last = node;
        cur = [this.bindingForNode(node, call.span, 'chain')];
        cur[0]!.used = true;
      }
    } else {
      for (const call of s.chain) this.bindCall(call, false);
    }

    // Bind targets.
    const define = (t: Name, b: Binding | undefined): void => {
      if (t.name === '_') return;
      if (this.env.has(t.name) && this.env.get(t.name)!.span !== t.span) {
        this.err(Diagnostics.DuplicateName, t.span, { name: t.name }, `The first definition is on line ${this.env.get(t.name)!.span.line}.`);
        return;
      }
      if (this.params.has(t.name)) {
        this.err(Diagnostics.DuplicateName, t.span, { name: t.name }, 'A param has this name.');
        return;
      }
      if (b) this.env.set(t.name, { ...b, span: t.span, used: false, kind: 'let' });
    };
    if (!ok || cur.length === 0) {
      // Define the names anyway (with unknown shape) to avoid cascades of "undefined name".
      for (const t of s.targets) {
        if (t.name !== '_' && !this.env.has(t.name)) this.env.set(t.name, { ref: { node: t.name, index: 0 }, shape: [], span: t.span, used: true, kind: 'let', poisoned: true });
      }
      this.current = undefined;
      return;
    }
    if (s.chain.length === 0 && cur.length > 1) {
      this.err(Diagnostics.MultiOutputAsSingle, s.fromSpan, { layer: 'a list', count: cur.length }, 'A list of values can only feed a multi-input layer such as concatenate().');
      return;
    }
    const result = cur[0]!;
    if (s.destructure) {
      const count = result.multi ?? 1;
      if (s.targets.length !== count) {
        const first = s.targets[0]!.span;
        const lastT = s.targets[s.targets.length - 1]!.span;
        const targetsSpan: Span = { ...first, endLine: lastT.endLine, endColumn: lastT.endColumn };
        if (lastT.endOffset !== undefined) targetsSpan.endOffset = lastT.endOffset;
        const lastDef = last ? getLayer(last.type) : undefined;
        const recurrentType = last ? (lastDef?.category === 'recurrent' ? last.type : last.inner && getLayer(last.inner.type)?.category === 'recurrent' ? last.inner.type : undefined) : undefined;
        let hint: string | undefined;
        if (count === 1 && recurrentType) hint = 'Set `returnState: true` on the layer to get its states.';
        else if (count > 1 && last) hint = recurrentType === 'lstm' && last.type === 'lstm' ? 'An lstm with returnState: true returns [output, h, c]: `let [out, h, c] = ...` (use _ for a value you do not need).' : `${last.type} returns ${count} values here: write ${count} names (use _ for a value you do not need).`;
        this.err(Diagnostics.DestructureCount, targetsSpan, { want: s.targets.length, got: count }, hint);
        for (const t of s.targets) if (t.name !== '_' && !this.env.has(t.name)) this.env.set(t.name, { ref: { node: t.name, index: 0 }, shape: [], span: t.span, used: true, kind: 'let', poisoned: true });
        return;
      }
      s.targets.forEach((t, i) => {
        const shape = result.producer ? result.producer.outputShapes[i]! : result.shape;
        const b: Binding = { ref: { node: result.ref.node, index: result.producer ? i : result.ref.index }, shape, span: t.span, used: false, kind: 'let' };
        if (result.producer) b.producer = result.producer;
        define(t, b);
      });
      const firstReal = s.targets.find((t) => t.name !== '_');
      this.current = firstReal ? this.env.get(firstReal.name) : undefined;
    } else {
      const t = s.targets[0]!;
      if (s.annotation) this.checkAnnotation(s.annotation, result);
      define(t, result);
      this.current = this.env.get(t.name);
    }
  }

  private checkAnnotation(ann: Value, b: Binding): void {
    if (b.multi !== undefined) {
      this.err(Diagnostics.MultiOutputAsSingle, ann.span, { layer: b.producer?.type ?? 'value', count: b.multi }, 'Destructure it first: `let [out, h, c] = ...`.');
      return;
    }
    if (ann.kind !== 'list') {
      this.err(Diagnostics.InvalidInputDim, ann.span, { dim: describeValue(ann), reason: 'a shape annotation is a list of dimensions, e.g. [T, 93]' });
      return;
    }
    const declared: Shape = [];
    for (const item of ann.items) {
      const d = this.lowerDim(item, 'annotation');
      if (d === undefined) return;
      declared.push(d.dim);
    }
    const inferred = b.shape;
    const ok = declared.length === inferred.length && declared.every((d, i) => d === null || d === inferred[i]);
    if (!ok) {
      const diffs: string[] = [];
      if (declared.length !== inferred.length) diffs.push(`rank ${declared.length + 1} vs ${inferred.length + 1}`);
      else
        declared.forEach((d, i) => {
          if (d !== null && d !== inferred[i]) {
            const inf = inferred[i];
            diffs.push(inf === null ? `dimension ${i + 1}: ${d} is not provable (inferred unknown)` : typeof inf === 'string' && typeof d === 'string' ? `dimension ${i + 1}: ${d} and ${inf} are not provably equal` : `dimension ${i + 1}: ${d} vs ${inf}`);
          }
        });
      this.err(Diagnostics.AssertionFailed, ann.span, { declared: formatShape(declared), inferred: formatShape(inferred) }, diffs.length ? `Differs in ${diffs.join('; ')}.` : undefined);
    }
  }

  /** Apply a call to input bindings; creates an IRNode or reports and returns undefined. */
  private applyCall(call: Call, from: Binding[], letStmt: LetStmt | undefined): IRNode | undefined {
    const layer = this.bindCall(call, letStmt !== undefined);
    if (!layer) return undefined;
    const def = getLayer(layer.type)!;
    const inst = instanceOf(layer)!;
    const name = typeof layer.args['name'] === 'string' ? (layer.args['name'] as string) : this.genName(def);

    for (const b of from) {
      if (b.multi !== undefined) {
        this.err(Diagnostics.MultiOutputAsSingle, call.span, { layer: b.producer?.type ?? 'value', count: b.multi }, 'Destructure it first: `let [out, h, c] = ...`.');
        return undefined;
      }
      if (b.poisoned) return undefined;
    }
    if (from.length < def.inputs.min || from.length > def.inputs.max) {
      const expected = def.inputs.max === Infinity ? `at least ${def.inputs.min}` : def.inputs.min === def.inputs.max ? `${def.inputs.min}` : `${def.inputs.min} to ${def.inputs.max}`;
      this.err(Diagnostics.InputCount, call.nameSpan, { layer: call.name, expected, got: from.length }, def.inputs.min >= 2 ? 'Feed it a list: `let m = [a, b] -> ' + call.name + '()`.' : undefined);
      return undefined;
    }

    // initialState (graph form).
    let initialState: ValueRef[] | undefined;
    const initialStateNames = layer.args['initialState'];
    if (Array.isArray(initialStateNames)) {
      initialState = [];
      const stateSpan = layer.argSpans['initialState'] ?? call.span;
      const refs: Binding[] = [];
      for (const nm of initialStateNames as string[]) {
        const b = this.lookup({ name: nm, span: stateSpan });
        if (!b) return undefined;
        refs.push(b);
        initialState.push(b.ref);
      }
      const expected = stateShapesOf(inst);
      if (refs.length !== expected.length) {
        const lstmLike = expected.length === 2 ? 'An LSTM takes [h, c].' : undefined;
        this.err(Diagnostics.InitialStateMismatch, stateSpan, { message: `${call.name} takes ${expected.length} initial state(s), got ${refs.length}.` }, lstmLike);
        return undefined;
      }
      for (let i = 0; i < refs.length; i++) {
        const sh = refs[i]!.shape;
        const want = expected[i]!;
        const units = want[0];
        if (sh.length !== want.length || (typeof sh[0] === 'number' && typeof units === 'number' && sh[0] !== units)) {
          this.err(Diagnostics.InitialStateMismatch, stateSpan, { message: `Initial state ${initialStateNames[i]} has shape ${formatShape(sh)}, but ${call.name}(${units ?? '?'}) needs ${formatShape(want)}.` }, 'The encoder and decoder must have the same number of units.');
          return undefined;
        }
      }
    }

    const inputShapes = from.map((b) => b.shape);
    const res = def.outputShapes(inst, inputShapes);
    if (!res.ok) {
      const e = res.error;
      const span = (e.argName && (layer.argSpans[e.argName] ?? layer.inner?.argSpans[e.argName])) || call.span;
      let hint = e.hint;
      if (e.key === 'RankMismatch') hint = this.classicHint(call, from[0], def) ?? hint;
      this.bag.add(Diagnostics[e.key], span, e.args, hint);
      return undefined;
    }
    const params = def.paramCount(inst, inputShapes);
    const node: IRNode = {
      ...layer,
      name,
      inputs: from.map((b) => b.ref),
      inputShapes,
      outputShapes: res.shapes,
      params,
    };
    if (initialState) node.initialState = initialState;
    this.nodes.push(node);
    return node;
  }

  /** The classic mistakes, said in words a Keras user knows. */
  private classicHint(call: Call, from: Binding | undefined, def: LayerDef): string | undefined {
    const producer = from?.producer;
    const wantsSeq = def.readsSequence;
    if (!producer || !wantsSeq) {
      if (!producer && from && from.kind === 'input' && def.category === 'recurrent' && from.shape.length === 1) {
        return `An ${call.name} reads [timesteps, features]; declare the input with a time dimension, e.g. \`input ${from.ref.node}: [T, ${from.shape[0]}]\`.`;
      }
      return undefined;
    }
    const pdef = getLayer(producer.type);
    const innerRecurrent = producer.inner && getLayer(producer.inner.type)?.category === 'recurrent';
    if ((pdef?.category === 'recurrent' || innerRecurrent) && producer.outputShapes[0]?.length === 1) {
      const where = producer.span.line;
      return `The ${producer.inner?.type ?? producer.type} on line ${where} returns only its last output; add \`returnSequences: true\` to it (line ${where}) so it passes the whole sequence to this ${call.name}.`;
    }
    if (producer.type === 'dense' && wantsSeq) {
      return `The dense on line ${producer.span.line} produces one vector per example; to feed a recurrent layer use repeatVector(n) or keep the time dimension.`;
    }
    return undefined;
  }

  /** Bind a call's arguments against the layer table. Reports and returns undefined on errors. */
  private bindCall(call: Call, graph: boolean): IRLayer | undefined {
    const def = getLayer(call.name);
    if (!def) {
      const names = layerNames();
      const camel = call.name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      const direct = names.find((n) => n.toLowerCase() === camel.toLowerCase());
      const hint = direct ? `Did you mean "${direct}"? Layer names are tf.layers factory names in camelCase.` : didYouMeanHint(call.name, names);
      this.err(Diagnostics.UnknownLayer, call.nameSpan, { name: call.name }, hint);
      // Still look inside nested calls for more errors.
      for (const a of call.args) if (a.value.kind === 'call') this.bindCall(a.value.call, graph);
      return undefined;
    }
    let ok = true;
    const args: Record<string, ArgValue> = {};
    const argSpans: Record<string, Span> = {};
    const argParams: Record<string, string> = {};
    let positional = 0;
    let inner: IRLayer | undefined;
    for (const a of call.args) {
      let argName: string;
      if (a.name === undefined) {
        if (positional >= def.main.length) {
          this.err(Diagnostics.TooManyPositional, a.span, { layer: call.name, max: def.main.length, got: call.args.filter((x) => x.name === undefined).length }, positionalHint(def, call.name, a.value));
          ok = false;
          positional++;
          continue;
        }
        argName = def.main[positional]!;
        positional++;
      } else {
        argName = a.name;
        if (!(argName in def.args)) {
          const camel = argName.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
          const keys = Object.keys(def.args);
          const exact = keys.find((k) => k === camel);
          const hint = exact ? `Did you mean "${exact}"? Arguments are camelCase TF.js names.` : didYouMeanHint(argName, keys) ?? `Known arguments: ${keys.join(', ')}.`;
          this.err(Diagnostics.UnknownArgument, a.nameSpan ?? a.span, { what: 'Layer', layer: call.name, name: argName }, hint);
          ok = false;
          continue;
        }
      }
      if (argName in args || argName in argSpans) {
        this.err(Diagnostics.DuplicateArgument, a.nameSpan ?? a.span, { name: argName });
        ok = false;
        continue;
      }
      argSpans[argName] = a.value.span;
      const spec = def.args[argName]!;
      const converted = this.convertArg(def, call, argName, spec, a.value, graph);
      if (converted === undefined) {
        ok = false;
        args[argName] = null;
        continue;
      }
      if (converted.param) argParams[argName] = converted.param;
      args[argName] = converted.value;
      if (spec.type.kind === 'layer' && converted.value && typeof converted.value === 'object' && !Array.isArray(converted.value)) {
        inner = converted.value as IRLayer;
      }
    }
    // Defaults and required.
    for (const [argName, spec] of Object.entries(def.args)) {
      if (argName in args) continue;
      if (spec.required) {
        const isMain = def.main.includes(argName);
        this.err(Diagnostics.MissingArgument, call.span, { layer: call.name, name: argName }, isMain ? `Pass it first: \`${call.name}(${exampleFor(spec.type)})\`.` : `Add \`${argName}: ${exampleFor(spec.type)}\`.`);
        ok = false;
        continue;
      }
      if (spec.default !== undefined) args[argName] = cloneArg(spec.default);
    }
    if (!ok) return undefined;
    if (inner) {
      const innerDef = getLayer(inner.type)!;
      if (def.canWrap && !def.canWrap(innerDef)) {
        const innerSpan = argSpans['layer'] ?? call.span;
        this.err(Diagnostics.NotAWrapper, innerSpan, { layer: call.name, inner: inner.type }, def.name === 'bidirectional' ? 'bidirectional wraps a recurrent layer: lstm, gru or simpleRNN.' : undefined);
        return undefined;
      }
    }
    const layer: IRLayer = { type: def.name, args, argSpans, argParams, span: call.span };
    if (inner) layer.inner = inner;
    return layer;
  }

  private convertArg(def: LayerDef, call: Call, argName: string, spec: ArgSpec, v: Value, graph: boolean): { value: ArgValue; param?: string } | undefined {
    const t = spec.type;
    const typeError = (got: string): undefined => {
      this.err(Diagnostics.ArgumentType, v.span, { name: argName, layer: call.name, expected: expectedText(t), got });
      return undefined;
    };
    // Nested layer.
    if (t.kind === 'layer') {
      if (v.kind === 'call') {
        const l = this.bindCall(v.call, graph);
        return l ? { value: l } : undefined;
      }
      if (v.kind === 'ident' && getLayer(v.name)) {
        const l = this.bindCall({ name: v.name, nameSpan: v.span, args: [], span: v.span }, graph);
        return l ? { value: l } : undefined;
      }
      return typeError(describeValue(v));
    }
    if (t.kind === 'valueRefs') {
      const items = v.kind === 'list' ? v.items : [v];
      const names: string[] = [];
      for (const it of items) {
        if (it.kind !== 'ident' || it.dollar) return typeError(describeValue(it));
        names.push(it.name);
      }
      if (!graph) {
        this.err(Diagnostics.InitialStateMismatch, v.span, { message: `initialState is only available in the graph form.` }, 'Use `let out = x -> lstm(..., initialState: [h, c])`.');
        return undefined;
      }
      return { value: names };
    }
    // Param substitution.
    let param: string | undefined;
    let lit: ParamValue | ArgValue | undefined;
    if (v.kind === 'ident') {
      const p = this.params.get(v.name);
      if (p) {
        if (p.poisoned) return undefined;
        param = v.name;
        lit = p.value;
      } else if (v.dollar) {
        this.err(Diagnostics.UndefinedParam, v.span, { name: v.name }, didYouMeanHint(v.name, this.params.keys()) ?? `Declare it with \`param ${v.name} = ...\`.`);
        return undefined;
      } else if (t.kind === 'enum' || t.kind === 'string') {
        lit = v.name;
      } else {
        const hint = didYouMeanHint(v.name, this.params.keys());
        this.err(Diagnostics.UndefinedParam, v.span, { name: v.name }, hint ?? `${argName} must be ${expectedText(t)}; \`${v.name}\` is not a declared param.`);
        return undefined;
      }
    } else if (v.kind === 'int' || v.kind === 'float') {
      if (!Number.isFinite(v.value)) return undefined; // reported by the parser
      lit = v.value;
    } else if (v.kind === 'string') lit = v.value;
    else if (v.kind === 'bool') lit = v.value;
    else if (v.kind === 'list') {
      const items: number[] = [];
      for (const it of v.items) {
        let n: number | undefined;
        if (it.kind === 'int') n = it.value;
        else if (it.kind === 'ident') {
          const p = this.params.get(it.name);
          if (p?.poisoned) return undefined;
          if (p && typeof p.value === 'number') {
            n = p.value;
          }
        }
        if (n === undefined || !Number.isFinite(n)) return typeError(`a list containing ${describeValue(it)}`);
        items.push(n);
      }
      lit = items;
    } else return typeError(describeValue(v));

    const value = lit as ArgValue;
    const shown = param ? `${param} = ${describeArgValue(value)}` : describeArgValue(value);
    const bad = (): undefined => typeError(shown);
    const range = (r: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }, n: number): boolean => {
      if (r.min !== undefined && (r.minExclusive ? n <= r.min : n < r.min)) return false;
      if (r.max !== undefined && (r.maxExclusive ? n >= r.max : n > r.max)) return false;
      return true;
    };
    switch (t.kind) {
      case 'int':
        if (typeof value !== 'number' || !Number.isInteger(value)) return bad();
        if (!range(t, value) || Math.abs(value) > MAX_INT) {
          this.err(Diagnostics.ArgumentRange, v.span, { name: argName, layer: call.name, range: rangeText(t), got: shown });
          return undefined;
        }
        break;
      case 'float':
        if (typeof value !== 'number') return bad();
        if (!range(t, value)) {
          this.err(Diagnostics.ArgumentRange, v.span, { name: argName, layer: call.name, range: rangeText(t), got: shown });
          return undefined;
        }
        break;
      case 'bool':
        if (typeof value !== 'boolean') return bad();
        break;
      case 'string':
        if (typeof value !== 'string') return bad();
        break;
      case 'enum':
        if (typeof value !== 'string') return bad();
        if (!t.values.includes(value)) {
          const dm = didYouMean(value, t.values);
          this.err(Diagnostics.UnknownEnumValue, v.span, { value, what: t.what }, dm ? `Did you mean "${dm}"?` : `Expected one of: ${t.values.join(', ')}.`);
          return undefined;
        }
        break;
      case 'intOrList': {
        const list = typeof value === 'number' ? [value] : Array.isArray(value) ? (value as number[]) : undefined;
        if (!list || list.some((x) => typeof x !== 'number' || !Number.isInteger(x))) return bad();
        if (Array.isArray(value) && value.length !== t.length) {
          this.err(Diagnostics.ArgumentType, v.span, { name: argName, layer: call.name, expected: expectedText(t), got: `a list of ${value.length}` });
          return undefined;
        }
        const min = t.min ?? 1;
        if (list.some((x) => x < min)) {
          this.err(Diagnostics.ArgumentRange, v.span, { name: argName, layer: call.name, range: `≥ ${min}`, got: shown });
          return undefined;
        }
        break;
      }
      case 'intList': {
        if (!Array.isArray(value)) return bad();
        const list = value as number[];
        if (t.minLength !== undefined && list.length < t.minLength) {
          this.err(Diagnostics.ArgumentType, v.span, { name: argName, layer: call.name, expected: `a list of at least ${t.minLength} integer(s)`, got: `a list of ${list.length}` });
          return undefined;
        }
        if (t.maxLength !== undefined && list.length > t.maxLength) {
          this.err(Diagnostics.ArgumentType, v.span, { name: argName, layer: call.name, expected: `a list of at most ${t.maxLength} integers`, got: `a list of ${list.length}` });
          return undefined;
        }
        const min = t.min ?? 1;
        let minusOnes = 0;
        for (const x of list) {
          if (x === -1 && t.allowMinusOne) {
            minusOnes++;
            continue;
          }
          if (x < min) {
            this.err(Diagnostics.ArgumentRange, v.span, { name: argName, layer: call.name, range: t.allowMinusOne ? `positive integers (and at most one -1)` : `integers ≥ ${min}`, got: JSON.stringify(list) }, def.name === 'permute' ? 'permute dims are 1-based and exclude the batch axis, as in Keras: [2, 1] swaps the two dimensions of a [T, F] input.' : undefined);
            return undefined;
          }
        }
        if (minusOnes > 1) {
          this.err(Diagnostics.ArgumentRange, v.span, { name: argName, layer: call.name, range: 'positive integers and at most one -1', got: JSON.stringify(list) });
          return undefined;
        }
        break;
      }
    }
    return param ? { value, param } : { value };
  }
}

// ---------------------------------------------------------------- helpers

/** Hint for an extra positional argument: name the argument it was probably meant for (Keras `Dense(10, 'softmax')`). */
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

function exampleFor(t: ArgType): string {
  switch (t.kind) {
    case 'int':
      return String(Math.max(t.min ?? 1, 1) === 1 ? 32 : t.min);
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
    case 'layer':
      return 'lstm(32)';
    case 'valueRefs':
      return '[h, c]';
  }
}

function cloneArg(v: ArgValue): ArgValue {
  return Array.isArray(v) ? v.map(cloneArg) : v;
}

/** Names a call reads through `initialState: [h, c]` (at any depth). */
function refsInCall(c: Call): string[] {
  const out: string[] = [];
  for (const a of c.args) {
    if (a.name === 'initialState') {
      const items = a.value.kind === 'list' ? a.value.items : [a.value];
      for (const it of items) if (it.kind === 'ident') out.push(it.name);
    }
    if (a.value.kind === 'call') out.push(...refsInCall(a.value.call));
  }
  return out;
}

function stmtName(s: Statement): string {
  if (s.kind === 'let') return s.targets.map((t) => t.name).join(', ');
  if (s.kind === 'input') return s.name.name;
  if (s.kind === 'layer') return s.call.name;
  return s.kind;
}

function findCycle(start: number, deps: number[][], done: boolean[]): number[] | undefined {
  // DFS through undone statements until we revisit a node on the stack.
  const stack: number[] = [];
  const onStack = new Map<number, number>();
  const visited = new Set<number>();
  const dfs = (i: number): number[] | undefined => {
    onStack.set(i, stack.length);
    stack.push(i);
    visited.add(i);
    for (const d of deps[i]!) {
      if (done[d]) continue;
      if (onStack.has(d)) return stack.slice(onStack.get(d)!).reverse();
      if (!visited.has(d)) {
        const r = dfs(d);
        if (r) return r;
      }
    }
    stack.pop();
    onStack.delete(i);
    return undefined;
  };
  return dfs(start);
}

