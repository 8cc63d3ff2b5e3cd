/**
 * Training a checked IR model on its `data` block: backend choice, data loading and shape checks before
 * anything trains, seeded Keras-like `fit` with progress, early stopping, NaN/Inf guard, a checkpoint
 * every epoch (atomic), `resume`, and final metrics on the held-out split.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Diagnostics, format, type DiagnosticDef } from '../base/diagnostics.js';
import type { Dim, IRModel } from '../compiler/ir.js';
import { formatShape } from '../compiler/layers/common.js';
import { summarize } from '../compiler/summary.js';
import { toTfModelSpec, type TfModelSpec } from '../compiler/tfspec.js';
import { describeBackend, setupBackend, type BackendChoice, type BackendInfo } from './backend.js';
import { compareFingerprints, runFingerprint } from './fingerprint.js';
import { outDirProblem, runDirContents } from './run-dir.js';
import { buildModel } from './build.js';
import { describeFusion, fuseRecurrentLayers } from './fused/layer.js';
import { fusedUnavailableReason } from './fused/wasm.js';
import { loadData, type LoadDataOptions } from './data/index.js';
import { DataError, type Dataset } from './data/types.js';
import {
  loadModelDir,
  readTrainState,
  recoverDir,
  restoreOptimizer,
  saveCheckpoint,
  type RunSettings,
  type TrainState,
} from './io.js';
import { HistoryCheckpointWriter, runHistoryFor, writeEvaluation } from './history-writer.js';
import { compileModel, type ClipStats } from './optimizer.js';
import { evaluateSplit, fixedBatchOf, isStateful, streamOrder, toTensor } from './predict.js';
import { createProgress, formatLogs, type ProgressMode, type ProgressSink } from './progress.js';
import { Rng, restoreMathRandom, seedMathRandom } from './rng.js';

export interface TrainOptions {
  /** Default: the resumed run's backend, else `auto`. */
  backend?: BackendChoice;
  /** Overrides `train.epochs` (and, when resuming, the run's epochs). */
  epochs?: number;
  /** Overrides `train.batchSize` (and, when resuming, the run's batch size). */
  batchSize?: number;
  /** Where the model and its per-epoch checkpoint go. Nothing is saved without it. */
  outDir?: string;
  /**
   * Continue the run checkpointed in `outDir` (a fresh start when there is none), with the settings it
   * was started with (epochs, batch size, sample counts, backend) unless new ones are given. A
   * checkpoint whose architecture, optimizer or data shapes differ from the spec is refused.
   */
  resume?: boolean;
  /** Replace a run already in `outDir`; without it (or `resume`), training into a run's directory refuses. */
  force?: boolean;
  /** The `--param` overrides the spec was checked with: recorded in lstmc.json for `--resume`. */
  params?: Record<string, string>;
  /** The spec was checked with the resumed run's recorded params (said in the resume line). */
  paramsFromRun?: boolean;
  /**
   * Stops training cleanly (Ctrl-C): an unfinished epoch is discarded, one that just ended is kept,
   * the last checkpoint stays resumable; the result's stopReason is 'interrupted'.
   */
  signal?: AbortSignal;
  /** Also say why the backend was chosen and which layers run on the fused kernels. */
  verbose?: boolean;
  /** Run recurrent layers on the fused kernels (runtime/fused/; default true). */
  fused?: boolean;
  /** More parts for the start line (`backend wasm · data ... · 612 train / 154 test · <parts>`). */
  startParts?: string[];
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
  /** The epochs and batch size the run was asked for (given, the resumed run's, or the spec's). */
  targetEpochs: number;
  batchSize: number;
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

function readStateOrFail(dir: string): TrainState | null {
  try {
    return readTrainState(dir);
  } catch (e) {
    throw new TrainError(`${join(dir, 'lstmc.json')} is not a readable lstmc checkpoint (${(e as Error).message}).`);
  }
}

/** `612 train / 154 test` (with a validation split: `490 train / 122 validation / 154 test`). */
export function describeCounts(nTrain: number, nTest: number | null, validationSplit: number): string {
  const nFit = validationSplit > 0 ? Math.floor(nTrain * (1 - validationSplit)) : nTrain;
  const parts = [`${nFit} train`];
  if (nFit !== nTrain) parts.push(`${nTrain - nFit} validation`);
  if (nTest !== null) parts.push(`${nTest} test`);
  return parts.join(' / ');
}

