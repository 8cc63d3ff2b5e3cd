/**
 * Training benchmark (not a test): `npm run build && node dist/bench/train.js [--only a,b] [--skip-throughput]`
 *
 * 1. Trains each of the six reference architectures on its demo problem through the runtime (the same
 *    path as `lstmc train`: checked spec → TfModelSpec → tf model, data block, checkpoint every epoch) and
 *    checks the targets: echo accuracy ≥ 95 %, damped-sine MAE ≤ 0.05, moving-square accuracy ≥ 95 %,
 *    addition accuracy ≥ 95 %, cumulative-sum accuracy ≥ 95 %, generative loss falls and samples are
 *    well formed. Prints wall time and backend.
 * 2. Throughput: samples/s of `train()` vs hand-written tfjs-layers code for the same model on the same
 *    backend (ratio), and wasm vs cpu for the hand-written code.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { checkSource } from '../compiler/index.js';
import type { IRModel } from '../compiler/ir.js';
import { generate, loadData, setupBackend, train, wellFormedWords, type Dataset } from '../runtime/index.js';

interface Problem {
  key: string;
  title: string;
  /** The reference spec under specs/ (architecture, loss, optimizer, data block). */
  file: string;
  /** `lstmc train` overrides (--epochs, --batch-size, --samples) that fit the run in this 2-core budget. */
  overrides: { epochs: number; batchSize?: number; samples: number; testSamples: number };
  /** Fallback when specs/ is not there: the same model as a source string. */
  spec: string;
  target: string;
  /** Did the run reach the target? */
  check: (ev: Record<string, number>, extra: Record<string, number | string>) => boolean;
  /** The same model written by hand with tf.layers (for the throughput comparison). */
  hand: () => tf.LayersModel;
  /** Samples for the throughput runs. */
  throughputSamples: number;
}

/**
 * Hand-written LSTM with the Keras 2 defaults the specs lower to (recurrentActivation sigmoid,
 * unitForgetBias) — tfjs's own defaults (hardSigmoid) would be a different, slower model.
 */
const lstm = (cfg: Parameters<typeof tf.layers.lstm>[0]) =>
  tf.layers.lstm({ recurrentActivation: 'sigmoid', unitForgetBias: true, ...cfg });

