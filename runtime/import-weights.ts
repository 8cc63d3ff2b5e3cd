/**
 * `lstmc import FILE --weights DIR`: the weights of a TF.js layers model (model.json + its weights
 * manifest and .bin files, read from disk without tfjs-node) assigned to the model of the spec the
 * import wrote, saved as a run directory that `lstmc predict`, `evaluate` and `report` read as they read
 * a trained one.
 *
 * Steps, each a diagnostic instead of a throw, and nothing written unless all pass:
 *   1. the original has weights (a Keras `to_json()` has none: LSTM5050) and the out directory may be
 *      written (LSTM5054);
 *   2. the spec checks; its model is built as `lstmc train` builds it (toTfModelSpec + buildModel);
 *   3. the weight files are read and decoded (LSTM5051);
 *   4. layers with weights pair up: by name where the spec kept the original's layer names, the rest in
 *      order (both lists are in the model's topological order); within a layer by the weight's own name
 *      (`kernel`, `recurrent_kernel`, ... and the forward/backward direction), else in order; every shape
 *      must be equal (LSTM5052, LSTM5053);
 *   5. the imported model and tfjs's `loadLayersModel` of the original run on the same fixed inputs and
 *      must agree (LSTM5055; skipped when tfjs itself cannot load the original, e.g. a class it lacks);
 *   6. the run directory is written atomically: model.json + weights.bin as `lstmc train` saves them, and
 *      an lstmc.json of a run that trained for zero epochs, with `importedFrom` naming the source.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Diagnostics, makeDiagnostic, type Diagnostic, type DiagnosticDef } from '../base/diagnostics.js';
import { checkSource } from '../compiler/index.js';
import { importModel } from '../compiler/import/index.js';
import { toTfModelSpec } from '../compiler/tfspec.js';
import { setupBackend } from './backend.js';
import { buildModel } from './build.js';
import { modelFiles, writeDirAtomic, type TrainState } from './io.js';
import { runDirContents } from './run-dir.js';

export interface ImportWeightsOptions {
  /** Path of the original model.json. */
  source: string;
  /** The spec text the import wrote, and its path (diagnostics about the spec point there). */
  specText: string;
  specFile: string;
  /** The run directory to write. */
  outDir: string;
  /** Replace a run already in `outDir`. */
  force?: boolean;
  /**
   * The original's layer name → the spec's layer name (`importModel(...).layerNames`). Default: what
   * importing `source` again gives; layers pair in order where it does not fit the spec.
   */
  layerNames?: Record<string, string>;
}

/** What lstmc.json says about where an imported run's weights came from. */
export interface ImportedFrom {
  file: string;
  format: string;
  generatedBy?: string;
  convertedBy?: string;
  /** Weight tensors and bytes read. */
  weights: number;
  bytes: number;
  /** Largest |difference| of the imported model's outputs from tfjs's load of the original (when it loads). */
  maxAbsDiff?: number;
}

/** An imported run's lstmc.json: a run of zero epochs, complete, with its source. */
export type ImportedTrainState = TrainState & { importedFrom: ImportedFrom };

/** Tolerance of the self-check (float32 arithmetic in the same engine; observed differences are 0). */
const SELF_CHECK_TOLERANCE = 1e-5;

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

interface OriginalLayer {
  name: string;
  className: string;
  entries: ManifestEntry[];
}

class Failure {
  constructor(readonly diagnostics: Diagnostic[]) {}
}

export async function importWeights(opts: ImportWeightsOptions): Promise<{ diagnostics: Diagnostic[] }> {
  try {
    return { diagnostics: await run(opts) };
  } catch (e) {
    if (e instanceof Failure) return { diagnostics: e.diagnostics };
    const message = e instanceof Error ? e.message : String(e);
    return {
      diagnostics: [
        makeDiagnostic(Diagnostics.Internal, point(opts.source), { message: `import --weights: ${message}` }),
      ],
    };
  }
}

