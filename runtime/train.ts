/**
 * Training a checked IR model on its `data` block: backend choice, data loading and shape checks before
 * anything trains, seeded Keras-like `fit` with progress, early stopping, NaN/Inf guard, a checkpoint
 * every epoch (atomic), `resume`, and final metrics on the held-out split.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { Diagnostics, format, type DiagnosticDef } from '../base/diagnostics.js';
import type { Dim, IRModel } from '../compiler/ir.js';
import { formatShape } from '../compiler/layers/common.js';
import { toTfModelSpec, type TfModelSpec } from '../compiler/tfspec.js';
import { describeBackend, setupBackend, type BackendChoice, type BackendInfo } from './backend.js';
import { buildModel } from './build.js';
import { loadData, type LoadDataOptions } from './data/index.js';
import { DataError, type Dataset } from './data/types.js';
import {
  CheckpointWriter,
  loadModelDir,
  readTrainState,
  recoverDir,
  restoreOptimizer,
  saveCheckpoint,
  type TrainState,
} from './io.js';
import { compileModel, type ClipStats } from './optimizer.js';
import { evaluateSplit, toTensor } from './predict.js';
import { createProgress, formatLogs, type ProgressMode, type ProgressSink } from './progress.js';
import { Rng, restoreMathRandom, seedMathRandom } from './rng.js';

export interface TrainOptions {
  backend?: BackendChoice;
  /** Overrides `train.epochs`. */
  epochs?: number;
  /** Overrides `train.batchSize`. */
  batchSize?: number;
  /** Where the model and its per-epoch checkpoint go. Nothing is saved without it. */
  outDir?: string;
  /** Continue the run checkpointed in `outDir` (a fresh start when there is none). */
  resume?: boolean;
  progress?: ProgressMode;
  /** Where progress and messages go (default process.stdout). */
  stream?: { write(s: string): unknown; isTTY?: boolean };
  /** Data loading overrides (sample counts, base directory) — or a ready dataset. */
  data?: LoadDataOptions;
  dataset?: Dataset;
  /** The TF.js model description (default: compiler/tfspec.ts `toTfModelSpec(model)`). */
  spec?: TfModelSpec;
  /** Evaluate on the test split at the end (default true). */
  evaluate?: boolean;
  /** Called after every epoch's checkpoint (tests use it). */
  onEpochEnd?: (epoch: number, logs: Record<string, number>, model: tf.LayersModel) => void | Promise<void>;
}

export interface TrainResult {
  model: tf.LayersModel;
  backend: BackendInfo;
  /** Epochs completed in total (including resumed ones). */
  epochs: number;
  /** The epoch this run started from (0 unless resumed). */
  initialEpoch: number;
  history: Record<string, number[]>;
  stopReason: NonNullable<TrainState['stopReason']>;
  /** Metrics on the held-out split (or the training data when there is none). */
  evaluation: Record<string, number>;
  /** Training wall time of this run (fit only) and throughput. */
  fitMs: number;
  samplesPerSec: number;
  outDir?: string;
  dataset: Dataset;
  clip: ClipStats;
  message?: string;
}

/** A failure before or during training that the CLI reports without a stack trace. */
export class TrainError extends Error {
  constructor(
    message: string,
    public exitCode = 1,
  ) {
    super(message);
    this.name = 'TrainError';
  }
}

function dimsAgree(data: number[], model: readonly Dim[]): boolean {
  return data.length === model.length && model.every((d, i) => typeof d !== 'number' || d === data[i]);
}

/** A shape error the checker reports too (LSTM4007 / LSTM4011): the same code and text, from the diagnostic table. */
function shapeError(def: DiagnosticDef, args: Record<string, unknown>, model: IRModel): DataError {
  const span = model.data ? (model.data.spans[model.data.source] ?? model.data.span) : undefined;
  return new DataError(`${def.code} ${format(def.message, args)}`, undefined, undefined, span);
}

/**
 * Data vs model: input and target shapes must agree (before training starts). The checker compares
 * the shapes the data block declares; this compares the arrays actually loaded (e.g. a text corpus's
 * vocabulary is known only now).
 */
