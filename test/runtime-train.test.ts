/** Small, fast versions of the six reference problems, trained through the runtime API. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import type { IRModel } from '../compiler/ir.js';
import { toTfModelSpec, type TfModelSpec } from '../compiler/tfspec.js';
import {
  buildModel,
  CHARS_WORDS,
  generate,
  loadTrained,
  predict,
  setupBackend,
  train,
  wellFormedWords,
} from '../runtime/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'lstmc-rt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function model(src: string): IRModel {
  const r = checkSource(src, 'test.lstm');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors, JSON.stringify(errors)).toEqual([]);
  return r.models[0]!;
}

const quiet = { progress: 'none' as const, stream: { write: () => true } };

const REFERENCES: Record<string, string> = {
  vanilla: `model VanillaEcho {
    input x: [5, 10]
    lstm(25)
    dense(10, activation: softmax)
    train { loss: categoricalCrossentropy  optimizer: adam(learningRate: 0.01)  metrics: [accuracy]  epochs: 2  batchSize: 32  seed: 1 }
    data { synthetic: echo  samples: 256  testSamples: 64 }
  }`,
  stacked: `model StackedSine {
    input x: [20, 1]
    lstm(20, returnSequences: true)
    lstm(20)
    dense(5)
    train { loss: mae  optimizer: adam  metrics: [mse]  epochs: 2  batchSize: 32  seed: 1 }
    data { synthetic: sine  length: 20  horizon: 5  samples: 256  testSamples: 64 }
  }`,
  cnnLstm: `model CnnMovingSquare {
    input frames: [5, 16, 16, 1]
    timeDistributed(conv2d(2, kernelSize: [2, 2], activation: relu))
    timeDistributed(maxPooling2d([2, 2]))
    timeDistributed(flatten())
    lstm(50)
    dense(1, activation: sigmoid)
    train { loss: binaryCrossentropy  optimizer: adam  metrics: [accuracy]  epochs: 2  batchSize: 32  seed: 1 }
    data { synthetic: square  size: 16  frames: 5  samples: 128  testSamples: 32 }
  }`,
  encoderDecoder: `model AdditionSeq2Seq {
    input x: [8, 12]
    lstm(75)
    repeatVector(2)
    lstm(50, returnSequences: true)
    timeDistributed(dense(12, activation: softmax))
    train { loss: categoricalCrossentropy  optimizer: adam  metrics: [accuracy]  epochs: 2  batchSize: 32  seed: 1 }
    data { synthetic: addition  samples: 256  testSamples: 64 }
  }`,
  bidirectional: `model BidirectionalCumsum {
    input x: [10, 1]
    bidirectional(lstm(50, returnSequences: true), mergeMode: concat)
    timeDistributed(dense(1, activation: sigmoid))
    train { loss: binaryCrossentropy  optimizer: adam  metrics: [accuracy]  epochs: 2  batchSize: 32  seed: 1 }
    data { synthetic: cumsum  samples: 256  testSamples: 64 }
  }`,
  generative: `model CharGenerator {
    input x: [10, 40]
    lstm(32)
    dense(40, activation: softmax)
    train { loss: categoricalCrossentropy  optimizer: rmsprop(learningRate: 0.01)  metrics: [accuracy]  epochs: 2  batchSize: 64  seed: 1 }
    data { synthetic: chars  window: 10  samples: 512  testSamples: 64 }
  }`,
};

describe('the six reference architectures train on tiny data (auto backend)', () => {
  for (const [name, src] of Object.entries(REFERENCES)) {
    it(name, async () => {
      const m = model(src);
      const r = await train(m, { ...quiet, outDir: join(tmp, name) });
      expect(r.backend.name).toBe('wasm');
      expect(r.epochs).toBe(2);
      expect(r.history.loss).toHaveLength(2);
      expect(r.history.loss!.every(Number.isFinite)).toBe(true);
      expect(r.stopReason).toBe('epochs');
      expect(Number.isFinite(r.evaluation.loss)).toBe(true);
      const state = JSON.parse(readFileSync(join(tmp, name, 'lstmc.json'), 'utf8'));
      expect(state).toMatchObject({ epoch: 2, complete: true, model: m.name });
      r.model.dispose();
    });
  }

  it('echo learns (loss falls) and predict/generate load the saved models', async () => {
    const m = model(REFERENCES.vanilla!.replace('epochs: 2', 'epochs: 6').replace('samples: 256', 'samples: 1000'));
    const r = await train(m, { ...quiet, outDir: join(tmp, 'echo-learn') });
    expect(r.history.loss![5]!).toBeLessThan(r.history.loss![0]! * 0.8);
    const x = Array.from({ length: 5 }, (_, t) => Array.from({ length: 10 }, (_, k) => (k === t ? 1 : 0)));
    const y = (await predict(join(tmp, 'echo-learn'), [x])) as number[][];
    expect(y).toHaveLength(1);
    expect(y[0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    r.model.dispose();

    const g = await loadTrained(join(tmp, 'generative'));
    const text = await generate(g, { seed: 'the king ', length: 60, temperature: 0.5 });
    expect(text.startsWith('the king ')).toBe(true);
    expect(text.length).toBe(69);
    expect([...text].every((c) => '\n .,0123456789abcdefghijklmnopqrstuvwxyz'.includes(c))).toBe(true);
    expect(wellFormedWords('the old king sees a bird. a dog at 7.')).toBe(1);
    expect(CHARS_WORDS.has('king')).toBe(true);
  });

  it('a char model wider than the corpus alphabet trains, and generate samples only real characters (bug 4)', async () => {
    const m = model(
      REFERENCES.generative!.replaceAll('40', '48')
        .replace('epochs: 2', 'epochs: 1')
        .replace('window: 10', 'window: 10  vocab: 48'),
    );
    expect(m.nodes.at(-1)!.outputShapes).toEqual([[48]]);
    const r = await train(m, { ...quiet, outDir: join(tmp, 'wide-chars') });
    expect(Number.isFinite(r.history.loss![0]!)).toBe(true);
    r.model.dispose();
    const g = await loadTrained(join(tmp, 'wide-chars'));
    const text = await generate(g, { seed: 'the ', length: 80, temperature: 1.5 });
    expect(text).toHaveLength(84);
    expect([...text].every((c) => '\n .,0123456789abcdefghijklmnopqrstuvwxyz'.includes(c))).toBe(true);
  });

  it('the same seed gives the same run', async () => {
    const m = model(REFERENCES.bidirectional!.replace('epochs: 2', 'epochs: 1'));
    const a = await train(m, quiet);
    const b = await train(m, quiet);
    expect(a.history.loss![0]).toBe(b.history.loss![0]);
    a.model.dispose();
    b.model.dispose();
  });
});

describe('toTfModelSpec is final: the back ends take its decisions as they are', () => {
  it('a chain is sequential with inputShape on its first layer only; aliases and defaults are resolved', () => {
    const spec = toTfModelSpec(
      model(`model Chain {
  input x: [5, 3]
  lstm(4)
  dense(2)
  train { loss: mse  optimizer: rmsprop(learningRate: 0.01)  metrics: [mae]  clipNorm: 1  epochs: 3 }
}`),
    );
    expect(spec.kind).toBe('sequential');
    expect(spec.nodes.map((n) => n.spec.config['inputShape'])).toEqual([[5, 3], undefined]);
    expect(spec.nodes.every((n) => n.spec.config['name'] === n.name)).toBe(true);
    expect(spec.train).toEqual({
      loss: 'meanSquaredError',
      metrics: ['mae'],
      optimizer: { factory: 'rmsprop', args: [0.01, 0.9, 0, 1e-7, false] },
      clipNorm: 1,
      epochs: 3,
      batchSize: 32,
      validationSplit: 0,
      shuffle: true,
    });
  });

  it('a graph with initial states is functional, without inputShape on any layer', () => {
    const m = model(`model Translate {
  input source: [S, 7]
  input target: [T, 9]
  let [_, h, c] = source -> lstm(8, returnState: true)
  let decoded: [T, 9] = target -> lstm(8, returnSequences: true, initialState: [h, c]) -> dense(9, activation: softmax)
  output decoded
}`);
    const spec = toTfModelSpec(m);
    expect(spec.kind).toBe('functional');
    expect(spec.nodes.some((n) => 'inputShape' in n.spec.config || 'batchInputShape' in n.spec.config)).toBe(false);
    // Told it is a sequential model, a graph is still not built as one.
    expect(toTfModelSpec({ ...m, kind: 'sequential' }).kind).toBe('functional');
  });
});

describe('buildModel from a hand-made TfModelSpec', () => {
  it('functional encoder-decoder with returnState and initialState', async () => {
    await setupBackend('wasm');
    const spec: TfModelSpec = {
      kind: 'functional',
      name: 'Translate',
      kernels: [],
      inputs: [
        { name: 'source', shape: [null, 6] },
        { name: 'target', shape: [4, 7] },
      ],
      nodes: [
        {
          name: 'enc',
          spec: { factory: 'lstm', config: { units: 8, returnState: true, name: 'enc' } },
          inputs: [{ node: 'source', index: 0 }],
          outputCount: 3,
        },
        {
          name: 'dec',
          spec: { factory: 'lstm', config: { units: 8, returnSequences: true, name: 'dec' } },
          inputs: [{ node: 'target', index: 0 }],
          initialState: [
            { node: 'enc', index: 1 },
            { node: 'enc', index: 2 },
          ],
          outputCount: 1,
        },
        {
          name: 'out',
          spec: {
            factory: 'timeDistributed',
            config: { name: 'out' },
            inner: { factory: 'dense', config: { units: 7, activation: 'softmax' } },
          },
          inputs: [{ node: 'dec', index: 0 }],
          outputCount: 1,
        },
      ],
      outputs: [{ node: 'out', index: 0 }],
      train: {
        loss: 'categoricalCrossentropy',
        metrics: [],
        optimizer: { factory: 'sgd', args: [0.01] },
        epochs: 1,
        batchSize: 1,
        validationSplit: 0,
        shuffle: false,
      },
    };
    const m = buildModel(spec);
    expect(m.inputs.map((i) => i.shape)).toEqual([
      [null, null, 6],
      [null, 4, 7],
    ]);
    expect(m.outputs[0]!.shape).toEqual([null, 4, 7]);
    m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
    const xs = [tf.randomUniform([8, 5, 6]), tf.randomUniform([8, 4, 7])];
    const y = tf.oneHot(tf.randomUniform([8, 4], 0, 7, 'int32'), 7).toFloat();
    const h = await m.fit(xs, y, { epochs: 1, verbose: 0 });
    expect(Number.isFinite(h.history.loss![0] as number)).toBe(true);
    tf.dispose([...xs, y]);
    m.dispose();
  });
});