const PROBLEMS: Problem[] = [
  {
    key: 'echo',
    file: 'specs/vanilla.lstm',
    overrides: { epochs: 15, batchSize: 16, samples: 3000, testSamples: 1000 },
    title: 'Vanilla LSTM / echo',
    spec: `model VanillaEcho {
  input x: [5, 10]
  lstm(25)
  dense(10, activation: softmax)
  train { loss: categoricalCrossentropy  optimizer: adam(learningRate: 0.005)  metrics: [accuracy]  epochs: 8  batchSize: 16  seed: 1 }
  data { synthetic: echo  samples: 3000  testSamples: 1000 }
}`,
    target: 'accuracy ≥ 95 %',
    check: (ev) => ev.acc! >= 0.95,
    hand: () => {
      const m = tf.sequential();
      m.add(lstm({ units: 25, inputShape: [5, 10] }));
      m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
      m.compile({ loss: 'categoricalCrossentropy', optimizer: tf.train.adam(0.001), metrics: ['accuracy'] });
      return m;
    },
    throughputSamples: 3000,
  },
  {
    key: 'sine',
    file: 'specs/stacked.lstm',
    overrides: { epochs: 10, samples: 4000, testSamples: 500 },
    title: 'Stacked LSTM / damped sine',
    spec: `model StackedSine {
  input x: [50, 1]
  lstm(20, returnSequences: true)
  lstm(20)
  dense(5)
  train { loss: mae  optimizer: adam(learningRate: 0.003)  metrics: [mse]  epochs: 8  batchSize: 32  seed: 1 }
  data { synthetic: sine  length: 50  horizon: 5  samples: 4000  testSamples: 500 }
}`,
    target: 'MAE ≤ 0.05',
    check: (ev) => ev.mae! <= 0.05,
    hand: () => {
      const m = tf.sequential();
      m.add(lstm({ units: 20, returnSequences: true, inputShape: [50, 1] }));
      m.add(lstm({ units: 20 }));
      m.add(tf.layers.dense({ units: 5 }));
      m.compile({ loss: 'meanAbsoluteError', optimizer: tf.train.adam(0.001), metrics: ['mse'] });
      return m;
    },
    throughputSamples: 1000,
  },
  {
    key: 'square',
    file: 'specs/cnn-lstm.lstm',
    overrides: { epochs: 4, samples: 2000, testSamples: 500 },
    title: 'CNN LSTM / moving square',
    spec: `model CnnMovingSquare {
  input frames: [5, 50, 50, 1]
  timeDistributed(conv2d(2, kernelSize: [2, 2], activation: relu))
  timeDistributed(maxPooling2d([2, 2]))
  timeDistributed(flatten())
  lstm(50)
  dense(1, activation: sigmoid)
  train { loss: binaryCrossentropy  optimizer: adam  metrics: [accuracy]  epochs: 4  batchSize: 32  seed: 1 }
  data { synthetic: square  size: 50  frames: 5  samples: 2000  testSamples: 500 }
}`,
    target: 'accuracy ≥ 95 %',
    check: (ev) => ev.acc! >= 0.95,
    hand: () => {
      const m = tf.sequential();
      m.add(
        tf.layers.timeDistributed({
          layer: tf.layers.conv2d({ filters: 2, kernelSize: [2, 2], activation: 'relu' }),
          inputShape: [5, 50, 50, 1],
        }),
      );
      m.add(tf.layers.timeDistributed({ layer: tf.layers.maxPooling2d({ poolSize: [2, 2] }) }));
      m.add(tf.layers.timeDistributed({ layer: tf.layers.flatten() }));
      m.add(lstm({ units: 50 }));
      m.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
      m.compile({ loss: 'binaryCrossentropy', optimizer: tf.train.adam(), metrics: ['accuracy'] });
      return m;
    },
    throughputSamples: 640,
  },
  {
    key: 'addition',
    file: 'specs/encoder-decoder.lstm',
    overrides: { epochs: 25, samples: 10000, testSamples: 1000 },
    title: 'Encoder-Decoder LSTM / addition',
    spec: `model AdditionSeq2Seq {
  input x: [8, 12]
  lstm(75)
  repeatVector(2)
  lstm(50, returnSequences: true)
  timeDistributed(dense(12, activation: softmax))
  train { loss: categoricalCrossentropy  optimizer: adam(learningRate: 0.003)  metrics: [accuracy]  epochs: 20  batchSize: 32  seed: 1 }
  data { synthetic: addition  terms: 3  largest: 10  samples: 5000  testSamples: 1000 }
}`,
    target: 'accuracy ≥ 95 % (per character; sequence accuracy reported too)',
    check: (ev) => ev.acc! >= 0.95,
    hand: () => {
      const m = tf.sequential();
      m.add(lstm({ units: 75, inputShape: [8, 12] }));
      m.add(tf.layers.repeatVector({ n: 2 }));
      m.add(lstm({ units: 50, returnSequences: true }));
      m.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 12, activation: 'softmax' }) }));
      m.compile({ loss: 'categoricalCrossentropy', optimizer: tf.train.adam(0.001), metrics: ['accuracy'] });
      return m;
    },
    throughputSamples: 3000,
  },
  {
    key: 'cumsum',
    file: 'specs/bidirectional.lstm',
    overrides: { epochs: 8, batchSize: 32, samples: 4000, testSamples: 1000 },
    title: 'Bidirectional LSTM / cumulative sum',
    spec: `model BidirectionalCumsum {
  input x: [10, 1]
  bidirectional(lstm(50, returnSequences: true), mergeMode: concat)
  timeDistributed(dense(1, activation: sigmoid))
  train { loss: binaryCrossentropy  optimizer: adam(learningRate: 0.003)  metrics: [accuracy]  epochs: 6  batchSize: 32  seed: 1 }
  data { synthetic: cumsum  samples: 4000  testSamples: 1000 }
}`,
    target: 'accuracy ≥ 95 %',
    check: (ev) => ev.acc! >= 0.95,
    hand: () => {
      const m = tf.sequential();
      m.add(
        tf.layers.bidirectional({
          layer: lstm({ units: 50, returnSequences: true }) as tf.RNN,
          mergeMode: 'concat',
          inputShape: [10, 1],
        }),
      );
      m.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 1, activation: 'sigmoid' }) }));
      m.compile({ loss: 'binaryCrossentropy', optimizer: tf.train.adam(0.001), metrics: ['accuracy'] });
      return m;
    },
    throughputSamples: 3000,
  },
  {
    key: 'generative',
    file: 'specs/generative.lstm',
    overrides: { epochs: 8, samples: 10000, testSamples: 1000 },
    title: 'Generative LSTM / characters',
    spec: `model CharGenerator {
  param vocab = 40
  param window = 10
  input x: [window, vocab]
  lstm(128)
  dense(vocab, activation: softmax)
  train { loss: categoricalCrossentropy  optimizer: rmsprop(learningRate: 0.01)  metrics: [accuracy]  epochs: 8  batchSize: 128  seed: 1 }
  data { synthetic: chars  window: 10  samples: 20000  testSamples: 2000 }
}`,
    target: 'loss falls; ≥ 90 % of sampled words are corpus words',
    check: (_ev, extra) => (extra.lossFell as number) === 1 && (extra.wellFormed as number) >= 0.9,
    hand: () => {
      const m = tf.sequential();
      m.add(lstm({ units: 128, inputShape: [10, 40] }));
      m.add(tf.layers.dense({ units: 40, activation: 'softmax' }));
      m.compile({ loss: 'categoricalCrossentropy', optimizer: tf.train.rmsprop(0.01), metrics: ['accuracy'] });
      return m;
    },
    throughputSamples: 6400,
  },
];

