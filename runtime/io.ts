/**
 * Saving and loading in the TF.js layers format (model.json + weights.bin) through file IO handlers
 * (plain @tensorflow/tfjs has no `file://`), written ATOMICALLY: every file of a save goes to a fresh
 * temporary sibling directory which then replaces the target directory by rename. A crash leaves either
 * the old or the new directory complete: readers use `readableDir`, and the next writer (`train`) calls
 * `recoverDir`, which puts an interrupted swap's old directory back and removes stale temporaries.
 *
 * Directory layout:
 *   model.json     TF.js layers model (modelTopology + weightsManifest → weights.bin); loadable by
 *                  tf.loadLayersModel with any file/http handler
 *   weights.bin    model weights
 *   optimizer.bin  optimizer state (Adam moments, iterations) for `--resume`
 *   lstmc.json     training state: epoch, history, rng state, early-stopping state, data info
 */
import {
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
// lstmc's own layer classes register for deserialization as this loads: run directories may name them.
import './layers/index.js';
import type { DataInfo } from './data/types.js';
import { readableDir } from './run-dir.js';

export { readableDir };
import type { RunFingerprint } from './fingerprint.js';

/**
 * How a run was started, so that `--resume` continues the same run: every setting the command line
 * may override. Sample counts are those of the data the run trained on.
 */
export interface RunSettings {
  epochs: number;
  batchSize: number;
  /** Synthetic data: the training / test example counts generated (`--samples` or the spec's). */
  samples?: number;
  testSamples?: number;
  /** Examples the run trained and tested on (any source). */
  trainCount: number;
  testCount: number;
  /** `--param name=value` overrides the run was started with. */
  params?: Record<string, string>;
  /** The backend asked for (`--backend`). */
  backend?: string;
}

export interface TrainState {
  version: 1;
  model: string;
  specFile?: string;
  /** Epochs completed so far. */
  epoch: number;
  /** Epochs the run was asked for. */
  epochs: number;
  /** true once the run ended (all epochs, early stop, or NaN stop). */
  complete: boolean;
  stopReason?: 'epochs' | 'earlyStopping' | 'nan' | 'interrupted';
  history: Record<string, number[]>;
  /** Seeded Math.random state after the last completed epoch. */
  rngState?: number;
  earlyStopping?: { best: number; wait: number; monitor: string };
  /** With a seed and shuffle: tfjs's cumulative shuffle order (indices into the training data). */
  order?: number[];
  backend?: string;
  data?: DataInfo;
  loss: string;
  metrics: string[];
  optimizerWeights?: tf.io.WeightsManifestEntry[];
  /** How the run was started (lstmc ≥ issue 12; absent in older checkpoints). */
  run?: RunSettings;
  /** Architecture, optimizer and data shapes the checkpoint was trained as (runtime/fingerprint.ts). */
  fingerprint?: RunFingerprint;
  savedAt: string;
}

let tmpCounter = 0;

function writeFileSynced(path: string, data: Uint8Array | string): void {
  const fd = openSync(path, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported everywhere */
  }
}

/**
 * If a previous swap was interrupted between its two renames, `dir` is missing and `dir.old-*` holds the
 * last complete save: put it back. Stale temporary directories are removed.
 */
export function recoverDir(dir: string): void {
  const abs = resolve(dir);
  const parent = dirname(abs);
  const base = basename(abs);
  if (!existsSync(parent)) return;
  const siblings = readdirSync(parent);
  const olds = siblings.filter((s) => s.startsWith(`${base}.old-`)).sort();
  if (!existsSync(abs) && olds.length > 0) renameSync(join(parent, olds[olds.length - 1]!), abs);
  for (const s of siblings) {
    if (s.startsWith(`${base}.tmp-`) || (s.startsWith(`${base}.old-`) && existsSync(abs))) {
      rmSync(join(parent, s), { recursive: true, force: true });
    }
  }
}

/** Writes `files` as the complete new content of `dir`, atomically (temp dir + rename). */
export function writeDirAtomic(dir: string, files: Record<string, Uint8Array | string>): void {
  const abs = resolve(dir);
  const parent = dirname(abs);
  mkdirSync(parent, { recursive: true });
  const tag = `${process.pid}-${Date.now()}-${tmpCounter++}`;
  const tmp = join(parent, `${basename(abs)}.tmp-${tag}`);
  mkdirSync(tmp);
  for (const [name, data] of Object.entries(files)) writeFileSynced(join(tmp, name), data);
  fsyncDir(tmp);
  let old: string | null = null;
  if (existsSync(abs)) {
    old = join(parent, `${basename(abs)}.old-${tag}`);
    renameSync(abs, old);
  }
  renameSync(tmp, abs);
  fsyncDir(parent);
  if (old) rmSync(old, { recursive: true, force: true });
}

function joinWeights(w: tf.io.WeightData | undefined): Uint8Array {
  if (w === undefined) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(w));
}

