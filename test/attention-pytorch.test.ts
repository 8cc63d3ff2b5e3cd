/**
 * Masked attention: the PyTorch support classes (emit/pytorch/support.py) compute what lstmc's TF.js classes compute
 * in a real TF.js model: `embedding(maskZero)` feeding self-attention (`[e, e]`), where TF.js's executor hands the
 * layer one mask (the query's, which is also the value's), and the layer passes the query's mask on. Unmasked parity
 * is in test/pytorch-layers.test.ts; the Keras maths in test/attention-oracle.test.ts.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lstmcLayers } from '../runtime/layers/index.js';
import {
  fromWire,
  PY_WIRE_HELPERS,
  requireTorchPython,
  runPythonJson,
  skipWithoutTorch,
  toWire,
  type WireArray,
} from './helpers/python.js';

const SUPPORT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../emit/pytorch/support.py');

const PROGRAM = `
import importlib.util, json, sys
import torch
${PY_WIRE_HELPERS}
req = json.load(sys.stdin)
spec = importlib.util.spec_from_file_location("lstmc_support", req["support"])
S = importlib.util.module_from_spec(spec)
spec.loader.exec_module(S)
out = []
for c in req["cases"]:
    emb = S.Embedding(input_shape=[5], inputDim=6, outputDim=3, maskZero=True)
    emb.load_tfjs_weights([arr(w) for w in c["embedding"]])
    layer = getattr(S, c["cls"])(input_shape=[[5, 3], [5, 3]], **c["config"])
    layer.load_tfjs_weights([arr(w) for w in c["weights"]])
    layer.eval()
    ids = torch.tensor(c["ids"], dtype=torch.float32)
    with torch.no_grad():
        e = emb(ids)
        m = emb.compute_mask(ids)
        y = layer([e, e], mask=[m, m])
        ym = layer.compute_mask([e, e], [m, m])
    out.append({"y": wire(y), "mask": ym.to(torch.int32).tolist()})
print(json.dumps(out))
`;

const CASES: { cls: string; config: Record<string, unknown> }[] = [
  { cls: 'Attention', config: { useScale: true } },
  { cls: 'Attention', config: { scoreMode: 'concat', useCausalMask: true } },
  { cls: 'AdditiveAttention', config: {} },
  { cls: 'MultiHeadAttention', config: { numHeads: 2, keyDim: 2 } },
  { cls: 'MultiHeadAttention', config: { numHeads: 1, keyDim: 3, valueDim: 2, useCausalMask: true } },
];

const factory: Record<string, (c: Record<string, unknown>) => tf.layers.Layer> = {
  Attention: (c) => lstmcLayers.attention(c),
  AdditiveAttention: (c) => lstmcLayers.additiveAttention(c),
  MultiHeadAttention: (c) => lstmcLayers.multiHeadAttention(c as { numHeads: number; keyDim: number }),
};

const wireOf = (t: tf.Tensor): WireArray => toWire(t.dataSync() as Float32Array, t.shape);

const SKIP = skipWithoutTorch('Masked attention parity');

describe.skipIf(SKIP)('masked attention: PyTorch support classes = TF.js classes in a TF.js model', () => {
  let python = '';
  beforeAll(async () => {
    python = requireTorchPython();
    await tf.setBackend('cpu');
  });

  it('embedding(maskZero) -> self-attention: outputs within 1e-5, the query mask passed on', async () => {
    const ids = [
      [3, 1, 4, 0, 0],
      [2, 5, 0, 0, 0],
    ];
    const x = tf.tensor2d(ids);
    const cases = CASES.map((c, k) => {
      const tokens = tf.input({ shape: [5] });
      const embed = tf.layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true });
      const e = embed.apply(tokens) as tf.SymbolicTensor;
      const layer = factory[c.cls]!(c.config);
      const model = tf.model({ inputs: tokens, outputs: layer.apply([e, e]) as tf.SymbolicTensor });
      // non-trivial weights (scalars away from 1), deterministic per case
      layer.setWeights(
        layer
          .getWeights()
          .map((w, i) => tf.add(tf.mul(tf.randomNormal(w.shape, 0, 0.5, 'float32', 10 * k + i), 1), 0.2)),
      );
      const y = model.predict(x) as tf.Tensor;
      return {
        py: {
          cls: c.cls,
          config: c.config,
          ids,
          embedding: embed.getWeights().map(wireOf),
          weights: layer.getWeights().map(wireOf),
        },
        tfY: y.dataSync() as Float32Array,
      };
    });
    const { result } = await runPythonJson<{ y: WireArray; mask: number[][] }[]>(python, PROGRAM, {
      support: SUPPORT,
      cases: cases.map((c) => c.py),
    });
    result.forEach((r, i) => {
      const py = fromWire(r.y);
      const tfY = cases[i]!.tfY;
      expect(py.length).toBe(tfY.length);
      const diff = py.reduce((m, v, j) => Math.max(m, Math.abs(v - tfY[j]!)), 0);
      expect(diff, `${CASES[i]!.cls} ${JSON.stringify(CASES[i]!.config)}`).toBeLessThan(1e-5);
      expect(r.mask).toEqual(ids.map((row) => row.map((id) => (id === 0 ? 0 : 1))));
    });
    tf.dispose(x);
  }, 120_000);
});