/** The reference spec from specs/ (fallback: the embedded twin), checked. */
function reference(p: Problem): { ir: IRModel; from: string } {
  const path = join(process.cwd(), p.file);
  if (existsSync(path)) return { ir: compiled(readFileSync(path, 'utf8'), p.file), from: p.file };
  return { ir: compiled(p.spec), from: 'embedded spec' };
}

function compiled(src: string, file = 'bench.lstm'): IRModel {
  const r = checkSource(src, file);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0)
    throw new Error(
      `bench spec does not check: ${errors.map((e) => `${e.line}:${e.column} ${e.code} ${e.message}`).join('; ')}`,
    );
  return r.models[0]!;
}

const fmt = (v: number | undefined, d = 4) => (v === undefined ? '-' : v.toFixed(d));
const nullStream = { write: () => true };

async function handFit(p: Problem, ds: Dataset, epochs: number, batchSize: number): Promise<number> {
  const m = p.hand();
  const x = tf.tensor(ds.train.x.values, ds.train.x.shape);
  const y = tf.tensor(ds.train.y.values, ds.train.y.shape);
  const t0 = performance.now();
  await m.fit(x, y, { epochs, batchSize, shuffle: true, verbose: 0, yieldEvery: 'never' });
  const ms = performance.now() - t0;
  tf.dispose([x, y]);
  m.dispose();
  return (ds.train.x.shape[0]! * epochs) / (ms / 1000);
}

