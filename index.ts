/**
 * The `lstmc` package entry: the compiler's public API. Loads neither TensorFlow.js nor ts-morph
 * (training and running models is the separate `lstmc/runtime` entry; TypeScript emission is
 * `lstmc compile`).
 *
 *   import { checkSource, summarize } from 'lstmc';
 *   const { models, diagnostics } = checkSource(source, 'echo.lstm');
 */

// Checking: parse + lower + check one source text (never throws on bad input).
export { checkSource } from './compiler/index.js';
export type { CheckOptions, CheckResult } from './compiler/index.js';

// Diagnostics: the table of stable codes and what checkSource reports.
export { Diagnostics, sortDiagnostics } from './base/diagnostics.js';
export type { Diagnostic, DiagnosticDef, DiagnosticKey, Severity } from './base/diagnostics.js';
export type { Span } from './base/span.js';

// The checked IR checkSource returns.
export type {
  ArgValue,
  Dim,
  IRData,
  IRInput,
  IRLayer,
  IRModel,
  IRNode,
  IROptimizer,
  IRTrain,
  ParamCount,
  Shape,
  ValueRef,
} from './compiler/ir.js';

// Model summaries (the `lstmc summary` table and its JSON contract).
export { summarize, renderSummaryTable } from './compiler/summary.js';
export type {
  ModelSummary,
  SummaryInput,
  SummaryLayer,
  SummaryOptions,
  SummaryReport,
  SummaryShape,
} from './compiler/summary.js';

// Printing checked models back to spec text, in either spelling (`lstmc convert`).
export { printLstm, printYaml } from './compiler/print.js';
export type { PrintOptions } from './compiler/print.js';

// Lowering to plain TF.js data: the description both the emitter and the runtime consume.
export { toTfModelSpec, toTfShape } from './compiler/tfspec.js';
export type { TfInputSpec, TfModelSpec, TfNodeSpec } from './compiler/tfspec.js';

// The layer table.
export { getLayer, layerNames } from './compiler/layers/table.js';
export type { LayerDef, TfLayerSpec } from './compiler/layers/types.js';
