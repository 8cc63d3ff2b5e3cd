/**
 * What the checker knows about one model, by source position, for editors (`lstmc lsp`): where each
 * name is defined and read, and what every layer call became. Built from the lowering passes' state
 * (no second resolver), also for models with errors: whatever lowered before the error is there.
 */
import type { Span } from '../base/span.js';
import type { Call } from '../grammar/ast.js';
import type { ParamValue } from './bind.js';
import type { IRLayer, IRNode, Shape } from './ir.js';
import type { ModelState } from './lower/state.js';

export interface SymbolDefinition {
  name: string;
  kind: 'param' | 'input' | 'let';
  /** The name where it is defined. */
  span: Span;
  /** Inputs and lets: the value's shape (absent when its step failed). */
  shape?: Shape;
  /** Inputs and lets holding several outputs (returnState: true): their shapes. */
  shapes?: Shape[];
  /** Params: the value (after `--param` overrides). */
  value?: ParamValue;
  /** Inputs: the declared batch size (`input x: [1, 1] batch 25`), when given. */
  batch?: number;
}

export interface SymbolUse {
  name: string;
  /** Where the name is read; for a list argument such as `initialState: [h, c]`, the whole list. */
  span: Span;
}

export interface CallInfo {
  call: Call;
  /** The bound layer (arguments with defaults); absent when binding failed. */
  layer?: IRLayer;
  /** The node it became (output shapes, parameter count); absent when it failed or was not reached. */
  node?: IRNode;
}

export interface ModelAnalysis {
  name: string;
  nameSpan: Span;
  span: Span;
  definitions: SymbolDefinition[];
  uses: SymbolUse[];
  /** Every top-level layer call (bare lines and `let` chains), in source order. */
  calls: CallInfo[];
}

export function analyseModel(st: ModelState): ModelAnalysis {
  const definitions: SymbolDefinition[] = [];
  for (const [name, p] of st.params) definitions.push({ name, kind: 'param', span: p.span, value: p.value });
  for (const [name, b] of st.env) {
    if (b.kind === 'chain') continue;
    const d: SymbolDefinition = { name, kind: b.kind, span: b.span };
    const batch = b.kind === 'input' ? st.inputs.find((i) => i.name === name)?.batch : undefined;
    if (batch !== undefined) d.batch = batch;
    if (!b.poisoned) {
      if (b.multi !== undefined && b.producer) d.shapes = b.producer.outputShapes;
      else d.shape = b.shape;
    }
    definitions.push(d);
  }
  const seen = new Set<string>();
  const uses = st.uses.filter((u) => {
    const k = `${u.name}@${u.span.line}:${u.span.column}:${u.span.endLine}:${u.span.endColumn}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const calls: CallInfo[] = [];
  const add = (call: Call): void => {
    const info: CallInfo = { call };
    const layer = st.bound.get(call);
    if (layer) info.layer = layer;
    const node = st.nodeOf.get(call);
    if (node) info.node = node;
    calls.push(info);
  };
  for (const s of st.decl.statements) {
    if (s.kind === 'layer') add(s.call);
    else if (s.kind === 'let') s.chain.forEach(add);
  }
  return { name: st.decl.name.name, nameSpan: st.decl.name.span, span: st.decl.span, definitions, uses, calls };
}