/** A position in a file: where `needle` (a JSON string value) first occurs in `text`, else 1:1. */
function point(file: string, text?: string, needle?: string): Parameters<typeof makeDiagnostic>[1] {
  let line = 1;
  let column = 1;
  let length = 0;
  if (text !== undefined && needle !== undefined) {
    const quoted = JSON.stringify(needle);
    const at = text.indexOf(quoted);
    if (at >= 0) {
      const before = text.slice(0, at);
      line = before.split('\n').length;
      column = at - before.lastIndexOf('\n');
      length = quoted.length;
    }
  }
  return { file, line, column, endLine: line, endColumn: column + length };
}

function fail(def: DiagnosticDef, at: Parameters<typeof makeDiagnostic>[1], args: Record<string, unknown>): never {
  throw new Failure([makeDiagnostic(def, at, args)]);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const showShape = (s: readonly (number | null)[]): string => `[${s.map((d) => (d === null ? 'None' : d)).join(', ')}]`;

/** The source as diagnostics name it: relative to the working directory when inside it (as the CLI shows files). */
function shown(file: string): string {
  const rel = relative(process.cwd(), resolve(file));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : file;
}

async function run(opts: ImportWeightsOptions): Promise<Diagnostic[]> {
  const path = opts.source;
  const source = shown(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail(Diagnostics.FileRead, point(source), { path: source, reason: (e as NodeJS.ErrnoException).code ?? String(e) });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(Diagnostics.ImportJson, point(source), { message: (e as Error).message });
  }
  if (!isObject(json)) fail(Diagnostics.ImportFormat, point(source), { message: 'it is not a JSON object' });

  // 1. Weights at all, and a directory to write.
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0) {
    const why = isObject(json.modelTopology)
      ? 'its model.json has no "weightsManifest" (saved without weights?)'
      : 'it is a Keras model.to_json(), which holds the architecture only';
    fail(Diagnostics.ImportNoWeights, point(source), { why });
  }
  const held = runDirContents(opts.outDir);
  if (held.kind === 'other')
    fail(Diagnostics.ImportRunDir, point(source), {
      dir: opts.outDir,
      reason: held.why ?? `it holds files that are not an lstmc run (${held.files.slice(0, 3).join(', ')})`,
    });
  if (held.kind === 'run' && opts.force !== true)
    fail(Diagnostics.ImportRunDir, point(source), {
      dir: opts.outDir,
      reason: 'it already holds a run (replace it with --force)',
    });

  // 2. The spec's model, built as training builds it.
  const checked = checkSource(opts.specText, opts.specFile);
  if (checked.diagnostics.some((d) => d.severity === 'error')) throw new Failure(checked.diagnostics);
  const ir = checked.models[0];
  if (!ir) fail(Diagnostics.NoModel, point(opts.specFile), {});
  const tfSpec = toTfModelSpec(ir);

  // 3. The weights of the original.
  const entries: ManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  const base = dirname(resolve(path));
  for (const [g, group] of manifest.entries()) {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights))
      fail(Diagnostics.ImportMissingField, point(source, text, 'weightsManifest'), {
        field: `weightsManifest[${g}].paths/weights`,
        where: 'the model.json',
      });
    for (const w of group.weights as unknown[]) {
      if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape) || typeof w.dtype !== 'string')
        fail(Diagnostics.ImportMissingField, point(source, text, 'weights'), {
          field: `weightsManifest[${g}].weights[].name/shape/dtype`,
          where: 'the model.json',
        });
      entries.push(w as unknown as ManifestEntry);
    }
    for (const p of group.paths as unknown[]) {
      const file = join(base, String(p));
      try {
        if (!statSync(file).isFile()) throw Object.assign(new Error('not a file'), { code: 'not a file' });
        buffers.push(readFileSync(file));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        fail(Diagnostics.ImportWeightsFile, point(source, text, String(p)), {
          path: String(p),
          reason: code === 'ENOENT' ? `no such file next to ${source}` : (code ?? String(e)),
        });
      }
    }
  }
  const bytes = buffers.reduce((a, b) => a + b.length, 0);
  const needed = entries.reduce((a, w) => a + byteSize(w), 0);
  const firstPath = String((manifest[0] as { paths: unknown[] }).paths[0] ?? '');
  if (bytes < needed)
    fail(Diagnostics.ImportWeightsFile, point(source, text, firstPath), {
      path: firstPath,
      reason: `the weight files hold ${bytes} bytes, the manifest's ${entries.length} weights need ${needed}`,
    });
  const joined = new Uint8Array(bytes);
  let off = 0;
  for (const b of buffers) {
    joined.set(b, off);
    off += b.length;
  }
  // The cpu backend, set before the first tensor (lstmc's quiet start: no tfjs banner).
  await setupBackend('cpu');
  let values: tf.NamedTensorMap;
  try {
    values = tf.io.decodeWeights(joined.buffer, entries as tf.io.WeightsManifestEntry[]);
  } catch (e) {
    fail(Diagnostics.ImportWeightsFile, point(source, text, firstPath), {
      path: firstPath,
      reason: (e as Error).message,
    });
  }

  const model = buildModel(tfSpec);
  try {
    // 4. Pair layers and weights, check every shape, assign.
    const original = originalLayers(json, entries);
    const layerNames = opts.layerNames ?? importedLayerNames(text, source);
    const assigned = pairWeights(model, original, values, layerNames, source, text);
    tf.tidy(() => {
      for (const [variable, tensor] of assigned) variable.write(tensor.dtype === 'float32' ? tensor : tensor.toFloat());
    });

    // 5. The self-check against tfjs's own load of the original.
    const maxAbsDiff = await selfCheck(model, json, entries, joined);
    if (maxAbsDiff !== undefined && !(maxAbsDiff.diff <= SELF_CHECK_TOLERANCE))
      fail(Diagnostics.ImportWeightsDiffer, point(source), {
        diff: maxAbsDiff.diff.toExponential(2),
        what: maxAbsDiff.what,
      });

    // 6. The run directory.
    const files: Record<string, Uint8Array | string> = { ...(await modelFiles(model)) };
    const importedFrom: ImportedFrom = {
      file: resolve(path),
      format: typeof json.format === 'string' ? json.format : 'layers-model',
      ...(typeof json.generatedBy === 'string' ? { generatedBy: json.generatedBy } : {}),
      ...(typeof json.convertedBy === 'string' ? { convertedBy: json.convertedBy } : {}),
      weights: entries.length,
      bytes: needed,
      ...(maxAbsDiff !== undefined ? { maxAbsDiff: maxAbsDiff.diff } : {}),
    };
    const state: ImportedTrainState = {
      version: 1,
      model: ir.name,
      specFile: resolve(opts.specFile),
      epoch: 0,
      epochs: 0,
      complete: true,
      history: {},
      loss: tfSpec.train.loss,
      metrics: [...tfSpec.train.metrics],
      importedFrom,
      savedAt: new Date().toISOString(),
    };
    files['lstmc.json'] = JSON.stringify(state, null, 1);
    try {
      writeDirAtomic(opts.outDir, files);
    } catch (e) {
      fail(Diagnostics.ImportRunDir, point(source), { dir: opts.outDir, reason: (e as Error).message });
    }
    return [];
  } finally {
    model.dispose();
    tf.dispose(Object.values(values));
  }
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2, uint16: 2 };