/** The artifacts of a model (topology + weights), captured through a save handler. */
export async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return captured!;
}

/** The model.json text of saved artifacts, its weights manifest naming one `weights.bin`. */
function modelJson(a: tf.io.ModelArtifacts, withTrainingConfig: boolean): string {
  return JSON.stringify({
    modelTopology: a.modelTopology,
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? null,
    weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs ?? [] }],
    ...(withTrainingConfig && a.trainingConfig ? { trainingConfig: a.trainingConfig } : {}),
    ...(a.userDefinedMetadata ? { userDefinedMetadata: a.userDefinedMetadata } : {}),
  });
}

/** model.json text and weights.bin bytes for a model. */
export async function modelFiles(model: tf.LayersModel): Promise<{ 'model.json': string; 'weights.bin': Uint8Array }> {
  const a = await modelArtifacts(model);
  return { 'model.json': modelJson(a, false), 'weights.bin': joinWeights(a.weightData) };
}

/** A save handler writing model.json + weights.bin into `dir` atomically (`model.save(fileSaveHandler(dir))`). */
export function fileSaveHandler(
  dir: string,
  extra: () => Record<string, Uint8Array | string> = () => ({}),
): tf.io.IOHandler {
  return tf.io.withSaveHandler(async (a) => {
    writeDirAtomic(dir, { 'model.json': modelJson(a, true), 'weights.bin': joinWeights(a.weightData), ...extra() });
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
  });
}

/** A load handler reading a TF.js layers model directory (model.json + its weight files). */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const modelPath = join(dir, 'model.json');
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(readFileSync(modelPath, 'utf8')) as tf.io.ModelJSON;
      } catch (e) {
        throw new Error(
          `Cannot read ${modelPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (train a model first)' : (e as Error).message}`,
        );
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of json.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const b = readFileSync(join(dir, p));
          buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
        }
      }
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: specs,
        weightData: tf.io.concatenateArrayBuffers(buffers),
        ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
      };
    },
  };
}

/** Loads a saved model directory (read-only; safe while another process checkpoints into it). */
export async function loadModelDir(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileLoadHandler(readableDir(dir)));
}

/** The training state of a saved directory (read-only). */
export function readTrainState(dir: string): TrainState | null {
  const p = join(readableDir(dir), 'lstmc.json');
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as TrainState;
}

/** Optimizer state as bytes + specs. */
export async function optimizerFiles(
  opt: tf.Optimizer,
): Promise<{ data: Uint8Array; specs: tf.io.WeightsManifestEntry[] }> {
  const weights = await opt.getWeights();
  const { data, specs } = await tf.io.encodeWeights(weights);
  return { data: joinWeights(data), specs };
}

export async function restoreOptimizer(
  opt: tf.Optimizer,
  dir: string,
  specs: tf.io.WeightsManifestEntry[],
): Promise<void> {
  const b = readFileSync(join(readableDir(dir), 'optimizer.bin'));
  const map = tf.io.decodeWeights(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, specs);
  await opt.setWeights(specs.map((s) => ({ name: s.name, tensor: map[s.name]! })));
}

/**
 * The same atomic directory write, done by a worker thread so that the file system work (writes, fsync,
 * renames) overlaps the next epoch instead of stalling training. `write` first waits (synchronously,
 * usually not at all) for the previous write, so checkpoints land in order; `flush` waits for the last.
 * Waiting uses Atomics.wait + receiveMessageOnPort, so it works while tfjs keeps the event loop busy.
 */