/** The start line from its parts: `Model: backend wasm · data ... · 612 train / 154 test`. */
export function startLine(model: string, parts: readonly string[]): string {
  return `${model}: ${parts.filter((p) => p !== '').join(' · ')}`;
}

/**
 * One line saying what a resumed run continues with: the run's settings, and any given anew
 * (`Resuming M from run after epoch 2 of 6 with the run's settings: epochs 6, batch size 16, 900 samples.`).
 */
function resumeLine(
  name: string,
  opts: TrainOptions,
  state: TrainState,
  used: { epochs: number; batchSize: number },
  ds: Dataset,
): string {
  const run = state.run;
  const items: string[] = [];
  const setting = (label: string, value: number | string, given: boolean, had: number | string | undefined) =>
    given && had !== undefined && String(had) !== String(value)
      ? `${label} ${value} (given; the run had ${had})`
      : `${label} ${value}`;
  items.push(setting('epochs', used.epochs, opts.epochs !== undefined, run?.epochs ?? state.epochs));
  items.push(setting('batch size', used.batchSize, opts.batchSize !== undefined, run?.batchSize));
  const nTrain = ds.train.x.shape[0]!;
  if (ds.info.source === 'synthetic')
    items.push(setting('samples', ds.info.options.samples as number, opts.data?.samples !== undefined, run?.samples));
  else if (run && run.trainCount !== nTrain)
    items.push(`${nTrain} training examples (the data changed; the run had ${run.trainCount})`);
  const params = Object.entries(opts.params ?? {});
  if (params.length > 0)
    items.push(`${params.map(([k, v]) => `--param ${k}=${v}`).join(' ')}${opts.paramsFromRun ? '' : ' (given)'}`);
  const total = run?.epochs ?? state.epochs;
  return (
    `Resuming ${name} from ${opts.outDir} after epoch ${state.epoch} of ${total}: ${items.join(', ')} ` +
    `(${run ? "the run's settings unless given" : 'the checkpoint records no run settings'}).`
  );
}

