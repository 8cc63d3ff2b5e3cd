/**
 * The PyTorch target (`lstmc compile --target pytorch`, emit/pytorch.ts + emit/pytorch/train.py) with
 * real torch, no mocks:
 * - every spec under specs/ (both spellings) and graph models (several inputs and outputs, merges,
 *   initialState, returnState outputs, an Embedding mask) compile, import and run; with the weights of
 *   a TF.js model saved by the runtime (`from_tfjs`) they compute what tfjs computes; `save_tfjs`
 *   writes a directory tf.loadLayersModel loads, with the same manifest and the same bytes;
 * - hostile names stay strings (nothing from a spec becomes Python code), bad model names and layers
 *   without a PyTorch lowering are located diagnostics and nothing is written;
 * - training: losses, metrics, every optimizer of the train table and clipping against tfjs `fit` from
 *   the same initial weights; a one-epoch run on `lstmc data` arrays writes a run directory that
 *   `lstmc predict` and `lstmc evaluate` load; --resume; early stopping; a real two-process DDP run
 *   (gloo on loopback) ends with identical weights on both ranks.
 * Skips with a message when no interpreter imports torch, unless CI is set (then it fails).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModelWithoutOrthogonalInit, runCompile, type CompileIO } from '../cli/compile-command.js';
import { checkSource } from '../compiler/index.js';
import { printLstm } from '../compiler/print.js';
import { randFunctional, randSequential, rng } from './helpers/random-arch.js';
import type { IRModel } from '../compiler/ir.js';
import { getLayer } from '../compiler/layers/table.js';
import { toTfModelSpec } from '../compiler/tfspec.js';
import { checkPytorchInputs, emitPytorchModules, pyStr, type TfjsModelJson } from '../emit/pytorch.js';
import * as rt from '../runtime/index.js';
import { decodeNpy, encodeNpy } from '../runtime/npy.js';
import { chainModel, EVIL, irInput, irLayer, projectTempDir, ROOT, specFiles } from './emit-helpers.js';
import {
  findTorchPython,
  fromWire,
  PY_WIRE_HELPERS,
  runPythonJson,
  skipWithoutTorch,
  toWire,
  type WireArray,
} from './helpers/python.js';

const SKIP = skipWithoutTorch('test/pytorch-emit.test.ts');
/** Random architectures (half sequential, half functional) in the parity check. */
const RANDOM_MODELS = 24;
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');

const tmpDirs: string[] = [];
function tmp(prefix: string): string {
  const d = projectTempDir(prefix);
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

function python(): string {
  const py = findTorchPython();
  if (!py.ok) throw new Error(py.reason);
  return py.python;
}

function captureIO(cwd: string): CompileIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (s) => void out.push(s),
    stderr: (s) => void err.push(s),
    cwd,
    color: false,
    version: '0.1.0',
  };
}

async function compilePytorch(
  files: string[],
  outDir: string,
  cwd = ROOT,
): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO(cwd);
  const code = await runCompile(files, { out: outDir, target: 'pytorch' }, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

function lstmc(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command to completion (async, so vitest's timers keep running). */
function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** JSON lines of a training run's stdout (torchrun's `[default0]:` prefixes removed). */
function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .map((l) => l.replace(/^\[[^\]]*\]:/, '').trim())
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A deterministic uniform generator (mulberry32, the runtime's Rng). */
function uniform(seed: number): (lo: number, hi: number) => number {
  const r = new rt.Rng(seed);
  return (lo, hi) => lo + r.next() * (hi - lo);
}

/** Sets every weight of a tfjs model to uniform values in [-0.5, 0.5] (seeded). */
function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const u = uniform(seed);
  model.setWeights(
    model.weights.map((w) => {
      const shape = w.shape as number[];
      return tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => u(-0.5, 0.5)),
        shape,
      );
    }),
  );
}

/**
 * runtime/io.ts `modelFiles` without tfjs's warning that `initialState` is not a serialisable keyword
 * argument (the states are node inputs in the topology all the same; the parity checks load them).
 */
async function modelFiles(model: tf.LayersModel): ReturnType<typeof rt.modelFiles> {
  const warn = console.warn;
  console.warn = (...a: unknown[]) => {
    if (typeof a[0] === 'string' && a[0].includes('non-serializable keyword arguments')) return;
    warn(...a);
  };
  try {
    return await rt.modelFiles(model);
  } finally {
    console.warn = warn;
  }
}

/** Largest |a - b|; NaN in both at the same place is equal (random weights can make both engines NaN). */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]!) && Number.isNaN(b[i]!)) continue;
    m = Math.max(m, Number.isNaN(a[i]! - b[i]!) ? Infinity : Math.abs(a[i]! - b[i]!));
  }
  return m;
}

const PY_LOAD = `
import importlib.util, json, sys
import numpy as np
import torch
torch.set_num_threads(1)

def load(path, name):
    spec = importlib.util.spec_from_file_location('lstmc_generated_%d' % abs(hash(path)), path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod, getattr(mod, name)
`;

// ---------------------------------------------------------------------------------------------
// Graph models the reference specs do not cover

interface GraphCase {
  name: string;
  source: string;
  /** Inputs that are integer indices in [0, n) (embeddings), by input position. */
  ints?: Record<number, number>;
}

