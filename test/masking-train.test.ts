/**
 * `lstmc train` and `lstmc predict` with a mask, through the built CLI: a series with sensor dropouts
 * recorded as 0 (`scale: none`), read through `masking()`. The fused recurrent kernels fall back to tfjs's
 * own layer when a mask is given (runtime/fused/layer.ts), so a fused run and a `--no-fused` run of the
 * same seed end with the same weights, byte for byte; `predict` gives what tfjs computes with the saved
 * model, and a window with missing readings predicts as the window without them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileLoadHandler } from '../runtime/index.js';
import { runCli } from './helpers/cli.js';

const W = 12;
const dir = mkdtempSync(path.join(tmpdir(), 'lstmc-masking-train-'));

beforeAll(async () => {
  await tf.setBackend('cpu');
  const rows = ['v'];
  for (let i = 0; i < 240; i++) {
    // Runs of missing readings (0) among values in [0.1, 0.9].
    rows.push(Math.floor(i / 7) % 4 === 2 ? '0' : (0.5 + 0.4 * Math.sin(i / 5)).toFixed(4));
  }
  writeFileSync(path.join(dir, 'gaps.csv'), rows.join('\n') + '\n');
  writeFileSync(
    path.join(dir, 'gaps.lstm'),
    `model Gaps {
  input x: [${W}, 1]
  masking()
  lstm(6)
  dense(1)
  train { loss: mse  epochs: 2  batchSize: 16  seed: 3 }
  data { csv: "gaps.csv"  column: "v"  window: ${W}  scale: none }
}
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('train and predict with a mask (the fused kernels fall back to tfjs)', () => {
  it('a fused run and a --no-fused run of the same seed end with the same weights', () => {
    const fused = runCli(['train', 'gaps.lstm', '--out', 'fused', '--progress', 'none', '--backend', 'cpu'], {
      cwd: dir,
    });
    expect(fused.code, fused.stderr).toBe(0);
    const plain = runCli(
      ['train', 'gaps.lstm', '--out', 'plain', '--progress', 'none', '--backend', 'cpu', '--no-fused'],
      { cwd: dir },
    );
    expect(plain.code, plain.stderr).toBe(0);
    const a = readFileSync(path.join(dir, 'fused', 'weights.bin'));
    const b = readFileSync(path.join(dir, 'plain', 'weights.bin'));
    expect(a.length).toBeGreaterThan(0);
    expect(Buffer.compare(a, b)).toBe(0);
  }, 120_000);

  it('predict gives what tfjs computes, and missing readings change nothing', async () => {
    const kept = Array.from({ length: 8 }, (_, t) => [0.2 + 0.07 * t]);
    const gapped = [[0], [0], ...kept.slice(0, 3), [0], [0], ...kept.slice(3)];
    const atEnd = [...kept, [0], [0], [0], [0]];
    const samples = [gapped, atEnd, [...kept, ...kept.slice(0, 4)]];
    writeFileSync(path.join(dir, 'samples.json'), JSON.stringify(samples));
    const r = runCli(['predict', 'fused', '-i', 'samples.json', '--format', 'json', '--backend', 'cpu'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const got = (JSON.parse(r.stdout) as { predictions: { output: number[] }[] }).predictions.map((p) => p.output[0]!);
    const model = await tf.loadLayersModel(fileLoadHandler(path.join(dir, 'fused')));
    const x = tf.tensor3d(samples);
    const y = model.predict(x) as tf.Tensor;
    const expected = Array.from(y.dataSync());
    got.forEach((v, i) => expect(Math.abs(v - expected[i]!), `sample ${i + 1}`).toBeLessThan(1e-6));
    // Both windows hold the same 8 readings in order, with missing ones at different places.
    expect(Math.abs(got[0]! - got[1]!)).toBeLessThan(1e-6);
    expect(Math.abs(got[0]! - got[2]!)).toBeGreaterThan(1e-4);
    tf.dispose([x, y]);
    model.dispose();
  }, 120_000);
});
