/**
 * `lstmc import --weights` (runtime/import-weights.ts): the weights of a TF.js layers model assigned to
 * the imported spec's model and saved as a run directory.
 *
 * Through the real CLI (dist/cli/main.js): `lstmc import model.json -o imported.lstm --weights run`, then
 * `lstmc predict run`. Oracle: tfjs's own `loadLayersModel` of the original files (read from disk here,
 * independently of the module under test) on fixed inputs, or Keras's maths in float64 where tfjs cannot
 * load the original (GRU reset_after, causal Conv1D). For every TF.js fixture with weights in
 * test/fixtures/import/real/ the run's outputs — through `lstmc predict` for one-input models, through
 * the runtime's loader of run directories for several inputs (`lstmc predict` takes one input) — equal
 * the oracle's within 1e-6; the same for TF.js models saved from the reference specs (read through the
 * loader). Converter layouts (shards, groups, quantization), a hand-edited spec, a fast-check property
 * on mangled manifests, and every failure (each LSTM5050-5069 code) through `importWeights` itself,
 * with nothing written.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Diagnostics, type Diagnostic } from '../base/diagnostics.js';
import { checkSource } from '../compiler/index.js';
import { toTfModelSpec } from '../compiler/tfspec.js';
import { buildModel } from '../runtime/build.js';
import { importModel } from '../compiler/import/index.js';
import { importWeights, type ImportedTrainState } from '../runtime/import-weights.js';
import { loadModelDir, modelFiles, writeDirAtomic } from '../runtime/io.js';
import { runCli } from './helpers/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REAL = path.join(ROOT, 'test', 'fixtures', 'import', 'real');
const TMP = mkdtempSync(path.join(tmpdir(), 'lstmc-import-weights-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

let dirCount = 0;
const fresh = (name: string): string => {
  const d = path.join(TMP, `${name}-${dirCount++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

/** tfjs's load of a TF.js model directory, straight from the files (the oracle). */
async function loadOriginal(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const bufs = json.weightsManifest.flatMap((g) =>
    g.paths.map((p) => {
      const b = readFileSync(path.join(dir, p));
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    }),
  );
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: specs,
      weightData: tf.io.concatenateArrayBuffers(bufs),
    }),
  );
}

/**
 * Fixed samples for a model input: `ids` draws integers in [0, ids), else values in [-1, 1); `pad`
 * zeroes the first steps of sample i (i mod (pad + 1) of them: padded sequences for masks).
 */
function samples(shape: number[], n: number, seed: number, ids?: number, pad = 0): number[][] {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const size = shape.reduce((a, b) => a * b, 1);
  const step = size / (shape[0] ?? 1);
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: size }, (_, k) =>
      k < (i % (pad + 1)) * step ? 0 : ids !== undefined ? Math.floor(next() * ids) : next() * 2 - 1,
    ),
  );
}

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

interface Case {
  /** Fixture folder in test/fixtures/import/real (tfjs-*). */
  fixture: string;
  /** Per input: one sample's shape (batch excluded, unknown dims fixed), for ids the vocabulary, padded steps. */
  inputs: { shape: number[]; ids?: number; pad?: number }[];
  /** Samples per call (a stateful model's declared batch); default 4. */
  batch?: number;
}

const CASES: Case[] = [
  { fixture: 'tfjs-sentiment', inputs: [{ shape: [12], ids: 50 }] },
  { fixture: 'tfjs-stacked-lstm', inputs: [{ shape: [10, 1] }] },
  { fixture: 'tfjs-seq2seq', inputs: [{ shape: [7, 5] }, { shape: [3, 4] }] },
  { fixture: 'tfjs-bidirectional-gru', inputs: [{ shape: [7, 3] }] },
  { fixture: 'tfjs-cnn-lstm', inputs: [{ shape: [12, 2] }] },
  { fixture: 'tfjs-simplernn-timedistributed', inputs: [{ shape: [5, 3] }] },
  { fixture: 'tfjs-two-branch-concat', inputs: [{ shape: [6, 2] }, { shape: [6, 3] }] },
  { fixture: 'tfjs-converted-keras-stacked', inputs: [{ shape: [14, 2] }] },
  { fixture: 'tfjs-masking-lstm', inputs: [{ shape: [6, 3], pad: 3 }] },
  { fixture: 'tfjs-embedding-mask-zero', inputs: [{ shape: [8], ids: 30, pad: 4 }] },
  { fixture: 'tfjs-convlstm-next-frame', inputs: [{ shape: [3, 6, 6, 1] }] },
  { fixture: 'tfjs-conv3d-video', inputs: [{ shape: [4, 6, 6, 1] }] },
  { fixture: 'tfjs-stateful-char-rnn', inputs: [{ shape: [1], ids: 20 }], batch: 2 },
];

