/**
 * Atomic save/load, crash recovery, and `lstmc train --resume` after the process is killed mid-training.
 * The CLI runs from a private build (node_modules/.cache/lstmc-runtime-test) so parallel builds of
 * dist/ do not interfere.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildModel,
  fileLoadHandler,
  fileSaveHandler,
  loadModelDir,
  readTrainState,
  recoverDir,
  saveCheckpoint,
  setupBackend,
  writeDirAtomic,
} from '../runtime/index.js';

const root = resolve(__dirname, '..');
const build = join(root, 'node_modules', '.cache', 'lstmc-runtime-test');
const cli = join(build, 'cli', 'main.js');
const tmp = mkdtempSync(join(tmpdir(), 'lstmc-io-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

beforeAll(() => {
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(root, 'tsconfig.build.json'),
      '--outDir',
      build,
      '--sourceMap',
      'false',
      '--declaration',
      'false',
    ],
    { cwd: root, stdio: 'pipe' },
  );
}, 120_000);

function tinyModel(): tf.LayersModel {
  return buildModel({
    kind: 'sequential',
    name: 'Tiny',
    kernels: [],
    inputs: [{ name: 'x', shape: [3, 2] }],
    nodes: [
      {
        name: 'lstm_1',
        spec: { factory: 'lstm', config: { name: 'lstm_1', inputShape: [3, 2], units: 4 } },
        inputs: [{ node: 'x', index: 0 }],
        outputCount: 1,
      },
      {
        name: 'dense_1',
        spec: { factory: 'dense', config: { units: 1, name: 'dense_1' } },
        inputs: [{ node: 'lstm_1', index: 0 }],
        outputCount: 1,
      },
    ],
    outputs: [{ node: 'dense_1', index: 0 }],
    train: {
      loss: 'meanSquaredError',
      metrics: [],
      optimizer: { factory: 'sgd', args: [0.01] },
      epochs: 1,
      batchSize: 1,
      validationSplit: 0,
      shuffle: false,
    },
  });
}

describe('atomic save / load', () => {
  it('round trip through the file IO handlers (TF.js layers format)', async () => {
    await setupBackend('wasm');
    const m = tinyModel();
    const dir = join(tmp, 'rt');
    await m.save(fileSaveHandler(dir));
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const back = await tf.loadLayersModel(fileLoadHandler(dir));
    const x = tf.randomNormal([5, 3, 2]);
    const a = (m.predict(x) as tf.Tensor).dataSync();
    const b = (back.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    // Overwrite: no temporary or old directories are left behind.
    await m.save(fileSaveHandler(dir));
    expect(readdirSync(tmp).filter((f) => f.startsWith('rt.'))).toEqual([]);
    tf.dispose(x);
  });

  it('checkpoint = model + optimizer state + training state', async () => {
    const m = tinyModel();
    const opt = tf.train.adam(0.01);
    m.compile({ loss: 'meanSquaredError', optimizer: opt });
    await m.fit(tf.randomNormal([8, 3, 2]), tf.randomNormal([8, 1]), { epochs: 1, verbose: 0 });
    const dir = join(tmp, 'ck');
    await saveCheckpoint(
      dir,
      m,
      {
        version: 1,
        model: 'Tiny',
        epoch: 1,
        epochs: 3,
        complete: false,
        history: { loss: [1] },
        loss: 'mse',
        metrics: [],
      },
      opt,
    );
    const st = readTrainState(dir)!;
    expect(st.epoch).toBe(1);
    expect(st.optimizerWeights!.map((w) => w.name)).toContain('iter');
    const back = await loadModelDir(dir);
    expect(back.countParams()).toBe(m.countParams());
  });

  it('an interrupted directory swap is recovered', () => {
    const dir = join(tmp, 'swap');
    writeDirAtomic(dir, { 'a.txt': 'one' });
    // Simulate a crash between "rename dir → dir.old-*" and "rename tmp → dir".
    renameSync(dir, `${dir}.old-123`);
    mkdirSync(`${dir}.tmp-456`);
    writeFileSync(join(`${dir}.tmp-456`, 'a.txt'), 'half');
    recoverDir(dir);
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('one');
    expect(existsSync(`${dir}.tmp-456`)).toBe(false);
    expect(existsSync(`${dir}.old-123`)).toBe(false);
  });
});

const SPEC = `model Echo {
  input x: [5, 10]
  lstm(24)
  dense(10, activation: softmax)
  train { loss: categoricalCrossentropy  optimizer: adam(learningRate: 0.005)  metrics: [accuracy]  epochs: 6  batchSize: 8  seed: 11 }
  data { synthetic: echo  samples: 900  testSamples: 50 }
}
`;

function runCli(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('lstmc train --resume after the process is killed', () => {
  it('continues the epoch count with nothing lost (same history as an uninterrupted run)', async () => {
    const cwd = join(tmp, 'resume');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, 'echo.lstm'), SPEC);

    // Uninterrupted reference run.
    const full = runCli(['train', 'echo.lstm', '--out', 'full', '--backend', 'wasm', '--json'], cwd);
    expect(full.code, full.stderr).toBe(0);
    const ref = JSON.parse(full.stdout.trim().split('\n').pop()!);
    expect(ref.epochs).toBe(6);

    // Interrupted run: SIGKILL once at least 2 epochs are checkpointed.
    const child = spawn(
      process.execPath,
      [cli, 'train', 'echo.lstm', '--out', 'run', '--backend', 'wasm', '--progress', 'lines'],
      { cwd, stdio: 'pipe' },
    );
    const killedAt = await new Promise<number>((res, rej) => {
      const timer = setInterval(() => {
        const st = existsSync(join(cwd, 'run', 'lstmc.json')) ? readTrainState(join(cwd, 'run')) : null;
        if (st && st.epoch >= 2) {
          child.kill('SIGKILL');
          clearInterval(timer);
          res(st.epoch);
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(timer);
        rej(new Error('the child finished before it could be killed'));
      });
    });
    await new Promise((r) => child.on('exit', r));
    const killedState = readTrainState(join(cwd, 'run'))!;
    expect(killedState.complete).toBe(false);
    expect(killedState.epoch).toBeGreaterThanOrEqual(killedAt);
    expect(killedState.epoch).toBeLessThan(6);

    const resumed = runCli(['train', 'echo.lstm', '--out', 'run', '--backend', 'wasm', '--resume', '--json'], cwd);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/Resuming Echo from run after epoch \d/);
    const res = JSON.parse(resumed.stdout.trim().split('\n').pop()!);
    expect(res.initialEpoch).toBe(killedState.epoch);
    expect(res.epochs).toBe(6);
    const st = readTrainState(join(cwd, 'run'))!;
    expect(st.complete).toBe(true);
    expect(st.history.loss).toHaveLength(6);
    // Weights, optimizer moments, shuffling RNG all restored: the same numbers as the uninterrupted run.
    const refState = readTrainState(join(cwd, 'full'))!;
    for (let i = 0; i < 6; i++) expect(st.history.loss![i]).toBeCloseTo(refState.history.loss![i]!, 5);
    expect(res.evaluation.loss).toBeCloseTo(ref.evaluation.loss, 5);
  }, 120_000);
});

describe('CLI predict / evaluate / generate', () => {
  it('load the saved model; outputs to stdout or a file', () => {
    const cwd = join(tmp, 'pred');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(
      join(cwd, 'echo.lstm'),
      SPEC.replace('epochs: 6', 'epochs: 1').replace('samples: 900', 'samples: 100'),
    );
    expect(runCli(['train', 'echo.lstm', '--progress', 'none'], cwd).code).toBe(0);
    const oneHot = (k: number) => Array.from({ length: 10 }, (_, i) => (i === k ? 1 : 0));
    writeFileSync(join(cwd, 'in.json'), JSON.stringify([[0, 1, 2, 3, 4].map(oneHot), [5, 6, 7, 8, 9].map(oneHot)]));
    const p = runCli(['predict', 'models/Echo', '-i', 'in.json', '--format', 'json'], cwd);
    expect(p.code, p.stderr).toBe(0);
    const out = (JSON.parse(p.stdout) as { predictions: { output: number[] }[] }).predictions.map((x) => x.output);
    expect(out).toHaveLength(2);
    expect(out[0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    // CSV in (one flattened sample per row), CSV out; the spec file finds models/<Name> by itself.
    writeFileSync(join(cwd, 'in.csv'), [0, 1, 2, 3, 4].map(oneHot).flat().join(',') + '\n');
    const p2 = runCli(['predict', 'echo.lstm', '-i', 'in.csv', '-o', 'out.csv'], cwd);
    expect(p2.code, p2.stderr).toBe(0);
    const outCsv = readFileSync(join(cwd, 'out.csv'), 'utf8').trim().split('\n');
    expect(outCsv[0]).toBe('sample,class,probability');
    expect(outCsv[1]).toMatch(/^1,\d,0\.\d+$/);
    const bad = runCli(
      ['predict', 'models/Echo', '-i', 'in.csv'].map((a) => (a === 'in.csv' ? 'short.csv' : a)),
      cwd,
    );
    expect(bad.code).toBe(1);
    writeFileSync(join(cwd, 'short.csv'), '1,2,3\n');
    const bad2 = runCli(['predict', 'models/Echo', '-i', 'short.csv'], cwd);
    expect(bad2.code).toBe(1);
    expect(bad2.stderr).toMatch(/short\.csv:1: 3 value\(s\), but the model input needs 50 per row/);
    const ev = runCli(['evaluate', 'echo.lstm', '--json'], cwd);
    expect(ev.code, ev.stderr).toBe(0);
    expect(JSON.parse(ev.stdout).metrics.acc).toBeGreaterThanOrEqual(0);

    writeFileSync(
      join(cwd, 'chars.lstm'),
      `model Chars {
  input x: [10, 40]
  lstm(16)
  dense(40, activation: softmax)
  train { loss: categoricalCrossentropy  optimizer: rmsprop(learningRate: 0.01)  epochs: 1  batchSize: 64  seed: 1 }
  data { synthetic: chars  samples: 256 }
}
`,
    );
    expect(runCli(['train', 'chars.lstm', '--progress', 'none'], cwd).code).toBe(0);
    const g = runCli(
      ['generate', 'models/Chars', '--seed', 'the king ', '--length', '40', '--temperature', '0.8'],
      cwd,
    );
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout.startsWith('the king ')).toBe(true);
    expect(g.stdout.trimEnd().length).toBeGreaterThanOrEqual(40);
    const notGen = runCli(['generate', 'models/Echo'], cwd);
    expect(notGen.code).toBe(1);
    expect(notGen.stderr).toMatch(/generate needs a generative model/);
  }, 120_000);
});

describe('CLI data errors', () => {
  it('a missing CSV is one located line and exit 1, no stack trace', () => {
    const cwd = join(tmp, 'clierr');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(
      join(cwd, 'bad.lstm'),
      `model M {
  input x: [4, 1]
  lstm(4)
  dense(1)
  train { loss: mse  optimizer: adam  epochs: 1  batchSize: 4 }
  data { csv: "missing.csv"  window: 4 }
}
`,
    );
    const r = runCli(['train', 'bad.lstm', '--backend', 'cpu'], cwd);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^lstmc: error: missing\.csv: file not found \(data block at bad\.lstm:6:\d+\)\n$/);
    writeFileSync(join(cwd, 'v.csv'), 'value\n1\n2\nx\n');
    writeFileSync(join(cwd, 'bad2.lstm'), readFileSync(join(cwd, 'bad.lstm'), 'utf8').replace('missing.csv', 'v.csv'));
    const r2 = runCli(['train', 'bad2.lstm', '--backend', 'cpu'], cwd);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/v\.csv:4: non-numeric value "x" in column "value"/);
    expect(r2.stderr).not.toMatch(/\n\s+at /);
  });
});