async function main(): Promise<void> {
  const warn = console.warn;
  console.warn = (...a: unknown[]) => {
    if (typeof a[0] === 'string' && a[0].startsWith('Orthogonal initializer')) return;
    warn(...a);
  };
  const args = process.argv.slice(2);
  const usage =
    'usage: node dist/bench/train.js [--only echo,sine,square,addition,cumsum,generative] [--skip-train] [--skip-throughput]';
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
    return;
  }
  const unknown = args.filter(
    (a, i) =>
      a.startsWith('-') && !['--only', '--skip-train', '--skip-throughput'].includes(a) && args[i - 1] !== '--only',
  );
  if (unknown.length > 0) {
    console.error(`unknown option ${unknown[0]}\n${usage}`);
    process.exitCode = 2;
    return;
  }
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : null;
  const skipTrain = args.includes('--skip-train');
  const skipThroughput = args.includes('--skip-throughput');
  const problems = PROBLEMS.filter((p) => !only || only.includes(p.key));
  const tmp = mkdtempSync(join(tmpdir(), 'lstmc-bench-'));
  const rows: string[][] = [];
  let allOk = true;

  if (!skipTrain) {
    console.log('== Training the six reference problems to their targets (runtime, backend auto) ==');
    for (const p of problems) {
      const { ir, from } = reference(p);
      const o = p.overrides;
      console.log(
        `  ${p.title}: ${from} with --epochs ${o.epochs}${o.batchSize ? ` --batch-size ${o.batchSize}` : ''} --samples ${o.samples} (test ${o.testSamples})`,
      );
      const t0 = performance.now();
      const r = await train(ir, {
        backend: 'auto',
        outDir: join(tmp, p.key),
        progress: 'lines',
        stream: { write: (s: string) => process.stdout.write(`  [${p.key}] ${s}`) },
        epochs: o.epochs,
        ...(o.batchSize ? { batchSize: o.batchSize } : {}),
        data: { samples: o.samples, testSamples: o.testSamples },
      });
      const wall = (performance.now() - t0) / 1000;
      const extra: Record<string, number | string> = {};
      if (p.key === 'generative') {
        const losses = r.history.loss!;
        extra.lossFell = losses[losses.length - 1]! < losses[0]! * 0.7 ? 1 : 0;
        const text = await generate(
          { model: r.model, state: null, info: r.dataset.info, backend: r.backend },
          { seed: 'the old king ', length: 400, temperature: 0.5, rngSeed: 7 },
        );
        extra.wellFormed = wellFormedWords(text);
        extra.sample = JSON.stringify(text.slice(0, 160));
        extra.firstLoss = losses[0]!;
        extra.lastLoss = losses[losses.length - 1]!;
      }
      const ok = p.check(r.evaluation, extra);
      allOk &&= ok;
      const ev = r.evaluation;
      const metric =
        p.key === 'sine'
          ? `test MAE ${fmt(ev.mae)}`
          : p.key === 'generative'
            ? `loss ${fmt(extra.firstLoss as number, 3)} → ${fmt(extra.lastLoss as number, 3)}, test acc ${fmt(ev.acc, 3)}, well-formed words ${((extra.wellFormed as number) * 100).toFixed(1)} %`
            : `test acc ${(ev.acc! * 100).toFixed(2)} %${ev.sequenceAccuracy !== undefined ? `, sequence acc ${(ev.sequenceAccuracy * 100).toFixed(2)} %` : ''}`;
      rows.push([
        p.title,
        r.backend.name,
        `${r.epochs}`,
        `${wall.toFixed(1)} s`,
        metric,
        p.target,
        ok ? 'PASS' : 'FAIL',
      ]);
      console.log(`  ${p.title}: ${metric} in ${wall.toFixed(1)} s on ${r.backend.name} — ${ok ? 'PASS' : 'FAIL'}`);
      if (extra.sample) console.log(`  sample (T=0.5): ${extra.sample}`);
      r.model.dispose();
    }
    console.log('\n| problem | backend | epochs | wall time | result | target | |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  }

  if (!skipThroughput) {
    console.log(
      '\n== Throughput: lstmc runtime vs hand-written tfjs-layers (same model, same backend, 2 epochs, best of 2) ==',
    );
    console.log('| model | backend | runtime samples/s | hand-written samples/s | ratio | wasm/cpu (hand-written) |');
    console.log('|---|---|---|---|---|---|');
    for (const p of problems) {
      const { ir } = reference(p);
      const ds = loadData(ir.data!, { samples: p.throughputSamples, testSamples: 10 });
      const bs = p.overrides.batchSize ?? ir.train.batchSize;
      const epochs = 2;
      await setupBackend('wasm');
      const runtimeRuns: number[] = [];
      const handRuns: number[] = [];
      for (let k = 0; k < 2; k++) {
        handRuns.push(await handFit(p, ds, epochs, bs));
        const r = await train(ir, {
          backend: 'wasm',
          dataset: ds,
          epochs,
          batchSize: bs,
          outDir: join(tmp, `tp-${p.key}`),
          progress: 'lines',
          stream: nullStream,
          evaluate: false,
        });
        // Whole fit call incl. per-epoch checkpoints, progress and NaN checks.
        runtimeRuns.push((ds.train.x.shape[0]! * epochs) / (r.fitMs / 1000));
        r.model.dispose();
      }
      const rt = Math.max(...runtimeRuns);
      const hand = Math.max(...handRuns);
      // wasm vs cpu, hand-written, 1 epoch on a slice (cpu is slow).
      const n = Math.min(ds.train.x.shape[0]!, Math.max(bs * 8, Math.floor(p.throughputSamples / 4)));
      const slice: Dataset = {
        ...ds,
        train: {
          x: {
            values: ds.train.x.values.slice(0, (n * ds.train.x.values.length) / ds.train.x.shape[0]!),
            shape: [n, ...ds.train.x.shape.slice(1)],
          },
          y: {
            values: ds.train.y.values.slice(0, (n * ds.train.y.values.length) / ds.train.y.shape[0]!),
            shape: [n, ...ds.train.y.shape.slice(1)],
          },
        },
      };
      await setupBackend('wasm');
      await handFit(p, slice, 1, bs); // warm-up
      const w = await handFit(p, slice, 1, bs);
      await setupBackend('cpu');
      const c = await handFit(p, slice, 1, bs);
      console.log(
        `| ${p.title} | wasm | ${rt.toFixed(0)} | ${hand.toFixed(0)} | ${(rt / hand).toFixed(3)} | ${(w / c).toFixed(2)}x (${w.toFixed(0)} vs ${c.toFixed(0)}) |`,
      );
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  if (!skipTrain) console.log(allOk ? '\nAll targets reached.' : '\nSome targets were NOT reached.');
  process.exitCode = allOk ? 0 : 1;
}

void main();