/** Bytes a manifest entry occupies in the weight files (quantized entries by their stored dtype). */
function byteSize(w: ManifestEntry): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  const q = isObject(w.quantization) ? w.quantization : undefined;
  const dtype = typeof q?.dtype === 'string' ? q.dtype : w.dtype;
  return n * (BYTES[dtype] ?? 4);
}

/** The original's layers (InputLayers aside) in file order, each with its manifest entries (`<layer>/...`). */
function originalLayers(json: Record<string, unknown>, entries: ManifestEntry[]): OriginalLayer[] {
  const topology = isObject(json.modelTopology) ? json.modelTopology : {};
  const model = isObject(topology.model_config) ? topology.model_config : topology;
  const config = model.config;
  const list = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : [];
  const layers: OriginalLayer[] = [];
  for (const l of list as unknown[]) {
    if (!isObject(l) || l.class_name === 'InputLayer') continue;
    const cfg = isObject(l.config) ? l.config : {};
    const name = typeof l.name === 'string' ? l.name : typeof cfg.name === 'string' ? cfg.name : undefined;
    if (name === undefined) continue;
    layers.push({
      name,
      className: typeof l.class_name === 'string' ? l.class_name : '?',
      entries: entries.filter((e) => e.name.startsWith(`${name}/`)),
    });
  }
  return layers;
}