export class CheckpointWriter {
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  private flag = new Int32Array(new SharedArrayBuffer(4));
  private pending = 0;
  private done = 0;

  private start(): void {
    const { port1, port2 } = new MessageChannel();
    const code = `
      const { workerData } = require('node:worker_threads');
      const fs = require('node:fs');
      const path = require('node:path');
      const { flag, port } = workerData;
      let n = 0;
      function writeSynced(p, data) {
        const fd = fs.openSync(p, 'w');
        try { let off = 0; while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off); fs.fsyncSync(fd); }
        finally { fs.closeSync(fd); }
      }
      function fsyncDir(d) { try { const fd = fs.openSync(d, 'r'); try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); } } catch {} }
      port.on('message', ({ id, dir, files }) => {
        let error = null;
        try {
          const abs = path.resolve(dir); const parent = path.dirname(abs); const base = path.basename(abs);
          fs.mkdirSync(parent, { recursive: true });
          const tag = process.pid + '-' + Date.now() + '-w' + (n++);
          const tmp = path.join(parent, base + '.tmp-' + tag);
          fs.mkdirSync(tmp);
          for (const [name, data] of Object.entries(files)) writeSynced(path.join(tmp, name), typeof data === 'string' ? Buffer.from(data) : data);
          fsyncDir(tmp);
          let old = null;
          if (fs.existsSync(abs)) { old = path.join(parent, base + '.old-' + tag); fs.renameSync(abs, old); }
          fs.renameSync(tmp, abs);
          fsyncDir(parent);
          if (old) fs.rmSync(old, { recursive: true, force: true });
        } catch (e) { error = String(e && e.message || e); }
        port.postMessage({ id, error });
        Atomics.store(flag, 0, id);
        Atomics.notify(flag, 0);
      });
    `;
    this.worker = new Worker(code, { eval: true, workerData: { flag: this.flag, port: port2 }, transferList: [port2] });
    this.worker.unref();
    this.port = port1;
  }

  /** Waits for every write handed over so far; throws if one failed. */
  flush(): void {
    while (this.done < this.pending) {
      Atomics.wait(this.flag, 0, this.done, 60_000);
      for (let m = receiveMessageOnPort(this.port!); m; m = receiveMessageOnPort(this.port!)) {
        const { id, error } = m.message as { id: number; error: string | null };
        this.done = Math.max(this.done, id);
        if (error) throw new Error(`Cannot write the checkpoint: ${error}`);
      }
    }
  }

  write(dir: string, files: Record<string, Uint8Array | string>): void {
    this.flush();
    if (!this.worker) this.start();
    const id = ++this.pending;
    const transfer = Object.values(files)
      .filter(
        (f): f is Uint8Array =>
          typeof f !== 'string' &&
          f.byteOffset === 0 &&
          f.byteLength === f.buffer.byteLength &&
          f.buffer instanceof ArrayBuffer,
      )
      .map((f) => f.buffer as ArrayBuffer);
    this.port!.postMessage({ id, dir, files }, [...new Set(transfer)]);
  }

  close(): void {
    try {
      this.flush();
    } finally {
      void this.worker?.terminate();
      this.port?.close();
      this.worker = null;
      this.port = null;
    }
  }
}

/**
 * Writes a full checkpoint (model, optimizer state, training state) atomically — in the background
 * when a `writer` is given (call `writer.flush()` before relying on it).
 */
export async function saveCheckpoint(
  dir: string,
  model: tf.LayersModel,
  state: Omit<TrainState, 'savedAt' | 'optimizerWeights'>,
  optimizer?: tf.Optimizer,
  writer?: CheckpointWriter,
): Promise<void> {
  const files: Record<string, Uint8Array | string> = { ...(await modelFiles(model)) };
  const full: TrainState = { ...state, savedAt: new Date().toISOString() };
  if (optimizer) {
    const o = await optimizerFiles(optimizer);
    files['optimizer.bin'] = o.data;
    full.optimizerWeights = o.specs;
  }
  files['lstmc.json'] = JSON.stringify(full, null, 1);
  if (writer) writer.write(dir, files);
  else writeDirAtomic(dir, files);
}