/** The spec `lstmc import` writes for a fixture (G1's converter, in-process). */
function importedSpec(source: string): string {
  const r = importModel(readFileSync(source, 'utf8'), source);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.text!;
}

/** `lstmc import SOURCE -o imported.lstm --weights run` through the real CLI, in a fresh directory. */
function cliImport(source: string): { dir: string; specFile: string } {
  const work = fresh('cli');
  const r = runCli(['import', source, '-o', 'imported.lstm', '--weights', 'run'], { cwd: work });
  expect(r.stderr).not.toMatch(/error|\n\s+at /);
  expect(r.code).toBe(0);
  return { dir: path.join(work, 'run'), specFile: path.join(work, 'imported.lstm') };
}

/** Imports `source` with `spec` into a fresh run directory; returns it and the diagnostics. */
async function runImport(
  source: string,
  spec: string,
  extra: { outDir?: string; force?: boolean } = {},
): Promise<{ dir: string; specFile: string; diagnostics: Diagnostic[] }> {
  const work = fresh('import');
  const specFile = path.join(work, 'imported.lstm');
  writeFileSync(specFile, spec);
  const dir = extra.outDir ?? path.join(work, 'run');
  const { diagnostics } = await importWeights({
    source,
    specText: spec,
    specFile,
    outDir: dir,
    ...(extra.force !== undefined ? { force: extra.force } : {}),
  });
  return { dir, specFile, diagnostics };
}

/** Outputs of the original (tfjs) and of the run directory for fixed inputs; the largest |difference|. */
async function compareRun(
  originalDir: string,
  runDir: string,
  inputs: Case['inputs'],
  batch = 4,
  viaCli = true,
): Promise<number> {
  const original = await loadOriginal(originalDir);
  const xs = inputs.map((inp, i) => samples(inp.shape, batch, 11 + i, inp.ids, inp.pad));
  const tensors = xs.map((x, i) => tf.tensor(x.flat(), [x.length, ...inputs[i]!.shape]));
  const want = tf.tidy(() => {
    const y = original.predict(tensors.length === 1 ? tensors[0]! : tensors) as tf.Tensor;
    return Array.from(y.dataSync());
  });
  let got: number[];
  if (inputs.length === 1 && viaCli) {
    // The real CLI: lstmc predict DIR -i samples.json --format json.
    const file = path.join(fresh('samples'), 'samples.json');
    writeFileSync(file, JSON.stringify(xs[0]!.map((s) => nestAs(s, inputs[0]!.shape))));
    const r = runCli(['predict', runDir, '-i', file, '--format', 'json', '--backend', 'cpu'], { cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { predictions: { output: unknown }[] };
    got = out.predictions.flatMap((p) => [p.output].flat(Infinity as 1) as number[]);
  } else {
    // Several inputs (or the CLI already covered): the runtime's loader of run directories (what `lstmc predict` uses).
    const m = await loadModelDir(runDir);
    got = tf.tidy(() => Array.from((m.predict(tensors) as tf.Tensor).dataSync()));
    m.dispose();
  }
  tf.dispose(tensors);
  original.dispose();
  return maxAbsDiff(got, want);
}

function nestAs(flat: number[], shape: number[]): unknown {
  if (shape.length <= 1) return flat;
  const [, ...rest] = shape;
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0]! }, (_, i) => nestAs(flat.slice(i * size, (i + 1) * size), rest));
}

const figures: string[] = [];
afterAll(() => {
  if (figures.length > 0) console.log(`import --weights, max |lstmc predict - tfjs|:\n  ${figures.join('\n  ')}`);
});

