/**
 * The AST shared by both front ends (`.lstm` via chevrotain, YAML via `yaml`).
 *
 * Invariants:
 * - Every node carries a `span` into the file it came from (1-based line/column, end exclusive).
 * - The AST is purely syntactic: names are not resolved, params are not substituted, layer names are
 *   not checked. `compiler/lower.ts` does all of that.
 * - Both front ends must produce *equal* ASTs (spans aside) for the two spellings of one model.
 */

import type { Diagnostic } from '../base/diagnostics.js';
import type { Span } from '../base/span.js';
export type { Span };

export type Value =
  | { kind: 'int'; value: number; raw: string; span: Span }
  | { kind: 'float'; value: number; raw: string; span: Span }
  | { kind: 'string'; value: string; span: Span }
  | { kind: 'bool'; value: boolean; span: Span }
  /** `relu`, `concat`, a param `units` or `$units`, a symbolic dim `T`. `dollar` is true for `$units`. */
  | { kind: 'ident'; name: string; dollar: boolean; span: Span }
  /** `?` (an unknown dimension). */
  | { kind: 'unknown'; span: Span }
  | { kind: 'list'; items: Value[]; span: Span }
  /** A nested layer call used as a value: `timeDistributed(dense(1))`, `optimizer: adam(learningRate: 0.01)`. */
  | { kind: 'call'; call: Call; span: Span }
  /** A nested `{ key: value }` block (e.g. `earlyStopping { patience: 3 }`, or a YAML mapping). */
  | { kind: 'block'; block: Block; span: Span };

export interface Arg {
  /** Absent for positional arguments. */
  name?: string;
  nameSpan?: Span;
  value: Value;
  span: Span;
}

/** `lstm(25, returnSequences: true)`; `flatten` / `flatten()` has no args. */
export interface Call {
  name: string;
  nameSpan: Span;
  args: Arg[];
  span: Span;
}

export interface BlockEntry {
  key: string;
  keySpan: Span;
  value: Value;
  span: Span;
}

export interface Block {
  entries: BlockEntry[];
  span: Span;
}

export interface Name {
  name: string;
  span: Span;
}

export interface ParamDecl {
  kind: 'param';
  name: Name;
  value: Value;
  span: Span;
}

export interface InputDecl {
  kind: 'input';
  name: Name;
  /** Always a `list` value when well formed; a front end may produce anything on bad input. */
  shape: Value;
  /**
   * The declared batch size (`input x: [1, 1] batch 25`; YAML `x: {shape: [1, 1], batch: 25}`): an
   * int or a param when well formed. Stateful recurrent layers need it.
   */
  batch?: Value;
  span: Span;
}

/** A bare layer line: continues the chain from the last value defined. */
export interface LayerStmt {
  kind: 'layer';
  call: Call;
  span: Span;
}

/**
 * `let name = from -> l1 -> l2`, `let [a, _, c] = from -> lstm(..., returnState: true)`,
 * `let name: [T, 93] = ...`. `from` is one name or a list of names (`[a, b] -> concatenate()`).
 * `targets` holds one name unless `destructure` is true; `_` discards.
 */
export interface LetStmt {
  kind: 'let';
  targets: Name[];
  destructure: boolean;
  annotation?: Value;
  from: Name[];
  fromIsList: boolean;
  fromSpan: Span;
  chain: Call[];
  span: Span;
}

export interface OutputStmt {
  kind: 'output';
  names: Name[];
  span: Span;
}

export type Statement = ParamDecl | InputDecl | LayerStmt | LetStmt | OutputStmt;

export interface ModelDecl {
  name: Name;
  /** In source order. Params and inputs appear here too (in the YAML form, first). */
  statements: Statement[];
  train?: Block;
  trainSpan?: Span;
  data?: Block;
  dataSpan?: Span;
  span: Span;
}

export interface SpecFile {
  file: string;
  /** 'lstm' or 'yaml' */
  format: 'lstm' | 'yaml';
  models: ModelDecl[];
  span: Span;
}

/** What a front end returns: the (possibly partial) AST and its syntax diagnostics. */
export interface ParseResult {
  spec: SpecFile;
  diagnostics: Diagnostic[];
}

/**
 * The little a front end must know about layers to spell a call: supplied by the layer table
 * (compiler/layers/table.ts `LAYER_SYNTAX`), so grammar/ keeps no per-layer lists. Only the YAML
 * spelling needs it (`- timeDistributed: {dense: 12}`, `- embedding: [1000, 64]`).
 */
export interface LayerSyntax {
  /** The layer's first main argument is a layer (timeDistributed, bidirectional). */
  isWrapper(layer: string): boolean;
  /** A YAML sequence value spreads into several main arguments (embedding: [1000, 64]). */
  spreadsMain(layer: string): boolean;
  /** `arg` is a named argument of the layer (so `- bidirectional: {mergeMode: concat}` is not a call). */
  hasArgument(layer: string, arg: string): boolean;
}

/**
 * Optional layer knowledge a front end uses only to spell hints, never to build the AST: the names
 * of a layer's main (positional) arguments, so that the YAML front end can show a layer item written
 * as a call, `- lstm(50, returnSequences=True)`, as `- lstm: {units: 50, returnSequences: true}`.
 * The layer table supplies it when it can (`main` of each layer); without it such hints name only
 * what they can.
 */
export interface LayerHintSyntax {
  mainArguments?(layer: string): readonly string[] | undefined;
}
