/**
 * compiler/flops.ts: the analytic FLOP counter of `npm run bench:speed` against counts done by hand.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { checkSource } from '../compiler/index.js';
import { modelFlops } from '../compiler/flops.js';
import type { IRModel } from '../compiler/ir.js';

function model(src: string): IRModel {
  const r = checkSource(src, 'flops.lstm');
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.models[0]!;
}

describe('modelFlops', () => {
  it('a tiny stacked LSTM/GRU model, counted by hand', () => {
    const m = model(`model Tiny {
  input x: [7, 3]
  lstm(5, returnSequences: true)
  dropout(0.1)
  gru(4)
  dense(2)
}`);
    // lstm(5) on [7, 3]: params 4·(3·5 + 5·5 + 5) = 180, applied at each of 7 steps: 2·180·7 = 2520.
    // gru(4) on [7, 5]: params 3·(5·4 + 4·4 + 2·4) = 132 (reset-after: two bias rows), 2·132·7 = 1848.
    // dense(2) on [4]: 4·2 + 2 = 10 params, once: 20. dropout: 0.
    const f = modelFlops(m);
    expect(f.layers.map((l) => [l.params, l.positions, l.forward])).toEqual([
      [180, 7, 2520],
      [0, 0, 0],
      [132, 7, 1848],
      [10, 1, 20],
    ]);
    expect(f.forward).toBe(4388);
    expect(f.train).toBe(3 * 4388);
    expect(f.unknown).toEqual([]);
  });

  it('wrappers, sequences and embeddings', () => {
    const m = model(`model Wrapped {
  input t: [6]
  embedding(30, 2)
  bidirectional(lstm(3, returnSequences: true), mergeMode: concat)
  timeDistributed(dense(2))
}`);
    // embedding: a lookup, 0. bidirectional lstm(3) on [6, 2]: 2 · 4·(2·3 + 3·3 + 3) = 144 params, 6 steps:
    // 2·144·6 = 1728. timeDistributed dense(2) on [6, 6]: 6·2 + 2 = 14 params at 6 positions: 168.
    const f = modelFlops(m);
    expect(f.layers.map((l) => l.forward)).toEqual([0, 1728, 168]);
    expect(f.forward).toBe(1896);
  });

  it('convLstm2d: every weight at every output pixel of every step', () => {
    const m = model(`model Frames {
  input x: [4, 6, 6, 1]
  convLstm2d(2, kernelSize: 3, returnSequences: true)
  convLstm2d(3, kernelSize: 3, padding: same)
}`);
    // convLstm2d(2, 3×3) on [4, 6, 6, 1]: params 4·(3·3·1·2 + 3·3·2·2 + 2) = 224; valid padding: 4×4 pixels per
    // step, 4 steps: 2·224·4·16 = 28,672. convLstm2d(3, 3×3, same) on [4, 4, 4, 2]: params 4·(3·3·2·3 + 3·3·3·3 +
    // 3) = 552, 4×4 pixels, 4 steps: 2·552·4·16 = 70,656.
    const f = modelFlops(m);
    expect(f.layers.map((l) => [l.params, l.positions, l.forward])).toEqual([
      [224, 64, 28_672],
      [552, 64, 70_656],
    ]);
  });

  it("the issue's stacked regressor is about 25 MFLOP per training sample", () => {
    const f = modelFlops(model(readFileSync('bench/specs/regressor.lstm', 'utf8')));
    // 4·(1·50 + 50·50 + 50) + 3 · 4·(50·50 + 50·50 + 50) = 71,000 recurrent params over 60 steps, dense(1) 51.
    expect(f.forward).toBe(2 * 71_000 * 60 + 2 * 51);
    expect(f.train / 1e6).toBeCloseTo(25.56, 1);
  });
});