describe('lstmc import --weights: the run directory computes what tfjs computes from the original files', () => {
  it.each(CASES)('$fixture', async ({ fixture, inputs, batch }) => {
    const source = path.join(REAL, fixture, 'model.json');
    const { dir, specFile } = cliImport(source);
    expect(checkSource(readFileSync(specFile, 'utf8'), specFile).diagnostics).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['lstmc.json', 'model.json', 'weights.bin']);
    const state = JSON.parse(readFileSync(path.join(dir, 'lstmc.json'), 'utf8')) as ImportedTrainState;
    expect(state).toMatchObject({ epoch: 0, epochs: 0, complete: true, history: {}, specFile });
    expect(state.importedFrom.file).toBe(source);
    expect(state.importedFrom.maxAbsDiff).toBeLessThanOrEqual(1e-6);
    const diff = await compareRun(path.join(REAL, fixture), dir, inputs, batch);
    figures.push(`${fixture}: ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(1e-6);
  });
});

/**
 * Keras's GRU with reset_after (tf.keras 2 default) in float64, from the Keras docs and
 * keras/layers/rnn/gru.py: gates z|r|h in the kernel's columns, bias rows input|recurrent,
 *   z = σ(x·Wz + bz + h·Uz + b'z), r = σ(x·Wr + br + h·Ur + b'r), ĥ = tanh(x·Wh + bh + r ⊙ (h·Uh + b'h)),
 *   h ← z ⊙ h + (1 − z) ⊙ ĥ; then the dense layer on the last h.
 */
function kerasGruResetAfterDense(
  x: number[][],
  w: {
    kernel: Float32Array;
    recurrent: Float32Array;
    bias: Float32Array;
    dense: Float32Array;
    denseBias: Float32Array;
  },
  F: number,
  U: number,
): number {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  let h = new Array<number>(U).fill(0);
  for (const xt of x) {
    const xp = Array.from(
      { length: 3 * U },
      (_, j) => w.bias[j]! + xt.reduce((a, v, i) => a + v * w.kernel[i * 3 * U + j]!, 0),
    );
    const hp = Array.from(
      { length: 3 * U },
      (_, j) => w.bias[3 * U + j]! + h.reduce((a, v, i) => a + v * w.recurrent[i * 3 * U + j]!, 0),
    );
    h = h.map((hv, k) => {
      const z = sig(xp[k]! + hp[k]!);
      const r = sig(xp[U + k]! + hp[U + k]!);
      const cand = Math.tanh(xp[2 * U + k]! + r * hp[2 * U + k]!);
      return z * hv + (1 - z) * cand;
    });
  }
  void F;
  return w.denseBias[0]! + h.reduce((a, v, i) => a + v * w.dense[i]!, 0);
}

describe("a tf.keras GRU with reset_after (tfjs cannot load it): against Keras's maths in float64", () => {
  it('tfjs-converted-keras-gru-reset-after', async () => {
    const fixture = path.join(REAL, 'tfjs-converted-keras-gru-reset-after');
    const { dir } = cliImport(path.join(fixture, 'model.json'));
    const state = JSON.parse(readFileSync(path.join(dir, 'lstmc.json'), 'utf8')) as ImportedTrainState;
    expect(state.importedFrom.maxAbsDiff).toBeUndefined(); // no tfjs load of the original to compare with
    const b = readFileSync(path.join(fixture, 'group1-shard1of1.bin'));
    const all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    const [F, U] = [3, 4];
    let at = 0;
    const take = (n: number) => all.subarray(at, (at += n));
    const w = {
      kernel: take(F * 3 * U),
      recurrent: take(U * 3 * U),
      bias: take(2 * 3 * U),
      dense: take(U),
      denseBias: take(1),
    };
    const xs = samples([6, 3], 4, 5);
    const want = xs.map((s) =>
      kerasGruResetAfterDense(
        Array.from({ length: 6 }, (_, t) => s.slice(t * F, t * F + F)),
        w,
        F,
        U,
      ),
    );
    const file = path.join(fresh('samples'), 'samples.json');
    writeFileSync(file, JSON.stringify(xs.map((s) => nestAs(s, [6, 3]))));
    const r = runCli(['predict', dir, '-i', file, '--format', 'json', '--backend', 'cpu'], { cwd: ROOT });
    expect(r.stderr).toBe('');
    const got = (JSON.parse(r.stdout) as { predictions: { output: number[] }[] }).predictions.map((p) => p.output[0]!);
    const diff = maxAbsDiff(got, want);
    figures.push(`tfjs-converted-keras-gru-reset-after (vs float64 Keras maths): ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(1e-6);
  });
});

