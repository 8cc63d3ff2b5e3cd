/**
 * Masks on the PyTorch target (`lstmc compile --target pytorch`): `masking` and `embedding(maskZero)` models
 * compiled to Python, loaded with the weights of the TF.js model (`from_tfjs`), compute what tfjs computes
 * on padded batches (masked steps at the end, the start and the middle): masked steps keep the states in
 * the recurrent classes of emit/pytorch/support.py as in tfjs. Real torch, no mocks; skips with a message
 * when no interpreter imports torch, unless CI is set.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModelWithoutOrthogonalInit, runCompile, type CompileIO } from '../cli/compile-command.js';
import { checkSource } from '../compiler/index.js';
import { toTfModelSpec } from '../compiler/tfspec.js';
import * as rt from '../runtime/index.js';
import { projectTempDir, ROOT } from './emit-helpers.js';
import {
  findTorchPython,
  PY_WIRE_HELPERS,
  runPythonJson,
  skipWithoutTorch,
  toWire,
  type WireArray,
} from './helpers/python.js';

const SKIP = skipWithoutTorch('test/masking-pytorch.test.ts');

const MODELS: { name: string; source: string; ids?: number; pad?: number }[] = [
  {
    name: 'MaskedStack',
    source: `model MaskedStack {
  input x: [7, 3]
  masking(0)
  lstm(5, returnSequences: true)
  gru(4, returnSequences: true, goBackwards: true)
  simpleRNN(3)
  dense(2)
}`,
  },
  {
    name: 'MaskedBidirectional',
    pad: -1,
    source: `model MaskedBidirectional {
  input x: [7, 3]
  let m = x -> masking(-1)
  let [o, hf, cf, hb, cb] = m -> bidirectional(lstm(4, returnSequences: true, returnState: true), mergeMode: ave)
  let y = o -> timeDistributed(dense(2))
  output y, hf, cb
}`,
  },
  {
    name: 'MaskedBranches',
    source: `model MaskedBranches {
  input x: [7, 3]
  let m = x -> masking()
  let a = m -> lstm(4, returnSequences: true)
  let b = m -> gru(3, returnSequences: true, resetAfter: false)
  let y = [a, b] -> concatenate() -> dropout(0.2) -> lstm(2)
  let s = [a, a] -> add() -> timeDistributed(dense(1))
  output y, s
}`,
  },
  {
    name: 'MaskedTokens',
    ids: 10,
    source: `model MaskedTokens {
  input t: [7]
  embedding(10, 4, maskZero: true)
  bidirectional(gru(3), mergeMode: concat)
  dense(2)
}`,
  },
  {
    name: 'MaskDropped',
    source: `model MaskDropped {
  input x: [7, 3]
  masking()
  lstm(4, returnSequences: true)
  flatten()
  dense(2)
}`,
  },
];

/** Rows of the padded batch: 1 keeps a step, 0 pads it (all features the mask value, or token 0). */
const PATTERNS = [
  [1, 1, 1, 1, 0, 0, 0],
  [0, 0, 0, 1, 1, 1, 1],
  [1, 0, 1, 0, 0, 1, 1],
  [1, 1, 1, 1, 1, 1, 1],
];

const PY_PROGRAM = `${PY_WIRE_HELPERS}
import importlib.util, json, sys
import numpy as np
import torch
torch.set_num_threads(1)
jobs = json.load(sys.stdin)
out = []
for job in jobs:
    spec = importlib.util.spec_from_file_location('lstmc_masking_%s' % job['model'], job['module'])
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    m = getattr(mod, job['model']).from_tfjs(job['tfjs']).eval()
    with torch.no_grad():
        ys = m(torch.from_numpy(arr(job['input'])))
    ys = ys if isinstance(ys, list) else [ys]
    out.append([float(np.max(np.abs(y.numpy() - arr(e)))) for y, e in zip(ys, job['expected'])])
print(json.dumps(out))
`;

describe.skipIf(SKIP)('masks on the PyTorch target: parity with TF.js on padded batches', () => {
  const work = projectTempDir('masking-pytorch');
  const labels: string[] = [];
  let diffs: number[][] = [];

  beforeAll(async () => {
    await rt.setupBackend('cpu');
    const jobs: unknown[] = [];
    let n = 0;
    for (const m of MODELS) {
      n++;
      const file = path.join(work, `${m.name}.lstm`);
      writeFileSync(file, m.source);
      const out: string[] = [];
      const io: CompileIO = {
        stdout: (s) => void out.push(s),
        stderr: (s) => void out.push(s),
        cwd: ROOT,
        color: false,
        version: '0.1.0',
      };
      const outDir = path.join(work, `py${n}`);
      expect(await runCompile([file], { out: outDir, target: 'pytorch' }, io), out.join('')).toBe(0);
      const model = checkSource(m.source, file).models[0]!;
      const built = await buildModelWithoutOrthogonalInit(toTfModelSpec(model));
      const u = new rt.Rng(40 + n);
      built.setWeights(
        built.weights.map((w) => {
          const shape = w.shape as number[];
          return tf.tensor(
            Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => u.next() - 0.5),
            shape,
          );
        }),
      );
      const tfjsDir = path.join(work, `tfjs${n}`);
      rt.writeDirAtomic(tfjsDir, await rt.modelFiles(built));
      const shape = m.ids ? [PATTERNS.length, 7] : [PATTERNS.length, 7, 3];
      const values = Float32Array.from(
        PATTERNS.flatMap((row) =>
          row.flatMap((keep) =>
            m.ids
              ? [keep ? 1 + Math.floor(u.next() * (m.ids - 1)) : 0]
              : [0, 1, 2].map(() => (keep ? u.next() * 2 - 1 : (m.pad ?? 0))),
          ),
        ),
      );
      const x = tf.tensor(values, shape);
      const predicted = built.predict(x) as tf.Tensor | tf.Tensor[];
      const ys = Array.isArray(predicted) ? predicted : [predicted];
      jobs.push({
        model: m.name,
        module: path.join(outDir, `${m.name}.py`),
        tfjs: tfjsDir,
        input: toWire(values, shape),
        expected: ys.map((y): WireArray => toWire(y.dataSync() as Float32Array, y.shape)),
      });
      labels.push(m.name);
      tf.dispose([x, ...ys]);
      built.dispose();
    }
    const py = findTorchPython();
    if (!py.ok) throw new Error(py.reason);
    diffs = (await runPythonJson<number[][]>(py.python, PY_PROGRAM, jobs, { timeoutMs: 300_000 })).result;
  }, 600_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('every model computes what TF.js computes (max abs difference <= 1e-5)', () => {
    expect(diffs.length).toBe(MODELS.length);
    const figures = labels.map((l, i) => `${l}: ${Math.max(...diffs[i]!).toExponential(2)}`);
    console.log(`masks, PyTorch vs TF.js:\n  ${figures.join('\n  ')}`);
    labels.forEach((l, i) => {
      for (const d of diffs[i]!) expect(d, l).toBeLessThanOrEqual(1e-5);
    });
  });
});