/** Trains `model` (checked IR) on its data block. */
export async function train(model: IRModel, opts: TrainOptions = {}): Promise<TrainResult> {
  const stream = opts.stream ?? process.stdout;
  const progress: ProgressSink = createProgress(opts.progress ?? 'auto', stream);
  const spec = opts.spec ?? toTfModelSpec(model);
  // compile() and fit() take the spec's train part; early stopping and the seed belong to this loop.
  const t = spec.train;
  const { earlyStopping: es, seed } = model.train;

  // The run directory first: refuse to overwrite a run (or anything else) before any work is done.
  let state: TrainState | null = null;
  if (opts.outDir) {
    recoverDir(opts.outDir);
    const problem = outDirProblem(opts.outDir, opts);
    if (problem) throw new TrainError(problem);
    if (opts.resume && runDirContents(opts.outDir).kind === 'run') state = readStateOrFail(opts.outDir);
  } else if (opts.resume) {
    throw new TrainError('--resume needs --out DIR (the directory of the interrupted run).', 2);
  }
  if (state && state.model !== model.name)
    throw new TrainError(`${opts.outDir} holds a checkpoint of model ${state.model}, not ${model.name}.`, 2);
  const run = state?.run;

  // The run's settings unless new ones are given (a checkpoint without them: its epochs, else the spec's).
  const epochs = opts.epochs ?? run?.epochs ?? state?.epochs ?? t.epochs;
  const batchSize = opts.batchSize ?? run?.batchSize ?? t.batchSize;
  // A declared batch size (`input x: [1, 1] batch 25`) fixes the batch: the model cannot take another.
  const declaredBatch = spec.inputs.find((i) => i.batch !== undefined)?.batch;
  if (declaredBatch !== undefined && batchSize !== declaredBatch)
    throw new TrainError(
      `model ${model.name} declares batch ${declaredBatch} (\`input ... batch ${declaredBatch}\`), so it trains on batches of ${declaredBatch}, not ${batchSize}${opts.batchSize !== undefined ? ' (--batch-size)' : ''}.`,
      2,
    );
  const backendChoice: BackendChoice = opts.backend ?? (run?.backend as BackendChoice | undefined) ?? 'auto';
  const dataOpts: LoadDataOptions = { ...opts.data };
  if (run && dataOpts.samples === undefined && run.samples !== undefined) dataOpts.samples = run.samples;
  if (run && dataOpts.testSamples === undefined && run.testSamples !== undefined)
    dataOpts.testSamples = run.testSamples;

  // Data next: every data problem is reported before a backend loads or anything trains.
  let dataset = opts.dataset;
  if (!dataset) {
    if (!model.data)
      throw new DataError(
        `model ${model.name} has no data block: add \`data { synthetic: ... }\`, \`data { csv: "file.csv" ... }\` or \`data { text: "corpus.txt" ... }\``,
        undefined,
        undefined,
        model.span,
      );
    dataset = loadData(model.data, dataOpts);
  }
  checkDataShapes(model, spec, dataset);
  const nTrainAll = dataset.train.x.shape[0]!;
  const nTestAll = dataset.test ? dataset.test.x.shape[0]! : null;

  // A checkpoint must match the spec: same architecture, optimizer, loss and data shapes.
  const fingerprint = runFingerprint(spec, dataset.info);
  if (state?.fingerprint) {
    const diffs = compareFingerprints(state.fingerprint, fingerprint);
    if (diffs.length > 0) {
      const shown = diffs.slice(0, 8).map((d) => `  ${d}`);
      if (diffs.length > 8) shown.push(`  ... and ${diffs.length - 8} more`);
      throw new TrainError(
        `the checkpoint in ${opts.outDir} does not match ${model.file} (model ${model.name}):\n${shown.join('\n')}\n` +
          'Undo the change to continue this run, start over with --force, or train into another --out.',
      );
    }
  }

  const backend = await setupBackend(backendChoice, spec);
  const parts = [
    `backend ${backend.name}`,
    `data ${dataset.info.description}${dataset.info.alphabet && dataset.info.source === 'text' ? ` (${[...dataset.info.alphabet].length} symbols)` : ''}`,
    describeCounts(nTrainAll, nTestAll, t.validationSplit),
    ...(opts.startParts ?? []),
  ];
  progress.message(startLine(model.name, parts));
  if (opts.verbose) progress.message(describeBackend(backend));

  if (opts.resume) {
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
  // history.csv (runtime/history.ts) goes into every checkpoint; a resumed run continues its rows.
  const runHistory = runHistoryFor(opts.outDir, state);
  const writer = new HistoryCheckpointWriter(runHistory);
  try {
    if (state) {
      try {
        tfModel = await loadModelDir(opts.outDir!);
        ({ optimizer, clip } = compileModel(tfModel, t));
        if (state.optimizerWeights && state.optimizerWeights.length > 0)
          await restoreOptimizer(optimizer, opts.outDir!, state.optimizerWeights);
      } catch (e) {
        // Only a checkpoint without a fingerprint (an older lstmc, another engine) gets this far unchecked.
        throw new TrainError(
          `cannot continue the run in ${opts.outDir}: ${(e as Error).message.split('\n')[0]}` +
            (state.fingerprint ? '' : ' (its lstmc.json records no fingerprint to compare with the spec)') +
            '; train into a new --out, or start over with --force.',
        );
      }
      if (!state.fingerprint) {
        // An older checkpoint (or another engine's) records no fingerprint: compare what it can tell.
        const expected = summarize(model).totalParams;
        const got = tfModel.countParams();
        const shapes = (m: { inputs: { shape: (number | null)[] }[] }) =>
          JSON.stringify(m.inputs.map((i) => i.shape.slice(1)));
        const specShapes = JSON.stringify(spec.inputs.map((i) => i.shape));
        if (got !== expected || shapes(tfModel) !== specShapes) {
          tfModel.dispose();
          throw new TrainError(
            `the checkpoint in ${opts.outDir} does not match ${model.file} (model ${model.name}): ` +
              (got !== expected
                ? `${got} parameters in the checkpoint, ${expected} in the spec`
                : `inputs ${shapes(tfModel)} in the checkpoint, ${specShapes} in the spec`) +
              ' (its lstmc.json records no fingerprint to say more).\n' +
              'Undo the change to continue this run, start over with --force, or train into another --out.',
          );
        }
      }
      // Loading may draw random numbers (initialisers run before the saved weights are set): restore the
      // generator's state only now, so shuffling continues exactly where the interrupted run stopped.
      if (rng && state.rngState !== undefined) rng.state = state.rngState;
      if (!(state.complete && state.epoch >= epochs))
        progress.message(resumeLine(model.name, opts, state, { epochs, batchSize }, dataset));
    } else {
      tfModel = buildModel(spec);
      ({ optimizer, clip } = compileModel(tfModel, t));
    }
    // Recurrent layers run on the fused kernels (runtime/fused/) unless turned off.
    if (opts.fused !== false) {
      const fusion = fuseRecurrentLayers(tfModel);
      const unavailable = fusedUnavailableReason();
      if (opts.verbose && (fusion.fused.length || fusion.skipped.length)) progress.message(describeFusion(fusion));
      else if (unavailable && fusion.skipped.length)
        progress.message(`The fused recurrent kernels do not run here (${unavailable}); tfjs's layers run instead.`);
    }

    // Early stopping state (monitor falls back to loss when there is no validation data).
    const hasVal = t.validationSplit > 0;
    const monitor = es ? (es.monitor.startsWith('val_') && !hasVal ? es.monitor.slice(4) : es.monitor) : 'loss';
    let best = state?.earlyStopping?.best ?? Infinity;
    let wait = state?.earlyStopping?.wait ?? 0;
    let lastGood = initialEpoch;
    let nanAt: { epoch: number; batch: number } | null = null;
    // Ctrl-C (opts.signal): stop after the current batch; an unfinished epoch is discarded.
    let interruptedAt: { epoch: number; batch: number } | null = opts.signal?.aborted
      ? { epoch: initialEpoch, batch: -1 }
      : null;
    let lastYield = performance.now();
    let epochStart = 0;
    let currentEpoch = initialEpoch;
    const nTrain = dataset.train.x.shape[0]!;
    const nFitAll = hasVal ? Math.floor(nTrain * (1 - t.validationSplit)) : nTrain;
    // A stateful model (a declared batch): whole batches only, each split in the stream layout (predict.ts
    // streamOrder), states reset at the start of every epoch; the remainder of each split is dropped.
    const statefulBatch = isStateful(tfModel) ? (fixedBatchOf(tfModel) ?? batchSize) : undefined;
    const nFit = statefulBatch === undefined ? nFitAll : nFitAll - (nFitAll % statefulBatch);
    const nValAll = nTrain - nFitAll;
    const nVal = statefulBatch === undefined ? nValAll : nValAll - (nValAll % statefulBatch);
    if (statefulBatch !== undefined) {
      if (nFit === 0 || (hasVal && nVal === 0))
        throw new TrainError(
          `model ${model.name} is stateful with batch ${statefulBatch}, but ${nFit === 0 ? `the training split has ${nFitAll}` : `the validation split has ${nValAll}`} sample(s): it needs at least one whole batch.`,
        );
      if (nFit < nFitAll || nVal < nValAll)
        progress.message(
          `Stateful model, batch ${statefulBatch}: training on ${nFit} of ${nFitAll} samples${hasVal ? ` and validating on ${nVal} of ${nValAll}` : ''} (whole batches; the rest is dropped).`,
        );
    }
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

    const runSettings: RunSettings = {
      epochs,
      batchSize,
      ...(dataset.info.source === 'synthetic'
        ? { samples: dataset.info.options.samples as number, testSamples: dataset.info.options.testSamples as number }
        : {}),
      trainCount: nTrainAll,
      testCount: nTestAll ?? 0,
      ...(opts.params && Object.keys(opts.params).length > 0 ? { params: { ...opts.params } } : {}),
      ...(backendChoice !== 'auto' ? { backend: backendChoice } : {}),
    };
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
        run: runSettings,
        fingerprint,
      };
      await saveCheckpoint(opts.outDir, tfModel, st, optimizer, writer);
    };

    if (
      !interruptedAt &&
      initialEpoch < epochs &&
      !(state?.complete && state.stopReason !== 'interrupted' && state.epoch >= epochs)
    ) {
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
      let validationData: [tf.Tensor, tf.Tensor] | undefined;
      if (statefulBatch !== undefined) {
        // Each split in whole batches and the stream layout; validation data given explicitly.
        const streams = (a: tf.Tensor, from: number, n: number): tf.Tensor =>
          tf.tidy(() => tf.gather(a.slice(from, n), tf.tensor1d(streamOrder(n, statefulBatch), 'int32')));
        const [sx, sy] = [streams(fx, 0, nFit), streams(fy, 0, nFit)];
        if (hasVal) validationData = [streams(fx, nFitAll, nVal), streams(fy, nFitAll, nVal)];
        if (fx !== x) tf.dispose([fx, fy]);
        fx = sx;
        fy = sy;
      }
      const t0 = performance.now();
      await tfModel.fit(fx, fy, {
        epochs,
        initialEpoch,
        batchSize,
        shuffle: t.shuffle,
        ...(validationData !== undefined
          ? { validationData }
          : { validationSplit: t.validationSplit > 0 ? t.validationSplit : undefined }),
        verbose: 0,
        yieldEvery: 'never',
        callbacks: {
          onEpochBegin: async (epoch: number) => {
            currentEpoch = epoch;
            if (statefulBatch !== undefined) tfModel.resetStates();
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
            if (opts.signal) {
              // fit never yields by itself (yieldEvery: 'never'): let the event loop deliver signals.
              const now = performance.now();
              if (now - lastYield > 50) {
                lastYield = now;
                await new Promise((r) => setImmediate(r));
              }
              if (opts.signal.aborted && !interruptedAt) {
                interruptedAt = { epoch: currentEpoch, batch };
                tfModel.stopTraining = true;
              }
            }
            progress.batchEnd(batch, {
              loss: l.loss ?? NaN,
              ...Object.fromEntries(Object.entries(l).filter(([k]) => k !== 'loss' && k !== 'batch' && k !== 'size')),
            });
          },
          onEpochEnd: async (epoch: number, logs?: tf.Logs) => {
            const l = (logs ?? {}) as Record<string, number>;
            if (interruptedAt && interruptedAt.batch < nBatches - 1) {
              // Stopped inside the epoch: its weights are half-updated; keep the last checkpoint instead.
              progress.close();
              return;
            }
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
            runHistory.record(epoch + 1, l, (performance.now() - epochStart) / 1000, nFit);
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
            if (!done && opts.signal?.aborted) {
              // Ctrl-C during the epoch's last batch or its checkpoint: the epoch is kept, training stops.
              interruptedAt ??= { epoch, batch: nBatches - 1 };
              tfModel.stopTraining = true;
            }
          },
        },
      });
      writer.flush();
      fitMs = performance.now() - t0;
      // Ctrl-C in the last batch of the last epoch: the run finished all the same.
      if (interruptedAt && lastGood >= epochs) interruptedAt = null;
      if (fx !== x) tf.dispose([fx, fy]);
      if (validationData) tf.dispose(validationData);
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
            if (opts.fused !== false) fuseRecurrentLayers(tfModel);
          }
        }
      } else if (interruptedAt) {
        stopReason = 'interrupted';
      } else if ((stopReason as string) === 'earlyStopping') {
        progress.message(
          `Early stopping after epoch ${lastGood}: ${monitor} did not improve for ${es!.patience} epoch(s).`,
        );
      }
    }
    if (interruptedAt) stopReason = 'interrupted';
    const epochsDone =
      stopReason === 'nan' || stopReason === 'interrupted' ? lastGood : Math.max(lastGood, initialEpoch);
    let evaluation: Record<string, number> = {};
    if (opts.evaluate !== false && stopReason !== 'interrupted') {
      const split = dataset.test ?? dataset.train;
      evaluation = evaluateSplit(tfModel, split, dataset.info);
      progress.message(`${dataset.test ? 'Test' : 'Training'} metrics: ${formatLogs(evaluation)}`);
      if (opts.outDir && epochsDone > 0 && existsSync(opts.outDir))
        writeEvaluation(opts.outDir, {
          epoch: epochsDone,
          split: dataset.test ? 'test' : 'train',
          metrics: evaluation,
        });
    }
    if (opts.outDir && stopReason !== 'nan' && stopReason !== 'interrupted' && epochsDone > initialEpoch)
      progress.message(`Saved ${model.name} to ${opts.outDir} (model.json + weights.bin).`);
    return {
      model: tfModel,
      backend,
      epochs: epochsDone,
      initialEpoch,
      targetEpochs: epochs,
      batchSize,
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
