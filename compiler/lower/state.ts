/**
 * The state one model's lowering passes share: its params, the environment of named values, the
 * nodes built so far, the bound layer of every call, and the diagnostic bag. Also the binder's
 * `Scope` (how names in argument values resolve).
 */
import {
  Diagnostics,
  replaceFix,
  type DiagnosticBag,
  type DiagnosticDef,
  type DiagnosticFix,
} from '../../base/diagnostics.js';
import { didYouMean } from '../../base/did-you-mean.js';
import type { Span } from '../../base/span.js';
import type { Call, ModelDecl, Name } from '../../grammar/ast.js';
import type { ParamValue, Scope } from '../bind.js';
import type { IRInput, IRLayer, IRNode, Shape, ValueRef } from '../ir.js';

export interface ParamEntry {
  value: ParamValue;
  span: Span;
  /** Its declaration was invalid (already reported): uses are silently skipped (no cascades). */
  poisoned?: boolean;
}

/** A named value in the model's environment. */
export interface Binding {
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

export class ModelState implements Scope {
  readonly params = new Map<string, ParamEntry>();
  readonly env = new Map<string, Binding>();
  readonly nodes: IRNode[] = [];
  readonly inputs: IRInput[] = [];
  /** Layer names taken (given by the user, or generated). */
  readonly usedNames = new Set<string>();
  readonly nameCounters = new Map<string, number>();
  /** Pass 2's result: the bound layer of every call; undefined when binding failed (reported). */
  readonly bound = new Map<Call, IRLayer | undefined>();
  /** The value a bare layer line continues from. */
  current: Binding | undefined;
  /** The model uses `let` or `output` (so it is a graph, whatever its shape). */
  sawGraphFeature = false;
  /** Every place a param, input or let name is read, as resolved (for editors: references, rename). */
  readonly uses: { name: string; span: Span }[] = [];
  /** The node each layer call became (pass 3); calls that failed are absent. */
  readonly nodeOf = new Map<Call, IRNode>();

  constructor(
    readonly decl: ModelDecl,
    readonly file: string,
    readonly format: 'lstm' | 'yaml',
    readonly bag: DiagnosticBag,
    readonly overrides: Readonly<Record<string, string>>,
    /** The front end reported syntax errors: do not report what a dropped statement may explain. */
    readonly afterSyntaxErrors: boolean,
  ) {}

  err(
    def: DiagnosticDef,
    span: Span,
    args: Record<string, unknown> = {},
    hint?: string,
    fixes?: DiagnosticFix[],
  ): void {
    this.bag.add(def, span, args, hint, fixes);
  }

  /** A hint's code example in the spelling of the file. */
  spell(lstm: string, yaml: string): string {
    return this.format === 'yaml' ? yaml : lstm;
  }

  /** How to destructure a multi-output step, in the file's spelling. */
  destructureExample(names = ['out', 'h', 'c']): string {
    return this.spell(`\`let [${names.join(', ')}] = ...\``, `\`let: [${names.join(', ')}]\``);
  }

  /** How to declare an input, in the file's spelling. */
  inputExample(name: string, dims: string): string {
    return this.spell(`\`input ${name}: [${dims}]\``, `\`inputs: {${name}: [${dims}]}\``);
  }

  /** A param's value; `at` (where the name is read) records the use. */
  param(name: string, at?: Span): ParamValue | 'poisoned' | undefined {
    const p = this.params.get(name);
    if (!p) return undefined;
    if (at) this.uses.push({ name, span: at });
    return p.poisoned ? 'poisoned' : p.value;
  }

  paramNames(): Iterable<string> {
    return this.params.keys();
  }

  /** A named value, marked used; reports LSTM2008 when there is none. */
  lookup(n: Name): Binding | undefined {
    const b = this.env.get(n.name);
    if (b) {
      this.uses.push({ name: n.name, span: n.span });
      b.used = true;
      return b;
    }
    const candidates = [...this.env.keys()];
    const meant = didYouMean(n.name, candidates);
    // The misspelt use was meant for that value: do not also call it unused.
    if (meant !== undefined) this.env.get(meant)!.used = true;
    const hint =
      meant !== undefined
        ? `Did you mean "${meant}"?`
        : candidates.length
          ? `Defined names: ${candidates.slice(0, 8).join(', ')}.`
          : `Declare an input first, e.g. ${this.inputExample('x', 'T, 1')}.`;
    this.err(
      Diagnostics.UndefinedName,
      n.span,
      { name: n.name },
      hint,
      meant !== undefined ? [replaceFix(n.span, n.name, meant)] : undefined,
    );
    return undefined;
  }

  /** Define names whose step failed, so that their uses cause no cascade of "undefined name". */
  poison(targets: readonly Name[]): void {
    for (const t of targets) {
      if (t.name !== '_' && !this.env.has(t.name)) {
        this.env.set(t.name, {
          ref: { node: t.name, index: 0 },
          shape: [],
          span: t.span,
          used: true,
          kind: 'let',
          poisoned: true,
        });
      }
    }
  }
}
