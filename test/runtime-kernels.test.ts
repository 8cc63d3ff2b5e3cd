import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../runtime/backend.js';

/** Runs `f` on a backend and returns plain arrays of its results. */
async function on(backend: 'wasm' | 'cpu', f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await setupBackend(backend);
  const ts = f();
  const out = await Promise.all(ts.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(ts);
  return out;
}

function close(a: Float32Array, b: Float32Array, tol = 1e-4): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  expect(worst).toBeLessThanOrEqual(tol);
}

function data(shape: number[], seed: number): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  let s = seed;
  return Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1);
}

describe('wasm gap kernels', () => {
  const convCases: Array<{ x: number[]; f: number[]; strides: number | [number, number]; pad: 'valid' | 'same' }> = [
    { x: [3, 9, 9, 1], f: [2, 2, 1, 2], strides: 1, pad: 'valid' },
    { x: [2, 8, 7, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same' },
    { x: [2, 9, 8, 2], f: [3, 2, 2, 3], strides: [2, 2], pad: 'same' },
    { x: [2, 9, 9, 2], f: [3, 3, 2, 2], strides: [2, 1], pad: 'valid' },
    // > 512 filter weights: the im2col / BatchMatMul path
    { x: [2, 7, 6, 8], f: [3, 3, 8, 16], strides: 1, pad: 'same' },
    { x: [2, 9, 8, 8], f: [2, 3, 8, 16], strides: [2, 2], pad: 'valid' },
  ];
  for (const c of convCases) {
    it(`Conv2DBackpropFilter matches cpu: x ${c.x} filter ${c.f} strides ${c.strides} ${c.pad}`, async () => {
      const f = () => {
        const x = tf.tensor4d(data(c.x, 1), c.x as [number, number, number, number]);
        const w = tf.tensor4d(data(c.f, 2), c.f as [number, number, number, number]);
        const g = tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
          tf
            .conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.strides, c.pad)
            .square()
            .sum(),
        );
        return g([x, w]);
      };
      const cpu = await on('cpu', f);
      const wasm = await on('wasm', f);
      close(wasm[0]!, cpu[0]!);
      close(wasm[1]!, cpu[1]!);
    });
  }

  it('UnsortedSegmentSum (embedding gradient) matches cpu', async () => {
    const f = () => {
      const table = tf.tensor2d(data([7, 4], 3), [7, 4]);
      const idx = tf.tensor1d([0, 3, 3, 6, 1, 0], 'int32');
      const g = tf.grad((t: tf.Tensor) =>
        tf
          .gather(t, idx)
          .mul(tf.range(1, 25).reshape([6, 4]))
          .sum(),
      );
      const direct = tf.unsortedSegmentSum(tf.tensor2d(data([6, 4], 4), [6, 4]), idx, 7);
      return [g(table), direct];
    };
    const cpu = await on('cpu', f);
    const wasm = await on('wasm', f);
    close(wasm[0]!, cpu[0]!);
    close(wasm[1]!, cpu[1]!);
  });

  it('faster Unpack / Slice / Transpose (rank 5) match cpu', async () => {
    const f = () => {
      const x = tf.tensor(data([3, 4, 5, 6, 2], 7), [3, 4, 5, 6, 2]);
      return [
        ...tf.unstack(x, 1),
        ...tf.unstack(x, 3),
        ...tf.unstack(x, 4),
        tf.slice(x, [1, 0, 2, 1, 0], [2, 4, 2, 5, 2]),
        tf.slice(x, [0, 1, 0, 0, 0], [3, 2, 5, 6, 2]),
        tf.slice(x, [0, 0, 0, 0, 1], [3, 4, 5, 6, 1]),
        tf.transpose(x, [1, 0, 2, 3, 4]),
        tf.transpose(x, [2, 1, 0, 3, 4]),
        tf.transpose(x, [1, 0, 2, 4, 3]),
        tf.transpose(tf.tensor(data([4, 3, 16], 8), [4, 3, 16]), [1, 0, 2]),
      ];
    };
    const cpu = await on('cpu', f);
    const wasm = await on('wasm', f);
    expect(wasm.length).toBe(cpu.length);
    cpu.forEach((c, i) => close(wasm[i]!, c, 0));
  });

  it('embedding + conv1d models train on wasm', async () => {
    await setupBackend('wasm');
    const m = tf.sequential();
    m.add(tf.layers.embedding({ inputDim: 20, outputDim: 4, inputLength: 6 }));
    m.add(tf.layers.conv1d({ filters: 3, kernelSize: 2 }));
    m.add(tf.layers.lstm({ units: 4 }));
    m.add(tf.layers.dense({ units: 1 }));
    m.compile({ loss: 'meanSquaredError', optimizer: 'adam' });
    const x = tf.tensor2d(
      Array.from({ length: 60 }, (_, i) => i % 20),
      [10, 6],
    );
    const y = tf.ones([10, 1]);
    const h = await m.fit(x, y, { epochs: 2, verbose: 0 });
    expect(Number.isFinite(h.history.loss![1] as number)).toBe(true);
    tf.dispose([x, y]);
    m.dispose();
  });
});
