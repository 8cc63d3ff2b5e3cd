/**
 * lstmc runtime: direct execution of checked specs (IR) with TensorFlow.js.
 *
 *   import { checkSource } from 'lstmc';
 *   import { train, predict, evaluate, generate } from 'lstmc/runtime';
 *   const { models } = checkSource(src, 'echo.lstm');
 *   const r = await train(models[0], { outDir: 'out/echo', backend: 'auto' });
 *   const ys = await predict('out/echo', [[...]]);
 */
import type * as tf from '@tensorflow/tfjs';
import type { IRModel } from '../compiler/ir.js';
import { setupBackend, type BackendChoice, type BackendInfo } from './backend.js';
import { loadData, type LoadDataOptions } from './data/index.js';
import type { DataInfo, Dataset } from './data/types.js';
import { loadModelDir, readTrainState, type TrainState } from './io.js';
import { toTfModelSpec } from '../compiler/tfspec.js';
import { compileModel } from './optimizer.js';
import { fuseRecurrentLayers } from './fused/layer.js';
import { evaluateSplit, generate as generateFrom, predictSamples, type GenerateOptions } from './predict.js';
import { installFastOrthogonal } from './orthogonal.js';

// Every 'orthogonal' initializer tfjs-layers resolves by name (layer configs, model.json) uses the float64
// QR of runtime/orthogonal.ts instead of tfjs's tf-op QR (seconds to minutes per recurrent kernel).
installFastOrthogonal();

export { train, TrainError, checkDataShapes, type TrainOptions, type TrainResult } from './train.js';
export { buildModel, buildLayer } from './build.js';
export { lstmcLayers, lstmcClassNames } from './layers/index.js';
export { toTfModelSpec, type TfModelSpec, type TfTrainSpec } from '../compiler/tfspec.js';
export { withGradientClipping } from './clipping.js';
export {
  setupBackend,
  requiredKernels,
  tfNodeAvailable,
  describeBackend,
  BACKEND_CHOICES,
  type BackendChoice,
  type BackendInfo,
} from './backend.js';
export { registerWasmGapKernels, registeredGapKernels } from './kernels/index.js';
export {
  fuseRecurrentLayers,
  unfuseRecurrentLayers,
  describeFusion,
  fusedUnavailableReason,
  type FuseReport,
} from './fused/index.js';
export {
  loadData,
  DataError,
  unscale,
  type Dataset,
  type DataInfo,
  type Split,
  type ArrayData,
  type LoadDataOptions,
} from './data/index.js';
export { readCsvColumn, csvWindows } from './data/csv.js';
export { GENERATORS, CHARS_WORDS, charsCorpus, additionStrings, wellFormedWords } from './data/synthetic.js';
export {
  saveCheckpoint,
  loadModelDir,
  readTrainState,
  readableDir,
  writeDirAtomic,
  recoverDir,
  fileSaveHandler,
  fileLoadHandler,
  modelFiles,
  type TrainState,
} from './io.js';
export { makeOptimizer, applyClipping, optimizerFor, compileModel, type ClipStats } from './optimizer.js';
export { evaluateSplit, predictSamples, sampleWithTemperature, type GenerateOptions } from './predict.js';
export { createProgress, type ProgressMode } from './progress.js';
export { Rng } from './rng.js';
export {
  FastOrthogonal,
  installFastOrthogonal,
  uninstallFastOrthogonal,
  fastOrthogonalInstalled,
} from './orthogonal.js';

export interface LoadedModel {
  model: tf.LayersModel;
  state: TrainState | null;
  info: DataInfo | undefined;
  backend: BackendInfo;
}

/**
 * Loads a model saved by `train` (model.json + weights.bin + lstmc.json) on a backend; its recurrent
 * layers run on the fused kernels unless `fused` is false.
 */
export async function loadTrained(dir: string, backend: BackendChoice = 'auto', fused = true): Promise<LoadedModel> {
  const b = await setupBackend(backend);
  const model = await loadModelDir(dir);
  if (fused) fuseRecurrentLayers(model);
  const state = readTrainState(dir);
  return { model, state, info: state?.data, backend: b };
}

/** Predictions of a saved model for raw samples (original units; see `predictSamples`). */
export async function predict(
  dirOrModel: string | LoadedModel,
  inputs: unknown,
  backend: BackendChoice = 'auto',
): Promise<unknown[]> {
  const m = typeof dirOrModel === 'string' ? await loadTrained(dirOrModel, backend) : dirOrModel;
  return predictSamples(m.model, m.info, inputs);
}

/** Samples text (or rectangle corners) from a saved generative model. */
export async function generate(
  dirOrModel: string | LoadedModel,
  opts: GenerateOptions = {},
  backend: BackendChoice = 'auto',
): Promise<string> {
  const m = typeof dirOrModel === 'string' ? await loadTrained(dirOrModel, backend) : dirOrModel;
  return generateFrom(m.model, m.info, opts);
}

export interface EvaluateOptions {
  backend?: BackendChoice;
  data?: LoadDataOptions;
  dataset?: Dataset;
  /** Evaluate on 'test' (default; falls back to train when there is no test split) or 'train'. */
  split?: 'test' | 'train';
  /** Run recurrent layers on the fused kernels (default true). */
  fused?: boolean;
}

/** Evaluates a saved model on the data block of `model` (the IR of the spec it was trained from). */
export async function evaluate(
  model: IRModel,
  dir: string,
  opts: EvaluateOptions = {},
): Promise<Record<string, number>> {
  const ds = opts.dataset ?? (model.data ? loadData(model.data, opts.data) : undefined);
  if (!ds) throw new Error(`model ${model.name} has no data block to evaluate on.`);
  const m = await loadTrained(dir, opts.backend ?? 'auto', opts.fused !== false);
  compileModel(m.model, toTfModelSpec(model).train);
  const split = opts.split === 'train' ? ds.train : (ds.test ?? ds.train);
  const info = m.info ?? ds.info;
  return evaluateSplit(m.model, split, info);
}

/** Samples from an already loaded generative model (synchronous). */
export function generateText(m: LoadedModel, opts: GenerateOptions = {}): string {
  return generateFrom(m.model, m.info, opts);
}