const GRAPH_SPECS: GraphCase[] = [
  {
    name: 'Translate',
    source: `model Translate {
  input source: [S, 7]
  input target: [T, 9]
  let [_, h, c] = source -> lstm(16, returnState: true)
  let decoded: [T, 9] = target
      -> lstm(16, returnSequences: true, initialState: [h, c])
      -> dense(9, activation: softmax)
  output decoded
}
`,
  },
  {
    name: 'Merge',
    source: `model Merge {
  input a: [T, 8]
  input b: [T, 8]
  let sum = [a, b] -> add()
  let both = [a, b] -> concatenate(axis: -1)
  let y = both -> lstm(6)
  let z = sum -> gru(5)
  let score = [y, z] -> concatenate() -> dense(1, activation: sigmoid)
  output score
}
`,
  },
  {
    name: 'BiStates',
    source: `model BiStates {
  input x: [10, 4]
  input y: [12, 4]
  let [_, hf, cf, hb, cb] = x -> bidirectional(lstm(8, returnState: true))
  let [_, h] = x -> gru(16, returnState: true)
  let a = y -> bidirectional(lstm(8), initialState: [hf, cf, hb, cb])
  let b = y -> gru(16, initialState: h)
  let both = [a, b] -> concatenate()
  output both
}
`,
  },
  {
    name: 'StatesOut',
    source: `model StatesOut {
  input x: [7, 3]
  let [out, h, c] = x -> lstm(5, returnSequences: true, returnState: true)
  let y = out -> simpleRNN(4, goBackwards: true) -> dense(2)
  output y, h, c
}
`,
  },
  {
    name: 'Masked',
    source: `model Masked {
  input tokens: [9]
  let e = tokens -> embedding(20, 6, maskZero: true)
  let y = e -> lstm(5, returnSequences: true) -> timeDistributed(dense(3)) -> gru(4)
  output y
}
`,
    ints: { 0: 20 },
  },
];

// ---------------------------------------------------------------------------------------------