/** The original's layer names → the spec's, as importing the source names them (undefined if it cannot). */
function importedLayerNames(text: string, source: string): Record<string, string> | undefined {
  try {
    const r = importModel(text, source);
    return r.text !== undefined ? r.layerNames : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The key of a weight inside its layer: its own name (`kernel`, `bias`, `gamma`, ...) and, in a
 * bidirectional wrapper, its direction. Cell scopes (`lstm_cell`) and generated names are ignored.
 */
function weightKey(name: string): string {
  const tokens = name.split('/');
  const dir = tokens.find((t) => /^(forward|backward)_/.test(t))?.split('_')[0];
  const last = tokens[tokens.length - 1]!.replace(/:\d+$/, '');
  return dir ? `${dir}/${last}` : last;
}

/**
 * Pairs every weight of the built model with a weight of the original and checks the shapes. Layers:
 * through `layerNames` (original → spec) when it pairs every layer with weights one to one, else in
 * order; weights within a pair of layers: by key when both sides' keys are distinct and equal as
 * sets, else in order.
 */
function pairWeights(
  model: tf.LayersModel,
  original: OriginalLayer[],
  values: tf.NamedTensorMap,
  layerNames: Record<string, string> | undefined,
  source: string,
  text: string,
): [tf.LayerVariable, tf.Tensor][] {
  const targets = model.layers.filter((l) => l.weights.length > 0);
  const withWeights = original.filter((l) => l.entries.length > 0);
  const claimed = new Set(withWeights.flatMap((l) => l.entries.map((e) => e.name)));
  const orphan = Object.keys(values).find((n) => !claimed.has(n));
  if (orphan !== undefined)
    fail(Diagnostics.ImportWeightsLayers, point(source, text, orphan), {
      message: `weight "${orphan}" belongs to no layer of the model (its name does not start with a layer's name)`,
    });
  if (withWeights.length !== targets.length)
    fail(Diagnostics.ImportWeightsLayers, point(source), {
      message:
        `the file has weights for ${withWeights.length} layer(s) (${withWeights.map((l) => l.name).join(', ')}), ` +
        `the imported spec has ${targets.length} layer(s) with weights (${targets.map((l) => l.name).join(', ')})`,
    });
  const pairs = new Map<tf.layers.Layer, OriginalLayer>();
  if (layerNames !== undefined) {
    const byName = new Map(targets.map((t) => [t.name, t]));
    for (const o of withWeights) {
      const t = byName.get(layerNames[o.name] ?? '');
      if (t !== undefined && !pairs.has(t)) pairs.set(t, o);
    }
  }
  if (pairs.size !== targets.length) {
    pairs.clear();
    targets.forEach((t, i) => pairs.set(t, withWeights[i]!));
  }

  const out: [tf.LayerVariable, tf.Tensor][] = [];
  for (const t of targets) {
    const o = pairs.get(t)!;
    const vars = t.weights;
    if (vars.length !== o.entries.length)
      fail(Diagnostics.ImportWeightsLayers, point(source, text, o.name), {
        message:
          `layer "${o.name}" (${o.className}) has ${o.entries.length} weight(s) in the file ` +
          `(${o.entries.map((e) => e.name).join(', ')}), the imported layer "${t.name}" has ${vars.length}`,
      });
    const vKeys = vars.map((v) => weightKey(v.originalName));
    const oKeys = o.entries.map((e) => weightKey(e.name));
    const byKey =
      new Set(vKeys).size === vKeys.length &&
      new Set(oKeys).size === oKeys.length &&
      vKeys.every((k) => oKeys.includes(k));
    vars.forEach((v, i) => {
      const e = byKey ? o.entries[oKeys.indexOf(vKeys[i]!)]! : o.entries[i]!;
      const tensor = values[e.name]!;
      if (tensor.shape.length !== v.shape.length || tensor.shape.some((d, k) => d !== v.shape[k]))
        fail(Diagnostics.ImportWeightShape, point(source, text, e.name), {
          weight: e.name,
          layer: o.name,
          got: showShape(tensor.shape),
          target: t.name,
          expected: showShape(v.shape),
        });
      out.push([v, tensor]);
    });
  }
  return out;
}

/** A model input's name (`x`, not the tensor name `x/...` or `x1`); tfjs names input tensors after their layer. */
function inputName(t: tf.SymbolicTensor): string {
  return t.sourceLayer.name;
}

/** A fixed pseudo-random stream (an LCG), so the self-check's inputs are the same on every run. */
function fixedValues(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 4294967296) * 2; // [0, 2): valid ids for embeddings as well (truncated to 0 and 1)
  });
}

