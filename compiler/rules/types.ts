/**
 * Whole-model checks run after the passes, as a list of small rules (graphql-js `specifiedRules`):
 * each one file, each reads the lowered model and reports; none changes it. Order does not matter.
 */
import type { DiagnosticBag } from '../../base/diagnostics.js';
import type { SpecFile } from '../../grammar/ast.js';
import type { IRData, IRTrain } from '../ir.js';
import type { DataShapes } from '../data-schema.js';
import type { Outputs } from '../lower/shapes.js';
import type { ModelState } from '../lower/state.js';

export interface ModelRuleContext {
  /** The passes' state: declaration, params, environment, nodes, inputs. */
  st: ModelState;
  outputs: Outputs;
  train: IRTrain;
  data: { data: IRData; shapes: DataShapes } | undefined;
}

export type ModelRule = (ctx: ModelRuleContext) => void;

export interface FileRuleContext {
  spec: SpecFile;
  bag: DiagnosticBag;
  /** `--param` overrides. */
  overrides: Readonly<Record<string, string>>;
}

export type FileRule = (ctx: FileRuleContext) => void;
