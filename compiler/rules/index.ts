/**
 * The rule lists: every whole-model and whole-file check, each a small function in its own file.
 * A new check is one file and one line here.
 */
import { clipBoth } from './clip-both.js';
import { dataShapes } from './data-shapes.js';
import { overridesDeclared, uniqueModelNames } from './file-rules.js';
import { hasInput, hasLayers } from './inputs-and-layers.js';
import { lossActivation } from './loss-activation.js';
import { maskFlow } from './masking.js';
import { modelName } from './model-name.js';
import { outputLosses } from './output-losses.js';
import { statefulAndBatch } from './stateful.js';
import type { FileRule, ModelRule } from './types.js';
import { unusedValues } from './unused-values.js';

export const specifiedModelRules: readonly ModelRule[] = [
  modelName,
  hasInput,
  hasLayers,
  unusedValues,
  lossActivation,
  outputLosses,
  dataShapes,
  clipBoth,
  maskFlow,
  statefulAndBatch,
];

export const specifiedFileRules: readonly FileRule[] = [overridesDeclared, uniqueModelNames];

export type { FileRule, FileRuleContext, ModelRule, ModelRuleContext } from './types.js';
export { invalidModelNameReason } from './model-name.js';