/** Reads a fixture's float32 weights file as consecutive tensors of the given sizes. */
function weightsOf(file: string, sizes: number[]): Float32Array[] {
  const b = readFileSync(file);
  const all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  let at = 0;
  return sizes.map((n) => all.subarray(at, (at += n)));
}

describe("a tf.keras causal dilated Conv1D (tfjs throws on causal): against Keras's maths in float64", () => {
  it('tfjs-converted-keras-causal-conv1d', async () => {
    // Keras Conv1D(padding='causal'): y[t, o] = b[o] + Σ_j Σ_i x[t − (K − 1 − j)·d, i] · W[j, i, o], x = 0 before
    // the start; relu; flatten (t-major); dense.
    const fixture = path.join(REAL, 'tfjs-converted-keras-causal-conv1d');
    const [T, F, K, O, d] = [8, 2, 2, 3, 2];
    const [W, b, D, db] = weightsOf(path.join(fixture, 'group1-shard1of1.bin'), [K * F * O, O, T * O, 1]);
    const oracle = (x: number[]): number => {
      let out = db![0]!;
      for (let t = 0; t < T; t++)
        for (let o = 0; o < O; o++) {
          let y = b![o]!;
          for (let j = 0; j < K; j++) {
            const src = t - (K - 1 - j) * d;
            if (src < 0) continue;
            for (let i = 0; i < F; i++) y += x[src * F + i]! * W![(j * F + i) * O + o]!;
          }
          out += Math.max(0, y) * D![t * O + o]!;
        }
      return out;
    };
    const { dir } = cliImport(path.join(fixture, 'model.json'));
    const xs = samples([T, F], 4, 3);
    const file = path.join(fresh('samples'), 'samples.json');
    writeFileSync(file, JSON.stringify(xs.map((x) => nestAs(x, [T, F]))));
    const r = runCli(['predict', dir, '-i', file, '--format', 'json', '--backend', 'cpu'], { cwd: ROOT });
    expect(r.stderr).toBe('');
    const got = (JSON.parse(r.stdout) as { predictions: { output: number[] }[] }).predictions.map((p) => p.output[0]!);
    const diff = maxAbsDiff(got, xs.map(oracle));
    figures.push(`tfjs-converted-keras-causal-conv1d (vs float64 Keras maths): ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(1e-6);
  });
});

describe('what tensorflowjs_converter may write: several shards and groups, quantized weights', () => {
  it('weights split over two groups and three shard files, in the manifest order', async () => {
    const d = path.join(fresh('shards'), 'web_model');
    mkdirSync(d);
    const json = JSON.parse(
      readFileSync(path.join(REAL, 'tfjs-bidirectional-gru', 'model.json'), 'utf8'),
    ) as tf.io.ModelJSON;
    const bin = readFileSync(path.join(REAL, 'tfjs-bidirectional-gru', 'weights.bin'));
    const ws = json.weightsManifest[0]!.weights;
    const bytes = (w: tf.io.WeightsManifestEntry) => w.shape.reduce((a, b) => a * b, 1) * 4;
    const cut = ws.slice(0, 6).reduce((a, w) => a + bytes(w), 0); // the bidirectional layer in group 1
    writeFileSync(path.join(d, 'group1-shard1of2.bin'), bin.subarray(0, 100));
    writeFileSync(path.join(d, 'group1-shard2of2.bin'), bin.subarray(100, cut));
    writeFileSync(path.join(d, 'group2-shard1of1.bin'), bin.subarray(cut));
    json.weightsManifest = [
      { paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: ws.slice(0, 6) },
      { paths: ['group2-shard1of1.bin'], weights: ws.slice(6) },
    ];
    writeFileSync(path.join(d, 'model.json'), JSON.stringify(json));
    const { dir } = cliImport(path.join(d, 'model.json'));
    expect(
      await compareRun(d, dir, CASES.find((c) => c.fixture === 'tfjs-bidirectional-gru')!.inputs),
    ).toBeLessThanOrEqual(1e-6);
  });

  it('uint8- and float16-quantized weights (--quantize_uint8 / --quantize_float16) dequantize as tfjs does', async () => {
    for (const dtype of ['uint8', 'float16'] as const) {
      const d = path.join(fresh('quantized'), 'web_model');
      mkdirSync(d);
      const json = JSON.parse(
        readFileSync(path.join(REAL, 'tfjs-stacked-lstm', 'model.json'), 'utf8'),
      ) as tf.io.ModelJSON;
      const values = tf.io.decodeWeights(
        new Uint8Array(readFileSync(path.join(REAL, 'tfjs-stacked-lstm', 'weights.bin'))).buffer,
        json.weightsManifest[0]!.weights,
      );
      const parts: Uint8Array[] = [];
      json.weightsManifest[0]!.weights = json.weightsManifest[0]!.weights.map((w) => {
        const v = values[w.name]!.dataSync() as Float32Array;
        if (dtype === 'float16') {
          parts.push(new Uint8Array(Uint16Array.from(v, toHalf).buffer));
          return { ...w, quantization: { dtype: 'float16' as const } };
        }
        const min = Math.min(...v);
        const scale = (Math.max(...v) - min) / 255 || 1;
        parts.push(Uint8Array.from(v, (x) => Math.round((x - min) / scale)));
        return { ...w, quantization: { dtype: 'uint8' as const, min, scale } };
      });
      tf.dispose(Object.values(values));
      writeFileSync(path.join(d, 'weights.bin'), Buffer.concat(parts));
      writeFileSync(path.join(d, 'model.json'), JSON.stringify(json));
      const { dir } = cliImport(path.join(d, 'model.json'));
      const diff = await compareRun(d, dir, [{ shape: [10, 1] }]);
      figures.push(`tfjs-stacked-lstm quantized ${dtype}: ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(1e-6);
    }
  });
});