/**
 * Runs the imported model and tfjs's load of the original on the same fixed inputs (unknown
 * dimensions 4, batch 2 unless the model fixes it) and returns the largest |difference|, or undefined
 * when tfjs cannot load the original (a layer class only lstmc has) or the inputs cannot be made.
 */
async function selfCheck(
  model: tf.LayersModel,
  json: Record<string, unknown>,
  entries: ManifestEntry[],
  data: Uint8Array,
): Promise<{ diff: number; what: string } | undefined> {
  let original: tf.LayersModel;
  try {
    original = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology as object,
        weightSpecs: entries as tf.io.WeightsManifestEntry[],
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
      }),
    );
  } catch {
    return undefined;
  }
  try {
    if (original.inputs.length !== model.inputs.length || original.outputs.length !== model.outputs.length)
      return { diff: Infinity, what: 'inputs and outputs that differ in number' };
    // The original's inputs in the imported model's order: by name when the spec kept every input's name.
    const names = original.inputs.map((t) => inputName(t));
    const byName = model.inputs.every((t) => names.includes(inputName(t)));
    const theirs = byName ? model.inputs.map((t) => original.inputs[names.indexOf(inputName(t))]!) : original.inputs;
    const xs = model.inputs.map((inp, i) => {
      const o = theirs[i]!.shape;
      const shape = inp.shape.map((d, k) => d ?? o[k] ?? (k === 0 ? 2 : 4));
      return tf.tensor(
        fixedValues(
          shape.reduce((a, b) => a * b, 1),
          7 + i,
        ),
        shape,
      );
    });
    try {
      // xs[i] feeds the imported model's input i and the original's input theirs[i].
      const forOriginal = original.inputs.map((t) => xs[theirs.indexOf(t)]!);
      let yb: tf.Tensor | tf.Tensor[];
      try {
        yb = original.predict(forOriginal.length === 1 ? forOriginal[0]! : forOriginal);
      } catch {
        return undefined; // tfjs cannot run the original on these inputs: nothing to compare with
      }
      const ya = model.predict(xs.length === 1 ? xs[0]! : xs);
      const la = Array.isArray(ya) ? ya : [ya];
      const lb = Array.isArray(yb) ? yb : [yb];
      const a = tf.tidy(() => {
        let worst = 0;
        la.forEach((t, i) => {
          const u = lb[i]!;
          if (t.shape.join() !== u.shape.join()) worst = Infinity;
          else worst = Math.max(worst, tf.max(tf.abs(tf.sub(t, u))).dataSync()[0]!);
        });
        return worst;
      });
      tf.dispose([...la, ...lb]);
      const resetStates = (m: tf.LayersModel) => {
        if (m.layers.some((l) => (l as unknown as { stateful?: boolean }).stateful === true)) m.resetStates();
      };
      resetStates(model);
      resetStates(original);
      return { diff: a, what: `${xs.length} fixed input(s) of shape ${xs.map((x) => showShape(x.shape)).join(', ')}` };
    } finally {
      tf.dispose(xs);
    }
  } finally {
    original.dispose();
  }
}