describe.skipIf(SKIP)('PyTorch target: parity with TF.js', () => {
  interface Case {
    label: string;
    model: IRModel;
    module: string;
    tfjsDir: string;
    saveTo: string;
    inputs: WireArray[];
    expected: Float32Array[];
    expectedShapes: number[][];
  }
  const cases: Case[] = [];
  let results: { diffs: number[]; shapes: number[][]; params: number; layerNames: string[] }[] = [];

  beforeAll(async () => {
    await rt.setupBackend('cpu');
    const work = tmp('pytorch-parity');
    const sources: { label: string; file: string; text: string; ints?: Record<number, number> }[] = [];
    for (const s of specFiles()) sources.push({ label: s.file, file: path.join(ROOT, s.file), text: s.source });
    for (const g of GRAPH_SPECS) {
      const file = path.join(work, `${g.name}.lstm`);
      writeFileSync(file, g.source);
      sources.push({ label: `graph ${g.name}`, file, text: g.source, ...(g.ints ? { ints: g.ints } : {}) });
    }
    // Random architectures from the oracle's generator, printed as specs (whole models, not only layers).
    const r = rng(8_2026);
    for (const original of [
      ...Array.from({ length: RANDOM_MODELS / 2 }, (_, i) => randSequential(r, i)),
      ...Array.from({ length: RANDOM_MODELS / 2 }, (_, i) => randFunctional(r, i)),
    ]) {
      const text = printLstm(original, { names: 'all' });
      const file = path.join(work, `random-${original.name}.lstm`);
      writeFileSync(file, text);
      sources.push({ label: `random ${original.name}`, file, text });
    }
    let n = 0;
    for (const s of sources) {
      n++;
      const outDir = path.join(work, `out${n}`);
      const compiled = await compilePytorch([s.file], outDir);
      expect(compiled.code, `${s.label}: ${compiled.err}`).toBe(0);
      const checked = checkSource(s.text, s.file);
      const model = checked.models[0]!;
      const built = await buildModelWithoutOrthogonalInit(toTfModelSpec(model));
      randomizeWeights(built, 1000 + n);
      const tfjsDir = path.join(work, `tfjs${n}`);
      rt.writeDirAtomic(tfjsDir, await modelFiles(built));
      const u = uniform(n);
      const inputs = built.inputs.map((inp, k) => {
        const shape = [4, ...inp.shape.slice(1).map((d) => d ?? 6)];
        const count = shape.reduce((a, b) => a * b, 1);
        const ints = s.ints?.[k];
        const values = Float32Array.from({ length: count }, (_, i) =>
          ints !== undefined ? (i % 4 === 3 ? 0 : Math.floor(u(0, ints))) : u(-1, 1),
        );
        return { values, shape };
      });
      const xs = inputs.map((a) => tf.tensor(a.values, a.shape));
      const predicted = built.predict(xs.length === 1 ? xs[0]! : xs) as tf.Tensor | tf.Tensor[];
      const ys = Array.isArray(predicted) ? predicted : [predicted];
      cases.push({
        label: s.label,
        model,
        module: path.join(outDir, `${model.name}.py`),
        tfjsDir,
        saveTo: path.join(work, `saved${n}`),
        inputs: inputs.map((a) => toWire(a.values, a.shape)),
        expected: ys.map((y) => y.dataSync() as Float32Array),
        expectedShapes: ys.map((y) => y.shape),
      });
      tf.dispose([...xs, ...ys]);
      built.dispose();
    }
    const program = `${PY_WIRE_HELPERS}${PY_LOAD}
jobs = json.load(sys.stdin)
out = []
for job in jobs:
    mod, cls = load(job['module'], job['model'])
    m = cls.from_tfjs(job['tfjs']).eval()
    xs = [torch.from_numpy(arr(a)) for a in job['inputs']]
    with torch.no_grad():
        ys = m(*xs)
    ys = ys if isinstance(ys, list) else [ys]
    # NaN where tfjs has NaN too is the same result (e.g. a random weight that makes a log negative).
    diffs = [float(np.max(np.abs(np.nan_to_num(y.numpy() - arr(e), nan=0.0)) + (np.isnan(y.numpy()) != np.isnan(arr(e))))) if y.numel() else 0.0 for y, e in zip(ys, job['expected'])]
    m.save_tfjs(job['saveTo'])
    out.append({'diffs': diffs, 'shapes': [list(y.shape) for y in ys], 'params': sum(p.numel() for p in m.parameters()), 'layerNames': m.layer_names})
print(json.dumps(out))
`;
    const jobs = cases.map((c) => ({
      module: c.module,
      model: c.model.name,
      tfjs: c.tfjsDir,
      saveTo: c.saveTo,
      inputs: c.inputs,
      expected: c.expected.map((e, i) => toWire(e, c.expectedShapes[i]!)),
    }));
    results = (await runPythonJson<typeof results>(python(), program, jobs, { timeoutMs: 600_000 })).result;
  }, 900_000);

  it('covers every spec under specs/ in both spellings, the graph models and random architectures', () => {
    const files = specFiles().map((s) => s.file);
    expect(files.filter((f) => f.endsWith('.lstm')).length).toBeGreaterThanOrEqual(6);
    expect(files.filter((f) => /\.ya?ml$/.test(f)).length).toBeGreaterThanOrEqual(6);
    expect(cases.length).toBe(files.length + GRAPH_SPECS.length + RANDOM_MODELS);
    expect(results.length).toBe(cases.length);
  });

  it('the same weights give the same outputs (max abs difference <= 1e-5)', () => {
    const figures: string[] = [];
    cases.forEach((c, i) => {
      const r = results[i]!;
      expect(r.shapes, c.label).toEqual(c.expectedShapes);
      expect(r.layerNames, c.label).toEqual(c.model.nodes.map((n) => n.name));
      const worst = Math.max(...r.diffs);
      figures.push(`${c.label}: ${worst.toExponential(2)}`);
      expect(worst, `${c.label}: max abs difference`).toBeLessThanOrEqual(1e-5);
    });
    console.log(`PyTorch vs TF.js, max abs difference per model:\n  ${figures.join('\n  ')}`);
  });

  it('parameter counts match the TF.js model', () => {
    cases.forEach((c, i) => {
      const trainable = c.model.nodes.reduce((a, n) => a + n.params.trainable, 0);
      expect(results[i]!.params, c.label).toBe(trainable);
    });
  });

  it('save_tfjs writes what tfjs saved (manifest and bytes), and tf.loadLayersModel predicts the same', async () => {
    for (const c of cases) {
      const original = JSON.parse(readFileSync(path.join(c.tfjsDir, 'model.json'), 'utf8')) as TfjsModelJson;
      const saved = JSON.parse(readFileSync(path.join(c.saveTo, 'model.json'), 'utf8')) as TfjsModelJson;
      expect(saved.weightsManifest, c.label).toEqual(original.weightsManifest);
      expect(
        Buffer.compare(
          readFileSync(path.join(c.saveTo, 'weights.bin')),
          readFileSync(path.join(c.tfjsDir, 'weights.bin')),
        ),
        c.label,
      ).toBe(0);
      const loaded = await tf.loadLayersModel(rt.fileLoadHandler(c.saveTo));
      const xs = c.inputs.map((w) => tf.tensor(fromWire(w), w.shape));
      const predicted = loaded.predict(xs.length === 1 ? xs[0]! : xs) as tf.Tensor | tf.Tensor[];
      const ys = Array.isArray(predicted) ? predicted : [predicted];
      ys.forEach((y, k) => expect(maxAbsDiff(y.dataSync(), c.expected[k]!), c.label).toBeLessThanOrEqual(1e-5));
      tf.dispose([...xs, ...ys]);
      loaded.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe.skipIf(SKIP)('PyTorch target: safe printing', () => {
  /** Python-specific payloads on top of the TypeScript emitter's hostile names. */
  const PY_EVIL = [
    '"""',
    "'''",
    '\\N{BULLET}',
    "'); import os; os._exit(3) #",
    '\n__import__("os")._exit(4)\n',
    '# not a comment',
    '{0}%s',
    'trailing\\',
    'lone\udc80surrogate',
    '\x7f\x1bdel',
  ];

  function hostileModel(pwned: string): { model: IRModel; names: string[]; inputName: string } {
    const names = [...EVIL, ...PY_EVIL, `x'); open(${JSON.stringify(pwned)}, 'w'); ('`];
    const inputName = 'in put`${x}\n"""\'\'\'';
    const model = chainModel(
      'EvilNames',
      irInput(inputName, [4]),
      names.map((name) => irLayer('dense', { units: 3, name })),
    );
    model.nodes.forEach((n, i) => {
      n.inputShapes = [[i === 0 ? 4 : 3]];
      n.outputShapes = [[3]];
    });
    model.outputShapes = [[3]];
    return { model, names, inputName };
  }

  /** A stand-in TF.js model.json (tfjs rejects these names): the names in the topology and the manifest. */
  function fakeModelJson(names: string[]): TfjsModelJson {
    return {
      modelTopology: {
        class_name: 'Sequential',
        config: { name: 'EvilNames', layers: names.map((name) => ({ class_name: 'Dense', config: { name } })) },
      },
      format: 'layers-model',
      generatedBy: 'test',
      convertedBy: null,
      weightsManifest: [
        {
          paths: ['weights.bin'],
          weights: names.flatMap((name, i) => [
            { name: `${name}/kernel`, shape: [i === 0 ? 4 : 3, 3], dtype: 'float32' },
            { name: `${name}/bias`, shape: [3], dtype: 'float32' },
          ]),
        },
      ],
    };
  }

  it('pyStr gives one-line, printable-ASCII literals Python reads back exactly', async () => {
    const strings = [...EVIL, ...PY_EVIL, '', 'plain', 'ünïcödé 名前 😀'];
    for (const s of strings) {
      const lit = pyStr(s);
      expect(lit).toMatch(/^'[\x20-\x7e]*'$/);
    }
    const program = `import ast, json, sys\nlits = json.load(sys.stdin)\nprint(json.dumps([ast.literal_eval(l) for l in lits]))`;
    const r = await runPythonJson<string[]>(python(), program, strings.map(pyStr));
    expect(r.result).toEqual(strings);
  });

  it('hostile layer, input and source names stay strings: the module imports, runs and round-trips weights', async () => {
    const dir = tmp('pytorch-evil');
    const pwned = path.join(dir, 'pwned');
    const { model, names, inputName } = hostileModel(pwned);
    const emitted = emitPytorchModules([
      {
        model,
        options: {
          sourcePath: '../evil\n__import__("os")._exit(5)\n.lstm',
          source: 'hand',
          version: '0.1.0\nx = 1',
          params: { 'a\nb': '"""' },
        },
        modelJson: fakeModelJson(names),
      },
    ]);
    expect(emitted.diagnostics).toEqual([]);
    const text = emitted.modules[0]!.text;
    // What the emitter prints (the header and the model section) is printable ASCII.
    const printed = text.split('\n').slice(0, 3).join('\n') + text.slice(text.indexOf('\n# The model\n'));
    expect(printed).toMatch(/^[\n\x20-\x7e]*$/);
    const header = text.split('\n').slice(0, 3);
    for (const line of header) expect(line.startsWith('# ')).toBe(true);
    const file = path.join(dir, emitted.modules[0]!.fileName);
    writeFileSync(file, text);
    const program = `${PY_WIRE_HELPERS}${PY_LOAD}
import ast
job = json.load(sys.stdin)
tree = ast.parse(open(job['file'], encoding='utf-8').read())
idents = set()
for node in ast.walk(tree):
    if isinstance(node, ast.Name):
        idents.add(node.id)
    elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        idents.add(node.name)
    elif isinstance(node, ast.Attribute):
        idents.add(node.attr)
mod, cls = load(job['file'], 'EvilNames')
m = cls()
torch.manual_seed(0)
x = torch.rand(2, 4)
y = m(x)
m.save_tfjs(job['out'])
m2 = cls.from_tfjs(job['out'])
y2 = m2(x)
saved = json.load(open(job['out'] + '/model.json'))
print(json.dumps({
    'layerNames': m.layer_names,
    'moduleNames': [l.name for l in m.layers_],
    'inputName': cls.INPUTS[0]['name'],
    'shape': list(y.shape),
    'roundTrip': float((y - y2).abs().max()),
    'manifest': [w['name'] for w in saved['weightsManifest'][0]['weights']],
    'topologyNames': [l['config']['name'] for l in saved['modelTopology']['config']['layers']],
    'identsFromSpec': sorted(i for i in idents if i in set(job['names'])),
}))
`;
    const r = await runPythonJson<{
      layerNames: string[];
      moduleNames: string[];
      inputName: string;
      shape: number[];
      roundTrip: number;
      manifest: string[];
      topologyNames: string[];
      identsFromSpec: string[];
    }>(python(), program, { file, out: path.join(dir, 'saved'), names: [...names, inputName] });
    expect(r.result.layerNames).toEqual(names);
    expect(r.result.moduleNames).toEqual(names);
    expect(r.result.inputName).toBe(inputName);
    expect(r.result.shape).toEqual([2, 3]);
    expect(r.result.roundTrip).toBe(0);
    expect(r.result.manifest).toEqual(names.flatMap((n) => [`${n}/kernel`, `${n}/bias`]));
    expect(r.result.topologyNames).toEqual(names);
    expect(r.result.identsFromSpec).toEqual([]);
    expect(existsSync(pwned)).toBe(false);
  });

  it('model names Python or the module needs are located LSTM2019 diagnostics', () => {
    const bad = [
      'None',
      'torch',
      'print',
      'json',
      'LSTM',
      'Dense',
      'LstmcModel',
      'lstmc_main',
      '__main__',
      'nn',
      'np',
      'match',
    ];
    for (const name of bad) {
      const model = chainModel(name, irInput('x', [4]), [irLayer('dense', { units: 2 })]);
      const ds = checkPytorchInputs([
        { model, options: { sourcePath: 'a.lstm', source: `model ${name} {`, version: '0.1.0' } },
      ]);
      expect(
        ds.map((d) => d.code),
        name,
      ).toEqual(['LSTM2019']);
      expect(ds[0]!.message).toContain(`"${name}"`);
      expect(ds[0]!.column, name).toBe(7);
    }
    const good = chainModel('EchoNet', irInput('x', [4]), [irLayer('dense', { units: 2 })]);
    expect(
      checkPytorchInputs([{ model: good, options: { sourcePath: 'a.lstm', source: '', version: '0.1.0' } }]),
    ).toEqual([]);
    const twice = checkPytorchInputs([
      { model: good, options: { sourcePath: 'a.lstm', source: '', version: '0.1.0' } },
      {
        model: chainModel('echoNet', irInput('x', [4]), [irLayer('dense', { units: 2 })]),
        options: { sourcePath: 'b.lstm', source: '', version: '0.1.0' },
      },
    ]);
    expect(twice.map((d) => d.code)).toEqual(['LSTM2019']);
    expect(twice[0]!.message).toContain('case-insensitively');
  });

  it('a layer without a PyTorch lowering: a located "not supported by target pytorch" error, nothing written', async () => {
    const def = getLayer('gaussianNoise')!;
    const saved = def.lower.pytorch;
    const dir = tmp('pytorch-unsupported');
    const spec = path.join(dir, 'noisy.lstm');
    writeFileSync(spec, 'model Noisy {\n  input x: [4]\n  gaussianNoise(0.1)\n  dense(2)\n}\n');
    delete def.lower.pytorch;
    try {
      const r = await compilePytorch([spec], path.join(dir, 'out'), dir);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(
        /noisy\.lstm:3:3 error LSTM2021 Layer "gaussianNoise" is not supported by target pytorch\./,
      );
      expect(existsSync(path.join(dir, 'out'))).toBe(false);
    } finally {
      if (saved !== undefined) def.lower.pytorch = saved;
    }
  });

  it('--target typescript stays the default; compile --check works for PyTorch modules', async () => {
    const dir = tmp('pytorch-check');
    const io = captureIO(ROOT);
    expect(await runCompile([path.join(ROOT, 'specs', 'vanilla.lstm')], { out: path.join(dir, 'ts') }, io)).toBe(0);
    expect(readdirSync(path.join(dir, 'ts'))).toEqual(['VanillaEcho.ts']);
    const out = path.join(dir, 'py');
    const files = [path.join(ROOT, 'specs', 'stacked.lstm')];
    expect((await compilePytorch(files, out)).code).toBe(0);
    expect(readdirSync(out)).toEqual(['StackedSine.py']);
    const again = await compilePytorch(files, out);
    expect(again.out).toContain('unchanged');
    const checkIo = captureIO(ROOT);
    expect(await runCompile(files, { out, target: 'pytorch', check: true }, checkIo)).toBe(0);
    writeFileSync(path.join(out, 'StackedSine.py'), '# edited\n');
    expect(await runCompile(files, { out, target: 'pytorch', check: true }, captureIO(ROOT))).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Training: the loop against tfjs `fit`

interface TrainCase {
  name: string;
  loss: string;
  optimizer: string;
  metrics: string[];
  activation: string;
  /** Targets for the loss: one-hot, 0/1, ±1, positive, or any real. */
  targets: 'onehot' | 'binary' | 'sign' | 'positive' | 'real';
  extra?: string;
}

const TRAIN_CASES: TrainCase[] = [
  {
    name: 'AdamCce',
    loss: 'categoricalCrossentropy',
    optimizer: 'adam',
    metrics: ['accuracy'],
    activation: 'softmax',
    targets: 'onehot',
  },
  {
    name: 'SgdMse',
    loss: 'meanSquaredError',
    optimizer: 'sgd(learningRate: 0.1)',
    metrics: ['mae'],
    activation: 'linear',
    targets: 'real',
    extra: 'clipNorm: 0.05',
  },
  {
    name: 'MomentumMae',
    loss: 'meanAbsoluteError',
    optimizer: 'momentum(learningRate: 0.05, momentum: 0.8)',
    metrics: ['mse'],
    activation: 'linear',
    targets: 'real',
    extra: 'clipValue: 0.01',
  },
  {
    name: 'AdagradBce',
    loss: 'binaryCrossentropy',
    optimizer: 'adagrad(learningRate: 0.1)',
    metrics: ['accuracy'],
    activation: 'sigmoid',
    targets: 'binary',
    extra: 'validationSplit: 0.25',
  },
  {
    name: 'AdadeltaLogcosh',
    loss: 'logcosh',
    optimizer: 'adadelta(learningRate: 1)',
    metrics: ['mape'],
    activation: 'linear',
    targets: 'real',
  },
  {
    name: 'AdamaxKld',
    loss: 'kullbackLeiblerDivergence',
    optimizer: 'adamax',
    metrics: ['categoricalAccuracy'],
    activation: 'softmax',
    targets: 'onehot',
  },
  {
    name: 'RmspropPoisson',
    loss: 'poisson',
    optimizer: 'rmsprop(learningRate: 0.01)',
    metrics: ['cosine'],
    activation: 'sigmoid',
    targets: 'positive',
  },
  {
    name: 'AdamHinge',
    loss: 'hinge',
    optimizer: 'adam(learningRate: 0.01)',
    metrics: ['binaryAccuracy'],
    activation: 'tanh',
    targets: 'sign',
    extra: 'clipNorm: 1\n    clipValue: 0.05',
  },
  {
    name: 'SgdSquaredHinge',
    loss: 'squaredHinge',
    optimizer: 'sgd',
    metrics: ['precision'],
    activation: 'tanh',
    targets: 'sign',
  },
  {
    name: 'AdamCatHinge',
    loss: 'categoricalHinge',
    optimizer: 'adam',
    metrics: ['categoricalCrossentropy'],
    activation: 'softmax',
    targets: 'onehot',
  },
  {
    name: 'RmspropMsle',
    loss: 'meanSquaredLogarithmicError',
    optimizer: 'rmsprop(learningRate: 0.001, momentum: 0.5)',
    metrics: [],
    activation: 'sigmoid',
    targets: 'positive',
  },
  {
    name: 'AdamMape',
    loss: 'meanAbsolutePercentageError',
    optimizer: 'adam',
    metrics: ['mse'],
    activation: 'linear',
    targets: 'positive',
  },
  {
    name: 'SgdCosine',
    loss: 'cosineProximity',
    optimizer: 'momentum(learningRate: 0.1, momentum: 0.9)',
    metrics: ['mae'],
    activation: 'linear',
    targets: 'real',
  },
];

function trainSpec(c: TrainCase): string {
  return `model ${c.name} {
  input x: [4, 3]
  lstm(5)
  dense(2, activation: ${c.activation})
  train {
    loss: ${c.loss}
    optimizer: ${c.optimizer}
    metrics: [${c.metrics.join(', ')}]
    epochs: 2
    batchSize: 8
    shuffle: false
    ${c.extra ?? ''}
  }
}
`;
}

function targetsFor(kind: TrainCase['targets'], n: number, u: (lo: number, hi: number) => number): Float32Array {
  const y = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    if (kind === 'onehot') y[i * 2 + (u(0, 1) < 0.5 ? 0 : 1)] = 1;
    else
      for (let k = 0; k < 2; k++) {
        const r = u(0, 1);
        y[i * 2 + k] =
          kind === 'binary'
            ? r < 0.5
              ? 0
              : 1
            : kind === 'sign'
              ? r < 0.5
                ? -1
                : 1
              : kind === 'positive'
                ? 0.1 + r
                : u(-1, 1);
      }
  }
  return y;
}

function writeDataDir(
  dir: string,
  model: string,
  x: Float32Array,
  xShape: number[],
  y: Float32Array,
  yShape: number[],
): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'train_x.npy'), encodeNpy(x, xShape));
  writeFileSync(path.join(dir, 'train_y.npy'), encodeNpy(y, yShape));
  writeFileSync(path.join(dir, 'test_x.npy'), encodeNpy(new Float32Array(0), [0, ...xShape.slice(1)]));
  writeFileSync(path.join(dir, 'test_y.npy'), encodeNpy(new Float32Array(0), [0, ...yShape.slice(1)]));
  writeFileSync(
    path.join(dir, 'meta.json'),
    JSON.stringify({
      format: 'lstmc-data',
      version: 1,
      model,
      source: { kind: 'synthetic', value: 'test', options: {}, description: 'test arrays' },
      input: { name: 'x', shape: xShape.slice(1) },
      target: { shape: yShape.slice(1) },
    }),
  );
}

describe.skipIf(SKIP)('PyTorch target: training against tfjs fit', () => {
  it('losses, metrics, every optimizer and clipping follow tfjs (same initial weights, 2 epochs)', async () => {
    await rt.setupBackend('cpu');
    const work = tmp('pytorch-train-parity');
    const expectedOptimizers = new Set<string>();
    const jobs: { module: string; model: string; argv: string[]; run: string }[] = [];
    const tfjs: { history: Record<string, number[]>; weights: Float32Array[]; label: string }[] = [];
    let n = 0;
    for (const c of TRAIN_CASES) {
      n++;
      const file = path.join(work, `${c.name}.lstm`);
      writeFileSync(file, trainSpec(c));
      const compiled = await compilePytorch([file], path.join(work, 'py'));
      expect(compiled.code, `${c.name}: ${compiled.err}`).toBe(0);
      const model = checkSource(trainSpec(c), file).models[0]!;
      expectedOptimizers.add(model.train.optimizer.name);
      const spec = toTfModelSpec(model);
      const u = uniform(77 + n);
      const samples = 32;
      const x = Float32Array.from({ length: samples * 12 }, () => u(-1, 1));
      const y = targetsFor(c.targets, samples, u);
      const data = path.join(work, `data-${c.name}`);
      writeDataDir(data, c.name, x, [samples, 4, 3], y, [samples, 2]);
      const built = await buildModelWithoutOrthogonalInit(spec);
      randomizeWeights(built, 500 + n);
      const init = path.join(work, `init-${c.name}`);
      rt.writeDirAtomic(init, await modelFiles(built));
      rt.compileModel(built, spec.train);
      const xt = tf.tensor(x, [samples, 4, 3]);
      const yt = tf.tensor(y, [samples, 2]);
      const h = await built.fit(xt, yt, {
        epochs: 2,
        batchSize: 8,
        shuffle: false,
        verbose: 0,
        ...(spec.train.validationSplit > 0 ? { validationSplit: spec.train.validationSplit } : {}),
      });
      tfjs.push({
        label: c.name,
        history: h.history as Record<string, number[]>,
        weights: built.getWeights().map((w) => w.dataSync() as Float32Array),
      });
      tf.dispose([xt, yt]);
      built.dispose();
      const runDir = path.join(work, `run-${c.name}`);
      jobs.push({
        module: path.join(work, 'py', `${c.name}.py`),
        model: c.name,
        argv: ['train', '--data', data, '--out', runDir, '--init', init],
        run: runDir,
      });
    }
    expect([...expectedOptimizers].sort()).toEqual(
      Object.keys((await import('../compiler/train.js')).OPTIMIZER_TABLE).sort(),
    );
    const program = `${PY_LOAD}
import contextlib, io
jobs = json.load(sys.stdin)
out = []
for job in jobs:
    mod, cls = load(job['module'], job['model'])
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = mod.lstmc_main(cls, job['argv'])
    out.append({'code': code, 'stdout': buf.getvalue()})
print(json.dumps(out))
`;
    const r = await runPythonJson<{ code: number; stdout: string }[]>(python(), program, jobs, { timeoutMs: 600_000 });
    const figures: string[] = [];
    r.result.forEach((res, i) => {
      const t = tfjs[i]!;
      expect(res.code, `${t.label}: ${r.stderr.slice(-2000)}`).toBe(0);
      const lines = jsonLines(res.stdout).filter((l) => typeof l.epoch === 'number');
      expect(lines.length, t.label).toBe(2);
      for (const [key, values] of Object.entries(t.history)) {
        values.forEach((v, e) => {
          const got = lines[e]![key];
          expect(typeof got, `${t.label}: ${key} logged`).toBe('number');
          expect(
            Math.abs((got as number) - v),
            `${t.label}: epoch ${e + 1} ${key} torch ${String(got)} vs tfjs ${v}`,
          ).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(v)));
        });
      }
      const weightsBin = new Float32Array(new Uint8Array(readFileSync(path.join(jobs[i]!.run, 'weights.bin'))).buffer);
      const tfjsAll = new Float32Array(t.weights.reduce((a, w) => a + w.length, 0));
      let off = 0;
      for (const w of t.weights) {
        tfjsAll.set(w, off);
        off += w.length;
      }
      const diff = maxAbsDiff(weightsBin, tfjsAll);
      figures.push(`${t.label}: ${diff.toExponential(2)}`);
      expect(diff, `${t.label}: weights after training`).toBeLessThanOrEqual(1e-4);
    });
    console.log(
      `PyTorch vs TF.js training (2 epochs, same initial weights), max abs weight difference:\n  ${figures.join('\n  ')}`,
    );
  }, 600_000);
});

// ---------------------------------------------------------------------------------------------
// Training end to end: lstmc data -> PyTorch -> lstmc predict / evaluate; resume; DDP

describe.skipIf(SKIP)('PyTorch target: training runs', () => {
  let work: string;
  let module: string;
  let data: string;

  beforeAll(async () => {
    work = tmp('pytorch-run');
    const compiled = await compilePytorch([path.join(ROOT, 'specs', 'vanilla.lstm')], work);
    expect(compiled.code, compiled.err).toBe(0);
    module = path.join(work, 'VanillaEcho.py');
    data = path.join(work, 'data');
    const d = lstmc(['data', path.join(ROOT, 'specs', 'vanilla.lstm'), '--out', data], work);
    expect(d.code, d.stderr).toBe(0);
  }, 300_000);

  it('one epoch writes a run directory lstmc predict and evaluate load, with PyTorch outputs', async () => {
    const runDir = path.join(work, 'run');
    const r = await run(
      python(),
      [module, 'train', '--data', data, '--out', runDir, '--epochs', '1', '--batch-size', '32'],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    const epoch = lines.find((l) => l.epoch === 1)!;
    expect(epoch).toBeDefined();
    for (const key of ['loss', 'acc', 'samples_per_s']) expect(typeof epoch[key], key).toBe('number');
    const final = lines.find((l) => l.final === true)!;
    expect(final.stopReason).toBe('epochs');
    expect(readdirSync(runDir).sort()).toEqual([
      'history.csv',
      'lstmc.json',
      'model.json',
      'torch_state.npz',
      'weights.bin',
    ]);
    const state = JSON.parse(readFileSync(path.join(runDir, 'lstmc.json'), 'utf8')) as rt.TrainState;
    expect(state).toMatchObject({
      version: 1,
      model: 'VanillaEcho',
      epoch: 1,
      epochs: 1,
      complete: true,
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
    });
    expect(state.history.loss).toHaveLength(1);
    expect(state.data?.inputShape).toEqual([5, 10]);

    // The same samples through PyTorch (from the run directory) and through `lstmc predict`.
    const testX = decodeNpy(new Uint8Array(readFileSync(path.join(data, 'test_x.npy'))));
    const samples = Array.from({ length: 5 }, (_, i) =>
      Array.from({ length: 5 }, (_, t) => Array.from(testX.values.subarray(i * 50 + t * 10, i * 50 + t * 10 + 10))),
    );
    const samplesFile = path.join(work, 'samples.json');
    writeFileSync(samplesFile, JSON.stringify(samples));
    const predicted = lstmc(['predict', runDir, '-i', samplesFile, '--format', 'json'], work);
    expect(predicted.code, predicted.stderr).toBe(0);
    const viaLstmc = (JSON.parse(predicted.stdout) as { predictions: { output: number[] }[] }).predictions.flatMap(
      (x) => x.output,
    );
    const torchOut = await runPythonJson<number[][]>(
      python(),
      `${PY_LOAD}\njob = json.load(sys.stdin)\nmod, cls = load(job['module'], 'VanillaEcho')\nm = cls.from_tfjs(job['run']).eval()\nwith torch.no_grad():\n    y = m(torch.tensor(job['x'], dtype=torch.float32))\nprint(json.dumps(y.tolist()))`,
      { module, run: runDir, x: samples },
    );
    expect(maxAbsDiff(viaLstmc, torchOut.result.flat())).toBeLessThanOrEqual(1e-5);

    const evaluated = lstmc(['evaluate', path.join(ROOT, 'specs', 'vanilla.lstm'), '--dir', runDir, '--json'], work);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const metrics = (JSON.parse(evaluated.stdout) as { metrics: Record<string, number> }).metrics;
    const test = final.test as Record<string, number>;
    expect(Math.abs(metrics.loss! - test.loss!)).toBeLessThanOrEqual(1e-4);
    expect(metrics.acc).toBeCloseTo(test.acc!, 5);

    // --resume continues after epoch 1 (same batch size as the run), to epoch 2.
    const resumed = await run(
      python(),
      [module, 'train', '--data', data, '--out', runDir, '--epochs', '2', '--resume'],
      { cwd: work },
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('Resuming VanillaEcho');
    expect(
      jsonLines(resumed.stdout)
        .filter((l) => typeof l.epoch === 'number')
        .map((l) => l.epoch),
    ).toEqual([2]);
    const state2 = JSON.parse(readFileSync(path.join(runDir, 'lstmc.json'), 'utf8')) as rt.TrainState;
    expect(state2.epoch).toBe(2);
    expect(state2.history.loss).toHaveLength(2);
    expect(state2.history.loss![0]).toBe(state.history.loss![0]);
  }, 300_000);

  it('early stopping (patience 0, a minDelta nothing meets) stops after epoch 2', async () => {
    const dir = tmp('pytorch-es');
    const spec = path.join(dir, 'es.lstm');
    writeFileSync(
      spec,
      'model EarlyEcho {\n  input x: [5, 10]\n  lstm(8)\n  dense(10, activation: softmax)\n  train {\n    loss: categoricalCrossentropy\n    epochs: 5\n    batchSize: 64\n    seed: 3\n    earlyStopping { patience: 0  minDelta: 100  monitor: loss }\n  }\n}\n',
    );
    expect((await compilePytorch([spec], dir)).code).toBe(0);
    const r = await run(
      python(),
      [path.join(dir, 'EarlyEcho.py'), 'train', '--data', data, '--out', path.join(dir, 'run')],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(
      jsonLines(r.stdout)
        .filter((l) => typeof l.epoch === 'number')
        .map((l) => l.epoch),
    ).toEqual([1, 2]);
    const state = JSON.parse(readFileSync(path.join(dir, 'run', 'lstmc.json'), 'utf8')) as rt.TrainState;
    expect(state).toMatchObject({ epoch: 2, complete: true, stopReason: 'earlyStopping' });
  }, 300_000);

  it('a real two-process DDP run (gloo on loopback) ends with identical weights on both ranks', async () => {
    const runDir = path.join(work, 'ddp');
    const r = await run(
      python(),
      [
        '-m',
        'torch.distributed.run',
        '--standalone',
        '--nproc_per_node=2',
        '--redirects',
        '1',
        '--tee',
        '1',
        module,
        'train',
        '--data',
        data,
        '--out',
        runDir,
        '--epochs',
        '1',
        '--batch-size',
        '64',
      ],
      { cwd: work, env: { OMP_NUM_THREADS: '1' }, timeoutMs: 300_000 },
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const lines = jsonLines(r.stdout);
    const final = lines.find((l) => l.final === true) as
      { replicas: { world: number; weightsSha256: string[]; identical: boolean } } | undefined;
    expect(final, r.stdout).toBeDefined();
    expect(final!.replicas.world).toBe(2);
    expect(final!.replicas.identical).toBe(true);
    const [d0, d1] = final!.replicas.weightsSha256;
    expect(d0).toBe(d1);
    // rank 0 saved exactly those weights
    expect(
      createHash('sha256')
        .update(readFileSync(path.join(runDir, 'weights.bin')))
        .digest('hex'),
    ).toBe(d0);
    expect(lines.filter((l) => typeof l.epoch === 'number').map((l) => l.epoch)).toEqual([1]);
    const state = JSON.parse(readFileSync(path.join(runDir, 'lstmc.json'), 'utf8')) as {
      engine: { worldSize: number };
    };
    expect(state.engine.worldSize).toBe(2);
  }, 400_000);
});