/** IEEE 754 half precision bits of a float (round to nearest; the weights here are small and normal). */
function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (exp <= 0) return sign; // flush tiny values to zero
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | Math.round(mant / 0x2000);
}

/** A reference spec's model with fixed weights, saved as tfjs saves a model (model.json + weights.bin). */
async function savedReference(file: string): Promise<{ dir: string; shape: number[] }> {
  const text = readFileSync(path.join(ROOT, 'specs', file), 'utf8');
  const ir = checkSource(text, file).models[0]!;
  const model = buildModel(toTfModelSpec(ir));
  let s = 99;
  for (const w of model.weights) {
    const n = (w.shape as number[]).reduce((a, b) => a * b, 1);
    const v = Float32Array.from({ length: n }, () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return (s / 4294967296 - 0.5) * 0.6;
    });
    w.write(tf.tensor(v, w.shape as number[]));
  }
  const dir = path.join(fresh('reference'), 'tfjs');
  writeDirAtomic(dir, await modelFiles(model));
  const shape = (model.inputs[0]!.shape.slice(1) as number[]).slice();
  model.dispose();
  return { dir, shape };
}

describe('TF.js models saved from the reference specs', () => {
  const specs = readdirSync(path.join(ROOT, 'specs')).filter((f) => f.endsWith('.lstm'));
  it('the six (and any added since) are all here', () => expect(specs.length).toBeGreaterThanOrEqual(6));
  it.each(specs)('%s', async (file) => {
    const { dir, shape } = await savedReference(file);
    const { dir: run } = cliImport(path.join(dir, 'model.json'));
    // lstmc import through the CLI; the run read by the loader `lstmc predict` uses (the fixtures above
    // cover predict's own path; one spawn per spec keeps this suite's time down on a shared machine).
    const diff = await compareRun(dir, run, [{ shape }], 4, false);
    figures.push(`specs/${file}: ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(1e-6);
  });
});

describe('an imported run in the other commands', () => {
  it('lstmc report draws it (zero epochs, no curves); evaluate asks for a data block', async () => {
    const { dir, specFile } = cliImport(path.join(REAL, 'tfjs-stacked-lstm', 'model.json'));
    const page = path.join(path.dirname(dir), 'report.html');
    const r = runCli(['report', dir, '-o', page], { cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(page, 'utf8')).toContain('StockStacked');
    // evaluate needs data; an imported spec has no data block until the user adds one.
    const e = runCli(['evaluate', specFile, '--dir', dir, '--backend', 'cpu'], { cwd: ROOT });
    expect(e.code).not.toBe(0);
    expect(e.stderr).toMatch(/data/);
    expect(e.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe('a spec written by hand for the weights', () => {
  it('inputs declared in another order than the original: the self-check feeds them by name', async () => {
    const source = path.join(REAL, 'tfjs-two-branch-concat', 'model.json');
    const spec = importedSpec(source);
    const swapped = spec.replace(
      '  input prices: [6, 2]\n  input volumes: [6, 3]\n',
      '  input volumes: [6, 3]\n  input prices: [6, 2]\n',
    );
    expect(swapped).not.toBe(spec);
    const { dir, diagnostics } = await runImport(source, swapped);
    expect(diagnostics).toEqual([]);
    const state = JSON.parse(readFileSync(path.join(dir, 'lstmc.json'), 'utf8')) as ImportedTrainState;
    expect(state.importedFrom.maxAbsDiff).toBeLessThanOrEqual(1e-6);
    const m = await loadModelDir(dir);
    expect(m.inputs.map((t) => t.sourceLayer.name)).toEqual(['volumes', 'prices']);
    const original = await loadOriginal(path.join(REAL, 'tfjs-two-branch-concat'));
    const [p, v] = [
      tf.tensor(samples([6, 2], 3, 1).flat(), [3, 6, 2]),
      tf.tensor(samples([6, 3], 3, 2).flat(), [3, 6, 3]),
    ];
    const got = Array.from((m.predict([v, p]) as tf.Tensor).dataSync());
    const want = Array.from((original.predict([p, v]) as tf.Tensor).dataSync());
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-6);
    tf.dispose([p, v]);
    m.dispose();
    original.dispose();
  });
});

describe('failures are diagnostics, and nothing is written', () => {
  const sentiment = { spec: importedSpec(path.join(REAL, 'tfjs-sentiment', 'model.json')) };
  const copyFixture = (name: string): string => {
    const d = fresh('copy');
    for (const f of readdirSync(path.join(REAL, name))) copyFileSync(path.join(REAL, name, f), path.join(d, f));
    return d;
  };
  const seen = new Set<string>();
  const expectOnly = (ds: Diagnostic[], code: string, dir: string): Diagnostic => {
    expect(ds.map((d) => d.code)).toEqual([code]);
    expect(existsSync(dir)).toBe(false);
    seen.add(code);
    return ds[0]!;
  };

  it('a Keras to_json() has no weights (LSTM5050), with the way to get them', async () => {
    const { dir, diagnostics } = await runImport(path.join(REAL, 'keras-2.0-imdb-lstm.json'), sentiment.spec);
    const d = expectOnly(diagnostics, 'LSTM5050', dir);
    expect(d.message).toContain('to_json');
    expect(d.hint).toContain('tensorflowjs_converter');
  });

  it('through the CLI: a Keras JSON with --weights exits 1 with LSTM5050 and writes neither spec nor run', () => {
    const work = fresh('cli-keras');
    const r = runCli(['import', path.join(REAL, 'keras-2.2-seq2seq.json'), '-o', 'x.lstm', '--weights', 'run'], {
      cwd: work,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('LSTM5050');
    expect(r.stderr).toContain('tensorflowjs_converter');
    expect(readdirSync(work)).toEqual([]);
  });

  it('a model.json without a weights manifest (LSTM5050)', async () => {
    const d = copyFixture('tfjs-sentiment');
    const json = JSON.parse(readFileSync(path.join(d, 'model.json'), 'utf8')) as Record<string, unknown>;
    delete json.weightsManifest;
    writeFileSync(path.join(d, 'model.json'), JSON.stringify(json));
    const r = await runImport(path.join(d, 'model.json'), sentiment.spec);
    expect(expectOnly(r.diagnostics, 'LSTM5050', r.dir).message).toContain('weightsManifest');
  });

  it('a missing or short weights file (LSTM5051), located at its name in the manifest', async () => {
    const d = copyFixture('tfjs-sentiment');
    rmSync(path.join(d, 'weights.bin'));
    const missing = await runImport(path.join(d, 'model.json'), sentiment.spec);
    const m = expectOnly(missing.diagnostics, 'LSTM5051', missing.dir);
    expect(m.message).toContain('"weights.bin"');
    expect(m.column).toBeGreaterThan(1);
    writeFileSync(path.join(d, 'weights.bin'), new Uint8Array(100));
    const short = await runImport(path.join(d, 'model.json'), sentiment.spec);
    expect(expectOnly(short.diagnostics, 'LSTM5051', short.dir).message).toMatch(/hold 100 bytes.*need 3068/);
  });

  it('a weight whose shape the spec does not give (LSTM5052)', async () => {
    const r = await runImport(
      path.join(REAL, 'tfjs-sentiment', 'model.json'),
      sentiment.spec.replace('lstm(6,', 'lstm(7,'),
    );
    const d = expectOnly(r.diagnostics, 'LSTM5052', r.dir);
    expect(d.message).toMatch(/"lstm_LSTM1\/kernel" of layer "lstm_LSTM1" has shape \[8, 24\].*needs \[8, 28\]/);
  });

  it('layers that do not pair up, and a weight of no layer (LSTM5053)', async () => {
    const extra = await runImport(
      path.join(REAL, 'tfjs-sentiment', 'model.json'),
      sentiment.spec.replace('dense(1,', 'dense(3)\n  dense(1,'),
    );
    expect(expectOnly(extra.diagnostics, 'LSTM5053', extra.dir).message).toContain(
      'weights for 3 layer(s) (embedding_Embedding1, lstm_LSTM1, dense_Dense1), the imported spec has 4',
    );
    const d = copyFixture('tfjs-sentiment');
    const json = JSON.parse(readFileSync(path.join(d, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    json.weightsManifest[0]!.weights.push({ name: 'mystery/kernel', shape: [1], dtype: 'float32' });
    writeFileSync(path.join(d, 'model.json'), JSON.stringify(json));
    writeFileSync(
      path.join(d, 'weights.bin'),
      Buffer.concat([readFileSync(path.join(d, 'weights.bin')), Buffer.alloc(4)]),
    );
    const orphan = await runImport(path.join(d, 'model.json'), sentiment.spec);
    expect(expectOnly(orphan.diagnostics, 'LSTM5053', orphan.dir).message).toContain(
      '"mystery/kernel" belongs to no layer',
    );
  });

  it('an out directory of other files, or a run without --force (LSTM5054); --force replaces a run', async () => {
    const source = path.join(REAL, 'tfjs-sentiment', 'model.json');
    const other = fresh('other');
    writeFileSync(path.join(other, 'notes.txt'), 'mine');
    const a = await runImport(source, sentiment.spec, { outDir: other });
    expect(a.diagnostics.map((d) => d.code)).toEqual(['LSTM5054']);
    expect(readdirSync(other)).toEqual(['notes.txt']);
    seen.add('LSTM5054');
    const first = await runImport(source, sentiment.spec);
    expect(first.diagnostics).toEqual([]);
    const before = readFileSync(path.join(first.dir, 'lstmc.json'), 'utf8');
    const again = await runImport(source, sentiment.spec, { outDir: first.dir });
    expect(again.diagnostics.map((d) => d.code)).toEqual(['LSTM5054']);
    expect(again.diagnostics[0]!.message).toContain('--force');
    expect(readFileSync(path.join(first.dir, 'lstmc.json'), 'utf8')).toBe(before);
    const forced = await runImport(source, sentiment.spec, { outDir: first.dir, force: true });
    expect(forced.diagnostics).toEqual([]);
  });

  it('weights that fit by shape but compute something else (LSTM5055: the self-check against tfjs)', async () => {
    // The original's LSTM uses tfjs's default hardSigmoid; a spec saying sigmoid has the same shapes.
    const r = await runImport(
      path.join(REAL, 'tfjs-sentiment', 'model.json'),
      sentiment.spec.replace('recurrentActivation: hardSigmoid', 'recurrentActivation: sigmoid'),
    );
    expect(expectOnly(r.diagnostics, 'LSTM5055', r.dir).message).toMatch(/max \|difference\| \d/);
  });

  it('a spec with errors: its own diagnostics, nothing written', async () => {
    const r = await runImport(
      path.join(REAL, 'tfjs-sentiment', 'model.json'),
      'model M {\n  input x: [3]\n  lstm(4)\n}\n',
    );
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics.every((d) => d.file.endsWith('imported.lstm'))).toBe(true);
    expect(existsSync(r.dir)).toBe(false);
  });

  it('a mangled manifest or weights file never throws: diagnostics (never LSTM9001) and nothing written, or a run', async () => {
    const src = copyFixture('tfjs-sentiment');
    const json0 = readFileSync(path.join(src, 'model.json'), 'utf8');
    const bin0 = readFileSync(path.join(src, 'weights.bin'));
    type Entry = { name: string; shape: number[]; dtype: string };
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('shape' as const),
        at: fc.nat(20),
        dims: fc.array(fc.integer({ min: -1, max: 40 }), { maxLength: 4 }),
      }),
      fc.record({
        kind: fc.constant('dtype' as const),
        at: fc.nat(20),
        dtype: fc.constantFrom('float16', 'int32', 'bool', 'string', 'complex64', 'uint8', 'x'),
      }),
      fc.record({ kind: fc.constant('drop' as const), at: fc.nat(20) }),
      fc.record({
        kind: fc.constant('rename' as const),
        at: fc.nat(20),
        name: fc.constantFrom('', 'lstm_LSTM1/kernel', 'dense_Dense1/bias', 'x/y/z', '/'),
      }),
      fc.record({
        kind: fc.constant('path' as const),
        path: fc.constantFrom('', '.', '..', 'nope.bin', '../weights.bin', 'model.json'),
      }),
      fc.record({ kind: fc.constant('truncate' as const), bytes: fc.nat(4000) }),
      fc.record({
        kind: fc.constant('manifest' as const),
        value: fc.constantFrom<unknown>(
          null,
          3,
          {},
          [{}],
          [{ paths: 'weights.bin', weights: [] }],
          [{ paths: [], weights: {} }],
        ),
      }),
    );
    const codes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (ms) => {
        const d = fresh('mangled');
        const json = JSON.parse(json0) as { weightsManifest: unknown };
        let bin: Uint8Array = bin0;
        for (const m of ms) {
          const groups = json.weightsManifest as { paths: string[]; weights: Entry[] }[] | undefined;
          const ws = Array.isArray(groups) && Array.isArray(groups[0]?.weights) ? groups[0].weights : undefined;
          const i = 'at' in m && ws && ws.length > 0 ? m.at % ws.length : -1;
          if (m.kind === 'shape' && ws && i >= 0) ws[i]!.shape = m.dims;
          else if (m.kind === 'dtype' && ws && i >= 0) ws[i]!.dtype = m.dtype;
          else if (m.kind === 'drop' && ws && i >= 0) ws.splice(i, 1);
          else if (m.kind === 'rename' && ws && i >= 0) ws[i]!.name = m.name;
          else if (m.kind === 'path' && Array.isArray(groups) && groups[0]) groups[0].paths = [m.path];
          else if (m.kind === 'truncate') bin = bin.subarray(0, Math.min(m.bytes, bin.length));
          else if (m.kind === 'manifest') json.weightsManifest = m.value;
        }
        writeFileSync(path.join(d, 'model.json'), JSON.stringify(json));
        writeFileSync(path.join(d, 'weights.bin'), bin);
        const r = await runImport(path.join(d, 'model.json'), sentiment.spec);
        r.diagnostics.forEach((x) => codes.add(x.code));
        expect(r.diagnostics.map((x) => x.code)).not.toContain('LSTM9001');
        if (r.diagnostics.length > 0) expect(existsSync(r.dir)).toBe(false);
        else expect(readdirSync(r.dir).sort()).toEqual(['lstmc.json', 'model.json', 'weights.bin']);
      }),
      { numRuns: 40, seed: 11 },
    );
    // The mutations reach the reading, the manifest and the shape checks, not one early exit.
    expect([...codes].sort()).toEqual(expect.arrayContaining(['LSTM5050', 'LSTM5051', 'LSTM5052', 'LSTM5053']));
  });

  it('every LSTM5050-5069 code of the table has a case here', () => {
    const codes = Object.values(Diagnostics)
      .map((d) => d.code)
      .filter((c) => /^LSTM50[5-6]\d$/.test(c));
    expect(codes.length).toBeGreaterThan(0);
    expect(codes.filter((c) => !seen.has(c))).toEqual([]);
  });
});
