/**
 * AST -> checked IR, in passes over each model:
 *   1. resolve and order: params (with `--param` overrides), statement order (forward references,
 *      cycles) — params.ts, order.ts;
 *   2. bind: every layer call against the layer table, the `train` and `data` blocks against their
 *      schemas, all through the one binder (compiler/bind.ts) — bind-layers.ts, ../train.ts, ../data.ts;
 *   3. infer shapes: thread values through the bound layers with the table's pure shape rules —
 *      shapes.ts;
 * then the whole-model and whole-file rules (compiler/rules/). Never throws on bad input: everything
 * becomes a diagnostic; a model with errors is not returned.
 */
import { DiagnosticBag } from '../../base/diagnostics.js';
import type { ModelDecl, SpecFile } from '../../grammar/ast.js';
import { analyseModel, type ModelAnalysis } from '../analysis.js';
import { lowerData } from '../data.js';
import type { IRModel } from '../ir.js';
import { specifiedFileRules, specifiedModelRules } from '../rules/index.js';
import { lowerTrain } from '../train.js';
import { applyDeclaredBatch } from './batch.js';
import { bindLayers } from './bind-layers.js';
import { orderStatements } from './order.js';
import { collectParams } from './params.js';
import { inferShapes } from './shapes.js';
import { ModelState } from './state.js';

export { parseParamOverride } from './params.js';

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
  /** Models that lowered without errors. */
  models: IRModel[];
  diagnostics: DiagnosticBag;
  /** Per model of the file (errors or not): names, uses and layer calls by position, for editors. */
  analysis: ModelAnalysis[];
}

export function lowerSpec(spec: SpecFile, options: LowerOptions = {}): LowerResult {
  const bag = new DiagnosticBag();
  const overrides = options.params ?? {};
  for (const rule of specifiedFileRules) rule({ spec, bag, overrides });
  const models: IRModel[] = [];
  const analysis: ModelAnalysis[] = [];
  for (const m of spec.models) {
    const before = bag.errorCount;
    const { model, st } = lowerModel(m, spec, bag, overrides, options.afterSyntaxErrors === true);
    if (bag.errorCount === before) models.push(model);
    analysis.push(analyseModel(st));
  }
  return { models, diagnostics: bag, analysis };
}

function lowerModel(
  m: ModelDecl,
  spec: SpecFile,
  bag: DiagnosticBag,
  overrides: Record<string, string>,
  afterSyntaxErrors: boolean,
): { model: IRModel; st: ModelState } {
  const st = new ModelState(m, spec.file, spec.format, bag, overrides, afterSyntaxErrors);
  // 1. resolve and order
  collectParams(st);
  const ordered = orderStatements(st);
  // 2. bind
  bindLayers(st, ordered);
  const train = lowerTrain(m.train, m.trainSpan ?? m.span, bag, st);
  const data = m.data ? lowerData(m.data, m.dataSpan ?? m.data.span, bag, st) : undefined;
  // 3. infer shapes
  const outputs = inferShapes(st, ordered);
  applyDeclaredBatch(st, train);
  // whole-model rules
  for (const rule of specifiedModelRules) rule({ st, outputs, train, data });

  const params: IRModel['params'] = {};
  for (const [k, p] of st.params) params[k] = p.value;
  const sequential =
    !st.sawGraphFeature &&
    st.inputs.length === 1 &&
    st.nodes.every((n) => n.inputs.length === 1 && !n.initialState && n.outputShapes.length === 1);
  const model: IRModel = {
    name: m.name.name,
    file: spec.file,
    span: m.span,
    kind: sequential ? 'sequential' : 'functional',
    params,
    inputs: st.inputs,
    nodes: st.nodes,
    outputs: outputs.refs,
    outputShapes: outputs.shapes,
    outputNames: outputs.names,
    train,
  };
  if (data) model.data = data.data;
  return { model, st };
}