export function checkDataShapes(model: IRModel, spec: TfModelSpec, ds: Dataset): void {
  if (spec.inputs.length !== 1 || model.outputs.length !== 1) {
    const span = model.data?.span;
    throw new DataError(
      `the data block gives 1 input and 1 target, but model ${model.name} has ${spec.inputs.length} input(s) and ${model.outputs.length} output(s)`,
      undefined,
      undefined,
      span,
    );
  }
  const input = model.inputs[0];
  const inShape: readonly Dim[] = input?.shape ?? spec.inputs[0]!.shape;
  if (!dimsAgree(ds.info.inputShape, inShape)) {
    const args = {
      data: formatShape(ds.info.inputShape),
      name: input?.name ?? spec.inputs[0]!.name,
      input: formatShape(inShape),
    };
    throw shapeError(Diagnostics.DataInputShape, args, model);
  }
  const outShape = model.outputShapes[0];
  if (outShape && !dimsAgree(ds.info.targetShape, outShape)) {
    throw shapeError(
      Diagnostics.TargetShape,
      { target: formatShape(ds.info.targetShape), output: formatShape(outShape) },
      model,
    );
  }
}

function finite(logs: Record<string, number>): boolean {
  return Object.values(logs).every((v) => typeof v !== 'number' || Number.isFinite(v));
}

/** Trains `model` (checked IR) on its data block. */
export async function train(model: IRModel, opts: TrainOptions = {}): Promise<TrainResult> {
  const stream = opts.stream ?? process.stdout;
  const progress: ProgressSink = createProgress(opts.progress ?? 'auto', stream);
  const spec = opts.spec ?? toTfModelSpec(model);
  // compile() and fit() take the spec's train part; early stopping and the seed belong to this loop.
  const t = spec.train;
  const { earlyStopping: es, seed } = model.train;
  const epochs = opts.epochs ?? t.epochs;
  const batchSize = opts.batchSize ?? t.batchSize;

  // Data first: every data problem is reported before a backend loads or anything trains.
  let dataset = opts.dataset;
  if (!dataset) {
    if (!model.data)
      throw new DataError(
        `model ${model.name} has no data block: add \`data { synthetic: ... }\`, \`data { csv: "file.csv" ... }\` or \`data { text: "corpus.txt" ... }\``,
        undefined,
        undefined,
        model.span,
      );
    dataset = loadData(model.data, opts.data);
  }
  checkDataShapes(model, spec, dataset);

  const backend = await setupBackend(opts.backend ?? 'auto', spec);
  progress.message(
    `${model.name}: ${describeBackend(backend)}; data: ${dataset.info.description}; ${dataset.train.x.shape[0]} training samples${dataset.test ? `, ${dataset.test.x.shape[0]} test` : ''}`,
  );

  // Resume?
  let state: TrainState | null = null;
  if (opts.outDir) recoverDir(opts.outDir);
  if (opts.resume) {
    if (!opts.outDir) throw new TrainError('--resume needs --out DIR (the directory of the interrupted run).', 2);
    state = existsSync(opts.outDir) ? readTrainState(opts.outDir) : null;
    if (state && state.model !== model.name)
      throw new TrainError(`${opts.outDir} holds a checkpoint of model ${state.model}, not ${model.name}.`, 2);
    if (!state) progress.message(`No checkpoint in ${opts.outDir}; starting from epoch 1.`);
    else if (state.complete && state.epoch >= epochs)
      progress.message(`The run in ${opts.outDir} already finished (${state.epoch} epochs).`);
  }

  const rng = seed !== undefined ? new Rng(seed) : null;
  if (rng) seedMathRandom(rng);
  let tfModel: tf.LayersModel;
  let optimizer: tf.Optimizer;
  let clip: ClipStats;
  const initialEpoch = state ? state.epoch : 0;
  const history: Record<string, number[]> = state ? structuredClone(state.history) : {};
  const x = toTensor(dataset.train.x);
  const y = toTensor(dataset.train.y);
  let stopReason: TrainResult['stopReason'] = 'epochs';
  let message: string | undefined;
  let fitMs = 0;
  let samplesSeen = 0;
  const writer = new CheckpointWriter();
  try {
    if (state) {
      tfModel = await loadModelDir(opts.outDir!);
      ({ optimizer, clip } = compileModel(tfModel, t));
      if (state.optimizerWeights && state.optimizerWeights.length > 0)
        await restoreOptimizer(optimizer, opts.outDir!, state.optimizerWeights);
      // Loading may draw random numbers (initialisers run before the saved weights are set): restore the
      // generator's state only now, so shuffling continues exactly where the interrupted run stopped.
      if (rng && state.rngState !== undefined) rng.state = state.rngState;
      progress.message(`Resuming ${model.name} from ${opts.outDir} after epoch ${state.epoch}.`);
    } else {
      tfModel = buildModel(spec);
      ({ optimizer, clip } = compileModel(tfModel, t));
    }

    // Early stopping state (monitor falls back to loss when there is no validation data).
    const hasVal = t.validationSplit > 0;
    const monitor = es ? (es.monitor.startsWith('val_') && !hasVal ? es.monitor.slice(4) : es.monitor) : 'loss';
    let best = state?.earlyStopping?.best ?? Infinity;
    let wait = state?.earlyStopping?.wait ?? 0;
    let lastGood = initialEpoch;
    let nanAt: { epoch: number; batch: number } | null = null;
    let epochStart = 0;
    let currentEpoch = initialEpoch;
    const nTrain = dataset.train.x.shape[0]!;
    const nFit = hasVal ? Math.floor(nTrain * (1 - t.validationSplit)) : nTrain;
    const nBatches = Math.ceil(nFit / batchSize);
    // tfjs shuffles ONE index array in place every epoch, so an epoch's order depends on all earlier
    // shuffles. With a seed we mirror that array (same Fisher-Yates, same random draws) and checkpoint
    // it; a resumed run feeds the data in that order, so its shuffles continue exactly.
    const trackOrder = t.shuffle && rng !== null;
    let order: Int32Array | null = trackOrder
      ? state?.order
        ? Int32Array.from(state.order)
        : Int32Array.from({ length: nFit }, (_, i) => i)
      : null;
    if (order && order.length !== nFit) order = null;

    const checkpoint = async (epochDone: number, complete: boolean) => {
      if (!opts.outDir) return;
      const st: Omit<TrainState, 'savedAt' | 'optimizerWeights'> = {
        version: 1,
        model: model.name,
        specFile: model.file,
        epoch: epochDone,
        epochs,
        complete,
        stopReason,
        history,
        ...(rng ? { rngState: rng.state } : {}),
        ...(es ? { earlyStopping: { best, wait, monitor } } : {}),
        ...(order ? { order: Array.from(order) } : {}),
        backend: backend.name,
        data: dataset!.info,
        loss: t.loss,
        metrics: t.metrics,
      };
      await saveCheckpoint(opts.outDir, tfModel, st, optimizer, writer);
    };

    if (initialEpoch < epochs && !(state?.complete && state.stopReason !== 'interrupted' && state.epoch >= epochs)) {
      let fx = x;
      let fy = y;
      if (state && order) {
        const idx = tf.tensor1d(
          Int32Array.from({ length: nTrain }, (_, i) => (i < nFit ? order![i]! : i)),
          'int32',
        );
        fx = tf.gather(x, idx);
        fy = tf.gather(y, idx);
        idx.dispose();
        // tfjs's index array restarts from the identity over the reordered data; `order` keeps P and the
        // same positional swaps turn it into P∘σ — the order in terms of the original data, as before.
      }
      const t0 = performance.now();
      await tfModel.fit(fx, fy, {
        epochs,
        initialEpoch,
        batchSize,
        shuffle: t.shuffle,
        validationSplit: t.validationSplit > 0 ? t.validationSplit : undefined,
        verbose: 0,
        yieldEvery: 'never',
        callbacks: {
          onEpochBegin: async (epoch: number) => {
            currentEpoch = epoch;
            if (order && rng) {
              // tf.util.shuffle's exact algorithm, on the draws it is about to make.
              const r = new Rng(rng.state);
              for (let counter = order.length; counter > 0;) {
                const index = (r.next() * counter) | 0;
                counter--;
                const tmp = order[counter]!;
                order[counter] = order[index]!;
                order[index] = tmp;
              }
            }
            epochStart = performance.now();
            progress.epochBegin(epoch, epochs, nBatches);
          },
          onBatchEnd: async (batch: number, logs?: tf.Logs) => {
            const l = (logs ?? {}) as Record<string, number>;
            samplesSeen += l.size ?? batchSize;
            if (!finite({ loss: l.loss ?? 0 })) {
              if (!nanAt) nanAt = { epoch: currentEpoch, batch };
              tfModel.stopTraining = true;
            }
            progress.batchEnd(batch, {
              loss: l.loss ?? NaN,
              ...Object.fromEntries(Object.entries(l).filter(([k]) => k !== 'loss' && k !== 'batch' && k !== 'size')),
            });
          },
          onEpochEnd: async (epoch: number, logs?: tf.Logs) => {
            const l = (logs ?? {}) as Record<string, number>;
            progress.epochEnd(epoch, epochs, l, performance.now() - epochStart);
            // Losses can stay finite while weights are NaN (crossentropy clips its input): check both.
            const weightsBad = tf.tidy(() =>
              tfModel.trainableWeights.some((w) => tf.all(tf.isFinite(w.read())).dataSync()[0] === 0),
            );
            if (nanAt || !finite(l) || weightsBad) {
              nanAt ??= { epoch, batch: -1 };
              tfModel.stopTraining = true;
              return;
            }
            for (const [k, v] of Object.entries(l)) (history[k] ??= []).push(v);
            lastGood = epoch + 1;
            if (es) {
              const v = l[monitor] ?? l.loss!;
              if (v < best - es.minDelta) {
                best = v;
                wait = 0;
              } else if (++wait >= es.patience) {
                stopReason = 'earlyStopping';
                tfModel.stopTraining = true;
              }
            }
            const done = epoch + 1 >= epochs || stopReason === 'earlyStopping';
            await checkpoint(epoch + 1, done);
            await opts.onEpochEnd?.(epoch, l, tfModel);
          },
        },
      });
      writer.flush();
      fitMs = performance.now() - t0;
      if (fx !== x) tf.dispose([fx, fy]);
      if (nanAt) {
        stopReason = 'nan';
        const where =
          (nanAt as { epoch: number; batch: number }).batch >= 0
            ? `epoch ${(nanAt as { epoch: number }).epoch + 1}, batch ${(nanAt as { batch: number }).batch + 1}`
            : `epoch ${(nanAt as { epoch: number }).epoch + 1}`;
        message =
          `The loss (or a weight) became NaN or infinite at ${where}; training stopped.` +
          (opts.outDir
            ? lastGood > 0
              ? ` The last good checkpoint (epoch ${lastGood}) is kept in ${opts.outDir}.`
              : ' No epoch completed, so nothing was saved.'
            : '') +
          ' Try a lower learningRate, clipNorm, or scaled data.';
        progress.message(message);
        if (opts.outDir && lastGood > 0) {
          // Mark the kept checkpoint as the end of the run without replacing its (good) weights.
          const st = readTrainState(opts.outDir);
          if (st) {
            const good = await loadModelDir(opts.outDir);
            tfModel.dispose();
            tfModel = good;
            compileModel(tfModel, t);
          }
        }
      } else if ((stopReason as string) === 'earlyStopping') {
        progress.message(
          `Early stopping after epoch ${lastGood}: ${monitor} did not improve for ${es!.patience} epoch(s).`,
        );
      }
    }
    const epochsDone = stopReason === 'nan' ? lastGood : Math.max(lastGood, initialEpoch);
    let evaluation: Record<string, number> = {};
    if (opts.evaluate !== false) {
      const split = dataset.test ?? dataset.train;
      evaluation = evaluateSplit(tfModel, split, dataset.info);
      progress.message(`${dataset.test ? 'Test' : 'Training'} metrics: ${formatLogs(evaluation)}`);
    }
    if (opts.outDir && stopReason !== 'nan')
      progress.message(`Saved ${model.name} to ${opts.outDir} (model.json + weights.bin).`);
    return {
      model: tfModel,
      backend,
      epochs: epochsDone,
      initialEpoch,
      history,
      stopReason,
      evaluation,
      fitMs,
      samplesPerSec: fitMs > 0 ? samplesSeen / (fitMs / 1000) : 0,
      ...(opts.outDir ? { outDir: opts.outDir } : {}),
      dataset,
      clip,
      ...(message ? { message } : {}),
    };
  } finally {
    writer.close();
    tf.dispose([x, y]);
    progress.close();
    if (rng) restoreMathRandom();
  }
}
